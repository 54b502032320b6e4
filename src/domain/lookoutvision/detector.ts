import { decodeImage, encodePng, parseHex, toHex, type RgbaImage } from './image.js';

/**
 * The anomaly detector: a classical, fully trained-on-your-data method (no downloaded
 * weights). Images of one project are aligned views of the same part, so every grid cell
 * sees the same piece of the part in every normal image. Training learns, per cell, the
 * mean and spread of a few local features (mean R, G, B; luminance contrast; gradient
 * energy); an image's anomaly score is its largest per-feature z-score over all cells. The
 * decision threshold is calibrated on held-out scores of the normal training images
 * (leave-one-out, so the model is never judged on images it memorised) and, when the
 * training data has anomalous images, placed where it best separates them.
 */
export const FEATURES = ['meanR', 'meanG', 'meanB', 'contrast', 'gradient'] as const;
const NF = FEATURES.length;
/** Floor on a feature's standard deviation (features are in 0..1): a perfectly constant cell must not make noise infinite. */
const SIGMA_FLOOR = 0.012;

export interface SegmentationClass {
  name: string;
  /** `#RRGGBB`, as in the training manifest's colour map. */
  color: string;
  /** Mean of the signed, clipped per-feature z-scores of this class's cells. */
  centroid: number[];
}

export interface DetectorModel {
  format: 'slipway-lookout-grid-gaussian/1';
  width: number;
  height: number;
  /** Cell side in pixels; the grid is gx × gy cells (the last row/column may be narrower). */
  cell: number;
  gx: number;
  gy: number;
  mean: number[];
  std: number[];
  /** Image-level decision threshold on the score. */
  threshold: number;
  /** Cell-level threshold for the segmentation mask. */
  cellThreshold: number;
  segmentation?: { backgroundColor: string; classes: SegmentationClass[] };
}

export interface Detection {
  score: number;
  isAnomalous: boolean;
  confidence: number;
  anomalies?: Array<{ Name: string; PixelAnomaly: { TotalPercentageArea: number; Color: string } }>;
  mask?: Buffer;
}

export function cellSize(width: number, height: number): number {
  // About 16 cells along the shorter side: 4 px at 64×64, 16 px at 256×256.
  return Math.max(4, Math.round(Math.min(width, height) / 16));
}

/** Per-cell features of one image, laid out [cell][feature]. */
export function extractFeatures(img: RgbaImage, cell: number): Float64Array {
  const { width: w, height: h, data } = img;
  const gx = Math.ceil(w / cell);
  const gy = Math.ceil(h / cell);
  const lum = new Float64Array(w * h);
  for (let i = 0, p = 0; i < w * h; i++, p += 4) lum[i] = (0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2]) / 255;
  const out = new Float64Array(gx * gy * NF);
  for (let cy = 0; cy < gy; cy++) {
    const y0 = cy * cell;
    const y1 = Math.min(h, y0 + cell);
    for (let cx = 0; cx < gx; cx++) {
      const x0 = cx * cell;
      const x1 = Math.min(w, x0 + cell);
      let r = 0, g = 0, b = 0, l = 0, l2 = 0, grad = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = y * w + x;
          const p = i * 4;
          r += data[p];
          g += data[p + 1];
          b += data[p + 2];
          const v = lum[i];
          l += v;
          l2 += v * v;
          const dx = x + 1 < w ? lum[i + 1] - v : 0;
          const dy = y + 1 < h ? lum[i + w] - v : 0;
          grad += Math.abs(dx) + Math.abs(dy);
        }
      }
      const n = (x1 - x0) * (y1 - y0);
      const o = (cy * gx + cx) * NF;
      out[o] = r / n / 255;
      out[o + 1] = g / n / 255;
      out[o + 2] = b / n / 255;
      const ml = l / n;
      out[o + 3] = Math.sqrt(Math.max(0, l2 / n - ml * ml));
      out[o + 4] = grad / n;
    }
  }
  return out;
}

