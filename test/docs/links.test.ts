// Every relative link in README.md, CHANGELOG.md and docs/*.md points to a file of the repository, and
// every #anchor to a heading of the target (GitHub's heading ids), so the docs index and the
// cross-references between pages do not rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

test('slug follows GitHub for the headings the docs link to', () => {
  assert.equal(slug('A chat in 25 lines (the XPush SDK)'), 'a-chat-in-25-lines-the-xpush-sdk');
  assert.equal(slug('Push notifications (Web Push, FCM, APNs)'), 'push-notifications-web-push-fcm-apns');
  assert.equal(slug('Service features: XPUSH as a library'), 'service-features-xpush-as-a-library');
  assert.equal(slug('Pushes XPUSH sends as `message` (async message)'), 'pushes-xpush-sends-as-message-async-message');
});

test('relative links in README.md, CHANGELOG.md and docs/*.md resolve to files and headings', () => {
  const pages = ['README.md', 'CHANGELOG.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const broken: string[] = [];
  for (const page of pages) {
    const file = path.join(ROOT, page);
    const text = fs.readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // http(s), mailto
      const [p, anchor] = target.split('#');
      const dest = p ? path.resolve(path.dirname(file), p) : file;
      if (!fs.existsSync(dest)) { broken.push(`${page}: ${target} (no such file)`); continue; }
      if (anchor && dest.endsWith('.md') && !anchorsOf(dest).has(anchor)) broken.push(`${page}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});
