/**
 * Ground Truth manifest lines as Lookout for Vision reads them: `source-ref` (an s3:// URI of
 * a PNG or JPEG image), the classification `anomaly-label` with `anomaly-label-metadata`
 * whose `class-name` is `normal` or `anomaly`, and for segmentation `anomaly-mask-ref` with
 * `anomaly-mask-ref-metadata.internal-color-map` (`{"0": {"class-name", "hex-color"}, …}`).
 * A line without `anomaly-label-metadata` is an unlabeled image.
 */
export interface DatasetEntry {
  ref: string;
  /** The JSON line as stored (ListDatasetEntries returns it). */
  line: string;
  cls?: 'normal' | 'anomaly';
  maskRef?: string;
  /** `#RRGGBB` → class name. */
  colors?: Record<string, string>;
  /** Epoch ms when the entry was added or last changed. */
  created: number;
}

export class ManifestError extends Error {}

export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

/** Parses and checks one JSON line; `n` is its 1-based line number for the message. */
export function parseManifestLine(text: string, n: number, now: number): DatasetEntry {
  let obj: any;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new ManifestError(`Manifest line ${n} is not valid JSON.`);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ManifestError(`Manifest line ${n} is not a JSON object.`);
  const ref = obj['source-ref'];
  if (typeof ref !== 'string' || !parseS3Uri(ref)) throw new ManifestError(`Manifest line ${n} has no valid source-ref (an s3://bucket/key URI).`);
  if (!/\.(png|jpe?g)$/i.test(ref)) throw new ManifestError(`Manifest line ${n}: ${ref} is not a PNG or JPEG image (.png, .jpg, .jpeg).`);
  const entry: DatasetEntry = { ref, line: JSON.stringify(obj), created: now };
  const meta = obj['anomaly-label-metadata'];
  if (meta !== undefined) {
    const cls = meta?.['class-name'];
    if (cls !== 'normal' && cls !== 'anomaly') {
      throw new ManifestError(`Manifest line ${n}: anomaly-label-metadata.class-name must be 'normal' or 'anomaly'.`);
    }
    if (obj['anomaly-label'] === undefined) throw new ManifestError(`Manifest line ${n} has anomaly-label-metadata but no anomaly-label.`);
    entry.cls = cls;
  }
  const maskRef = obj['anomaly-mask-ref'];
  if (maskRef !== undefined) {
    if (typeof maskRef !== 'string' || !parseS3Uri(maskRef)) throw new ManifestError(`Manifest line ${n}: anomaly-mask-ref is not an s3:// URI.`);
    const map = obj['anomaly-mask-ref-metadata']?.['internal-color-map'];
    if (!map || typeof map !== 'object') {
      throw new ManifestError(`Manifest line ${n}: anomaly-mask-ref needs anomaly-mask-ref-metadata.internal-color-map.`);
    }
    const colors: Record<string, string> = {};
    for (const v of Object.values<any>(map)) {
      if (typeof v?.['class-name'] !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(v?.['hex-color'] ?? '')) {
        throw new ManifestError(`Manifest line ${n}: every internal-color-map entry needs a class-name and a hex-color (#RRGGBB).`);
      }
      colors[v['hex-color'].toUpperCase()] = v['class-name'];
    }
    entry.maskRef = maskRef;
    entry.colors = colors;
  }
  return entry;
}

/** All lines of a manifest (blank lines skipped); throws on the first bad line or duplicate image. */
export function parseManifest(text: string, now: number): DatasetEntry[] {
  const out: DatasetEntry[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const e = parseManifestLine(line, i + 1, now);
    if (seen.has(e.ref)) throw new ManifestError(`Manifest line ${i + 1}: ${e.ref} appears more than once.`);
    seen.add(e.ref);
    out.push(e);
  });
  return out;
}
