import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../../domain/context.ts';
import { requireAdmin } from '../guards.ts';
import { Errors } from '../../errors.ts';
import { AppParams } from '../../protocol/schemas.ts';
import { LIMIT_NAMES, LimitsSchema, effectiveLimits } from '../../protocol/app-settings.ts';
import { defaultLimits } from '../../limits/app-limits.ts';

const Limits = Type.Object(Object.fromEntries(LIMIT_NAMES.map((n) => [n, Type.Integer()])));

/** GET /v1/admin/apps/:app/limits: every limit in effect for the app, and which are its own overrides. */
export function limitRoutes(base: FastifyInstance, core: Core, adminToken: string): void {
  const http = base.withTypeProvider<TypeBoxTypeProvider>();
  http.get('/v1/admin/apps/:app/limits', {
    schema: {
      security: [{ admin: [] }], tags: ['admin'], params: AppParams, summary: "An app's limits in effect (config defaults with the app's overrides)",
      response: { 200: Type.Object({ limits: Limits, overrides: LimitsSchema }) },
    },
  }, async (req) => {
    requireAdmin(req, adminToken);
    const app = await core.store.apps.get(req.params.app);
    if (!app) throw Errors.notFound.with('no such app');
    const overrides = Object.fromEntries(Object.entries(app.settings.limits ?? {}).filter(([, v]) => typeof v === 'number'));
    return { limits: effectiveLimits(defaultLimits(core.config), overrides), overrides };
  });
}
