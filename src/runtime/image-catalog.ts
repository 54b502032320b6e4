/**
 * Which local command runs for a container image URI.
 *
 * Slipway does not pull images: an image URI in CreateModel / CreateTrainingJob is mapped to a
 * local command, started with `serve` or `train` appended (the container contract:
 * `docker run <image> serve|train`). Built-in images ship with Slipway; users add their own in
 * a JSON file, `<dataDir>/images.json` by default:
 *
 * ```json
 * {
 *   "images": [
 *     {
 *       "image": "123456789012.dkr.ecr.*.amazonaws.com/my-model:*",
 *       "command": ["python3", "serve.py"],
 *       "cwd": "/home/me/my-model",
 *       "env": { "MODEL_THREADS": "2" }
 *     }
 *   ]
 * }
 * ```
 *
 * - `image`: an exact URI or a glob; `*` matches any run of characters (including none),
 *   `?` exactly one; the whole URI must match.
 * - `command`: argv (non-empty array of strings); `serve` or `train` is appended.
 * - `cwd` (optional): working directory; relative paths are relative to the config file's
 *   directory, which is also the default (so `["python3", "serve.py"]` finds a `serve.py`
 *   lying next to `images.json`).
 * - `env` (optional): string → string, applied before the container's `Environment`.
 *
 * The first matching entry wins; user entries are tried before the built-ins, so a user can
 * override a built-in. The file is re-read when it changes. See docs/images.md.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedCommand } from './backend.js';

export interface ImageMapping {
  image: string;
  command: string[];
  cwd?: string;
  env?: Record<string, string>;
}

export interface ResolvedImage extends ResolvedCommand {
  image: string;
  /** The `image` pattern that matched. */
  pattern: string;
  source: 'user' | 'builtin';
  env: Record<string, string>;
}

/** No mapping for this image; the message is meant for FailureReason and says how to add one. */
export class UnknownImageError extends Error {
  constructor(
    readonly image: string,
    readonly configPath: string,
  ) {
    super(
      `Image ${JSON.stringify(image)} is not known to Slipway. Map it to a local command in ${configPath}: ` +
        JSON.stringify({ images: [{ image, command: ['python3', 'serve.py'] }] }),
    );
    this.name = 'UnknownImageError';
  }
}

/** The images config file is unreadable or invalid; the message names the file and the line or field. */
export class ImageConfigError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`Invalid image configuration ${file}: ${detail}`);
    this.name = 'ImageConfigError';
  }
}

/** Compiles an image glob into an anchored RegExp: `*` → any run, `?` → one character, the rest literal. */
export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}

/** The echo server, compiled next to this file: dist/src/runtime → dist/src/images/echo/main.js. */
export const ECHO_MAIN = fileURLToPath(new URL('../images/echo/main.js', import.meta.url));

/** The built-in linear learner (train and serve), compiled next to the echo image. */
export const LINEAR_LEARNER_MAIN = fileURLToPath(new URL('../images/linear-learner/main.js', import.meta.url));

/** Images that ship with Slipway. Bare name, any tag, any digest. */
export function builtinImages(): ImageMapping[] {
  const echo = [process.execPath, ECHO_MAIN];
  return [
    { image: 'slipway/echo', command: echo },
    { image: 'slipway/echo:*', command: echo },
    { image: 'slipway/echo@*', command: echo },
    // The built-in algorithm (src/images/linear-learner); also answers for AWS's own
    // linear-learner ECR URIs, so scripts that look those up run unchanged.
    ...['slipway/linear-learner', 'slipway/linear-learner:*', 'slipway/linear-learner@*', 'linear-learner', '*.dkr.ecr.*.amazonaws.com/linear-learner:*'].map(
      (image) => ({ image, command: [process.execPath, LINEAR_LEARNER_MAIN] }),
    ),
  ];
}

