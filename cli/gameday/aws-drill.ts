// A real game day: `flatline drill --aws --stage <stage> --channel <id> --scenario primary-flatline`.
// Freezes the real primary by pausing both pipelines through the channel schedule (PauseStateSettings:
// reversible, the channel keeps running), watches the deployed probe and failover state machine, measures
// detection and recovery from the edge URL, and ALWAYS unpauses at the end: on success, on error, on
// timeout, on Ctrl-C and on SIGTERM. It refuses unless the channel carries the tag flatline:drill=allowed
// and --yes is given; --plan prints what it would do and calls nothing.
// The same code runs against the embedded sandbox in the tests (its MediaLive supports schedule pause and tags).
import { BatchUpdateScheduleCommand, DescribeChannelCommand, ListTagsForResourceCommand, type PipelinePauseStateSettings } from '@aws-sdk/client-medialive';
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { awsClients } from '../../functions/lib/aws-client-set.js';
import { FlatlineError, InvalidInputError } from '../../functions/domain/errors.js';
import { checkManifestFreshness } from '../../functions/domain/manifest/index.js';
import { readRegistryFile, registrySourcePath } from '../../functions/domain/registry/file.js';
import { getChannel, type Channel, type Registry } from '../../functions/domain/registry/index.js';
import { parseDuration } from '../args.js';
import { formatSummary, type DrillReport, type Marker, type MarkerKind, type SeriesPoint } from '../../sandbox/drill/report.js';
import { renderHtml } from '../../sandbox/drill/html.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// The same tag triage checks for a Drill Requested (functions/domain/triage/drill-tag.ts).
import { DRILL_TAG, DRILL_TAG_VALUE } from '../../functions/domain/triage/drill-tag.js';
export { DRILL_TAG, DRILL_TAG_VALUE };

export class DrillRefusedError extends FlatlineError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('Flatline.DrillRefused', message, context);
  }
}

export interface AwsDrillOptions {
  registry: Registry;
  channelId: string;
  stage: string;
  /** Confirmation that a real channel may be frozen. */
  yes: boolean;
  /** Give up (and unpause) after this long. */
  timeoutMs?: number;
  pollMs?: number;
  /** The failover state machine (default: derived from the stage and the channel's account/control region). */
  stateMachineArn?: string;
  /** Control-plane region (where the state machine lives); default AWS_REGION or the standby's region. */
  region?: string;
  log?: (line: string) => void;
  /** Registers the signal handlers; tests pass a fake process to raise SIGINT. */
  signals?: Pick<NodeJS.Process, 'once' | 'off'>;
}

/** What the drill would do, in order (printed by --plan, and before a real run). */
export function awsDrillPlan(channel: Channel, stage: string): string[] {
  const p = channel.primary;
  return [
    `check that MediaLive channel ${p.channelId} (${p.region}, primary of ${channel.id}) carries the tag ${DRILL_TAG}=${DRILL_TAG_VALUE}`,
    `pause both pipelines of ${p.channelId} now: BatchUpdateSchedule PauseStateSettings [PIPELINE_0, PIPELINE_1] (the channel keeps running; its output freezes)`,
    `watch the manifest age of the edge ${channel.edge.manifestUrl}, the primary and the standby origins, and the flatline-${stage}-failover executions for ${channel.id}`,
    `stop when viewers are back on fresh manifests at the edge and the failover execution ended (or at the timeout)`,
    `ALWAYS unpause: BatchUpdateSchedule PauseStateSettings [{}] on ${p.channelId} (also on Ctrl-C, SIGTERM and errors)`,
    `report detection and recovery time in seconds and in target durations`,
  ];
}

/**
 * MediaLive's documented "unpause all": `"Pipelines": [{}]` (it pauses the listed pipelines and unpauses all
 * others). The SDK types PipelineId as required, hence the cast.
 */
