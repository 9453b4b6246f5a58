// The README's newcomer path, run as printed on a fresh copy of the working tree.
//
// Convention: every fenced block in README.md has an HTML comment on the line right above its fence
// (invisible on GitHub) that says what this test does with it:
//   <!-- readme-test: background -->     a shell block that starts the server: run in the background,
//                                        wait until /ready answers 200, stop it at the end
//   <!-- readme-test: run [label] -->    a shell block run with `bash -eo pipefail`: it must exit 0;
//                                        a label names extra checks on its output (CHECKS below)
//   <!-- readme-test: file NAME -->      a code block the reader saves as NAME: written to NAME
//   <!-- readme-test: skip (reason) -->  not run, with the reason (a fragment, a diagram, needs credentials)
// Blocks run top to bottom in a temporary copy of the working tree (tracked and untracked files, not
// the git-ignored ones: no data/, a fresh admin token) with node_modules linked in, as a reader's
// clone after `npm install`. The only thing the test chooses is the port: it exports XPUSH_PORT, which
// the README tells readers to export when 8080 is taken and which every command there reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '../e2e/e2e-kit.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Block {
  line: number;
  lang: string;
  mode: 'background' | 'run' | 'file' | 'skip' | 'none';
  arg: string;
  body: string;
}

/** Fenced blocks of a markdown text with the readme-test marker right above each (mode 'none' if there is none). */
export function readmeBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    assert.ok(end > i, `README line ${i + 1}: fence never closed`);
    const m = /^<!-- readme-test: (background|run|file|skip)\s*(.*?)\s*-->$/.exec(lines[i - 1] ?? '');
    blocks.push({ line: i + 1, lang: open[1], mode: m ? (m[1] as Block['mode']) : 'none', arg: m ? m[2] : '', body: lines.slice(i + 1, end).join('\n') + '\n' });
    i = end;
  }
  return blocks;
}

interface Ran { code: number | null; stdout: string; stderr: string }

/** Extra checks of a `run` block's output, by its label: what the README says the command prints. */
interface CheckContext { port: number; dir: string; env: NodeJS.ProcessEnv; b: Block }
const CHECKS: Record<string, (r: Ran, ctx: CheckContext) => Promise<void> | void> = {
  'app-cli': (r) => {
    for (const [field, prefix] of [['id', 'app_'], ['key', 'pk_'], ['secret', 'sk_']]) {
      assert.match(r.stdout, new RegExp(`^${field}: +${prefix}\\S+$`, 'm'), `prints the app's ${field}`);
    }
  },
  'app-curl': async (r, { dir, env, b }) => {
    const app = JSON.parse(r.stdout);
    assert.match(app.id, /^app_/);
    assert.match(app.key, /^pk_/);
    assert.match(app.secret, /^sk_/);
    // The README's warning: without the content-type line curl sends its default
    // (application/x-www-form-urlencoded for -d) and the answer is 415.
    const noType = b.body.replace("-H 'content-type: application/json' ", '').replace('-fsS', '-sS -o /dev/null -w %{http_code}');
    assert.notEqual(noType.includes('content-type'), true);
    const bare = await run(noType, dir, env);
    assert.equal(bare.stdout, '415', `${noType}\n${bare.stderr}`);
  },
  'app-json': (_r, { dir }) => {
    const app = JSON.parse(fs.readFileSync(path.join(dir, 'app.json'), 'utf8'));
    assert.match(app.id, /^app_/);
    assert.match(app.key, /^pk_/);
  },
  chat: (r) => {
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 4, r.stdout);
    assert.ok(lines.includes('stored as offset 1'), r.stdout);
    const got = lines.find((l) => l.startsWith('bob got: '));
    const m = /^bob got: \[lunch-(\w+)\] alice-(\w+)@laptop #1 chat \{ text: 'noodles at noon\?' \}$/.exec(got ?? '');
    assert.ok(m && m[1] === m[2], r.stdout);
    assert.equal(lines[2], `bob unread: lunch-${m[1]}=1`);
    assert.equal(lines[3], "bob history: [ { text: 'noodles at noon?' } ]");
  },
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** The working tree as a reader's clone: tracked and untracked files, no ignored ones; node_modules linked. */
function freshCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-readme-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0');
  for (const f of files) {
    const from = path.join(ROOT, f);
    if (!f || !fs.existsSync(from) || !fs.statSync(from).isFile()) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, f));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function run(body: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['-eo', 'pipefail', '-c', body], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Stops a background block: its whole process group (npm and the node it started). */
async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  process.kill(-p.pid!, 'SIGTERM');
  const t = setTimeout(() => { try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* already gone */ } }, 10_000);
  await gone;
  clearTimeout(t);
}

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test('every fenced block in the README says whether and how it is run', () => {
  const blocks = readmeBlocks(README);
  const unmarked = blocks.filter((b) => b.mode === 'none').map((b) => `line ${b.line}`);
  assert.deepEqual(unmarked, [], 'add a <!-- readme-test: … --> line right above each fence');
  for (const b of blocks) {
    if (b.mode === 'skip') assert.match(b.arg, /^\(.+\)$/, `line ${b.line}: a skip says why, in parentheses`);
    if (b.mode === 'run' && b.arg) assert.ok(CHECKS[b.arg], `line ${b.line}: no checks named "${b.arg}"`);
    if (b.mode === 'file') assert.match(b.arg, /^[\w.-]+$/, `line ${b.line}: file needs a name`);
    if (b.mode === 'run' || b.mode === 'background') assert.equal(b.lang, 'sh', `line ${b.line}: only sh blocks are run`);
  }
  assert.ok(blocks.some((b) => b.mode === 'run' && b.arg === 'chat'), 'the chat example is run');
});

test('the README newcomer path works as printed on a fresh copy', { timeout: 240_000 }, async (t) => {
  const dir = freshCopy();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('XPUSH_')));
  env.XPUSH_PORT = String(port);
  env.XPUSH_LOG_LEVEL = 'warn';
  const background: ChildProcess[] = [];
  t.after(async () => { for (const p of background) await stop(p); });

  const blocks = readmeBlocks(README).filter((b) => b.mode !== 'skip');
  assert.ok(blocks.length >= 5);
  for (const b of blocks) {
    const where = `README line ${b.line}`;
    if (b.mode === 'file') {
      fs.writeFileSync(path.join(dir, b.arg), b.body);
    } else if (b.mode === 'background') {
      const p = spawn('bash', ['-c', b.body], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      p.stdout!.on('data', (d) => { out += d; });
      p.stderr!.on('data', (d) => { out += d; });
      background.push(p);
      await waitFor(`${where}: /ready on :${port}`, async () => {
        assert.equal(p.exitCode, null, `${where} exited early:\n${out}`);
        const r = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null);
        return r?.status === 200;
      }, 120_000);
    } else {
      // The chat example runs twice: the README says it can be run again and again.
      for (let i = 0; i < (b.arg === 'chat' ? 2 : 1); i++) {
        const r = await run(b.body, dir, env);
        assert.equal(r.code, 0, `${where} exited ${r.code}:\n${b.body}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
        if (b.arg) await CHECKS[b.arg](r, { port, dir, env, b });
      }
    }
  }
});
