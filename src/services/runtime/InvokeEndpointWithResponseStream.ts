import { AwsError } from '../../errors.js';
import { eventMessage, EVENT_STREAM_CONTENT_TYPE, exceptionMessage } from '../../http/eventstream.js';
import { StreamResponse } from '../../http/restjson.js';
import type { OpContext } from '../context.js';
import { modelHeaders, routeThrough, type Routed } from './invoke.js';
import { ModelStreamBrokenError, ModelStreamTimeoutError, openModelStream, type ModelStream } from './model-stream.js';

interface Input {
  EndpointName: string;
  Body: Buffer;
  ContentType?: string;
  /** Arrives as `X-Amzn-SageMaker-Accept` on this operation; the container gets it as `Accept`. */
  Accept?: string;
  CustomAttributes?: string;
  TargetVariant?: string;
  TargetContainerHostname?: string;
  InferenceId?: string;
  InferenceComponentName?: string;
  SessionId?: string;
}

/**
 * Streaming inference: routed exactly like InvokeEndpoint (weights or TargetVariant, least
 * busy healthy instance, the same ValidationError / ModelError / ServiceUnavailable before
 * anything is streamed), sent to the container as `POST /invocations-response-stream`, and
 * answered as an AWS event stream: every chunk the container writes is relayed as one
 * `PayloadPart` event as soon as it arrives. The answer's headers carry the model's content
 * type in `X-Amzn-SageMaker-Content-Type` (Content-Type is the event stream's own), its
 * custom attributes and the invoked variant.
 *
 * Once streaming has begun an HTTP error is no longer possible; as AWS does, a container that
 * hangs up mid-answer ends the stream with a `ModelStreamError` event (ErrorCode StreamBroken),
 * one that has not finished within the invocation timeout with ErrorCode
 * ModelInvocationTimeExceeded, anything else with `InternalStreamFailure`. The instance
 * counts as busy until the stream ends. Data capture and a running shadow test see the
 * whole answer (the parts concatenated) once the stream has ended.
 *
 * A multi-container model streams one container's answer: in a Serial pipeline every
 * container but the last answers `/invocations` in full first and only the last one streams;
 * with direct invocation the TargetContainerHostname streams.
 */
export async function InvokeEndpointWithResponseStream(ctx: OpContext, input: Input) {
  const headers = modelHeaders(input);
  const body = input.Body ?? Buffer.alloc(0);
  const timeoutMs = ctx.config.timing.invocationTimeoutMs;
  const at = ctx.clock.now();
  const started = performance.now();
  const failedCall = () => ({ variant: '', body, headers, inputContentType: input.ContentType, inferenceId: input.InferenceId, at, latencyMs: performance.now() - started, ok: false });
  let routed: Routed<ModelStream>;
  try {
    const route = { request: { body, headers }, targetVariant: input.TargetVariant, targetContainer: input.TargetContainerHostname, timeoutMs };
    routed = await routeThrough(ctx.controllers.endpoints, ctx, input.EndpointName, route, {
      send: (address, request, ms) => openModelStream(address, request.body, request.headers, ms),
      status: (stream) => stream.status,
      errorText: (stream) => stream.text(),
    });
  } catch (err) {
    // A shadow test counts failed production calls too, as for InvokeEndpoint.
    const shadow = ctx.controllers.endpoints?.endpoint(ctx, input.EndpointName)?.shadow;
    if (shadow && err instanceof AwsError && err.code === 'ModelError') shadow.tap.observe(failedCall());
    throw err;
  }
  const { endpoint, variant, answer: stream, release } = routed;
  const contentType = (stream.headers['content-type'] as string | undefined) ?? 'application/octet-stream';
  const out: Record<string, string> = {
    'Content-Type': EVENT_STREAM_CONTENT_TYPE,
    'X-Amzn-SageMaker-Content-Type': contentType,
    'x-Amzn-Invoked-Production-Variant': variant.name,
  };
  const attrs = stream.headers['x-amzn-sagemaker-custom-attributes'];
  if (typeof attrs === 'string') out['X-Amzn-SageMaker-Custom-Attributes'] = attrs;

  const parts: Buffer[] = [];
  let size = 0;
  let outcome: 'complete' | 'failed' | undefined;
  let finished = false;
  /** Runs once, however the stream ends: done, failed, or abandoned by the client (outcome undefined). */
  const finish = () => {
    if (finished) return;
    finished = true;
    stream.close();
    release();
    const latencyMs = performance.now() - started;
    if (outcome === 'complete') {
      const output = Buffer.concat(parts, size);
      // Capture only buffers a line (sampled); the write happens later, off the request path.
      endpoint.capture?.record({ variant: variant.name, inputContentType: input.ContentType, input: body, outputContentType: contentType, output, inferenceId: input.InferenceId, at });
      // The shadow tap copies in the background and never blocks or throws.
      endpoint.shadow?.tap.observe({ variant: variant.name, body, headers, inputContentType: input.ContentType, inferenceId: input.InferenceId, at, latencyMs, ok: true, output, outputContentType: contentType });
    } else if (outcome === 'failed') {
      endpoint.shadow?.tap.observe(failedCall());
    }
    // A client that hung up is neither a success nor a failure of the model: nothing to record.
  };

  async function* events(): AsyncGenerator<Uint8Array> {
    try {
      try {
        for await (const chunk of stream.chunks) {
          if (chunk.length === 0) continue;
          parts.push(chunk);
          size += chunk.length;
          yield eventMessage('PayloadPart', chunk);
        }
        outcome = 'complete';
      } catch (err) {
        outcome = 'failed';
        // Slipway's wording for the messages; the error codes are the two AWS documents.
        if (err instanceof ModelStreamBrokenError) {
          yield exceptionMessage('ModelStreamError', { Message: `Your model's response stream was broken: ${err.message}.`, ErrorCode: 'StreamBroken' });
        } else if (err instanceof ModelStreamTimeoutError) {
          yield exceptionMessage('ModelStreamError', {
            Message: `Your model did not finish sending the response within the invocation timeout of ${Math.round(err.timeoutMs / 1000)} seconds.`,
            ErrorCode: 'ModelInvocationTimeExceeded',
          });
        } else {
          ctx.log.error({ err, endpoint: input.EndpointName }, 'response stream failed');
          yield exceptionMessage('InternalStreamFailure', { Message: 'An internal failure occurred while streaming the response. Try your request again.' });
        }
      }
    } finally {
      finish();
    }
  }

  // return() on a generator that never started skips its finally: the wrapper makes sure an
  // answer nobody read (the client left before the first part) still releases the instance.
  const gen = events();
  const eventStream: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: () => gen.next(),
      return: async (value?: unknown) => {
        try {
          return await gen.return(value as undefined);
        } finally {
          finish();
        }
      },
    }),
  };
  return new StreamResponse(200, out, eventStream);
}
