import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the admin console, ready to send. */
export interface Asset {
  body: Buffer;
  type: string;
}

export const CONSOLE_FILES = { 'index.html': 'text/html; charset=utf-8', 'console.js': 'text/javascript; charset=utf-8', 'console.css': 'text/css; charset=utf-8' } as const;
export type ConsoleFile = keyof typeof CONSOLE_FILES;

/** The nearest directory above `from` holding a package.json: the package root, from src/ or a compiled copy. */
function packageRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
}

const root = packageRoot(path.dirname(fileURLToPath(import.meta.url)));
const SOURCE = path.join(root, 'src/console');
/** Where `node scripts/build-console.mjs` writes the console (what a package without esbuild serves). */
export const PREBUILT = path.join(root, 'dist/admin');

/**
 * The console's three files. From a source checkout the script is bundled in memory with esbuild
 * (a dev dependency, ~50 ms, once per process), so edits show on restart with no build step; an
 * installed package has no esbuild and serves what scripts/build-console.mjs prebuilt.
 */
export async function loadConsole(): Promise<Map<ConsoleFile, Asset>> {
  const out = new Map<ConsoleFile, Asset>();
  const esbuild = fs.existsSync(path.join(SOURCE, 'main.ts')) ? await import('esbuild').catch(() => undefined) : undefined;
  if (esbuild) {
    const r = await esbuild.build({
      entryPoints: [path.join(SOURCE, 'main.ts')],
      bundle: true, format: 'esm', platform: 'browser', target: ['es2020'], minify: true, legalComments: 'none', write: false, logLevel: 'silent',
    });
    out.set('console.js', { body: Buffer.from(r.outputFiles[0]!.contents), type: CONSOLE_FILES['console.js'] });
    for (const f of ['index.html', 'console.css'] as const) out.set(f, { body: fs.readFileSync(path.join(SOURCE, f)), type: CONSOLE_FILES[f] });
    return out;
  }
  for (const f of Object.keys(CONSOLE_FILES) as ConsoleFile[]) {
    const file = path.join(PREBUILT, f);
    if (!fs.existsSync(file)) throw new Error(`admin console: ${file} is missing; build it with: node scripts/build-console.mjs`);
    out.set(f, { body: fs.readFileSync(file), type: CONSOLE_FILES[f] });
  }
  return out;
}
