import { MemoryOccupancy } from '../../src/webhooks/occupancy-memory.ts';
import { occupancyContract } from './occupancy.contract.ts';

occupancyContract('memory', () => new MemoryOccupancy());
