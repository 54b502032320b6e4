import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aws, awsOk } from '../helpers/aws-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { HOSTING_ENV, waitStatus } from '../helpers/hosting.js';

/**
 * The AWS CLI (v1 and v2 alike) deletes `sagemaker-runtime invoke-endpoint-with-response-stream`
 * from its command table (awscli/customizations/removals.py: event-stream commands "not yet
 * fully supported"), so no `aws … outfile` exists for this operation, against AWS or Slipway.
 * The CLI's own library, botocore, does implement it: this client reads the event stream with
 * botocore's parser (a second, independent implementation of the framing besides the JS SDK)
 * and writes the PayloadPart bytes to an outfile, as the CLI would.
 */
const CLIENT = `
import json, sys
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

url, endpoint, body_file, out_file, attributes = sys.argv[1:6]
client = botocore.session.get_session().create_client(
    'sagemaker-runtime', endpoint_url=url, region_name='us-east-1',
    aws_access_key_id='test', aws_secret_access_key='test',
    config=Config(retries={'max_attempts': 1}))
args = {'EndpointName': endpoint, 'Body': open(body_file, 'rb').read(), 'ContentType': 'text/plain'}
if attributes:
    args['CustomAttributes'] = attributes
try:
    r = client.invoke_endpoint_with_response_stream(**args)
except ClientError as e:
    print(json.dumps({'error': e.response['Error'], 'status': e.response['ResponseMetadata']['HTTPStatusCode'],
                      'OriginalStatusCode': e.response.get('OriginalStatusCode')}))
    sys.exit(0)
out = {'ContentType': r.get('ContentType'), 'InvokedProductionVariant': r.get('InvokedProductionVariant'),
       'CustomAttributes': r.get('CustomAttributes'), 'parts': 0}
with open(out_file, 'wb') as f:
    try:
        for event in r['Body']:
            f.write(event['PayloadPart']['Bytes'])
            out['parts'] += 1
    except EventStreamError as e:
        out['streamError'] = e.response['Error']
print(json.dumps(out))
`;

function python(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('python3', args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('invoke-endpoint-with-response-stream end to end: aws CLI for the endpoint, botocore (the CLI library) for the stream', () => {
  let t: TestServer;
  const ok = (args: string[]) => awsOk(args, { endpointUrl: t.url, cwd: t.dataDir, timeoutMs: 90_000 });
  const stream = async (endpoint: string, body: string, outfile: string, attributes = '') => {
    writeFileSync(join(t.dataDir, 'stream-in.txt'), body);
    const r = await python(['stream_client.py', t.url, endpoint, 'stream-in.txt', outfile, attributes], t.dataDir);
    assert.equal(r.code, 0, `the botocore client failed (is botocore, which the AWS CLI brings, importable by python3?): ${r.stderr}`);
    return JSON.parse(r.stdout.trim());
  };
  before(async () => {
    t = await startTestServer({ env: HOSTING_ENV });
    writeFileSync(join(t.dataDir, 'stream_client.py'), CLIENT);
  });
  after(() => t.close());

  it('streams an echo answer into the outfile, part by part; a model error and a broken stream come back as AWS errors', async () => {
    await ok(['sagemaker', 'create-model', '--model-name', 'echo', '--primary-container', 'Image=slipway/echo:latest',
      '--execution-role-arn', 'arn:aws:iam::000000000000:role/SageMakerRole']);
    await ok(['sagemaker', 'create-endpoint-config', '--endpoint-config-name', 'streaming', '--production-variants',
      'VariantName=Main,ModelName=echo,InstanceType=ml.m5.large,InitialInstanceCount=1']);
    await ok(['sagemaker', 'create-endpoint', '--endpoint-name', 'stream-ep', '--endpoint-config-name', 'streaming']);
    await waitStatus(t.sagemaker, 'stream-ep', ['InService']);

    // The CLI itself refuses the command (see above); this documents why botocore is used.
    const cli = await aws(['sagemaker-runtime', 'invoke-endpoint-with-response-stream', '--endpoint-name', 'stream-ep', '--body', 'x', 'out.txt'], { endpointUrl: t.url, cwd: t.dataDir });
    assert.match(cli.stderr, /Invalid choice/, 'the installed AWS CLI now has invoke-endpoint-with-response-stream: drive the stream with it here instead of botocore');

    const text = 'Streaming from Slipway, one part at a time.\n'.repeat(20);
    const out = await stream('stream-ep', text, 'out.txt', 'echo-chunks=6;echo-delay-ms=20');
    assert.deepEqual(out, { ContentType: 'text/plain', InvokedProductionVariant: 'Main', CustomAttributes: 'echo-chunks=6;echo-delay-ms=20', parts: out.parts });
    assert.ok(out.parts > 1 && out.parts <= 6, `${out.parts} parts`);
    assert.equal(readFileSync(join(t.dataDir, 'out.txt'), 'utf8'), text);

    const failed = await stream('stream-ep', 'x', 'failed.txt', 'echo-status=503');
    assert.equal(failed.error.Code, 'ModelError');
    assert.equal(failed.status, 424);
    assert.equal(failed.OriginalStatusCode, 503);

    const broken = await stream('stream-ep', 'abcdef', 'broken.txt', 'echo-chunks=3;echo-hang-up-after=1');
    // botocore surfaces an event stream exception's Code and Message only (not ErrorCode).
    assert.equal(broken.streamError.Code, 'ModelStreamError');
    assert.match(broken.streamError.Message, /stream was broken/);
    assert.equal(readFileSync(join(t.dataDir, 'broken.txt'), 'utf8'), 'ab');

    const missing = await stream('nope', 'x', 'missing.txt');
    assert.equal(missing.error.Code, 'ValidationError');
    assert.equal(missing.error.Message, 'Endpoint nope of account 000000000000 not found.');
  });
});