/** Largest |z| over the features of each cell, and the image score (the largest of those). */
function cellScores(f: Float64Array, mean: ArrayLike<number>, std: ArrayLike<number>): { cells: Float64Array; score: number } {
  const nc = f.length / NF;
  const cells = new Float64Array(nc);
  let score = 0;
  for (let c = 0; c < nc; c++) {
    let m = 0;
    for (let k = 0; k < NF; k++) {
      const i = c * NF + k;
      const z = Math.abs(f[i] - mean[i]) / std[i];
      if (z > m) m = z;
    }
    cells[c] = m;
    if (m > score) score = m;
  }
  return { cells, score };
}

export interface TrainingImage {
  img: RgbaImage;
  anomalous: boolean;
  /** Decoded segmentation mask and its colour map (class name by `#RRGGBB`), when labelled. */
  mask?: RgbaImage;
  colors?: Map<string, string>;
}

export class TrainingError extends Error {}

/** Fits the per-cell Gaussians on the normal images and calibrates the thresholds. */
export function train(images: TrainingImage[]): DetectorModel {
  const normals = images.filter((i) => !i.anomalous);
  const anomalies = images.filter((i) => i.anomalous);
  if (normals.length < 3) throw new TrainingError('Training needs at least 3 normal images to learn what normal looks like.');
  const { width, height } = normals[0].img;
  const cell = cellSize(width, height);
  const gx = Math.ceil(width / cell);
  const gy = Math.ceil(height / cell);
  const feats = normals.map((i) => extractFeatures(i.img, cell));
  const len = feats[0].length;
  const s1 = new Float64Array(len);
  const s2 = new Float64Array(len);
  for (const f of feats) for (let i = 0; i < len; i++) (s1[i] += f[i]), (s2[i] += f[i] * f[i]);
  const n = feats.length;
  const mean = new Float64Array(len);
  const std = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    mean[i] = s1[i] / n;
    const v = Math.max(0, s2[i] / n - mean[i] * mean[i]) * (n / (n - 1));
    std[i] = Math.sqrt(v + SIGMA_FLOOR * SIGMA_FLOOR);
  }
  // Leave-one-out scores: each normal image judged by statistics that exclude it, an honest
  // sample of the scores unseen normal images will get.
  const looMean = new Float64Array(len);
  const looStd = new Float64Array(len);
  const normalScores = feats.map((f) => {
    for (let i = 0; i < len; i++) {
      const m = (s1[i] - f[i]) / (n - 1);
      const v = Math.max(0, (s2[i] - f[i] * f[i]) / (n - 1) - m * m) * ((n - 1) / Math.max(1, n - 2));
      looMean[i] = m;
      looStd[i] = Math.sqrt(v + SIGMA_FLOOR * SIGMA_FLOOR);
    }
    return cellScores(f, looMean, looStd).score;
  });
  const anomalyFeats = anomalies.map((a) => extractFeatures(a.img, cell));
  const anomalyScores = anomalyFeats.map((f) => cellScores(f, mean, std).score);
  const maxNormal = Math.max(...normalScores);
  const threshold = anomalyScores.length ? bestThreshold(normalScores, anomalyScores) : maxNormal * 1.15;
  const model: DetectorModel = {
    format: 'slipway-lookout-grid-gaussian/1',
    width,
    height,
    cell,
    gx,
    gy,
    mean: Array.from(mean),
    std: Array.from(std),
    threshold,
    // A cell is painted into the mask only when it is further out than any cell of any
    // held-out normal image: normal images then get (almost) empty masks.
    cellThreshold: Math.max(maxNormal * 1.05, Math.min(threshold, maxNormal * 1.5)),
  };
  const seg = segmentationClasses(anomalies, anomalyFeats, mean, std, cell, gx, gy);
  if (seg) model.segmentation = seg;
  return model;
}

/**
 * The threshold with the best F1 separating normal from anomalous training scores; among
 * equally good cut points, the geometric middle of the widest gap (largest margin).
 */
