import { MemoryUserPresence } from '../../src/presence/user-presence-memory.ts';
import { userPresenceContract } from './user-presence.contract.ts';

userPresenceContract('memory', (_ns, delayMs) => new MemoryUserPresence(delayMs));
