import { describe, expect, it } from 'vitest';
import type { LedgerItem, Signal } from '../../functions/domain/contracts.js';
import { dwellRemainingMs, evaluate, primaryFreshness, type PolicyInput } from '../../functions/domain/policy/index.js';
import { readRegistryFile } from '../../functions/domain/registry/file.js';
import { getChannel, type Channel } from '../../functions/domain/registry/index.js';

const registry = readRegistryFile('config/registry.example.yml');
const news = getChannel(registry, 'news-1'); // manual failback, dwell 300 s
const kids = getChannel(registry, 'kids-1'); // automatic failback, dwell 120 s
const singlePipeline: Channel = { ...news, primary: { ...news.primary, channelClass: 'SINGLE_PIPELINE' } };

const NOW = Date.parse('2025-06-01T12:00:00Z');
const steady = (over: Partial<LedgerItem> = {}): LedgerItem => ({ channelId: 'news-1', onAir: 'primary', phase: 'steady', version: 3, recent: [], ...over });
const onStandby = (over: Partial<LedgerItem> = {}): LedgerItem =>
  steady({ onAir: 'standby', phase: 'on-standby', lastTransitionAt: NOW - 3_600_000, incidentId: 'old', ...over });
const sig = (over: Partial<Signal>): Signal => ({
  channelId: 'news-1',
  kind: 'alarm',
  severity: 'outage',
  at: new Date(NOW - 1000).toISOString(),
  dedupeKey: 'k',
  source: 'test',
  ...over,
});
const run = (over: Partial<PolicyInput> & { signal: Signal }) =>
  evaluate({ channel: news, item: steady(), now: NOW, incidentId: 'inc-1', ...over });

const alert = (pipeline: '0' | '1', side: 'primary' | 'standby' = 'primary') =>
  sig({ kind: 'pipeline-alert', severity: 'degraded', pipeline, side, detail: { alertType: 'Video Not Detected', alarmId: `a${pipeline}` } });
const stale = (path: 'edge' | 'primary' | 'standby', severity: Signal['severity']) =>
  sig({ kind: 'manifest-stale', severity, ...(path === 'edge' ? {} : { side: path }), detail: { path } });
const fresh = (path: 'primary' | 'edge' = 'primary') => sig({ kind: 'manifest-fresh', severity: 'info', ...(path === 'primary' ? { side: 'primary' } : {}), detail: { path } });

describe('policy: what is an outage', () => {
  it('one pipeline alerting on a STANDARD channel is degraded: recorded, metered, no failover', () => {
    const d = run({ signal: alert('0'), primaryAlerts: { '0': ['a0'], '1': [] } });
    expect(d).toMatchObject({ action: 'record', degraded: true, confirm: false });
    expect(d.reason).toMatch(/degraded/);
  });

  it('both pipelines alerting is an outage candidate, confirmed before failover', () => {
    expect(run({ signal: alert('1'), primaryAlerts: { '0': ['a0'], '1': ['a1'] } })).toMatchObject({ action: 'failover', confirm: true });
  });

  it('a single pipeline down on a SINGLE_PIPELINE channel is an outage candidate', () => {
    expect(run({ signal: alert('0'), channel: singlePipeline, primaryAlerts: { '0': ['a0'], '1': [] } })).toMatchObject({ action: 'failover', confirm: true });
  });

  it('a stopped / RECOVERING channel with no running pipeline is an outage; RECOVERING with pipelines is degraded', () => {
    const down = sig({ kind: 'channel-state', severity: 'outage', side: 'primary', detail: { state: 'RECOVERING', pipelinesRunningCount: 0 } });
    expect(run({ signal: down })).toMatchObject({ action: 'failover', confirm: true, primaryFresh: 'clear' });
    const half = sig({ kind: 'channel-state', severity: 'degraded', side: 'primary', detail: { state: 'RECOVERING', pipelinesRunningCount: 1 } });
    expect(run({ signal: half })).toMatchObject({ action: 'record', degraded: true });
  });

  it('stale edge AND stale primary is an outage; stale edge with a fresh primary is a caching problem', () => {
    expect(run({ signal: stale('edge', 'outage') })).toMatchObject({ action: 'failover', confirm: true });
    const caching = run({ signal: stale('edge', 'degraded') });
    expect(caching).toMatchObject({ action: 'record', degraded: true });
    expect(caching.reason).toMatch(/caching/);
  });

  it('a ManifestAge alarm on the primary or the edge is an outage candidate', () => {
    expect(run({ signal: sig({ side: 'primary', detail: { path: 'primary' } }) })).toMatchObject({ action: 'failover', confirm: true, primaryFresh: 'clear' });
    expect(run({ signal: sig({ detail: { path: 'edge' } }) })).toMatchObject({ action: 'failover', confirm: true });
    expect(run({ signal: sig({ kind: 'alarm-insufficient-data', severity: 'info', detail: { path: 'edge' } }) }).action).toBe('ignore');
  });

  it('info signals are recorded, never acted on', () => {
    expect(run({ signal: sig({ kind: 'input-change', severity: 'info', side: 'primary' }) })).toMatchObject({ action: 'record', degraded: false });
  });
});

