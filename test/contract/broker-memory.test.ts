import { MemoryBroker } from '../../src/broker/broker-memory.ts';
import { brokerContract } from './broker.contract.ts';

brokerContract('memory', () => new MemoryBroker());
