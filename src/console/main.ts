import { adminApi, appApi, loadSaved, save, ApiError, type CurrentApp, type Saved } from './api.ts';
import { h, mount, toast } from './dom.ts';
import type { Ctx, Page } from './ctx.ts';
import { loginPage } from './pages/login.ts';
import { appsPage } from './pages/apps.ts';
import { usersPage } from './pages/users.ts';
import { channelsPage } from './pages/channels.ts';
import { connectionsPage } from './pages/connections.ts';
import { inspectorPage } from './pages/inspector.ts';
import { publishPage } from './pages/publish.ts';
import { nodesPage } from './pages/nodes.ts';
import { metricsPage } from './pages/metrics.ts';

/**
 * The XPUSH admin console: plain TypeScript and DOM, one bundle, served by XPUSH at /admin. Routes
 * live in the URL hash (`#/channels`); the login lives in sessionStorage.
 */
interface Route {
  title: string;
  page: Page;
  /** Needs an app chosen (per-app pages). */
  perApp?: boolean;
  /** Needs the admin token. */
  adminOnly?: boolean;
}

const ROUTES: Record<string, Route> = {
  apps: { title: 'Apps', page: appsPage, adminOnly: true },
  users: { title: 'Users', page: usersPage, perApp: true },
  channels: { title: 'Channels', page: channelsPage, perApp: true },
  connections: { title: 'Connections', page: connectionsPage, perApp: true },
  inspector: { title: 'Inspector', page: inspectorPage, perApp: true },
  publish: { title: 'Publish', page: publishPage, perApp: true },
  nodes: { title: 'Nodes', page: nodesPage },
  metrics: { title: 'Metrics', page: metricsPage },
};

let saved: Saved | undefined = loadSaved();
let leave: (() => void)[] = [];

function parseHash(): { name: string; params: URLSearchParams } {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  return { name: path || '', params: new URLSearchParams(query ?? '') };
}

function go(route: string, params?: Record<string, string>): void {
  const q = params ? new URLSearchParams(params).toString() : '';
  const next = `#/${route}${q ? '?' + q : ''}`;
  if (location.hash === next) render();
  else location.hash = next;
}

function logout(): void {
  saved = undefined;
  save(undefined);
  location.hash = '';
  render();
}

function render(): void {
  for (const fn of leave.splice(0)) fn();
  const root = document.getElementById('root')!;
  if (!saved) {
    loginPage(root, (s) => {
      saved = s;
      save(s);
      go(s.login.kind === 'admin' ? 'apps' : 'channels');
    });
    return;
  }
  const s = saved;
  const { name, params } = parseHash();
  const fallback = s.login.kind === 'admin' ? 'apps' : 'channels';
  const route = ROUTES[name] ?? ROUTES[fallback]!;
  const current = ROUTES[name] ? name : fallback;
  const ctx: Ctx = {
    login: s.login,
    app: s.app,
    setApp(app: CurrentApp | undefined) {
      s.app = app;
      save(s);
    },
    admin(method, path, body) {
      if (s.login.kind !== 'admin') return Promise.reject(new ApiError(401, 101, 'needs the admin token: log in as admin'));
      return adminApi(s.login.token, method, path, body);
    },
    api(method, path, body) {
      if (!s.app) return Promise.reject(new ApiError(400, 107, 'choose an app first'));
      return appApi(s.app, method, path, body);
    },
    params,
    go,
    onLeave(fn) {
      leave.push(fn);
    },
  };
  const main = h('main', { id: 'page' });
  mount(root,
    header(s),
    h('div', { class: 'layout' },
      h('nav', { class: 'side' }, Object.entries(ROUTES).map(([key, r]) => {
        const off = (r.adminOnly && s.login.kind !== 'admin') || (r.perApp && !s.app);
        return h('a', { href: `#/${key}`, class: [key === current ? 'active' : '', off ? 'off' : ''].join(' ').trim() || null }, r.title);
      })),
      main));
  if (route.adminOnly && s.login.kind !== 'admin') {
    mount(main, h('p', { class: 'muted' }, `${route.title} needs the admin token.`));
    return;
  }
  if (route.perApp && !s.app) {
    mount(main, h('p', { class: 'muted' }, 'Choose an app on the ', h('a', { href: '#/apps' }, 'Apps'), ' page first.'));
    return;
  }
  Promise.resolve(route.page(main, ctx)).catch((err: Error) => {
    main.appendChild(h('p', { class: 'bad' }, err.message));
    if (err instanceof ApiError && err.status === 401) toast('The server refused the credential: log in again.', true);
  });
}

function header(s: Saved): HTMLElement {
  const who = s.login.kind === 'admin' ? 'admin' : `app ${s.login.app}`;
  return h('header', { class: 'top' },
    h('h1', null, 'XPUSH console'),
    s.app ? h('span', { id: 'current-app' }, 'app: ', h('strong', null, s.app.name ? `${s.app.name} (${s.app.id})` : s.app.id)) : h('span', { class: 'muted' }, 'no app chosen'),
    h('span', { class: 'who' }, h('span', null, `logged in as ${who}`), h('button', { class: 'plain', onclick: logout }, 'Log out')));
}

window.addEventListener('hashchange', render);
render();
