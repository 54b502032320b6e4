import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/spec → repo root
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const specs = resolve(repo, '..', 'shared', 'specs');
const generator = join(repo, 'dist', 'scripts', 'gen-spec.js');
const committed = join(repo, 'src', 'spec', 'generated');

it(
  'committed shape tables and README operations table match a fresh generator run (else: npm run gen)',
  { skip: existsSync(specs) ? false : `no service models at ${specs}` },
  () => {
    const tmp = mkdtempSync(join(tmpdir(), 'slipway-gen-'));
    try {
      const out = join(tmp, 'generated');
      const readme = join(tmp, 'README.md');
      copyFileSync(join(repo, 'README.md'), readme);
      execFileSync(process.execPath, [generator, '--specs', specs, '--out', out, '--readme', readme], { stdio: 'pipe' });
      const fresh = readdirSync(out).sort();
      assert.deepEqual(fresh, ['lookoutvision.ts', 'sagemaker-runtime.ts', 'sagemaker.ts']);
      assert.deepEqual(readdirSync(committed).sort(), fresh, 'src/spec/generated holds other files than the generator writes');
      for (const f of fresh) {
        assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(committed, f))), `src/spec/generated/${f} is stale: run npm run gen`);
      }
      assert.equal(readFileSync(readme, 'utf8'), readFileSync(join(repo, 'README.md'), 'utf8'), 'README.md operations table is stale: run npm run gen');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);
