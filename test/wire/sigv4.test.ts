import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateModelCommand, DescribeModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { get, json11, presign, send, sign, type WireResponse } from '../helpers/raw.js';

const role = 'arn:aws:iam::000000000000:role/SageMakerRole';
const BAD_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const MINUTE = 60_000;

/** Every auth failure must name its code in the body (botocore) and in x-amzn-ErrorType (REST clients). */
function assertAwsError(r: WireResponse, status: number, code: string, message?: string | RegExp): void {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json?.__type, code, r.text);
  assert.equal(r.headers['x-amzn-errortype'], code);
  assert.ok(r.headers['x-amzn-requestid'], 'x-amzn-RequestId on every response');
  if (typeof message === 'string') assert.equal(r.json.message, message);
  else if (message) assert.match(r.json.message, message);
}

/** Asserts an SDK call fails with the given exception class name and message. */
async function rejectsWith(p: Promise<unknown>, name: string, message: string | RegExp, status = 403): Promise<void> {
  await assert.rejects(p, (e: any) => {
    assert.equal(e.name, name);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.equal(e.$metadata?.httpStatusCode, status);
    return true;
  });
}

describe('SigV4 on the SageMaker JSON 1.1 API', () => {
  let t: TestServer;
  const sdk = (accessKeyId: string, secretAccessKey: string, region = 'us-east-1') =>
    new SageMakerClient({ endpoint: t.url, region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  const describeReq = (name = 'Known') => json11(t.url, 'DescribeModel', { ModelName: name });

  before(async () => {
    t = await startTestServer();
    await t.sagemaker.send(new CreateModelCommand({ ModelName: 'Known', PrimaryContainer: { Image: 'slipway/echo:latest' }, ExecutionRoleArn: role }));
  });
  after(() => t.close());

  it('a correctly signed raw request is accepted (the baseline the refusals below depart from)', async () => {
    const r = await send(await sign(describeReq()));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.ModelName, 'Known');
  });

  it('no Authorization is MissingAuthenticationTokenException 403', async () => {
    assertAwsError(await send(describeReq()), 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  });

  it('an unknown access key is UnrecognizedClientException 403, raw and through the SDK', async () => {
    const r = await send(await sign(describeReq(), { key: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'test' } }));
    assertAwsError(r, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    const c = sdk('AKIDUNKNOWN', 'whatever');
    try {
      await rejectsWith(c.send(new DescribeModelCommand({ ModelName: 'Known' })), 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    } finally {
      c.destroy();
    }
  });

  it('a wrong secret is InvalidSignatureException 403 with AWS wording, raw and through the SDK', async () => {
    const r = await send(await sign(describeReq(), { key: { accessKeyId: 'test', secretAccessKey: 'wrong' } }));
    assertAwsError(r, 403, 'InvalidSignatureException', BAD_SIGNATURE);
    const c = sdk('test', 'wrong');
    try {
      await rejectsWith(c.send(new DescribeModelCommand({ ModelName: 'Known' })), 'InvalidSignatureException', BAD_SIGNATURE);
    } finally {
      c.destroy();
    }
  });

  it('a body changed after signing is refused, and nothing is created', async () => {
    const signed = await sign(json11(t.url, 'CreateModel', { ModelName: 'Tamper1', PrimaryContainer: { Image: 'a' }, ExecutionRoleArn: role }));
    const body = signed.body!.replace('Tamper1', 'Tamper2'); // same length, so Content-Length still fits
    assertAwsError(await send({ ...signed, body }), 403, 'InvalidSignatureException', BAD_SIGNATURE);
    const r = await send(await sign(describeReq('Tamper2')));
    assert.equal(r.status, 400);
    assert.equal(r.json.__type, 'ValidationException');
  });

  it('a body changed after signing is refused even when the signed x-amz-content-sha256 still names the old body', async () => {
    // A client that sends the payload hash as a header (S3-style) must not let the server
    // skip hashing the body: otherwise any body passes under a replayed signature.
    const req = json11(t.url, 'CreateModel', { ModelName: 'Tamper3', PrimaryContainer: { Image: 'a' }, ExecutionRoleArn: role });
    const { createHash } = await import('node:crypto');
    req.headers['x-amz-content-sha256'] = createHash('sha256').update(req.body!).digest('hex');
    const signed = await sign(req);
    assert.match(signed.headers.authorization, /SignedHeaders=[^,]*x-amz-content-sha256/);
    // Untampered, the header form is accepted…
    assert.equal((await send(signed)).status, 200);
    // …tampered, it is not.
    const tampered = { ...signed, body: signed.body!.replace('Tamper3', 'Tamper4') };
    assertAwsError(await send(tampered), 403, 'InvalidSignatureException', BAD_SIGNATURE);
    assert.equal((await send(await sign(describeReq('Tamper4')))).status, 400);
  });

  it('a signed header changed after signing is refused', async () => {
    const signed = await sign(describeReq());
    const r = await send({ ...signed, headers: { ...signed.headers, 'content-type': 'application/json' } });
    assertAwsError(r, 403, 'InvalidSignatureException', BAD_SIGNATURE);
    // X-Amz-Target is signed too: redirecting a signed call to another operation fails.
    const retarget = await send({ ...signed, headers: { ...signed.headers, 'x-amz-target': 'SageMaker.DeleteModel' } });
    assertAwsError(retarget, 403, 'InvalidSignatureException', BAD_SIGNATURE);
  });

  it('a path changed after signing is refused', async () => {
    const signed = await sign(describeReq());
    assertAwsError(await send({ ...signed, path: '/other' }), 403, 'InvalidSignatureException', BAD_SIGNATURE);
  });

  it('an X-Amz-Date 16 minutes old is "Signature expired"; 16 minutes ahead is "not yet current"; 14 minutes old is accepted', async () => {
    const before = Date.now();
    const old = await send(await sign(describeReq(), { signingDate: new Date(before - 16 * MINUTE) }));
    assertAwsError(old, 403, 'InvalidSignatureException');
    const m = /^Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - 15 min\.\)$/.exec(old.json.message);
    assert.ok(m, old.json.message);
    assert.equal(m[1], basic(new Date(before - 16 * MINUTE)), 'the request date as sent');
    assert.equal(ms(m[3]) - ms(m[2]), 15 * MINUTE, 'the bound is server time minus 15 minutes');
    assert.ok(Math.abs(ms(m[3]) - before) < 5_000, 'server time is now');

    const ahead = await send(await sign(describeReq(), { signingDate: new Date(Date.now() + 16 * MINUTE) }));
    assertAwsError(ahead, 403, 'InvalidSignatureException', /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$/);

    const fresh = await send(await sign(describeReq(), { signingDate: new Date(Date.now() - 14 * MINUTE) }));
    assert.equal(fresh.status, 200, fresh.text);
  });

  it('the SDK with a skewed clock gets "Signature expired" as an InvalidSignatureException', async () => {
    const c = new SageMakerClient({
      endpoint: t.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      systemClockOffset: -20 * MINUTE,
    });
    try {
      await rejectsWith(c.send(new DescribeModelCommand({ ModelName: 'Known' })), 'InvalidSignatureException', /^Signature expired: /);
    } finally {
      c.destroy();
    }
  });

  it('the JS SDK corrects a skewed clock from the Date header and its retry succeeds', async () => {
    const c = new SageMakerClient({
      endpoint: t.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 2,
      systemClockOffset: -20 * MINUTE,
    });
    try {
      const d = await c.send(new DescribeModelCommand({ ModelName: 'Known' }));
      assert.equal(d.ModelName, 'Known');
      assert.ok(Math.abs(c.config.systemClockOffset) < 5_000, `offset now ${c.config.systemClockOffset} ms`);
    } finally {
      c.destroy();
    }
  });

  it('a Credential date that differs from X-Amz-Date, or no X-Amz-Date at all, is refused', async () => {
    const signed = await sign(describeReq());
    const day = signed.headers['x-amz-date'].slice(0, 8);
    const otherDay = day.endsWith('1') ? `${day.slice(0, 7)}2` : `${day.slice(0, 7)}1`;
    const auth = signed.headers.authorization.replace(`Credential=test/${day}/`, `Credential=test/${otherDay}/`);
    const r = await send({ ...signed, headers: { ...signed.headers, authorization: auth } });
    assertAwsError(r, 403, 'InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${otherDay}' != '${day}', from '${signed.headers['x-amz-date']}'.`);
    const { 'x-amz-date': _, ...noDate } = signed.headers;
    assertAwsError(await send({ ...signed, headers: noDate }), 403, 'IncompleteSignatureException', /X-Amz-Date/);
  });

  it('a credential scoped to another service is refused on the SageMaker target', async () => {
    // 's3' too: the router must not hand a SageMaker call to S3 because of its scope.
    for (const service of ['lookoutvision', 'sts', 's3']) {
      const r = await send(await sign(describeReq(), { service }));
      assertAwsError(r, 403, 'InvalidSignatureException', "Credential should be scoped to correct service: 'sagemaker'. ");
    }
  });

  it('an Authorization header without Signature= is IncompleteSignatureException', async () => {
    const signed = await sign(describeReq());
    const auth = signed.headers.authorization.replace(/, Signature=[0-9a-f]+$/, '');
    assert.notEqual(auth, signed.headers.authorization);
    const r = await send({ ...signed, headers: { ...signed.headers, authorization: auth } });
    assertAwsError(r, 403, 'IncompleteSignatureException', /^Authorization header requires 'Signature' parameter\. Authorization=AWS4-HMAC-SHA256 /);
    const garbage = await send({ ...signed, headers: { ...signed.headers, authorization: 'Bearer abc' } });
    assertAwsError(garbage, 403, 'IncompleteSignatureException');
  });

  it('the presigned query-string form is accepted for a JSON 1.1 POST, with the body still covered', async () => {
    const signed = await presign(describeReq(), { expiresIn: 300 });
    assert.equal(signed.headers.authorization, undefined);
    assert.ok(signed.query['X-Amz-Signature']);
    const r = await send(signed);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.ModelName, 'Known');
    // The presigner hashed the body (non-S3 services sign the payload): changing it fails.
    const tampered = await send({ ...signed, body: signed.body!.replace('Known', 'Other') });
    assertAwsError(tampered, 403, 'InvalidSignatureException', BAD_SIGNATURE);
    const wrongKey = await send(await presign(describeReq(), { key: { accessKeyId: 'test', secretAccessKey: 'nope' } }));
    assertAwsError(wrongKey, 403, 'InvalidSignatureException', BAD_SIGNATURE);
  });

  it('an expired presigned request is refused', async () => {
    // Signed 20 minutes ago for 5 minutes: past both X-Amz-Expires and the 15-minute window.
    const signed = await presign(describeReq(), { expiresIn: 300, signingDate: new Date(Date.now() - 20 * MINUTE) });
    const r = await send(signed);
    assertAwsError(r, 403, 'InvalidSignatureException', /^Signature expired: /);
  });

  it('the region comes from the credential scope: an eu-west-1 model has an eu-west-1 ARN and is invisible from us-east-1', async () => {
    const eu = sdk('test', 'test', 'eu-west-1');
    try {
      const out = await eu.send(new CreateModelCommand({ ModelName: 'Regional', PrimaryContainer: { Image: 'a' }, ExecutionRoleArn: role }));
      assert.equal(out.ModelArn, 'arn:aws:sagemaker:eu-west-1:000000000000:model/regional');
      assert.equal((await eu.send(new DescribeModelCommand({ ModelName: 'Regional' }))).ModelArn, out.ModelArn);
      await rejectsWith(
        t.sagemaker.send(new DescribeModelCommand({ ModelName: 'Regional' })),
        'ValidationException',
        'Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/regional".',
        400,
      );
    } finally {
      eu.destroy();
    }
  });

  it('the Date header is on every response: success, auth error, unknown route, health', async () => {
    const responses = [
      await send(await sign(describeReq())),
      await send(describeReq()),
      await send(await sign(describeReq('missing'))),
      await get(`${t.url}/_slipway/health`),
    ];
    for (const r of responses) {
      assert.ok(r.headers.date, `Date header on a ${r.status}`);
      assert.ok(Math.abs(Date.parse(r.headers.date) - Date.now()) < 5_000);
    }
  });
});

describe('SigV4 with a credentials file', () => {
  let t: TestServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-creds-'));
    const file = join(dir, 'credentials');
    writeFileSync(
      file,
      [
        '# two users',
        '[alice]',
        'aws_access_key_id = AKIDALICE',
        'aws_secret_access_key = alice-secret/with+chars',
        '',
        '[bob]',
        'aws_secret_access_key=bob-secret',
        'aws_access_key_id=AKIDBOB',
        '',
      ].join('\n'),
    );
    t = await startTestServer({ env: { SLIPWAY_CREDENTIALS_FILE: file } });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts both keys and refuses the default test/test', async () => {
    for (const [id, secret] of [
      ['AKIDALICE', 'alice-secret/with+chars'],
      ['AKIDBOB', 'bob-secret'],
    ]) {
      const c = new SageMakerClient({ endpoint: t.url, region: 'us-east-1', credentials: { accessKeyId: id, secretAccessKey: secret }, maxAttempts: 1 });
      try {
        await rejectsWith(c.send(new DescribeModelCommand({ ModelName: `by-${id}` })), 'ValidationException', /^Could not find model/, 400);
      } finally {
        c.destroy();
      }
    }
    // The server's own SDK client uses test/test, which a credentials file replaces.
    await rejectsWith(t.sagemaker.send(new DescribeModelCommand({ ModelName: 'x' })), 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    // Alice's key with Bob's secret is a bad signature, not an unknown key.
    const r = await send(await sign(json11(t.url, 'DescribeModel', { ModelName: 'x' }), { key: { accessKeyId: 'AKIDALICE', secretAccessKey: 'bob-secret' } }));
    assertAwsError(r, 403, 'InvalidSignatureException', BAD_SIGNATURE);
  });
});

function basic(d: Date): string {
  return d.toISOString().replace(/[-:]|\.\d{3}/g, '');
}

function ms(basicIso: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(basicIso)!;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}
