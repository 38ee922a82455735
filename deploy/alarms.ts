// Detection in CloudWatch: per channel a high-resolution alarm on the probe's ManifestAge metric for the
// edge and the primary origin (their state changes reach triage through EventBridge), per probe shard an
// alarm on its Heartbeat that pages a human when the shard stops probing, and a dashboard with the age of
// every channel on every path next to the failover executions.
import { ref, type CfnResources, type CfnValue } from './cfn.js';
import type { DeployContext } from './context.js';
import type { Channel } from '../functions/domain/registry/index.js';
import type { ProbePath } from '../functions/domain/contracts.js';
import { LOGICAL_IDS, STATE_MACHINES, logicalIdPart, manifestAgeAlarmName, stateMachineLogicalId } from './names.js';
import { probeShardCount } from './probe.js';

export const METRIC_NAMESPACE = 'Flatline';
export const MANIFEST_AGE_METRIC = 'ManifestAge';
/** High-resolution period: the probe ticks every ~2 s, a 10 s datapoint is its max over five ticks. */
export const ALARM_PERIOD_SECONDS = 10;
/** Paths that alarm: the edge is what viewers see, the primary origin tells an outage from a CDN problem. */
export const ALARMED_PATHS = ['edge', 'primary'] as const satisfies readonly ProbePath[];
const DASHBOARD_PATHS: ProbePath[] = ['edge', 'primary', 'standby'];

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

/** Stale = age above staleAfterTargetDurations x target duration (RFC 8216's 1.5), in ms like the metric. */
export const staleThresholdMs = (ctx: DeployContext, channel: Channel): number =>
  Math.round(channel.policy.staleAfterTargetDurations * ctx.targetDurationSeconds * 1000);

export function manifestAgeAlarms(ctx: DeployContext): CfnResources {
  const resources: CfnResources = {};
  for (const channel of ctx.registry.channels) {
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

/**
 * Per shard: the probe's Heartbeat (ticks run, dimension exactly {Shard: "i/n"}, functions/probe/metrics.ts).
 * Missing data is breaching: a probe that crashes, times out at start or is never invoked emits nothing, and
 * the ManifestAge alarms it leaves behind reach triage, which finds the channels fine and does nothing. Named
 * outside the flatline-<stage>- prefix that routes alarms to triage: it pages the on-call topic only.
 */
export function probeHeartbeatAlarms(ctx: DeployContext): CfnResources {
  const count = probeShardCount(ctx);
  const resources: CfnResources = {};
  for (let index = 0; index < count; index++) {
    resources[`ProbeHeartbeatAlarm${index}`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${ctx.service}-ops-${ctx.stage}-probe-heartbeat-${index}-of-${count}`,
        AlarmDescription: `Probe shard ${index}/${count} has not ticked for 2 of the last 3 minutes: its channels are not being watched.`,
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

type Widget = Record<string, CfnValue>;

export function dashboard(ctx: DeployContext): CfnResources {
  const widgets: Widget[] = [];
  const width = 12;
  const height = 6;
  ctx.registry.channels.forEach((channel, i) => {
    widgets.push({
      type: 'metric',
      x: (i % 2) * width,
      y: Math.floor(i / 2) * height,
      width,
      height,
      properties: {
        title: `${channel.id}: manifest age (ms)`,
        region: ctx.region,
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
  });
  const executionMetrics = ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut'];
  widgets.push({
    type: 'metric',
    x: 0,
    y: Math.ceil(ctx.registry.channels.length / 2) * height,
    width: 24,
    height,
    properties: {
      title: 'failover / failback executions',
      region: ctx.region,
      view: 'timeSeries',
      stat: 'Sum',
      period: 60,
      metrics: STATE_MACHINES.flatMap((key) =>
        executionMetrics.map((m) => ['AWS/States', m, 'StateMachineArn', `\${${stateMachineLogicalId(key)}}`, { label: `${key} ${m}` }]),
      ),
    },
  });
  // The body is a JSON string; Fn::Sub puts the state machine ARNs (Ref) in it.
  return {
    [LOGICAL_IDS.dashboard]: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: {
        DashboardName: `${ctx.service}-${ctx.stage}`,
        DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) },
      },
    },
  };
}
