// A drill scenario is data: a timeline of faults applied to the sandbox and the expectations the drill
// must meet. Files live in sandbox/drill/scenarios/<name>.yml; this schema validates them, and every
// error names the file and the field.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidInputError } from '../../functions/domain/errors.js';
import { WorldOverridesSchema } from '../world-model.js';

export const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));

const side = z.enum(['primary', 'standby']);
const pipeline = z.union([z.literal(0), z.literal(1), z.literal('both')]);
const seconds = z.number().nonnegative();
/** What the control plane did for the scenario's channel: its first failover or failback started, succeeded or ended. */
export const MilestoneSchema = z.enum(['failover-started', 'failover-succeeded', 'failover-ended', 'failback-started', 'failback-succeeded', 'failback-ended']);
export type Milestone = z.infer<typeof MilestoneSchema>;
/**
 * Every action happens `at` seconds into the timeline, or `at` seconds after a milestone (`after`), to the
 * scenario's channel unless it names another.
 */
const when = { at: seconds, after: MilestoneSchema.optional(), channel: z.string().optional() };
/** Every expectation is about the scenario's channel unless it names another. */
const about = { channel: z.string().optional() };

/** One fault or operator action, applied `at` seconds after the warm-up (or after its milestone). */
export const ActionSchema = z.discriminatedUnion('action', [
  z.strictObject({ ...when, action: z.literal('fail-pipeline'), side, pipeline }),
  z.strictObject({ ...when, action: z.literal('recover-pipeline'), side, pipeline }),
  /** A MediaLive schedule PauseStateSettings action (the reversible game-day freeze); [] unpauses all. */
  z.strictObject({ ...when, action: z.literal('pause-pipelines'), side, pipelines: z.array(z.union([z.literal(0), z.literal(1)])) }),
  z.strictObject({ ...when, action: z.literal('packager-stall'), side, on: z.boolean().default(true) }),
  z.strictObject({ ...when, action: z.literal('standby-start-delay'), seconds }),
  z.strictObject({ ...when, action: z.literal('standby-start-fails'), state: z.enum(['CREATE_FAILED', 'IDLE']).default('CREATE_FAILED') }),
  z.strictObject({
    ...when,
    action: z.literal('aws-fault'),
    service: z.enum(['medialive', 'cloudfront', 'cloudfront-keyvaluestore', 'sns', 'events', 'states']).optional(),
    operation: z.string().optional(),
    region: z.string().optional(),
    mutating: z.boolean().optional(),
    kind: z.enum(['throttle', '5xx', '412', 'latency', 'error']),
    probability: z.number().min(0).max(1).optional(),
    count: z.number().int().positive().optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    errorCode: z.string().optional(),
    /** The HTTP status of an `error` fault (default 400), e.g. 403 for AccessDenied. */
    status: z.number().int().min(400).max(599).optional(),
  }),
  z.strictObject({ ...when, action: z.literal('clear-aws-faults') }),
  /**
   * Puts events on the sandbox bus: a file of events/ (or an inline event), `count` copies spread over
   * `overSeconds`. `{{channel}}`-style templating is not needed: the sample files name the example channels.
   */
  z.strictObject({
    ...when,
    action: z.literal('put-events'),
    files: z.array(z.string()).min(1),
    count: z.number().int().positive().default(1),
    overSeconds: seconds.default(0),
    /** The events' `time` is this many seconds before they are put: an event delivered that late, or an old one. */
    ageSeconds: seconds.optional(),
  }),
  /** The primary freezes and recovers every `periodSeconds` (half frozen, half producing) for `forSeconds`. */
  z.strictObject({ ...when, action: z.literal('flap'), side, periodSeconds: z.number().positive(), forSeconds: z.number().positive() }),
  /**
   * The channel's lock runs out now (its lockExpiresAt is set to the present), whatever its TTL: what happens
   * when an execution outlives its lock. The execution holding it keeps running.
   */
  z.strictObject({ ...when, action: z.literal('expire-lock') }),
  /** An operator asks for a failback (flatline.ops Failback Requested). */
  z.strictObject({
    ...when,
    action: z.literal('request-failback'),
    reason: z.string().default('drill: primary is back'),
    /** Fail back within the dwell of the last transition too (the request's `force: true`). */
    force: z.boolean().optional(),
  }),
  /** A whole region fails: its MediaLive output, its MediaPackage origin and its AWS APIs. */
  z.strictObject({ ...when, action: z.literal('region-down'), side }),
  z.strictObject({ ...when, action: z.literal('region-up'), side }),
  /**
   * A region blackholed: TCP connections to its AWS APIs and its origin are accepted and never answered
   * (unlike region-down, which fails fast). Its MediaLive output stops too. region-up ends it.
   */
  z.strictObject({ ...when, action: z.literal('region-blackhole'), side }),
  /**
   * The probe stops probing (a bad deploy, a throttled or failing Lambda): no Manifest Stale, no ManifestAge, no
   * Heartbeat from it. probe-up starts it again.
   */
  z.strictObject({ ...when, action: z.literal('probe-down') }),
  z.strictObject({ ...when, action: z.literal('probe-up') }),
  /** From now on, MediaLive's own events reach the bus best effort: delayed, dropped, duplicated. */
  z.strictObject({
    ...when,
    action: z.literal('medialive-events'),
    delaySeconds: z.tuple([seconds, seconds]).refine(([a, b]) => a <= b, 'min must be <= max'),
    dropProbability: z.number().min(0).max(1),
    duplicateProbability: z.number().min(0).max(1).default(0),
  }),
]);

