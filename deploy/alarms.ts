// Detection in CloudWatch at fleet scale. The probe's Manifest Stale / Fresh events to triage are the
// detection path for every channel; CloudWatch adds, within its quotas and at a fleet price:
// - per critical channel (registry `critical: true`) a high-resolution ManifestAge alarm for the edge and
//   the primary, named flatline-<stage>-<channel>-manifest-age-<path>, whose state changes reach triage;
// - per alarmed path one fleet alarm on a Metrics Insights query GROUP BY Channel: each channel over the
//   threshold is a contributor of the alarm, named in its notification to the topic
//   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html;
//   CloudFormation: Metrics[].Expression + Period,
//   https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudwatch-alarm-metricdataquery.html).
//   The probe publishes a channel's own series only while it is stale or suspect (functions/probe/metrics.ts),
//   so a healthy fleet costs no per-channel metric;
// - per probe shard an alarm on its Heartbeat that pages a human when the shard stops probing;
// - a dashboard grouped by shard, the top stalest channels (Metrics Insights query widgets), the critical
//   channels, the executions and every alarm.
import { alarmArn } from './arns.js';
import { ref, type CfnResources, type CfnValue } from './cfn.js';
import type { DeployContext } from './context.js';
import type { Channel } from '../functions/domain/registry/index.js';
import type { ProbePath } from '../functions/domain/contracts.js';
import { opsAlarmNames } from './core.js';
import { LOGICAL_IDS, STATE_MACHINES, logicalIdPart, manifestAgeAlarmName, opsAlarmName, stateMachineLogicalId } from './names.js';
import { probeShardCount } from './probe.js';

export const METRIC_NAMESPACE = 'Flatline';
export const MANIFEST_AGE_METRIC = 'ManifestAge';
/** High-resolution period: the probe ticks every ~2 s, a 10 s datapoint is its max over five ticks. */
export const ALARM_PERIOD_SECONDS = 10;
/** Fleet alarms notify humans (triage has the transition events already): standard resolution is enough. */
export const FLEET_ALARM_PERIOD_SECONDS = 60;
/** Paths that alarm: the edge is what viewers see, the primary origin tells an outage from a CDN problem. */
export const ALARMED_PATHS = ['edge', 'primary'] as const satisfies readonly ProbePath[];
const DASHBOARD_PATHS: ProbePath[] = ['edge', 'primary', 'standby'];
/** Channels on the dashboard's top-N widgets (a Metrics Insights query returns at most 500 series). */
export const TOP_N_STALEST = 20;
/** A dashboard holds at most 500 widgets (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html). */
export const MAX_DASHBOARD_WIDGETS = 500;
/** An alarm status widget lists at most 100 alarms (same page). */
const MAX_ALARMS_PER_WIDGET = 100;

/**
 * The dimensions the probe emits ManifestAge with: exactly {Channel, Path} (functions/probe/metrics.ts
 * clears Powertools' default `service` dimension). They must match exactly, or the alarm sees no data.
 */
export function manifestAgeDimensions(channelId: string, path: ProbePath): Array<{ Name: string; Value: string }> {
  return [
    { Name: 'Channel', Value: channelId },
    { Name: 'Path', Value: path },
  ];
}

/** What the alarms are made of (the sandbox builds the same alarms from its own registry and target duration). */
export type AlarmContext = Pick<DeployContext, 'service' | 'stage' | 'registry' | 'targetDurationSeconds'>;

/** Stale = age above staleAfterTargetDurations x target duration (RFC 8216's 1.5), in ms like the metric. */
export const staleThresholdMs = (ctx: Pick<DeployContext, 'targetDurationSeconds'>, channel: Pick<Channel, 'policy'>): number =>
  Math.round(channel.policy.staleAfterTargetDurations * ctx.targetDurationSeconds * 1000);

export const criticalChannels = (ctx: Pick<DeployContext, 'registry'>): Channel[] => ctx.registry.channels.filter((c) => c.critical);

/** Per critical channel and alarmed path: the alarm triage listens to (prefix flatline-<stage>-). */
export function manifestAgeAlarms(ctx: AlarmContext): CfnResources {
  const resources: CfnResources = {};
  for (const channel of criticalChannels(ctx)) {
    // M of N: `consecutive` stale datapoints out of one more, so a single good scrape in the middle of
    // an outage does not reset it; missing data (the probe itself down or the metric gone) is breaching.
    const datapointsToAlarm = channel.policy.consecutive;
    for (const path of ALARMED_PATHS) {
      resources[`ManifestAgeAlarm${logicalIdPart(channel.id)}${logicalIdPart(path)}`] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: manifestAgeAlarmName(ctx, channel.id, path),
          AlarmDescription: `Manifest of ${channel.id} at the ${path} has not advanced for more than ${channel.policy.staleAfterTargetDurations} target durations (assumed ${ctx.targetDurationSeconds} s).`,
          Namespace: METRIC_NAMESPACE,
          MetricName: MANIFEST_AGE_METRIC,
          Dimensions: manifestAgeDimensions(channel.id, path),
          Statistic: 'Maximum',
          Period: ALARM_PERIOD_SECONDS,
          EvaluationPeriods: datapointsToAlarm + 1,
          DatapointsToAlarm: datapointsToAlarm,
          Threshold: staleThresholdMs(ctx, channel),
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'breaching',
        },
      };
    }
  }
  return resources;
}

