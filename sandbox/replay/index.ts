// `flatline replay`: one event, replayed against the same sandbox the drills use (wire-level AWS, the media
// world, the real edge function, the real triage, the real state machines). It reports what triage decided
// and why, and for an execution the timeline of its steps read back through GetExecutionHistory (the real
// Step Functions API), ending with the resulting routing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetExecutionHistoryCommand, ListExecutionsCommand, ListStateMachinesCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import type { Change, LedgerItem, Signal } from '../../functions/domain/contracts.js';
import { InvalidInputError } from '../../functions/domain/errors.js';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import type { Channel, Registry } from '../../functions/domain/registry/index.js';
import { edgeKey, storedEdgeState, type Route } from '../../functions/domain/routing-keys.js';
import { toSignal } from '../../functions/domain/triage/index.js';
import { REPO_ROOT } from '../drill/actions.js';
import type { DrillDecision, DrillExecution, DrillSandbox } from '../drill/seams.js';
import { startDrillRig, type DrillRig } from '../drill/drill-rig.js';
import { targetDurationS } from '../media/hls.js';
import { ACCOUNT_ID } from '../aws/wire.js';
import { everyState, type Definition } from '../aws/state-machine-runner.js';

export interface ReplayOptions {
  /** Dry run: triage and the state machine run in plan mode and change nothing. */
  plan?: boolean;
  /**
   * 'event' (default): before the event is replayed, the sandbox is made to match what it says (a pipeline
   * alert fails that pipeline, an outage signal freezes that side), so confirmation sees the same world.
   * 'healthy': the world stays healthy, which shows how triage treats a stale or duplicated event.
   */
  world?: 'event' | 'healthy';
  registryPath?: string;
  segmentMs?: number;
  /** Upper bound for the executions to end. */
  timeoutMs?: number;
  onProgress?: (message: string) => void;
}

export interface ReplayStep {
  state: string;
  type: string;
  durationMs: number;
  /** The step's StepReport changes, when the state is a step Task. */
  changes: Change[];
  observed?: unknown;
  error?: string;
  retries: number;
}

export interface ReplayExecution {
  name: string;
  action: string;
  status: string;
  error?: string;
  steps: ReplayStep[];
}

export interface Routing {
  /** The KVS edge:<id> value (null = absent). */
  edge: string | null;
  /** The route it holds; null when the key is absent (= primary). */
  route: Route | null;
  slate: boolean;
  /** null: the channel has no origin group. */
  originOrder: readonly [string, string] | null;
  ledger: Pick<LedgerItem, 'onAir' | 'phase' | 'incidentId'> | null;
}

export interface ReplayResult {
  signal: Signal;
  worldChange: string | null;
  decision: DrillDecision | null;
  executions: ReplayExecution[];
  routing: { before: Routing; after: Routing };
  /** Successful calls that changed a channel, the routing or paged someone (plan mode makes none). */
  mutatingCalls: number;
  notifications: Array<{ subject?: string; message: string }>;
}

/** Reads and validates an event file: an unreadable, non-JSON or invalid event is an InvalidInputError. */
export function readEventFile(path: string, registry: Registry): { event: Record<string, unknown>; signal: Signal; channel: Channel } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`cannot read ${path}: ${(err as Error).message}`, { path });
  }
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`${path} is not JSON: ${(err as Error).message}`, { path });
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidInputError(`${path}: an EventBridge event is a JSON object`, { path });
  }
  // The replay runs in the sandbox: its channels live in the sandbox's account, as serverless.yml tells triage.
  const { signal, channel } = toSignal(event, { registry, stage: process.env.FLATLINE_STAGE ?? 'example', account: ACCOUNT_ID });
  return { event: event as Record<string, unknown>, signal, channel };
}

