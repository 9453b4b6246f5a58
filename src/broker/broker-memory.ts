import type { Broker, BrokerHandler } from './broker.ts';

/** In-process broker for a single node: see Broker for the contract. Delivery is synchronous. */
export class MemoryBroker implements Broker {
  readonly kind = 'memory' as const;
  private handler: BrokerHandler | undefined;
  private readonly topics = new Set<string>();

  async start(handler: BrokerHandler): Promise<void> {
    this.handler = handler;
  }
  async subscribe(topic: string): Promise<void> {
    this.topics.add(topic);
  }
  async unsubscribe(topic: string): Promise<void> {
    this.topics.delete(topic);
  }
  async publish(topic: string, payload: string): Promise<void> {
    if (this.handler && this.topics.has(topic)) this.handler.onEvent(topic, payload);
  }
  listened(topic: string): boolean {
    return this.topics.has(topic);
  }
  async ping(): Promise<void> {
    // In process: always reachable.
  }
  async close(): Promise<void> {
    this.handler = undefined;
    this.topics.clear();
  }
}
