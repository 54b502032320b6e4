import { encodePng, type RgbaImage } from './image.js';

/**
 * A deterministic benchmark of aligned "industrial part" images: a brushed metal flange with
 * a centre bore and four bolt holes on a dark conveyor, photographed from a fixed camera
 * (±1 px of jitter, a little exposure drift, sensor noise and a brushing pattern that differs
 * from part to part). Anomalous parts carry one defect: a scratch, a spot, a missing piece
 * (a bite out of the rim) or a colour change (corrosion). Each anomalous image comes with a
 * Ground Truth segmentation mask; `manifest()` writes the JSON lines Lookout for Vision reads.
 */
export const DEFECTS = ['scratch', 'spot', 'missing', 'discolor'] as const;
export type Defect = (typeof DEFECTS)[number];

/** Mask colours, as a Ground Truth semantic-segmentation job would assign them. */
export const DEFECT_COLORS: Record<Defect, string> = {
  scratch: '#2CA02C',
  spot: '#D62728',
  missing: '#1F77B4',
  discolor: '#FF7F0E',
};
export const BACKGROUND_COLOR = '#FFFFFF';

export interface GeneratedImage {
  /** File name, e.g. `normal-007.png`. */
  name: string;
  png: Buffer;
  anomalous: boolean;
  defect?: Defect;
  /** Segmentation mask (PNG) for anomalous images. */
  mask?: Buffer;
}

export interface GenerateOptions {
  seed: number;
  size?: number;
  normal?: number;
  anomalous?: number;
}

