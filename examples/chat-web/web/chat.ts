import type { XPush, Message, ChannelEntry } from '../../../src/client/index.ts';
import { XPushError } from '../../../src/client/index.ts';
import { h, mount } from './dom.ts';

const PAGE = 30;
const TYPING_EVERY_MS = 2000;
const TYPING_SHOWN_MS = 3000;

/**
 * The chat view: channel list with unread badges, the open channel's messages (history scroll-back
 * plus live ones, in offset order, once), who is online in it, who is typing, and the composer.
 */
export class Chat {
  private channels: ChannelEntry[] = [];
  private unread: Record<string, number> = {};
  /** Offsets of live messages counted as unread, per channel: a channel list read meanwhile may or may not include them. */
  private liveUnread: Record<string, Set<number>> = {};
  private active = '';
  /** The open channel's messages by offset (history pages and live pushes meet here). */
  private msgs = new Map<number, Message>();
  private lowest = Infinity;
  private noOlder = false;
  private loadingOlder = false;
  /** Who is online in the open channel: client id → user. */
  private present = new Map<string, string>();
  private typing = new Map<string, ReturnType<typeof setTimeout>>();
  /** When and for which channel this user's typing was last announced (at most every TYPING_EVERY_MS). */
  private lastTyping = { at: 0, channel: '' };
  private readTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly list = h('ul', { id: 'channels' });
  private readonly state = h('div', { class: 'state', id: 'conn-state' }, 'connecting…');
  private readonly title = h('h2', { id: 'room-title' });
  private readonly presence = h('div', { class: 'presence', id: 'presence' });
  private readonly log = h('div', { class: 'log', id: 'log' });
  private readonly typingLine = h('div', { class: 'typing', id: 'typing' });
  private readonly input = h('input', { id: 'message', placeholder: 'Message', autocomplete: 'off', maxlength: 2000 });

  constructor(private readonly xp: XPush, private readonly lobby: string, private readonly root: HTMLElement, private readonly onLogout: () => void) {}

  async start(): Promise<void> {
    this.wire();
    await this.xp.connect();
    await this.refreshChannels();
    if (!this.channels.some((c) => c.channel === this.lobby)) {
      await this.xp.joinChannel(this.lobby); // first login: everyone is in the lobby
      await this.refreshChannels();
    }
    this.render();
    await this.open(this.lobby);
  }

  private wire(): void {
    const xp = this.xp;
    xp.on('connected', () => { this.state.textContent = 'online'; this.state.className = 'state up'; });
    xp.on('disconnected', (d) => {
      this.state.className = 'state';
      this.state.textContent = d.reconnecting ? 'reconnecting…' : `disconnected (${d.code} ${d.reason})`;
    });
    xp.on('message', (channel, event, data, meta) => this.onMessage({ channel, event, data, meta }));
    xp.on('read', (channel, info) => {
      // Read on another device (or here): the server's count is the truth up to now.
      this.unread[channel] = channel === this.active ? 0 : info.unread;
      delete this.liveUnread[channel];
      this.renderList();
    });
    // A channel this user was added to (or created) appears; one they left or lost disappears.
    xp.on('subscribed', () => void this.refreshChannels().then(() => this.renderList()));
    xp.on('unsubscribed', () => void this.refreshChannels().then(() => this.renderList()));
    xp.on('join', (channel, who) => { if (channel === this.active) { this.present.set(who.client, who.user); this.renderPresence(); } });
    xp.on('leave', (channel, who) => { if (channel === this.active) { this.present.delete(who.client); this.renderPresence(); } });
    xp.on('push', (data) => {
      const d = data as { type?: string; channel?: string; user?: string };
      if (d?.type === 'typing' && d.channel === this.active && typeof d.user === 'string') this.showTyping(d.user);
    });
  }

  private async refreshChannels(): Promise<void> {
    this.channels = await this.xp.listChannels();
    for (const c of this.channels) {
      if (c.channel === this.active) continue;
      const newer = [...(this.liveUnread[c.channel] ?? [])].filter((o) => o > c.offset).length;
      this.unread[c.channel] = c.unread + newer;
    }
  }