/** Services through which flatline changes the world (channels, routing, pages); its own ledger and executions are not counted. */
const ACTING_SERVICES = new Set(['medialive', 'cloudfront', 'cloudfront-keyvaluestore', 'sns']);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Makes the sandbox's channels say what the signal says; returns a description, or null when nothing applies. */
function applySignalToWorld(sandbox: DrillSandbox, channel: Channel, signal: Signal): string | null {
  if (signal.severity === 'info' || !signal.side) return null;
  if (signal.source === 'flatline.ops') return null;
  const side = channel[signal.side];
  const sim = sandbox.channel(side.region, side.channelId);
  if (signal.pipeline) {
    sim.setPipelineHealthy(signal.pipeline, false);
    return `pipeline ${signal.pipeline} of the ${signal.side} (${side.region} ${side.channelId}) failed`;
  }
  for (const p of sim.pipelines) sim.setPipelineHealthy(p.id, false);
  return `both pipelines of the ${signal.side} (${side.region} ${side.channelId}) failed: its manifests freeze`;
}

async function routing(sandbox: DrillSandbox, channel: Channel): Promise<Routing> {
  const item = await sandbox.ledger(channel.id);
  const edge = sandbox.kvsGet(channel.edge.kvsArn, edgeKey(channel.id));
  return {
    edge: edge ?? null,
    route: edge === undefined ? null : storedEdgeState(edge).route,
    slate: storedEdgeState(edge).slate,
    originOrder: channel.edge.originGroupId === undefined ? null : sandbox.originOrder(channel.edge.distributionId, channel.edge.originGroupId),
    ledger: item ? { onAir: item.onAir, phase: item.phase, ...(item.incidentId ? { incidentId: item.incidentId } : {}) } : null,
  };
}

/** The ResultPath of every Task state, from the ASL files, to find each step's report in the state output. */
function taskResultPaths(): Map<string, string> {
  const paths = new Map<string, string>();
  for (const file of ['failover.asl.json', 'failback.asl.json']) {
    const def = JSON.parse(readFileSync(join(REPO_ROOT, 'statemachines', file), 'utf8')) as Definition;
    for (const [name, state] of Object.entries(everyState(def))) if (state.Type === 'Task' && typeof state.ResultPath === 'string') paths.set(name, state.ResultPath);
  }
  return paths;
}

function atPath(value: unknown, jsonPath: string): unknown {
  let v = value;
  for (const key of jsonPath.replace(/^\$\.?/, '').split('.').filter(Boolean)) v = (v as Record<string, unknown> | undefined)?.[key];
  return v;
}

/** The step timeline of one execution, read back through GetExecutionHistory. */
async function executionTimeline(execution: DrillExecution, executionArn: string, resultPaths: Map<string, string>): Promise<ReplayExecution> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsClients('tool').sfn().send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);

  const steps: ReplayStep[] = [];
  const open = new Map<string, { at: number; type: string; retries: number; error?: string }>();
  for (const e of events) {
    const at = e.timestamp ? new Date(e.timestamp).getTime() : 0;
    if (e.stateEnteredEventDetails?.name) {
      open.set(e.stateEnteredEventDetails.name, { at, type: (e.type ?? '').replace(/StateEntered$/, ''), retries: 0 });
    } else if (e.stateExitedEventDetails?.name) {
      const name = e.stateExitedEventDetails.name;
      const entered = open.get(name);
      open.delete(name);
      const type = (e.type ?? '').replace(/StateExited$/, '');
      if (type !== 'Task') continue;
      const output = e.stateExitedEventDetails.output ? (JSON.parse(e.stateExitedEventDetails.output) as unknown) : undefined;
      const resultPath = resultPaths.get(name);
      const report = resultPath ? (atPath(output, resultPath) as { changes?: Change[]; observed?: unknown } | undefined) : undefined;
      steps.push({
        state: name,
        type,
        durationMs: entered ? at - entered.at : 0,
        changes: Array.isArray(report?.changes) ? report.changes : [],
        ...(report?.observed !== undefined ? { observed: report.observed } : {}),
        ...(entered?.error ? { error: entered.error } : {}),
        retries: entered?.retries ?? 0,
      });
    } else if (e.type === 'TaskFailed' || e.type === 'LambdaFunctionFailed') {
      const d = e.taskFailedEventDetails ?? e.lambdaFunctionFailedEventDetails;
      const last = [...open.values()].pop();
      if (last && d?.error) {
        last.retries++;
        last.error = d.error;
      }
    }
  }
  // A Task that failed for good is never exited: report it too.
  for (const [name, o] of open) if (o.type === 'Task') steps.push({ state: name, type: o.type, durationMs: 0, changes: [], retries: o.retries, ...(o.error ? { error: o.error } : {}) });
  return { name: execution.name, action: execution.action, status: execution.status, ...(execution.error ? { error: execution.error } : {}), steps };
}

