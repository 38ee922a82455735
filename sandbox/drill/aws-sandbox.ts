// The DrillSandbox seam over the embedded AWS sandbox (sandbox/aws): the real serverless.yml rules route
// events to the real triage handler, the real ASL runs with the real step handlers, dynalite holds the
// ledger. The world model decides how unkind the services are; under `ideal` the waits of the state
// machines are scaled to drill time (the old behaviour), under `realistic` they run at their ASL values.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionInput } from '../../functions/domain/contracts.js';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Ledger } from '../../functions/domain/ledger/ledger.js';
import { LOCKED_PHASES } from '../../functions/domain/ledger/rules.js';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import type { Registry } from '../../functions/domain/registry/index.js';
import { fleetAlarms, HEARTBEAT_METRIC, manifestAgeAlarms, MANIFEST_AGE_METRIC, METRIC_NAMESPACE, probeHeartbeatAlarms } from '../../deploy/alarms.js';
import { LOGICAL_IDS } from '../../deploy/names.js';
import { probeShardCount } from '../../deploy/probe.js';
import { DEFAULT_CHANNELS_PER_PROBE_SHARD, SERVICE } from '../../deploy/context.js';
import { playableAlarms } from '../aws/cloudwatch-alarms.js';
import { loadDefinition, localDefinition } from '../aws/state-machine-runner.js';
import { startAwsSandbox, type ExecutionRecord } from '../aws/index.js';
import { worldModel, type WorldModel } from '../world-model.js';
import { REPO_ROOT } from './actions.js';
import type { DrillExecution, DrillSandbox } from './seams.js';

export interface DrillSandboxOptions {
  /** Default: realistic. */
  world?: WorldModel;
  /** Seed of every random draw (faults, event delays and losses). */
  seed?: number;
  /** Ideal world only: every Wait of the state machines (polls of the standby and of the edge), ms. */
  pollMs?: number;
  /** Ideal world only: scale of the ASL's static retry intervals (1 s => 200 ms). */
  timeScale?: number;
  /** Publish SimChannel changes as MediaLive events (default true; replay turns it off to replay one event alone). */
  publishMediaLiveEvents?: boolean;
}

/** Names of the Wait states of the state machines, read from the ASL so that a renamed state is still scaled. */
function waitStates(): string[] {
  const dir = join(REPO_ROOT, 'statemachines');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.asl.json'))
    .flatMap((f) => localDefinition(loadDefinition(join(dir, f))).waitStates);
}

function toExecution(x: ExecutionRecord): DrillExecution {
  let input: Partial<ExecutionInput> = {};
  try {
    input = JSON.parse(x.input) as Partial<ExecutionInput>;
  } catch {
    // an execution started with a non-JSON input: keep what the record says
  }
  const action = input.action ?? (x.stateMachineKey === 'failback' ? 'failback' : 'failover');
  return {
    name: x.name,
    action,
    channelId: input.channelId ?? x.name.split('-').slice(0, -1).join('-'),
    status: x.status,
    startedAt: x.startDate.getTime(),
    ...(x.stopDate ? { stoppedAt: x.stopDate.getTime() } : {}),
    steps: x.timeline
      .filter((s) => s.type === 'Task' || s.type === 'Fail' || s.type === 'Succeed')
      .map((s) => ({ name: s.state, enteredAt: s.enteredAt, ...(s.exitedAt ? { exitedAt: s.exitedAt } : {}), ...(s.errors.length ? { error: s.errors.map((e) => e.error).join(', ') } : {}) })),
    ...(x.error ? { error: `${x.error}${x.cause ? `: ${String(x.cause).slice(0, 160)}` : ''}` } : {}),
  };
}

