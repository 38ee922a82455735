// Applies a scenario's timeline to the running sandbox and media world: each action breaks (or repairs)
// one thing the way it breaks in production, and leaves a marker on the report.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPS_SOURCE } from '../../functions/domain/contracts.js';
import { InvalidInputError } from '../../functions/domain/errors.js';
import type { Channel, Registry } from '../../functions/domain/registry/index.js';
import type { MediaWorld } from '../media/media-world.js';
import type { PipelineId } from '../media/medialive-channel.js';
import type { MarkerKind } from './report.js';
import type { ScenarioAction } from './scenario.js';
import type { DrillSandbox } from './seams.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ActionContext {
  sandbox: DrillSandbox;
  world: MediaWorld;
  registry: Registry;
  /** The scenario's channel. */
  channelId: string;
  mark(kind: MarkerKind, label: string, detail?: string): void;
  /** Registers something to undo when the drill ends (timers of a flap, a put-events spread). */
  onCleanup(fn: () => void): void;
  /** The drill's probe loop: stopped (probe-down) and started again (probe-up). */
  probe: { stop(): Promise<void>; start(): void };
}

function channelOf(ctx: ActionContext, action: ScenarioAction): Channel {
  const id = action.channel ?? ctx.channelId;
  const channel = ctx.registry.channels.find((c) => c.id === id);
  if (!channel) throw new InvalidInputError(`drill action ${action.action}: unknown channel "${id}"`, { channelId: id });
  return channel;
}

const pipelines = (p: 0 | 1 | 'both'): PipelineId[] => (p === 'both' ? ['0', '1'] : [String(p) as PipelineId]);

/** Reads event files (a directory means every .json in it); each file holds one event or an array. */
export function readEventFiles(files: readonly string[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const f of files) {
    const path = join(REPO_ROOT, f);
    let paths: string[];
    try {
      paths = statSync(path).isDirectory()
        ? readdirSync(path).filter((n) => n.endsWith('.json')).sort().map((n) => join(path, n))
        : [path];
    } catch (err) {
      throw new InvalidInputError(`drill put-events: cannot read ${f}: ${(err as Error).message}`, { file: f });
    }
    for (const p of paths) {
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(p, 'utf8'));
      } catch {
        // A file that is not even JSON is the most malformed event of all: put its text as the detail.
        doc = { source: 'unknown', 'detail-type': 'Unparseable', detail: { raw: readFileSync(p, 'utf8').slice(0, 200) } };
      }
      for (const e of Array.isArray(doc) ? doc : [doc]) out.push((e ?? {}) as Record<string, unknown>);
    }
  }
  return out;
}

/** An event file's envelope as bus entries: kept as written (malformed ones too), only the time is now (or `ageSeconds` ago). */
function toEntry(e: Record<string, unknown>): { source: string; detailType: string; detail: Record<string, unknown>; resources?: string[]; region?: string; time?: Date } {
  const detail = e.detail;
  return {
    source: typeof e.source === 'string' ? e.source : '',
    detailType: typeof e['detail-type'] === 'string' ? e['detail-type'] : '',
    detail: (typeof detail === 'object' && detail !== null ? detail : { value: detail ?? null }) as Record<string, unknown>,
    ...(Array.isArray(e.resources) ? { resources: e.resources as string[] } : {}),
    ...(typeof e.region === 'string' ? { region: e.region } : {}),
  };
}

/**
 * put-events' knobs: `channel` names the channel of flatline's own events (detail.channelId), `ageSeconds`
 * dates the event that far back (its time, and a probe event's observedAt, which triage reads instead).
 */
function retarget(e: ReturnType<typeof toEntry>, channelId: string | undefined, ageSeconds: number | undefined): ReturnType<typeof toEntry> {
  const detail = { ...e.detail };
  if (channelId !== undefined && e.source.startsWith('flatline.')) detail.channelId = channelId;
  if (ageSeconds === undefined) return { ...e, detail };
  const time = new Date(Date.now() - ageSeconds * 1000);
  if (typeof detail.observedAt === 'string') detail.observedAt = time.toISOString();
  return { ...e, detail, time };
}

