import { AwsError } from '../../errors.js';
import { RawResponse } from '../../http/restjson.js';
import type { OpContext } from '../context.js';
import { endpointNotFound, invokeThrough, modelHeaders } from './invoke.js';

interface Input {
  EndpointName: string;
  Body: Buffer;
  ContentType?: string;
  Accept?: string;
  CustomAttributes?: string;
  TargetModel?: string;
  TargetVariant?: string;
  TargetContainerHostname?: string;
  InferenceId?: string;
}

/**
 * Real-time inference: routed by the endpoint's weights (or TargetVariant) to the least busy
 * healthy instance, proxied over a pooled keep-alive connection. Content-Type, Accept,
 * CustomAttributes and InferenceId go to the container as SageMaker sends them; the answer
 * carries the model's Content-Type and CustomAttributes and `x-Amzn-Invoked-Production-Variant`.
 * The body limit (6 MB, BodyBlob max) is enforced by the shape validator as a ValidationError.
 * A multi-container model's instance runs its pipeline (Serial), or the container that
 * TargetContainerHostname names (Direct); capture and the shadow tap see the caller's request
 * and the final answer (invoke.ts).
 */
export async function InvokeEndpoint(ctx: OpContext, input: Input) {
  if (input.TargetModel !== undefined) {
    // Every Slipway endpoint hosts single models (CreateEndpoint refuses Mode MultiModel):
    // AWS's answer for TargetModel there, once the endpoint is known to exist.
    if (!ctx.controllers.endpoints?.endpoint(ctx, input.EndpointName)) throw endpointNotFound(input.EndpointName, ctx.account);
    throw new AwsError('ValidationError', `Endpoint ${input.EndpointName} is not a multi-model endpoint and does not support target model header.`, 400);
  }
  const headers = modelHeaders(input);
  const body = input.Body ?? Buffer.alloc(0);
  const at = ctx.clock.now();
  const started = performance.now();
  let invoked: Awaited<ReturnType<typeof invokeThrough>>;
  try {
    invoked = await invokeThrough(ctx.controllers.endpoints, ctx, input.EndpointName, {
      body,
      headers,
      targetVariant: input.TargetVariant,
      targetContainer: input.TargetContainerHostname,
      timeoutMs: ctx.config.timing.invocationTimeoutMs,
    });
  } catch (err) {
    // A shadow test counts failed production calls too; observe() only records, never waits.
    const shadow = ctx.controllers.endpoints?.endpoint(ctx, input.EndpointName)?.shadow;
    if (shadow && err instanceof AwsError && err.code === 'ModelError') {
      shadow.tap.observe({ variant: '', body, headers, inputContentType: input.ContentType, inferenceId: input.InferenceId, at, latencyMs: performance.now() - started, ok: false });
    }
    throw err;
  }
  const { endpoint, variant, answer } = invoked;
  const contentType = (answer.headers['content-type'] as string | undefined) ?? 'application/octet-stream';
  // Capture only buffers a line (sampled); the write happens later, off the request path.
  endpoint.capture?.record({
    variant: variant.name,
    inputContentType: input.ContentType,
    input: body,
    outputContentType: contentType,
    output: answer.body,
    inferenceId: input.InferenceId,
    at,
  });
  // Shadow test running: the tap copies a sample of requests to the shadow variant in the
  // background (never awaited here), so the client gets the production answer unchanged and undelayed.
  endpoint.shadow?.tap.observe({
    variant: variant.name,
    body,
    headers,
    inputContentType: input.ContentType,
    inferenceId: input.InferenceId,
    at,
    latencyMs: performance.now() - started,
    ok: true,
    output: answer.body,
    outputContentType: contentType,
  });
  const out: Record<string, string> = { 'Content-Type': contentType, 'x-Amzn-Invoked-Production-Variant': variant.name };
  const attrs = answer.headers['x-amzn-sagemaker-custom-attributes'];
  if (typeof attrs === 'string') out['X-Amzn-SageMaker-Custom-Attributes'] = attrs;
  return new RawResponse(200, out, answer.body);
}
