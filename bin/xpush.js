#!/usr/bin/env node
// The xpush CLI. From the npm package it runs the compiled JavaScript in dist/ (no TypeScript
// tooling at run time). In a git clone, where src/ is present, it runs the TypeScript source through
// tsx (a dev dependency), so the clone never runs a stale build.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli/main.js');
}
