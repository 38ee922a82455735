// CloudWatch metric alarms, as the sandbox plays them: datapoints in, an alarm evaluated at the end of each of
// its periods over its last EvaluationPeriods periods (DatapointsToAlarm of them breaching => ALARM, M out of
// N), missing data treated as the alarm says, and every state change delivered to the bus as the "CloudWatch
// Alarm State Change" event CloudWatch sends
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
// The definitions are the AWS::CloudWatch::Alarm properties deploy/alarms.ts generates, so the sandbox alarms
// on exactly what the stack would. Single-metric alarms with a statistic of Maximum or Sum are played, and the
// fleet alarms' Metrics Insights query (the maximum over every channel's series of a path). An alarm's SNS
// actions (AlarmActions on ALARM, OKActions on OK) publish the message CloudWatch sends to a topic.
import { ALARMED_PATHS, MANIFEST_AGE_METRIC, METRIC_NAMESPACE, stalestChannelsQuery } from '../../deploy/alarms.js';
import { alarmArn } from '../../deploy/arns.js';
import type { CfnResources } from '../../deploy/cfn.js';
import type { SandboxEvent } from './events.js';
import { ACCOUNT_ID } from './wire.js';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
/** The statistics the sandbox plays (a period's datapoints folded into one value). */
const PLAYED_STATISTICS = new Set(['Maximum', 'Sum'] as const);
const played = (statistic: unknown): statistic is MetricAlarmProperties['Statistic'] => PLAYED_STATISTICS.has(statistic as MetricAlarmProperties['Statistic']);
type Comparison = 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';

/** The properties of an AWS::CloudWatch::Alarm on one metric (those the sandbox reads). */
export interface MetricAlarmProperties {
  AlarmName: string;
  AlarmDescription?: string;
  Namespace: string;
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: string }>;
  Statistic: 'Maximum' | 'Sum';
  Period: number;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: Comparison;
  TreatMissingData?: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
  /** Sandbox only: a dimension whose every value is a contributor (a Metrics Insights query's GROUP BY). */
  GroupBy?: string;
  /** SNS topic ARNs notified on a change to ALARM / to OK. */
  AlarmActions?: string[];
  OKActions?: string[];
}

export interface Datapoint {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  value: number;
  /** Epoch ms of the observation. */
  at: number;
}

export interface AlarmTransition {
  alarmName: string;
  from: AlarmState;
  to: AlarmState;
  /** Epoch ms of the evaluation that changed the state. */
  at: number;
  /** Epoch ms of the period end it evaluated (periods are aligned to the epoch). */
  periodEnd: number;
}

export interface CloudWatchAlarmsOptions {
  region: string;
  /** Puts an event on the bus (the sandbox's EventBridge). */
  publish: (event: SandboxEvent) => void;
  /** From the end of a period to its evaluation (world model), ms. */
  evaluationDelayMs?: () => number;
  /** A period of `seconds` in sandbox time, ms (world model compression); default seconds x 1000. */
  periodMs?: (seconds: number) => number;
  /** Publishes to an SNS topic (an alarm action). */
  notify?: (topicArn: string, subject: string, message: string) => void;
}

interface Alarm {
  def: MetricAlarmProperties;
  periodMs: number;
  createdAt: number;
  state: AlarmState;
  timer?: NodeJS.Timeout;
}

const compare: Record<Comparison, (v: number, t: number) => boolean> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

export class CloudWatchAlarms {
  private readonly alarms = new Map<string, Alarm>();
  private readonly datapoints: Datapoint[] = [];
  readonly transitions: AlarmTransition[] = [];
  private disposed = false;

  constructor(private readonly opts: CloudWatchAlarmsOptions) {}