  private onMessage(m: Message): void {
    if (m.channel === this.active) {
      if (this.msgs.has(m.meta.offset)) return;
      this.msgs.set(m.meta.offset, m);
      this.clearTyping(m.meta.user ?? '');
      this.renderLog('bottom');
      this.markReadSoon();
      return;
    }
    if (m.meta.user === this.xp.user) return; // what I wrote elsewhere is read
    (this.liveUnread[m.channel] ??= new Set()).add(m.meta.offset);
    this.unread[m.channel] = (this.unread[m.channel] ?? 0) + 1;
    this.renderList();
    notify(m);
  }

  private async open(channel: string): Promise<void> {
    this.active = channel;
    this.msgs.clear();
    this.lowest = Infinity;
    this.noOlder = false;
    this.loadingOlder = false;
    this.present.clear();
    for (const t of this.typing.values()) clearTimeout(t);
    this.typing.clear();
    this.typingLine.textContent = '';
    this.title.textContent = `# ${channel}`;
    this.unread[channel] = 0;
    delete this.liveUnread[channel];
    this.renderList();
    await this.loadOlder();
    const [who] = await Promise.all([this.xp.presence(channel), this.xp.markRead(channel)]);
    for (const a of who) this.present.set(a.client, a.user);
    this.renderPresence();
  }

  /** One page of history below the oldest message shown (the newest page first). */
  private async loadOlder(): Promise<void> {
    if (this.noOlder || this.loadingOlder) return;
    const channel = this.active;
    this.loadingOlder = true;
    let page;
    try {
      page = await this.xp.history(channel, this.lowest === Infinity ? { limit: PAGE } : { before: this.lowest, limit: PAGE });
    } finally {
      this.loadingOlder = false;
    }
    if (channel !== this.active) return;
    for (const m of page.messages) {
      this.msgs.set(m.meta.offset, m);
      this.lowest = Math.min(this.lowest, m.meta.offset);
    }
    if (page.messages.length < PAGE || this.lowest <= 1) this.noOlder = true;
    this.renderLog(this.msgs.size <= page.messages.length ? 'bottom' : 'keep');
  }

