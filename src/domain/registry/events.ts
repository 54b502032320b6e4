/**
 * Recorded EventBridge-style events ("SageMaker Model Package State Change"), the hook a
 * CI/CD pipeline uses to deploy on approval. AWS delivers them to EventBridge; Slipway keeps
 * them in the store and serves them at `GET /_slipway/events?since=<seq>`.
 *
 * The stream is account-wide, as an EventBridge bus is: each event names its own region. It
 * lives in the store under the pseudo-region `*` (no SageMaker request can name it: SigV4
 * scopes are `[a-z0-9-]`), one row per event, named by a zero-padded sequence number so
 * that the Name sort is the order of recording and `since` is a keyset cursor.
 */
import type { Scope, Store } from '../../store/store.js';
import type { PackageDescription } from './model-package.js';

export const EVENT_KIND = 'event';
const SEQ_WIDTH = 12;

export interface SlipwayEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface RecordedEvent {
  seq: number;
  event: SlipwayEvent;
}

const streamScope = (account: string): Scope => ({ account, region: '*' });
const seqName = (seq: number) => String(seq).padStart(SEQ_WIDTH, '0');

export async function recordEvent(store: Store, event: SlipwayEvent, now: number): Promise<number> {
  const scope = streamScope(event.account);
  const seq = await store.nextSequence(scope, 'events');
  await store.insert(scope, {
    kind: EVENT_KIND,
    name: seqName(seq),
    arn: `${event.source}:event/${event.id}`,
    createdAt: now,
    modifiedAt: now,
    data: event,
  });
  return seq;
}

/** Events recorded after `since` (a sequence number; 0 = from the start), oldest first. */
export async function readEvents(store: Store, account: string, since: number, limit: number): Promise<RecordedEvent[]> {
  const after = since > 0 ? { v: seqName(since), n: seqName(since) } : undefined;
  const page = await store.list<SlipwayEvent>(streamScope(account), EVENT_KIND, {
    sortBy: 'name',
    descending: false,
    limit,
    after,
  });
  return page.items.map((r) => ({ seq: Number(r.name), event: r.data }));
}

/**
 * The event AWS sends to EventBridge when a model package changes ("SageMaker Model
 * Package State Change", source `aws.sagemaker`, the package ARN in `resources`). Its
 * `detail` carries the package's DescribeModelPackage members (ModelPackageGroupName,
 * ModelPackageVersion, ModelPackageArn, ModelApprovalStatus, ApprovalDescription,
 * ModelPackageStatus, InferenceSpecification, CreationTime…), which is what rules
 * match on (`detail.ModelApprovalStatus: ["Approved"]`).
 */
export function modelPackageStateChange(
  d: PackageDescription,
  scope: Scope,
  id: string,
  now: number,
): SlipwayEvent {
  return {
    version: '0',
    id,
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: scope.account,
    time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: scope.region,
    resources: [d.ModelPackageArn],
    detail: { ...d },
  };
}