  /**
   * Creates the alarms and starts evaluating each at its period boundaries from now on. An alarm of the same name
   * is replaced. Assumption: the stack was deployed before, on a healthy metric: an alarm starts OK (a new alarm in
   * AWS starts in INSUFFICIENT_DATA, and its first evaluation's change to OK would reach the bus mid-drill).
   */
  add(defs: MetricAlarmProperties[]): void {
    for (const def of defs) {
      if (!played(def.Statistic)) throw new Error(`sandbox CloudWatch: alarm ${def.AlarmName}: statistic ${String(def.Statistic)} is not played`);
      const old = this.alarms.get(def.AlarmName);
      if (old?.timer) clearTimeout(old.timer);
      const alarm: Alarm = { def, periodMs: this.opts.periodMs?.(def.Period) ?? def.Period * 1000, createdAt: Date.now(), state: 'OK' };
      this.alarms.set(def.AlarmName, alarm);
      this.schedule(alarm, Date.now());
    }
  }

  /** A datapoint of a metric (PutMetricData, or an EMF document the function wrote). */
  put(d: Datapoint): void {
    this.datapoints.push(d);
    // Bounded: nothing looks back further than its evaluation periods (minutes at most here).
    if (this.datapoints.length > 50_000) this.datapoints.splice(0, this.datapoints.length - 25_000);
  }

  state(alarmName: string): AlarmState | undefined {
    return this.alarms.get(alarmName)?.state;
  }

  names(): string[] {
    return [...this.alarms.keys()];
  }

  dispose(): void {
    this.disposed = true;
    for (const a of this.alarms.values()) clearTimeout(a.timer);
  }

  /**
   * The next evaluation: the end of the period after `after` (periods are aligned to the epoch), plus the delay.
   * Timed from the clock, not from the previous evaluation: the delays do not add up from one period to the next.
   */
  private schedule(alarm: Alarm, after: number): void {
    if (this.disposed) return;
    const boundary = (Math.floor(after / alarm.periodMs) + 1) * alarm.periodMs;
    const delay = this.opts.evaluationDelayMs?.() ?? 0;
    alarm.timer = setTimeout(
      () => {
        this.evaluate(alarm, boundary);
        this.schedule(alarm, boundary);
      },
      Math.max(0, boundary + delay - Date.now()),
    );
    alarm.timer.unref();
  }

  /** Evaluates the last EvaluationPeriods whole periods before `end` (epoch ms of a period boundary). */
  private evaluate(alarm: Alarm, end: number): void {
    const { def, periodMs } = alarm;
    const n = def.EvaluationPeriods;
    const m = def.DatapointsToAlarm ?? n;
    const missing = def.TreatMissingData ?? 'missing';
    const dims = Object.fromEntries(def.Dimensions.map((d) => [d.Name, d.Value]));
    const values: Array<number | undefined> = [];
    for (let i = n; i >= 1; i--) {
      const from = end - i * periodMs;
      // Assumption: the stack was deployed before the sandbox started, on a healthy metric. A period that ended
      // before the alarm existed counts as a datapoint under the threshold, not as missing data (with missing data
      // breaching, a fresh alarm would otherwise fire on the first evaluation).
      if (from + periodMs <= alarm.createdAt) {
        values.push(healthyValue(def));
        continue;
      }
      const inPeriod = this.datapoints.filter(
        (d) => d.at >= from && d.at < from + periodMs && d.namespace === def.Namespace && d.name === def.MetricName && sameDimensions(d.dimensions, dims, def.GroupBy),
      );
      values.push(inPeriod.length === 0 ? undefined : def.Statistic === 'Sum' ? inPeriod.reduce((n, d) => n + d.value, 0) : Math.max(...inPeriod.map((d) => d.value)));
    }
    const present = values.filter((v): v is number => v !== undefined);
    const breaching = present.filter((v) => compare[def.ComparisonOperator](v, def.Threshold)).length;
    const absent = n - present.length;
    let next: AlarmState;
    if (missing === 'breaching') next = breaching + absent >= m ? 'ALARM' : 'OK';
    else if (missing === 'notBreaching') next = breaching >= m ? 'ALARM' : 'OK';
    else if (present.length === 0) next = missing === 'ignore' ? alarm.state : 'INSUFFICIENT_DATA';
    // ignore / missing: the periods with data decide (with fewer than M of them, breaching ones still alarm).
    else next = breaching >= Math.min(m, present.length) ? 'ALARM' : 'OK';
    if (next === alarm.state) return;
    const from = alarm.state;
    alarm.state = next;
    this.transitions.push({ alarmName: def.AlarmName, from, to: next, at: Date.now(), periodEnd: end });
    this.opts.publish(this.stateChangeEvent(alarm, from, next, values, end));
    const topics = next === 'ALARM' ? def.AlarmActions : next === 'OK' ? def.OKActions : undefined;
    for (const topic of topics ?? []) this.opts.notify?.(topic, `${next}: "${def.AlarmName}" in ${regionName(this.opts.region)}`, this.notification(alarm, from, next, values));
  }

