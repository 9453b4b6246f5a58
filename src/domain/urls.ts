import { Errors } from '../errors.ts';
import type { AppSettings } from '../protocol/app-settings.ts';

/**
 * URLs an admin configures are checked when they are set, with the parser that later uses them
 * (WHATWG URL, as fetch and web-push do): the schemas' patterns only say `https://…`, and
 * `https://[oops` passed them, was stored, and failed at every delivery instead of at the PATCH.
 */
export function checkUrl(field: string, value: string, schemes: readonly string[]): void {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw Errors.badRequest.with(`${field}: not a valid URL`);
  }
  if (!schemes.includes(u.protocol)) throw Errors.badRequest.with(`${field}: must be ${schemes.map((s) => s + (s === 'mailto:' ? '' : '//')).join(' or ')}`);
  if (u.protocol !== 'mailto:' && !u.hostname) throw Errors.badRequest.with(`${field}: the URL has no host`);
}

const HTTP = ['http:', 'https:'] as const;

/** The backend URLs of app settings ('' means off and is fine). */
export function checkSettingsUrls(s: AppSettings): void {
  for (const [k, v] of Object.entries(s.proxy)) if (k.endsWith('Url') && typeof v === 'string' && v !== '') checkUrl(`proxy.${k}`, v, HTTP);
  if (s.webhooks.url !== '') checkUrl('webhooks.url', s.webhooks.url, HTTP);
}
