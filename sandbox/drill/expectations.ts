// Judges a scenario's expectations against what the drill measured. Pure: the runner gathers the facts,
// this module only compares, and says in words what it saw.
import { judgeInvariants, type InvariantFacts } from './invariants.js';
import type { ExpectationResult, ViewerRecovery } from './report.js';
import type { Expectation } from './scenario.js';
import type { DrillExecution } from './seams.js';

export interface ChannelFacts {
  route: 'primary' | 'standby';
  slate: boolean;
  originGroupFirst: 'primary' | 'standby';
  onAir: string | null;
  standbyState: string;
  routeFlips: number;
  executions: DrillExecution[];
  notifications: Array<{ subject?: string; message: string }>;
}

export interface DrillFacts {
  channelId: string;
  targetDurationS: number;
  /** Seconds from the freeze to the last viewer back on fresh manifests (null: one is not back, or never frozen). */
  timeToRecoverS: number | null;
  /** The same over the viewers that watched the frozen media (null: never frozen). */
  viewerRecovery: ViewerRecovery | null;
  freezeT: number | null;
  /** t when the primary stopped producing (its pipelines failed), at or after freezeT; null: never frozen. */
  faultT: number | null;
  longestStallS: number;
  /** Share of viewers that stalled at least once, 0..1. */
  shareStalled: number;
  /** Mutating calls to the services flatline acts through (not the bus the drill and the probe write to). */
  mutatingActionCalls: number;
  rejectedEvents: number;
  channels: Record<string, ChannelFacts>;
  /** Notifications that name no channel of the registry: the ops alarms' actions (a probe shard's heartbeat, the fleet's stale channels). */
  opsNotifications: Array<{ subject?: string; message: string }>;
  /** What the invariants I1-I7 judge (invariants.ts). */
  invariants: InvariantFacts;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function describeExpectation(e: Expectation, mainChannel: string): string {
  const on = e.channel && e.channel !== mainChannel ? ` (${e.channel})` : '';
  switch (e.expect) {
    case 'failover':
      return `viewers back on fresh manifests from the standby within ${e.withinTargetDurations} target durations${on}`;
    case 'no-failover':
      return `no failover${on}`;
    case 'executions': {
      const what = e.action === 'any' ? 'executions' : `${e.action} executions`;
      if (e.min !== undefined && e.max !== undefined) return e.min === e.max ? `exactly ${e.min} ${what}${on}` : `${e.min}..${e.max} ${what}${on}`;
      if (e.max !== undefined) return `at most ${e.max} ${what}${on}`;
      return `at least ${e.min ?? 0} ${what}${on}`;
    }
    case 'execution-status':
      return `${e.action} execution ends ${e.status}${on}`;
    case 'routing': {
      const parts = [e.route && `route ${e.route}`, e.slate !== undefined && `slate ${e.slate ? 'on' : 'off'}`, e.originGroupFirst && `origin group ${e.originGroupFirst} first`].filter(Boolean);
      return `routing at the end: ${parts.join(', ')}${on}`;
    }
    case 'standby-state':
      return `standby channel ${e.state} at the end${on}`;
    case 'notified':
      return `at least ${plural(e.min, 'notification')}${e.matching ? ` matching /${e.matching}/` : ''}${on}`;
    case 'ops-paged':
      return `at least ${plural(e.min, 'ops page')} (naming no channel)${e.matching ? ` matching /${e.matching}/` : ''}`;
    case 'zero-actions':
      return 'zero actions: no execution, no mutating AWS call';
    case 'rejected-events':
      return `at least ${plural(e.min, 'event')} rejected by triage`;
    case 'viewer-stall':
      return `no viewer stalls longer than ${e.maxTargetDurations} target durations, at most ${(e.maxShareStalled * 100).toFixed(0)} % of viewers stall`;
    case 'longest-stall':
      return `no viewer stalls longer than ${e.maxTargetDurations} target durations`;
    case 'route-flips':
      return `the route flips at most ${plural(e.max, 'time')}${on}`;
    case 'on-air':
      return `ledger: ${e.onAir} on air at the end${on}`;
    case 'invariants':
      return 'invariants I1-I7 hold';
  }
}

export function evaluate(e: Expectation, facts: DrillFacts): ExpectationResult {
  const channelId = e.channel ?? facts.channelId;
  const c = facts.channels[channelId];
  const td = facts.targetDurationS;
  const expectation = describeExpectation(e, facts.channelId);
  const result = (pass: boolean, detail: string): ExpectationResult => ({ expectation, pass, detail });
  if (!c) return result(false, `no facts about channel ${channelId}`);
  const ofAction = (action: string): DrillExecution[] => c.executions.filter((x) => action === 'any' || x.action === action);
  switch (e.expect) {
    case 'failover': {
      const routed = c.route === 'standby' || c.originGroupFirst === 'standby';
      if (facts.freezeT === null) return result(false, 'the primary never froze');
      const vr = facts.viewerRecovery;
      if (facts.timeToRecoverS === null || !vr)
        return result(false, `${vr ? `${vr.back} of ${vr.viewers}` : 'no'} viewers back on fresh manifests (route ${c.route}, origin group ${c.originGroupFirst} first)`);
      const tds = facts.timeToRecoverS / td;
      return result(
        routed && tds <= e.withinTargetDurations,
        `the last of ${vr.viewers} viewers fresh again ${tds.toFixed(1)} target durations (${facts.timeToRecoverS.toFixed(1)} s) after the freeze, p50 ${vr.p50S!.toFixed(1)} s; route ${c.route}, origin group ${c.originGroupFirst} first`,
      );
    }
    case 'no-failover': {
      const failovers = ofAction('failover').length;
      return result(failovers === 0 && c.route === 'primary' && c.originGroupFirst === 'primary' && c.routeFlips === 0, `${plural(failovers, 'failover execution')}, route ${c.route}, ${plural(c.routeFlips, 'route flip')}`);
    }
    case 'executions': {
      const n = ofAction(e.action).length;
      return result((e.min === undefined || n >= e.min) && (e.max === undefined || n <= e.max), `${n} started`);
    }
    case 'execution-status': {
      const xs = ofAction(e.action);
      if (xs.length === 0) return result(false, `no ${e.action} execution`);
      return result(xs.every((x) => x.status === e.status), xs.map((x) => `${x.status}${x.error ? ` (${x.error})` : ''}`).join(', '));
    }
    case 'routing': {
      const ok = (e.route === undefined || c.route === e.route) && (e.slate === undefined || c.slate === e.slate) && (e.originGroupFirst === undefined || c.originGroupFirst === e.originGroupFirst);
      return result(ok, `route ${c.route}, slate ${c.slate ? 'on' : 'off'}, origin group ${c.originGroupFirst} first`);
    }
    case 'standby-state':
      return result(c.standbyState === e.state, `standby ${c.standbyState}`);
    case 'notified':
    case 'ops-paged': {
      const notes = e.expect === 'notified' ? c.notifications : facts.opsNotifications;
      const re = e.matching ? new RegExp(e.matching, 'i') : undefined;
      const n = notes.filter((m) => !re || re.test(`${m.subject ?? ''} ${m.message}`)).length;
      const last = notes.at(-1);
      return result(n >= e.min, `${plural(n, e.expect === 'notified' ? 'notification' : 'ops page')}${last ? `, last: "${(last.subject ?? last.message).slice(0, 80)}"` : ''}`);
    }
    case 'zero-actions': {
      const executions = Object.values(facts.channels).reduce((n, x) => n + x.executions.length, 0);
      return result(executions === 0 && facts.mutatingActionCalls === 0, `${plural(executions, 'execution')}, ${plural(facts.mutatingActionCalls, 'mutating call')}`);
    }
    case 'rejected-events':
      return result(facts.rejectedEvents >= e.min, `${plural(facts.rejectedEvents, 'event')} rejected`);
    case 'longest-stall': {
      const tds = facts.longestStallS / td;
      return result(tds <= e.maxTargetDurations, `longest stall ${tds.toFixed(2)} target durations (${facts.longestStallS.toFixed(2)} s)`);
    }
    case 'viewer-stall': {
      const tds = facts.longestStallS / td;
      return result(
        tds <= e.maxTargetDurations && facts.shareStalled <= e.maxShareStalled,
        `longest stall ${tds.toFixed(2)} target durations, ${(facts.shareStalled * 100).toFixed(1)} % of viewers stalled`,
      );
    }
    case 'route-flips':
      return result(c.routeFlips <= e.max, plural(c.routeFlips, 'route flip'));
    case 'on-air':
      return result(c.onAir === e.onAir, `on air: ${c.onAir ?? 'no ledger item'}`);
    case 'invariants': {
      const failed = judgeInvariants(facts.invariants).filter((r) => !r.pass);
      return result(failed.length === 0, failed.length ? failed.map((r) => `${r.id}: ${r.detail}`).join('; ') : 'all seven hold (each listed under invariants)');
    }
  }
}
