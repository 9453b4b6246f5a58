/**
 * `Content-Disposition` with the file's name (RFC 6266): a plain-ASCII `filename` for old clients and
 * the exact UTF-8 name in `filename*` (RFC 8187). Quotes, backslashes and anything outside printable
 * ASCII become `_` in the fallback, so no name can break out of the header value.
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const utf8 = encodeURIComponent(name).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}
