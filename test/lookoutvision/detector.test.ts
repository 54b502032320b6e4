import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFECT_COLORS, generateSet, manifest } from '../../src/domain/lookoutvision/generator.js';
import { trainAndEvaluate, metrics, type Sample } from '../../src/domain/lookoutvision/trainer.js';
import { Detector, TrainingError } from '../../src/domain/lookoutvision/detector.js';
import { decodeImage } from '../../src/domain/lookoutvision/image.js';
import { parseManifest } from '../../src/domain/lookoutvision/manifest.js';

const samples = (seed: number, opts: { normal?: number; anomalous?: number; size?: number } = {}): Sample[] =>
  generateSet({ seed, ...opts }).map((im) => ({ ref: im.name, anomalous: im.anomalous, bytes: im.png }));

describe('anomaly detector and benchmark generator', () => {
  it('generates the same benchmark from the same seed, and another from another seed', () => {
    const a = generateSet({ seed: 7, normal: 3, anomalous: 4 });
    const b = generateSet({ seed: 7, normal: 3, anomalous: 4 });
    const c = generateSet({ seed: 8, normal: 3, anomalous: 4 });
    assert.deepEqual(a.map((x) => x.png), b.map((x) => x.png));
    assert.notDeepEqual(a.map((x) => x.png), c.map((x) => x.png));
    assert.deepEqual(a.map((x) => x.defect), [undefined, undefined, undefined, 'scratch', 'spot', 'missing', 'discolor']);
    // Every defect is visible in its mask, and its manifest line parses back with the colour map.
    const entries = parseManifest(manifest(a, 'b', 'p/', { masks: true }), 0);
    assert.equal(entries.length, 7);
    assert.deepEqual(entries[3].colors, { '#FFFFFF': 'BACKGROUND', '#2CA02C': 'scratch' });
    for (const im of a.filter((x) => x.anomalous)) {
      const mask = decodeImage(im.mask!);
      let marked = 0;
      for (let p = 0; p < mask.data.length; p += 4) if (mask.data[p] !== 255 || mask.data[p + 1] !== 255) marked++;
      assert.ok(marked >= 8, `${im.name}: ${marked} mask pixels`);
    }
  });

  it('reaches F1 ≥ 0.9 on a held-out test set of 100 normal + 30 anomalous parts', () => {
    const out = trainAndEvaluate({ train: samples(101), test: samples(102) });
    assert.ok(out.performance.F1Score >= 0.9, JSON.stringify(out.performance));
    assert.equal(out.evaluated.length, 130);
    assert.equal(out.split, false);
  });

  it('is not a constant answer: normals score below the threshold and defects above it', () => {
    const out = trainAndEvaluate({ train: samples(103, { normal: 40, anomalous: 12 }), test: samples(104, { normal: 20, anomalous: 12 }) });
    const normal = out.evaluated.filter((e) => !e.anomalous);
    const anomalous = out.evaluated.filter((e) => e.anomalous);
    assert.ok(normal.filter((e) => !e.predicted).length >= 18, 'most normals pass');
    assert.ok(anomalous.filter((e) => e.predicted).length >= 10, 'most defects are caught');
    const d = new Detector(out.model);
    const flipped = generateSet({ seed: 105, normal: 1, anomalous: 0 })[0];
    const img = decodeImage(flipped.png);
    // Paint a bright square onto a normal part: it must become anomalous.
    for (let y = 20; y < 30; y++) for (let x = 20; x < 30; x++) img.data.set([255, 255, 0, 255], (y * 64 + x) * 4);
    assert.equal(d.detect(img).isAnomalous, true);
  });

  it('splits a single dataset 80/20 for evaluation and enforces the minimum image counts', () => {
    const out = trainAndEvaluate({ train: samples(106, { normal: 20, anomalous: 10 }), test: [] });
    assert.equal(out.split, true);
    assert.equal(out.evaluated.length, 4 + 2);
    assert.throws(() => trainAndEvaluate({ train: samples(107, { normal: 19, anomalous: 10 }), test: [] }), TrainingError);
    assert.throws(() => trainAndEvaluate({ train: samples(108, { normal: 9, anomalous: 0 }), test: samples(109, { normal: 10, anomalous: 10 }) }), /at least 10 normal/);
  });

  it('computes precision, recall and F1 from the confusion counts', () => {
    const ev = [
      { anomalous: true, predicted: true },
      { anomalous: true, predicted: false },
      { anomalous: false, predicted: true },
      { anomalous: false, predicted: false },
    ];
    assert.deepEqual(metrics(ev), { F1Score: 0.5, Precision: 0.5, Recall: 0.5 });
    assert.deepEqual(metrics([{ anomalous: false, predicted: false }]), { F1Score: 0, Precision: 0, Recall: 0 });
  });
  it('segments defects: each detected defect gets a mask region, mostly of its own type', () => {
    const withMasks = (seed: number): Sample[] =>
      generateSet({ seed }).map((im) => ({
        ref: im.name,
        anomalous: im.anomalous,
        bytes: im.png,
        mask: im.mask,
        colors: im.defect ? { '#FFFFFF': 'BACKGROUND', [DEFECT_COLORS[im.defect]]: im.defect } : undefined,
      }));
    const out = trainAndEvaluate({ train: withMasks(111), test: [] });
    assert.deepEqual(out.model.segmentation?.classes.map((c) => c.name).sort(), ['discolor', 'missing', 'scratch', 'spot']);
    const d = new Detector(out.model);
    let detected = 0;
    let ownType = 0;
    for (const im of generateSet({ seed: 112, normal: 0, anomalous: 40 })) {
      const r = d.detect(decodeImage(im.png));
      if (!r.isAnomalous) continue;
      detected++;
      const names = r.anomalies!.slice(1).map((a) => a.Name);
      assert.ok(names.length >= 1, `${im.name}: a detected defect has a mask region`);
      if (names.includes(im.defect!)) ownType++;
    }
    assert.ok(detected >= 36, `${detected}/40 detected`);
    assert.ok(ownType >= detected * 0.6, `${ownType}/${detected} masks name the defect's own type`);
  });
});
