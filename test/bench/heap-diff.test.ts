import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { heapDiff } from '../../bench/heap-diff.ts';

// Two classes only this test makes, so their rows can only come from what it allocated between the snapshots.
class HeapDiffProbe {
  readonly part = new HeapDiffPart();
  constructor(readonly n: number) {}
}
class HeapDiffPart {
  readonly tag = 'p';
}

test('heap-diff counts what was allocated between two snapshots, per unit, with its holder', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-heapdiff-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const n = 2000;
  const before = v8.writeHeapSnapshot(path.join(dir, 'before.heapsnapshot'));
  const kept = Array.from({ length: n }, (_, i) => new HeapDiffProbe(i));
  const after = v8.writeHeapSnapshot(path.join(dir, 'after.heapsnapshot'));
  assert.equal(kept.length, n); // keeps them alive until the second snapshot

  const d = heapDiff(before, after, n);
  const probe = d.kinds.find((r) => r.kind === 'object:HeapDiffProbe');
  assert.ok(probe, 'the probes are listed by constructor');
  assert.equal(probe.objects, 1);
  assert.ok(probe.bytes >= 16 && probe.bytes < 100, `a probe's self size per unit: ${probe.bytes}`);
  const part = d.held.find((r) => r.kind === 'object:HeapDiffPart  <=  object:HeapDiffProbe.part');
  assert.ok(part, 'each part is listed under the property of the probe that holds it');
  assert.equal(part.objects, 1);
  assert.ok(d.total >= probe.bytes + part.bytes);
});
