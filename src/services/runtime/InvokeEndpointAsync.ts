import { AwsError } from '../../errors.js';
import { RawResponse } from '../../http/restjson.js';
import {
  DEFAULT_INVOCATION_TIMEOUT_SECONDS,
  DEFAULT_REQUEST_TTL_SECONDS,
  parseObjectLocation,
  type AsyncRequest,
} from '../../domain/endpoints/async-queue.js';
import { ENDPOINT_KIND, type AsyncConfig, type EndpointRecord } from '../../domain/endpoints/endpoint.js';
import type { OpContext } from '../context.js';
import { endpointNotFound, modelHeaders } from './invoke.js';

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
  /** The output object's name (X-Amzn-SageMaker-Filename; the model's pattern allows no '/'). */
  Filename?: string;
}

const validationError = (m: string) => new AwsError('ValidationError', m, 400);

/** Statuses in which an endpoint serves (the Runtime answers "not found" while Creating, Failed or Deleting; UpdateRollbackFailed serves with its mixed fleet, as on AWS). */
const SERVING = new Set(['InService', 'Updating', 'RollingBack', 'UpdateRollbackFailed']);

/**
 * Asynchronous inference: the request is queued durably and answered with 202, its
 * `InferenceId` and the S3 locations the result (`<S3OutputPath>/<uuid>.out`) or failure
 * (`<S3FailurePath>/<uuid>-error.out`) will be written to, as AsyncInferenceConfig describes.
 * The endpoint's worker (domain/endpoints/async-queue.ts) reads `InputLocation` when the
 * request's turn comes and sends it through the same router and instances as
 * InvokeEndpoint. The input object is not read here: like AWS, a missing input is accepted
 * and reported at the failure location. Only endpoints whose config has an
 * AsyncInferenceConfig accept it; validation failures enqueue nothing. A Serial
 * multi-container model (an inference pipeline) runs its pipeline; one with direct invocation
 * is refused, since this operation cannot name a target container.
 */
export async function InvokeEndpointAsync(ctx: OpContext, input: Input) {
  const queue = ctx.controllers.asyncInvocations;
  const serving = await servingEndpoint(ctx, input.EndpointName);
  if (!queue || !serving) throw endpointNotFound(input.EndpointName, ctx.account);
  const out = serving.asyncConfig?.OutputConfig;
  if (!out) {
    // Slipway's wording (AWS does not document its text): the endpoint config has no
    // AsyncInferenceConfig to say where results go.
    throw validationError(`Endpoint ${input.EndpointName} of account ${ctx.account} is not configured for asynchronous inference (its endpoint configuration has no AsyncInferenceConfig).`);
  }
  if (serving.direct) {
    // Slipway's wording: InvokeEndpointAsync has no TargetContainerHostname, so a model that
    // only runs the container a call names cannot be invoked through it.
    throw validationError(
      `Endpoint ${input.EndpointName} of account ${ctx.account} is configured for direct invocation of its containers; InvokeEndpointAsync cannot name a container (TargetContainerHostname).`,
    );
  }
  try {
    parseObjectLocation(input.InputLocation);
  } catch {
    throw validationError(`InputLocation ${input.InputLocation} is not a valid S3 URI.`);
  }
  const inferenceId = input.InferenceId ?? ctx.ids.uuid();
  // Generated object names are "based on the inference ID" (AWS): the generated one when the
  // caller gave none; a caller's id may hold any printable character, so it gets its own uuid.
  const id = input.InferenceId === undefined ? inferenceId : ctx.ids.uuid();
  const ext = input.S3OutputPathExtension ? `/${input.S3OutputPathExtension.replace(/^\/+|\/+$/g, '')}` : '';
  const outputPath = out.S3OutputPath?.replace(/\/+$/, '');
  const failurePath = (out.S3FailurePath ?? out.S3OutputPath)!.replace(/\/+$/, '');
  // Filename names the response payload's object; otherwise the name is generated. The failure
  // file keeps its generated name (AWS documents Filename for the response payload only).
  const OutputLocation = outputPath ? `${outputPath}${ext}/${input.Filename ?? `${id}.out`}` : undefined;
  const FailureLocation = `${failurePath}${ext}/${id}-error.out`;
  const headers = modelHeaders({ ContentType: input.ContentType, Accept: input.Accept, CustomAttributes: input.CustomAttributes, InferenceId: inferenceId });
  const request: AsyncRequest = {
    endpoint: input.EndpointName,
    inferenceId,
    inputLocation: input.InputLocation,
    ...(OutputLocation ? { outputLocation: OutputLocation } : {}),
    failureLocation: FailureLocation,
    ...(input.ContentType !== undefined ? { contentType: input.ContentType } : {}),
    headers,
    requestTtlSeconds: input.RequestTTLSeconds ?? DEFAULT_REQUEST_TTL_SECONDS,
    invocationTimeoutSeconds: input.InvocationTimeoutSeconds ?? DEFAULT_INVOCATION_TIMEOUT_SECONDS,
  };
  // Durable before the 202: an acknowledged request survives a crash of Slipway.
  await queue.accept(ctx, request);
  const h: Record<string, string> = { 'Content-Type': 'application/json', 'X-Amzn-SageMaker-FailureLocation': FailureLocation };
  if (OutputLocation) h['X-Amzn-SageMaker-OutputLocation'] = OutputLocation;
  return new RawResponse(202, h, JSON.stringify({ InferenceId: inferenceId }));
}

/**
 * What InvokeEndpointAsync needs of a serving endpoint — its AsyncInferenceConfig, and whether
 * its model is multi-container with direct invocation — from live routing, else from the
 * record (one read); undefined when the endpoint does not serve. An InService endpoint whose
 * instances are still starting (Slipway just restarted) accepts requests: they wait in its
 * queue, as on AWS where the endpoint never stopped.
 */
async function servingEndpoint(ctx: OpContext, name: string): Promise<{ asyncConfig: AsyncConfig | undefined; direct: boolean } | undefined> {
  const live = ctx.controllers.endpoints?.endpoint(ctx, name);
  if (live) return { asyncConfig: live.asyncConfig, direct: live.variants.some((v) => v.instances.some((i) => i.containers?.mode === 'Direct')) };
  const row = await ctx.store.get<EndpointRecord>(ctx, ENDPOINT_KIND, name);
  if (!row || !SERVING.has(row.data.EndpointStatus)) return undefined;
  return { asyncConfig: row.data.AsyncInferenceConfig, direct: row.data.variants.some((v) => v.InferenceMode === 'Direct') };
}
