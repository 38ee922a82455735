// The sandbox's CloudWatch alarms: the stack's alarm definitions (deploy/alarms.ts), evaluated only at the end
// of their periods over their evaluation periods, and their state changes on the sandbox's bus in the shape
// triage parses.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fleetAlarms, HEARTBEAT_METRIC, manifestAgeAlarms, MANIFEST_AGE_METRIC, METRIC_NAMESPACE, probeHeartbeatAlarms } from '../../deploy/alarms.js';
import { LOGICAL_IDS } from '../../deploy/names.js';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import { AlarmStateChangeSchema } from '../../functions/domain/triage/schemas.js';
import { CloudWatchAlarms, playableAlarms, type AlarmTransition } from '../../sandbox/aws/cloudwatch-alarms.js';
import { startAwsSandbox, type AwsSandbox, type EventEnvelope } from '../../sandbox/aws/index.js';

const registry = readRegistryFile('config/registry.example.yml');
const ctx = { service: 'flatline', stage: 'example', registry, targetDurationSeconds: 2 };
const PERIOD_MS = 150;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let sandbox: AwsSandbox;
beforeAll(async () => {
  sandbox = await startAwsSandbox({ registryPath: 'config/registry.example.yml', serverlessPath: false });
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('CloudWatch alarms in the sandbox', () => {
  it("plays the stack's ManifestAge alarms: per critical channel and path, and the fleet alarm of each path", () => {
    const alarms = playableAlarms({ ...manifestAgeAlarms(ctx), ...fleetAlarms(ctx) });
    const critical = registry.channels.filter((c) => c.critical).map((c) => c.id);
    expect(critical.length).toBeGreaterThan(0);
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      [...critical.flatMap((c) => ['edge', 'primary'].map((p) => `flatline-example-${c}-manifest-age-${p}`)), 'flatline-ops-example-stale-channels-edge', 'flatline-ops-example-stale-channels-primary'].sort(),
    );
    const perChannel = alarms.find((a) => a.AlarmName === `flatline-example-${critical[0]}-manifest-age-edge`)!;
    expect(perChannel).toMatchObject({ Namespace: METRIC_NAMESPACE, MetricName: MANIFEST_AGE_METRIC, Period: 10, Statistic: 'Maximum', TreatMissingData: 'breaching', Dimensions: [{ Name: 'Channel', Value: critical[0] }, { Name: 'Path', Value: 'edge' }] });
    expect(alarms.find((a) => a.AlarmName.endsWith('stale-channels-edge'))).toMatchObject({ GroupBy: 'Channel', Period: 60, Dimensions: [{ Name: 'Path', Value: 'edge' }], TreatMissingData: 'notBreaching' });
  });

  it('changes state only at a period end, once DatapointsToAlarm of its EvaluationPeriods breach, and tells the bus as CloudWatch does', async () => {
    const channel = registry.channels.find((c) => c.critical)!;
    const def = playableAlarms(manifestAgeAlarms(ctx)).find((a) => a.AlarmName.endsWith(`${channel.id}-manifest-age-edge`))!;
    const m = def.DatapointsToAlarm!;
    const transitions: AlarmTransition[] = [];
    const envelopes: EventEnvelope[] = [];
    const off = sandbox.events.onEvent((e) => envelopes.push(e));
    const alarms = new CloudWatchAlarms({ region: sandbox.region, publish: (e) => sandbox.events.put(e), periodMs: () => PERIOD_MS });
    alarms.add([def]);
    const point = (value: number): void => alarms.put({ namespace: METRIC_NAMESPACE, name: MANIFEST_AGE_METRIC, dimensions: { Channel: channel.id, Path: 'edge' }, value, at: Date.now() });
    // Healthy for a few periods: stays OK (it starts OK: the stack was deployed before), tells the bus nothing.
    for (let i = 0; i < 6; i++) {
      point(def.Threshold - 500);
      await sleep(PERIOD_MS / 3);
    }
    // Then stale: every datapoint over the threshold.
    const staleFrom = Date.now();
    while (alarms.state(def.AlarmName) !== 'ALARM') {
      point(def.Threshold + 1000);
      await sleep(PERIOD_MS / 5);
    }
    transitions.push(...alarms.transitions);
    alarms.dispose();
    await sandbox.events.idle();
    off();
    expect(transitions.map((t) => [t.from, t.to])).toEqual([['OK', 'ALARM']]);
    const alarm = transitions[0]!;
    // Evaluated at a period end, and not before M periods with a breaching maximum had ended (the first being
    // the one the staleness began in).
    expect(alarm.periodEnd % PERIOD_MS).toBe(0);
    expect(alarm.periodEnd).toBeGreaterThanOrEqual(Math.ceil(staleFrom / PERIOD_MS) * PERIOD_MS + (m - 1) * PERIOD_MS);
    const event = envelopes.find((e) => e.source === 'aws.cloudwatch' && e.detail.alarmName === def.AlarmName && (e.detail.state as { value: string }).value === 'ALARM');
    expect(event).toBeDefined();
    const parsed = AlarmStateChangeSchema.parse(event);
    expect(parsed.detail).toMatchObject({ alarmName: def.AlarmName, state: { value: 'ALARM' }, previousState: { value: 'OK' } });
    expect(parsed.resources).toEqual([`arn:aws:cloudwatch:${sandbox.region}:123456789012:alarm:${def.AlarmName}`]);
  });

  it("plays a probe shard's heartbeat: the Sum of its ticks, missing data breaching, and its actions page the notify topic as CloudWatch does", () => {
    const topic = 'arn:aws:sns:us-east-1:123456789012:flatline-example-notify';
    const [def] = playableAlarms(probeHeartbeatAlarms({ ...ctx, channelsPerProbeShard: 100 }), (id) => (id === LOGICAL_IDS.notifyTopic ? topic : undefined));
    expect(def).toMatchObject({
      AlarmName: 'flatline-ops-example-probe-heartbeat-0-of-1', MetricName: HEARTBEAT_METRIC, Statistic: 'Sum', Dimensions: [{ Name: 'Shard', Value: '0/1' }],
      EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching', AlarmActions: [topic], OKActions: [topic],
    });
    const DELAY_MS = 40;
    vi.useFakeTimers({ now: 1000 * PERIOD_MS, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    try {
      const pages: Array<{ topicArn: string; subject: string; message: string }> = [];
      const alarms = new CloudWatchAlarms({ region: 'us-east-1', publish: () => undefined, periodMs: () => PERIOD_MS, evaluationDelayMs: () => DELAY_MS, notify: (topicArn, subject, message) => pages.push({ topicArn, subject, message }) });
      alarms.add([def!]);
      const tickFor = (periods: number): void => {
        for (let i = 0; i < periods * 5; i++) {
          alarms.put({ namespace: METRIC_NAMESPACE, name: HEARTBEAT_METRIC, dimensions: { Shard: '0/1' }, value: 1, at: Date.now() });
          vi.advanceTimersByTime(PERIOD_MS / 5);
        }
      };
      tickFor(6);
      expect(alarms.transitions).toEqual([]);
      // The probe stops at a period's start: that period and the next have no tick, and the evaluation after the
      // second (delayed) alarms. A period with a single tick is not breaching (Sum 1, not under 1).
      const stoppedAt = Date.now();
      vi.advanceTimersByTime(2 * PERIOD_MS + DELAY_MS - 1);
      expect(alarms.state(def!.AlarmName)).toBe('OK');
      vi.advanceTimersByTime(1);
      expect(alarms.state(def!.AlarmName)).toBe('ALARM');
      // Ticking again: OK once two of the last three periods have ticks.
      tickFor(3);
      alarms.dispose();
      expect(alarms.transitions.map((t) => [t.from, t.to, t.periodEnd - stoppedAt])).toEqual([
        ['OK', 'ALARM', 2 * PERIOD_MS],
        ['ALARM', 'OK', 4 * PERIOD_MS],
      ]);
      // Each evaluation comes its delay after its own period's end, however many came before (no drift).
      for (const t of alarms.transitions) expect(t.at - t.periodEnd).toBe(DELAY_MS);
      expect(pages.map((p) => [p.topicArn, p.subject])).toEqual([
        [topic, 'ALARM: "flatline-ops-example-probe-heartbeat-0-of-1" in US East (N. Virginia)'],
        [topic, 'OK: "flatline-ops-example-probe-heartbeat-0-of-1" in US East (N. Virginia)'],
      ]);
      expect(JSON.parse(pages[0]!.message)).toMatchObject({
        AlarmName: def!.AlarmName, AlarmDescription: def!.AlarmDescription, AWSAccountId: '123456789012', NewStateValue: 'ALARM', OldStateValue: 'OK', Region: 'US East (N. Virginia)',
        AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${def!.AlarmName}`,
        Trigger: { MetricName: HEARTBEAT_METRIC, Namespace: METRIC_NAMESPACE, Statistic: 'SUM', Dimensions: [{ value: '0/1', name: 'Shard' }], Period: 60, EvaluationPeriods: 3, Threshold: 1, TreatMissingData: 'breaching' },
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a fleet alarm breaches on any channel of its path over the threshold, and ignores the others', async () => {
    const def = playableAlarms(fleetAlarms(ctx)).find((a) => a.AlarmName.endsWith('stale-channels-primary'))!;
    const alarms = new CloudWatchAlarms({ region: sandbox.region, publish: () => undefined, periodMs: () => PERIOD_MS });
    alarms.add([def]);
    const put = (channel: string, path: string, value: number): void => alarms.put({ namespace: METRIC_NAMESPACE, name: MANIFEST_AGE_METRIC, dimensions: { Channel: channel, Path: path }, value, at: Date.now() });
    // Three periods of one channel under the threshold, another path's channel over it: OK throughout.
    const quietUntil = Date.now() + 3 * PERIOD_MS;
    while (Date.now() < quietUntil) {
      put('news-1', 'primary', def.Threshold - 1);
      put('sports-1', 'edge', def.Threshold + 5000); // another path: not this alarm's
      await sleep(PERIOD_MS / 5);
    }
    expect(alarms.transitions).toEqual([]);
    while (alarms.transitions.length === 0) {
      put('news-1', 'primary', def.Threshold - 1);
      put('kids-1', 'primary', def.Threshold + 5000);
      await sleep(PERIOD_MS / 5);
    }
    alarms.dispose();
    expect(alarms.transitions.map((t) => [t.from, t.to])).toEqual([['OK', 'ALARM']]);
  });
});
