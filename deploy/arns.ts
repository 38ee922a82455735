// ARNs of the resources the registry names. Every IAM grant and every event pattern is built from these,
// so a channel missing from the registry is a channel flatline cannot touch.
import { mediaLiveChannelArn as channelArn, type Channel, type Side } from '../functions/domain/registry/index.js';
import type { DeployContext } from './context.js';
import { flatlineEventBusName } from './names.js';

const unique = <T>(items: T[]): T[] => [...new Set(items)];

export const mediaLiveChannelArn = (ctx: DeployContext, channel: Channel, side: Side): string => channelArn(channel[side], ctx.accountId);

/** MediaLive channel ARNs of the given sides of every registry channel (or only the matching ones). */
export function mediaLiveChannelArns(ctx: DeployContext, sides: Side[], filter: (c: Channel) => boolean = () => true): string[] {
  return unique(ctx.registry.channels.filter(filter).flatMap((c) => sides.map((side) => mediaLiveChannelArn(ctx, c, side))));
}

/** Distributions of the registry's channels (or only of the matching ones). */
export const distributionArns = (ctx: DeployContext, filter: (c: Channel) => boolean = () => true): string[] =>
  unique(ctx.registry.channels.filter(filter).map((c) => `arn:aws:cloudfront::${ctx.accountId}:distribution/${c.edge.distributionId}`));

/** The stores the registry names (what the control plane writes). */
export const keyValueStoreArns = (ctx: DeployContext): string[] => unique(ctx.registry.channels.map((c) => c.edge.kvsArn));

export const defaultEventBusArn = (ctx: DeployContext): string => `arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/default`;

export const flatlineEventBusArn = (ctx: DeployContext): string =>
  `arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/${flatlineEventBusName(ctx)}`;

/** Regions of the registry's MediaLive channels, both sides: where their events come from. */
export const mediaLiveRegions = (ctx: DeployContext): string[] =>
  unique(ctx.registry.channels.flatMap((c) => [c.primary.region, c.standby.region])).sort();

export const logGroupArn = (ctx: DeployContext, logGroupName: string): string =>
  `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${logGroupName}:*`;

/** A rule's ARN: rule/<name> on the default bus, rule/<bus>/<name> on another one. */
export const eventRuleArn = (ctx: DeployContext, ruleName: string, busName = 'default'): string =>
  `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${busName === 'default' ? '' : `${busName}/`}${ruleName}`;

export const alarmArn = (ctx: Pick<DeployContext, 'region' | 'accountId'>, alarmName: string): string => `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${alarmName}`;

/** Every execution of a state machine (DescribeExecution is granted on executions, not on the machine). */
export const executionArns = (ctx: DeployContext, stateMachineName: string): string =>
  `arn:aws:states:${ctx.region}:${ctx.accountId}:execution:${stateMachineName}:*`;
