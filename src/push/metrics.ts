import client from 'prom-client';

/**
 * Push metrics, in their own registry so the lead can fold them into the node's /metrics (today
 * cluster.ts merges this registry into its answer). Process-wide: several servers in one process
 * (tests) add to the same counters.
 */
export const pushRegistry = new client.Registry();

export const pushMetrics = {
  sent: new client.Counter({ name: 'xpush_push_sent_total', help: 'Notifications a provider accepted', labelNames: ['provider'], registers: [pushRegistry] }),
  failed: new client.Counter({
    name: 'xpush_push_failed_total', help: 'Send attempts that did not deliver (retried or dropped), by reason', labelNames: ['provider', 'reason'], registers: [pushRegistry],
  }),
  pruned: new client.Counter({ name: 'xpush_push_pruned_total', help: 'Targets removed on a permanent provider error', labelNames: ['provider', 'reason'], registers: [pushRegistry] }),
  outboxDepth: new client.Gauge({ name: 'xpush_push_outbox_depth', help: 'Notifications waiting in the outbox (whole cluster)', registers: [pushRegistry] }),
  latency: new client.Histogram({
    name: 'xpush_push_provider_latency_seconds', help: 'Provider request time', labelNames: ['provider'], registers: [pushRegistry],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
};

/** Provider reasons become label values: bounded in length and alphabet. */
export function reasonLabel(reason: string): string {
  return reason.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40) || 'unknown';
}

// The providers are a fixed set: their series exist from the start (at 0), so a dashboard shows them before the first push.
for (const provider of ['webpush', 'fcm', 'apns']) {
  pushMetrics.sent.labels({ provider }).inc(0);
  pushMetrics.latency.zero({ provider });
}
