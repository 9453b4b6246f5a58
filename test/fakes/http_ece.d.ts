// http_ece (web-push-libs/encrypted-content-encoding) ships no types: the part the Web Push fake uses.
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';
  export function decrypt(body: Buffer, params: { version: 'aes128gcm' | 'aesgcm'; privateKey: ECDH; authSecret: string; dh?: string; salt?: string }): Buffer;
}
