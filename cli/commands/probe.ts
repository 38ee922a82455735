// `flatline probe <url|channel-id> [--interval 2s] [--once] [--ticks n] [--registry file] [--json]`
// `flatline probe --shard i/n [...]`
// Watches a stream (every rendition of a multivariant playlist) or a registry channel (edge, primary origin,
// standby origin) and shows a live table: path, rendition, age, media sequence, status, problems. --shard
// watches every channel of one probe shard, a line each: what a shard's probe Lambda watches, for when it is down
// (its Heartbeat alarm pages with this command).
// A thin adapter over functions/domain/probe: the same probing and debouncing as the probe Lambda.
//
// Exit codes: 0 = everything fresh (or interrupted while watching); 1 = with --once or --ticks, something
// was stale or failed on the last look (a playlist without PDT needs two looks: on the first its age is
// unknown, which is not a failure); 2 = usage error, unknown channel, unreadable registry.
import {
  ChannelProbe,
  createFetcher,
  PathDebouncer,
  PathProbe,
  type ChannelReport,
  type Fetcher,
  type PathObservation,
  type PathState,
  inShard,
  parseShard,
} from '../../functions/domain/probe/index.js';
import { readRegistryFile, registrySourcePath } from '../../functions/domain/registry/file.js';
import { getChannel } from '../../functions/domain/registry/index.js';
import { FlatlineError, InvalidInputError } from '../../functions/domain/errors.js';
import { parseCommandArgs, parseDuration } from '../args.js';

export const summary = 'watch a stream or a channel (edge + both origins): age of every rendition, live';

const USAGE = 'usage: flatline probe <url|channel-id> | --shard i/n [--interval 2s] [--once] [--ticks n] [--registry file] [--json]';

interface Row {
  path: string;
  observation: PathObservation;
  state: PathState;
}

interface Watch {
  /** One look at every path (a shard: every path of each of its channels, and each channel's report). */
  look(): Promise<{ rows: Row[]; headline: string; channels?: ChannelReport[] }>;
  close(): Promise<void>;
}

function watchUrl(url: string, fetcher: Fetcher, staleAfter: number, consecutive: number): Watch {
  const probe = new PathProbe(url, { fetcher, staleAfterTargetDurations: staleAfter });
  const debouncer = new PathDebouncer(consecutive);
  return {
    async look() {
      const observation = await probe.observe();
      debouncer.observe(observation.verdict);
      return { rows: [{ path: 'stream', observation, state: debouncer.state }], headline: url };
    },
    close: () => fetcher.close(),
  };
}

function watchChannel(channelId: string, file: string, fetcher: Fetcher): Watch {
  const channel = getChannel(readRegistryFile(file), channelId);
  const probe = new ChannelProbe(channel, { fetcher });
  return {
    async look() {
      const { report } = await probe.tick();
      return { rows: rowsOf(report), headline: `${channel.id}: ${report.diagnosis.message}` };
    },
    close: () => fetcher.close(),
  };
}

function watchShard(text: string, file: string, fetcher: Fetcher): Watch {
  const shard = parseShard(text);
  const channels = inShard(readRegistryFile(file).channels, shard);
  if (channels.length === 0) throw new InvalidInputError(`shard ${text}: no channel of the registry is in it`, { shard: text });
  const probes = channels.map((channel) => new ChannelProbe(channel, { fetcher }));
  return {
    async look() {
      const reports = await Promise.all(probes.map(async (p) => (await p.tick()).report));
      const stale = reports.filter((r) => rowsOf(r).some((row) => row.observation.verdict === 'stale')).length;
      return { rows: reports.flatMap(rowsOf), headline: `shard ${shard.index}/${shard.count}: ${channels.length} channels, ${stale} with a stale path`, channels: reports };
    },
    close: () => fetcher.close(),
  };
}

function rowsOf(report: ChannelReport): Row[] {
  return Object.values(report.paths).map((p) => ({ path: p.path, observation: p, state: p.state }));
}

const seconds = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);

export function formatTable(rows: Row[], headline: string, at: Date): string {
  const table: string[][] = [['PATH', 'RENDITION', 'AGE', 'x TD', 'SEQ', 'STATUS', 'PROBLEMS']];
  for (const { path, observation: o, state } of rows) {
    const stateNote = state === 'unknown' ? '' : ` (${state})`;
    if (o.renditions.length === 0) {
      table.push([path, '(playlist)', '-', '-', '-', `error${stateNote}`, o.error ?? o.problems.map((p) => p.code).join(', ')]);
      continue;
    }
    for (const r of o.renditions) {
      const td = r.ageMs !== null && r.targetDuration ? (r.ageMs / 1000 / r.targetDuration).toFixed(2) : '-';
      const problems = [...new Set(r.problems.map((p) => p.code))].join(', ');
      table.push([path, r.name, seconds(r.ageMs), td, r.mediaSequence === null ? '-' : String(r.mediaSequence), r.status, problems]);
    }
    const pathProblems = o.problems.map((p) => p.code).join(', ');
    table.push([path, '= oldest', seconds(o.ageMs), `> ${seconds(o.thresholdMs)}`, '', `${o.verdict}${stateNote}`, pathProblems]);
  }
  return render(table, headline, at);
}

