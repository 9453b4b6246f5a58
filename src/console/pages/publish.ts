import { h, mount, json, toast } from '../dom.ts';
import type { Ctx } from '../ctx.ts';

/** Publishes through the server API (POST /publish) and shows the stored ack or the error as the API gives it. */
export function publishPage(root: HTMLElement, ctx: Ctx): void {
  const channel = h('input', { id: 'pub-channel', placeholder: 'channel', value: ctx.params.get('channel') ?? '' });
  const event = h('input', { id: 'pub-event', placeholder: 'event (optional)' });
  const id = h('input', { id: 'pub-id', placeholder: 'message id (optional, idempotent)' });
  const sender = h('input', { id: 'pub-sender', placeholder: 'as user (optional)' });
  const data = h('textarea', { id: 'pub-data' });
  data.value = '{\n  "text": "hello from the console"\n}';
  const out = h('div', { id: 'pub-result' });

  const send = async (e: Event) => {
    e.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.value);
    } catch (err) {
      mount(out, h('p', { class: 'bad' }, `data is not JSON: ${(err as Error).message}`));
      return;
    }
    const body: Record<string, unknown> = { channel: channel.value.trim(), data: parsed };
    if (event.value.trim()) body.event = event.value.trim();
    if (id.value.trim()) body.id = id.value.trim();
    if (sender.value.trim()) body.sender = sender.value.trim();
    const started = performance.now();
    try {
      const ack = await ctx.api('POST', '/publish', body);
      mount(out, h('p', { class: 'ok' }, `Stored at offset ${ack.offset} in ${Math.round(performance.now() - started)} ms`), json(ack),
        h('p', null, h('a', { href: `#/inspector?channel=${encodeURIComponent(String(body.channel))}` }, 'See it in the inspector')));
    } catch (err) {
      mount(out, h('p', { class: 'bad' }, `Refused: ${(err as Error).message}`));
    }
  };
  mount(root,
    h('h2', null, 'Publish tester'),
    h('form', { class: 'card', onsubmit: (e: Event) => void send(e).catch((err: Error) => toast(err.message, true)) },
      h('div', { class: 'row' }, channel, event, id, sender),
      h('label', { for: 'pub-data', class: 'muted' }, 'data (JSON)'), data,
      h('p', null, h('button', { type: 'submit', id: 'pub-send' }, 'Publish'))),
    out);
}
