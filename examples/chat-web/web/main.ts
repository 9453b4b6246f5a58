import { XPush, type Tokens } from '../../../src/client/index.ts';
import { h, mount } from './dom.ts';
import { Chat } from './chat.ts';

/**
 * The demo's entry: reads the app id and public key from the server, resumes a saved login or
 * shows the login / register form, then hands over to the chat view.
 */
interface DemoConfig { app: string; appKey: string; lobby: string }

const TOKENS = 'xpush-chat-tokens';
const root = document.getElementById('root')!;

/** One id per browser profile: each browser is a device of the user. */
function deviceId(): string {
  let d = localStorage.getItem('xpush-chat-device');
  if (!d) {
    d = 'web-' + Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
    localStorage.setItem('xpush-chat-device', d);
  }
  return d;
}

async function boot(): Promise<void> {
  const cfg = (await (await fetch('/chat/config.json')).json()) as DemoConfig;
  // The demo is one process (session and channel server together), so the page connects to the
  // origin it came from rather than the node URL the server announces (its own bind address,
  // ws://127.0.0.1:8080): the chat then works under any name, and behind an HTTPS proxy (which Web
  // Push needs). The SDK falls back from WebSocket to HTTP streaming, then SSE, when a proxy blocks
  // WebSocket (src/client/transports.ts).
  const wsUrl = location.origin.replace(/^http/, 'ws') + '/connection/websocket';
  const xp = new XPush({ url: location.origin, app: cfg.app, appKey: cfg.appKey, wsUrl });
  xp.on('tokens', (t) => sessionStorage.setItem(TOKENS, JSON.stringify(t)));
  const start = async () => {
    const chat = new Chat(xp, cfg.lobby, root, () => {
      sessionStorage.removeItem(TOKENS);
      location.reload();
    });
    await chat.start();
  };
  const saved = sessionStorage.getItem(TOKENS);
  if (saved) {
    try {
      xp.useTokens(JSON.parse(saved) as Tokens);
      await start();
      return;
    } catch {
      sessionStorage.removeItem(TOKENS); // expired or logged out elsewhere: log in again
    }
  }
  loginForm(xp, start);
}

function loginForm(xp: XPush, start: () => Promise<void>): void {
  const user = h('input', { id: 'user', placeholder: 'user name', autocomplete: 'username', maxlength: 128 });
  const password = h('input', { id: 'password', type: 'password', placeholder: 'password (8+ characters)', autocomplete: 'current-password' });
  const error = h('p', { class: 'bad', id: 'login-error' });
  const go = async (register: boolean) => {
    error.textContent = '';
    try {
      if (register) await xp.register(user.value.trim(), password.value);
      await xp.login(user.value.trim(), password.value, deviceId());
      await start();
    } catch (err) {
      error.textContent = (err as Error).message;
    }
  };
  mount(root, h('form', { class: 'login', onsubmit: (e: Event) => { e.preventDefault(); void go(false); } },
    h('h2', null, 'XPUSH chat'),
    user, password,
    h('div', { class: 'row' },
      h('button', { type: 'submit', id: 'login' }, 'Log in'),
      h('button', { type: 'button', class: 'plain', id: 'register', onclick: () => void go(true) }, 'Register')),
    error));
}

void boot();
