import { enc } from '../api.ts';
import { h, mount, table, time, json, toast } from '../dom.ts';
import type { Ctx } from '../ctx.ts';

interface ChannelView { channel: string; type: 'members' | 'open'; data: unknown; owner: string | null; offset: number; epoch: string; createdAt: number; members?: string[] }
interface PresenceEntry { user: string; client: string; device: string }

/** Every channel of the app (paged, by prefix); one channel's members, presence and data; create and delete. */
export async function channelsPage(root: HTMLElement, ctx: Ctx): Promise<void> {
  const prefix = h('input', { id: 'channel-prefix', placeholder: 'name prefix' });
  const list = h('div');
  const more = h('div');
  const detail = h('div', { id: 'channel-detail' });
  const newName = h('input', { id: 'new-channel-name', placeholder: 'channel name' });
  const newType = h('select', { id: 'new-channel-type' }, h('option', { value: 'members' }, 'members'), h('option', { value: 'open' }, 'open'));
  const newMembers = h('input', { id: 'new-channel-members', placeholder: 'members: alice, bob' });
  let rows: ChannelView[] = [];

  const page = async (cursor?: string) => {
    const q = new URLSearchParams({ limit: '50' });
    if (prefix.value) q.set('prefix', prefix.value);
    if (cursor) q.set('cursor', cursor);
    const r = (await ctx.api('GET', `/channels?${q}`)) as { channels: ChannelView[]; next?: string };
    rows = cursor ? [...rows, ...r.channels] : r.channels;
    mount(list, table(['channel', 'type', 'messages', 'created', ''], rows, (c) => [
      h('strong', null, c.channel), c.type, String(c.offset), time(c.createdAt),
      h('span', { class: 'row' },
        h('button', { class: 'plain', onclick: () => void show(c.channel).catch(fail) }, 'Open'),
        h('button', { class: 'plain', onclick: () => ctx.go('inspector', { channel: c.channel }) }, 'Inspect')),
    ], 'No channels match.'));
    mount(more, r.next ? h('button', { class: 'plain', onclick: () => void page(r.next).catch(fail) }, 'More') : null);
  };

  const show = async (name: string) => {
    const [c, p] = await Promise.all([
      ctx.api('GET', `/channels/${enc(name)}`) as Promise<ChannelView>,
      ctx.api('GET', `/channels/${enc(name)}/presence`) as Promise<{ presence: Record<string, PresenceEntry> }>,
    ]);
    const present = Object.values(p.presence);
    const onlineUsers = new Set(present.map((x) => x.user));
    const add = h('input', { id: 'add-members', placeholder: 'add: carol, dave' });
    const addMembers = async (e: Event) => {
      e.preventDefault();
      const users = splitList(add.value);
      if (!users.length) return;
      const r = await ctx.api('POST', `/channels/${enc(name)}/members`, { users });
      toast(`Added ${r.added.length} member(s)`);
      await show(name);
    };
    const remove = async (user: string) => {
      await ctx.api('DELETE', `/channels/${enc(name)}/members`, { users: [user] });
      await show(name);
    };
    const del = async () => {
      if (!confirm(`Delete channel ${name} with all its messages?`)) return;
      await ctx.api('DELETE', `/channels/${enc(name)}`);
      toast(`Deleted ${name}`);
      mount(detail);
      await page();
    };
    mount(detail, h('div', { class: 'card' },
      h('div', { class: 'row' }, h('h3', null, c.channel), h('span', { class: 'muted' }, `${c.type} · owner ${c.owner ?? '(backend)'} · epoch ${c.epoch} · ${c.offset} messages`),
        h('button', { class: 'plain', onclick: () => ctx.go('inspector', { channel: name }) }, 'Inspect'),
        h('button', { class: 'danger', onclick: () => void del().catch(fail) }, 'Delete')),
      h('h3', null, `Presence (${present.length} connection(s))`),
      table(['user', 'device', 'client'], present, (x) => [x.user, x.device, h('span', { class: 'mono' }, x.client)], 'Nobody online in this channel.'),
      c.type === 'members'
        ? [h('h3', null, `Members (${c.members?.length ?? 0})`),
          table(['user', ''], c.members ?? [], (u) => [
            h('span', null, h('span', { class: onlineUsers.has(u) ? 'dot on' : 'dot' }), h('a', { href: `#/users?open=${enc(u)}` }, u)),
            h('button', { class: 'plain', onclick: () => void remove(u).catch(fail) }, 'Remove'),
          ], 'No members.'),
          h('form', { class: 'row', onsubmit: (e: Event) => void addMembers(e).catch(fail) }, add, h('button', { type: 'submit' }, 'Add members'))]
        : h('p', { class: 'muted' }, 'Open channel: any user of the app may join; no member list.'),
      h('h3', null, 'Data'), json(c.data)));
  };

  const create = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { channel: newName.value.trim(), type: newType.value };
    const members = splitList(newMembers.value);
    if (members.length) body.members = members;
    await ctx.api('POST', '/channels', body);
    toast(`Created ${body.channel as string}`);
    newName.value = '';
    newMembers.value = '';
    await page();
  };

  mount(root,
    h('h2', null, 'Channels'),
    h('form', { class: 'row', onsubmit: (e: Event) => { e.preventDefault(); void page().catch(fail); } }, prefix, h('button', { type: 'submit' }, 'Filter')),
    list, more, detail,
    h('div', { class: 'card' }, h('h3', null, 'New channel'),
      h('form', { class: 'row', onsubmit: (e: Event) => void create(e).catch(fail) }, newName, newType, newMembers, h('button', { type: 'submit', id: 'create-channel' }, 'Create'))));
  await page();
  const open = ctx.params.get('open');
  if (open) await show(open);
}

function splitList(s: string): string[] {
  return s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
}

function fail(err: Error): void {
  toast(err.message, true);
}
