// The admin console's two parsers, run in Node: the Prometheus text reader (metrics page) and the
// server-sent-events reader (live inspector).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMetrics, total } from '../../src/console/prom.ts';
import { SseParser } from '../../src/console/sse.ts';

describe('parseMetrics', () => {
  const text = [
    '# HELP xpush_connections Open client connections on this node',
    '# TYPE xpush_connections gauge',
    'xpush_connections 3',
    '# HELP xpush_commands_total Commands by method',
    '# TYPE xpush_commands_total counter',
    'xpush_commands_total{method="publish",code="0"} 10',
    'xpush_commands_total{method="rpc",code="103",note="a \\"quoted\\", {braced} value\\\\n"} 2 1700000000000',
    '# HELP xpush_commit_seconds Store commit latency',
    '# TYPE xpush_commit_seconds histogram',
    'xpush_commit_seconds_bucket{le="0.005"} 4',
    'xpush_commit_seconds_bucket{le="+Inf"} 5',
    'xpush_commit_seconds_sum 0.02',
    'xpush_commit_seconds_count 5',
    'process_start_time_seconds 1700000000',
    'garbage line without a value',
    'nan_metric NaN',
    'inf_metric +Inf',
  ].join('\n');
  const fams = parseMetrics(text);

  it('reads help, type and samples with labels, escapes included', () => {
    const g = fams.get('xpush_connections')!;
    assert.equal(g.help, 'Open client connections on this node');
    assert.equal(g.type, 'gauge');
    assert.deepEqual(g.samples, [{ name: 'xpush_connections', labels: {}, value: 3 }]);
    const c = fams.get('xpush_commands_total')!;
    assert.equal(c.type, 'counter');
    assert.deepEqual(c.samples[1]!.labels, { method: 'rpc', code: '103', note: 'a "quoted", {braced} value\\n' });
    assert.equal(total(c), 12);
  });

  it('files histogram series under their family and leaves them out of the total', () => {
    const h = fams.get('xpush_commit_seconds')!;
    assert.deepEqual(h.samples.map((s) => s.name), ['xpush_commit_seconds_bucket', 'xpush_commit_seconds_bucket', 'xpush_commit_seconds_sum', 'xpush_commit_seconds_count']);
    assert.deepEqual(h.samples[1], { name: 'xpush_commit_seconds_bucket', labels: { le: '+Inf' }, value: 5 });
    assert.equal(total(h), undefined);
  });

  it('keeps untyped series, skips lines it cannot read', () => {
    assert.equal(total(fams.get('process_start_time_seconds')), 1700000000);
    assert.ok(Number.isNaN(fams.get('nan_metric')!.samples[0]!.value));
    assert.equal(fams.get('inf_metric')!.samples[0]!.value, Infinity);
    assert.equal(fams.has('garbage'), false);
    assert.equal(total(undefined), undefined);
  });
});

describe('SseParser', () => {
  it('assembles events across chunks, with names, multi-line data and comments', () => {
    const p = new SseParser();
    assert.deepEqual(p.feed(': watching\n\nevent: rea'), []);
    assert.deepEqual(p.feed('dy\ndata: {"offset":3}\n\ndata: {"a":'), [{ event: 'ready', data: '{"offset":3}' }]);
    assert.deepEqual(p.feed('1}\n\n: ping\n\ndata: line1\r\ndata: line2\r\n\r\n'), [{ event: 'message', data: '{"a":1}' }, { event: 'message', data: 'line1\nline2' }]);
    assert.deepEqual(p.feed('event: end\ndata:{"reason":"x"}\n\n'), [{ event: 'end', data: '{"reason":"x"}' }]);
    assert.deepEqual(p.feed('event: nodata\n\n'), []);
  });
});