export const HEARTBEAT_METRIC = 'Heartbeat';
/** The probe is scheduled every minute; a minute without a tick is a gap, two in three are a dead shard. */
const HEARTBEAT_PERIOD_SECONDS = 60;

export const probeHeartbeatAlarmName = (ctx: Pick<DeployContext, 'service' | 'stage'>, index: number, count: number): string =>
  opsAlarmName(ctx, `probe-heartbeat-${index}-of-${count}`);

/**
 * Per shard: the probe's Heartbeat (ticks run, dimension exactly {Shard: "i/n"}, functions/probe/metrics.ts).
 * Missing data is breaching: a probe that crashes, times out at start or is never invoked emits nothing, and
 * its channels are then watched by nobody. Named outside the flatline-<stage>- prefix that routes alarms to
 * triage: it pages the on-call topic only.
 */
export function probeHeartbeatAlarms(ctx: Pick<DeployContext, 'service' | 'stage' | 'registry' | 'channelsPerProbeShard'>): CfnResources {
  const count = probeShardCount(ctx);
  const resources: CfnResources = {};
  for (let index = 0; index < count; index++) {
    resources[`ProbeHeartbeatAlarm${index}`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: probeHeartbeatAlarmName(ctx, index, count),
        AlarmDescription: `Probe shard ${index}/${count} has not ticked for 2 of the last 3 minutes: its channels are not being watched. Watch them meanwhile: npx flatline probe --shard ${index}/${count}`,
        Namespace: METRIC_NAMESPACE,
        MetricName: HEARTBEAT_METRIC,
        Dimensions: [{ Name: 'Shard', Value: `${index}/${count}` }],
        Statistic: 'Sum',
        Period: HEARTBEAT_PERIOD_SECONDS,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [ref(LOGICAL_IDS.notifyTopic)],
        OKActions: [ref(LOGICAL_IDS.notifyTopic)],
      },
    };
  }
  return resources;
}

/** Metrics Insights: the stalest channels on a path, one series per channel. */
export const stalestChannelsQuery = (path: ProbePath, limit = TOP_N_STALEST): string =>
  `SELECT MAX(${MANIFEST_AGE_METRIC}) FROM SCHEMA("${METRIC_NAMESPACE}", Channel, Path) WHERE Path = '${path}' GROUP BY Channel ORDER BY MAX() DESC LIMIT ${limit}`;

const shardQuery = (metric: string, path: ProbePath): string =>
  `SELECT MAX(${metric}) FROM SCHEMA("${METRIC_NAMESPACE}", Path, Shard) WHERE Path = '${path}' GROUP BY Shard`;

export const fleetAlarmName = (ctx: Pick<DeployContext, 'service' | 'stage'>, path: ProbePath): string => opsAlarmName(ctx, `stale-channels-${path}`);

/**
 * One alarm per alarmed path over the whole fleet. Its threshold is the default policy's (the lowest of the
 * registry's thresholds, so no stale channel is missed); every channel above it is a contributor.
 */
export function fleetAlarms(ctx: AlarmContext): CfnResources {
  const threshold = Math.min(...ctx.registry.channels.map((c) => staleThresholdMs(ctx, c)));
  const resources: CfnResources = {};
  for (const path of ALARMED_PATHS) {
    resources[`StaleChannelsAlarm${logicalIdPart(path)}`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: fleetAlarmName(ctx, path),
        AlarmDescription: `Channels whose manifest at the ${path} is older than ${threshold} ms (each one is a contributor, named in the notification). Triage already acts on the probe's Manifest Stale events.`,
        Metrics: [{ Id: 'stalest', Expression: stalestChannelsQuery(path, 100), Period: FLEET_ALARM_PERIOD_SECONDS, ReturnData: true }],
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        // A healthy channel publishes no series of its own: no data is not an outage (the probe's
        // heartbeat alarm covers a probe that stopped).
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: LOGICAL_IDS.notifyTopic }],
        OKActions: [{ Ref: LOGICAL_IDS.notifyTopic }],
      },
    };
  }
  return resources;
}