  /** The message CloudWatch publishes to an alarm action's topic (its JSON fields as CloudWatch sends them). */
  private notification(alarm: Alarm, from: AlarmState, to: AlarmState, values: Array<number | undefined>): string {
    const { def } = alarm;
    const region = this.opts.region;
    return JSON.stringify({
      AlarmName: def.AlarmName,
      AlarmDescription: def.AlarmDescription ?? null,
      AWSAccountId: ACCOUNT_ID,
      NewStateValue: to,
      NewStateReason: reasonOf(def, values),
      StateChangeTime: cloudWatchTimestamp(new Date()),
      Region: regionName(region),
      AlarmArn: alarmArn({ region, accountId: ACCOUNT_ID }, def.AlarmName),
      OldStateValue: from,
      Trigger: {
        MetricName: def.MetricName,
        Namespace: def.Namespace,
        StatisticType: 'Statistic',
        Statistic: def.Statistic.toUpperCase(),
        Unit: null,
        Dimensions: def.Dimensions.map((d) => ({ value: d.Value, name: d.Name })),
        Period: def.Period,
        EvaluationPeriods: def.EvaluationPeriods,
        ...(def.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: def.DatapointsToAlarm } : {}),
        ComparisonOperator: def.ComparisonOperator,
        Threshold: def.Threshold,
        TreatMissingData: def.TreatMissingData ?? 'missing',
      },
    });
  }

  /** The event CloudWatch sends on a state change (its detail as in the EventBridge sample for a metric alarm). */
  private stateChangeEvent(alarm: Alarm, from: AlarmState, to: AlarmState, values: Array<number | undefined>, end: number): SandboxEvent {
    const { def } = alarm;
    const region = this.opts.region;
    const stamp = cloudWatchTimestamp(new Date());
    const reason = reasonOf(def, values);
    return {
      source: 'aws.cloudwatch',
      detailType: 'CloudWatch Alarm State Change',
      region,
      resources: [alarmArn({ region, accountId: ACCOUNT_ID }, def.AlarmName)],
      detail: {
        alarmName: def.AlarmName,
        state: { value: to, reason, reasonData: JSON.stringify({ version: '1.0', queryDate: stamp, startDate: cloudWatchTimestamp(new Date(end - def.EvaluationPeriods * alarm.periodMs)), statistic: def.Statistic, period: def.Period, threshold: def.Threshold }), timestamp: stamp },
        previousState: { value: from, reason: 'previous state (sandbox)', timestamp: stamp },
        configuration: {
          ...(def.AlarmDescription ? { description: def.AlarmDescription } : {}),
          metrics: [
            {
              id: 'm1',
              metricStat: { metric: { namespace: def.Namespace, name: def.MetricName, dimensions: Object.fromEntries(def.Dimensions.map((d) => [d.Name, d.Value])) }, period: def.Period, stat: def.Statistic },
              returnData: true,
            },
          ],
        },
      },
    };
  }
}

function reasonOf(def: MetricAlarmProperties, values: Array<number | undefined>): string {
  const shown = values.map((v) => (v === undefined ? 'missing' : String(v))).join(', ');
  return `Threshold Crossed: ${def.EvaluationPeriods} datapoints [${shown}] were evaluated against the threshold (${def.Threshold}) (sandbox).`;
}

