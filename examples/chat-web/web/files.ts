import type { XPush, Message } from '../../../src/client/index.ts';
import { h } from './dom.ts';

/** A `file` message's data, as the server publishes it after an upload. */
export interface FileData { id: string; name: string; size: number; type: string; width?: number; height?: number }

/** The types the server serves inline (README "Safe downloads"): only these get a thumbnail. */
const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);
/** Signed URLs live `files.urlTtlSec` (default 300 s): a link older than this fetches a new one on click. */
const URL_FRESH_MS = 60_000;

export function fileOf(m: Message): FileData | null {
  if (m.event !== 'file') return null;
  const d = m.data as Partial<FileData> | null;
  return d && typeof d.id === 'string' && typeof d.name === 'string' ? (d as FileData) : null;
}

/** The id a `file.deleted` message names (the uploader or the channel owner deleted the file). */
export function deletedOf(m: Message): string | null {
  const id = m.event === 'file.deleted' ? (m.data as { id?: unknown } | null)?.id : undefined;
  return typeof id === 'string' ? id : null;
}

export function humanSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The open channel's file messages, each built once (the message list is re-rendered often; an
 * <img> rebuilt each time would flicker and fetch a new signed URL). A file's signed URL is asked
 * for when its message is first shown, and again on a click once it may have expired.
 */
export class FileViews {
  private readonly views = new Map<string, HTMLElement>();

  constructor(private readonly xp: XPush, private readonly onImageLoad: (img: HTMLImageElement) => void) {}

  clear(): void {
    this.views.clear();
  }

  view(channel: string, f: FileData): HTMLElement {
    const old = this.views.get(f.id);
    if (old) return old;
    const link = h('a', { class: 'file-link', href: '#', download: f.name, 'data-file': f.id }, f.name);
    const img = INLINE.has(f.type) ? h('img', { class: 'thumb', alt: f.name, width: f.width, height: f.height, 'data-file': f.id }) : null;
    let fetchedAt = 0;
    const refresh = async () => {
      const url = await this.xp.fileUrl({ channel, id: f.id });
      fetchedAt = Date.now();
      link.href = url;
      if (img && !img.getAttribute('src')) img.src = url;
    };
    link.addEventListener('click', (e) => {
      if (Date.now() - fetchedAt < URL_FRESH_MS) return;
      e.preventDefault();
      void refresh().then(() => link.click(), () => link.classList.add('gone'));
    });
    img?.addEventListener('load', () => this.onImageLoad(img));
    const v = h('div', { class: 'file' }, img, h('div', null, link, h('span', { class: 'size' }, humanSize(f.size))));
    this.views.set(f.id, v);
    void refresh().catch(() => link.classList.add('gone')); // deleted meanwhile (404) or no longer a member
    return v;
  }
}
