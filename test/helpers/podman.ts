// Runs podman for the container tests (test/container/). Root podman from Debian's packages, with the
// settings this kind of machine needs, each found the hard way:
// - runtime runc: crun refuses a cgroup "hybrid" host (v1 controllers plus a v2 mount) with
//   "cgroups in hybrid mode not supported";
// - explicit ulimits: podman's defaults (nofile 1048576, a large nproc) are above what the sandbox
//   lets a process raise to ("setrlimit RLIMIT_NOFILE: Operation not permitted");
// - host networking, for builds and containers: no CNI bridge setup needed, and a container's port is
//   this machine's port.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const BASE_IMAGE = 'localhost/xpush-node-base:20';
/** The images test/container/prepare.ts builds: the Dockerfile's, and that one with systemd as init. */
export const IMAGE_TAG = 'localhost/xpush:test';
export const SYSTEMD_IMAGE_TAG = 'localhost/xpush-systemd:test';
/** Where prepare.ts records the ids of the images it built this run (git-ignored). */
export const IMAGE_IDS_FILE = path.join(ROOT, '.cache/container-images.json');
/** Where prepare.ts writes why the build failed, for the test's failure message. */
export const BUILD_ERROR_FILE = path.join(ROOT, '.cache/container-build-error.txt');
export interface ImageIds { app: string; systemd: string }
/** The container test runs under CI and when asked: a cold build takes minutes. */
export const containerTestEnabled = process.env.CI === 'true' || process.env.XPUSH_CONTAINER_TEST === '1';
const run = promisify(execFile);

/** Why podman cannot run here, or undefined when it can. */
export function podmanMissing(): string | undefined {
  for (const tool of ['podman', 'debootstrap', 'runc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install podman runc debootstrap)`;
  }
  if (process.getuid?.() !== 0) return 'the container tests run root podman';
  return undefined;
}

function hardNofile(): number {
  const out = spawnSync('sh', ['-c', 'ulimit -Hn']).stdout.toString().trim();
  return Number(out) > 0 ? Math.min(Number(out), 65536) : 4096;
}

const hybridCgroups = fs.existsSync('/sys/fs/cgroup/unified') && fs.existsSync('/sys/fs/cgroup/memory');
/** Global flags (before the subcommand). */
const GLOBAL = hybridCgroups ? ['--runtime', 'runc'] : [];
/** Flags for `podman build` and `podman run`. */
export const RUN_FLAGS = ['--network', 'host', '--ulimit', `nofile=${hardNofile()}:${hardNofile()}`, '--ulimit', 'nproc=4096:4096'];

export async function podman(args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await run('podman', [...GLOBAL, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 });
  return stdout.trim();
}

/** The Debian-built stand-in for node:20-bookworm-slim (scripts/container/base-image.sh); kept between runs. */
export async function ensureBaseImage(): Promise<void> {
  await run('bash', [path.join(ROOT, 'scripts/container/base-image.sh'), BASE_IMAGE], { timeout: 600_000, maxBuffer: 64 << 20 });
}

/** `podman build` of the repo's Dockerfile FROM the local base image; docker format keeps HEALTHCHECK. */
export async function buildImage(tag: string): Promise<string> {
  await podman([
    'build', ...RUN_FLAGS, '--format', 'docker', '--build-arg', `NODE_IMAGE=${BASE_IMAGE}`,
    // The prebuilt better-sqlite3 download is unreachable here: go straight to the compiler.
    '--build-arg', 'npm_config_build_from_source=better-sqlite3', '-t', tag, ROOT,
  ], 900_000);
  return podman(['image', 'inspect', tag, '--format', '{{.Id}}']);
}

/**
 * The app image plus Debian's systemd as PID 1 and deploy/systemd/xpush.service enabled, the CLI on
 * PATH where `npm install -g` would put it; /etc/xpush/xpush.env is written by the test.
 */
export async function buildSystemdImage(from: string, tag: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-systemd-image-'));
  try {
    fs.copyFileSync(path.join(ROOT, 'deploy/systemd/xpush.service'), path.join(dir, 'xpush.service'));
    fs.writeFileSync(path.join(dir, 'Containerfile'), [
      `FROM ${from}`,
      'USER root',
      'RUN apt-get update && apt-get install -y --no-install-recommends systemd systemd-sysv procps && rm -rf /var/lib/apt/lists/*',
      'RUN ln -s /app/bin/xpush.js /usr/local/bin/xpush && mkdir -p /etc/xpush',
      'COPY xpush.service /etc/systemd/system/xpush.service',
      'RUN systemctl enable xpush',
      'ENTRYPOINT []',
      'CMD ["/sbin/init"]',
    ].join('\n') + '\n');
    await podman(['build', ...RUN_FLAGS, '-t', tag, dir], 600_000);
    return await podman(['image', 'inspect', tag, '--format', '{{.Id}}']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
