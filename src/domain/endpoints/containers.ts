/**
 * Multi-container models on endpoints (CreateModel `Containers` with more than one entry, up
 * to 15): every instance of the variant runs all of them, each container `serve`d with its own
 * model data, environment and port (runtime/container-group.ts). How a call goes through them
 * is the model's `InferenceExecutionConfig.Mode`:
 * - `Serial` (the default, an inference pipeline): the request goes to the first container,
 *   each container's answer becomes the next one's request, the last answer is returned.
 * - `Direct`: the call names one container with `TargetContainerHostname`; only it runs.
 *
 * Containers are named by `ContainerHostname`; where a pipeline leaves it out, AWS assigns a
 * name from the position — `container-1`, `container-2`, … (AWS's FailureReason reads "The
 * container-2 for production variant AllTraffic did not pass the ping health check.").
 */
import { join } from 'node:path';
import { AwsError, validation } from '../../errors.js';
import type { ObjectStore } from '../../objects/object-store.js';
import { prepareModelData } from '../../runtime/artifacts.js';
import type { RunSpec } from '../../runtime/backend.js';
import type { GroupSpec } from '../../runtime/container-group.js';
import type { ImageCatalog } from '../../runtime/image-catalog.js';
import type { ModelData } from '../../services/sagemaker/CreateModel.js';

export type InferenceMode = 'Serial' | 'Direct';

/** One container of a multi-container model, as an endpoint deploys it. */
export interface ContainerSpec {
  ContainerHostname: string;
  Image: string;
  ModelDataUrl?: string;
  Environment: Record<string, string>;
}

/** What a live instance of a multi-container model knows for routing calls through its containers. */
export interface InstanceContainers {
  mode: InferenceMode;
  /** In the model's order. */
  hostnames: string[];
  /** Each container's `host:port`, set once its processes run (in the same order). */
  addresses: (string | undefined)[];
}

/** AWS's name for a pipeline container without a ContainerHostname (1-based position). */
export const defaultHostname = (position: number) => `container-${position}`;

/**
 * The containers of a model with more than one (and the mode), or undefined for a model with
 * one container, which is served exactly like a PrimaryContainer.
 */
export function multiContainer(model: ModelData, modelArn: string): { Containers: ContainerSpec[]; InferenceMode: InferenceMode } | undefined {
  const list = model.Containers;
  if (!list || list.length < 2) return undefined;
  const Containers = list.map((c, i): ContainerSpec => {
    if (!c.Image) throw validation(`Container ${i + 1} of model "${modelArn}" has no container image to serve.`);
    return {
      ContainerHostname: c.ContainerHostname ?? defaultHostname(i + 1),
      Image: c.Image,
      ...(c.ModelDataUrl ? { ModelDataUrl: c.ModelDataUrl } : {}),
      Environment: { ...(c.Environment ?? {}) },
    };
  });
  return { Containers, InferenceMode: model.InferenceExecutionConfig?.Mode === 'Direct' ? 'Direct' : 'Serial' };
}

/**
 * CreateModel's checks of `Containers` that AWS documents: with `Mode: Direct` every container
 * needs a ContainerHostname ("The ContainerHostname parameter is required for each container in
 * a multi-container endpoint with direct invocation"); in a pipeline, naming one container means
 * naming all ("If you specify a value for the ContainerHostName for any ContainerDefinition that
 * is part of an inference pipeline, you must specify a value for … every ContainerDefinition");
 * hostnames identify containers, so they must differ. AWS's exact texts are not published: the
 * wording is Slipway's.
 */
export function checkContainerHostnames(containers: { ContainerHostname?: string }[] | undefined, mode: string | undefined): void {
  if (!containers || containers.length < 2) return;
  const named = containers.filter((c) => c.ContainerHostname !== undefined);
  if (mode === 'Direct' && named.length < containers.length) {
    throw validation('ContainerHostname must be specified for every container of a model whose InferenceExecutionConfig Mode is Direct.');
  }
  if (named.length > 0 && named.length < containers.length) {
    throw validation('If ContainerHostname is specified for any container of an inference pipeline, it must be specified for every container.');
  }
  const seen = new Set<string>();
  for (const c of named) {
    if (seen.has(c.ContainerHostname!)) throw validation(`ContainerHostname ${c.ContainerHostname} is used by more than one container; each container needs its own.`);
    seen.add(c.ContainerHostname!);
  }
}

/** The deployed variant fields instanceSpec reads. */
export interface ServedVariant {
  VariantName: string;
  Image: string;
  ModelDataUrl?: string;
  Environment: Record<string, string>;
  Containers?: ContainerSpec[];
}

