/** Result tables: one per scenario, printed as text and written as JSON. */
import { errorCount, type LoadResult } from './drive.ts';
import { KINDS, LABEL, NotAvailable, RATIO_REFS, type Kind } from './targets.ts';

export interface Row {
  figure: string;
  values: Partial<Record<Kind, number>>;
}

export class Table {
  rows: Row[] = [];
  notes: string[] = [];
  failures: string[] = [];
  /** Why a column has no numbers ("not available: …", "error"). */
  status: Partial<Record<Kind, string>> = {};
  constructor(
    readonly name: string,
    readonly title: string,
  ) {}

  set(figure: string, kind: Kind, value: number): void {
    let row = this.rows.find((r) => r.figure === figure);
    if (!row) this.rows.push((row = { figure, values: {} }));
    row.values[kind] = value;
  }

  /**
   * Runs `fn` for one kind and records its figures. A server that cannot start is "not available"
   * (reported, not fatal); any other error, or any lost/duplicated/reordered message, fails the run.
   */
  async run(kind: Kind, fn: () => Promise<Record<string, number>>, result?: () => LoadResult[]): Promise<void> {
    try {
      const figures = await fn();
      for (const [k, v] of Object.entries(figures)) this.set(k, kind, v);
    } catch (e) {
      const msg = (e as Error).message;
      if (e instanceof NotAvailable) {
        this.status[kind] = 'n/a';
        this.notes.push(`${LABEL[kind]} not available: ${msg}`);
      } else {
        this.status[kind] = 'error';
        this.failures.push(`${LABEL[kind]}: ${msg}`);
      }
    }
    for (const r of result?.() ?? []) this.check(kind, r);
  }

  check(kind: Kind, r: LoadResult): void {
    if (errorCount(r) === 0) return;
    const e = r.errors;
    this.failures.push(
      `${LABEL[kind]}: lost ${e.lost}, duplicated ${e.dup}, out of order ${e.ooo}, unacknowledged ${e.unacked}, offset errors ${e.offsetErrors}, client failures ${e.failures}` +
        (r.reasons.length ? ` — ${r.reasons.slice(0, 3).join('; ')}` : ''),
    );
  }

  toJSON(): object {
    return {
      name: this.name,
      title: this.title,
      rows: this.rows.map((r) => ({ figure: r.figure, ...r.values, ...Object.fromEntries(RATIO_REFS.map((x) => [x.label, ratio(r, x.kind)])) })),
      status: this.status,
      notes: this.notes,
      failures: this.failures,
    };
  }

  print(kinds: Kind[]): string {
    const head = ['figure', ...KINDS.map((k) => LABEL[k]), ...RATIO_REFS.map((x) => x.label)];
    const lines = this.rows.map((r) => [
      r.figure,
      ...KINDS.map((k) => (r.values[k] !== undefined ? fmt(r.values[k]!) : kinds.includes(k) ? (this.status[k] ?? '—') : 'skipped')),
      ...RATIO_REFS.map((x) => fmtRatio(ratio(r, x.kind))),
    ]);
    const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
    const out = [`\n== ${this.name}: ${this.title}`, line(head), line(w.map((n) => '-'.repeat(n))), ...lines.map(line)];
    for (const n of this.notes) out.push(`  note: ${n}`);
    for (const f of this.failures) out.push(`  FAIL: ${f}`);
    return out.join('\n');
  }
}

function ratio(r: Row, ref: Kind): number | undefined {
  const x = r.values.xpush;
  const y = r.values[ref];
  return x !== undefined && y !== undefined && y !== 0 && Number.isFinite(x) && Number.isFinite(y) ? x / y : undefined;
}

function fmtRatio(v: number | undefined): string {
  return v === undefined ? '' : `${v.toFixed(v < 10 ? 2 : 1)}×`;
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