const UNPAUSE_ALL = [{}] as unknown as PipelinePauseStateSettings[];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function pause(channel: Channel, pipelines: Array<'PIPELINE_0' | 'PIPELINE_1'>, tag: string): Promise<void> {
  const p = channel.primary;
  await awsClients('tool').mediaLive(p.region).send(
    new BatchUpdateScheduleCommand({
      ChannelId: p.channelId,
      Creates: {
        ScheduleActions: [
          {
            ActionName: `flatline-drill-${tag}-${Date.now()}`,
            ScheduleActionStartSettings: { ImmediateModeScheduleActionStartSettings: {} },
            ScheduleActionSettings: { PauseStateSettings: { Pipelines: pipelines.length ? pipelines.map((id) => ({ PipelineId: id })) : UNPAUSE_ALL } },
          },
        ],
      },
    }),
  );
}

export async function runAwsDrill(opts: AwsDrillOptions): Promise<DrillReport> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const channel = getChannel(opts.registry, opts.channelId);
  const p = channel.primary;
  const ml = awsClients('tool').mediaLive(p.region);
  const described = await ml.send(new DescribeChannelCommand({ ChannelId: p.channelId }));
  if (!described.Arn) throw new DrillRefusedError(`MediaLive channel ${p.channelId} in ${p.region} has no ARN`, { channelId: p.channelId });
  const { Tags: tags = {} } = await ml.send(new ListTagsForResourceCommand({ ResourceArn: described.Arn }));
  if (tags[DRILL_TAG] !== DRILL_TAG_VALUE) {
    throw new DrillRefusedError(`refusing: MediaLive channel ${p.channelId} (${channel.id} primary) does not carry the tag ${DRILL_TAG}=${DRILL_TAG_VALUE}`, { arn: described.Arn });
  }
  if (!opts.yes) throw new DrillRefusedError(`refusing: this freezes the real channel ${channel.id}; add --yes to confirm`, { channelId: channel.id });

  const account = described.Arn.split(':')[4];
  const region = opts.region ?? process.env.AWS_REGION ?? channel.standby.region;
  const machineArn = opts.stateMachineArn ?? process.env.FAILOVER_STATE_MACHINE_ARN ?? `arn:aws:states:${region}:${account}:stateMachine:flatline-${opts.stage}-failover`;
  const staleAfter = channel.policy.staleAfterTargetDurations;
  const pollMs = opts.pollMs ?? 1000;
  const series: SeriesPoint[] = [];
  const markers: Marker[] = [];
  const t0 = Date.now();
  const tOf = (ms: number): number => (ms - t0) / 1000;
  const mark = (kind: MarkerKind, label: string, detail?: string, at = Date.now()): void => {
    markers.push({ t: tOf(at), kind, label, ...(detail ? { detail } : {}) });
  };

  // The unpause runs exactly once, whatever ends the drill.
  let unpaused: Promise<void> | undefined;
  const unpause = (why: string): Promise<void> => {
    unpaused ??= pause(channel, [], 'unpause').then(
      () => {
        mark('fault', `unpaused both pipelines (${why})`);
        log(`drill: unpaused ${p.channelId} (${why})`);
      },
      (err: unknown) => log(`drill: UNPAUSE FAILED for ${p.channelId}: ${(err as Error).message} — unpause it by hand: aws medialive batch-update-schedule --channel-id ${p.channelId} --creates '{"ScheduleActions":[{"ActionName":"unpause","ScheduleActionStartSettings":{"ImmediateModeScheduleActionStartSettings":{}},"ScheduleActionSettings":{"PauseStateSettings":{"Pipelines":[{}]}}}]}'`),
    );
    return unpaused;
  };
  let interrupted: string | undefined;
  const signals = opts.signals ?? process;
  const onSignal = (sig: NodeJS.Signals) => (): void => {
    interrupted = sig;
    // A signal handler cannot wait: the drill's own cleanup awaits the same (memoized) unpause, and unpause
    // never rejects (a failure is logged with the command that unpauses by hand).
    void unpause(sig);
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  signals.once('SIGINT', onInt);
  signals.once('SIGTERM', onTerm);

  let error: string | undefined;
  let freezeT: number | null = null;
  let targetDurationS = 0;
  let detectT: number | null = null;
  let recoverT: number | null = null;
  const executions = new Map<string, { status: string; startedAt: number }>();
  try {
    await pause(channel, ['PIPELINE_0', 'PIPELINE_1'], 'pause');
    mark('fault', `paused both pipelines of ${p.channelId} (${p.region})`);
    log(`drill: paused both pipelines of ${p.channelId}; watching ${channel.edge.manifestUrl}`);
    const deadline = t0 + (opts.timeoutMs ?? 300_000);
    while (!interrupted && Date.now() < deadline) {
      const [edge, primary, standby] = await Promise.all(
        [channel.edge.manifestUrl, p.manifestUrl, channel.standby.manifestUrl].map((url) => checkManifestFreshness(url, { staleAfterTargetDurations: staleAfter, timeoutMs: 2000 })),
      );
      const now = Date.now();
      const age = (v: typeof edge): number | null => (v!.ageMs === null ? null : v!.ageMs / 1000);
      targetDurationS ||= edge!.targetDuration ?? primary!.targetDuration ?? 0;
      const thresholdS = staleAfter * (targetDurationS || 1);
      // The freeze: the wall-clock end of the primary's newest media, read once the primary is stale.
      const primaryEnd = primary!.ageMs === null ? null : now - primary!.ageMs;
      if (freezeT === null && primaryEnd !== null && !primary!.fresh) freezeT = tOf(primaryEnd);
      series.push({ t: tOf(now), edgeAgeS: age(edge), primaryAgeS: age(primary), standbyAgeS: age(standby), stalledShare: 0, slateShare: 0 });

      const listed = await awsClients('tool').sfn().send(new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 20 }));
      for (const x of listed.executions ?? []) {
        if (!x.name?.startsWith(`${channel.id}-`) || !x.startDate || x.startDate.getTime() < t0 - 1000) continue;
        const seen = executions.get(x.name);
        if (!seen) {
          mark('execution', 'failover started', x.name, x.startDate.getTime());
          detectT ??= tOf(x.startDate.getTime());
        }
        let status = x.status ?? 'RUNNING';
        if (status === 'RUNNING' && x.executionArn) status = (await awsClients('tool').sfn().send(new DescribeExecutionCommand({ executionArn: x.executionArn }))).status ?? status;
        if (seen && seen.status !== status) mark('execution', `failover ${status}`, x.name);
        executions.set(x.name, { status, startedAt: x.startDate.getTime() });
      }
      const edgeEnd = edge!.ageMs === null ? null : tOf(now - edge!.ageMs);
      if (recoverT === null && freezeT !== null && edgeEnd !== null && edgeEnd > freezeT && edge!.ageMs! / 1000 <= thresholdS) {
        recoverT = tOf(now);
        mark('route', 'edge fresh again', `edge age ${(edge!.ageMs! / 1000).toFixed(1)} s`);
      }
      log(`[${tOf(now).toFixed(1).padStart(5)}s] edge ${age(edge)?.toFixed(1) ?? '-'}s primary ${age(primary)?.toFixed(1) ?? '-'}s standby ${age(standby)?.toFixed(1) ?? '-'}s executions ${[...executions.values()].map((e) => e.status).join(',') || '-'}`);
      const done = recoverT !== null && [...executions.values()].some((e) => e.status !== 'RUNNING');
      if (done) break;
      await sleep(pollMs);
    }
    if (interrupted) error = `interrupted by ${interrupted}`;
    else if (recoverT === null) error = 'timed out before viewers were back on fresh manifests';
  } catch (err) {
    error = (err as Error).message;
  } finally {
    await unpause(error ? 'drill ended with an error' : 'drill done');
    signals.off('SIGINT', onInt);
    signals.off('SIGTERM', onTerm);
  }

  const td = targetDurationS || 1;
  const thresholdS = staleAfter * td;
  const timeToDetectS = freezeT !== null && detectT !== null ? detectT - freezeT : null;
  const timeToRecoverS = freezeT !== null && recoverT !== null ? recoverT - freezeT : null;
  const succeeded = [...executions.values()].some((e) => e.status === 'SUCCEEDED');
  const expectations = [
    { expectation: 'viewers back on fresh manifests from the standby within 4 target durations', pass: timeToRecoverS !== null && timeToRecoverS / td <= 4, detail: timeToRecoverS === null ? 'not recovered' : `${(timeToRecoverS / td).toFixed(1)} target durations` },
    { expectation: 'exactly 1 failover execution, SUCCEEDED', pass: executions.size === 1 && succeeded, detail: [...executions.values()].map((e) => e.status).join(', ') || 'none' },
  ];
  return {
    scenario: { name: 'primary-flatline', title: `Game day on ${opts.stage}: freeze the primary of ${channel.id}`, description: 'Both pipelines of the real primary paused through the channel schedule, then unpaused.' },
    channelId: channel.id,
    mode: 'aws',
    startedAt: new Date(t0).toISOString(),
    targetDurationS: td,
    thresholdS,
    probeTickS: pollMs / 1000,
    freezeT,
    series,
    markers,
    summary: {
      timeToDetectS,
      timeToDetectTD: timeToDetectS === null ? null : timeToDetectS / td,
      timeToRecoverS,
      timeToRecoverTD: timeToRecoverS === null ? null : timeToRecoverS / td,
      longestStallS: 0,
      longestStallTD: 0,
      rebufferRatio: 0,
      viewers: 0,
      viewersStalled: 0,
      executions: { failover: executions.size, failback: 0 },
      executionOutcomes: [...executions].map(([name, e]) => ({ name, action: 'failover', status: e.status })),
      awsCalls: {},
      mutatingCalls: 2,
      eventsPut: 0,
      rejectedEvents: 0,
      notifications: 0,
      routeFlips: 0,
      final: { route: '-', slate: false, originGroupFirst: '-', onAir: null, standbyState: '-' },
      wallSeconds: (Date.now() - t0) / 1000,
      goals: [],
    },
    expectations,
    passed: !error && expectations.every((e) => e.pass),
    ...(error ? { error } : {}),
  };
}