function bestThreshold(normal: number[], anomalous: number[]): number {
  const all = [...normal.map((s) => ({ s, a: false })), ...anomalous.map((s) => ({ s, a: true }))].sort((x, y) => x.s - y.s);
  let best = -1;
  let bestT = Math.max(...normal) * 1.15;
  let bestGap = 0;
  const P = anomalous.length;
  // Cut between all[i-1] and all[i]: everything from i upwards is called anomalous.
  let tpAbove = P;
  let fpAbove = normal.length;
  for (let i = 0; i <= all.length; i++) {
    if (i > 0) {
      if (all[i - 1].a) tpAbove--;
      else fpAbove--;
    }
    const lo = i > 0 ? all[i - 1].s : all[0].s / 2;
    const hi = i < all.length ? all[i].s : all[all.length - 1].s * 2;
    if (hi <= lo) continue;
    const prec = tpAbove + fpAbove ? tpAbove / (tpAbove + fpAbove) : 0;
    const rec = tpAbove / P;
    const f1 = prec + rec ? (2 * prec * rec) / (prec + rec) : 0;
    const gap = Math.log(hi / Math.max(lo, 1e-9));
    if (f1 > best + 1e-12 || (Math.abs(f1 - best) <= 1e-12 && gap > bestGap)) {
      best = f1;
      bestGap = gap;
      bestT = Math.sqrt(Math.max(lo, 1e-9) * hi);
    }
  }
  return bestT;
}

function segmentationClasses(
  anomalies: TrainingImage[],
  feats: Float64Array[],
  mean: Float64Array,
  std: Float64Array,
  cell: number,
  gx: number,
  gy: number,
): DetectorModel['segmentation'] | undefined {
  const withMask = anomalies.map((a, i) => ({ a, f: feats[i] })).filter((x) => x.a.mask && x.a.colors);
  if (!withMask.length) return undefined;
  const sums = new Map<string, { name: string; sum: Float64Array; n: number }>();
  let backgroundColor = '#FFFFFF';
  for (const { a, f } of withMask) {
    const mask = a.mask!;
    for (const [hex, name] of a.colors!) if (name.toLowerCase() === 'background') backgroundColor = hex;
    for (let cy = 0; cy < gy; cy++) {
      for (let cx = 0; cx < gx; cx++) {
        const counts = new Map<string, number>();
        let total = 0;
        for (let y = cy * cell; y < Math.min(mask.height, (cy + 1) * cell); y++) {
          for (let x = cx * cell; x < Math.min(mask.width, (cx + 1) * cell); x++) {
            const p = (y * mask.width + x) * 4;
            total++;
            const hex = toHex([mask.data[p], mask.data[p + 1], mask.data[p + 2]]);
            const name = a.colors!.get(hex);
            if (name && name.toLowerCase() !== 'background') counts.set(hex, (counts.get(hex) ?? 0) + 1);
          }
        }
        let top: string | undefined;
        let topN = 0;
        for (const [hex, c] of counts) if (c > topN) (top = hex), (topN = c);
        if (!top || topN < total * 0.25) continue;
        const c = cy * gx + cx;
        const entry = sums.get(top) ?? { name: a.colors!.get(top)!, sum: new Float64Array(NF), n: 0 };
        for (let k = 0; k < NF; k++) entry.sum[k] += clipZ((f[c * NF + k] - mean[c * NF + k]) / std[c * NF + k]);
        entry.n++;
        sums.set(top, entry);
      }
    }
  }
  if (!sums.size) return undefined;
  const classes = [...sums].map(([color, e]) => ({ name: e.name, color, centroid: Array.from(e.sum, (v) => v / e.n) }));
  return { backgroundColor, classes };
}

/** A loaded model: typed arrays ready to score images. */
let loads = 0;

export class Detector {
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  /** Distinguishes loads of the same model version (hosted, stopped, hosted again). */
  readonly id = ++loads;
  constructor(readonly model: DetectorModel) {
    this.mean = Float64Array.from(model.mean);
    this.std = Float64Array.from(model.std);
  }

  /** Scores a decoded image; the caller checks its size against `model.width/height`. */
  detect(img: RgbaImage): Detection {
    const m = this.model;
    const f = extractFeatures(img, m.cell);
    const { cells, score } = cellScores(f, this.mean, this.std);
    const isAnomalous = score > m.threshold;
    // Confidence in the decision: a logistic of the log distance from the threshold (0.5 at the threshold).
    const p = 1 / (1 + Math.exp(-4 * Math.log(Math.max(score, 1e-9) / m.threshold)));
    const out: Detection = { score, isAnomalous, confidence: round(isAnomalous ? p : 1 - p) };
    if (m.segmentation) Object.assign(out, this.segment(img, f, cells));
    return out;
  }

