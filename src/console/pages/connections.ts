import { h, mount, table, toast } from '../dom.ts';
import type { Ctx } from '../ctx.ts';

interface Conn { client: string; user: string; device: string; node: string; channels: string[] }

const REFRESH_MS = 3000;

/**
 * Live connections of the app on every node (GET /connections gathers them cluster-wide), who is
 * present in which channel, and a Disconnect button per connection (POST /disconnect).
 */
export async function connectionsPage(root: HTMLElement, ctx: Ctx): Promise<void> {
  const list = h('div', { id: 'connections' });
  const presence = h('div', { id: 'presence' });
  const stamp = h('span', { class: 'muted' });
  const auto = h('input', { type: 'checkbox', id: 'auto-refresh', checked: true });
  const reason = h('input', { id: 'kick-reason', placeholder: 'reason (optional)', maxlength: 123 });
  const reconnect = h('input', { type: 'checkbox', id: 'kick-reconnect' });

  const kick = async (c: Conn) => {
    const body: Record<string, unknown> = { client: c.client };
    if (reconnect.checked) body.code = 3011;
    if (reason.value.trim()) body.reason = reason.value.trim();
    const r = await ctx.api('POST', '/disconnect', body);
    toast(r.matched ? `Disconnected ${c.user}/${c.device} (${r.code} ${r.reason})` : 'That connection was already gone');
    await load();
  };

  const load = async () => {
    const { connections } = (await ctx.api('GET', '/connections')) as { connections: Conn[] };
    connections.sort((a, b) => a.user.localeCompare(b.user) || a.device.localeCompare(b.device));
    mount(list, table(['user', 'device', 'node', 'channels', 'client', ''], connections, (c) => [
      h('strong', null, c.user), c.device, c.node, c.channels.join(', '), h('span', { class: 'mono' }, c.client),
      h('button', { class: 'danger', 'data-client': c.client, onclick: () => void kick(c).catch(fail) }, 'Disconnect'),
    ], 'No live connections.', (c) => ({ 'data-client': c.client, 'data-user': c.user })));
    const byChannel = new Map<string, Set<string>>();
    for (const c of connections) for (const ch of c.channels) (byChannel.get(ch) ?? byChannel.set(ch, new Set()).get(ch)!).add(c.user);
    const rows = [...byChannel.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    mount(presence, table(['channel', 'online users'], rows, ([ch, users]) => [
      h('a', { href: `#/channels?open=${encodeURIComponent(ch)}` }, ch), [...users].sort().join(', '),
    ], 'Nobody is subscribed anywhere.'));
    stamp.textContent = `${connections.length} connection(s) · ${new Date().toLocaleTimeString()}`;
  };

  const timer = setInterval(() => { if (auto.checked) void load().catch(() => undefined); }, REFRESH_MS);
  ctx.onLeave(() => clearInterval(timer));
  mount(root,
    h('h2', null, 'Connections'),
    h('div', { class: 'row' }, h('button', { class: 'plain', onclick: () => void load().catch(fail) }, 'Refresh'),
      h('label', null, auto, ' auto-refresh'), stamp),
    h('div', { class: 'row' }, h('span', { class: 'muted' }, 'Disconnect with:'), reason, h('label', null, reconnect, ' let it reconnect (3011)')),
    list,
    h('h3', null, 'Presence by channel (from the connections above)'),
    presence);
  await load();
}

function fail(err: Error): void {
  toast(err.message, true);
}
