// The durable path of a repoint: the order of the two members of the channel's CloudFront origin group.
// UpdateDistribution replaces the whole config (nothing is merged) and needs the ETag of the config it
// was derived from; a concurrent change gives 412 PreconditionFailed, so re-read and try again.
// Only the member order is ever changed: the group's SelectionCriteria (media-quality-based = MQAR) and its
// FailoverCriteria go back exactly as read, like every other field of the config.
import { GetDistributionConfigCommand, UpdateDistributionCommand, type CloudFrontClient, type DistributionConfig } from '@aws-sdk/client-cloudfront';
import type { OriginSelection } from '../registry/schema.js';
import { awsCall, awsErrorName, RetryableError, RoutingConfigError } from './errors.js';
import { change, type Mode, type StepReport } from './report.js';

const SERVICE = 'cloudfront';
export const UPDATE_DISTRIBUTION_ATTEMPTS = 3;

export type OriginOrder = [string, string];

export interface OriginGroupState {
  config: DistributionConfig;
  etag: string | undefined;
  order: OriginOrder;
  /** The group's SelectionCriteria (absent reads as "default", as the API documents). */
  selectionCriteria: string;
  /** The statuses the group fails over on (FailoverCriteria). */
  failoverStatusCodes: number[];
}

/** Reads the distribution config and the member order of one origin group. */
export async function readOriginGroup(cloudFront: CloudFrontClient, distributionId: string, originGroupId: string): Promise<OriginGroupState> {
  const out = await awsCall({ service: SERVICE, operation: 'GetDistributionConfig', distributionId }, () =>
    cloudFront.send(new GetDistributionConfigCommand({ Id: distributionId })),
  );
  const config = out.DistributionConfig;
  const group = config?.OriginGroups?.Items?.find((g) => g.Id === originGroupId);
  const members = group?.Members?.Items?.map((m) => m.OriginId ?? '') ?? [];
  if (!config || !group || members.length !== 2) {
    throw new RoutingConfigError(`distribution ${distributionId} has no origin group "${originGroupId}" with two members`, {
      distributionId,
      originGroupId,
      members,
    });
  }
  return {
    config,
    etag: out.ETag,
    order: [members[0] as string, members[1] as string],
    selectionCriteria: group.SelectionCriteria ?? 'default',
    failoverStatusCodes: group.FailoverCriteria?.StatusCodes?.Items ?? [],
  };
}

export interface SetOriginGroupInput {
  distributionId: string;
  /** Absent: the channel has no origin group (KVS routing only) and there is nothing to reconcile. */
  originGroupId: string | undefined;
  /** null: a rollback to a snapshot taken without an origin group. */
  order: OriginOrder | null;
  /** What the registry declares (edge.originSelection): compared and reported, never written. */
  selection?: OriginSelection;
  mode: Mode;
  cloudFront: CloudFrontClient;
}

export interface OriginGroupObserved {
  originGroupId: string;
  order: OriginOrder;
  selectionCriteria: string;
  failoverStatusCodes: number[];
  /** Set when the group's SelectionCriteria is not what the registry declares. */
  selectionMismatch?: string;
}

const sameOrder = (a: OriginOrder, b: OriginOrder): boolean => a[0] === b[0] && a[1] === b[1];

function observe(input: SetOriginGroupInput, originGroupId: string, current: OriginGroupState): OriginGroupObserved {
  const observed: OriginGroupObserved = {
    originGroupId,
    order: current.order,
    selectionCriteria: current.selectionCriteria,
    failoverStatusCodes: current.failoverStatusCodes,
  };
  if (input.selection && input.selection !== current.selectionCriteria) {
    observed.selectionMismatch = `the registry declares edge.originSelection ${input.selection}, origin group ${originGroupId} has SelectionCriteria ${current.selectionCriteria} (left as it is)`;
  }
  return observed;
}

/** What a channel without an origin group reports: nothing read, nothing to change. */
export interface NoOriginGroupObserved {
  originGroupId: null;
  reason: string;
}

/**
 * Reconciles the member order; makes no UpdateDistribution call at all when the order is already right, and no
 * call at all for a channel without an origin group (its routing is the KVS value alone): a no-op that says so.
 */
export async function setOriginGroup(input: SetOriginGroupInput): Promise<StepReport<OriginGroupObserved | NoOriginGroupObserved>> {
  const { distributionId, originGroupId, order } = input;
  if (originGroupId === undefined || order === null) {
    const reason =
      originGroupId === undefined
        ? 'the channel declares no edge.originGroupId: the KVS route is its only routing'
        : `the snapshot has no origin group order: origin group ${originGroupId} left as it is`;
    return { step: 'setOriginGroup', observed: { originGroupId: null, reason }, changes: [] };
  }
  for (let attempt = 1; attempt <= UPDATE_DISTRIBUTION_ATTEMPTS; attempt++) {
    const current = await readOriginGroup(input.cloudFront, distributionId, originGroupId);
    const report = { step: 'setOriginGroup', observed: observe(input, originGroupId, current), changes: [change(input.mode, `origin-group:${originGroupId}`, current.order, order)] };
    if (sameOrder(current.order, order)) return { ...report, changes: [] };
    if (new Set([...current.order, ...order]).size !== 2) {
      throw new RoutingConfigError(`origin group ${originGroupId} has members ${current.order.join(', ')}, cannot order it as ${order.join(', ')}`, {
        distributionId,
        originGroupId,
        members: current.order,
        requested: order,
      });
    }
    if (input.mode === 'plan') return report;
    const group = current.config.OriginGroups?.Items?.find((g) => g.Id === originGroupId);
    // Only the member order changes; every other field (SelectionCriteria, FailoverCriteria included) goes back
    // exactly as read (full replacement).
    if (group?.Members) group.Members.Items = order.map((OriginId) => ({ OriginId }));
    try {
      await awsCall({ service: SERVICE, operation: 'UpdateDistribution', distributionId }, () =>
        input.cloudFront.send(new UpdateDistributionCommand({ Id: distributionId, IfMatch: current.etag, DistributionConfig: current.config })),
      );
      return report;
    } catch (err) {
      if (awsErrorName(err) !== 'PreconditionFailed') throw err;
    }
  }
  throw new RetryableError(`distribution ${distributionId} config kept changing (412 PreconditionFailed ${UPDATE_DISTRIBUTION_ATTEMPTS} times)`, {
    distributionId,
    originGroupId,
  });
}