/** What the drill must show; a failed expectation fails the drill. */
export const ExpectationSchema = z.discriminatedUnion('expect', [
  /** The edge serves fresh manifests from the standby within N target durations of the primary freezing. */
  z.strictObject({ ...about, expect: z.literal('failover'), withinTargetDurations: z.number().positive() }),
  z.strictObject({ ...about, expect: z.literal('no-failover') }),
  /** Failover executions started (by name: duplicates of one start count once). */
  z.strictObject({ ...about, expect: z.literal('executions'), action: z.enum(['failover', 'failback', 'any']).default('any'), min: z.number().int().nonnegative().optional(), max: z.number().int().nonnegative().optional() }),
  /** Execution outcomes: every execution of that action ended with this status. */
  z.strictObject({ ...about, expect: z.literal('execution-status'), action: z.enum(['failover', 'failback']), status: z.enum(['SUCCEEDED', 'FAILED']) }),
  /** The routing at the end of the drill. */
  z.strictObject({
    ...about,
    expect: z.literal('routing'),
    route: z.enum(['primary', 'standby']).optional(),
    slate: z.boolean().optional(),
    originGroupFirst: side.optional(),
  }),
  /** The standby's MediaLive channel state at the end. */
  z.strictObject({ ...about, expect: z.literal('standby-state'), state: z.string() }),
  /** An SNS notification whose subject or message matches (e.g. a page). */
  z.strictObject({ ...about, expect: z.literal('notified'), matching: z.string().optional(), min: z.number().int().positive().default(1) }),
  /** A page that names no channel (an ops alarm's action: a probe shard's heartbeat, the fleet's stale channels). */
  z.strictObject({ expect: z.literal('ops-paged'), matching: z.string().optional(), min: z.number().int().positive().default(1), channel: z.never().optional() }),
  /** No mutating AWS call and no execution at all. */
  z.strictObject({ ...about, expect: z.literal('zero-actions') }),
  /** Events triage rejected (they go to the dead-letter queue). */
  z.strictObject({ ...about, expect: z.literal('rejected-events'), min: z.number().int().nonnegative() }),
  /** No viewer stalled longer than N target durations, and at most this share of viewers stalled at all. */
  z.strictObject({ ...about, expect: z.literal('viewer-stall'), maxTargetDurations: z.number().positive(), maxShareStalled: z.number().min(0).max(1) }),
  /** The longest stall any viewer saw. */
  z.strictObject({ ...about, expect: z.literal('longest-stall'), maxTargetDurations: z.number().positive() }),
  /** The route never flipped more than `max` times (no ping-pong). */
  z.strictObject({ ...about, expect: z.literal('route-flips'), max: z.number().int().nonnegative() }),
  /** The ledger's onAir at the end. */
  z.strictObject({ ...about, expect: z.literal('on-air'), onAir: z.enum(['primary', 'standby', 'slate']) }),
  /** The invariants I1-I7 (sandbox/drill/invariants.ts), over every channel of the registry (so no `channel`); each is listed in the report. */
  z.strictObject({ expect: z.literal('invariants'), channel: z.never().optional() }),
]);

