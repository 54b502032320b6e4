/**
 * One invocation through an endpoint's router to a model server, with AWS's errors. The
 * routing (variant weights or TargetVariant, least-outstanding instance, retry of an
 * unreachable instance elsewhere) and the errors before an answer starts are shared by
 * InvokeEndpoint, InvokeEndpointAsync (which runs the same path in the background) and
 * InvokeEndpointWithResponseStream (whose answer is streamed, so the instance stays
 * outstanding until the stream ends).
 *
 * Multi-container models (domain/endpoints/containers.ts) go through the containers of the
 * chosen instance: a Serial pipeline sends the request to the first container and each answer
 * (body and Content-Type) to the next; only the last container's answer is the invocation's
 * (buffered, or streamed). Direct invocation sends it to the TargetContainerHostname only.
 */
import { AwsError } from '../../errors.js';
import type { Scope } from '../../store/store.js';
import { EndpointController, type LiveEndpoint, type LiveInstance, type LiveVariant } from '../../domain/endpoints/controller.js';
import { callSteps, type CallStep } from '../../domain/endpoints/containers.js';
import { invokeModel, ModelTimeoutError, ModelUnreachableError, type ModelAnswer } from './model-client.js';

/** A connection failure is retried on another instance this many times (a crashed instance's calls land elsewhere). */
const MAX_ATTEMPTS = 3;

/** AWS's answer for an endpoint the Runtime does not know (also while it is Creating, Failed or Deleting). */
export const endpointNotFound = (name: string, account: string) =>
  new AwsError('ValidationError', `Endpoint ${name} of account ${account} not found.`, 400);

/**
 * ModelError (424) as AWS words it: the container's status and text, and where its logs are.
 * A single container is `primary`; a container of a multi-container model is named by its
 * hostname (AWS: the error "indicates which container failed"; its log stream is
 * `<variant>/<instance>/<ContainerHostname>`).
 */
export function modelError(scope: Scope, endpoint: string, instanceId: string, variant: string, status: number, text: string, container?: string): AwsError {
  const kind = status >= 400 && status < 500 ? 'client' : 'server';
  const region = scope.region;
  return new AwsError(
    'ModelError',
    `Received ${kind} error (${status}) from ${container ?? 'primary'} with message "${text}". See https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logEventViewer:group=/aws/sagemaker/Endpoints/${endpoint} in account ${scope.account} for more information.`,
    424,
    {
      OriginalStatusCode: status,
      OriginalMessage: text,
      LogStreamArn: `${EndpointController.logGroupArn(scope, endpoint)}:log-stream:${variant}/${instanceId}${container ? `/${container}` : ''}`,
    },
  );
}

/** The request headers SageMaker passes to the container, from an invocation's input members. */
export function modelHeaders(input: { ContentType?: string; Accept?: string; CustomAttributes?: string; InferenceId?: string; TargetModel?: string }): Record<string, string> {
  const headers: Record<string, string> = {};
  if (input.ContentType !== undefined) headers['Content-Type'] = input.ContentType;
  if (input.Accept !== undefined) headers.Accept = input.Accept;
  if (input.CustomAttributes !== undefined) headers['X-Amzn-SageMaker-Custom-Attributes'] = input.CustomAttributes;
  if (input.InferenceId !== undefined) headers['X-Amzn-SageMaker-Inference-Id'] = input.InferenceId;
  if (input.TargetModel !== undefined) headers['X-Amzn-SageMaker-Target-Model'] = input.TargetModel;
  return headers;
}

/** What goes to a container: the caller's request, or in a pipeline the previous container's answer. */
export interface ModelRequest {
  body: Buffer;
  /** Content-Type, Accept, custom attributes, inference id (as SageMaker passes them). */
  headers: Record<string, string>;
}

/** How one kind of invocation talks to an instance (a buffered answer, or a stream). */
export interface ModelCall<A> {
  /** Sends the request; rejects with ModelTimeoutError or ModelUnreachableError when there is no answer in `timeoutMs`. */
  send(address: string, request: ModelRequest, timeoutMs: number): Promise<A>;
  status(answer: A): number;
  /** The text of a non-2xx answer, for ModelError's OriginalMessage. */
  errorText(answer: A): string | Promise<string>;
}

export interface Route {
  request: ModelRequest;
  targetVariant?: string;
  /** TargetContainerHostname (multi-container endpoints with direct invocation only). */
  targetContainer?: string;
  /** Each container's time to answer (a pipeline's containers each get it, as on AWS). */
  timeoutMs: number;
}

export interface Routed<A> {
  endpoint: LiveEndpoint;
  variant: LiveVariant;
  instance: LiveInstance;
  /** A 2xx answer. */
  answer: A;
  /** Ends the instance's outstanding count; the caller must call it exactly once when done with the answer. */
  release: () => void;
}

/**
 * Routes one call and maps every failure before a 2xx answer to AWS's error: unknown endpoint
 * or variant → ValidationError, nothing healthy → ServiceUnavailable, no answer in time or a
 * non-2xx answer → ModelError. Unreachable instances leave routing and the call goes elsewhere.
 */
