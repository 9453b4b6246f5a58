import type { XPush, Message, ChannelEntry, Actor } from '../../../src/client/index.ts';
import { h, mount } from './dom.ts';
import { FileViews, deletedOf, fileOf } from './files.ts';
import { enableNotifications, pushSupported } from './notifications.ts';

const PAGE = 30;
const TYPING_EVERY_MS = 2000;
const TYPING_SHOWN_MS = 3000;

/**
 * The chat view: channel list with unread badges, the open channel's messages (history scroll-back
 * plus live ones, in offset order, once; files as links and thumbnails), who is online in it, who is
 * typing, the composer with its Attach button, and the switch for notifications (Web Push).
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
  /**
   * Who is online in the open channel: device → user. Keyed by device, not connection: a device that
   * reconnects within the server's presenceDelayMs (a reload) takes over its entry under a new client
   * id with no join or leave sent, and its later leave names the new id.
   */
  private present = new Map<string, string>();
  private typing = new Map<string, ReturnType<typeof setTimeout>>();
  /** When and for which channel this user's typing was last announced (at most every TYPING_EVERY_MS). */
  private lastTyping = { at: 0, channel: '' };
  private readTimer: ReturnType<typeof setTimeout> | undefined;
  /** Files of the open channel deleted by their uploader or the channel owner (`file.deleted`). */
  private deleted = new Set<string>();
  private readonly files: FileViews;

  private readonly list = h('ul', { id: 'channels' });
  private readonly state = h('div', { class: 'state', id: 'conn-state' }, 'connecting…');
  private readonly title = h('h2', { id: 'room-title' });
  private readonly presence = h('div', { class: 'presence', id: 'presence' });
  private readonly log = h('div', { class: 'log', id: 'log' });
  private readonly typingLine = h('div', { class: 'typing', id: 'typing' });
  private readonly input = h('input', { id: 'message', placeholder: 'Message', autocomplete: 'off', maxlength: 2000 });
  private readonly picker = h('input', { id: 'file', type: 'file', hidden: true });
  private readonly uploadLine = h('div', { class: 'upload', id: 'upload-state' });
  private readonly notifyButton = h('button', { class: 'plain', id: 'notify', type: 'button' }, 'Enable notifications');
  private readonly notifyState = h('div', { class: 'state', id: 'notify-state' });

  constructor(private readonly xp: XPush, private readonly lobby: string, private readonly root: HTMLElement, private readonly onLogout: () => void) {
    this.files = new FileViews(xp, (img) => this.keepBottom(img.clientHeight));
  }

  async start(): Promise<void> {
    this.wire();
    await this.xp.connect();
    await this.refreshChannels();
    if (!this.channels.some((c) => c.channel === this.lobby)) {
      await this.xp.joinChannel(this.lobby); // first login: everyone is in the lobby
      await this.refreshChannels();
    }
    this.render();
    // A permission given before (this device, an earlier login): renew the push target silently.
    if (pushSupported() && Notification.permission === 'granted') void this.notifications(false);
    // A notification's click opens /#channel (or asks an open tab to show it).
    const wanted = decodeURIComponent(location.hash.slice(1));
    await this.open(this.channels.some((c) => c.channel === wanted) ? wanted : this.lobby);
    navigator.serviceWorker?.addEventListener('message', (e: MessageEvent) => {
      const d = e.data as { type?: string; channel?: string } | null;
      if (d?.type === 'open' && this.channels.some((c) => c.channel === d.channel)) void this.open(d.channel!);
    });
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
    xp.on('join', (channel, who) => { if (channel === this.active) { this.present.set(presenceKey(who), who.user); this.renderPresence(); } });
    xp.on('leave', (channel, who) => { if (channel === this.active) { this.present.delete(presenceKey(who)); this.renderPresence(); } });
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
  }

  private async open(channel: string): Promise<void> {
    this.active = channel;
    this.msgs.clear();
    this.lowest = Infinity;
    this.noOlder = false;
    this.loadingOlder = false;
    this.present.clear();
    this.files.clear();
    this.deleted.clear();
    for (const t of this.typing.values()) clearTimeout(t);
    this.typing.clear();
    this.typingLine.textContent = '';
    this.title.textContent = `# ${channel}`;
    this.unread[channel] = 0;
    delete this.liveUnread[channel];
    this.renderList();
    await this.loadOlder();
    const [who] = await Promise.all([this.xp.presence(channel), this.xp.markRead(channel)]);
    for (const a of who) this.present.set(presenceKey(a), a.user);
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

  /** Uploads a picked file into the open channel; its `file` message then reaches everyone there, this tab included. */
  private async attach(file: File): Promise<void> {
    const line = this.uploadLine;
    line.className = 'upload';
    line.textContent = `Uploading ${file.name}…`;
    try {
      await this.xp.sendFile(this.active, file, {
        onProgress: (p) => { if (p.total) line.textContent = `Uploading ${file.name}: ${Math.round((100 * p.loaded) / p.total)}%`; },
      });
      line.textContent = '';
    } catch (err) {
      line.className = 'upload bad';
      line.textContent = `${file.name}: ${(err as Error).message}`;
    }
  }

  private async notifications(ask: boolean): Promise<void> {
    this.notifyButton.disabled = true;
    this.notifyState.textContent = 'turning on notifications…';
    try {
      await enableNotifications(this.xp, ask);
      this.notifyButton.textContent = 'Notifications on';
      this.notifyState.textContent = 'notified while offline';
    } catch (err) {
      this.notifyButton.disabled = false;
      this.notifyState.textContent = `notifications: ${(err as Error).message}`;
    }
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
        h('footer', null, this.notifyButton, this.notifyState, h('button', { class: 'plain', id: 'logout', onclick: () => void this.xp.logout().finally(this.onLogout) }, 'Log out'))),
      h('section', { class: 'room' },
        h('header', null, this.title, this.presence),
        this.log,
        this.typingLine,
        this.uploadLine,
        h('form', { class: 'composer', onsubmit: (e: Event) => { e.preventDefault(); void this.send().catch((err: Error) => alert(err.message)); } },
          h('button', { type: 'button', class: 'plain', id: 'attach', title: 'Send a file or an image', onclick: () => this.picker.click() }, 'Attach'),
          this.picker,
          this.input,
          h('button', { type: 'submit', id: 'send' }, 'Send')))));
    this.input.addEventListener('input', () => this.typed());
    this.picker.addEventListener('change', () => {
      const file = this.picker.files?.[0];
      this.picker.value = ''; // the same file can be picked again
      if (file) void this.attach(file);
    });
    this.notifyButton.addEventListener('click', () => void this.notifications(true));
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
    for (const m of sorted) { const id = deletedOf(m); if (id) this.deleted.add(id); }
    mount(this.log,
      this.noOlder ? h('div', { class: 'older muted' }, 'Beginning of the channel') : h('div', { class: 'older' }, h('button', { class: 'plain', id: 'older', onclick: () => void this.loadOlder() }, 'Load older')),
      sorted.filter((m) => !deletedOf(m)).map((m) => h('div', { class: m.meta.user === this.xp.user ? 'msg mine' : 'msg', 'data-offset': m.meta.offset },
        h('span', { class: 'who' }, m.meta.user || 'server'),
        this.body(m),
        h('span', { class: 'when' }, m.meta.time ? new Date(m.meta.time).toLocaleTimeString() : ''))));
    if (scroll === 'bottom' && (atBottom || this.msgs.size <= PAGE)) this.log.scrollTop = this.log.scrollHeight;
    else if (scroll === 'keep') this.log.scrollTop = this.log.scrollHeight - fromBottom;
    else if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  /** A message's content: its text, or a file's link (and thumbnail). */
  private body(m: Message): HTMLElement {
    const f = fileOf(m);
    if (!f) return h('span', null, text(m));
    if (this.deleted.has(f.id)) return h('span', { class: 'muted' }, `${f.name} (deleted)`);
    return this.files.view(m.channel, f);
  }

  /** A thumbnail that loads after the list was scrolled to the bottom grows it: stay at the bottom. */
  private keepBottom(grownBy: number): void {
    if (this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < grownBy + 40) this.log.scrollTop = this.log.scrollHeight;
  }
}

function presenceKey(a: Actor): string {
  return a.device ? `${a.user}\u0000${a.device}` : a.client;
}

function text(m: Message): string {
  const d = m.data as { text?: unknown } | null;
  return d && typeof d.text === 'string' ? d.text : JSON.stringify(m.data);
}
