import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

/** A decoded image: RGBA, 8 bits per channel, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Why an image could not be used (wrong type, undecodable, wrong size); mapped to ValidationException by the API. */
export class ImageError extends Error {}

/**
 * Lookout for Vision accepts PNG and JPEG only (DetectAnomalies' ContentType is `image/png`
 * or `image/jpeg`; datasets hold .png/.jpg images), 64–4096 pixels a side.
 */
export const MIN_SIDE = 64;
export const MAX_SIDE = 4096;

export function sniffType(buf: Uint8Array): 'image/png' | 'image/jpeg' | undefined {
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) return 'image/png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  return undefined;
}

/** Decodes PNG or JPEG bytes (pure JS: pngjs, jpeg-js). `expected` is the declared content type, checked against the bytes. */
export function decodeImage(buf: Uint8Array, expected?: string): RgbaImage {
  const type = sniffType(buf);
  if (!type) throw new ImageError('The image is neither a PNG nor a JPEG image.');
  if (expected !== undefined && expected !== type) {
    throw new ImageError(`The image content (${type}) does not match the content type ${expected}.`);
  }
  let img: RgbaImage;
  try {
    if (type === 'image/png') {
      const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
      img = { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } else {
      const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
      img = { width: j.width, height: j.height, data: j.data };
    }
  } catch (e) {
    throw new ImageError(`The ${type === 'image/png' ? 'PNG' : 'JPEG'} image could not be decoded: ${(e as Error).message}`);
  }
  if (img.width < MIN_SIDE || img.height < MIN_SIDE || img.width > MAX_SIDE || img.height > MAX_SIDE) {
    throw new ImageError(`Image dimensions ${img.width}x${img.height} are outside the supported range of ${MIN_SIDE} to ${MAX_SIDE} pixels.`);
  }
  return img;
}

export function encodePng(img: RgbaImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).copy(png.data);
  return PNG.sync.write(png);
}

export function encodeJpeg(img: RgbaImage, quality = 90): Buffer {
  return jpeg.encode({ width: img.width, height: img.height, data: img.data }, quality).data;
}

/** `#rrggbb` ↔ [r, g, b]. */
export function parseHex(hex: string): [number, number, number] | undefined {
  const m = /^#?([0-9a-fA-F]{6})$/.exec(hex);
  if (!m) return undefined;
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function toHex([r, g, b]: readonly number[]): string {
  return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('').toUpperCase();
}