/** Execution ARNs by name, found through the Step Functions API as an operator's tooling would. */
async function executionArnsByName(): Promise<Map<string, string>> {
  const arns = new Map<string, string>();
  const machines = await awsClients('tool').sfn().send(new ListStateMachinesCommand({}));
  for (const m of machines.stateMachines ?? []) {
    const list = await awsClients('tool').sfn().send(new ListExecutionsCommand({ stateMachineArn: m.stateMachineArn }));
    for (const e of list.executions ?? []) if (e.name && e.executionArn) arns.set(e.name, e.executionArn);
  }
  return arns;
}

export async function replay(eventPath: string, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const say = opts.onProgress ?? ((): void => undefined);
  const registry = readRegistryFile(opts.registryPath ?? join(REPO_ROOT, 'config/registry.example.yml'));
  const { event, signal, channel } = readEventFile(eventPath, registry);
  const segmentMs = opts.segmentMs ?? 1000;
  const td = targetDurationS(segmentMs);

  const savedEnv = { FLATLINE_MODE: process.env.FLATLINE_MODE };
  if (opts.plan) process.env.FLATLINE_MODE = 'plan';
  let env: DrillRig | undefined;
  try {
    say('starting the sandbox (AWS wire protocols, media world, edge function)');
    // SimChannel changes are not published as events here: the replayed event is the only input.
    env = await startDrillRig(registry, { feed: { segmentMs, windowSegments: 8 }, sandbox: { publishMediaLiveEvents: false } });
    const sb = env.sandbox;
    const before = await routing(sb, channel);

    let worldChange: string | null = null;
    if ((opts.world ?? 'event') === 'event') {
      worldChange = applySignalToWorld(sb, channel, signal);
      if (worldChange) {
        say(`world: ${worldChange}`);
        // Long enough for the frozen manifests to be stale by the channel's own threshold.
        await sleep((channel.policy.staleAfterTargetDurations + 1) * td * 1000);
      }
    }

    say(`replaying ${String(event.source)} "${String(event['detail-type'])}" for ${channel.id}`);
    sb.putEvents([
      {
        source: String(event.source),
        detailType: String(event['detail-type']),
        detail: event.detail as Record<string, unknown>,
        ...(Array.isArray(event.resources) ? { resources: event.resources as string[] } : {}),
        ...(typeof event.region === 'string' ? { region: event.region } : {}),
      },
    ]);
    await sb.idle();
    const decision = sb.decisions().at(-1) ?? null;

    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    while (sb.executions().some((x) => x.status === 'RUNNING') && Date.now() < deadline) await sleep(100);
    const resultPaths = taskResultPaths();
    const arns = await executionArnsByName();
    const executions: ReplayExecution[] = [];
    for (const x of sb.executions()) {
      const executionArn = arns.get(x.name);
      if (executionArn) executions.push(await executionTimeline(x, executionArn, resultPaths));
    }
    const after = await routing(sb, channel);
    return {
      signal,
      worldChange,
      decision,
      executions,
      routing: { before, after },
      mutatingCalls: sb.calls().filter((c) => c.mutating && c.status < 300 && ACTING_SERVICES.has(c.service)).length,
      notifications: sb.notifications().map((n) => ({ message: n.message, ...(n.subject ? { subject: n.subject } : {}) })),
    };
  } finally {
    await env?.close();
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
