import client from 'prom-client';
import { Disconnects } from './disconnect.ts';
import { PlainHistogram, type HistogramSeries } from './metrics-histogram.ts';

/** What the scrape reads from the running server (counted when scraped, never per event). */
export interface MetricsSources {
  /** Connected clients on this node, per app: connections and their subscriptions. */
  perApp(): Map<string, { connections: number; subscriptions: number }>;
  /** False while the broker link is down (publishes are refused). */
  brokerUp(): boolean;
}

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
/** Close codes kept as their own label value; anything else a peer sends is `other` (bounded cardinality). */
const KNOWN_CODES = new Set<number>([...Object.values(Disconnects).map((d) => d.code), ...Array.from({ length: 16 }, (_, i) => 1000 + i)]);

let processRegistry: client.Registry | undefined;
/** Process-wide series (CPU, memory, event loop, GC): one set per process, however many servers it runs. */
function processMetrics(): client.Registry {
  if (!processRegistry) {
    processRegistry = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * Every Prometheus series of one server, in its own registry (several servers can share a process),
 * each sample labelled with the node id. The hot path (fan-out) only adds to plain numbers — one
 * addition per channel and event-loop turn, never per delivery — and the scrape copies them into the
 * counters; the per-command, per-batch and broker-lag histograms are plain arithmetic (metrics-histogram.ts):
 * a command's series is resolved once per method, a batch's are fixed, and the broker lag's two (self, peer)
 * are a Map look-up per event, with no label object built.
 */
export class Metrics {
  readonly registry = new client.Registry();
  private sources: MetricsSources | undefined;
  /** Per-app counts, taken once per scrape for both gauges. */
  private apps = new Map<string, { connections: number; subscriptions: number }>();
  private readonly queues = new Map<string, () => number>();

  // Hot counters: plain numbers, read at scrape time.
  private deliveries = 0;
  private deliveryFrames = 0;
  private publications = 0;

  private readonly commandSeconds: PlainHistogram;
  /** Commands answered, per method and result code: plain counts, copied into xpush_commands_total at scrape. */
  private readonly perMethod = new Map<string, MethodCounts>();
  private readonly storeCommit: HistogramSeries;
  private readonly storeBatch: HistogramSeries;
  private readonly storeFailures: client.Counter;
  private readonly brokerPublish: HistogramSeries;
  private readonly brokerLag: PlainHistogram;
  private readonly recoveries: client.Counter<'recovered'>;
  private readonly slow: client.Counter;
  private readonly disconnects: client.Counter<'code'>;
  private readonly httpRequests: client.Counter<'method' | 'route' | 'status'>;
  private readonly httpSeconds: client.Histogram<'method' | 'route'>;

  constructor(private readonly nodeId: string, version: string) {
    const registers = [this.registry];
    const self = this;
    new client.Gauge({ name: 'xpush_info', help: 'Always 1; the labels say which version runs', labelNames: ['version'], registers }).set({ version }, 1);
    new client.Gauge({
      name: 'xpush_connections', help: 'Connected clients on this node, by app', labelNames: ['app'], registers,
      collect() { self.perApp(this, 'connections'); },
    });
    new client.Gauge({
      name: 'xpush_subscriptions', help: 'Channel subscriptions of the connected clients on this node, by app', labelNames: ['app'], registers,
      collect() { self.perApp(this, 'subscriptions'); },
    });
    new client.Gauge({
      name: 'xpush_broker_up', help: '1 while the broker link is up, 0 while publishes are refused because it is down', registers,
      collect() { this.set(self.sources?.brokerUp() === false ? 0 : 1); },
    });
    new client.Counter({
      name: 'xpush_commands_total', help: 'Client protocol commands answered, by method and result code (0 = success)', labelNames: ['method', 'code'], registers,
      collect() {
        this.reset();
        for (const [method, m] of self.perMethod) for (const [code, n] of m.codes) this.inc({ method, code: String(code) }, n);
      },
    });
    this.commandSeconds = this.histogram('xpush_command_duration_seconds', 'Time from a command\'s dispatch to its reply being queued', LATENCY_BUCKETS, 'method');
    new client.Counter({
      name: 'xpush_publications_total', help: 'Publications committed to the store and handed to the broker (publishes acknowledged)', registers,
      collect() { this.reset(); this.inc(self.publications); },
    });
    new client.Counter({
      name: 'xpush_deliveries_total', help: 'Publications queued to subscribed connections on this node (live fan-out)', registers,
      collect() { this.reset(); this.inc(self.deliveries); },
    });
    new client.Counter({
      name: 'xpush_delivery_frames_total', help: 'Frames carrying those publications queued to connections (one frame holds a channel\'s publications of one event-loop turn)', registers,
      collect() { this.reset(); this.inc(self.deliveryFrames); },
    });
    this.storeCommit = this.histogram('xpush_store_commit_seconds', 'Time to commit one group-commit batch of publications to the store', LATENCY_BUCKETS).series();
    this.storeBatch = this.histogram('xpush_store_batch_size', 'Publications per group-commit batch', BATCH_BUCKETS).series();
    this.storeFailures = new client.Counter({ name: 'xpush_store_commit_failures_total', help: 'Group-commit batches the store refused (their publishes were answered with an error)', registers });
    this.brokerPublish = this.histogram('xpush_broker_publish_seconds', 'Time from handing a committed batch to the broker until it accepted all of it', LATENCY_BUCKETS).series();
    this.brokerLag = this.histogram(
      'xpush_broker_receive_lag_seconds',
      'Redis broker: publishing node\'s clock at publish to this node\'s clock at receipt; source=peer includes the clock offset between the hosts',
      LATENCY_BUCKETS, 'source',
    );
    this.recoveries = new client.Counter({ name: 'xpush_recoveries_total', help: 'Subscribes that asked to recover missed publications, by outcome', labelNames: ['recovered'], registers });
    this.slow = new client.Counter({ name: 'xpush_slow_consumer_disconnects_total', help: 'Connections cut off because their write queue passed maxWriteBufferBytes (3008)', registers });
    this.disconnects = new client.Counter({ name: 'xpush_disconnects_total', help: 'Closed connections by disconnect code (ours or the peer\'s close code; unknown codes are "other")', labelNames: ['code'], registers });
    this.httpRequests = new client.Counter({ name: 'xpush_http_requests_total', help: 'HTTP requests by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpSeconds = new client.Histogram({ name: 'xpush_http_request_duration_seconds', help: 'HTTP request duration by method and route pattern', labelNames: ['method', 'route'], buckets: LATENCY_BUCKETS, registers });
    // Push and webhook delivery queues (and any later feature's queue) report their depth here: see registerQueue.
    new client.Gauge({
      name: 'xpush_queue_depth', help: 'Items waiting in a delivery queue (push, webhook), by queue', labelNames: ['queue'], registers,
      collect() {
        this.reset();
        for (const [queue, depth] of self.queues) this.set({ queue }, depth());
      },
    });
    for (const recovered of ['true', 'false']) this.recoveries.inc({ recovered }, 0);
  }

  /** The server's live state, read at scrape time. */
  bind(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** A feature with a delivery queue (push, webhook) reports its depth under `xpush_queue_depth{queue=name}`. */
  registerQueue(name: string, depth: () => number): void {
    if (this.queues.has(name)) throw new TypeError(`metrics: queue "${name}" is already registered`);
    this.queues.set(name, depth);
  }

  /** The text exposition of this server's series and the process's. */
  private readonly extra: client.Registry[] = [];

  /** A feature's own registry (push delivery), scraped with this node's series. */
  addRegistry(r: client.Registry): void {
    if (!this.extra.includes(r)) this.extra.push(r);
  }

  async scrape(): Promise<string> {
    this.apps = this.sources?.perApp() ?? new Map();
    // The process series get this server's node label too, so every query can filter by node.
    const all = client.Registry.merge([processMetrics(), this.registry, ...this.extra]);
    all.setDefaultLabels({ node: this.nodeId });
    return all.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  // ---- hot path: plain additions ----

  /** `publications` pushes in `frames` frames were queued to connections. */
  delivered(publications: number, frames: number): void {
    this.deliveries += publications;
    this.deliveryFrames += frames;
  }

  // ---- per command / batch / connection ----

  command(method: string, code: number, seconds: number): void {
    const m = this.method(method);
    m.codes.set(code, (m.codes.get(code) ?? 0) + 1);
    m.seconds.observe(seconds);
  }

  /** A command answered with an error before it ran (rate limit, draining): counted, not timed. */
  commandRefused(method: string, code: number): void {
    const m = this.method(method);
    m.codes.set(code, (m.codes.get(code) ?? 0) + 1);
  }

  storeCommitted(seconds: number, batch: number): void {
    this.storeCommit.observe(seconds);
    this.storeBatch.observe(batch);
  }

  storeFailed(): void {
    this.storeFailures.inc();
  }

  /** A batch was handed to the broker and accepted (`published` of its publications). */
  brokerPublished(seconds: number, published: number): void {
    this.brokerPublish.observe(seconds);
    this.publications += published;
  }

  /** Lag of one event received from the Redis broker; `self` when this node published it (no clock skew). */
  brokerReceived(seconds: number, self: boolean): void {
    this.brokerLag.series(self ? 'self' : 'peer').observe(seconds < 0 ? 0 : seconds);
  }

  recovery(recovered: boolean): void {
    this.recoveries.inc(recovered ? RECOVERED : NOT_RECOVERED);
  }

  slowConsumer(): void {
    this.slow.inc();
  }

  disconnected(code: number): void {
    this.disconnects.inc({ code: KNOWN_CODES.has(code) ? String(code) : 'other' });
  }

  http(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpSeconds.observe({ method, route }, seconds);
  }

  private method(method: string): MethodCounts {
    let m = this.perMethod.get(method);
    if (!m) {
      m = { codes: new Map(), seconds: this.commandSeconds.series(method) };
      this.perMethod.set(method, m);
    }
    return m;
  }

  /** A histogram observed on hot paths: plain arithmetic, scraped in prom-client's form (metrics-histogram.ts). */
  private histogram(name: string, help: string, bounds: readonly number[], label?: string): PlainHistogram {
    const h = new PlainHistogram(name, help, bounds, label);
    this.registry.registerMetric(h as unknown as client.Metric);
    return h;
  }

  private perApp(g: client.Gauge<'app'>, field: 'connections' | 'subscriptions'): void {
    g.reset();
    for (const [app, s] of this.apps) g.set({ app }, s[field]);
  }
}

interface MethodCounts {
  /** Result code → commands answered with it. */
  codes: Map<number, number>;
  /** Its series of xpush_command_duration_seconds. */
  seconds: HistogramSeries;
}

const RECOVERED = { recovered: 'true' };
const NOT_RECOVERED = { recovered: 'false' };