  private segment(img: RgbaImage, f: Float64Array, cells: Float64Array): Pick<Detection, 'anomalies' | 'mask'> {
    const m = this.model;
    const seg = m.segmentation!;
    const bg = parseHex(seg.backgroundColor) ?? [255, 255, 255];
    const mask = new Uint8Array(img.width * img.height * 4);
    for (let i = 0; i < img.width * img.height; i++) mask.set([bg[0], bg[1], bg[2], 255], i * 4);
    const area = new Map<string, number>();
    const total = img.width * img.height;
    // Flagged cells grouped into connected regions (4-neighbour); each region is one defect
    // and takes the class its cells vote for (summed similarity to the class centroids), so a
    // single defect is not reported as several anomaly types.
    const flagged = new Int32Array(cells.length).fill(-1);
    const regions: number[][] = [];
    for (let c = 0; c < cells.length; c++) {
      if (cells[c] <= m.cellThreshold || flagged[c] >= 0) continue;
      const region: number[] = [];
      const stack = [c];
      flagged[c] = regions.length;
      while (stack.length) {
        const cur = stack.pop()!;
        region.push(cur);
        const cx = cur % m.gx;
        const cy = Math.floor(cur / m.gx);
        for (const [nx, ny] of [[cx - 1, cy], [cx + 1, cy], [cx, cy - 1], [cx, cy + 1]]) {
          if (nx < 0 || ny < 0 || nx >= m.gx || ny >= m.gy) continue;
          const n = ny * m.gx + nx;
          if (flagged[n] < 0 && cells[n] > m.cellThreshold) {
            flagged[n] = regions.length;
            stack.push(n);
          }
        }
      }
      regions.push(region);
    }
    for (const region of regions) {
      // Votes: minus the squared distance of each cell's (clipped) z-vector to each class centroid.
      const votes = new Float64Array(seg.classes.length);
      for (const c of region) {
        seg.classes.forEach((cls, i) => {
          for (let k = 0; k < NF; k++) {
            const dz = clipZ((f[c * NF + k] - this.mean[c * NF + k]) / this.std[c * NF + k]) - cls.centroid[k];
            votes[i] -= dz * dz;
          }
        });
      }
      let best = 0;
      for (let i = 1; i < votes.length; i++) if (votes[i] > votes[best]) best = i;
      const cls = seg.classes[best];
      const rgb = parseHex(cls.color)!;
      let px = 0;
      for (const c of region) {
        const cx = c % m.gx;
        const cy = Math.floor(c / m.gx);
        for (let y = cy * m.cell; y < Math.min(img.height, (cy + 1) * m.cell); y++) {
          for (let x = cx * m.cell; x < Math.min(img.width, (cx + 1) * m.cell); x++) {
            mask.set([rgb[0], rgb[1], rgb[2], 255], (y * img.width + x) * 4);
            px++;
          }
        }
      }
      area.set(cls.color, (area.get(cls.color) ?? 0) + px);
    }
    let anomalous = 0;
    for (const v of area.values()) anomalous += v;
    // AWS: the first entry is always 'background'; then one entry per anomaly type found.
    const anomalies = [{ Name: 'background', PixelAnomaly: { TotalPercentageArea: round((total - anomalous) / total), Color: seg.backgroundColor } }];
    for (const cls of seg.classes) {
      const px = area.get(cls.color);
      if (px) anomalies.push({ Name: cls.name, PixelAnomaly: { TotalPercentageArea: round(px / total), Color: cls.color } });
    }
    return { anomalies, mask: encodePng({ width: img.width, height: img.height, data: mask }) };
  }
}

/** Class prototypes compare z-scores up to ±30: beyond that a cell is simply 'very different'. */
const clipZ = (z: number) => (z > 30 ? 30 : z < -30 ? -30 : z);
const round = (v: number) => Math.round(v * 1e6) / 1e6;

export { decodeImage };
