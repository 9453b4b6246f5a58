// Builds the admin web console for a package without esbuild at run time: dist/admin/{index.html,
// console.js, console.css}. From a source checkout the server bundles it in memory instead
// (src/session/console-assets.ts); keep the esbuild options of both the same.
// Usage: node scripts/build-console.mjs [outDir]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src/console');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'dist/admin'));
fs.mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: [path.join(src, 'main.ts')],
  bundle: true, format: 'esm', platform: 'browser', target: ['es2020'], minify: true, legalComments: 'none', logLevel: 'warning',
  outfile: path.join(outDir, 'console.js'),
});
for (const f of ['index.html', 'console.css']) fs.copyFileSync(path.join(src, f), path.join(outDir, f));
