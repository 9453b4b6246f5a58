import { h, mount, table, time, json, toast } from '../dom.ts';
import type { Ctx } from '../ctx.ts';

interface AppView {
  id: string;
  name: string;
  key: string;
  secret?: string;
  settings: unknown;
  createdAt: number;
}

/** Apps (admin token): create, choose the one the other pages work on, show its details, delete. */
export async function appsPage(root: HTMLElement, ctx: Ctx): Promise<void> {
  const list = h('div');
  const detail = h('div');
  const name = h('input', { id: 'new-app-name', placeholder: 'name', maxlength: 128 });
  const created = h('div');

  const use = async (id: string) => {
    const a = (await ctx.admin('GET', `/v1/admin/apps/${encodeURIComponent(id)}`)) as AppView;
    ctx.setApp({ id: a.id, name: a.name, secret: a.secret! });
    toast(`Working on ${a.name} (${a.id})`);
    ctx.go('channels');
  };
  const show = async (id: string) => {
    const a = (await ctx.admin('GET', `/v1/admin/apps/${encodeURIComponent(id)}`)) as AppView;
    const secret = h('span', { class: 'secret' }, '••••••••');
    mount(detail, h('div', { class: 'card', id: 'app-detail' },
      h('h3', null, `${a.name} `, h('span', { class: 'mono muted' }, a.id)),
      h('p', null, 'Public key: ', h('span', { class: 'secret' }, a.key)),
      h('p', null, 'Secret: ', secret, ' ', h('button', { class: 'plain', onclick: () => { secret.textContent = a.secret ?? ''; } }, 'Reveal')),
      h('p', null, `Created ${time(a.createdAt)}`),
      h('h3', null, 'Settings'), json(a.settings)));
  };
  const remove = async (a: AppView) => {
    if (!confirm(`Delete app ${a.name} (${a.id}) and everything in it? Its connections close.`)) return;
    await ctx.admin('DELETE', `/v1/admin/apps/${encodeURIComponent(a.id)}`);
    if (ctx.app?.id === a.id) ctx.setApp(undefined);
    toast(`Deleted ${a.name}`);
    ctx.go('apps');
  };
  const load = async () => {
    const { apps } = (await ctx.admin('GET', '/v1/admin/apps')) as { apps: AppView[] };
    mount(list, table(['name', 'id', 'created', ''], apps, (a) => [
      a.name, h('span', { class: 'mono' }, a.id), time(a.createdAt),
      h('span', { class: 'row' },
        h('button', { onclick: () => void use(a.id).catch(fail) }, ctx.app?.id === a.id ? 'In use' : 'Use'),
        h('button', { class: 'plain', onclick: () => void show(a.id).catch(fail) }, 'Show'),
        h('button', { class: 'danger', onclick: () => void remove(a).catch(fail) }, 'Delete')),
    ], 'No apps yet: create one.', (a) => ({ 'data-app': a.id })));
  };
  const create = async (e: Event) => {
    e.preventDefault();
    const a = (await ctx.admin('POST', '/v1/admin/apps', { name: name.value.trim() })) as AppView;
    name.value = '';
    mount(created, h('div', { class: 'card', id: 'app-created' },
      h('p', null, h('strong', null, `Created ${a.name}`), ' — keep the secret on your backend; it is shown again only here and on "Show".'),
      h('p', null, 'id ', h('span', { class: 'secret', id: 'created-app-id' }, a.id)),
      h('p', null, 'key ', h('span', { class: 'secret' }, a.key)),
      h('p', null, 'secret ', h('span', { class: 'secret', id: 'created-app-secret' }, a.secret ?? '')),
      h('button', { onclick: () => void use(a.id).catch(fail) }, 'Use this app')));
    await load();
  };
  mount(root,
    h('h2', null, 'Apps'),
    h('form', { class: 'row', onsubmit: (e: Event) => void create(e).catch(fail) }, name, h('button', { type: 'submit', id: 'create-app' }, 'Create app')),
    created, list, detail);
  await load();
}

function fail(err: Error): void {
  toast(err.message, true);
}
