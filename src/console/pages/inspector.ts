import { enc } from '../api.ts';
import { readStream } from '../sse.ts';
import { h, mount, time, toast } from '../dom.ts';
import type { Ctx } from '../ctx.ts';

interface Pub {
  offset: number;
  data: unknown;
  time?: number;
  tags?: { event?: string; id?: string };
  info?: { user?: string; conn_info?: { device?: string } };
}

const PAGE = 50;

/**
 * A channel's messages: the newest page from history, older pages on demand, and new publications
 * as they are stored, pushed by the server's watch stream (GET /channels/:channel/watch, app secret)
 * — the console follows the channel without being a user, a member or a connection.
 */
export async function inspectorPage(root: HTMLElement, ctx: Ctx): Promise<void> {
  const name = h('input', { id: 'inspect-channel', placeholder: 'channel', value: ctx.params.get('channel') ?? '', list: 'channel-names' });
  const names = h('datalist', { id: 'channel-names' });
  const status = h('span', { id: 'live-status', class: 'muted' }, 'not watching');
  const body = h('tbody', { id: 'messages' });
  const older = h('div');
  let stop: AbortController | undefined;
  let lowest = Infinity;
  let highest = 0;
  ctx.onLeave(() => stop?.abort());

  const row = (p: Pub, fresh: boolean) => h('tr', { class: fresh ? 'fresh' : null, 'data-offset': p.offset },
    h('td', null, String(p.offset)), h('td', null, time(p.time)), h('td', null, p.tags?.event ?? ''),
    h('td', null, p.info?.user || h('span', { class: 'muted' }, 'backend')), h('td', null, p.info?.conn_info?.device ?? ''),
    h('td', null, h('pre', null, JSON.stringify(p.data))));

  const loadOlder = async (channel: string) => {
    const r = (await ctx.api('GET', `/channels/${enc(channel)}/history?limit=${PAGE}&before=${lowest}`)) as { publications: Pub[] };
    for (const p of r.publications) body.appendChild(row(p, false)); // newest first
    if (r.publications.length) lowest = r.publications[r.publications.length - 1]!.offset;
    mount(older, r.publications.length === PAGE && lowest > 1 ? h('button', { class: 'plain', onclick: () => void loadOlder(channel).catch(fail) }, 'Older') : h('p', { class: 'muted' }, 'Start of the channel.'));
  };

  /** Follows the channel from `highest`; reconnects after a time limit or a network drop, missing nothing. */
  const follow = async (channel: string, signal: AbortSignal) => {
    while (!signal.aborted) {
      let ended = '';
      try {
        await readStream(`/v1/apps/${enc(ctx.app!.id)}/channels/${enc(channel)}/watch?after=${highest}`, { 'x-api-key': ctx.app!.secret }, signal, (e) => {
          if (e.event === 'ready') {
            status.textContent = '● live';
            status.className = 'ok';
          } else if (e.event === 'end') {
            ended = (JSON.parse(e.data) as { reason: string }).reason;
          } else if (e.event === 'message') {
            const p = (JSON.parse(e.data) as { pub: Pub }).pub;
            if (p.offset <= highest) return;
            highest = p.offset;
            body.prepend(row(p, true));
          }
        });
      } catch (err) {
        if (signal.aborted) return;
        ended = (err as Error).message;
      }
      if (signal.aborted) return;
      status.textContent = `stopped: ${ended || 'stream closed'}`;
      status.className = 'bad';
      if (ended === 'channel deleted' || ended === 'app deleted' || /unknown channel|does not exist|unauthorized|X-API-Key/i.test(ended)) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  const open = async (e?: Event) => {
    e?.preventDefault();
    const channel = name.value.trim();
    if (!channel) return;
    stop?.abort();
    body.replaceChildren();
    status.textContent = 'loading…';
    status.className = 'muted';
    // The channel's top first, then the page just below it (newest first); the stream continues
    // from that same top, so nothing falls between the two.
    const top = ((await ctx.api('GET', `/channels/${enc(channel)}/history?limit=0`)) as { offset: number }).offset;
    const r = (await ctx.api('GET', `/channels/${enc(channel)}/history?limit=${PAGE}&before=${top + 1}`)) as { publications: Pub[] };
    highest = top;
    lowest = r.publications.length ? r.publications[r.publications.length - 1]!.offset : top + 1;
    for (const p of r.publications) body.appendChild(row(p, false));
    mount(older, r.publications.length === PAGE && lowest > 1 ? h('button', { class: 'plain', onclick: () => void loadOlder(channel).catch(fail) }, 'Older') : null);
    stop = new AbortController();
    void follow(channel, stop.signal);
  };

  mount(root,
    h('h2', null, 'Message inspector'),
    h('form', { class: 'row', onsubmit: (e: Event) => void open(e).catch(fail) }, name, names, h('button', { type: 'submit', id: 'inspect' }, 'Inspect'), status),
    h('table', null, h('thead', null, h('tr', null, ['offset', 'time', 'event', 'user', 'device', 'data'].map((x) => h('th', null, x)))), body),
    older);
  ctx.api('GET', '/channels?limit=100').then((r: { channels: { channel: string }[] }) => {
    mount(names, r.channels.map((c) => h('option', { value: c.channel })));
  }).catch(() => undefined);
  if (name.value) await open();
}

function fail(err: Error): void {
  toast(err.message, true);
}
