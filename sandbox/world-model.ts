// How unkind the sandbox is: the latencies, losses and slow transitions AWS has, declared once with each
// number's source (or "assumption"). `realistic` is the default of every drill and replay; `ideal` is the
// kind sandbox (everything at once, nothing lost), kept for comparison. A scenario names its model and may
// override any number (sandbox/drill/scenario.ts); the report names the model it ran under.
import { z } from 'zod';

/** [min, max] seconds; a draw is uniform in between. */
const range = z.tuple([z.number().nonnegative(), z.number().nonnegative()]).refine(([a, b]) => a <= b, 'min must be <= max');
const probability = z.number().min(0).max(1);

export const WorldNumbersSchema = z.strictObject({
  /** Divides every AWS duration longer than 30 s (distribution deploys, channel start/stop, long Waits). */
  compression: z.number().min(1),
  /** PutEvents (or a service event) to the target invoked. */
  eventBridgeDelayS: range,
  /** MediaLive Channel Alert / State Change events: best effort. */
  mediaLiveEvents: z.strictObject({ delayS: range, dropProbability: probability, duplicateProbability: probability }),
  /** A KVS write until an edge location's function reads it, drawn per location. */
  kvsPropagationS: range,
  /** Simulated edge locations (viewers are spread across them; the probe watches the first). */
  edgeLocations: z.number().int().min(1).max(16),
  /** UpdateDistribution: InProgress (edge locations keep the old config) for this long, before compression. */
  distributionDeployS: range,
  /** MediaLive StartChannel / StopChannel: STARTING / STOPPING for this long, before compression. */
  channelTransitionS: range,
  /** Step Functions Wait states and Retry intervals at their ASL values (false: the old drill scaling). */
  productionStateMachineTimes: z.boolean(),
  /** Lambda: an invocation ends at its serverless.yml timeout (Sandbox.Timedout). */
  lambdaTimeouts: z.boolean(),
  /** Lambda: the first invocation of each function (and the first after a timeout) pays its init, lambdaInitMs. */
  lambdaColdStart: z.boolean(),
  /** Lambda: each function's init in ms, by serverless.yml function key; a function not listed pays the largest listed. */
  lambdaInitMs: z.record(z.string(), z.number().nonnegative()),
  /** Lambda async invoke: seconds before each retry, before compression (a failed EventBridge-target invocation). */
  lambdaAsyncRetryS: z.array(z.number().nonnegative()),
  /**
   * CloudWatch: the ManifestAge alarms of the stack (deploy/alarms.ts) are played, fed by the probe's ManifestAge;
   * each changes state at the end of one of its periods, after its evaluation periods (periods over 30 s compressed).
   */
  cloudWatchAlarms: z.boolean(),
  /** CloudWatch: from the end of a period to the alarm's evaluation (the EMF datapoints of the period in). */
  alarmEvaluationDelayS: range,
});

export type WorldNumbers = z.infer<typeof WorldNumbersSchema>;
export type WorldModelName = 'realistic' | 'ideal';

export interface WorldModel extends WorldNumbers {
  name: WorldModelName;
  /** Overridden numbers (names), shown in the report. */
  overridden: string[];
}

/** Where each realistic number comes from. */
export const WORLD_SOURCES: Record<keyof WorldNumbers, string> = {
  compression: 'assumption: one factor so that a drill stays under a minute; the report shows it',
  eventBridgeDelayS:
    'assumption: EventBridge publishes no delivery-latency figure; sub-second is the typical observed delivery (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-what-is-how-it-works-concepts.html)',
  mediaLiveEvents:
    'AWS service events are delivered "best effort" (https://docs.aws.amazon.com/eventbridge/latest/ref/event-delivery-level.html); 2-30 s delay, 5 % dropped, occasional duplicates: assumption',
  kvsPropagationS: 'KeyValueStore changes reach every edge location "within seconds" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions.html); 2-5 s per location: assumption',
  edgeLocations: 'assumption: three locations are enough to see that they converge independently',
  distributionDeployS:
    'UpdateDistribution returns InProgress until the change has propagated to every edge location, typically minutes (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html); 2-5 min: assumption',
  channelTransitionS: 'assumption: MediaLive channels take one to a few minutes in STARTING (https://docs.aws.amazon.com/medialive/latest/ug/starting-stopping-deleting-a-channel.html); 60-120 s',
  productionStateMachineTimes: 'the ASL in statemachines/ (Wait SecondsPath pollSeconds, Retry IntervalSeconds and BackoffRate)',
  lambdaTimeouts: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html; the timeout of each function in serverless.yml',
  lambdaColdStart: 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html (the Init phase runs before the first invocation of an execution environment)',
  lambdaInitMs:
    'measured by npm run bench (coldstart) on this machine, 2026-12-02, load 1.4, bundles as serverless.yml builds them (SDK schemas tree-shaken, zod/mini): CPU time (user + system, less sensitive to load than wall clock) of require() of each bundled handler in a fresh node process, median of 5; the Lambda service\'s own environment setup before the Init phase is not included (assumption: not published)',
  lambdaAsyncRetryS:
    'Lambda waits one minute before the second attempt and two minutes before the third (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html)',
  cloudWatchAlarms:
    'an alarm evaluates at the end of each period over its last EvaluationPeriods (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation); periods as deploy/alarms.ts sets them (10 s high resolution per critical channel, 60 s fleet)',
  alarmEvaluationDelayS:
    'assumption: CloudWatch publishes no evaluation latency; EMF datapoints are extracted from the logs and the alarm evaluated within seconds of the period end',
};

