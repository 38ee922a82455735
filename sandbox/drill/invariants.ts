// The drill invariants I1-I7: what must hold after any drill, whatever its faults. Pure, like expectations.ts:
// the runner samples the world and the control plane as the drill runs (watchers.ts) and gathers the facts
// (facts.ts); this module only judges them, and says in words what it saw.
//
// "Stale" and "outage" are the world's ground truth (the media world's feeds and origins), never flatline's
// own view: a side is fresh when its origin answers and its newest media is at most staleAfter old.
import type { DrillExecution } from './seams.js';

export type InvariantId = 'I1' | 'I2' | 'I3' | 'I4' | 'I5' | 'I6' | 'I7';
export type Side = 'primary' | 'standby';
/** What a viewer gets: one side's origin, or the slate. */
export type Served = Side | 'slate';

export interface InvariantResult {
  id: InvariantId;
  /** The invariant, in words. */
  wording: string;
  pass: boolean;
  /** What the drill saw. */
  detail: string;
}

/** One channel at one sample. */
export interface ChannelSample {
  /** Ground truth: the side's origin answers and its newest media is at most staleAfter old. */
  fresh: Record<Side, boolean>;
  /** Ground truth: the side's MediaLive channel produces, its packager publishes and its origin answers. */
  producing: Record<Side, boolean>;
  /** What viewers at each edge location get (that location's KVS replica, the deployed origin group, origin-group failover). */
  served: Served[];
  /** What flatline's routing says (the KVS value as written, the origin group as configured). */
  intended: Served;
  route: Side;
  slate: boolean;
  originGroupFirst: Side;
  /** The ledger item (null: absent, or unreadable at that sample). */
  /**
   * The ledger item (null: absent, or unreadable at that sample). lastOutcome: how its latest incident ended
   * (`degraded`: viewers moved by the KVS route, the origin group refused, a page went out).
   */
  ledger: { onAir: string; phase: string; lockHeld: boolean; executionName?: string; lastOutcome?: string } | null;
  /** Names of the channel's executions RUNNING, read before and after the ledger (a changing one is not at rest). */
  running: string[];
  /** Nothing moved while the sample was taken (no execution, routing unchanged before and after the ledger read). */
  steady: boolean;
}

export interface StateSample {
  /** Epoch ms. */
  at: number;
  channels: Record<string, ChannelSample>;
}

export interface InvariantFacts {
  /** Epoch ms of t = 0 and of the end of the drill. */
  t0: number;
  end: number;
  thresholdS: number;
  probeTickS: number;
  /** The longest time a KVS write takes to reach an edge location (the world's kvsPropagationS maximum). */
  kvsPropagationS: number;
  /** The longest Task TimeoutSeconds of the state machines, in drill time (the world's compression applied). */
  stepTimeoutS: number;
  samples: readonly StateSample[];
  executions: readonly DrillExecution[];
  /** SNS notifications, with the channels they name. */
  notifications: ReadonlyArray<{ at: number; channelIds: string[] }>;
  /** Operator requests (flatline.ops Failover / Drill Requested) triage accepted: authorized by the bus's IAM and by triage. */
  operatorRequests: ReadonlyArray<{ at: number; channelId: string; detailType: string }>;
  /** Events whose delivery to triage ended in failure (triage threw: a rejection, or a crash). */
  rejected: ReadonlyArray<{ eventId: string; error: string }>;
  /** The dead-letter queue. */
  deadLetters: ReadonlyArray<{ eventId: string; reason: string }>;
}

