import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/** Sample files for the upload tests, made here byte by byte (no fixtures on disk). */

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A valid PNG of `width`×`height` whose pixels are random noise (so it does not compress), about
 * `bytes` long: a real image for the size limit and for Range checks alike.
 */
export function png(width: number, height: number, bytes = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc(height * (1 + width * 3));
  const idat = deflateSync(raw);
  const parts = [Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat)];
  // Padding as an ancillary private chunk (ignored by decoders): random bytes up to the size asked.
  const used = parts.reduce((n, b) => n + b.length, 0) + 12;
  if (bytes > used + 12) parts.push(pngChunk('prVt', randomBytes(bytes - used - 12)));
  parts.push(pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** GIF89a header of the given size (enough for sniffing and for reading the size). */
export function gif(width: number, height: number): Buffer {
  const b = Buffer.from('474946383961000000000000003b', 'hex');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  return b;
}

/** A baseline JPEG's markers: SOI, APP0 (JFIF) and SOF0 with the size, then EOI. */
export function jpeg(width: number, height: number): Buffer {
  const app0 = Buffer.from('ffe000104a46494600010100000100010000', 'hex');
  const sof = Buffer.from('ffc0001108000000000301220002110103110100', 'hex');
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from('ffd8', 'hex'), app0, sof, Buffer.from('ffd9', 'hex')]);
}

export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
/** A ZIP with one empty stored entry `a.txt`. */
export const ZIP = Buffer.from(
  '504b03040a00000000000000000000000000000000000000000005000000612e747874' +
  '504b01021e030a00000000000000000000000000000000000000000005000000000000000000000000000000612e747874' +
  '504b0506000000000100010033000000230000000000', 'hex');
export const HTML = Buffer.from('<!doctype html><html><body><script>document.title = "owned"</script></body></html>');
export const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');

/** Regular files below `dir` (blob files, parts), for checking that nothing was left behind. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}
