import { AwsError } from '../../errors.js';
import { RawResponse } from '../../http/restjson.js';
import { parseS3Uri } from '../../runtime/artifacts.js';
import type { OpContext } from '../context.js';
import { endpointNotFound, invokeThrough } from './invoke.js';

interface Input {
  EndpointName: string;
  InputLocation: string;
  ContentType?: string;
  Accept?: string;
  CustomAttributes?: string;
  InferenceId?: string;
  RequestTTLSeconds?: number;
  InvocationTimeoutSeconds?: number;
  S3OutputPathExtension?: string;
}

const validationError = (m: string) => new AwsError('ValidationError', m, 400);

/**
 * Asynchronous inference: answered at once with 202, `InferenceId` and the S3 locations the
 * result (or failure) will be written to; in the background the input is read from
 * `InputLocation`, sent through the same router and instances as InvokeEndpoint, and the
 * model's answer stored at `<S3OutputPath>/<uuid>.out` (failures at
 * `<S3FailurePath>/<uuid>-error.out`), as AsyncInferenceConfig describes. Only endpoints
 * whose config has an AsyncInferenceConfig accept it.
 */
export async function InvokeEndpointAsync(ctx: OpContext, input: Input) {
  const ctl = ctx.controllers.endpoints;
  const ep = ctl?.endpoint(ctx, input.EndpointName);
  if (!ctl || !ep) throw endpointNotFound(input.EndpointName, ctx.account);
  const out = ep.asyncConfig?.OutputConfig;
  if (!out) {
    // Slipway's wording: the endpoint config has no AsyncInferenceConfig to say where results go.
    throw validationError(`Endpoint ${input.EndpointName} of account ${ctx.account} is not configured for asynchronous inference (its endpoint configuration has no AsyncInferenceConfig).`);
  }
  let source: { bucket: string; key: string };
  try {
    source = parseS3Uri(input.InputLocation);
  } catch {
    throw validationError(`InputLocation ${input.InputLocation} is not a valid S3 URI.`);
  }
  const inferenceId = input.InferenceId ?? ctx.ids.uuid();
  const id = ctx.ids.uuid();
  const ext = input.S3OutputPathExtension ? `/${input.S3OutputPathExtension.replace(/^\/+|\/+$/g, '')}` : '';
  const outputPath = out.S3OutputPath?.replace(/\/+$/, '');
  const failurePath = (out.S3FailurePath ?? out.S3OutputPath)!.replace(/\/+$/, '');
  const OutputLocation = outputPath ? `${outputPath}${ext}/${id}.out` : undefined;
  const FailureLocation = `${failurePath}${ext}/${id}-error.out`;
  const timeoutMs = (input.InvocationTimeoutSeconds ?? 900) * 1000;
  const headers: Record<string, string> = {};
  if (input.ContentType !== undefined) headers['Content-Type'] = input.ContentType;
  if (input.Accept !== undefined) headers.Accept = input.Accept;
  if (input.CustomAttributes !== undefined) headers['X-Amzn-SageMaker-Custom-Attributes'] = input.CustomAttributes;
  headers['X-Amzn-SageMaker-Inference-Id'] = inferenceId;
  const scope = { account: ctx.account, region: ctx.region };

  const write = async (uri: string, body: Buffer, contentType: string) => {
    const { bucket, key } = parseS3Uri(uri);
    await ctx.objects.put(bucket, key, body, { contentType });
  };
  ctl.track(
    (async () => {
      try {
        const got = await ctx.objects.get(source.bucket, source.key);
        if (!got) throw new Error(`Could not find the input at ${input.InputLocation}.`);
        const chunks: Buffer[] = [];
        for await (const c of got.body) chunks.push(c as Buffer);
        const { answer, variant, endpoint } = await invokeThrough(ctl, scope, input.EndpointName, { body: Buffer.concat(chunks), headers, timeoutMs });
        const contentType = (answer.headers['content-type'] as string | undefined) ?? 'application/octet-stream';
        endpoint.capture?.record({ variant: variant.name, inputContentType: input.ContentType, input: Buffer.concat(chunks), outputContentType: contentType, output: answer.body, inferenceId, at: ctx.clock.now() });
        if (OutputLocation) await write(OutputLocation, answer.body, contentType);
      } catch (err) {
        await write(FailureLocation, Buffer.from((err as Error).message), 'text/plain');
      }
    })(),
  );
  const h: Record<string, string> = { 'Content-Type': 'application/json', 'X-Amzn-SageMaker-FailureLocation': FailureLocation };
  if (OutputLocation) h['X-Amzn-SageMaker-OutputLocation'] = OutputLocation;
  return new RawResponse(202, h, JSON.stringify({ InferenceId: inferenceId }));
}
