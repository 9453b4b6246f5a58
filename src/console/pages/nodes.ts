import { enc, publicApi } from '../api.ts';
import { h, mount, table, time, toast } from '../dom.ts';
import type { Ctx } from '../ctx.ts';

interface NodeInfo { id: string; url: string; role: string; connections: number; updatedAt: number }

/**
 * The live channel nodes with their load and their share of the consistent-hashing ring (admin
 * token), and where a channel or a user lands (the public assignment endpoints the SDK asks).
 */
export async function nodesPage(root: HTMLElement, ctx: Ctx): Promise<void> {
  const nodes = h('div', { id: 'nodes' });
  const ring = h('div', { id: 'ring' });
  const key = h('input', { id: 'ring-key', placeholder: 'channel or user' });
  const kind = h('select', null, h('option', { value: 'channel' }, 'channel'), h('option', { value: 'user' }, 'user'));
  const where = h('span', { id: 'ring-answer' });

  const lookup = async (e: Event) => {
    e.preventDefault();
    if (!ctx.app) return void (where.textContent = 'choose an app first');
    const path = kind.value === 'user' ? `/node/${enc(ctx.app.id)}/user/${enc(key.value)}` : `/node/${enc(ctx.app.id)}/${enc(key.value)}`;
    const r = (await publicApi(path)) as { node: { id: string; url: string } };
    where.textContent = `→ ${r.node.id} (${r.node.url})`;
  };

  mount(root, h('h2', null, 'Nodes and the hashing ring'), nodes, ring,
    h('div', { class: 'card' }, h('h3', null, 'Where does it land?'),
      h('form', { class: 'row', onsubmit: (e: Event) => void lookup(e).catch((err: Error) => { where.textContent = err.message; }) }, kind, key, h('button', { type: 'submit' }, 'Look up'), where)));

  if (ctx.login.kind !== 'admin') {
    mount(nodes, h('p', { class: 'muted' }, 'The node list and the ring need the admin token; the lookup below works with any login.'));
    return;
  }
  try {
    const [n, r] = await Promise.all([
      ctx.admin('GET', '/v1/nodes') as Promise<{ nodes: NodeInfo[] }>,
      ctx.admin('GET', '/v1/admin/ring') as Promise<{ vnodes: number; nodes: { id: string; share: number }[] }>,
    ]);
    const share = new Map(r.nodes.map((x) => [x.id, x.share]));
    mount(nodes, table(['node', 'role', 'url', 'connections', 'seen', 'ring share'], n.nodes, (x) => [
      h('strong', null, x.id), x.role, h('span', { class: 'mono' }, x.url), String(x.connections), time(x.updatedAt),
      shareBar(share.get(x.id)),
    ], 'No live channel nodes.'));
    mount(ring, h('p', { class: 'muted' }, `Ring: ${r.nodes.length} node(s) × ${r.vnodes} points each; a channel or user belongs to the first point at or after its hash.`));
  } catch (err) {
    toast((err as Error).message, true);
  }
}

function shareBar(share: number | undefined): HTMLElement {
  if (share === undefined) return h('span', { class: 'muted' }, 'not in this server\'s ring');
  const pct = (share * 100).toFixed(1) + '%';
  const fill = h('span');
  fill.style.width = pct; // CSSOM, not a style attribute: the page's CSP allows no inline styles
  return h('span', { class: 'row' }, h('span', { class: 'bar' }, fill), pct);
}