export async function routeThrough<A>(ctl: EndpointController | undefined, scope: Scope, name: string, r: Route, call: ModelCall<A>): Promise<Routed<A>> {
  if (!ctl) throw endpointNotFound(name, scope.account);
  const { targetVariant } = r;
  // Instances that could not be reached by this call (created on the first failure only).
  let tried: Set<string> | undefined;
  let lastUnreachable: { err: ModelUnreachableError; instance: string; variant: string; container: string | undefined } | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const a = ctl.acquire(scope, name, { targetVariant, exclude: tried });
    if (!a.ok) {
      if (a.reason === 'not-found') throw endpointNotFound(name, scope.account);
      if (a.reason === 'no-variant') {
        // Slipway's wording; AWS refuses an unknown TargetVariant with a ValidationError.
        throw new AwsError('ValidationError', `Variant ${targetVariant} not found for endpoint ${name} of account ${scope.account}.`, 400);
      }
      if (lastUnreachable) break;
      // Nothing healthy right now (all instances restarting, or all weights 0): a retryable
      // 503, which the SDKs retry on their own.
      throw new AwsError('ServiceUnavailable', `Endpoint ${name} has no healthy instance to serve the request right now. Try your call again.`, 503);
    }
    const { instance, variant } = a;
    // Single container without a target: no plan, straight to the instance (the hot path).
    let steps: CallStep[] | undefined;
    if (instance.containers !== undefined || r.targetContainer !== undefined) {
      try {
        steps = callSteps(instance, r.targetContainer, name, scope.account);
      } catch (err) {
        a.release();
        throw err;
      }
    }
    let container: string | undefined;
    let answer: A;
    try {
      if (!steps) answer = await call.send(instance.address!, r.request, r.timeoutMs);
      else {
        // An inference pipeline: every container but the last answers in full, and its answer
        // (body and Content-Type) is the next container's request.
        let request = r.request;
        const last = steps.length - 1;
        for (let i = 0; i < last; i++) {
          container = steps[i]!.container;
          const got = await invokeModel(steps[i]!.address, request.body, intermediateHeaders(request.headers), r.timeoutMs);
          if (got.status < 200 || got.status > 299) {
            a.release();
            throw modelError(scope, name, instance.id, variant.name, got.status, got.body.toString('utf8'), container);
          }
          request = { body: got.body, headers: passOn(request.headers, got.headers['content-type']) };
        }
        container = steps[last]!.container;
        answer = await call.send(steps[last]!.address, request, r.timeoutMs);
      }
    } catch (err) {
      if (err instanceof AwsError) throw err;
      a.release();
      if (err instanceof ModelTimeoutError) {
        // AWS's text when a container misses the 60 s invocation deadline (status 0: no answer).
        throw modelError(scope, name, instance.id, variant.name, 0, `Your invocation timed out while waiting for a response from container ${container ?? 'primary'}. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.`, container);
      }
      if (err instanceof ModelUnreachableError) {
        // The instance died or is restarting: out of routing until healthy, and the call goes elsewhere.
        ctl.reportUnreachable(instance);
        (tried ??= new Set()).add(instance.id);
        lastUnreachable = { err, instance: instance.id, variant: variant.name, container };
        continue;
      }
      throw err;
    }
    const status = call.status(answer);
    if (status < 200 || status > 299) {
      let text: string;
      try {
        text = await call.errorText(answer);
      } finally {
        a.release();
      }
      throw modelError(scope, name, instance.id, variant.name, status, text, container);
    }
    return { endpoint: a.endpoint, variant, instance, answer, release: a.release };
  }
  const u = lastUnreachable!;
  throw modelError(scope, name, u.instance, u.variant, 0, `The model server could not be reached: ${u.err.message}`, u.container);
}

/**
 * What an intermediate pipeline container receives: the request's headers without Accept. The
 * caller's Accept is for the final answer (the last container); an intermediate container
 * answers in its own type (SageMaker's containers take it from SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT
 * in pipelines), and that type becomes the next container's Content-Type.
 */
function intermediateHeaders(headers: Record<string, string>): Record<string, string> {
  if (headers.Accept === undefined) return headers;
  const { Accept: _accept, ...rest } = headers;
  return rest;
}

/** The next container's headers: the caller's, with Content-Type from the previous container's answer. */
function passOn(headers: Record<string, string>, contentType: string | string[] | undefined): Record<string, string> {
  const { 'Content-Type': _previous, ...rest } = headers;
  return typeof contentType === 'string' ? { ...rest, 'Content-Type': contentType } : rest;
}

export interface Invocation {
  body: Buffer;
  /** Headers for the model (Content-Type, Accept, custom attributes, inference id). */
  headers: Record<string, string>;
  targetVariant?: string;
  /** TargetContainerHostname. */
  targetContainer?: string;
  timeoutMs: number;
}

export interface Invoked {
  endpoint: LiveEndpoint;
  variant: LiveVariant;
  answer: ModelAnswer;
}

const buffered: ModelCall<ModelAnswer> = {
  send: (address, request, timeoutMs) => invokeModel(address, request.body, request.headers, timeoutMs),
  status: (answer) => answer.status,
  errorText: (answer) => answer.body.toString('utf8'),
};

/** `POST /invocations` with the whole answer collected (InvokeEndpoint, InvokeEndpointAsync). */
export async function invokeThrough(ctl: EndpointController | undefined, scope: Scope, name: string, inv: Invocation): Promise<Invoked> {
  const route: Route = { request: { body: inv.body, headers: inv.headers }, targetVariant: inv.targetVariant, targetContainer: inv.targetContainer, timeoutMs: inv.timeoutMs };
  const r = await routeThrough(ctl, scope, name, route, buffered);
  r.release();
  return { endpoint: r.endpoint, variant: r.variant, answer: r.answer };
}
