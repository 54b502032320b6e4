/**
 * One invocation through an endpoint's router to a model server, with AWS's errors. Shared
 * by InvokeEndpoint and InvokeEndpointAsync (which runs the same path in the background).
 */
import { AwsError } from '../../errors.js';
import type { Scope } from '../../store/store.js';
import { EndpointController, type LiveEndpoint, type LiveVariant } from '../../domain/endpoints/controller.js';
import { invokeModel, ModelTimeoutError, ModelUnreachableError, type ModelAnswer } from './model-client.js';

/** A connection failure is retried on another instance this many times (a crashed instance's calls land elsewhere). */
const MAX_ATTEMPTS = 3;

/** AWS's answer for an endpoint the Runtime does not know (also while it is Creating, Failed or Deleting). */
export const endpointNotFound = (name: string, account: string) =>
  new AwsError('ValidationError', `Endpoint ${name} of account ${account} not found.`, 400);

/** ModelError (424) as AWS words it: the container's status and text, and where its logs are. */
export function modelError(scope: Scope, endpoint: string, instanceId: string, variant: string, status: number, text: string): AwsError {
  const kind = status >= 400 && status < 500 ? 'client' : 'server';
  const region = scope.region;
  return new AwsError(
    'ModelError',
    `Received ${kind} error (${status}) from primary with message "${text}". See https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logEventViewer:group=/aws/sagemaker/Endpoints/${endpoint} in account ${scope.account} for more information.`,
    424,
    {
      OriginalStatusCode: status,
      OriginalMessage: text,
      LogStreamArn: `${EndpointController.logGroupArn(scope, endpoint)}:log-stream:${variant}/${instanceId}`,
    },
  );
}

export interface Invocation {
  body: Buffer;
  /** Headers for the model (Content-Type, Accept, custom attributes, inference id). */
  headers: Record<string, string>;
  targetVariant?: string;
  timeoutMs: number;
}

export interface Invoked {
  endpoint: LiveEndpoint;
  variant: LiveVariant;
  answer: ModelAnswer;
}

export async function invokeThrough(ctl: EndpointController | undefined, scope: Scope, name: string, inv: Invocation): Promise<Invoked> {
  if (!ctl) throw endpointNotFound(name, scope.account);
  const tried = new Set<string>();
  let lastUnreachable: { err: ModelUnreachableError; instance: string; variant: string } | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const a = ctl.acquire(scope, name, { targetVariant: inv.targetVariant, exclude: tried });
    if (!a.ok) {
      if (a.reason === 'not-found') throw endpointNotFound(name, scope.account);
      if (a.reason === 'no-variant') {
        // Slipway's wording; AWS refuses an unknown TargetVariant with a ValidationError.
        throw new AwsError('ValidationError', `Variant ${inv.targetVariant} not found for endpoint ${name} of account ${scope.account}.`, 400);
      }
      if (lastUnreachable) break;
      // Nothing healthy right now (all instances restarting, or all weights 0): a retryable
      // 503, which the SDKs retry on their own.
      throw new AwsError('ServiceUnavailable', `Endpoint ${name} has no healthy instance to serve the request right now. Try your call again.`, 503);
    }
    const { instance, variant } = a;
    let answer: ModelAnswer;
    try {
      answer = await invokeModel(instance.address!, inv.body, inv.headers, inv.timeoutMs);
    } catch (err) {
      a.release();
      if (err instanceof ModelTimeoutError) {
        // AWS's text when a container misses the 60 s invocation deadline (status 0: no answer).
        throw modelError(scope, name, instance.id, variant.name, 0, 'Your invocation timed out while waiting for a response from container primary. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.');
      }
      if (err instanceof ModelUnreachableError) {
        // The instance died or is restarting: out of routing until healthy, and the call goes elsewhere.
        ctl.reportUnreachable(instance);
        tried.add(instance.id);
        lastUnreachable = { err, instance: instance.id, variant: variant.name };
        continue;
      }
      throw err;
    }
    a.release();
    if (answer.status < 200 || answer.status > 299) {
      throw modelError(scope, name, instance.id, variant.name, answer.status, answer.body.toString('utf8'));
    }
    return { endpoint: a.endpoint, variant, answer };
  }
  const u = lastUnreachable!;
  throw modelError(scope, name, u.instance, u.variant, 0, `The model server could not be reached: ${u.err.message}`);
}