/** The region's name as CloudWatch writes it in a notification ("US East (N. Virginia)"); the code for others. */
function regionName(region: string): string {
  return REGION_NAMES[region] ?? region;
}
const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-central-1': 'EU (Frankfurt)',
};

/** A value on the healthy side of the threshold. */
const healthyValue = (def: MetricAlarmProperties): number => (def.ComparisonOperator.startsWith('Greater') ? def.Threshold - 1 : def.Threshold + 1);

/** A datapoint's dimensions are the alarm's exactly (plus, for a grouped alarm, any value of the group's). */
function sameDimensions(point: Record<string, string>, alarm: Record<string, string>, groupBy?: string): boolean {
  const keys = Object.keys(point).filter((k) => k !== groupBy);
  if (groupBy !== undefined && point[groupBy] === undefined) return false;
  return keys.length === Object.keys(alarm).length && keys.every((k) => point[k] === alarm[k]);
}

/**
 * The alarms of a template's resources (deploy/alarms.ts) the sandbox can play: single-metric Maximum and Sum
 * alarms, and the fleet alarms' stalest-channels query of a path; other queries are left out. An action's
 * `{Ref: <logical id>}` is resolved by `topicArn` (an action it cannot resolve is left out).
 */
export function playableAlarms(resources: CfnResources, topicArn: (logicalId: string) => string | undefined = () => undefined): MetricAlarmProperties[] {
  const out: MetricAlarmProperties[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::CloudWatch::Alarm') continue;
    const p = r.Properties as Record<string, unknown>;
    const common = {
      AlarmName: String(p.AlarmName),
      ...(typeof p.AlarmDescription === 'string' ? { AlarmDescription: p.AlarmDescription } : {}),
      EvaluationPeriods: Number(p.EvaluationPeriods),
      ...(p.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: Number(p.DatapointsToAlarm) } : {}),
      Threshold: Number(p.Threshold),
      ComparisonOperator: p.ComparisonOperator as Comparison,
      ...(p.TreatMissingData ? { TreatMissingData: p.TreatMissingData as NonNullable<MetricAlarmProperties['TreatMissingData']> } : {}),
      ...actions('AlarmActions', p.AlarmActions, topicArn),
      ...actions('OKActions', p.OKActions, topicArn),
    };
    if (typeof p.MetricName === 'string' && played(p.Statistic)) {
      out.push({ ...common, Namespace: String(p.Namespace), MetricName: p.MetricName, Dimensions: p.Dimensions as MetricAlarmProperties['Dimensions'], Statistic: p.Statistic, Period: Number(p.Period) });
      continue;
    }
    const query = (p.Metrics as Array<{ Expression?: string; Period?: number }> | undefined)?.[0];
    const path = ALARMED_PATHS.find((x) => query?.Expression === stalestChannelsQuery(x, 100));
    if (path && query?.Period) {
      out.push({ ...common, Namespace: METRIC_NAMESPACE, MetricName: MANIFEST_AGE_METRIC, Dimensions: [{ Name: 'Path', Value: path }], GroupBy: 'Channel', Statistic: 'Maximum', Period: query.Period });
    }
  }
  return out;
}

/** An alarm's actions as topic ARNs: a literal ARN, or a Ref that `topicArn` resolves. */
function actions(key: 'AlarmActions' | 'OKActions', value: unknown, topicArn: (logicalId: string) => string | undefined): Partial<MetricAlarmProperties> {
  if (!Array.isArray(value)) return {};
  const arns = value.flatMap((a: unknown) => {
    const arn = typeof a === 'string' ? a : typeof a === 'object' && a !== null && 'Ref' in a ? topicArn(String(a.Ref)) : undefined;
    return arn === undefined ? [] : [arn];
  });
  return arns.length > 0 ? { [key]: arns } : {};
}

/** CloudWatch's event timestamps: 2019-10-02T17:04:40.989+0000. */
function cloudWatchTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}
