import assert from 'node:assert/strict';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  type ProductionVariant,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { credentials, region, type TestServer } from './server.js';

/** Short hosting timings so tests never wait for AWS-sized grace periods. */
export const HOSTING_ENV = {
  SLIPWAY_HOSTING_STOP_GRACE_SECONDS: '2',
  SLIPWAY_HOSTING_STARTUP_TIMEOUT_SECONDS: '30',
};

/** Short delays that have no environment variable: captured lines written within 100 ms, experiment schedules checked every 100 ms. */
export const HOSTING_TIMING = { captureFlushMs: 100, experimentPollMs: 100 };

export function runtimeClient(t: TestServer, maxAttempts = 1): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({ endpoint: t.url, region, credentials, maxAttempts });
}

export async function createEchoModel(sm: SageMakerClient, name: string, extra: { Environment?: Record<string, string>; ModelDataUrl?: string; Image?: string } = {}) {
  await sm.send(
    new CreateModelCommand({
      ModelName: name,
      PrimaryContainer: { Image: extra.Image ?? 'slipway/echo:latest', Environment: extra.Environment, ModelDataUrl: extra.ModelDataUrl },
      ExecutionRoleArn: 'arn:aws:iam::000000000000:role/SageMakerRole',
    }),
  );
}

export async function createConfig(sm: SageMakerClient, name: string, variants: ProductionVariant[], more: Record<string, unknown> = {}) {
  await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: variants, ...more }));
}

export const variant = (VariantName: string, ModelName: string, InitialVariantWeight = 1, InitialInstanceCount = 1): ProductionVariant => ({
  VariantName,
  ModelName,
  InitialVariantWeight,
  InitialInstanceCount,
  InstanceType: 'ml.m5.large',
});

/** Polls DescribeEndpoint (bounded) until the status is one of `want`. */
export async function waitStatus(sm: SageMakerClient, name: string, want: string[], timeoutMs = 60_000): Promise<DescribeEndpointCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  let last: DescribeEndpointCommandOutput | undefined;
  while (Date.now() < deadline) {
    last = await sm.send(new DescribeEndpointCommand({ EndpointName: name }));
    if (want.includes(last.EndpointStatus!)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`endpoint ${name} did not reach ${want.join('|')} within ${timeoutMs} ms (last: ${last?.EndpointStatus} ${last?.FailureReason ?? ''})`);
}

export async function createEndpoint(sm: SageMakerClient, name: string, config: string) {
  await sm.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: config }));
  return waitStatus(sm, name, ['InService', 'Failed']);
}

/** Runs `n` calls of `fn` with at most `concurrency` in flight. */
export async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}