export async function startDrillSandbox(registry: Registry, opts: DrillSandboxOptions = {}): Promise<DrillSandbox> {
  const pollMs = opts.pollMs ?? 500;
  const world = opts.world ?? worldModel('realistic');
  const stage = 'example';
  const sb = await startAwsSandbox({
    registry,
    serverlessPath: join(REPO_ROOT, 'serverless.yml'),
    stage,
    world,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    // Realistic: Waits and Retry intervals at their ASL values; only waits over 30 s shrink, by the world's one factor.
    sfn: world.productionStateMachineTimes
      ? { compressWaitsOver30s: world.compression }
      : { timeScale: opts.timeScale ?? 0.2, waitTimeOverrides: Object.fromEntries(waitStates().map((s) => [s, pollMs])) },
    preload: true,
    medialive: { publishEvents: opts.publishMediaLiveEvents ?? true },
  });
  sb.applyEnv();
  // The stack's probe shards (deploy/probe.ts at the default shard size): one Heartbeat alarm each.
  const shards = probeShardCount({ registry, channelsPerProbeShard: DEFAULT_CHANNELS_PER_PROBE_SHARD });
  const ledger = new Ledger({ tableName: sb.dynamodb.tableName, client: awsClients('tool').dynamoDoc() });
  return {
    world,
    channel: (region, id) => sb.medialive.channel(region, id),
    originOrder: (d, g) => sb.cloudfront.originOrder(d, g),
    deployedOriginOrder: (d, g) => sb.cloudfront.deployedOriginOrder(d, g),
    deployedOriginGroup: (d, g) => sb.cloudfront.deployedOriginGroup(d, g),
    deployedCacheKeyHeaders: (d, path) => sb.cloudfront.deployedCacheKeyHeaders(d, path),
    kvsGet: (arn, key) => sb.kvs.get(arn, key),
    kvsSnapshot: (arn) => sb.kvs.snapshot(arn),
    setMediaLiveEvents: (config) => {
      sb.medialive.eventDelivery.config = { ...config };
    },
    mediaLiveEventStats: () => ({ ...sb.medialive.eventDelivery.stats }),
    onKvsChange: (l) => sb.kvs.onChange((c) => l({ arn: c.arn, key: c.key, value: c.value })),
    onOriginGroupChange: (l) => sb.cloudfront.onChange(() => l()),
    onEvent: (l) =>
      // EventBridge times have second precision: the drill wants the moment the bus took the event.
      sb.events.onEvent((e) => l({ id: e.id, source: e.source, detailType: e['detail-type'], at: Date.now(), detail: e.detail })),
    startAlarms: (targetDurationSeconds) => {
      if (!world.cloudWatchAlarms) return;
      const ctx = { service: SERVICE, stage, registry, targetDurationSeconds, channelsPerProbeShard: DEFAULT_CHANNELS_PER_PROBE_SHARD };
      const topicArn = (logicalId: string): string | undefined => (logicalId === LOGICAL_IDS.notifyTopic ? sb.notifyTopicArn : undefined);
      sb.cloudwatch.add(playableAlarms({ ...manifestAgeAlarms(ctx), ...fleetAlarms(ctx), ...probeHeartbeatAlarms(ctx) }, topicArn));
    },
    putManifestAge: (channelId, path, ageMs, at) => {
      if (world.cloudWatchAlarms) sb.cloudwatch.put({ namespace: METRIC_NAMESPACE, name: MANIFEST_AGE_METRIC, dimensions: { Channel: channelId, Path: path }, value: ageMs, at });
    },
    putHeartbeat: (at) => {
      if (!world.cloudWatchAlarms) return;
      for (let i = 0; i < shards; i++) sb.cloudwatch.put({ namespace: METRIC_NAMESPACE, name: HEARTBEAT_METRIC, dimensions: { Shard: `${i}/${shards}` }, value: 1, at });
    },
    putEvents: (events) => {
      sb.events.put(events.map((e) => ({ source: e.source, detailType: e.detailType, detail: e.detail, ...(e.resources ? { resources: e.resources } : {}), ...(e.region ? { region: e.region } : {}), time: e.time ?? new Date() })));
    },
    idle: () => sb.settle(),
    controlPlaneIdle: () => sb.settle({ worldEvents: false }),
    addFault: (spec) => {
      sb.faults.add(spec);
    },
    clearFaults: () => sb.faults.clear(),
    calls: () => sb.calls,
    decisions: () =>
      sb.events.service.deliveries.map((d) => {
        const r = (d.result ?? {}) as { decision?: string; reason?: string; signal?: { channelId?: string }; decidedAt?: string };
        // A decision to act is timed when it was final, not when triage returned (after StartExecution).
        const decidedAt = r.decidedAt === undefined ? Number.NaN : Date.parse(r.decidedAt);
        return {
          eventId: d.eventId,
          ok: d.ok,
          at: Number.isNaN(decidedAt) ? d.at : decidedAt,
          ...(r.decision ? { decision: r.decision } : {}),
          ...(r.reason ? { reason: r.reason } : {}),
          ...(r.signal?.channelId ? { channelId: r.signal.channelId } : {}),
          ...(d.error ? { error: `${d.error.name}: ${d.error.message}` } : {}),
        };
      }),
    rejected: () => sb.deadLetters.length,
    deadLetters: () => sb.deadLetters.map((d) => ({ eventId: d.event.id, reason: d.error.message })),
    notifications: () => sb.sns.messages.map((m) => ({ at: m.at, message: m.message, ...(m.subject ? { subject: m.subject } : {}) })),
    // Incidents only: a re-check (statemachines/recheck.asl.json) waits out a dwell and moves nothing itself.
    executions: () => sb.sfn.executions().filter((x) => x.stateMachineKey !== 'recheck').map(toExecution),
    ledger: async (channelId) => {
      const item = await ledger.get(channelId);
      return item.version === 0 ? null : item;
    },
    expireLock: async (channelId) => {
      // What a lock that ran out looks like: its expiry in the past, everything else as the holder left it.
      await awsClients('tool')
        .dynamoDoc()
        .send(
          new UpdateCommand({
            TableName: sb.dynamodb.tableName,
            Key: { channelId },
            ConditionExpression: '#phase IN (:failingOver, :failingBack)',
            UpdateExpression: 'SET #lockExpiresAt = :now',
            ExpressionAttributeNames: { '#phase': 'phase', '#lockExpiresAt': 'lockExpiresAt' },
            ExpressionAttributeValues: { ...LOCKED_PHASES, ':now': Date.now() },
          }),
        )
        .catch((err: unknown) => {
          if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
        });
    },
    stop: () => sb.stop(),
  };
}
