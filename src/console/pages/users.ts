import { enc } from '../api.ts';
import { h, mount, table, time, json, toast } from '../dom.ts';
import type { Ctx } from '../ctx.ts';

interface UserView { user: string; profile: unknown; privateProfile: unknown }
interface Device { device: string; session: string | null; online: boolean; createdAt?: number; expiresAt?: number; pushToken?: string | null }

/** Users of the app by id prefix, paged; one user's profiles, devices (online or not) and channels. */
export async function usersPage(root: HTMLElement, ctx: Ctx): Promise<void> {
  const prefix = h('input', { id: 'user-prefix', placeholder: 'user id prefix', value: ctx.params.get('prefix') ?? '' });
  const list = h('div');
  const more = h('div');
  const detail = h('div', { id: 'user-detail' });
  let rows: UserView[] = [];

  const page = async (cursor?: string) => {
    const q = new URLSearchParams({ limit: '50' });
    if (prefix.value) q.set('prefix', prefix.value);
    if (cursor) q.set('cursor', cursor);
    const r = (await ctx.api('GET', `/users?${q}`)) as { users: UserView[]; next?: string };
    rows = cursor ? [...rows, ...r.users] : r.users;
    mount(list, table(['user', 'profile', ''], rows, (u) => [
      h('strong', null, u.user), h('span', { class: 'mono' }, JSON.stringify(u.profile)),
      h('button', { class: 'plain', onclick: () => void show(u.user).catch(fail) }, 'Open'),
    ], 'No users match.'));
    mount(more, r.next ? h('button', { class: 'plain', onclick: () => void page(r.next).catch(fail) }, 'More') : null);
  };

  const kick = async (body: Record<string, string>, what: string) => {
    const r = await ctx.api('POST', '/disconnect', body);
    toast(`Disconnected ${what}: ${r.matched} connection(s)`);
  };

  const show = async (user: string) => {
    const [u, d, unread] = await Promise.all([
      ctx.api('GET', `/users/${enc(user)}`) as Promise<UserView>,
      ctx.api('GET', `/users/${enc(user)}/devices`) as Promise<{ devices: Device[] }>,
      ctx.api('GET', `/users/${enc(user)}/unread`) as Promise<{ channels: { channel: string; unread: number; offset: number }[] }>,
    ]);
    mount(detail, h('div', { class: 'card' },
      h('div', { class: 'row' }, h('h3', null, u.user),
        h('button', { class: 'danger', onclick: () => void kick({ user }, user).catch(fail) }, 'Disconnect all')),
      h('div', { class: 'grid' }, h('div', null, h('h3', null, 'Profile'), json(u.profile)), h('div', null, h('h3', null, 'Private profile'), json(u.privateProfile))),
      h('h3', null, 'Devices'),
      table(['device', 'session', 'logged in', 'expires', ''], d.devices, (x) => [
        h('span', null, h('span', { class: x.online ? 'dot on' : 'dot' }), x.device),
        x.session ? h('span', { class: 'mono' }, x.session) : h('span', { class: 'muted' }, 'token from the backend'),
        time(x.createdAt), time(x.expiresAt),
        x.online ? h('button', { class: 'danger', onclick: () => void kick({ user, device: x.device }, `${user}/${x.device}`).catch(fail) }, 'Disconnect') : '',
      ], 'No devices (never logged in, no connection).'),
      h('h3', null, 'Channels'),
      table(['channel', 'unread', 'newest offset'], unread.channels, (c) => [
        h('a', { href: `#/channels?open=${enc(c.channel)}` }, c.channel), String(c.unread), String(c.offset),
      ], 'Member of no channel.')));
  };

  mount(root,
    h('h2', null, 'Users'),
    h('form', { class: 'row', onsubmit: (e: Event) => { e.preventDefault(); void page().catch(fail); } }, prefix, h('button', { type: 'submit' }, 'Search')),
    list, more, detail);
  await page();
  const open = ctx.params.get('open');
  if (open) await show(open);
}

function fail(err: Error): void {
  toast(err.message, true);
}
