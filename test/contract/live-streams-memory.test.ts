import { MemoryLiveStreams } from '../../src/streams/live-streams-memory.ts';
import { liveStreamsContract } from './live-streams.contract.ts';

liveStreamsContract('memory', () => new MemoryLiveStreams());