/** Validates the parsed file; every message points at the offending field. */
export function parseImagesConfig(text: string, file: string): ImageMapping[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImageConfigError(file, describeJsonError(text, err as Error));
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ImageConfigError(file, 'the top level must be an object like {"images": [...]}');
  }
  const extra = Object.keys(doc).filter((k) => k !== 'images');
  if (extra.length) throw new ImageConfigError(file, `unknown top-level field "${extra[0]}" (expected only "images")`);
  const images = (doc as { images?: unknown }).images;
  if (!Array.isArray(images)) throw new ImageConfigError(file, '"images" must be an array');
  const baseDir = dirname(file);
  return images.map((entry, i): ImageMapping => {
    const at = `images[${i}]`;
    const fail = (detail: string) => new ImageConfigError(file, `${at}${detail}`);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw fail(': must be an object');
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!['image', 'command', 'cwd', 'env'].includes(k)) throw fail(`.${k}: unknown field (allowed: image, command, cwd, env)`);
    }
    if (typeof e.image !== 'string' || e.image.length === 0) throw fail('.image: must be a non-empty string');
    if (!Array.isArray(e.command) || e.command.length === 0) throw fail('.command: must be a non-empty array of strings');
    e.command.forEach((a, j) => {
      if (typeof a !== 'string' || (j === 0 && a.length === 0)) throw fail(`.command[${j}]: must be a${j === 0 ? ' non-empty' : ''} string`);
    });
    if (e.cwd !== undefined && (typeof e.cwd !== 'string' || e.cwd.length === 0)) throw fail('.cwd: must be a non-empty string');
    let env: Record<string, string> | undefined;
    if (e.env !== undefined) {
      if (typeof e.env !== 'object' || e.env === null || Array.isArray(e.env)) throw fail('.env: must be an object of strings');
      env = {};
      for (const [k, v] of Object.entries(e.env)) {
        if (typeof v !== 'string') throw fail(`.env.${k}: must be a string`);
        env[k] = v;
      }
    }
    const cwd = e.cwd === undefined ? baseDir : isAbsolute(e.cwd as string) ? (e.cwd as string) : resolve(baseDir, e.cwd as string);
    return { image: e.image, command: e.command as string[], cwd, ...(env ? { env } : {}) };
  });
}

/** Turns V8's "… at position N" into a line and column, which is what a person editing the file needs. */
function describeJsonError(text: string, err: Error): string {
  const m = /position (\d+)/.exec(err.message);
  if (m) {
    const pos = Number(m[1]);
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - before.lastIndexOf('\n');
    return `not valid JSON at line ${line}, column ${column}: ${err.message.replace(/\s*\(line \d+ column \d+\)/, '')}`;
  }
  if (/Unexpected end of JSON input/.test(err.message)) {
    return `not valid JSON at line ${text.split('\n').length}: unexpected end of input`;
  }
  return `not valid JSON: ${err.message}`;
}

export interface ImageCatalogOptions {
  /** Slipway's data directory; the config defaults to `<dataDir>/images.json`. */
  dataDir: string;
  /** An explicit config path; unlike the default, it must exist. */
  configPath?: string;
}

export class ImageCatalog {
  readonly configPath: string;
  private readonly required: boolean;
  private user: Array<ImageMapping & { re: RegExp }> = [];
  private readonly builtins: Array<ImageMapping & { re: RegExp }>;
  private loadedMtime: number | undefined = undefined;

  constructor(opts: ImageCatalogOptions) {
    this.configPath = resolve(opts.configPath ?? join(opts.dataDir, 'images.json'));
    this.required = opts.configPath !== undefined;
    this.builtins = builtinImages().map((m) => ({ ...m, re: globToRegExp(m.image) }));
    this.reload();
  }

  /**
   * Re-reads the config file when its modification time changed (users edit it while Slipway
   * runs). Throws {@link ImageConfigError} when it is invalid.
   */
  reload(): void {
    let mtime: number | undefined;
    try {
      mtime = statSync(this.configPath).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || this.required) {
        throw new ImageConfigError(this.configPath, `cannot read: ${(err as Error).message}`);
      }
    }
    if (mtime === this.loadedMtime && mtime !== undefined) return;
    if (mtime === undefined) {
      this.user = [];
      this.loadedMtime = undefined;
      return;
    }
    let text: string;
    try {
      text = readFileSync(this.configPath, 'utf8');
    } catch (err) {
      throw new ImageConfigError(this.configPath, `cannot read: ${(err as Error).message}`);
    }
    this.user = parseImagesConfig(text, this.configPath).map((m) => ({ ...m, re: globToRegExp(m.image) }));
    this.loadedMtime = mtime;
  }

  /** The command for `image`: the first matching user entry, else the first matching built-in. */
  resolve(image: string): ResolvedImage {
    this.reload();
    for (const [source, list] of [['user', this.user], ['builtin', this.builtins]] as const) {
      for (const m of list) {
        if (m.re.test(image)) {
          return { image, pattern: m.image, source, command: [...m.command], ...(m.cwd ? { cwd: m.cwd } : {}), env: { ...m.env } };
        }
      }
    }
    throw new UnknownImageError(image, this.configPath);
  }
}
