// The invariants' judging is pure: facts in, verdicts out. Each invariant is shown a drill that keeps it and
// one that breaks it, built from samples the way watchers.ts takes them. The full path (a drill sampling the
// real sandbox) runs in chaos.test.ts and in every scenario.
import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../sandbox/aws/state-machine-runner.js';
import { longestTaskTimeoutS, stepTimeoutS } from '../../sandbox/drill/facts.js';
import { judgeInvariants, type ChannelSample, type InvariantFacts, type InvariantId, type StateSample } from '../../sandbox/drill/invariants.js';
import type { DrillExecution } from '../../sandbox/drill/seams.js';

const T0 = 1_000_000;
const ID = 'news-1';

/** A healthy channel on its primary, at rest. */
const healthy = (): ChannelSample => ({
  fresh: { primary: true, standby: true },
  producing: { primary: true, standby: true },
  served: ['primary', 'primary', 'primary'],
  intended: 'primary',
  route: 'primary',
  slate: false,
  originGroupFirst: 'primary',
  ledger: { onAir: 'primary', phase: 'steady', lockHeld: false },
  running: [],
  steady: true,
});

/** Samples every 250 ms from t = 0 to `seconds`, each shaped by `at(t)`. */
function timeline(seconds: number, at: (t: number, c: ChannelSample) => void): StateSample[] {
  const out: StateSample[] = [];
  for (let ms = 0; ms <= seconds * 1000; ms += 250) {
    const c = healthy();
    at(ms / 1000, c);
    out.push({ at: T0 + ms, channels: { [ID]: c } });
  }
  return out;
}

const execution = (name: string, fromS: number, toS: number | null, action: 'failover' | 'failback' = 'failover'): DrillExecution => ({
  name,
  action,
  channelId: ID,
  status: toS === null ? 'RUNNING' : 'SUCCEEDED',
  startedAt: T0 + fromS * 1000,
  ...(toS === null ? {} : { stoppedAt: T0 + toS * 1000 }),
  steps: [],
});

function facts(over: Partial<InvariantFacts>): InvariantFacts {
  const samples = over.samples ?? timeline(20, () => undefined);
  return {
    t0: T0,
    end: samples.at(-1)!.at,
    thresholdS: 3,
    probeTickS: 1,
    kvsPropagationS: 3,
    stepTimeoutS: 6,
    samples,
    executions: [],
    notifications: [],
    operatorRequests: [],
    rejected: [],
    deadLetters: [],
    ...over,
  };
}

const verdict = (f: InvariantFacts, id: InvariantId): { pass: boolean; detail: string } => judgeInvariants(f).find((r) => r.id === id)!;

/** A real outage handled well: primary frozen at 2 s (stale from 5 s), failover 7-9 s, viewers fresh from 11 s (6 s on a stale side), a page. */
function goodFailover(): InvariantFacts {
  const samples = timeline(20, (t, c) => {
    if (t >= 2) c.producing.primary = false;
    if (t >= 5) c.fresh.primary = false;
    if (t >= 7 && t < 9) {
      c.running = ['news-1-a'];
      c.ledger = { onAir: 'primary', phase: 'failing-over', lockHeld: true, executionName: 'news-1-a' };
      c.steady = false;
    }
    if (t >= 8) Object.assign(c, { intended: 'standby', route: 'standby', originGroupFirst: 'standby' });
    if (t >= 9) c.ledger = { onAir: 'standby', phase: 'on-standby', lockHeld: false };
    if (t >= 11) c.served = ['standby', 'standby', 'standby'];
  });
  return facts({ samples, executions: [execution('news-1-a', 6.9, 9)], notifications: [{ at: T0 + 9000, channelIds: [ID] }] });
}