export const ScenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string(),
  description: z.string(),
  /** The registry channel the drill breaks (example registry). */
  channel: z.string().default('news-1'),
  viewers: z.number().int().nonnegative().default(1000),
  /**
   * Segment duration. 2 s by default: with the 1 s manifest TTL CloudFront can express (whole seconds), 2 s
   * segments keep the edge within MediaPackage's advice (TTL = half a segment), so a healthy edge never looks stale.
   */
  segmentSeconds: z.number().min(1).max(2).default(2),
  /** Seconds of healthy playback before the timeline starts. */
  warmupSeconds: z.number().nonnegative().default(3),
  /** The drill ends when every expectation holds and at least this long has passed since the start of the timeline... */
  minSeconds: z.number().nonnegative().default(0),
  /** ...or after this long, whichever comes first. */
  maxSeconds: z.number().positive().default(40),
  /** Registry policy overrides for the drilled channel (e.g. a short minDwellSeconds for failback). */
  policy: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  /** The world model the sandbox plays (sandbox/world-model.ts): realistic (default) or ideal. */
  world: z.enum(['realistic', 'ideal']).default('realistic'),
  /** Per-number overrides of the world model (e.g. kvsPropagationS: [5, 10]). */
  worldOverrides: WorldOverridesSchema.optional(),
  /** Seed of every random draw (faults, event delays and losses, KVS propagation): same seed, same run. */
  seed: z.number().int().nonnegative().default(1),
  /** MediaPackage v2 stale-manifest 404s on the origins (origin groups then fail over on their own). */
  staleManifest404: z.boolean().default(false),
  timeline: z.array(ActionSchema),
  expectations: z.array(ExpectationSchema).min(1),
});

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioAction = z.infer<typeof ActionSchema>;
export type Expectation = z.infer<typeof ExpectationSchema>;

export function parseScenario(doc: unknown, source: string): Scenario {
  const result = ScenarioSchema.safeParse(doc);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InvalidInputError(`scenario ${source} is invalid:\n${lines.join('\n')}`, { source });
  }
  return result.data;
}

/** Names of the scenarios shipped in sandbox/drill/scenarios/. */
export function listScenarios(dir = SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => basename(f).replace(/\.(ya?ml|json)$/, ''))
    .sort();
}

/** Loads a scenario by name (from sandbox/drill/scenarios/) or by path. */
export function loadScenario(nameOrPath: string, dir = SCENARIO_DIR): Scenario {
  const isPath = /[/\\]|\.(ya?ml|json)$/.test(nameOrPath);
  let path = nameOrPath;
  if (!isPath) {
    const file = readdirSync(dir).find((f) => f.replace(/\.(ya?ml|json)$/, '') === nameOrPath);
    if (!file) throw new InvalidInputError(`unknown scenario "${nameOrPath}"; known: ${listScenarios(dir).join(', ')}`, { scenario: nameOrPath });
    path = join(dir, file);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`cannot read scenario ${path}: ${(err as Error).message}`, { path });
  }
  let doc: unknown;
  try {
    doc = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new InvalidInputError(`scenario ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`, { path });
  }
  return parseScenario(doc, path);
}