  private markReadSoon(): void {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => void this.xp.markRead(this.active).catch(() => undefined), 300);
  }

  private async send(): Promise<void> {
    const text = this.input.value.trim();
    if (!text || !this.active) return;
    this.input.value = '';
    this.lastTyping = { at: 0, channel: '' }; // the next keystroke announces again
    await this.xp.send(this.active, 'chat', { text });
  }

  private typed(): void {
    const now = Date.now();
    if (!this.active || !this.input.value) return;
    if (this.lastTyping.channel === this.active && now - this.lastTyping.at < TYPING_EVERY_MS) return;
    this.lastTyping = { at: now, channel: this.active };
    this.xp.rpc('typing', { channel: this.active }).catch(() => undefined);
  }

  private showTyping(user: string): void {
    clearTimeout(this.typing.get(user));
    this.typing.set(user, setTimeout(() => this.clearTyping(user), TYPING_SHOWN_MS));
    this.renderTyping();
  }

  private clearTyping(user: string): void {
    if (!this.typing.has(user)) return;
    clearTimeout(this.typing.get(user));
    this.typing.delete(user);
    this.renderTyping();
  }

  private async createChannel(name: string, members: string): Promise<void> {
    const users = members.split(/[\s,]+/).filter(Boolean);
    await this.xp.createChannel(name, { members: users });
    await this.refreshChannels();
    await this.open(name);
  }

  // ---- rendering ----

  private render(): void {
    const name = h('input', { id: 'new-channel', placeholder: 'new channel', maxlength: 255 });
    const members = h('input', { id: 'new-members', placeholder: 'members: bob, carol' });
    const error = h('div', { class: 'bad' });
    mount(this.root, h('div', { class: 'app' },
      h('aside', null,
        h('header', null, h('div', { class: 'me', id: 'me' }, this.xp.user ?? ''), this.state),
        this.list,
        h('form', { onsubmit: (e: Event) => {
          e.preventDefault();
          error.textContent = '';
          this.createChannel(name.value.trim(), members.value).then(() => { name.value = ''; members.value = ''; }, (err: Error) => { error.textContent = err.message; });
        } }, name, members, h('button', { type: 'submit', id: 'create' }, 'Create channel'), error),
        h('footer', null, h('button', { class: 'plain', id: 'logout', onclick: () => void this.xp.logout().finally(this.onLogout) }, 'Log out'))),
      h('section', { class: 'room' },
        h('header', null, this.title, this.presence),
        this.log,
        this.typingLine,
        h('form', { class: 'composer', onsubmit: (e: Event) => { e.preventDefault(); void this.send().catch((err: Error) => alert(err.message)); } },
          // Files: XPUSH has no file API yet. When it does, this button picks a file and calls
          // sendFile() below; until then it stays disabled.
          h('button', { type: 'button', class: 'plain', id: 'attach', disabled: true, title: 'Sending files arrives with XPUSH file support' }, 'Attach'),
          this.input,
          h('button', { type: 'submit', id: 'send' }, 'Send')))));
    this.input.addEventListener('input', () => this.typed());
    this.log.addEventListener('scroll', () => { if (this.log.scrollTop < 40) void this.loadOlder(); });
    this.renderList();
  }

  private renderList(): void {
    mount(this.list, this.channels.map((c) => {
      const n = c.channel === this.active ? 0 : this.unread[c.channel] ?? 0;
      return h('li', { class: [c.channel === this.active ? 'active' : '', n ? 'unread' : ''].join(' '), 'data-channel': c.channel, onclick: () => void this.open(c.channel) },
        h('span', { class: 'name' }, `# ${c.channel}`),
        n ? h('span', { class: 'badge' }, String(n)) : null);
    }));
    const total = Object.entries(this.unread).reduce((a, [ch, n]) => a + (ch === this.active ? 0 : n), 0);
    document.title = total ? `(${total}) XPUSH chat` : 'XPUSH chat';
  }

  private renderPresence(): void {
    const users = [...new Set(this.present.values())].sort();
    mount(this.presence, users.length ? ['online: ', users.map((u, i) => [i ? ', ' : '', h('span', { class: 'on', 'data-user': u }, u)])] : 'nobody online');
  }

  private renderTyping(): void {
    const who = [...this.typing.keys()].sort();
    this.typingLine.textContent = who.length === 0 ? '' : who.length === 1 ? `${who[0]} is typing…` : `${who.join(', ')} are typing…`;
  }

  private renderLog(scroll: 'bottom' | 'keep'): void {
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    const fromBottom = this.log.scrollHeight - this.log.scrollTop;
    const sorted = [...this.msgs.values()].sort((a, b) => a.meta.offset - b.meta.offset);
    mount(this.log,
      this.noOlder ? h('div', { class: 'older muted' }, 'Beginning of the channel') : h('div', { class: 'older' }, h('button', { class: 'plain', id: 'older', onclick: () => void this.loadOlder() }, 'Load older')),
      sorted.map((m) => h('div', { class: m.meta.user === this.xp.user ? 'msg mine' : 'msg', 'data-offset': m.meta.offset },
        h('span', { class: 'who' }, m.meta.user || 'server'),
        h('span', null, text(m)),
        h('span', { class: 'when' }, m.meta.time ? new Date(m.meta.time).toLocaleTimeString() : ''))));
    if (scroll === 'bottom' && (atBottom || this.msgs.size <= PAGE)) this.log.scrollTop = this.log.scrollHeight;
    else if (scroll === 'keep') this.log.scrollTop = this.log.scrollHeight - fromBottom;
    else if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }
}

function text(m: Message): string {
  const d = m.data as { text?: unknown } | null;
  return d && typeof d.text === 'string' ? d.text : JSON.stringify(m.data);
}

/**
 * Notifications: where Web Push goes once XPUSH has it (subscribe with a service worker, send the
 * subscription as the login's pushToken). Until then the page title counts unread messages.
 */
function notify(_m: Message): void {}

/** Files: the hook for the Attach button once XPUSH stores files. */
export async function sendFile(_channel: string, _file: File): Promise<never> {
  throw new XPushError(108, 'sending files is not available yet');
}
