import { positive, zeroOff } from './kit.ts';

/**
 * Limits of connections, messages and replies (docs/limits.md). The per-app ones (LIMIT_NAMES in
 * src/protocol/app-settings.ts) are defaults an app's settings may override.
 */
export const LimitSettings = {
  maxFrameBytes: positive(262_144, 'Largest accepted WebSocket frame / emulation request, bytes; bigger ones close the connection (1009, which the SDKs do not retry). At least maxMessageBytes + 4096 (the command envelope), so a message over the message limit is answered with error 106 and the connection stays.'),
  maxMessageBytes: positive(65_536, 'Largest publication `data` (encoded JSON), bytes; bigger gets error 106 and the connection stays. Per app: settings `limits`.'),
  maxChannelsPerConnection: positive(128, 'Channels one connection may subscribe to; beyond gets error 106. Per app: settings `limits`.'),
  maxConnectionsPerUser: zeroOff(0, 'Live connections one user may hold cluster-wide (all devices); one more is closed with 3504 "connection limit" (the SDKs stop reconnecting). Leave room for a dropped connection the server has not noticed yet. 0 = no limit. Per app: settings `limits`.'),
  maxConnectionsPerApp: zeroOff(0, 'Live connections one app may hold cluster-wide; beyond, connect gets error 106 marked temporary (the SDKs retry with backoff). 0 = no limit. Per app: settings `limits`.'),
  connectsPerIpPerMinute: zeroOff(0, 'Connection attempts one client IP may make to one app per minute; beyond, error 111 (temporary). 0 = off.'),
  publishesPerUserPerSecond: zeroOff(0, 'Publishes one user may make per second (all their connections, cluster-wide); beyond, error 111 (temporary). Costs one limiter call per publish (a Redis round trip in a cluster). 0 = off.'),
  publishesPerChannelPerSecond: zeroOff(0, 'Publishes per second into one channel (users and the backend together); beyond, error 111 / HTTP 429. 0 = off.'),
  maxMembersPerChannel: zeroOff(0, 'Members one channel may have; adding past it gets error 106 and adds nobody. 0 = no limit.'),
  maxPresenceSize: zeroOff(0, 'Connections a channel\'s presence may list; a client `subscribe` past it gets error 106 (server-side subscriptions of members are not refused). 0 = no limit.'),
  maxChannelNameLength: positive(255, 'Longest channel name.'),
  maxErrorsPerConnection: positive(20, 'Malformed or refused commands tolerated per connection before closing with 3509.'),
  maxCommandsPerSecond: zeroOff(1000, 'Commands per second per connection (token bucket, burst = 2×); beyond gets error 111. 0 = off.'),
  maxWriteBufferBytes: positive(4 * 1024 * 1024, 'Bytes queued to one socket before it is cut off as a slow consumer (3008). Higher tolerates slow links, costs memory.'),
  maxMessagesPerFrame: positive(256, 'Replies/pushes gathered into one frame at most.'),
  maxHistoryLimit: positive(1000, 'Largest `limit` for history and unread fetches.'),
  maxReplyBytes: positive(2 * 1024 * 1024, 'Most payload bytes in one history page, unread fetch or recovery reply. A history page stops early (the client pages on); a recovery that would need more answers `recovered: false` (the client reads history). At most maxWriteBufferBytes.'),
  maxRecoveryPublications: positive(10_000, 'Most publications a resubscribe may recover; beyond, `recovered: false`.'),
  maxStoreBatch: positive(1000, 'Largest batch written to the store in one transaction (group commit).'),
};