export const INVARIANT_WORDING: Record<InvariantId, string> = {
  I1: 'at most one failover or failback execution RUNNING per channel at any moment',
  I2: 'no lock held without a RUNNING execution for longer than one step timeout',
  I3: "at rest, the ledger's onAir, the KVS route and the origin group's order agree (or the slate is on)",
  I4: 'every outage of the side viewers are on that lasts longer than staleAfter + 2 ticks ends, within the drill, with viewers on a fresh side or on the slate, and at least one page',
  I5: 'after a routing change, viewers are not served a side whose manifest is stale while the other side is fresh for longer than the KVS propagation and one sample',
  I6: 'no failover without an outage, unless an authorized operator asked for it',
  I7: 'every rejected event reaches the dead-letter queue with its reason',
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const other = (s: Side): Side => (s === 'primary' ? 'standby' : 'primary');
const isFresh = (c: ChannelSample, s: Served): boolean => s === 'slate' || c.fresh[s];

interface Ctx {
  f: InvariantFacts;
  channels: string[];
  /** Samples from t = 0 on. */
  samples: readonly StateSample[];
  t: (epochMs: number) => string;
}

/** Seconds from sample i to the next sample (or the end of the drill): the time sample i stands for. */
function span(ctx: Ctx, i: number): number {
  const next = ctx.samples[i + 1]?.at ?? ctx.f.end;
  return Math.max(0, (next - ctx.samples[i]!.at) / 1000);
}

/** I1: from the executions' start and stop times (exact, not sampled). */
function i1(ctx: Ctx): [boolean, string] {
  const worst: string[] = [];
  let max = 0;
  for (const id of ctx.channels) {
    const xs = ctx.f.executions.filter((x) => x.channelId === id);
    const edges = xs.flatMap((x) => [
      { at: x.startedAt, d: 1, name: x.name },
      { at: x.stoppedAt ?? Infinity, d: -1, name: x.name },
    ]);
    // A stop and a start at the same ms do not overlap: stops first.
    edges.sort((a, b) => a.at - b.at || a.d - b.d);
    let n = 0;
    for (const e of edges) {
      n += e.d;
      if (n > max) max = n;
      if (n > 1 && e.d === 1) worst.push(`${id}: ${n} RUNNING at ${ctx.t(e.at)} (${e.name} started while another ran)`);
    }
  }
  return [worst.length === 0, worst.length ? worst.slice(0, 3).join('; ') : `at most ${plural(max, 'execution')} RUNNING per channel`];
}

/** I2: lock held (phase failing-*, not expired) while its execution (or, unnamed, any of the channel's) is not RUNNING. */
function i2(ctx: Ctx): [boolean, string] {
  let longest = 0;
  let where = '';
  for (const id of ctx.channels) {
    let run = 0;
    let from = 0;
    ctx.samples.forEach((s, i) => {
      const c = s.channels[id];
      if (!c?.ledger) return;
      const orphan = c.ledger.lockHeld && (c.ledger.executionName ? !c.running.includes(c.ledger.executionName) : c.running.length === 0);
      if (!orphan) {
        run = 0;
        return;
      }
      if (run === 0) from = s.at;
      run += span(ctx, i);
      if (run > longest) {
        longest = run;
        where = `${id} from ${ctx.t(from)}${c.ledger.executionName ? ` (execution ${c.ledger.executionName} not RUNNING)` : ''}`;
      }
    });
  }
  const pass = longest <= ctx.f.stepTimeoutS;
  return [pass, `longest lock without a RUNNING execution ${longest.toFixed(1)} s${where ? `, ${where}` : ''} (one step timeout: ${ctx.f.stepTimeoutS.toFixed(1)} s)`];
}

/** I3: every sample taken at rest (no execution, no lock, nothing moving), the last one included. */
function i3(ctx: Ctx): [boolean, string] {
  const bad: string[] = [];
  let atRest = 0;
  for (const id of ctx.channels) {
    let lastBad: string | null = null;
    for (const s of ctx.samples) {
      const c = s.channels[id];
      if (!c || !c.steady || c.running.length > 0 || c.ledger?.lockHeld) continue;
      atRest++;
      const onAir = c.ledger?.onAir ?? 'primary';
      // A degraded incident has paged that the durable path (the origin group) refused: until an operator
      // resolves it, only the ledger and the route viewers follow must agree.
      const groupAgrees = c.route === c.originGroupFirst || c.ledger?.lastOutcome === 'degraded';
      const agree = c.slate || (onAir === c.route && groupAgrees);
      const what = `${id} at ${ctx.t(s.at)}: ledger ${onAir}, route ${c.route}, origin group ${c.originGroupFirst} first, slate ${c.slate ? 'on' : 'off'}`;
      if (!agree && lastBad === null) bad.push(what);
      lastBad = agree ? null : what;
    }
  }
  if (bad.length) return [false, `disagree at rest: ${bad.slice(0, 3).join('; ')}`];
  return [true, `${plural(atRest, 'sample')} at rest, all agree`];
}

interface Episode {
  channelId: string;
  location: number;
  from: number;
  to: number | null;
  served: Served;
}

/** Intervals during which viewers at a location got a side that was not fresh (ground truth). */
function staleEpisodes(ctx: Ctx): Episode[] {
  const out: Episode[] = [];
  for (const id of ctx.channels) {
    const open = new Map<number, Episode>();
    for (const s of ctx.samples) {
      const c = s.channels[id];
      if (!c) continue;
      c.served.forEach((served, loc) => {
        const ep = open.get(loc);
        if (!isFresh(c, served)) {
          if (!ep) open.set(loc, { channelId: id, location: loc, from: s.at, to: null, served });
        } else if (ep) {
          ep.to = s.at;
          out.push(ep);
          open.delete(loc);
        }
      });
    }
    out.push(...open.values());
  }
  return out;
}

/** I4: outages longer than staleAfter + 2 ticks (counted while the side is stale) end within the drill, and page. */
function i4(ctx: Ctx): [boolean, string] {
  const boundS = ctx.f.thresholdS + 2 * ctx.f.probeTickS;
  const long = staleEpisodes(ctx).filter((e) => ((e.to ?? ctx.f.end) - e.from) / 1000 > boundS);
  const bad: string[] = [];
  for (const e of long) {
    const dur = (((e.to ?? ctx.f.end) - e.from) / 1000).toFixed(1);
    const where = `${e.channelId} location ${e.location + 1}: on a stale ${e.served} from ${ctx.t(e.from)}`;
    // A page about this outage: sent once the side had frozen (staleAfter before it was stale), until the end.
    const paged = ctx.f.notifications.some((n) => n.channelIds.includes(e.channelId) && n.at >= e.from - ctx.f.thresholdS * 1000);
    if (e.to === null) bad.push(`${where}, still at the end (${dur} s)`);
    else if (!paged) bad.push(`${where} for ${dur} s, no page`);
  }
  if (bad.length) return [false, bad.slice(0, 3).join('; ')];
  return [true, long.length ? `${plural(long.length, 'outage')} longer than ${boundS.toFixed(1)} s, each ended on a fresh side or the slate, paged` : `no outage of the side viewers were on lasted longer than ${boundS.toFixed(1)} s`];
}

/**
 * I5: what viewers were served after a routing change by flatline (its KVS route, slate or origin group order
 * moved). A side stale while the other is fresh at the change is the wrong side for as long as that holds; a
 * location serving it (served: its KVS replica, the origin group the request gets, group failover) for longer
 * than the KVS propagation plus one sample breaks it, whatever flatline intended (a route still waiting for a
 * distribution deploy serves what the edge has deployed). Later changes in the same episode do not restart the
 * count. A side that goes stale after the change is an outage (I4), not this.
 */
function i5(ctx: Ctx): [boolean, string] {
  const bad: string[] = [];
  let worstS = 0;
  const routingOf = (c: ChannelSample): string => `${c.route}|${c.slate}|${c.originGroupFirst}`;
  interface Episode5 {
    side: Side;
    /** The latest routing change in the episode: the one a run that starts now follows. */
    changeAt: number;
    /** Per location: seconds on the wrong side without a break, and the change that run followed. */
    run: number[];
    runAfter: number[];
    worst: { s: number; loc: number; after: number; boundS: number };
    sampleS: number;
  }
  for (const id of ctx.channels) {
    let prev: string | null = null;
    let episode: Episode5 | null = null;
    const close = (): void => {
      if (!episode) return;
      const w = episode.worst;
      worstS = Math.max(worstS, w.s);
      if (w.s > w.boundS)
        bad.push(`${id}: after the routing change at ${ctx.t(w.after)}, location ${w.loc + 1} served the stale ${episode.side} while the ${other(episode.side)} was fresh for ${w.s.toFixed(1)} s (bound ${w.boundS.toFixed(1)} s)`);
      episode = null;
    };
    ctx.samples.forEach((s, i) => {
      const c = s.channels[id];
      if (!c) return;
      const wrong = (side: Side): boolean => !c.fresh[side] && c.fresh[other(side)];
      if (episode && !wrong(episode.side)) close();
      const routing = routingOf(c);
      if (prev !== null && routing !== prev) {
        if (episode) episode.changeAt = s.at;
        else {
          const side = (['primary', 'standby'] as const).find(wrong);
          if (side) episode = { side, changeAt: s.at, run: c.served.map(() => 0), runAfter: c.served.map(() => s.at), worst: { s: 0, loc: 0, after: s.at, boundS: 0 }, sampleS: 0 };
        }
      }
      prev = routing;
      if (!episode) return;
      const e = episode;
      const dt = span(ctx, i);
      c.served.forEach((sv, loc) => {
        if (sv !== e.side) {
          e.run[loc] = 0;
          return;
        }
        const before = e.run[loc] ?? 0;
        if (before === 0) e.runAfter[loc] = e.changeAt;
        const run = before + dt;
        e.run[loc] = run;
        e.sampleS = Math.max(e.sampleS, dt);
        const boundS = ctx.f.kvsPropagationS + e.sampleS;
        // The worst run is the one furthest over its bound.
        if (e.worst.s === 0 || run - boundS > e.worst.s - e.worst.boundS) e.worst = { s: run, loc, after: e.runAfter[loc] ?? e.changeAt, boundS };
      });
    });
    close();
  }
  if (bad.length) return [false, bad.slice(0, 3).join('; ')];
  return [true, `after every routing change, viewers left a stale side within the KVS propagation (${ctx.f.kvsPropagationS.toFixed(1)} s) and one sample; longest ${worstS.toFixed(1)} s`];
}

/** I6: each failover execution had, in the detection window before it, an outage of the primary or an operator's request. */
function i6(ctx: Ctx): [boolean, string] {
  const windowMs = (ctx.f.thresholdS + 2 * ctx.f.probeTickS) * 1000;
  const failovers = ctx.f.executions.filter((x) => x.action === 'failover');
  const bad: string[] = [];
  let asked = 0;
  for (const x of failovers) {
    // The samples of the window, and the first one after the start: an outage that began since the last
    // sample (MediaLive's alert can start a failover within the sampling interval) is still on at the next.
    const next = ctx.f.samples.find((s) => s.at > x.startedAt && s.channels[x.channelId]);
    const seen = [...ctx.f.samples.filter((s) => s.at >= x.startedAt - windowMs && s.at <= x.startedAt && s.channels[x.channelId]), ...(next ? [next] : [])];
    // An outage as the world knows it: the primary stopped producing (MediaLive learns that before the
    // manifest ages past staleAfter) or its manifest is stale.
    const outage = seen.some((s) => !s.channels[x.channelId]!.fresh.primary || !s.channels[x.channelId]!.producing.primary);
    const request = ctx.f.operatorRequests.some((r) => r.channelId === x.channelId && r.at <= x.startedAt);
    if (!outage && request) asked++;
    const before = `the ${(windowMs / 1000).toFixed(1)} s before`;
    if (!outage && !request) bad.push(`${x.name} at ${ctx.t(x.startedAt)}: ${seen.length ? `primary producing and fresh throughout ${before}` : `no sample of the world in ${before}`}, no operator request`);
  }
  if (bad.length) return [false, bad.slice(0, 3).join('; ')];
  return [true, `${plural(failovers.length, 'failover')}: ${failovers.length - asked} after an outage of the primary, ${asked} asked for by an operator`];
}

/** I7: every failed delivery to triage has its dead letter, and the dead letter says why. */
function i7(ctx: Ctx): [boolean, string] {
  const letters = new Map(ctx.f.deadLetters.map((d) => [d.eventId, d.reason]));
  const missing = ctx.f.rejected.filter((r) => !letters.has(r.eventId));
  const mute = ctx.f.rejected.filter((r) => letters.has(r.eventId) && !letters.get(r.eventId)?.trim());
  if (missing.length || mute.length)
    return [false, `${plural(ctx.f.rejected.length, 'rejected event')}: ${missing.length} not in the dead-letter queue${missing[0] ? ` (${missing[0].eventId}: ${missing[0].error})` : ''}, ${mute.length} without a reason`];
  const reasons = [...new Set(ctx.f.rejected.map((r) => r.error.slice(0, 60)))];
  return [true, `${plural(ctx.f.rejected.length, 'rejected event')}, all in the dead-letter queue with a reason${reasons.length ? ` (e.g. "${reasons[0]}")` : ''}`];
}

const JUDGES: Record<InvariantId, (ctx: Ctx) => [boolean, string]> = { I1: i1, I2: i2, I3: i3, I4: i4, I5: i5, I6: i6, I7: i7 };

export function judgeInvariants(f: InvariantFacts): InvariantResult[] {
  const samples = f.samples.filter((s) => s.at >= f.t0);
  const channels = [...new Set(samples.flatMap((s) => Object.keys(s.channels)))].sort();
  const ctx: Ctx = { f, channels, samples, t: (ms) => `${((ms - f.t0) / 1000).toFixed(1)} s` };
  return (Object.keys(JUDGES) as InvariantId[]).map((id) => {
    const [pass, detail] = JUDGES[id](ctx);
    return { id, wording: INVARIANT_WORDING[id], pass, detail };
  });
}

/** One line per invariant: "PASS  I5 (viewers are never...): 0 s routed to a stale side". */
export function formatInvariant(r: InvariantResult): string {
  return `${r.pass ? 'PASS' : 'FAIL'}  ${r.id}: ${r.detail}`;
}