/** The CLI side of `flatline drill --aws`. */
export async function runAwsDrillCommand(values: { stage?: string | undefined; channel?: string | undefined; scenario?: string | undefined; yes?: boolean | undefined; plan?: boolean | undefined; timeout?: string | undefined; region?: string | undefined; json?: string | undefined; html?: string | undefined }): Promise<number> {
  if (!values.stage || !values.channel) throw new InvalidInputError('flatline drill --aws needs --stage <stage> and --channel <id>');
  if ((values.scenario ?? 'primary-flatline') !== 'primary-flatline') throw new InvalidInputError('flatline drill --aws runs the primary-flatline scenario only');
  const registry = readRegistryFile(registrySourcePath({ ...process.env, FLATLINE_STAGE: values.stage }));
  const channel = getChannel(registry, values.channel);
  const plan = awsDrillPlan(channel, values.stage);
  if (values.plan) {
    console.log(`flatline drill --aws plan (nothing is called):\n${plan.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}`);
    return 0;
  }
  try {
    const report = await runAwsDrill({
      registry,
      channelId: channel.id,
      stage: values.stage,
      yes: values.yes === true,
      ...(values.timeout ? { timeoutMs: parseDuration(values.timeout, '--timeout') } : {}),
      ...(values.region ? { region: values.region } : {}),
    });
    console.log(formatSummary(report));
    for (const [file, text] of [[values.json, `${JSON.stringify(report, null, 2)}\n`], [values.html, renderHtml(report)]] as const) {
      if (!file) continue;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    return report.passed ? 0 : 1;
  } catch (err) {
    if (err instanceof DrillRefusedError) {
      console.error(err.message);
      return 3;
    }
    throw err;
  }
}
