// CloudFront's per-distribution quotas that the registry's channels consume. The distribution is the user's, so
// nothing here can read it: the registry's own declarations are counted against the account's quotas, which the
// stage config may raise (a quota raised through Service Quotas is not visible offline).
import { edgeKey, KVS_MAX_STORE_BYTES, largestEdgeValueString } from '../routing-keys.js';
import type { Channel, Registry } from './schema.js';

/** The adjustable per-distribution quotas the registry's channels count against. */
export interface CloudFrontQuotas {
  /** Distinct origin ids (primary.originId, standby.originId) of a distribution's channels. */
  originsPerDistribution: number;
  /** Channels of a distribution that declare edge.originGroupId (each names its own). */
  originGroupsPerDistribution: number;
  /** At least one per channel with its own origin group, plus one shared /live/* behaviour for the others. */
  cacheBehaviorsPerDistribution: number;
}

/**
 * Default quotas, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html
 * ("General quotas on distributions"): origins 25 and origin groups 10 per distribution; cache behaviours 75 (the
 * page listed 25 before). All three are adjustable: declare the account's values in the stage config.
 */
export const CLOUDFRONT_DEFAULT_QUOTAS: Readonly<CloudFrontQuotas> = {
  originsPerDistribution: 25,
  originGroupsPerDistribution: 10,
  cacheBehaviorsPerDistribution: 75,
};

export interface QuotaIssue {
  path: (string | number)[];
  message: string;
}

/** What one distribution's channels need. */
export interface DistributionNeeds {
  distributionId: string;
  origins: number;
  originGroups: number;
  /** A lower bound: a behaviour targets one origin or origin group, so every own group needs its own behaviour. */
  cacheBehaviors: number;
}

const byDistribution = (registry: Registry): Map<string, Array<{ channel: Channel; index: number }>> => {
  const map = new Map<string, Array<{ channel: Channel; index: number }>>();
  registry.channels.forEach((channel, index) => {
    const list = map.get(channel.edge.distributionId) ?? [];
    list.push({ channel, index });
    map.set(channel.edge.distributionId, list);
  });
  return map;
};

/** Counts, per distribution, the origins, origin groups and (at least) cache behaviours the registry declares. */
export function distributionNeeds(registry: Registry): DistributionNeeds[] {
  return [...byDistribution(registry)].map(([distributionId, channels]) => {
    const origins = new Set(channels.flatMap(({ channel }) => [channel.primary.originId, channel.standby.originId]));
    const originGroups = channels.filter(({ channel }) => channel.edge.originGroupId !== undefined).length;
    const shared = channels.length > originGroups ? 1 : 0;
    return { distributionId, origins: origins.size, originGroups, cacheBehaviors: originGroups + shared };
  });
}

/**
 * Every quota the registry breaks, each at the first channel (and field) that goes over it, with the total the
 * distribution needs. The store size is not adjustable: every channel's largest value (standby route, slate on)
 * must fit the 5 MB together.
 */
export function cloudFrontQuotaIssues(registry: Registry, quotas: CloudFrontQuotas = CLOUDFRONT_DEFAULT_QUOTAS): QuotaIssue[] {
  const issues: QuotaIssue[] = [];
  const needs = new Map(distributionNeeds(registry).map((n) => [n.distributionId, n]));
  for (const [distributionId, channels] of byDistribution(registry)) {
    const need = needs.get(distributionId)!;
    const origins = new Set<string>();
    let groups = 0;
    let originsReported = false;
    let groupsReported = false;
    let behaviorsReported = false;
    const shared = need.cacheBehaviors - need.originGroups;
    for (const { channel, index } of channels) {
      for (const side of ['primary', 'standby'] as const) {
        origins.add(channel[side].originId);
        if (!originsReported && origins.size > quotas.originsPerDistribution) {
          originsReported = true;
          issues.push({
            path: ['channels', index, side, 'originId'],
            message: `origin "${channel[side].originId}" is origin ${origins.size} of distribution ${distributionId}, over its quota of ${quotas.originsPerDistribution} origins per distribution (the registry declares ${need.origins}): share origins between channels (one per MediaPackage v2 channel group and region, with per-origin paths) or declare the raised quota in custom.flatline.cloudFrontQuotas.originsPerDistribution`,
          });
        }
      }
      if (channel.edge.originGroupId === undefined) continue;
      groups += 1;
      if (!groupsReported && groups > quotas.originGroupsPerDistribution) {
        groupsReported = true;
        issues.push({
          path: ['channels', index, 'edge', 'originGroupId'],
          message: `origin group "${channel.edge.originGroupId}" is origin group ${groups} of distribution ${distributionId}, over its quota of ${quotas.originGroupsPerDistribution} origin groups per distribution (the registry declares ${need.originGroups}): leave edge.originGroupId out of the channels the KVS route alone may serve, or declare the raised quota in custom.flatline.cloudFrontQuotas.originGroupsPerDistribution`,
        });
      }
      if (!behaviorsReported && groups + shared > quotas.cacheBehaviorsPerDistribution) {
        behaviorsReported = true;
        issues.push({
          path: ['channels', index, 'edge', 'originGroupId'],
          message: `distribution ${distributionId} needs at least ${need.cacheBehaviors} cache behaviours (one targeting each channel's own origin group, one /live/* for the channels without), over its quota of ${quotas.cacheBehaviorsPerDistribution}: declare the raised quota in custom.flatline.cloudFrontQuotas.cacheBehaviorsPerDistribution`,
        });
      }
    }
  }
  issues.push(...storeIssues(registry));
  return issues;
}

/** The KVS holds at most 5 MB: every channel's largest key and value must fit together. */
function storeIssues(registry: Registry): QuotaIssue[] {
  const issues: QuotaIssue[] = [];
  const used = new Map<string, number>();
  const encoder = new TextEncoder();
  registry.channels.forEach((channel, index) => {
    const arn = channel.edge.kvsArn;
    const before = used.get(arn) ?? 0;
    const largest = largestEdgeValueString(channel);
    const after = before + encoder.encode(edgeKey(channel.id)).length + encoder.encode(largest).length;
    used.set(arn, after);
    if (before <= KVS_MAX_STORE_BYTES && after > KVS_MAX_STORE_BYTES) {
      issues.push({
        path: ['channels', index, 'edge', 'kvsArn'],
        message: `the KeyValueStore ${arn} would hold ${after} bytes with this channel's largest value, over its ${KVS_MAX_STORE_BYTES}-byte limit (not adjustable): the edge function reads one store, so deploy the channels that follow as another stage`,
      });
    }
  });
  return issues;
}
