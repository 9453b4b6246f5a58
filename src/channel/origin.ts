/**
 * The browser Origin check of the connection endpoints (WebSocket upgrade, HTTP streaming, SSE,
 * emulation), as Centrifugo's `allowed_origins`. Requests without an Origin header are not from a
 * browser page and pass. Patterns: an exact origin (`https://app.example.com`), a wildcard for one
 * host label or more (`https://*.example.com`), or `*` for any.
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || origin === '') return true;
  const o = origin.toLowerCase();
  for (const pattern of allowed) {
    const p = pattern.toLowerCase();
    if (p === '*' || p === o) return true;
    const star = p.indexOf('*');
    if (star !== -1 && o.startsWith(p.slice(0, star)) && o.endsWith(p.slice(star + 1)) && o.length > p.length - 1) {
      // The wildcard covers host labels only: no scheme, port or path separators inside it.
      const covered = o.slice(star, o.length - (p.length - star - 1));
      if (!/[/:@?#]/.test(covered)) return true;
    }
  }
  return false;
}
