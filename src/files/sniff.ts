import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';

/**
 * What an upload is, decided from its first bytes only; the client's Content-Type and file name are
 * never trusted. The type comes from `file-type`'s magic-number table (PNG, JPEG, GIF, WebP, AVIF,
 * HEIC, BMP, TIFF, ICO, PDF, ZIP and the ZIP-based office formats, gzip, 7z, RAR, tar, MP3, MP4, WebM,
 * Ogg, WAV, FLAC and ~100 more); what it does not recognise, text of any kind included (HTML, SVG,
 * scripts), is `application/octet-stream`. Image sizes come from `image-size` reading the header.
 */

/** Bytes kept from the start of an upload for sniffing: enough for a JPEG's size after a large EXIF block. */
export const SNIFF_BYTES = 128 * 1024;

export const UNKNOWN_TYPE = 'application/octet-stream';

/**
 * Types served `inline` (a browser may show them in place): raster images, which browsers render as
 * pictures and never run as script. Everything else is served as an attachment (downloaded), so an
 * uploaded HTML or SVG page can never run in the server's origin.
 */
export const INLINE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);

export interface Sniffed {
  type: string;
  width: number | null;
  height: number | null;
}

/** `head`: the first SNIFF_BYTES of the file (or all of it, if shorter). */
export async function sniff(bytes: Uint8Array): Promise<Sniffed> {
  // A copy with an ArrayBuffer of its own: image-size reads through the underlying buffer, and a view
  // (a pooled Buffer, a subarray) would let it read bytes past the head as if they were the file's.
  const head = new Uint8Array(bytes);
  const found = await fileTypeFromBuffer(head).catch(() => undefined);
  const type = found?.mime ?? UNKNOWN_TYPE;
  if (!type.startsWith('image/')) return { type, width: null, height: null };
  try {
    const d = imageSize(head);
    const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;
    return ok(d.width) && ok(d.height) ? { type, width: d.width, height: d.height } : { type, width: null, height: null };
  } catch {
    // The header lies beyond the bytes kept, or is damaged: the file is still stored, without a size.
    return { type, width: null, height: null };
  }
}

/** Collects the first `limit` bytes of a stream as it passes. */
export class HeadBytes {
  readonly #parts: Buffer[] = [];
  #length = 0;
  constructor(private readonly limit = SNIFF_BYTES) {}

  add(chunk: Uint8Array): void {
    if (this.#length >= this.limit) return;
    const take = chunk.subarray(0, this.limit - this.#length);
    this.#parts.push(Buffer.from(take));
    this.#length += take.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#parts);
  }
}
