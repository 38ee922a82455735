// What flatline costs per channel-month, counted from what the stack and one probe minute produce. One
// model for `npm run bench` (bench/cost.bench.ts prints it) and docs/cost.md (a test checks the document
// quotes the figure computed here). Viewer-request costs (CloudFront Functions, KeyValueStore reads) scale
// with the audience, not the channel count: they are priced per million requests, apart.
import type { CfnResources } from './cfn.js';

/**
 * us-east-1 list prices, as listed on the pages named, recorded on PRICES_RECORDED. Check the pages before
 * relying on a figure: AWS changes them.
 */
export const PRICES_RECORDED = '2026-12-02';
export const PRICES = {
  /** https://aws.amazon.com/cloudwatch/pricing/ — custom metrics, first 10,000 metrics, per metric-month (prorated by the hour). */
  customMetricMonth: 0.3,
  /** Same page — alarms: standard resolution (60 s) per alarm metric-month. */
  standardAlarmMetricMonth: 0.1,
  /** Same page — alarms: high resolution (10 s) per alarm metric-month. */
  highResAlarmMetricMonth: 0.3,
  /** Same page — a Metrics Insights query alarm is billed per time series it analyzes, as a standard alarm metric. */
  insightsAlarmSeriesMonth: 0.1,
  /** Same page — logs: standard ingestion (EMF documents are log events), per GB. */
  logIngestionGb: 0.5,
  /** Same page — dashboards: per dashboard-month beyond the first three of the account. */
  dashboardMonth: 3,
  /** Same page — Synthetics: per canary run (the anchor: one canary a minute per channel). */
  canaryRun: 0.0012,
  /** https://aws.amazon.com/lambda/pricing/ — Arm, per GB-second (first 6 billion GB-s a month). */
  lambdaArmGbSecond: 0.0000133334,
  /** Same page — per request. */
  lambdaRequest: 0.2 / 1e6,
  /** https://aws.amazon.com/step-functions/pricing/ — Standard workflows, per state transition. */
  stateTransition: 0.025 / 1000,
  /** https://aws.amazon.com/eventbridge/pricing/ — custom events put, per event (AWS service events are free). */
  customEvent: 1 / 1e6,
  /** https://aws.amazon.com/kms/pricing/ — customer managed key, per key-month. */
  kmsKeyMonth: 1,
  /** https://aws.amazon.com/cloudfront/pricing/ — CloudFront Functions, per invocation. */
  cloudFrontFunctionInvocation: 0.1 / 1e6,
  /** Same page — CloudFront KeyValueStore, per read from a function. */
  keyValueStoreRead: 0.03 / 1e6,
} as const;

export const MINUTES_PER_MONTH = 30 * 24 * 60; // 43,200
const GB = 1e9;

/** What one probe minute of one shard emits, measured by running the probe's EMF code (bench/cost.bench.ts). */
export interface ProbeMinute {
  channelsPerShard: number;
  /** EMF bytes one shard writes to its log group in a minute (healthy fleet: the shard's aggregates only). */
  emfBytes: number;
  emfDocuments: number;
  /** Distinct metric series (name + dimension values) of the shard, healthy. */
  metricsPerShard: number;
  /** Distinct series a critical channel adds (it always reports its own). */
  metricsPerCriticalChannel: number;
}

export interface CostInput {
  channels: number;
  criticalChannels: number;
  shards: number;
  probeMemoryMb: number;
  /** The probe runs each minute until just before its timeout: billed ~ the whole timeout. */
  probeSecondsPerMinute: number;
  /** The stack's alarms (deploy/resources.ts + serverless.yml's state machine alarms). */
  alarms: { standard: number; highResolution: number; insightsSeries: number };
  dashboards: number;
  kmsKeys: number;
  probeMinute: ProbeMinute;
  /** Bytes Lambda itself logs per invocation (START, END, REPORT lines) and the probe's summary line. */
  logBytesPerInvocation: number;
  /** Failovers (+ their failback) per channel-month, and the state transitions each takes (both machines). */
  failoversPerChannelMonth: number;
  transitionsPerFailover: number;
}

export interface CostLine {
  item: string;
  /** How the monthly dollars were counted. */
  basis: string;
  monthly: number;
}