describe('drill invariants', () => {
  it('a real outage handled well keeps all seven', () => {
    const results = judgeInvariants(goodFailover());
    expect(results.map((r) => r.id)).toEqual(['I1', 'I2', 'I3', 'I4', 'I5', 'I6', 'I7']);
    expect(results.filter((r) => !r.pass)).toEqual([]);
    // The failover at 8 s moved every location off the stale primary by 11 s: the KVS propagation (3 s).
    expect(results.find((r) => r.id === 'I5')!.detail).toMatch(/viewers left a stale side within the KVS propagation \(3\.0 s\) and one sample; longest 3\.0 s$/);
  });

  it('I1: two executions of one channel RUNNING at once break it; one after the other does not', () => {
    expect(verdict(facts({ executions: [execution('a', 1, 5), execution('b', 5, 8, 'failback')] }), 'I1').pass).toBe(true);
    const r = verdict(facts({ executions: [execution('a', 1, 5), execution('b', 4, 8, 'failback')] }), 'I1');
    expect(r.pass).toBe(false);
    expect(r.detail).toMatch(/2 RUNNING at 4\.0 s/);
  });

  it('I2: a lock held with no RUNNING execution for longer than one step timeout breaks it', () => {
    const orphan = (untilS: number) =>
      timeline(20, (t, c) => {
        if (t >= 2 && t < untilS) c.ledger = { onAir: 'primary', phase: 'failing-over', lockHeld: true, executionName: 'news-1-x' };
      });
    expect(verdict(facts({ samples: orphan(7) }), 'I2').pass).toBe(true); // 5 s < 6 s
    const r = verdict(facts({ samples: orphan(15) }), 'I2');
    expect(r.pass).toBe(false);
    expect(r.detail).toMatch(/13\.0 s, news-1 from 2\.0 s \(execution news-1-x not RUNNING\)/);
  });

  it('I3: at rest, a route that disagrees with the ledger breaks it; while an execution runs it is not judged; the slate excuses it', () => {
    const split = (running: boolean, slate: boolean) =>
      timeline(10, (t, c) => {
        if (t >= 4) Object.assign(c, { route: 'standby', intended: 'standby', slate, running: running ? ['x'] : [], steady: !running });
      });
    expect(verdict(facts({ samples: split(true, false) }), 'I3').pass).toBe(true);
    expect(verdict(facts({ samples: split(false, true) }), 'I3').pass).toBe(true);
    const r = verdict(facts({ samples: split(false, false) }), 'I3');
    expect(r.pass).toBe(false);
    expect(r.detail).toMatch(/ledger primary, route standby, origin group primary first/);
  });

  it('I3: after a degraded incident (the origin group refused, a page went out) only the ledger and the route must agree', () => {
    const degraded = (lastOutcome: string) =>
      timeline(10, (t, c) => {
        if (t >= 4) Object.assign(c, { route: 'standby', intended: 'standby', ledger: { onAir: 'standby', phase: 'on-standby', lockHeld: false, lastOutcome } });
      });
    expect(verdict(facts({ samples: degraded('degraded') }), 'I3').pass).toBe(true);
    const r = verdict(facts({ samples: degraded('succeeded') }), 'I3');
    expect(r.pass).toBe(false);
    expect(r.detail).toMatch(/ledger standby, route standby, origin group primary first/);
  });

  it('I4: viewers left on a dead primary to the end, or an outage nobody paged, break it; a short blip does not count', () => {
    const dead = timeline(20, (t, c) => {
      if (t >= 5) c.fresh.primary = false;
    });
    const r = verdict(facts({ samples: dead }), 'I4');
    expect(r.pass).toBe(false);
    expect(r.detail).toMatch(/location 1: on a stale primary from 5\.0 s, still at the end \(15\.0 s\)/);

    const unpaged = goodFailover();
    expect(verdict({ ...unpaged, notifications: [] }, 'I4')).toMatchObject({ pass: false, detail: expect.stringMatching(/no page/) });
    // A page from an earlier incident does not cover this one.
    expect(verdict({ ...unpaged, notifications: [{ at: T0 - 60_000, channelIds: [ID] }] }, 'I4').pass).toBe(false);

    const blip = timeline(20, (t, c) => {
      if (t >= 5 && t < 9) c.fresh.primary = false; // 4 s <= staleAfter 3 + 2 ticks
    });
    expect(verdict(facts({ samples: blip }), 'I4').pass).toBe(true);
  });

  it('I5: a rollback that routes viewers back onto a stale primary while the standby is fresh breaks it', () => {
    const good = goodFailover();
    const rolledBack = good.samples.map((s) => {
      const t = (s.at - T0) / 1000;
      const c = { ...s.channels[ID]! };
      if (t >= 12) Object.assign(c, { intended: 'primary', route: 'primary', originGroupFirst: 'primary' });
      if (t >= 14) c.served = ['primary', 'standby', 'primary'];
      return { at: s.at, channels: { [ID]: c } };
    });
    const r = verdict({ ...good, samples: rolledBack }, 'I5');
    expect(r.pass).toBe(false);
    expect(r.detail).toMatch(/news-1: after the routing change at 12\.0 s, location 1 served the stale primary while the standby was fresh for 6\.0 s \(bound 3\.3 s\)/);
    // Routed to a fresh primary that dies afterwards: an outage (I4), not a misroute.
    const diesLater = timeline(20, (t, c) => {
      if (t >= 4) Object.assign(c, { intended: 'standby', route: 'standby' });
      if (t >= 8) Object.assign(c, { intended: 'primary', route: 'primary' });
      if (t >= 9) c.fresh.primary = false;
    });
    expect(verdict(facts({ samples: diesLater }), 'I5').pass).toBe(true);
  });

  it('I5: judges what viewers were served, not what flatline intended: a failback whose viewers stay on the dead standby breaks it', () => {
    // On the standby since 2 s; the standby dies at 6 s while the primary is fresh again; the failback routes
    // back at 8 s and reorders the group at 9 s. Intended is the primary from 8 s on either way.
    const failback = (servedPrimaryFromS: number) =>
      timeline(30, (t, c) => {
        if (t >= 2) Object.assign(c, { intended: 'standby', route: 'standby', originGroupFirst: 'standby', served: ['standby', 'standby', 'standby'] });
        if (t >= 6) c.fresh.standby = false;
        if (t >= 8) Object.assign(c, { intended: 'primary', route: 'primary' });
        if (t >= 9) c.originGroupFirst = 'primary';
        // The locations the KVS write reached (1.5 s; the third 0.5 s later), or the deployed origin group's new order.
        if (t >= servedPrimaryFromS) c.served = ['primary', 'primary', 'standby'];
        if (t >= servedPrimaryFromS + 0.5) c.served = ['primary', 'primary', 'primary'];
      });
    // Kept: a pinned primary route reaches every location within the KVS propagation.
    const kept = verdict(facts({ samples: failback(9.5) }), 'I5');
    expect(kept.pass).toBe(true);
    expect(kept.detail).toMatch(/longest 2\.0 s$/);
    // Broken: the edge serves the group as deployed (standby first) until the distribution deploy ends at 33 s.
    const broken = verdict(facts({ samples: failback(25) }), 'I5');
    expect(broken.pass).toBe(false);
    expect(broken.detail).toMatch(/after the routing change at 8\.0 s, location 3 served the stale standby while the primary was fresh for 17\.5 s/);
  });

  it("I6: a failover while the primary is fresh breaks it, unless an operator asked for it", () => {
    const fresh = facts({ executions: [execution('news-1-b', 10, 12)] });
    const r = verdict(fresh, 'I6');
    expect(r.pass).toBe(false);
    expect(r.detail).toMatch(/news-1-b at 10\.0 s: primary producing and fresh throughout the 5\.0 s before, no operator request/);
    // MediaLive knows before the manifest ages: a failover on the channel's own alerts, the primary not producing yet not stale, is after an outage.
    const early = timeline(20, (t, c) => {
      if (t >= 9) c.producing.primary = false;
    });
    expect(verdict({ ...fresh, samples: early }, 'I6').pass).toBe(true);
    // An outage that began after the last sample before the start is seen by the next sample.
    const between = timeline(20, (t, c) => {
      if (t >= 10.1) c.producing.primary = false;
    });
    expect(verdict({ ...facts({ executions: [execution('news-1-c', 10.05, 12)] }), samples: between }, 'I6').pass).toBe(true);
    const asked = verdict({ ...fresh, operatorRequests: [{ at: T0 + 9500, channelId: ID, detailType: 'Failover Requested' }] }, 'I6');
    expect(asked).toMatchObject({ pass: true, detail: expect.stringMatching(/1 asked for by an operator/) });
    // A request for another channel does not authorize this one.
    expect(verdict({ ...fresh, operatorRequests: [{ at: T0 + 9500, channelId: 'kids-1', detailType: 'Failover Requested' }] }, 'I6').pass).toBe(false);
  });

  it('I7: a rejected event missing from the dead-letter queue, or there without a reason, breaks it', () => {
    const rejected = [{ eventId: 'e1', error: 'unknown channel "nope"' }];
    expect(verdict(facts({ rejected, deadLetters: [{ eventId: 'e1', reason: 'unknown channel "nope"' }] }), 'I7').pass).toBe(true);
    expect(verdict(facts({ rejected, deadLetters: [] }), 'I7')).toMatchObject({ pass: false, detail: expect.stringMatching(/1 not in the dead-letter queue \(e1: unknown channel/) });
    expect(verdict(facts({ rejected, deadLetters: [{ eventId: 'e1', reason: ' ' }] }), 'I7')).toMatchObject({ pass: false, detail: expect.stringMatching(/1 without a reason/) });
  });

  it("one step timeout comes from the state machines: the longest Task TimeoutSeconds, in drill time under the world's compression", () => {
    const asl = ['failover', 'failback'].map(loadDefinition);
    const declared = asl.flatMap((d) => Object.values(d.States as Record<string, { Type: string; TimeoutSeconds?: number }>).filter((s) => s.Type === 'Task').map((s) => s.TimeoutSeconds ?? 0));
    expect(longestTaskTimeoutS()).toBe(Math.max(...declared));
    // Parallel branches count too.
    expect(longestTaskTimeoutS([{ States: { P: { Type: 'Parallel', Branches: [{ States: { T: { Type: 'Task', TimeoutSeconds: 90 } } }] } } }])).toBe(90);
    expect(stepTimeoutS({ compression: 10 })).toBe(longestTaskTimeoutS() > 30 ? longestTaskTimeoutS() / 10 : longestTaskTimeoutS());
  });
});