/** mulberry32: small, fast and good enough to make the benchmark reproducible from a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateSet(opts: GenerateOptions): GeneratedImage[] {
  const size = opts.size ?? 64;
  const rand = rng(opts.seed);
  const out: GeneratedImage[] = [];
  const nN = opts.normal ?? 100;
  const nA = opts.anomalous ?? 30;
  for (let i = 0; i < nN; i++) {
    const { img } = renderPart(size, rand);
    out.push({ name: `normal-${String(i).padStart(3, '0')}.png`, png: encodePng(img), anomalous: false });
  }
  for (let i = 0; i < nA; i++) {
    const defect = DEFECTS[i % DEFECTS.length];
    const { img, geom } = renderPart(size, rand);
    const mask = new Uint8Array(size * size * 4).fill(255);
    addDefect(img, mask, geom, defect, rand);
    out.push({
      name: `anomaly-${defect}-${String(i).padStart(3, '0')}.png`,
      png: encodePng(img),
      anomalous: true,
      defect,
      mask: encodePng({ width: size, height: size, data: mask }),
    });
  }
  return out;
}

interface Geometry {
  cx: number;
  cy: number;
  r: number;
  bore: number;
  size: number;
}

function renderPart(size: number, rand: () => number): { img: RgbaImage; geom: Geometry } {
  const s = size / 64;
  const cx = size / 2 + (rand() * 2 - 1) * s;
  const cy = size / 2 + (rand() * 2 - 1) * s;
  const r = 26 * s;
  const bore = 7 * s;
  const exposure = 1 + (rand() * 2 - 1) * 0.03;
  const phase = rand() * Math.PI * 2;
  const freq = (0.7 + rand() * 0.3) / s;
  const data = new Uint8Array(size * size * 4);
  const bolts = [0, 1, 2, 3].map((k) => [cx + Math.cos(k * Math.PI / 2 + Math.PI / 4) * 17 * s, cy + Math.sin(k * Math.PI / 2 + Math.PI / 4) * 17 * s]);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      let v: [number, number, number];
      const noise = (rand() - 0.5) * 10;
      const onPart = d <= r && d >= bore && !bolts.some(([bx, by]) => Math.hypot(x + 0.5 - bx, y + 0.5 - by) < 2.6 * s);
      if (onPart) {
        // Brushed metal: concentric brushing rings plus a soft radial light falloff.
        const brush = Math.sin(d * freq * 3 + phase) * 7;
        const light = 180 - (d / r) * 25;
        const g = light + brush + noise;
        v = [g, g, g + 6];
      } else {
        const g = 38 + noise * 0.6;
        v = [g, g + 2, g + 6];
      }
      const p = (y * size + x) * 4;
      data[p] = clamp(v[0] * exposure);
      data[p + 1] = clamp(v[1] * exposure);
      data[p + 2] = clamp(v[2] * exposure);
      data[p + 3] = 255;
    }
  }
  return { img: { width: size, height: size, data }, geom: { cx, cy, r, bore, size } };
}

function addDefect(img: RgbaImage, mask: Uint8Array, g: Geometry, defect: Defect, rand: () => number): void {
  const s = g.size / 64;
  const color = hex(DEFECT_COLORS[defect]);
  const paint = (x: number, y: number, f: (p: number) => void) => {
    if (x < 0 || y < 0 || x >= g.size || y >= g.size) return;
    const p = (y * g.size + x) * 4;
    f(p);
    mask.set([color[0], color[1], color[2], 255], p);
  };
  // A point on the part's face, clear of the bore.
  const angle = rand() * Math.PI * 2;
  const rad = g.bore + 4 * s + rand() * (g.r - g.bore - 8 * s);
  const px = g.cx + Math.cos(angle) * rad;
  const py = g.cy + Math.sin(angle) * rad;
  switch (defect) {
    case 'scratch': {
      const len = (12 + rand() * 10) * s;
      const a = rand() * Math.PI;
      const dark = rand() < 0.5;
      for (let t = -len / 2; t <= len / 2; t += 0.5) {
        for (let w = 0; w < Math.max(1, Math.round(s)); w++) {
          const x = Math.round(px + Math.cos(a) * t - Math.sin(a) * w);
          const y = Math.round(py + Math.sin(a) * t + Math.cos(a) * w);
          paint(x, y, (p) => {
            for (let k = 0; k < 3; k++) img.data[p + k] = clamp(dark ? img.data[p + k] * 0.45 : img.data[p + k] + 70);
          });
        }
      }
      break;
    }
    case 'spot': {
      const rr = (2 + rand() * 2) * s;
      forDisc(px, py, rr, (x, y) =>
        paint(x, y, (p) => {
          img.data[p] = clamp(70 + rand() * 10);
          img.data[p + 1] = clamp(55 + rand() * 10);
          img.data[p + 2] = clamp(45 + rand() * 10);
        }),
      );
      break;
    }
    case 'missing': {
      // A bite out of the rim: the conveyor shows through.
      const a = rand() * Math.PI * 2;
      const rr = (5 + rand() * 3) * s;
      forDisc(g.cx + Math.cos(a) * g.r, g.cy + Math.sin(a) * g.r, rr, (x, y) => {
        if (Math.hypot(x + 0.5 - g.cx, y + 0.5 - g.cy) > g.r) return;
        paint(x, y, (p) => {
          const v = 38 + (rand() - 0.5) * 6;
          img.data[p] = clamp(v);
          img.data[p + 1] = clamp(v + 2);
          img.data[p + 2] = clamp(v + 6);
        });
      });
      break;
    }
    case 'discolor': {
      const rr = (4 + rand() * 3) * s;
      forDisc(px, py, rr, (x, y) =>
        paint(x, y, (p) => {
          img.data[p] = clamp(img.data[p] * 0.95 + 25);
          img.data[p + 1] = clamp(img.data[p + 1] * 0.75);
          img.data[p + 2] = clamp(img.data[p + 2] * 0.5);
        }),
      );
      break;
    }
  }
}

function forDisc(cx: number, cy: number, r: number, f: (x: number, y: number) => void): void {
  for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
    for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) if (Math.hypot(x + 0.5 - cx, y + 0.5 - cy) <= r) f(x, y);
  }
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
function hex(h: string): [number, number, number] {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * Ground Truth manifest lines for a generated set stored under `s3://bucket/prefix`
 * (images at `<prefix><name>`, masks at `<prefix>masks/<name>`), in the format of Lookout
 * for Vision's developer guide: classification (`anomaly-label` + metadata with
 * `class-name` normal/anomaly) and, for anomalies, segmentation (`anomaly-mask-ref` with an
 * `internal-color-map`).
 */
export function manifest(images: GeneratedImage[], bucket: string, prefix: string, opts: { masks?: boolean } = {}): string {
  const date = '2026-01-01T00:00:00.000';
  return (
    images
      .map((im) => {
        const line: Record<string, unknown> = {
          'source-ref': `s3://${bucket}/${prefix}${im.name}`,
          'anomaly-label': im.anomalous ? 1 : 0,
          'anomaly-label-metadata': {
            confidence: 1,
            'job-name': 'labeling-job/slipway-benchmark',
            'class-name': im.anomalous ? 'anomaly' : 'normal',
            'human-annotated': 'yes',
            'creation-date': date,
            type: 'groundtruth/image-classification',
          },
        };
        if (opts.masks && im.mask) {
          line['anomaly-mask-ref'] = `s3://${bucket}/${prefix}masks/${im.name}`;
          line['anomaly-mask-ref-metadata'] = {
            'internal-color-map': {
              '0': { 'class-name': 'BACKGROUND', 'hex-color': BACKGROUND_COLOR, confidence: 0 },
              '1': { 'class-name': im.defect, 'hex-color': DEFECT_COLORS[im.defect!], confidence: 0 },
            },
            type: 'groundtruth/semantic-segmentation',
            'human-annotated': 'yes',
            'creation-date': date,
            'job-name': 'labeling-job/slipway-benchmark-segmentation',
          };
        }
        return JSON.stringify(line);
      })
      .join('\n') + '\n'
  );
}