export interface CostBreakdown {
  lines: CostLine[];
  monthly: number;
  perChannelMonth: number;
  /** Viewer-driven, apart: dollars per million viewer requests. */
  perMillionViewerRequests: { cloudFrontFunction: number; keyValueStoreRead: number };
  /** The anchor: a Synthetics canary probing one channel every minute. */
  canaryPerChannelMonth: number;
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function fleetCost(input: CostInput): CostBreakdown {
  const p = PRICES;
  const m = input.probeMinute;
  const shardMetrics = input.shards * m.metricsPerShard;
  const criticalMetrics = input.criticalChannels * m.metricsPerCriticalChannel;
  const invocations = input.shards * MINUTES_PER_MONTH;
  // The measured minute is for channelsPerShard channels; a shard's aggregate documents do not grow with it.
  const emfGb = (input.shards * m.emfBytes * MINUTES_PER_MONTH) / GB;
  const lambdaLogGb = (invocations * input.logBytesPerInvocation) / GB;
  const gbSeconds = invocations * (input.probeMemoryMb / 1024) * input.probeSecondsPerMinute;
  const failovers = input.channels * input.failoversPerChannelMonth;
  const lines: CostLine[] = [
    { item: 'custom metrics', basis: `${input.shards} shards x ${m.metricsPerShard} + ${input.criticalChannels} critical channels x ${m.metricsPerCriticalChannel} = ${shardMetrics + criticalMetrics} metrics x $${p.customMetricMonth}`, monthly: (shardMetrics + criticalMetrics) * p.customMetricMonth },
    { item: 'alarms, standard resolution', basis: `${input.alarms.standard} x $${p.standardAlarmMetricMonth}`, monthly: input.alarms.standard * p.standardAlarmMetricMonth },
    { item: 'alarms, high resolution', basis: `${input.alarms.highResolution} x $${p.highResAlarmMetricMonth}`, monthly: input.alarms.highResolution * p.highResAlarmMetricMonth },
    { item: 'Metrics Insights alarm series', basis: `${input.alarms.insightsSeries} series analyzed (healthy fleet: the critical channels) x $${p.insightsAlarmSeriesMonth}`, monthly: input.alarms.insightsSeries * p.insightsAlarmSeriesMonth },
    { item: 'EMF log ingestion', basis: `${input.shards} shards x ${m.emfBytes} B/min x ${MINUTES_PER_MONTH} min = ${round(emfGb, 2)} GB x $${p.logIngestionGb}`, monthly: emfGb * p.logIngestionGb },
    { item: 'Lambda platform logs', basis: `${invocations} invocations x ${input.logBytesPerInvocation} B = ${round(lambdaLogGb, 2)} GB x $${p.logIngestionGb}`, monthly: lambdaLogGb * p.logIngestionGb },
    { item: 'probe Lambda compute', basis: `${invocations} invocations x ${input.probeMemoryMb} MB x ${input.probeSecondsPerMinute} s = ${Math.round(gbSeconds)} GB-s x $${p.lambdaArmGbSecond}`, monthly: gbSeconds * p.lambdaArmGbSecond },
    { item: 'probe Lambda requests', basis: `${invocations} x $${round(p.lambdaRequest * 1e6)} per million`, monthly: invocations * p.lambdaRequest },
    { item: 'Step Functions transitions', basis: `${failovers} failovers x ${input.transitionsPerFailover} transitions x $${p.stateTransition}`, monthly: failovers * input.transitionsPerFailover * p.stateTransition },
    { item: 'dashboard', basis: `${input.dashboards} x $${p.dashboardMonth} (if the account has 3 already)`, monthly: input.dashboards * p.dashboardMonth },
    { item: 'KMS key of the notification topic', basis: `${input.kmsKeys} x $${p.kmsKeyMonth}`, monthly: input.kmsKeys * p.kmsKeyMonth },
  ];
  const monthly = lines.reduce((n, l) => n + l.monthly, 0);
  return {
    lines,
    monthly,
    perChannelMonth: monthly / input.channels,
    perMillionViewerRequests: { cloudFrontFunction: p.cloudFrontFunctionInvocation * 1e6, keyValueStoreRead: p.keyValueStoreRead * 1e6 },
    canaryPerChannelMonth: p.canaryRun * MINUTES_PER_MONTH,
  };
}

/** The alarms of a generated stack, by how CloudWatch prices them (Period < 60 s is high resolution). */
export function countAlarms(resources: CfnResources, extraStandard: number, insightsSeriesPerAlarm: number): CostInput['alarms'] {
  const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties ?? {});
  const insights = alarms.filter((a) => Array.isArray(a.Metrics));
  const plain = alarms.filter((a) => !Array.isArray(a.Metrics));
  return {
    standard: plain.filter((a) => Number(a.Period) >= 60).length + extraStandard,
    highResolution: plain.filter((a) => Number(a.Period) < 60).length,
    insightsSeries: insights.length * insightsSeriesPerAlarm,
  };
}

/** The figure as docs/cost.md quotes it. */
export const formatDollars = (n: number): string => `$${n.toFixed(2)}`;
