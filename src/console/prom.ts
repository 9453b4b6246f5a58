/**
 * A reader of the Prometheus text format (what /metrics serves), enough for a glance: families with
 * their help, type and samples. Histogram and summary series (`_bucket`, `_sum`, `_count`) are
 * filed under their family.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: string;
  samples: Sample[];
}

const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

export function parseMetrics(text: string): Map<string, Family> {
  const fams = new Map<string, Family>();
  const fam = (name: string): Family => {
    let f = fams.get(name);
    if (!f) {
      f = { name, help: '', type: 'untyped', samples: [] };
      fams.set(name, f);
    }
    return f;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)\s?(.*)$/.exec(line);
      if (!m) continue;
      if (m[1] === 'HELP') fam(m[2]!).help = m[3]!.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      else fam(m[2]!).type = m[3]!.trim();
      continue;
    }
    const s = parseSample(line);
    if (!s) continue;
    const owner = familyOf(s.name, fams);
    fam(owner).samples.push(s);
  }
  return fams;
}

/** The family a sample belongs to: its own name, or the name without a histogram/summary/counter suffix. */
function familyOf(name: string, fams: Map<string, Family>): string {
  if (fams.has(name)) return name;
  for (const suf of SUFFIXES) if (name.endsWith(suf) && fams.has(name.slice(0, -suf.length))) return name.slice(0, -suf.length);
  return name;
}

function parseSample(line: string): Sample | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\S+)?$/.exec(line);
  if (!m) return undefined;
  const value = parseValue(m[3]!);
  if (value === undefined) return undefined;
  return { name: m[1]!, labels: m[2] ? parseLabels(m[2].slice(1, -1)) : {}, value };
}

function parseValue(v: string): number | undefined {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  const n = Number(v);
  return Number.isNaN(n) ? undefined : n;
}

/** `a="x",b="y \"q\""` → {a: 'x', b: 'y "q"'}; values may hold commas, braces and escapes. */
function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return out;
}

/** The sum of a family's plain samples (no buckets/sums/counts), or undefined when it has none. */
export function total(f: Family | undefined): number | undefined {
  if (!f) return undefined;
  const plain = f.samples.filter((s) => s.name === f.name || s.name === f.name + '_total');
  return plain.length ? plain.reduce((a, s) => a + s.value, 0) : undefined;
}
