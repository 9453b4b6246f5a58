import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Core } from '../../domain/context.ts';
import type { ConnectionView } from './connections.ts';
import { requireApiKey } from '../guards.ts';
import { AppParams, UserId, DeviceId } from '../../protocol/schemas.ts';
import { checkFilter, disconnectConnections, matchesFilter, MIN_KICK_CODE, MAX_KICK_CODE, type ConnectionFilter } from '../../domain/kick.ts';
import { Disconnect, Disconnects, isReconnectCode } from '../../disconnect.ts';
import { Errors } from '../../errors.ts';
import { DisconnectResult } from '../../protocol/http.ts';

/** A connection id as the connect reply and GET /connections show it. */
const ClientId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:\\-]+$' });
/** The WebSocket close frame holds at most 123 bytes of reason; checked in bytes below. */
const Reason = Type.String({ minLength: 1, maxLength: 123, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
const MAX_REASON_BYTES = 123;

export const DisconnectBody = Type.Object({
  client: Type.Optional(ClientId),
  user: Type.Optional(UserId),
  device: Type.Optional(DeviceId),
  code: Type.Optional(Type.Integer({ minimum: MIN_KICK_CODE, maximum: MAX_KICK_CODE })),
  reason: Type.Optional(Reason),
}, { additionalProperties: false });

type Body = ConnectionFilter & { code?: number; reason?: string };

/**
 * `POST /v1/apps/:app/disconnect` (app secret): closes one connection, all of a user's, or one
 * device's, on whichever nodes hold them (domain/kick.ts, through the broker's control topic).
 * Answers with how many matching connections the cluster listed at that moment.
 */
export function disconnectRoutes(http: FastifyInstance, core: Core, list: (app: string, secret: string) => Promise<ConnectionView[]>): void {
  http.post('/v1/apps/:app/disconnect', { schema: { security: [{ apiKey: [] }], tags: ['server'], params: AppParams, body: DisconnectBody, summary: "Close one connection, a user's or one device's, cluster-wide (code 3000-4999: reconnect or not)", response: { 200: DisconnectResult } } }, async (req) => {
    const { app } = req.params as { app: string };
    const a = await requireApiKey(core, req, app);
    const b = req.body as Body;
    const filter: ConnectionFilter = { client: b.client, user: b.user, device: b.device };
    checkFilter(filter);
    if (b.reason !== undefined && Buffer.byteLength(b.reason) > MAX_REASON_BYTES) throw Errors.badRequest.with(`reason: at most ${MAX_REASON_BYTES} bytes of UTF-8`);
    const d = b.code === undefined && b.reason === undefined
      ? Disconnects.forceDisconnect
      : new Disconnect(b.code ?? Disconnects.forceDisconnect.code, b.reason ?? (isReconnectCode(b.code!) ? 'force reconnect' : 'force disconnect'));
    const matched = (await list(app, a.secret)).filter((c) => matchesFilter({ id: c.client, user: c.user, device: c.device }, filter)).length;
    await disconnectConnections(core, app, filter, d);
    return { matched, code: d.code, reason: d.reason, reconnect: d.reconnect };
  });
}
