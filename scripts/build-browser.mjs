// Builds the XPush SDK for browsers: xpush.js (ESM) and xpush.min.js (IIFE, global `XPush`), by default
// into packages/client/dist/browser/ (part of the @xpush/client package; scripts/build.mjs calls this).
// Usage: node scripts/build-browser.mjs [outDir]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'packages/client/dist/browser'));
const common = {
  entryPoints: [path.join(root, 'src/client/index.ts')],
  bundle: true,
  platform: 'browser',
  target: ['es2020'],
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};

await build({ ...common, format: 'esm', outfile: path.join(outDir, 'xpush.js') });
// The IIFE exposes the class itself as `XPush` (`new XPush({...})`), with the other exports
// (XPushError) as its properties.
await build({
  ...common,
  format: 'iife',
  globalName: '__xpush',
  minify: true,
  footer: { js: 'var XPush=Object.assign(__xpush.XPush,__xpush);' },
  outfile: path.join(outDir, 'xpush.min.js'),
});
