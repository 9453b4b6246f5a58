import { LocalCounts, type Occupancy, type OccupancyEvents } from './occupancy.ts';

/** Occupancy for a single process: see Occupancy for the contract. */
export class MemoryOccupancy implements Occupancy {
  readonly kind = 'memory' as const;
  private events: OccupancyEvents | undefined;
  private readonly local = new LocalCounts();

  async start(events: OccupancyEvents): Promise<void> {
    this.events = events;
  }

  joined(app: string, channel: string): void {
    if (this.local.add(app, channel, 1) === 1) this.events?.occupied(app, channel);
  }

  left(app: string, channel: string): void {
    if (this.local.add(app, channel, -1) === 0) this.events?.vacated(app, channel);
  }

  async close(): Promise<void> {
    this.events = undefined;
  }
}