export function applyAction(ctx: ActionContext, action: ScenarioAction): void {
  const channel = channelOf(ctx, action);
  const sim = (side: 'primary' | 'standby') => ctx.sandbox.channel(channel[side].region, channel[side].channelId);
  const who = channel.id === ctx.channelId ? '' : ` (${channel.id})`;
  switch (action.action) {
    case 'fail-pipeline':
    case 'recover-pipeline': {
      const healthy = action.action === 'recover-pipeline';
      for (const p of pipelines(action.pipeline)) sim(action.side).setPipelineHealthy(p, healthy);
      ctx.mark('fault', `${healthy ? 'recover' : 'fail'} ${action.pipeline === 'both' ? 'both pipelines' : `pipeline ${action.pipeline}`} of ${action.side}${who}`);
      return;
    }
    case 'pause-pipelines':
      sim(action.side).applyPause(action.pipelines.map((p) => String(p) as PipelineId));
      ctx.mark('fault', `schedule pause [${action.pipelines.join(', ')}] on ${action.side}${who}`);
      return;
    case 'packager-stall':
      ctx.world.feed(channel.id, action.side).setStalled(action.on);
      ctx.mark('fault', `${action.on ? '' : 'end of '}packager stall on ${action.side}${who}`);
      return;
    case 'standby-start-delay':
      sim('standby').startDelayMs = action.seconds * 1000;
      ctx.mark('fault', `standby takes ${action.seconds}s to start${who}`);
      return;
    case 'standby-start-fails':
      sim('standby').startFailsWith = action.state;
      ctx.mark('fault', `standby start will end in ${action.state}${who}`);
      return;
    case 'aws-fault': {
      const { at: _at, action: _a, channel: _c, ...spec } = action;
      ctx.sandbox.addFault(spec);
      const what = [spec.service ?? 'every service', spec.operation, spec.region].filter(Boolean).join(' ');
      ctx.mark('fault', `AWS ${spec.kind}${spec.probability !== undefined ? ` ${Math.round(spec.probability * 100)}%` : ''} on ${what}${spec.count ? ` x${spec.count}` : ''}`);
      return;
    }
    case 'clear-aws-faults':
      ctx.sandbox.clearFaults();
      ctx.mark('fault', 'AWS faults cleared');
      return;
    case 'put-events': {
      const events = readEventFiles(action.files).map(toEntry).map((e) => retarget(e, action.channel, action.ageSeconds));
      const age = action.ageSeconds;
      const total = events.length * action.count;
      ctx.mark('event', `put ${total} event${total === 1 ? '' : 's'} (${action.files.join(', ')})${age === undefined ? '' : `, ${age} s old`}`);
      // Spread the copies evenly over the window, in batches of one copy of every file.
      const batches = action.count;
      const every = batches > 1 ? (action.overSeconds * 1000) / batches : 0;
      let sent = 0;
      const send = (): void => {
        ctx.sandbox.putEvents(events);
        sent++;
      };
      send();
      if (batches > 1) {
        const timer = setInterval(() => {
          send();
          if (sent >= batches) clearInterval(timer);
        }, Math.max(1, every));
        ctx.onCleanup(() => clearInterval(timer));
      }
      return;
    }
    case 'flap': {
      const channelSim = sim(action.side);
      const half = (action.periodSeconds * 1000) / 2;
      const until = Date.now() + action.forSeconds * 1000;
      let frozen = true;
      const set = (down: boolean): void => {
        for (const p of ['0', '1'] as const) channelSim.setPipelineHealthy(p, !down);
      };
      set(true);
      ctx.mark('fault', `${action.side} starts flapping: ${half / 1000}s frozen / ${half / 1000}s producing${who}`);
      const timer = setInterval(() => {
        frozen = Date.now() < until ? !frozen : false;
        set(frozen);
        if (Date.now() >= until) {
          clearInterval(timer);
          ctx.mark('fault', `${action.side} stops flapping${who}`);
        }
      }, half);
      ctx.onCleanup(() => clearInterval(timer));
      return;
    }
    case 'expire-lock':
      ctx.mark('fault', `the lock of ${channel.id} expires now`);
      ctx.sandbox.expireLock(channel.id).catch((err: unknown) => ctx.mark('fault', `expire-lock failed: ${(err as Error).message}`));
      return;
    case 'request-failback':
      ctx.sandbox.putEvents([
        { source: OPS_SOURCE, detailType: 'Failback Requested', detail: { channelId: channel.id, reason: action.reason, requestedBy: 'flatline drill', ...(action.force === true ? { force: true } : {}) } },
      ]);
      ctx.mark('event', `operator: Failback Requested${action.force === true ? ' (force)' : ''}${who}`);
      return;
    case 'medialive-events':
      ctx.sandbox.setMediaLiveEvents({ delayS: action.delaySeconds, dropProbability: action.dropProbability, duplicateProbability: action.duplicateProbability });
      ctx.mark('fault', `MediaLive events ${action.delaySeconds[0]}-${action.delaySeconds[1]} s late, ${Math.round(action.dropProbability * 100)} % dropped, ${Math.round(action.duplicateProbability * 100)} % duplicated`);
      return;
    case 'probe-down':
      void ctx.probe.stop();
      ctx.mark('fault', 'probe down: no more fetches, events or metrics from it');
      return;
    case 'probe-up':
      ctx.probe.start();
      ctx.mark('fault', 'probe up again');
      return;
    case 'region-blackhole': {
      const region = channel[action.side].region;
      for (const c of ctx.registry.channels) {
        for (const side of ['primary', 'standby'] as const) {
          if (c[side].region !== region) continue;
          for (const p of ['0', '1'] as const) ctx.sandbox.channel(region, c[side].channelId).setPipelineHealthy(p, false);
        }
      }
      ctx.world.origin(region).setBlackhole(true);
      ctx.sandbox.addFault({ region, kind: 'blackhole' });
      ctx.mark('fault', `region ${region} blackholed: connections to its APIs and origin accepted, never answered`);
      return;
    }
    case 'region-down':
    case 'region-up': {
      const down = action.action === 'region-down';
      const region = channel[action.side].region;
      // Every channel of the registry on that side of the region goes with it.
      for (const c of ctx.registry.channels) {
        for (const side of ['primary', 'standby'] as const) {
          if (c[side].region !== region) continue;
          for (const p of ['0', '1'] as const) ctx.sandbox.channel(region, c[side].channelId).setPipelineHealthy(p, !down);
        }
      }
      ctx.world.origin(region).setDown(down);
      if (!down) ctx.world.origin(region).setBlackhole(false);
      if (down) ctx.sandbox.addFault({ service: 'medialive', region, kind: '5xx' });
      else ctx.sandbox.clearFaults();
      ctx.mark('fault', `region ${region} ${down ? 'down: MediaLive output, MediaPackage origin and MediaLive API' : 'back up'}`);
      return;
    }
  }
}