describe('policy: a stale primary origin behind an edge that still looks fresh', () => {
  // The probe's view: the primary origin confirmed stale, the edge not (yet), each path's live edge by its
  // playlist's wall clock (epoch ms; null without one) and the age of its latest reading (threshold 3 s).
  const FROZEN = NOW - 4_000;
  const originStale = (edgeAt: number | null | undefined, primaryAt: number | null | undefined, edgeAgeMs = 3_100) =>
    sig({
      kind: 'manifest-stale',
      severity: 'degraded',
      side: 'primary',
      detail: {
        path: 'primary',
        thresholdMs: 3_000,
        paths: {
          edge: { state: 'fresh', ageMs: edgeAgeMs, ...(edgeAt === undefined ? {} : { liveEdgeAt: edgeAt }) },
          primary: { state: 'stale', ageMs: 4_000, ...(primaryAt === undefined ? {} : { liveEdgeAt: primaryAt }) },
        },
      },
    });

  it('is an outage when the edge has nothing newer than the frozen origin: confirmed before the failover', () => {
    for (const edgeAt of [FROZEN, FROZEN - 2_000]) {
      const d = run({ signal: originStale(edgeAt, FROZEN) });
      expect(d, String(edgeAt)).toMatchObject({ action: 'failover', confirm: true, primaryFresh: 'clear' });
      expect(d.reason).toContain('the edge has nothing newer than the frozen primary origin');
      expect(d.reason).toContain(new Date(edgeAt).toISOString());
      expect(d.reason).toContain(new Date(FROZEN).toISOString());
    }
  });

  it('keeps watching when the edge has media newer than the origin (it is fed from elsewhere, or the probe misreads the origin)', () => {
    const d = run({ signal: originStale(FROZEN + 1, FROZEN) });
    expect(d).toMatchObject({ action: 'record', confirm: false, notify: false });
    expect(d.reason).toMatch(/watching/);
    expect(d.reason).toMatch(/newer media than the primary origin/);
  });

  it("keeps watching while the edge's latest reading is within the threshold: read before the origin froze, it may be fed from elsewhere", () => {
    for (const edgeAgeMs of [3_000, 1_500]) {
      const d = run({ signal: originStale(FROZEN - 1_000, FROZEN, edgeAgeMs) });
      expect(d, String(edgeAgeMs)).toMatchObject({ action: 'record', confirm: false });
      expect(d.reason).toMatch(/watching: the edge's latest reading .* is not past the 3000 ms threshold/);
    }
  });

  it('keeps watching when either end is unknown (no wall clock, or an event from an older probe)', () => {
    for (const [edgeAt, primaryAt] of [
      [null, FROZEN],
      [FROZEN, null],
      [undefined, FROZEN],
      [FROZEN, undefined],
    ] as const) {
      const d = run({ signal: originStale(edgeAt, primaryAt) });
      expect(d, `${String(edgeAt)} ${String(primaryAt)}`).toMatchObject({ action: 'record', confirm: false });
      expect(d.reason).toMatch(/watching: .*not known/);
    }
  });

  it('applies only while the primary is on air: on the standby the edge serves the standby, and a stale primary is no news for viewers', () => {
    for (const item of [onStandby(), onStandby({ onAir: 'slate' })]) {
      const d = run({ signal: originStale(FROZEN, FROZEN), item });
      expect(d, item.onAir).toMatchObject({ action: 'record', confirm: false, notify: false });
      expect(d.reason).toBe('primary origin stale while the edge is still fresh: watching');
    }
  });

  it('is held by the dwell and the lock like any other outage', () => {
    expect(run({ signal: originStale(FROZEN, FROZEN), item: steady({ lastTransitionAt: NOW - 10_000 }) })).toMatchObject({ action: 'record', notify: true, confirm: true });
    expect(run({ signal: originStale(FROZEN, FROZEN), item: steady({ phase: 'failing-over', incidentId: 'other', lockExpiresAt: NOW + 60_000 }) }).action).toBe('coalesced');
  });
});

describe('policy: an unreachable primary origin (its readings fail) while it is on air', () => {
  // The probe's transition for the primary path: the renditions it read (status 'error' with the fetch's problem
  // code when no playlist came back) and the multivariant playlist when its own fetch failed.
  type Reading = { name: string; status: string; problems: string[] };
  const media = (status: string, problems: string[] = []): Reading => ({ name: '720p', status, problems });
  const multivariant = (problems: string[]): Reading => ({ name: 'multivariant', status: 'error', problems });
  const primaryStale = (renditions: Reading[], edge: Record<string, unknown> = { state: 'fresh', ageMs: 500 }, side: 'primary' | 'standby' = 'primary') =>
    sig({
      kind: 'manifest-stale',
      severity: 'degraded',
      side,
      detail: {
        path: side,
        thresholdMs: 3_000,
        paths: { edge, [side]: { state: 'stale', ageMs: null } },
        renditions: renditions.map((r) => ({ url: `https://origin.example/${r.name}.m3u8`, ageMs: null, mediaSequence: null, ...r })),
      },
    });

  it('is an outage without waiting for the edge, confirmed first, when every media playlist fetch failed', () => {
    for (const code of ['timeout', 'fetch-failed', 'http-error']) {
      const d = run({ signal: primaryStale([media('error', [code]), { ...media('error', [code]), name: '1080p' }]) });
      expect(d, code).toMatchObject({ action: 'failover', confirm: true, primaryFresh: 'clear' });
      expect(d.reason, code).toMatch(/primary origin unreachable/);
      expect(d.reason, code).toContain(`720p: ${code}`);
      expect(d.reason, code).toContain(`1080p: ${code}`);
    }
  });

  it('is no outage when the origin refuses the probe (401/403: an origin that admits only its CDN): the stale-origin rules apply', () => {
    for (const renditions of [[media('error', ['access-denied']), { ...media('error', ['access-denied']), name: '1080p' }], [multivariant(['access-denied'])]]) {
      const d = run({ signal: primaryStale(renditions) });
      expect(d, JSON.stringify(renditions)).toMatchObject({ action: 'record', confirm: false });
      expect(d.reason).toMatch(/primary origin stale while the edge is still fresh: watching/);
    }
  });

  it('is an outage when the multivariant playlist fetch failed, whatever the older media readings said', () => {
    const d = run({ signal: primaryStale([media('stale'), multivariant(['timeout'])]) });
    expect(d).toMatchObject({ action: 'failover', confirm: true });
    expect(d.reason).toMatch(/primary origin unreachable.*multivariant: timeout/);
  });

  it('keeps the stale-origin rules while the primary answers: a stale media playlist among failed ones, or a playlist it cannot read', () => {
    for (const renditions of [
      [media('stale'), { ...media('error', ['timeout']), name: '1080p' }],
      [media('error', ['unreadable-rendition'])],
      [media('stale')],
      [],
    ]) {
      const d = run({ signal: primaryStale(renditions) });
      expect(d, JSON.stringify(renditions)).toMatchObject({ action: 'record', confirm: false });
      expect(d.reason).toMatch(/primary origin stale while the edge is still fresh: watching/);
    }
  });

  it('is held by the dwell and the lock like any other outage', () => {
    const unreachable = primaryStale([media('error', ['timeout'])]);
    expect(run({ signal: unreachable, item: steady({ lastTransitionAt: NOW - 10_000 }) })).toMatchObject({ action: 'record', notify: true, confirm: true });
    expect(run({ signal: unreachable, item: steady({ phase: 'failing-over', incidentId: 'other', lockExpiresAt: NOW + 60_000 }) }).action).toBe('coalesced');
  });

  it('leaves the standby and the slate branches as they were', () => {
    // Viewers on the standby or the slate: an unreachable primary is no news for them.
    for (const item of [onStandby(), onStandby({ onAir: 'slate' })]) {
      const d = run({ signal: primaryStale([media('error', ['timeout'])]), item });
      expect(d, item.onAir).toMatchObject({ action: 'record', confirm: false, notify: false });
      expect(d.reason).not.toMatch(/unreachable/);
    }
    // An unreachable standby while the primary is on air never fails over.
    expect(run({ signal: primaryStale([media('error', ['timeout'])], { state: 'fresh' }, 'standby') })).toMatchObject({ action: 'record', notify: false });
    // An unreachable standby on air behind a stale edge fails back (standbyDown), as before.
    expect(run({ signal: primaryStale([media('error', ['timeout'])], { state: 'stale' }, 'standby'), item: onStandby() })).toMatchObject({
      action: 'failback',
      standbyDown: true,
    });
  });
});

describe('policy: the standby side never fails over', () => {
  it('records standby trouble while the primary is on air', () => {
    for (const s of [alert('0', 'standby'), stale('standby', 'degraded'), sig({ side: 'standby', detail: { path: 'standby' } })]) {
      expect(run({ signal: s })).toMatchObject({ action: 'record', notify: false });
    }
  });
  it('pages when the standby has trouble short of an outage while it is on air', () => {
    expect(run({ signal: alert('0', 'standby'), item: onStandby() })).toMatchObject({ action: 'record', notify: true, degraded: true });
    // Stale at the standby origin while viewers still get fresh media through the edge: watching, paged.
    const originOnly = sig({ kind: 'manifest-stale', severity: 'degraded', side: 'standby', detail: { path: 'standby', paths: { edge: { state: 'fresh' }, standby: { state: 'stale' } } } });
    expect(run({ signal: originOnly, item: onStandby() })).toMatchObject({ action: 'record', notify: true });
  });
});

describe('policy: an outage of the standby while it is on air', () => {
  const paths = (edge: string, primary: string, standby: string) => ({ edge: { state: edge }, primary: { state: primary }, standby: { state: standby } });
  // The probe's own severities: it compares the edge with the primary, whatever is on air.
  const standbyStale = sig({ kind: 'manifest-stale', severity: 'degraded', side: 'standby', detail: { path: 'standby', paths: paths('stale', 'fresh', 'stale') } });
  const edgeStale = (primary: string, standby: string) =>
    sig({ kind: 'manifest-stale', severity: primary === 'fresh' ? 'degraded' : 'outage', detail: { path: 'edge', paths: paths('stale', primary, standby) } });
  // Within the dwell of the failover, on a channel whose failback is manual: neither holds it back.
  const justFailedOver = onStandby({ lastTransitionAt: NOW - 2_000, primaryFreshSince: NOW - 10_000 });

  it('fails back at once with standbyDown, pages, and names the standby outage', () => {
    for (const signal of [
      standbyStale,
      edgeStale('fresh', 'stale'),
      sig({ kind: 'channel-state', severity: 'outage', side: 'standby', detail: { state: 'IDLE', pipelinesRunningCount: 0 } }),
      sig({ side: 'standby', detail: { path: 'standby' } }),
      sig({ detail: { path: 'edge' } }),
    ]) {
      const d = run({ signal, item: justFailedOver });
      expect(d, signal.kind).toMatchObject({ action: 'failback', standbyDown: true, notify: true, confirm: true });
      expect(d.reason).toMatch(/standby outage while it is on air/);
      expect(d.pageSubject).toMatch(/PAGE .*standby on air is down/);
    }
  });

  it('judges a stale edge against the standby origin, not the primary', () => {
    const caching = run({ signal: edgeStale('stale', 'fresh'), item: onStandby() });
    expect(caching).toMatchObject({ action: 'record', degraded: true });
    expect(caching.reason).toMatch(/standby origin \(on air\) is fresh: CDN caching/);
    // On the primary the same comparison is with the primary origin.
    expect(run({ signal: edgeStale('fresh', 'stale') }).reason).toMatch(/primary origin is fresh: CDN caching/);
  });

  it('also fails back when the primary was not seen fresh: the failback puts the slate on then', () => {
    const d = run({ signal: standbyStale, item: onStandby() });
    expect(d).toMatchObject({ action: 'failback', standbyDown: true });
    expect(d.reason).toMatch(/not seen fresh: the slate/);
  });

  it('is coalesced while another incident holds the lock; a late event is recorded, not acted on', () => {
    const held = onStandby({ phase: 'failing-back', incidentId: 'other', lockExpiresAt: NOW + 60_000 });
    expect(run({ signal: standbyStale, item: held }).action).toBe('coalesced');
    const late = { ...standbyStale, at: new Date(NOW - 10 * 60_000).toISOString() };
    expect(run({ signal: late, item: onStandby() })).toMatchObject({ action: 'record', degraded: true });
  });

  it('on the slate nothing is left to fail back from: recorded and paged', () => {
    expect(run({ signal: standbyStale, item: onStandby({ onAir: 'slate' }) })).toMatchObject({ action: 'record', notify: true });
  });
});

describe('policy: hysteresis', () => {
  it('no failover while another incident holds the lock: coalesced', () => {
    const item = steady({ phase: 'failing-over', incidentId: 'other', lockExpiresAt: NOW + 60_000 });
    const d = run({ signal: stale('edge', 'outage'), item });
    expect(d).toMatchObject({ action: 'coalesced', confirm: false });
    expect(d.reason).toMatch(/coalesced into incident other/);
  });

  it('the same incident holding the lock is not coalesced (a retried triage re-issues the start)', () => {
    const item = steady({ phase: 'failing-over', incidentId: 'inc-1', lockExpiresAt: NOW + 60_000 });
    expect(run({ signal: stale('edge', 'outage'), item }).action).toBe('failover');
  });

  it('an expired lock does not block', () => {
    const item = steady({ phase: 'failing-over', incidentId: 'other', lockExpiresAt: NOW - 1 });
    expect(run({ signal: stale('edge', 'outage'), item }).action).toBe('failover');
  });

  it('no failover within minDwellSeconds of the last transition', () => {
    const item = steady({ lastTransitionAt: NOW - 299_000 });
    const d = run({ signal: stale('edge', 'outage'), item });
    expect(d.action).toBe('record');
    expect(d.reason).toMatch(/dwell.*1 s left/);
    expect(dwellRemainingMs(item, news, NOW)).toBe(1_000);
    expect(run({ signal: stale('edge', 'outage'), item: steady({ lastTransitionAt: NOW - 300_000 }) }).action).toBe('failover');
  });

  it('the dwell never drops a real outage: recorded and paged at once, once per dwell', () => {
    const item = steady({ lastTransitionAt: NOW - 10_000 });
    const first = run({ signal: stale('edge', 'outage'), item });
    expect(first).toMatchObject({ action: 'record', notify: true, pageOnce: `outage-in-dwell-${NOW - 10_000}` });
    expect(first.pageSubject).toMatch(/outage within the dwell.*290 s/);
    // A re-announcement of the same outage in the same dwell shares the page key: one page.
    const again = run({ signal: { ...stale('edge', 'outage'), dedupeKey: 'k2', detail: { path: 'edge', reminder: true } }, item, now: NOW + 5_000 });
    expect(again).toMatchObject({ action: 'record', pageOnce: first.pageOnce });
    // Once the dwell is over, the re-announced outage fails over.
    expect(run({ signal: { ...stale('edge', 'outage'), detail: { path: 'edge', reminder: true } }, item, now: NOW + 290_000 }).action).toBe('failover');
  });

  it('a reminder that changes nothing is ignored, not recorded again', () => {
    const reminder = { ...stale('edge', 'outage'), detail: { path: 'edge', reminder: true, paths: { standby: { state: 'fresh' } } } };
    expect(run({ signal: reminder, item: onStandby() }).action).toBe('ignore');
    expect(run({ signal: { ...stale('edge', 'degraded'), detail: { path: 'edge', reminder: true } } }).action).toBe('ignore');
  });

  it('an outage signal about the primary while already on the standby does nothing', () => {
    expect(run({ signal: stale('primary', 'outage'), item: onStandby() })).toMatchObject({ action: 'record' });
    expect(run({ signal: sig({ side: 'primary', detail: { path: 'primary' } }), item: onStandby() })).toMatchObject({ action: 'record' });
  });
});

describe('policy: failback', () => {
  const kidsInput = (item: LedgerItem, signal = fresh()) => evaluate({ channel: kids, item: { ...item, channelId: 'kids-1' }, now: NOW, incidentId: 'inc-2', signal: { ...signal, channelId: 'kids-1' } });

  it('a fresh primary sets primaryFreshSince; a stale one clears it', () => {
    expect(primaryFreshness(fresh())).toBe('set');
    expect(primaryFreshness(sig({ kind: 'alarm-ok', severity: 'info', side: 'primary', detail: { path: 'primary' } }))).toBe('set');
    expect(primaryFreshness(stale('primary', 'outage'))).toBe('clear');
    expect(primaryFreshness(fresh('edge'))).toBeUndefined();
  });

  it('automatic failback only after the primary has been fresh for minDwellSeconds', () => {
    expect(kidsInput(onStandby()).action).toBe('record'); // first fresh signal: the dwell starts now
    expect(kidsInput(onStandby({ primaryFreshSince: NOW - 119_000 })).action).toBe('record');
    const d = kidsInput(onStandby({ primaryFreshSince: NOW - 120_000 }));
    expect(d).toMatchObject({ action: 'failback', confirm: false, primaryFresh: 'set' });
  });

  it('no ping-pong: no automatic failback within the dwell of the failover', () => {
    const d = kidsInput(onStandby({ primaryFreshSince: NOW - 600_000, lastTransitionAt: NOW - 60_000 }));
    expect(d.action).toBe('record');
    expect(d.reason).toMatch(/ping-pong/);
  });

  it('manual-failback channels never fail back on their own', () => {
    const d = run({ signal: fresh(), item: onStandby({ primaryFreshSince: NOW - 3_600_000 }) });
    expect(d.action).toBe('record');
    expect(d.reason).toMatch(/manual/);
  });

  it('on the slate, a fresh primary fails back at once when automatic: the slate is not a source, no dwell holds it', () => {
    // The slate went on within the dwell of nothing (a failover with no standby ready): first fresh signal.
    const d = kidsInput(onStandby({ onAir: 'slate', lastTransitionAt: NOW - 1_000 }));
    expect(d).toMatchObject({ action: 'failback', notify: true, primaryFresh: 'set' });
    expect(d.pageSubject).toMatch(/primary fresh again; on the slate; failback automatic/);
    // The failback's own CheckPrimaryFresh confirms it: standbyDown is not set, so a primary not fresh there changes nothing.
    expect(d.standbyDown).toBeUndefined();
  });

  it('on the slate, a fresh primary of a manual-failback channel is paged once per incident, not failed back to', () => {
    const d = run({ signal: fresh(), item: onStandby({ onAir: 'slate', incidentId: 'inc-slate' }) });
    expect(d).toMatchObject({ action: 'record', notify: true, pageOnce: 'primary-fresh-on-slate-inc-slate' });
    expect(d.pageSubject).toMatch(/primary fresh again; on the slate; failback needs an operator/);
  });

  it('on the slate, a late "primary fresh" is evidence: no failback, no page', () => {
    const late = { ...fresh(), at: new Date(NOW - 3_600_000).toISOString() };
    expect(kidsInput(onStandby({ onAir: 'slate' }), late)).toMatchObject({ action: 'record', notify: false });
  });

  it('on the slate, a fresh edge (it may be serving the slate) is not a returning primary: no failback, no page', () => {
    expect(kidsInput(onStandby({ onAir: 'slate', lastTransitionAt: NOW - 1_000 }), fresh('edge'))).toMatchObject({ action: 'record', notify: false });
  });

  it('on the slate, a fresh standby is failed over to at once, whatever the failback policy and the dwell: paged', () => {
    const standbyFresh = sig({ kind: 'manifest-fresh', severity: 'info', side: 'standby', detail: { path: 'standby' } });
    const standbyOk = sig({ kind: 'alarm-ok', severity: 'info', side: 'standby', detail: { path: 'standby' } });
    for (const signal of [standbyFresh, standbyOk]) {
      const d = run({ signal, item: onStandby({ onAir: 'slate', lastTransitionAt: NOW - 1_000 }) });
      // A standby just seen fresh gets 30 s to be seen fresh again, not the minutes one being started gets.
      expect(d).toMatchObject({ action: 'failover', notify: true, confirm: false, standbyReadySeconds: 30 });
      expect(d.pageSubject).toMatch(/standby fresh again; on the slate; failing over to it/);
    }
    // a late one is evidence; on the standby already, it is no news; another incident's lock coalesces it
    expect(run({ signal: { ...standbyFresh, at: new Date(NOW - 3_600_000).toISOString() }, item: onStandby({ onAir: 'slate' }) }).action).toBe('record');
    expect(run({ signal: standbyFresh, item: onStandby() }).action).toBe('record');
    expect(run({ signal: standbyFresh, item: onStandby({ onAir: 'slate', phase: 'failing-back', incidentId: 'other', lockExpiresAt: NOW + 60_000 }) }).action).not.toBe('failover');
    // an operator may send viewers from the slate to the standby too
    expect(run({ signal: sig({ kind: 'failover-requested', severity: 'info', source: 'operator' }), item: onStandby({ onAir: 'slate' }) }).action).toBe('failover');
  });

  it('no automatic failback while another transition runs', () => {
    const item = onStandby({ phase: 'failing-back', incidentId: 'other', lockExpiresAt: NOW + 1_000, primaryFreshSince: NOW - 600_000 });
    expect(kidsInput(item).action).toBe('record'); // not on-standby: nothing automatic while a transition runs
  });
});

describe('policy: operator requests and drills', () => {
  const ops = (kind: string, detail: Record<string, unknown> = {}) => sig({ kind, severity: kind === 'failback-requested' ? 'info' : 'outage', detail: { reason: 'maintenance', ...detail } });

  it('failover requested: forced (no confirmation, no dwell), but subject to the lock', () => {
    expect(run({ signal: ops('failover-requested'), item: steady({ lastTransitionAt: NOW - 1000 }) })).toMatchObject({
      action: 'failover',
      confirm: false,
      reason: 'operator requested: maintenance',
    });
    // A reason that is not text is not printed as "[object Object]": the request's kind stands in.
    expect(run({ signal: ops('failover-requested', { reason: { text: 'x' } }) }).reason).toBe('operator requested: failover-requested');
    const locked = steady({ phase: 'failing-over', incidentId: 'other', lockExpiresAt: NOW + 1000 });
    expect(run({ signal: ops('failover-requested'), item: locked }).action).toBe('coalesced');
    expect(run({ signal: ops('failover-requested'), item: onStandby() }).action).toBe('ignore');
  });

  it('a drill is a forced failover tagged drill', () => {
    expect(run({ signal: ops('drill-requested', { drill: true }) })).toMatchObject({ action: 'failover', confirm: false, drill: true });
    const locked = steady({ phase: 'failing-over', incidentId: 'other', lockExpiresAt: NOW + 1000 });
    expect(run({ signal: ops('drill-requested'), item: locked })).toMatchObject({ action: 'coalesced', drill: true });
  });

  it('failback requested: only when not already steady on primary', () => {
    expect(run({ signal: ops('failback-requested'), item: onStandby() })).toMatchObject({ action: 'failback', reason: 'operator requested failback: maintenance' });
    expect(run({ signal: ops('failback-requested') }).action).toBe('ignore');
  });

  it('failback requested within the dwell: not acted on, unless it says force: true', () => {
    const recent = onStandby({ lastTransitionAt: NOW - 1000 });
    const d = run({ signal: ops('failback-requested'), item: recent });
    expect(d.action).toBe('record');
    expect(d.reason).toMatch(/within the dwell.*force: true/);
    expect(run({ signal: ops('failback-requested', { force: true }), item: recent })).toMatchObject({ action: 'failback' });
  });
});

describe('policy: late events are evidence, never news', () => {
  const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();
  const ops = (kind: string, at: string) => sig({ kind, at, severity: kind === 'failback-requested' ? 'info' : 'outage', detail: { reason: 'old' } });

  it('an operator request older than the bound (default 5 min) is recorded, not acted on', () => {
    for (const kind of ['failover-requested', 'drill-requested']) {
      const d = run({ signal: ops(kind, minutesAgo(11)) });
      expect(d.action, kind).toBe('record');
      expect(d.reason).toMatch(/older than the bound.*not acted on/);
    }
    expect(run({ signal: ops('failback-requested', minutesAgo(11)), item: onStandby(), }).action).toBe('record');
    expect(run({ signal: ops('failover-requested', minutesAgo(4)) }).action).toBe('failover');
  });

  it('the bound is configurable', () => {
    expect(run({ signal: ops('failover-requested', minutesAgo(4)), maxEventAgeMs: 60_000 }).action).toBe('record');
    expect(run({ signal: ops('failover-requested', minutesAgo(11)), maxEventAgeMs: 15 * 60_000 }).action).toBe('failover');
  });

  it('a late outage signal is confirmed afresh before anything starts', () => {
    const d = run({ signal: sig({ kind: 'alarm', at: minutesAgo(11), detail: { path: 'primary' } }) });
    expect(d).toMatchObject({ action: 'failover', confirm: true });
    expect(d.reason).toMatch(/confirmed afresh/);
  });

  it('a late "primary fresh" never starts the automatic failback clock in the past', () => {
    const late = { ...fresh(), channelId: 'kids-1', at: minutesAgo(11) };
    const d = evaluate({ channel: kids, item: onStandby({ channelId: 'kids-1' }), now: NOW, incidentId: 'inc-3', signal: late });
    expect(d.action).toBe('record');
    expect(d.reason).toMatch(/for 0 s/);
  });
});
