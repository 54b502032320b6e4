/**
 * The SigV4 fast path (src/http/sigv4.ts builds the canonical request itself) against the AWS
 * SDK's own SignatureV4.sign() over generated requests: header auth and presigned, S3 and
 * JSON services, odd paths and queries, folded and multi-valued header values, headers the
 * signer treats specially. Runs bench/sigv4-check.ts, which also has the SDK sign requests as
 * a client and checks that verify() accepts them and refuses a changed body.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CHECK = fileURLToPath(new URL('../../bench/sigv4-check.js', import.meta.url));

describe('SigV4 fast path vs SignatureV4.sign()', () => {
  it('gives the SDK signer’s signature for every generated request, and verify accepts SDK-signed requests only unchanged', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [CHECK, '--cases', '4000'], { timeout: 120_000 });
    assert.match(stdout, /^fast path vs SignatureV4\.sign\(\): 4000\/4000 identical$/m);
    assert.match(stdout, /^verify: 2000\/2000 SDK-signed requests accepted, 2000\/2000 with a changed body refused$/m);
    assert.match(stdout, /^sigv4 check: OK$/m);
  });
});
