// The testbed the state machine tests (and bench/failover.bench.ts) run in: the AWS sandbox (wire-level
// MediaLive/CloudFront/KVS/SNS + dynalite), a loopback live HLS origin serving every manifest URL of the
// registry (primary, standby and edge per channel, each of which can be frozen), the example registry
// re-pointed at that origin, and the real ASL run by aws-local-stepfunctions with the real step handlers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parse, stringify } from 'yaml';
import type { ExecutionAction, ExecutionInput, ExecutionTiming, Mode, Signal } from '../../functions/domain/contracts.js';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { Ledger } from '../../functions/domain/ledger/ledger.js';
import { parseRegistry, type Channel, type Registry } from '../../functions/domain/registry/index.js';
import { startAwsSandbox, type AwsSandbox } from '../aws/index.js';
import { buildLocalStateMachine, type LocalStateMachine } from '../aws/state-machine-runner.js';
import { LiveOrigin } from './live-origin.js';

export const TOPIC_ARN = 'arn:aws:sns:us-west-2:123456789012:flatline-test-notify';
export const LEDGER_TABLE = 'flatline-test-ledger';
const EXAMPLE_REGISTRY = new URL('../../config/registry.example.yml', import.meta.url);

export type Path = 'primary' | 'standby' | 'edge';
/** aws-local-stepfunctions does not export its EventLog type: take it from run()'s event generator. */
export type EventLog = ReturnType<LocalStateMachine['machine']['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface Testbed {
  sandbox: AwsSandbox;
  origin: LiveOrigin;
  registry: Registry;
  ledger: Ledger;
  channel(id: string): Channel;
  /** Freezes (stale) or unfreezes (fresh) one manifest path of a channel. */
  freeze(channelId: string, path: Path, frozen?: boolean): void;
  machines: Record<ExecutionAction, LocalStateMachine>;
  /** What a test asserts on, for one registry channel: its KVS keys, its origin group order, the calls made. */
  kvs(id: string): Record<string, string>;
  /** null: the channel has no origin group. */
  originOrder(id: string): readonly [string, string] | null;
  calls(operation: string): AwsSandbox['calls'];
  primaryFirst(id: string): string[];
  standbyFirst(id: string): string[];
  stop(): Promise<void>;
}

export interface RunResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: Record<string, unknown>;
  error?: string;
  cause?: string;
  events: EventLog[];
  /** Task state names in the order they were entered (retries included once per entry). */
  tasks: string[];
  incidentId: string;
}

const streamOf = (channelId: string, path: Path): string => `${channelId}/${path}`;

type RegistryDocument = { local?: boolean; channels: Array<Record<string, Record<string, unknown>>> };

/**
 * The example registry with every manifest URL served by `origin` (http on loopback: a local registry);
 * `edit` changes the document before it is validated (e.g. a channel without an origin group).
 */
export function registryFor(origin: LiveOrigin, edit: (doc: RegistryDocument) => void = () => {}): Registry {
  const doc = parse(readFileSync(EXAMPLE_REGISTRY, 'utf8')) as RegistryDocument;
  doc.local = true;
  edit(doc);
  for (const c of doc.channels) {
    const id = c.id as unknown as string;
    for (const path of ['primary', 'standby', 'edge'] as const) c[path]!.manifestUrl = origin.url(streamOf(id, path));
  }
  return parseRegistry(doc, 'test registry');
}

let machines: Record<ExecutionAction, LocalStateMachine> | undefined;
/** Built once per process: constructing a StateMachine validates the definition (~140 ms). */
function localMachines(): Record<ExecutionAction, LocalStateMachine> {
  machines ??= { failover: buildLocalStateMachine('failover'), failback: buildLocalStateMachine('failback') };
  return machines;
}

