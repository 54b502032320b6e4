import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePattern, spliceReadme, translatePattern } from '../../scripts/gen-spec.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const specs = resolve(repo, '..', 'shared', 'specs');
const whole = (js: string) => new RegExp('^(?:' + js + ')$', 'u');

describe('Java → JavaScript pattern rewrite rules', () => {
  it('R1: identity escapes Java allows become literals', () => {
    assert.equal(translatePattern('[a-zA-Z0-9\\ \\_\\.]+'), '[a-zA-Z0-9 _\\.]+');
    assert.equal(translatePattern('\\#[a-zA-Z0-9]{6}'), '#[a-zA-Z0-9]{6}');
    assert.equal(translatePattern('[a-z]+\\-[0-9a-z\\-]+'), '[a-z]+-[0-9a-z\\-]+');
    const re = whole(compilePattern('[a-zA-Z0-9\\_\\-]+', 'test'));
    assert.ok(re.test('a_b-C9'));
    assert.ok(!re.test('a b'));
  });

  it('R2/R3: POSIX \\p{Alnum} and \\p{Print} are ASCII classes', () => {
    const lambda = whole(compilePattern('arn:[\\p{Alnum}\\-]+:lambda:[\\p{Alnum}\\-]+:[0-9]{12}:function:.*', 'test'));
    assert.ok(lambda.test('arn:aws:lambda:us-east-1:123456789012:function:f'));
    assert.ok(!lambda.test('arn:aws:lambda:us_east_1:123456789012:function:f'));
    assert.ok(!lambda.test('arn:é:lambda:us-east-1:123456789012:function:f')); // Java Alnum is ASCII
    const print = whole(compilePattern('\\A\\S[\\p{Print}]*\\z', 'test'));
    assert.ok(print.test('x y~'));
    assert.ok(!print.test(' x'));
    assert.ok(!print.test('xé'));
  });

  it('R2: POSIX names JavaScript would read as Unicode properties are still the ASCII classes', () => {
    assert.equal(compilePattern('\\p{Alpha}+', 'test'), '[a-zA-Z]+');
    assert.ok(!whole(compilePattern('\\p{Upper}', 'test')).test('É'));
    assert.ok(whole(compilePattern('\\P{Alnum}+', 'test')).test('-_ é'));
    assert.ok(whole(compilePattern('[\\p{Punct}]+', 'test')).test('!/:@[`{~'));
    assert.ok(!whole(compilePattern('[\\p{Punct}]+', 'test')).test('a'));
  });

  it('R5: a quantified end anchor is the anchor; the pattern still checks characters', () => {
    const tag = whole(compilePattern('([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)${1,128}', 'test'));
    assert.ok(tag.test('Équipe data:ml/1'));
    assert.ok(tag.test(''));
    assert.ok(!tag.test('a#b'));
  });

  it('a pattern that no rule can fix fails loudly', () => {
    assert.throws(() => compilePattern('[\\p{javaLowerCase}]+', 'Shape X'), /Shape X: pattern .* does not compile in JavaScript and no rewrite rule fixes it/);
    assert.throws(() => compilePattern('\\p{InGreek}+', 'Shape X'), /no rewrite rule/);
    assert.throws(() => compilePattern('[\\P{Alnum}_]', 'Shape Y'), /negated POSIX class .* inside a class has no rewrite rule/);
  });

  it('patterns JavaScript already compiles are kept as published', () => {
    assert.equal(compilePattern('[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*', 'test'), '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');
  });

  it(
    'every pattern in the three service models compiles (translated where needed)',
    { skip: existsSync(specs) ? false : `no service models at ${specs}` },
    () => {
      let n = 0;
      for (const name of ['sagemaker', 'sagemaker-runtime', 'lookoutvision']) {
        const model = JSON.parse(readFileSync(join(specs, name, 'service-2.json'), 'utf8')) as { shapes: Record<string, { pattern?: string }> };
        for (const [shape, def] of Object.entries(model.shapes)) {
          if (def.pattern === undefined) continue;
          whole(compilePattern(def.pattern, `${name} ${shape}`));
          n++;
        }
      }
      assert.ok(n > 400, `only ${n} patterns seen`);
    },
  );
});

describe('README block', () => {
  const block = '<!-- operations:start -->\nX\n<!-- operations:end -->';
  it('replaces only the marked block', () => {
    assert.equal(spliceReadme('a\n<!-- operations:start -->\nold\n<!-- operations:end -->\nb\n', block), `a\n${block}\nb\n`);
  });
  it('appends the markers when missing', () => {
    assert.equal(spliceReadme('', block), `${block}\n`);
    assert.equal(spliceReadme('# T\n', block), `# T\n\n${block}\n`);
  });
  it('refuses a README with one marker only', () => {
    assert.throws(() => spliceReadme('<!-- operations:start -->\n', block), /only one of the operations markers/);
  });
});
