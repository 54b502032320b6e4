import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ECHO_MAIN, globToRegExp, ImageCatalog, ImageConfigError, UnknownImageError } from '../../src/runtime/image-catalog.js';

let root: string;
before(() => (root = mkdtempSync(join(tmpdir(), 'slipway-img-'))));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function catalogWith(config: unknown): ImageCatalog {
  const dir = join(root, `c${n++}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'images.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return new ImageCatalog({ dataDir: dir });
}

describe('image globs', () => {
  it('* matches any run (even empty), ? exactly one character, the whole URI only', () => {
    const re = globToRegExp('*.dkr.ecr.*.amazonaws.com/my-model:*');
    assert.ok(re.test('123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-model:v1'));
    assert.ok(re.test('123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-model:'));
    assert.ok(!re.test('123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-model2:v1'));
    assert.ok(!re.test('x123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-model'), 'anchored at the end');
    assert.ok(!globToRegExp('my-model:v?').test('my-model:v10'));
    assert.ok(globToRegExp('my-model:v?').test('my-model:v1'));
    // Regex metacharacters are literal: '.' does not match any character.
    assert.ok(!globToRegExp('a.b').test('axb'));
    assert.ok(globToRegExp('a+(b)').test('a+(b)'));
  });
});

describe('image catalog', () => {
  it('resolves the built-in echo image by bare name, any tag and digest', () => {
    const cat = new ImageCatalog({ dataDir: join(root, 'none') });
    for (const image of ['slipway/echo', 'slipway/echo:latest', 'slipway/echo:1.2', 'slipway/echo@sha256:abc']) {
      const r = cat.resolve(image);
      assert.equal(r.source, 'builtin');
      assert.deepEqual(r.command, [process.execPath, ECHO_MAIN]);
    }
    assert.ok(existsSync(ECHO_MAIN), `${ECHO_MAIN} is built`);
    assert.throws(() => cat.resolve('slipway/echoes:latest'), UnknownImageError);
  });

  it('tries user mappings first, in file order, before the built-ins', () => {
    const cat = catalogWith({
      images: [
        { image: 'slipway/echo:custom', command: ['python3', 'serve.py'], env: { A: '1' } },
        { image: '*.dkr.ecr.*.amazonaws.com/my-model:*', command: ['first'], cwd: 'models' },
        { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:v1', command: ['second'] },
      ],
    });
    const custom = cat.resolve('slipway/echo:custom');
    assert.deepEqual([custom.source, custom.command, custom.env], ['user', ['python3', 'serve.py'], { A: '1' }]);
    assert.equal(custom.cwd, dirname(cat.configPath), 'default cwd is the config file directory');
    assert.equal(cat.resolve('slipway/echo:latest').source, 'builtin');
    const ecr = cat.resolve('123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:v1');
    assert.deepEqual([ecr.command, ecr.pattern, ecr.cwd], [['first'], '*.dkr.ecr.*.amazonaws.com/my-model:*', join(dirname(cat.configPath), 'models')]);
  });

  it('names the image and shows the mapping to add when nothing matches', () => {
    const cat = new ImageCatalog({ dataDir: join(root, 'empty') });
    const image = '111122223333.dkr.ecr.us-west-2.amazonaws.com/unknown:3';
    assert.throws(
      () => cat.resolve(image),
      (err: unknown) =>
        err instanceof UnknownImageError &&
        err.message ===
          `Image "${image}" is not known to Slipway. Map it to a local command in ${join(root, 'empty', 'images.json')}: ` +
            `{"images":[{"image":"${image}","command":["python3","serve.py"]}]}`,
    );
  });

  it('reports bad JSON with its line and column', () => {
    assert.throws(
      () => catalogWith('{\n  "images": [\n    { "image": "a", "command": ["x"], }\n  ]\n}'),
      (err: unknown) => err instanceof ImageConfigError && /images\.json: not valid JSON at line 3, column \d+/.test(err.message),
    );
  });

  it('reports the offending field of an invalid entry', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[], /top level must be an object/],
      [{ images: {} }, /"images" must be an array/],
      [{ images: [{ image: 'a', command: [] }] }, /images\[0\]\.command: must be a non-empty array of strings/],
      [{ images: [{ image: 'a', command: ['x'] }, { image: 'b', command: ['x', 3] }] }, /images\[1\]\.command\[1\]: must be a string/],
      [{ images: [{ command: ['x'] }] }, /images\[0\]\.image: must be a non-empty string/],
      [{ images: [{ image: 'a', command: ['x'], env: { N: 1 } }] }, /images\[0\]\.env\.N: must be a string/],
      [{ images: [{ image: 'a', command: ['x'], cmd: ['y'] }] }, /images\[0\]\.cmd: unknown field/],
      [{ imagez: [] }, /unknown top-level field "imagez"/],
    ];
    for (const [config, re] of cases) {
      assert.throws(() => catalogWith(config), (err: unknown) => err instanceof ImageConfigError && re.test(err.message), String(re));
    }
  });

  it('requires an explicitly given config file to exist, but not the default one', () => {
    assert.throws(() => new ImageCatalog({ dataDir: root, configPath: join(root, 'nope.json') }), ImageConfigError);
    assert.doesNotThrow(() => new ImageCatalog({ dataDir: join(root, 'nothing-here') }));
  });

  it('picks up edits to the config file without a restart', () => {
    const cat = catalogWith({ images: [{ image: 'mine:*', command: ['old'] }] });
    assert.deepEqual(cat.resolve('mine:1').command, ['old']);
    const file = cat.configPath;
    writeFileSync(file, JSON.stringify({ images: [{ image: 'mine:*', command: ['new'] }] }));
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    assert.deepEqual(cat.resolve('mine:1').command, ['new']);
  });
});