type Widget = Record<string, CfnValue>;
const WIDTH = 12;
const HEIGHT = 6;

/** Lays widgets out two by two, in order. */
function grid(widgets: Array<{ type: string; properties: Record<string, CfnValue>; width?: number }>): Widget[] {
  let x = 0;
  let y = 0;
  return widgets.map((w) => {
    const width = w.width ?? WIDTH;
    if (x + width > 24) {
      x = 0;
      y += HEIGHT;
    }
    const placed = { type: w.type, x, y, width, height: HEIGHT, properties: w.properties };
    x += width;
    return placed;
  });
}

export function dashboardWidgets(ctx: DeployContext): Widget[] {
  const region = ctx.region;
  const query = (title: string, expression: string, extra: Record<string, CfnValue> = {}) => ({
    type: 'metric',
    properties: { title, region, view: 'timeSeries', period: 60, metrics: [[{ expression, id: 'q', label: '' }]], ...extra },
  });
  const widgets: Array<{ type: string; properties: Record<string, CfnValue>; width?: number }> = [];
  const shards = probeShardCount(ctx);
  const heartbeats = Array.from({ length: shards }, (_, i) => probeHeartbeatAlarmName(ctx, i, shards));
  const alarms = [...opsAlarmNames(ctx), ...heartbeats, ...ALARMED_PATHS.map((p) => fleetAlarmName(ctx, p))];
  const critical = criticalChannels(ctx);
  const criticalAlarms = critical.flatMap((c) => ALARMED_PATHS.map((p) => manifestAgeAlarmName(ctx, c.id, p)));
  const allAlarms = [...alarms, ...criticalAlarms];
  for (let i = 0; i < allAlarms.length; i += MAX_ALARMS_PER_WIDGET) {
    widgets.push({
      type: 'alarm',
      width: 24,
      properties: { title: i === 0 ? 'alarms' : `alarms (${i + 1}-)`, alarms: allAlarms.slice(i, i + MAX_ALARMS_PER_WIDGET).map((n) => alarmArn(ctx, n)) },
    });
  }
  for (const path of ALARMED_PATHS) widgets.push(query(`top ${TOP_N_STALEST} stalest channels at the ${path} (ms; only stale or suspect channels and critical ones report)`, stalestChannelsQuery(path)));
  for (const path of DASHBOARD_PATHS) {
    widgets.push(query(`stale channels at the ${path}, by shard (of ${probeShardCount(ctx)})`, shardQuery('StaleChannels', path), { stacked: true }));
    widgets.push(query(`oldest manifest at the ${path}, by shard (ms)`, shardQuery('MaxManifestAge', path)));
  }
  // A saturated shard starts its fetches after they are due, and every detection slips by as much.
  widgets.push(query('probe fetch lag by shard (ms from due to start; saturated when it grows)', `SELECT MAX(FetchLag) FROM SCHEMA("${METRIC_NAMESPACE}", Shard) GROUP BY Shard`));
  const executionMetrics = ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut'];
  widgets.push({
    type: 'metric',
    properties: {
      title: 'failover / failback executions',
      region,
      view: 'timeSeries',
      stat: 'Sum',
      period: 60,
      metrics: STATE_MACHINES.flatMap((key) =>
        executionMetrics.map((m) => ['AWS/States', m, 'StateMachineArn', `\${${stateMachineLogicalId(key)}}`, { label: `${key} ${m}` }]),
      ),
    },
  });
  // Critical channels get their own widget, as many as the dashboard still holds.
  for (const channel of critical.slice(0, MAX_DASHBOARD_WIDGETS - widgets.length)) {
    widgets.push({
      type: 'metric',
      properties: {
        title: `${channel.id}: manifest age (ms)`,
        region,
        view: 'timeSeries',
        stat: 'Maximum',
        period: ALARM_PERIOD_SECONDS,
        metrics: DASHBOARD_PATHS.map((path) => [
          METRIC_NAMESPACE,
          MANIFEST_AGE_METRIC,
          ...manifestAgeDimensions(channel.id, path).flatMap((d) => [d.Name, d.Value]),
          { label: path },
        ]),
        annotations: { horizontal: [{ label: 'stale', value: staleThresholdMs(ctx, channel) }] },
      },
    });
  }
  return grid(widgets);
}

export function dashboard(ctx: DeployContext): CfnResources {
  // The body is a JSON string; Fn::Sub puts the state machine ARNs (Ref) in it.
  return {
    [LOGICAL_IDS.dashboard]: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: {
        DashboardName: `${ctx.service}-${ctx.stage}`,
        DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets: dashboardWidgets(ctx) }) },
      },
    },
  };
}
