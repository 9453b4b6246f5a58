/**
 * What a set of connections added to a server's JS heap, per connection: two V8 heap snapshots (before
 * and after; `BENCH_HEAPSNAP=<dir> npm run bench -- --only idle` writes them) and the count in between.
 *
 *   node --max-old-space-size=8192 --import tsx bench/heap-diff.ts <before> <after> <count> [--top 40]
 *
 * Prints bytes and objects per connection by kind (V8 node type and constructor name), then, for the
 * nodes new in the second snapshot, what first holds them (holder kind and property): which of Node's,
 * ws's or our objects each share belongs to. Self sizes only; the figures include native handles V8
 * reports (e.g. `TCPSocketWrap`), not memory outside the heap.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** Offsets of one snapshot's fields and a label per node: "type:name", strings and code folded. */
function reader(s: Snapshot) {
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const at = { type: f.indexOf('type'), name: f.indexOf('name'), size: f.indexOf('self_size'), edges: f.indexOf('edge_count'), id: f.indexOf('id') };
  const label = (i: number): string => {
    const t = types[s.nodes[i + at.type]!]!;
    if (t.includes('string')) return `${t}`;
    if (t === 'code') return 'code';
    return `${t}:${s.strings[s.nodes[i + at.name]!]!.slice(0, 50)}`;
  };
  return { width: f.length, at, label };
}

function load(file: string): Snapshot {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
}

function byKind(s: Snapshot): Map<string, [number, number]> {
  const r = reader(s);
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < s.nodes.length; i += r.width) {
    const k = r.label(i);
    const e = out.get(k) ?? [0, 0];
    e[0]++;
    e[1] += s.nodes[i + r.at.size]!;
    out.set(k, e);
  }
  return out;
}

/** One line of the diff: a kind (or "kind  <=  holder.property"), objects and bytes per connection. */
export interface DiffRow { kind: string; objects: number; bytes: number }

export interface HeapDiff {
  /** Heap bytes per connection, all kinds. */
  total: number;
  /** By kind, most bytes first. */
  kinds: DiffRow[];
  /** Nodes new in `after`, by kind and first holder, most bytes first. */
  held: DiffRow[];
}

export function heapDiff(a: string, b: string, count: number): HeapDiff {
  const before = load(a);
  const idsBefore = new Set<number>();
  {
    const r = reader(before);
    for (let i = 0; i < before.nodes.length; i += r.width) idsBefore.add(before.nodes[i + r.at.id]!);
  }
  const kindsBefore = byKind(before);
  const after = load(b);
  const kindsAfter = byKind(after);

  const kinds: DiffRow[] = [];
  for (const [kind, [n, size]] of kindsAfter) {
    const [n0, size0] = kindsBefore.get(kind) ?? [0, 0];
    kinds.push({ kind, objects: (n - n0) / count, bytes: (size - size0) / count });
  }
  kinds.sort((x, y) => y.bytes - x.bytes);
  const total = kinds.reduce((t, r) => t + r.bytes, 0);

  // First holder of every node new in `after` (weak and shortcut edges skipped).
  const r = reader(after);
  const ef = after.snapshot.meta.edge_fields;
  const etypes = after.snapshot.meta.edge_types[0];
  const ew = ef.length;
  const eType = ef.indexOf('type');
  const eName = ef.indexOf('name_or_index');
  const eTo = ef.indexOf('to_node');
  const holder = new Map<number, string>();
  let e = 0;
  for (let i = 0; i < after.nodes.length; i += r.width) {
    const edges = after.nodes[i + r.at.edges]!;
    for (let k = 0; k < edges; k++, e += ew) {
      const to = after.edges[e + eTo]!;
      const t = etypes[after.edges[e + eType]!]!;
      if (t === 'weak' || t === 'shortcut' || holder.has(to)) continue;
      const name = t === 'element' || t === 'hidden' ? `[${t}]` : after.strings[after.edges[e + eName]!]!;
      holder.set(to, `${r.label(i)}.${name}`);
    }
  }
  const held = new Map<string, [number, number]>();
  for (let i = 0; i < after.nodes.length; i += r.width) {
    if (idsBefore.has(after.nodes[i + r.at.id]!)) continue;
    const k = `${r.label(i)}  <=  ${holder.get(i) ?? '?'}`;
    const v = held.get(k) ?? [0, 0];
    v[0]++;
    v[1] += after.nodes[i + r.at.size]!;
    held.set(k, v);
  }
  const heldRows = [...held].map(([kind, [n, size]]) => ({ kind, objects: n / count, bytes: size / count }));
  heldRows.sort((x, y) => y.bytes - x.bytes);
  return { total, kinds, held: heldRows };
}

function print(rows: DiffRow[], top: number): void {
  for (const r of rows.slice(0, top)) console.log(`${r.bytes.toFixed(1).padStart(8)} ${r.objects.toFixed(2).padStart(8)}  ${r.kind}`);
}

function main(): void {
  const [a, b, countText] = process.argv.slice(2);
  const count = Number(countText);
  if (!a || !b || !(count > 0)) throw new Error('usage: heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> <count> [--top N]');
  const top = Number(option('top') ?? 40);
  const d = heapDiff(a, b, count);
  console.log(`heap bytes per connection: ${d.total.toFixed(0)} (${count} connections)\n`);
  console.log('   bytes  objects  kind');
  print(d.kinds, top);
  console.log('\nnew objects by first holder\n   bytes  objects  kind  <=  holder.property');
  print(d.held, top);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