export async function startTestbed(opts: { seed?: number; edit?: (doc: RegistryDocument) => void } = {}): Promise<Testbed> {
  // Few renditions keep each freshness check to three loopback fetches.
  const origin = new LiveOrigin({ segmentS: 1, renditions: ['720p', '360p'] });
  await origin.start();
  const registry = registryFor(origin, opts.edit);
  const dir = mkdtempSync(join(tmpdir(), 'flatline-sm-'));
  const registryFile = join(dir, 'registry.yml');
  writeFileSync(registryFile, stringify(registry));
  const sandbox = await startAwsSandbox({
    registry,
    registryPath: registryFile,
    ledgerTable: LEDGER_TABLE,
    notifyTopicArn: TOPIC_ARN,
    seed: opts.seed ?? 7,
    // These tests drive the state machines directly: no serverless.yml (no EventBridge routing to triage,
    // no sandbox-run executions) and no MediaLive events.
    serverlessPath: false,
    medialive: { publishEvents: false },
  });
  sandbox.applyEnv();
  const ledger = new Ledger({ tableName: LEDGER_TABLE, client: awsClients('tool').dynamoDoc() });
  const channel = (id: string): Channel => registry.channels.find((c) => c.id === id)!;
  return {
    sandbox,
    origin,
    registry,
    ledger,
    get machines() {
      return localMachines();
    },
    channel,
    kvs: (id) => sandbox.kvs.snapshot(channel(id).edge.kvsArn),
    originOrder: (id) => {
      const { distributionId, originGroupId } = channel(id).edge;
      return originGroupId === undefined ? null : sandbox.cloudfront.originOrder(distributionId, originGroupId);
    },
    calls: (operation) => sandbox.calls.filter((c) => c.operation === operation),
    primaryFirst: (id) => [channel(id).primary.originId, channel(id).standby.originId],
    standbyFirst: (id) => [channel(id).standby.originId, channel(id).primary.originId],
    freeze: (channelId, path, frozen = true) => {
      if (frozen) origin.set(streamOf(channelId, path), { stallAt: Date.now() - 30_000 });
      else origin.clear(streamOf(channelId, path));
    },
    stop: async () => {
      sandbox.restoreEnv();
      await sandbox.stop();
      await origin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunOptions {
  mode?: Mode;
  timing?: ExecutionTiming;
  /** Take the ledger lock first, as triage does (default true). */
  acquire?: boolean;
  requestedAt?: string;
  /** The triggering signal (default: the probe's manifest-stale outage), e.g. an operator's request. */
  signal?: Omit<Signal, 'channelId' | 'dedupeKey'>;
  /** A failback because the standby on air is down (triage sets it). */
  standbyDown?: boolean;
}

/** Runs one execution of the real ASL (waits and retry intervals shortened) and collects its event log. */
export async function run(bed: Testbed, action: ExecutionAction, channelId: string, opts: RunOptions = {}): Promise<RunResult> {
  const incidentId = `test-${randomUUID().slice(0, 8)}`;
  if (opts.acquire !== false) {
    const lock = await bed.ledger.acquire({ channelId, incidentId, action, ttlMs: 600_000 });
    if (!lock.acquired) throw new Error(`lock not acquired: ${lock.reason}`);
  }
  const input: ExecutionInput = {
    incidentId,
    channelId,
    action,
    reason: 'test',
    mode: opts.mode ?? 'live',
    requestedAt: opts.requestedAt ?? new Date().toISOString(),
    signal: { kind: 'manifest-stale', severity: 'outage', at: new Date().toISOString(), source: 'flatline.probe', ...opts.signal, channelId, dedupeKey: incidentId },
    timing: { pollSeconds: 1, edgeVerifyAttempts: 5, ...opts.timing },
    ...(opts.standbyDown ? { standbyDown: true } : {}),
  };
  const local = bed.machines[action];
  const exec = local.machine.run(input as never, local.runOptions({ waitMs: 5, retryMs: 5 }));
  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const e of exec.eventLogs) events.push(e);
  })();
  let result: RunResult;
  try {
    const output = (await exec.result) as Record<string, unknown>;
    result = { status: 'SUCCEEDED', output, events, tasks: [], incidentId };
  } catch (err) {
    const cause = (err as { cause?: { name?: string; message?: string } }).cause;
    result = { status: 'FAILED', error: cause?.name, cause: cause?.message, events, tasks: [], incidentId };
  }
  await collecting;
  result.tasks = events
    .filter((e) => e.type === 'StateEntered' && (e as { state: { type: string } }).state.type === 'Task')
    .map((e) => (e as { state: { name: string } }).state.name);
  return result;
}

/** The step reports an execution collected under $.steps (from the last event that carried them). */
export function stepsOf(result: RunResult): Record<string, { changes?: Array<{ resource: string; applied: boolean }>; observed?: Record<string, unknown> }> {
  if (result.output) return result.output.steps as never;
  for (let i = result.events.length - 1; i >= 0; i--) {
    const e = result.events[i] as { state?: { output?: { steps?: unknown }; input?: { steps?: unknown } } };
    const steps = e.state?.output?.steps ?? e.state?.input?.steps;
    if (steps) return steps as never;
  }
  return {};
}
