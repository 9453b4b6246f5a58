import { MemoryPresence } from '../../src/presence/presence-memory.ts';
import { presenceContract } from './presence.contract.ts';

presenceContract('memory', () => new MemoryPresence());
