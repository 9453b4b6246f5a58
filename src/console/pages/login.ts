import { adminApi, appApi, type Saved } from '../api.ts';
import { h, mount } from '../dom.ts';

/**
 * Log in with the admin token (every app) or an app id and its secret (that app only). The
 * credential is checked against the server before it is kept.
 */
export function loginPage(root: HTMLElement, done: (s: Saved) => void): void {
  let mode: 'admin' | 'app' = 'admin';
  const error = h('p', { class: 'bad', id: 'login-error' });
  const token = h('input', { id: 'login-token', type: 'password', autocomplete: 'off', placeholder: 'adm_…' });
  const appId = h('input', { id: 'login-app', autocomplete: 'off', placeholder: 'app_…' });
  const secret = h('input', { id: 'login-secret', type: 'password', autocomplete: 'off', placeholder: 'sk_…' });
  const fields = h('div');
  const tabs = h('div', { class: 'tabs' });
  const draw = () => {
    mount(tabs,
      h('button', { type: 'button', class: mode === 'admin' ? 'on' : null, onclick: () => { mode = 'admin'; draw(); } }, 'Admin token'),
      h('button', { type: 'button', class: mode === 'app' ? 'on' : null, onclick: () => { mode = 'app'; draw(); } }, 'App secret'));
    mount(fields, mode === 'admin'
      ? [h('label', { for: 'login-token' }, 'Admin token'), token, h('p', { class: 'muted' }, 'In <dataDir>/admin-token on the server, or the adminToken setting.')]
      : [h('label', { for: 'login-app' }, 'App id'), appId, h('label', { for: 'login-secret' }, 'App secret'), secret]);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    error.textContent = '';
    try {
      if (mode === 'admin') {
        const t = token.value.trim();
        await adminApi(t, 'GET', '/v1/admin/apps');
        done({ login: { kind: 'admin', token: t } });
      } else {
        const app = { id: appId.value.trim(), secret: secret.value.trim() };
        await appApi(app, 'GET', '/channels?limit=1');
        done({ login: { kind: 'app', app: app.id, secret: app.secret }, app });
      }
    } catch (err) {
      error.textContent = `Login failed: ${(err as Error).message}`;
    }
  };
  draw();
  mount(root, h('div', { class: 'login card' },
    h('h2', null, 'XPUSH console'),
    tabs,
    h('form', { onsubmit: submit }, fields, h('p', null, h('button', { type: 'submit', id: 'login-submit' }, 'Log in')), error)));
}
