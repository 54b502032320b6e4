import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseInstance, chooseVariant, route, type RouteInstance, type RouteVariant } from '../../src/domain/endpoints/router.js';
import { captureEncoding, captureKey, captureLine, CaptureWriter } from '../../src/domain/endpoints/capture.js';

const inst = (id: string, outstanding = 0, healthy = true): RouteInstance => ({ id, outstanding, healthy });
const v = (name: string, weight: number, instances: RouteInstance[] = [inst(`${name}-1`)]): RouteVariant => ({ name, weight, instances, current: 0 });

describe('traffic router', () => {
  it('weights 2:1 give exactly 2:1 over any multiple of 3 calls, interleaved', () => {
    const vs = [v('A', 2), v('B', 1)];
    const seq = Array.from({ length: 300 }, () => chooseVariant(vs)!.name);
    assert.equal(seq.filter((n) => n === 'A').length, 200);
    // Smooth: never three A in a row.
    assert.ok(!seq.join('').includes('AAA'));
  });

  it('fractional weights split by weight / sum(weights)', () => {
    const vs2 = [v('A', 0.5), v('B', 0.3), v('C', 0.2)];
    const c2: Record<string, number> = { A: 0, B: 0, C: 0 };
    for (let i = 0; i < 1000; i++) c2[chooseVariant(vs2)!.name]!++;
    assert.deepEqual(c2, { A: 500, B: 300, C: 200 });
  });

  it('a variant of weight 0 receives nothing; all weights 0 is no-traffic', () => {
    const vs = [v('A', 1), v('Zero', 0)];
    for (let i = 0; i < 50; i++) assert.equal(route(vs).ok && (route(vs) as any).variant.name, 'A');
    assert.deepEqual(route([v('Z', 0)]), { ok: false, reason: 'no-traffic' });
  });

  it('TargetVariant overrides weights (even weight 0); an unknown one is no-variant', () => {
    const vs = [v('A', 1), v('Zero', 0)];
    const r = route(vs, { targetVariant: 'Zero' });
    assert.ok(r.ok && r.variant.name === 'Zero');
    assert.deepEqual(route(vs, { targetVariant: 'Nope' }), { ok: false, reason: 'no-variant' });
  });

  it('a variant without a healthy instance is skipped and its share goes elsewhere', () => {
    const vs = [v('A', 2, [inst('a', 0, false)]), v('B', 1)];
    for (let i = 0; i < 10; i++) {
      const r = route(vs);
      assert.ok(r.ok && r.variant.name === 'B');
    }
    assert.deepEqual(route([v('A', 1, [inst('a', 0, false)])]), { ok: false, reason: 'no-instance' });
  });

  it('least outstanding requests among healthy instances; ties rotate', () => {
    const list = [inst('a', 3), inst('b', 1), inst('c', 1, false), inst('d', 2)];
    assert.equal(chooseInstance(list)!.id, 'b');
    const idle = [inst('a'), inst('b'), inst('c')];
    assert.deepEqual([0, 1, 2].map((r) => chooseInstance(idle, r)!.id), ['a', 'b', 'c']);
    const r = route([v('A', 1, [inst('a'), inst('b', 5)])], { exclude: new Set(['a']) });
    assert.ok(r.ok && r.instance.id === 'b');
  });
});

describe('data capture format', () => {
  const config = {
    EnableCapture: true,
    InitialSamplingPercentage: 100,
    DestinationS3Uri: 's3://bucket/capture/',
    CaptureOptions: [{ CaptureMode: 'InputAndOutput' as const }],
  };

  it('encodes CSV and JSON content types as text, anything else as BASE64', () => {
    assert.equal(captureEncoding('text/csv', config), 'CSV');
    assert.equal(captureEncoding('application/json; charset=utf-8', config), 'JSON');
    assert.equal(captureEncoding('image/png', config), 'BASE64');
    assert.equal(captureEncoding('application/x-custom', { ...config, CaptureContentTypeHeader: { JsonContentTypes: ['application/x-custom'] } }), 'JSON');
  });

  it('writes one JSON line per request in SageMaker format', () => {
    const line = JSON.parse(
      captureLine({ variant: 'A', inputContentType: 'text/csv', input: Buffer.from('1,2'), outputContentType: 'image/png', output: Buffer.from([1, 2]), inferenceId: 'inf', at: Date.UTC(2026, 0, 2, 3, 4, 5, 678) }, config, 'ev-1'),
    );
    assert.deepEqual(line, {
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '1,2', encoding: 'CSV' },
        endpointOutput: { observedContentType: 'image/png', mode: 'OUTPUT', data: 'AQI=', encoding: 'BASE64' },
      },
      eventMetadata: { eventId: 'ev-1', inferenceId: 'inf', inferenceTime: '2026-01-02T03:04:05Z' },
      eventVersion: '0',
    });
    const inputOnly = JSON.parse(captureLine({ variant: 'A', input: Buffer.from('x'), output: Buffer.from('y'), at: 0 }, { ...config, CaptureOptions: [{ CaptureMode: 'Input' }] }, 'e'));
    assert.deepEqual(Object.keys(inputOnly.captureData), ['endpointInput']);
  });

  it('lays keys out as <prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl', () => {
    assert.equal(captureKey('capture', 'ep', 'A', Date.UTC(2026, 10, 26, 9, 8, 7, 6), 'u'), 'capture/ep/A/2026/11/26/09/08-07-006-u.jsonl');
    assert.equal(captureKey('', 'ep', 'A', 0, 'u'), 'ep/A/1970/01/01/00/00-00-000-u.jsonl');
  });

  it('samples, buffers, flushes per variant, and never throws on a failing sink', async () => {
    const puts: Array<{ key: string; lines: number }> = [];
    let n = 0;
    const w = new CaptureWriter({
      endpointName: 'ep',
      config: { ...config, InitialSamplingPercentage: 50 },
      sink: { put: async (_b, key, body) => void puts.push({ key, lines: body.toString().trim().split('\n').length }) },
      uuid: () => `u${n++}`,
      random: (() => {
        let i = 0;
        return () => (i++ % 2 === 0 ? 0.2 : 0.8);
      })(),
      flushMs: 60_000,
    });
    for (let i = 0; i < 10; i++) w.record({ variant: i < 6 ? 'A' : 'B', input: Buffer.from('i'), output: Buffer.from('o'), at: 0 });
    await w.close();
    assert.deepEqual(puts.map((p) => [p.key.split('/')[2], p.lines]), [['A', 3], ['B', 2]]);
    const failing = new CaptureWriter({ endpointName: 'ep', config, sink: { put: async () => { throw new Error('NoSuchBucket'); } }, uuid: () => 'u', onError: () => {} });
    failing.record({ variant: 'A', input: Buffer.from('i'), output: Buffer.from('o'), at: 0 });
    await failing.close();
    assert.equal(failing.written, 0);
  });
});