export const WORLD_MODELS: Record<WorldModelName, WorldNumbers> = {
  realistic: {
    compression: 10,
    eventBridgeDelayS: [0.2, 1],
    mediaLiveEvents: { delayS: [2, 30], dropProbability: 0.05, duplicateProbability: 0.05 },
    kvsPropagationS: [2, 5],
    edgeLocations: 3,
    distributionDeployS: [120, 300],
    channelTransitionS: [60, 120],
    productionStateMachineTimes: true,
    lambdaTimeouts: true,
    lambdaColdStart: true,
    lambdaInitMs: {
      triage: 113,
      probe: 101,
      snapshotRouting: 118,
      ensureChannelRunning: 95,
      ensureChannelStopped: 96,
      checkManifestFresh: 52,
      setEdgeRoute: 86,
      setOriginGroup: 97,
      setSlate: 82,
      notify: 69,
      finishIncident: 76,
    },
    lambdaAsyncRetryS: [60, 120],
    cloudWatchAlarms: true,
    alarmEvaluationDelayS: [1, 5],
  },
  ideal: {
    compression: 1,
    eventBridgeDelayS: [0, 0],
    mediaLiveEvents: { delayS: [0, 0], dropProbability: 0, duplicateProbability: 0 },
    kvsPropagationS: [0, 0],
    edgeLocations: 1,
    distributionDeployS: [0, 0],
    channelTransitionS: [0, 0],
    productionStateMachineTimes: false,
    lambdaTimeouts: false,
    lambdaColdStart: false,
    lambdaInitMs: {},
    lambdaAsyncRetryS: [0, 0],
    cloudWatchAlarms: false,
    alarmEvaluationDelayS: [0, 0],
  },
};

export const WorldOverridesSchema = WorldNumbersSchema.partial();
export type WorldOverrides = z.infer<typeof WorldOverridesSchema>;

export function worldModel(name: WorldModelName = 'realistic', overrides: WorldOverrides = {}): WorldModel {
  const overridden = Object.keys(overrides).filter((k) => overrides[k as keyof WorldOverrides] !== undefined);
  return { ...WORLD_MODELS[name], ...overrides, name, overridden };
}

/** An AWS duration in drill time: longer than 30 s => divided by the compression factor. */
export function compressedMs(world: Pick<WorldNumbers, 'compression'>, seconds: number): number {
  return (seconds > 30 ? seconds / world.compression : seconds) * 1000;
}

/** A uniform draw in [min, max] seconds, as ms. */
export function drawMs([min, max]: readonly [number, number], random: () => number): number {
  return (min + (max - min) * random()) * 1000;
}

/** A function's init in the model: its own, or the largest listed for a function not listed. */
export function lambdaInitMs(w: Pick<WorldNumbers, 'lambdaInitMs'>, functionKey: string): number {
  return w.lambdaInitMs[functionKey] ?? Math.max(0, ...Object.values(w.lambdaInitMs));
}

const initRange = (ms: Record<string, number>): string => {
  const v = Object.values(ms);
  return v.length ? `${Math.min(...v)}-${Math.max(...v)} ms` : '0 ms';
};

/** One line naming the model and its numbers (terminal and HTML reports). */
export function describeWorld(w: WorldModel): string {
  if (w.name === 'ideal' && w.overridden.length === 0) return 'ideal (events, KVS and deploys at once; drill-scaled waits)';
  const r = ([a, b]: readonly [number, number]): string => (a === b ? `${a} s` : `${a}-${b} s`);
  const parts = [
    `EventBridge ${r(w.eventBridgeDelayS)}`,
    `MediaLive events ${r(w.mediaLiveEvents.delayS)}, ${Math.round(w.mediaLiveEvents.dropProbability * 100)} % dropped, ${Math.round(w.mediaLiveEvents.duplicateProbability * 100)} % duplicated`,
    `KVS to edge ${r(w.kvsPropagationS)} at ${w.edgeLocations} location${w.edgeLocations === 1 ? '' : 's'}`,
    `UpdateDistribution ${r(w.distributionDeployS)}`,
    `StartChannel/StopChannel ${r(w.channelTransitionS)}`,
    w.productionStateMachineTimes ? 'Step Functions waits and retries at ASL values' : 'Step Functions waits drill-scaled',
    `Lambda ${w.lambdaTimeouts ? 'timeouts enforced' : 'timeouts not enforced'}${w.lambdaColdStart ? `, cold starts (bundled init ${initRange(w.lambdaInitMs)})` : ''}, async retries after ${w.lambdaAsyncRetryS.join(', ')} s`,
    w.cloudWatchAlarms ? `CloudWatch alarms at their period ends + ${r(w.alarmEvaluationDelayS)}` : 'CloudWatch alarms not played',
    `durations over 30 s compressed ${w.compression}x`,
  ];
  return `${w.name}${w.overridden.length ? ` (overridden: ${w.overridden.join(', ')})` : ''}: ${parts.join('; ')}`;
}