/** A shard, a line per channel: each path's verdict and the age of its oldest rendition, then the diagnosis. */
export function formatShardTable(channels: readonly ChannelReport[], headline: string, at: Date): string {
  const path = (r: ChannelReport, p: 'edge' | 'primary' | 'standby'): string => {
    const o = r.paths[p];
    if (!o) return '-';
    return `${o.verdict} ${o.ageMs === null && o.fetchErrors > 0 ? 'fetch failed' : seconds(o.ageMs)}`;
  };
  const table: string[][] = [['CHANNEL', 'EDGE', 'PRIMARY', 'STANDBY', 'DIAGNOSIS'], ...channels.map((r) => [r.channelId, path(r, 'edge'), path(r, 'primary'), path(r, 'standby'), r.diagnosis.message])];
  return render(table, headline, at);
}

/** The headline, then the table in columns as wide as their widest cell (the last one left as it is). */
function render(table: string[][], headline: string, at: Date): string {
  const widths = (table[0] as string[]).map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const lines = table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ').trimEnd());
  return [`${at.toISOString()}  ${headline}`, ...lines].join('\n');
}

const failing = (rows: Row[]): boolean => rows.some((r) => r.observation.verdict === 'stale');

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandArgs('probe', args, {
      interval: { type: 'string', default: '2s' },
      once: { type: 'boolean', default: false },
      ticks: { type: 'string' },
      registry: { type: 'string' },
      json: { type: 'boolean', default: false },
      shard: { type: 'string' },
      'stale-after': { type: 'string', default: '1.5' },
      consecutive: { type: 'string', default: '2' },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const target = positionals[0] ?? '';
  if (values.shard === undefined ? !target || positionals.length > 1 : positionals.length > 0) {
    console.error(USAGE);
    return 2;
  }
  let intervalMs: number;
  let ticks: number;
  let staleAfter: number;
  let consecutive: number;
  try {
    intervalMs = parseDuration(values.interval, '--interval');
    ticks = values.once ? 1 : values.ticks === undefined ? Infinity : positiveInteger(values.ticks, '--ticks');
    staleAfter = positiveNumber(values['stale-after'], '--stale-after');
    consecutive = positiveInteger(values.consecutive, '--consecutive');
  } catch (err) {
    console.error(`flatline probe: ${(err as Error).message}`);
    return 2;
  }

  const fetcher = createFetcher({ timeoutMs: Math.min(Math.max(intervalMs, 1000), 5000) });
  let watch: Watch;
  try {
    watch =
      values.shard !== undefined
        ? watchShard(values.shard, values.registry ?? registrySourcePath(), fetcher)
        : /^https?:\/\//i.test(target)
          ? watchUrl(target, fetcher, staleAfter, consecutive)
          : watchChannel(target, values.registry ?? registrySourcePath(), fetcher);
  } catch (err) {
    await fetcher.close();
    console.error(`flatline probe: ${err instanceof FlatlineError ? err.message : (err as Error).message}`);
    return 2;
  }

  const tty = process.stdout.isTTY === true && !values.json;
  let interrupted = false;
  let wake: (() => void) | undefined;
  const onSigint = (): void => {
    interrupted = true;
    wake?.();
  };
  process.once('SIGINT', onSigint);
  let last: Row[] = [];
  try {
    for (let i = 0; i < ticks && !interrupted; i++) {
      const started = performance.now();
      const { rows, headline, channels } = await watch.look();
      last = rows;
      const at = new Date();
      if (values.json) process.stdout.write(`${JSON.stringify({ at: at.toISOString(), headline, ...(channels ? { channels } : { paths: rows }) })}\n`);
      // On a terminal the table is redrawn in place; piped, each look is appended.
      else process.stdout.write(`${tty ? '\x1b[H\x1b[2J' : i > 0 ? '\n' : ''}${channels ? formatShardTable(channels, headline, at) : formatTable(rows, headline, at)}\n`);
      const wait = intervalMs - (performance.now() - started);
      if (i + 1 < ticks && wait > 0 && !interrupted)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    await watch.close();
  }
  if (interrupted || ticks === Infinity) return 0;
  return failing(last) ? 1 : 0;
}

function positiveInteger(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: "${text}" is not a positive integer`);
  return n;
}

function positiveNumber(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what}: "${text}" is not a positive number`);
  return n;
}