/**
 * What one instance runs: images resolved through the catalog (an unknown image fails here,
 * with the catalog's message saying how to map it) and model data unpacked — into
 * `<baseDir>/model` for one container, into `<baseDir>/<hostname>/model` for each container of
 * a multi-container model, whose containers also get their own log and base directory.
 */
export async function instanceSpec(
  deps: { objects: ObjectStore; catalog: ImageCatalog },
  a: { id: string; baseDir: string; endpointName: string; variant: ServedVariant },
): Promise<RunSpec> {
  const { id, baseDir, endpointName, variant: v } = a;
  const env = (e: Record<string, string>) => ({ ...e, SLIPWAY_ENDPOINT_NAME: endpointName, SLIPWAY_VARIANT_NAME: v.VariantName });
  if (!v.Containers) {
    const resolved = deps.catalog.resolve(v.Image);
    if (v.ModelDataUrl) await prepareModelData(deps.objects, v.ModelDataUrl, join(baseDir, 'model'));
    return { id, role: 'serve', resolved, baseDir, env: env(v.Environment) };
  }
  // Every image first: an unmapped one fails before anything is downloaded.
  const resolved = v.Containers.map((c) => deps.catalog.resolve(c.Image));
  await Promise.all(
    v.Containers.map((c) => (c.ModelDataUrl ? prepareModelData(deps.objects, c.ModelDataUrl, join(baseDir, c.ContainerHostname, 'model')) : undefined)),
  );
  const group: GroupSpec = {
    id,
    role: 'serve',
    resolved: resolved[0]!,
    baseDir,
    containers: v.Containers.map((c, i) => ({
      name: c.ContainerHostname,
      label: `${c.ContainerHostname} for production variant ${v.VariantName}`,
      spec: {
        id,
        role: 'serve',
        resolved: resolved[i]!,
        baseDir: join(baseDir, c.ContainerHostname),
        env: { ...env(c.Environment), SLIPWAY_CONTAINER_HOSTNAME: c.ContainerHostname },
      },
    })),
  };
  return group;
}

/** The routing facts of a multi-container variant's instance, before its processes run. */
export function instanceContainers(v: { Containers?: ContainerSpec[]; InferenceMode?: InferenceMode }): InstanceContainers | undefined {
  if (!v.Containers) return undefined;
  return { mode: v.InferenceMode ?? 'Serial', hostnames: v.Containers.map((c) => c.ContainerHostname), addresses: [] };
}

/**
 * A refused TargetContainerHostname (a ValidationError). Its own class because it is the
 * request's fault whatever the endpoint's state: the asynchronous queue must not retry it.
 */
export class ContainerTargetError extends AwsError {
  constructor(message: string) {
    super('ValidationError', message, 400);
  }
}

/** One container a call goes through: its name for errors (`primary` for a single container) and address. */
export interface CallStep {
  container: string | undefined;
  address: string;
}

/**
 * Which containers of an instance one call goes through, in order, or undefined for a
 * single-container instance called without a target (the common case, nothing to plan).
 * AWS documents three validation errors, with no published text (the wording is Slipway's):
 * a TargetContainerHostname that does not exist in the endpoint, none on an endpoint
 * configured for direct invocation, and one on an endpoint that is not.
 */
export function callSteps(
  inst: { address: string | undefined; containers: InstanceContainers | undefined },
  target: string | undefined,
  endpoint: string,
  account: string,
): CallStep[] | undefined {
  const c = inst.containers;
  if (!c || c.mode === 'Serial') {
    if (target !== undefined) {
      throw new ContainerTargetError(
        `TargetContainerHostname can only be specified for an endpoint configured for direct invocation of its containers; endpoint ${endpoint} of account ${account} is not.`,
      );
    }
    return c ? c.hostnames.map((h, i) => ({ container: h, address: c.addresses[i]! })) : undefined;
  }
  if (target === undefined) {
    throw new ContainerTargetError(
      `Endpoint ${endpoint} of account ${account} is configured for direct invocation of its containers: specify TargetContainerHostname (one of ${c.hostnames.join(', ')}).`,
    );
  }
  const i = c.hostnames.indexOf(target);
  if (i === -1) {
    throw new ContainerTargetError(`TargetContainerHostname ${target} does not exist in endpoint ${endpoint} of account ${account} (its containers: ${c.hostnames.join(', ')}).`);
  }
  return [{ container: target, address: c.addresses[i]! }];
}
