import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, HOSTING_TIMING, pool, runtimeClient, variant } from '../helpers/hosting.js';
import { until } from '../helpers/wait.js';

describe('Data capture and asynchronous inference', () => {
  let t: TestServer;
  let rt: SageMakerRuntimeClient;
  before(async () => {
    t = await startTestServer({ env: HOSTING_ENV, timing: HOSTING_TIMING });
    rt = runtimeClient(t);
    await t.s3.send(new CreateBucketCommand({ Bucket: 'ml-data' }));
    await createEchoModel(t.sagemaker, 'echo');
    await createConfig(t.sagemaker, 'captured', [variant('A', 'echo', 1), variant('B', 'echo', 1)], {
      DataCaptureConfig: {
        InitialSamplingPercentage: 100,
        DestinationS3Uri: 's3://ml-data/capture',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      },
      AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://ml-data/async-out', S3FailurePath: 's3://ml-data/async-fail' } },
    });
    const d = await createEndpoint(t.sagemaker, 'cap', 'captured');
    assert.equal(d.EndpointStatus, 'InService', d.FailureReason);
  });
  after(async () => {
    rt?.destroy();
    await t?.close();
  });

  it('DescribeEndpoint reports the capture summary', async () => {
    const d = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'cap' }));
    assert.deepEqual(d.DataCaptureConfig, {
      EnableCapture: true,
      CaptureStatus: 'Started',
      CurrentSamplingPercentage: 100,
      DestinationS3Uri: 's3://ml-data/capture',
      KmsKeyId: '',
    });
  });

  it('every invocation is captured as a SageMaker JSON line under <dest>/<endpoint>/<variant>/yyyy/mm/dd/hh/', async () => {
    const byVariant: Record<string, number> = {};
    await pool(120, 8, async (i) => {
      const csv = i % 2 === 0;
      const out = await rt.send(
        new InvokeEndpointCommand({
          EndpointName: 'cap',
          Body: Buffer.from(csv ? `${i},1` : JSON.stringify({ i })),
          ContentType: csv ? 'text/csv' : 'application/json',
          InferenceId: `id-${i}`,
        }),
      );
      byVariant[out.InvokedProductionVariant!] = (byVariant[out.InvokedProductionVariant!] ?? 0) + 1;
    });
    const lines = await until('120 captured lines', async () => {
      const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: 'ml-data', Prefix: 'capture/' }));
      const all: Array<{ key: string; line: any }> = [];
      for (const o of listed.Contents ?? []) {
        const got = await t.s3.send(new GetObjectCommand({ Bucket: 'ml-data', Key: o.Key! }));
        const text = await got.Body!.transformToString();
        for (const l of text.split('\n').filter(Boolean)) all.push({ key: o.Key!, line: JSON.parse(l) });
      }
      return all.length >= 120 ? all : undefined;
    });
    assert.equal(lines.length, 120);
    const perVariant: Record<string, number> = {};
    for (const { key, line } of lines) {
      const m = /^capture\/cap\/(A|B)\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$/.exec(key);
      assert.ok(m, key);
      perVariant[m[1]!] = (perVariant[m[1]!] ?? 0) + 1;
      assert.equal(line.eventVersion, '0');
      const i = Number(line.eventMetadata.inferenceId.slice(3));
      const input = line.captureData.endpointInput;
      assert.equal(input.mode, 'INPUT');
      if (i % 2 === 0) assert.deepEqual(input, { observedContentType: 'text/csv', mode: 'INPUT', data: `${i},1`, encoding: 'CSV' });
      else assert.deepEqual(input, { observedContentType: 'application/json', mode: 'INPUT', data: JSON.stringify({ i }), encoding: 'JSON' });
      assert.equal(line.captureData.endpointOutput.data, input.data);
      assert.match(line.eventMetadata.inferenceTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
    assert.deepEqual(perVariant, byVariant);
  });

  it('InvokeEndpointAsync answers 202 at once and writes the model output to the S3 output path', async () => {
    await t.s3.send(new PutObjectCommand({ Bucket: 'ml-data', Key: 'in/req.json', Body: '{"x":42}' }));
    const out = await rt.send(
      new InvokeEndpointAsyncCommand({ EndpointName: 'cap', InputLocation: 's3://ml-data/in/req.json', ContentType: 'application/json', InferenceId: 'my-inf' }),
    );
    assert.equal(out.$metadata.httpStatusCode, 202);
    assert.equal(out.InferenceId, 'my-inf');
    assert.match(out.OutputLocation!, /^s3:\/\/ml-data\/async-out\/[0-9a-f-]{36}\.out$/);
    assert.match(out.FailureLocation!, /^s3:\/\/ml-data\/async-fail\/[0-9a-f-]{36}-error\.out$/);
    const key = out.OutputLocation!.slice('s3://ml-data/'.length);
    const body = await until('async output', async () => {
      try {
        return await (await t.s3.send(new GetObjectCommand({ Bucket: 'ml-data', Key: key }))).Body!.transformToString();
      } catch {
        return undefined;
      }
    });
    assert.equal(body, '{"x":42}');
  });

  it('S3OutputPathExtension and Filename place the output: <S3OutputPath>/<extension>/<Filename>', async () => {
    await t.s3.send(new PutObjectCommand({ Bucket: 'ml-data', Key: 'in/named.json', Body: '{"named":true}' }));
    const out = await rt.send(
      new InvokeEndpointAsyncCommand({ EndpointName: 'cap', InputLocation: 's3://ml-data/in/named.json', S3OutputPathExtension: '/run-7/', Filename: 'result.json' }),
    );
    assert.equal(out.OutputLocation, 's3://ml-data/async-out/run-7/result.json');
    assert.match(out.FailureLocation!, /^s3:\/\/ml-data\/async-fail\/run-7\/[0-9a-f-]{36}-error\.out$/);
    const body = await until('named output', async () => {
      try {
        return await (await t.s3.send(new GetObjectCommand({ Bucket: 'ml-data', Key: 'async-out/run-7/result.json' }))).Body!.transformToString();
      } catch {
        return undefined;
      }
    });
    assert.equal(body, '{"named":true}');
    // The model's pattern for Filename: no path separators, no second dot.
    for (const Filename of ['../escape', 'a/b.json', 'two.dots.json']) {
      await assert.rejects(rt.send(new InvokeEndpointAsyncCommand({ EndpointName: 'cap', InputLocation: 's3://ml-data/in/named.json', Filename })), (e: any) => {
        assert.equal(e.name, 'ValidationError');
        assert.match(e.message, /filename/i);
        return true;
      });
    }
  });

  it('an async request whose input is missing lands at the failure location', async () => {
    const out = await rt.send(new InvokeEndpointAsyncCommand({ EndpointName: 'cap', InputLocation: 's3://ml-data/in/none.json' }));
    // No InferenceId given: the generated one names the output and failure objects.
    assert.match(out.InferenceId!, /^[0-9a-f-]{36}$/);
    assert.equal(out.OutputLocation, `s3://ml-data/async-out/${out.InferenceId}.out`);
    assert.equal(out.FailureLocation, `s3://ml-data/async-fail/${out.InferenceId}-error.out`);
    const key = out.FailureLocation!.slice('s3://ml-data/'.length);
    const text = await until('failure file', async () => {
      try {
        return await (await t.s3.send(new GetObjectCommand({ Bucket: 'ml-data', Key: key }))).Body!.transformToString();
      } catch {
        return undefined;
      }
    });
    assert.match(text, /Could not find the input at s3:\/\/ml-data\/in\/none\.json/);
  });
});
