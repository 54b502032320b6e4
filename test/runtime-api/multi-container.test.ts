import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import * as tar from 'tar';
import { CreateModelCommand, DeleteEndpointCommand, DescribeEndpointCommand, DescribeModelCommand, type ContainerDefinition } from '@aws-sdk/client-sagemaker';
import {
  InvokeEndpointAsyncCommand,
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
  type InvokeEndpointCommandInput,
  type SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createConfig, createEchoModel, createEndpoint, HOSTING_ENV, HOSTING_TIMING, runtimeClient, variant } from '../helpers/hosting.js';
import { installStageModel, STAGE_IMAGE } from '../helpers/stage-model.js';
import { alive } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const scope = { account: '000000000000', region: 'us-east-1' };
const ROLE = 'arn:aws:iam::000000000000:role/SageMakerRole';
const LOG_GROUP = 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/sagemaker/Endpoints';

/** A model.tar.gz holding `stage.txt` with `text`. */
async function stageArchive(text: string): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'stage-model-'));
  try {
    writeFileSync(join(dir, 'stage.txt'), `${text}\n`);
    return await buffer(tar.c({ gzip: true, cwd: dir }, ['stage.txt']) as unknown as NodeJS.ReadableStream);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const stage = (name: string, more: ContainerDefinition = {}): ContainerDefinition => ({
  Image: STAGE_IMAGE,
  ModelDataUrl: `s3://mc-models/${name}/model.tar.gz`,
  ...more,
  Environment: { STAGE_NAME: name, ...more.Environment },
});

describe('Multi-container models: inference pipelines and direct invocation on real processes', () => {
  let t: TestServer;
  let rt: SageMakerRuntimeClient;
  let state: string;
  const ctl = () => t.slipway.services.controllers.endpoints!;
  const instances = (endpoint: string) => ctl().describeInstances(scope, endpoint);
  const invoke = (input: Omit<InvokeEndpointCommandInput, 'Body'> & { Body: string }) =>
    rt.send(new InvokeEndpointCommand({ ...input, Body: Buffer.from(input.Body) }));
  const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString();

  before(async () => {
    t = await startTestServer({ env: HOSTING_ENV, timing: HOSTING_TIMING });
    rt = runtimeClient(t);
    ({ state } = installStageModel(t.dataDir));
    await t.s3.send(new CreateBucketCommand({ Bucket: 'mc-models' }));
    await t.s3.send(new CreateBucketCommand({ Bucket: 'mc-data' }));
    for (const [name, weights] of [['A', 'wA'], ['B', 'wB'], ['C', 'wC'], ['first', 'w1']]) {
      await t.s3.send(new PutObjectCommand({ Bucket: 'mc-models', Key: `${name}/model.tar.gz`, Body: await stageArchive(weights!) }));
    }
    const restartable = { STAGE_STATE: state, RESTART_PING_DELAY_MS: '1500' };
    // A three-stage pipeline (Serial is the default); no ContainerHostname: AWS names them container-1..3.
    await t.sagemaker.send(new CreateModelCommand({ ModelName: 'pipeline', ExecutionRoleArn: ROLE, Containers: [stage('A'), stage('B', { Environment: { FAIL_STATUS: '503' } }), stage('C')] }));
    await t.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'restartable',
        ExecutionRoleArn: ROLE,
        Containers: [stage('A', { Environment: restartable }), stage('B', { Environment: restartable }), stage('C', { Environment: restartable })],
      }),
    );
    await t.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'direct',
        ExecutionRoleArn: ROLE,
        InferenceExecutionConfig: { Mode: 'Direct' },
        Containers: [stage('first', { ContainerHostname: 'first' }), { Image: 'slipway/echo:latest', ContainerHostname: 'second' }],
      }),
    );
    // Its first container marks its pid in a state directory of its own (the test checks it was stopped).
    mkdirSync(join(state, 'unhealthy'));
    await t.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'unhealthy',
        ExecutionRoleArn: ROLE,
        Containers: [stage('A', { Environment: { STAGE_STATE: join(state, 'unhealthy') } }), stage('B', { Environment: { EXIT_AT_START: '1' } })],
      }),
    );
    await createEchoModel(t.sagemaker, 'single');
    const async = (name: string) => ({ AsyncInferenceConfig: { OutputConfig: { S3OutputPath: `s3://mc-data/${name}/out`, S3FailurePath: `s3://mc-data/${name}/fail` } } });
    await createConfig(t.sagemaker, 'pipe', [variant('AllTraffic', 'pipeline')], {
      ...async('pipe'),
      DataCaptureConfig: { InitialSamplingPercentage: 100, DestinationS3Uri: 's3://mc-data/capture', CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }] },
    });
    await createConfig(t.sagemaker, 'pipe2', [variant('AllTraffic', 'restartable', 1, 2)]);
    await createConfig(t.sagemaker, 'direct', [variant('AllTraffic', 'direct')], async('direct'));
    await createConfig(t.sagemaker, 'single', [variant('AllTraffic', 'single')]);
    await createConfig(t.sagemaker, 'unhealthy', [variant('Broken', 'unhealthy')]);
    const created = await Promise.all(['pipe', 'pipe2', 'direct', 'single'].map((n) => createEndpoint(t.sagemaker, n, n)));
    for (const d of created) assert.equal(d.EndpointStatus, 'InService', d.FailureReason);
  });
  after(async () => {
    rt?.destroy();
    await t?.close();
  });

  it('a three-container Serial pipeline: each answer is the next request; the last answer and its Content-Type come back', async () => {
    const out = await invoke({ EndpointName: 'pipe', Body: '5,1', ContentType: 'text/csv', Accept: 'application/json' });
    // Each stage saw the previous stage's Content-Type and unpacked its own model data; only the last got the caller's Accept.
    assert.equal(text(out.Body), '5,1|A:wA[text/csv]|B:wB[application/x-A]|C:wC[application/x-B accept application/json]');
    assert.equal(out.ContentType, 'application/x-C');
    assert.equal(out.InvokedProductionVariant, 'AllTraffic');
  });

  it('every container is its own process (own port, model directory and environment); DescribeEndpoint lists each image, DescribeModel each container', async () => {
    const [inst] = instances('pipe');
    assert.ok(inst?.healthy);
    const containers = inst.containers!;
    assert.deepEqual(containers.map((c) => c.name), ['container-1', 'container-2', 'container-3']);
    const pids = containers.map((c) => c.pid!);
    assert.equal(new Set(pids).size, 3);
    for (const pid of pids) assert.ok(alive(pid), `pid ${pid} runs`);
    assert.equal(new Set(containers.map((c) => c.address)).size, 3, 'each container binds its own SAGEMAKER_BIND_TO_PORT');
    assert.equal(new Set(containers.map((c) => c.logFile)).size, 3, 'each container has its own log');

    const d = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'pipe' }));
    const images = d.ProductionVariants![0]!.DeployedImages!;
    assert.equal(images.length, 3);
    for (const img of images) {
      assert.equal(img.SpecifiedImage, STAGE_IMAGE);
      assert.equal(img.ResolvedImage, STAGE_IMAGE);
      assert.ok(img.ResolutionTime instanceof Date);
    }
    const direct = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'direct' }));
    assert.deepEqual(direct.ProductionVariants![0]!.DeployedImages!.map((i) => i.SpecifiedImage), [STAGE_IMAGE, 'slipway/echo:latest']);
    const single = await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'single' }));
    assert.equal(single.ProductionVariants![0]!.DeployedImages!.length, 1);

    const m = await t.sagemaker.send(new DescribeModelCommand({ ModelName: 'direct' }));
    assert.deepEqual(m.InferenceExecutionConfig, { Mode: 'Direct' });
    assert.deepEqual(m.Containers!.map((c) => [c.ContainerHostname, c.Image]), [['first', STAGE_IMAGE], ['second', 'slipway/echo:latest']]);
    assert.equal(m.PrimaryContainer, undefined);
  });

  it('a failing middle stage is a ModelError naming that container, with its status and text', async () => {
    await assert.rejects(invoke({ EndpointName: 'pipe', Body: 'x fail@B', ContentType: 'text/plain' }), (e: any) => {
      assert.equal(e.name, 'ModelError');
      assert.equal(e.$metadata.httpStatusCode, 424);
      assert.equal(e.OriginalStatusCode, 503);
      assert.equal(e.OriginalMessage, 'stage B refused');
      assert.match(e.message, /^Received server error \(503\) from container-2 with message "stage B refused"\. See https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\/.*\/aws\/sagemaker\/Endpoints\/pipe in account 000000000000 for more information\.$/);
      const [inst] = instances('pipe');
      assert.equal(e.LogStreamArn, `${LOG_GROUP}/pipe:log-stream:AllTraffic/${inst!.id}/container-2`);
      return true;
    });
    // The first stage's failure names the first container; the pipeline still answers afterwards.
    await assert.rejects(invoke({ EndpointName: 'pipe', Body: 'fail@A' }), (e: any) => e.name === 'ModelError' && e.OriginalStatusCode === 500 && /from container-1 with/.test(e.message));
    const ok = await invoke({ EndpointName: 'pipe', Body: 'again', ContentType: 'text/plain' });
    assert.match(text(ok.Body), /^again\|A:wA.*\|C:wC/);
  });

  it('Direct: TargetContainerHostname reaches exactly the container it names', async () => {
    const first = await invoke({ EndpointName: 'direct', Body: 'q', ContentType: 'text/csv', TargetContainerHostname: 'first' });
    assert.equal(text(first.Body), 'q|first:w1[text/csv]');
    assert.equal(first.ContentType, 'application/x-first');
    // The second container is the built-in echo: the body comes back unchanged.
    const second = await invoke({ EndpointName: 'direct', Body: 'q', ContentType: 'text/csv', TargetContainerHostname: 'second' });
    assert.equal(text(second.Body), 'q');
    assert.equal(second.ContentType, 'text/csv');
  });

  it('Direct: a missing or unknown TargetContainerHostname is a ValidationError, and nothing is invoked', async () => {
    await assert.rejects(invoke({ EndpointName: 'direct', Body: 'q' }), (e: any) => {
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.message, 'Endpoint direct of account 000000000000 is configured for direct invocation of its containers: specify TargetContainerHostname (one of first, second).');
      return true;
    });
    await assert.rejects(invoke({ EndpointName: 'direct', Body: 'q', TargetContainerHostname: 'third' }), (e: any) => {
      assert.equal(e.name, 'ValidationError');
      assert.equal(e.message, 'TargetContainerHostname third does not exist in endpoint direct of account 000000000000 (its containers: first, second).');
      return true;
    });
    // Nothing stays outstanding after a refused call.
    assert.equal(instances('direct')[0]!.outstanding, 0);
  });

  it('TargetContainerHostname on a Serial pipeline or a single-container endpoint is a ValidationError', async () => {
    for (const name of ['pipe', 'single']) {
      await assert.rejects(invoke({ EndpointName: name, Body: 'q', TargetContainerHostname: 'container-1' }), (e: any) => {
        assert.equal(e.name, 'ValidationError');
        assert.equal(
          e.message,
          `TargetContainerHostname can only be specified for an endpoint configured for direct invocation of its containers; endpoint ${name} of account 000000000000 is not.`,
        );
        return true;
      });
    }
  });

  it('InvokeEndpointWithResponseStream: a pipeline streams the last container only, Direct streams its target', async () => {
    const collect = async (input: { EndpointName: string; TargetContainerHostname?: string }) => {
      const out = await rt.send(new InvokeEndpointWithResponseStreamCommand({ ...input, Body: Buffer.from('s'), ContentType: 'text/plain' }));
      const parts: string[] = [];
      for await (const ev of out.Body!) parts.push(Buffer.from(ev.PayloadPart!.Bytes!).toString());
      return { parts, contentType: out.ContentType };
    };
    const piped = await collect({ EndpointName: 'pipe' });
    assert.equal(piped.parts.join(''), 's|A:wA[text/plain]|B:wB[application/x-A]|C:wC[application/x-B]');
    assert.equal(piped.parts.length, 3, 'the last stage wrote its answer in three pieces');
    assert.equal(piped.contentType, 'application/x-C');
    const direct = await collect({ EndpointName: 'direct', TargetContainerHostname: 'first' });
    assert.equal(direct.parts.join(''), 's|first:w1[text/plain]');
    await assert.rejects(collect({ EndpointName: 'direct' }), (e: any) => e.name === 'ValidationError');
  });

  it('data capture records the caller\'s request and the pipeline\'s final answer', async () => {
    await invoke({ EndpointName: 'pipe', Body: 'captured', ContentType: 'text/plain', InferenceId: 'cap-1' });
    const line = await until(
      'the captured line',
      async () => {
        const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: 'mc-data', Prefix: 'capture/pipe/AllTraffic/' }));
        for (const o of listed.Contents ?? []) {
          const got = await t.s3.send(new GetObjectCommand({ Bucket: 'mc-data', Key: o.Key! }));
          for (const l of (await got.Body!.transformToString()).split('\n').filter(Boolean)) {
            const parsed = JSON.parse(l);
            if (parsed.eventMetadata.inferenceId === 'cap-1') return parsed;
          }
        }
        return undefined;
      },
      20_000,
      200,
    );
    const decode = (d: { data: string; encoding: string }) => (d.encoding === 'BASE64' ? Buffer.from(d.data, 'base64').toString() : d.data);
    assert.equal(decode(line.captureData.endpointInput), 'captured');
    assert.equal(line.captureData.endpointInput.observedContentType, 'text/plain');
    assert.equal(decode(line.captureData.endpointOutput), 'captured|A:wA[text/plain]|B:wB[application/x-A]|C:wC[application/x-B]');
    assert.equal(line.captureData.endpointOutput.observedContentType, 'application/x-C');
  });

  it('InvokeEndpointAsync runs the pipeline; on a Direct endpoint (no way to name a container) it is refused', async () => {
    await t.s3.send(new PutObjectCommand({ Bucket: 'mc-data', Key: 'in/req.txt', Body: 'queued', ContentType: 'text/plain' }));
    const a = await rt.send(new InvokeEndpointAsyncCommand({ EndpointName: 'pipe', InputLocation: 's3://mc-data/in/req.txt', ContentType: 'text/plain' }));
    const key = a.OutputLocation!.replace('s3://mc-data/', '');
    const body = await until(
      'the async output',
      async () => {
        try {
          return await (await t.s3.send(new GetObjectCommand({ Bucket: 'mc-data', Key: key }))).Body!.transformToString();
        } catch {
          return undefined;
        }
      },
      20_000,
      100,
    );
    assert.equal(body, 'queued|A:wA[text/plain]|B:wB[application/x-A]|C:wC[application/x-B]');
    await assert.rejects(
      rt.send(new InvokeEndpointAsyncCommand({ EndpointName: 'direct', InputLocation: 's3://mc-data/in/req.txt' })),
      (e: any) =>
        e.name === 'ValidationError' &&
        e.message === 'Endpoint direct of account 000000000000 is configured for direct invocation of its containers; InvokeEndpointAsync cannot name a container (TargetContainerHostname).',
    );
  });

  it('killing one container takes its instance out of routing; the whole instance restarts and serves again', async () => {
    const who = async () => {
      const out = await invoke({ EndpointName: 'pipe2', Body: 'w', CustomAttributes: 'who' });
      return /instance=([^,]+)/.exec(out.CustomAttributes!)![1]!;
    };
    const [victim, other] = instances('pipe2');
    assert.ok(victim?.healthy && other?.healthy);
    const before = victim.containers!.map((c) => c.pid!);
    process.kill(before[1]!, 'SIGKILL'); // container-2 of one instance
    // The crash takes the instance down: the Supervisor starts all three containers again,
    // and the restarted ones answer /ping only after 1.5 s (RESTART_PING_DELAY_MS).
    await until('the restart', () => {
      const v = instances('pipe2').find((i) => i.id === victim.id)!;
      return v.restarts >= 1 && v.containers?.every((c, i) => c.pid !== undefined && c.pid !== before[i]) ? v : undefined;
    });
    assert.equal(instances('pipe2').find((i) => i.id === victim.id)!.healthy, false, 'a restarting instance is out of routing');
    // The survivors were stopped, not left behind.
    for (const pid of before) await until(`pid ${pid} gone`, () => (alive(pid) ? undefined : true));
    // Meanwhile every call is served, by the other instance.
    for (let i = 0; i < 10; i++) assert.equal(await who(), other.id);
    await until('the instance healthy again', () => (instances('pipe2').find((i) => i.id === victim.id)!.healthy ? true : undefined));
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await who());
    assert.deepEqual([...seen].sort(), [victim.id, other.id].sort(), 'both instances serve again');
  });

  it('a container that never passes its ping fails the endpoint, named as AWS names it', async () => {
    const d = await createEndpoint(t.sagemaker, 'unhealthy', 'unhealthy');
    assert.equal(d.EndpointStatus, 'Failed');
    assert.match(d.FailureReason!, /^The container-2 for production variant Broken did not pass the ping health check: model server i-[0-9a-f]+ exited with code 3 before answering GET \/ping/);
    assert.match(d.FailureReason!, /stage: told to exit at start/);
    // Its healthy sibling was stopped with it.
    assert.deepEqual(instances('unhealthy'), []);
    const marks = readdirSync(join(state, 'unhealthy'));
    assert.equal(marks.length, 1);
    const sibling = Number(readFileSync(join(state, 'unhealthy', marks[0]!), 'utf8'));
    await until(`container-1 (pid ${sibling}) stopped`, () => (alive(sibling) ? undefined : true));
  });

  it('DeleteEndpoint stops every container process of every instance', async () => {
    const pids = instances('pipe2').flatMap((i) => i.containers!.map((c) => c.pid!));
    assert.equal(pids.length, 6);
    for (const pid of pids) assert.ok(alive(pid));
    await t.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'pipe2' }));
    await until('pipe2 deleted', async () => {
      try {
        await t.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'pipe2' }));
        return undefined;
      } catch (e: any) {
        return e.name === 'ValidationException' ? true : undefined;
      }
    });
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} stopped`);
  });
});
