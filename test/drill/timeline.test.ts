// The timeline plays actions at their time, or at a time after a milestone of the control plane, so that a
// step that needs flatline to have acted first lands at the same point of the story however slow the steps were.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseScenario, type ScenarioAction } from '../../sandbox/drill/scenario.js';
import type { DrillExecution } from '../../sandbox/drill/seams.js';
import { milestoneAt, playTimeline } from '../../sandbox/drill/timeline.js';

const execution = (x: Partial<DrillExecution> & Pick<DrillExecution, 'action' | 'status' | 'startedAt'>): DrillExecution => ({
  name: `${x.action}-${x.startedAt}`,
  channelId: 'news-1',
  steps: [],
  ...x,
});

describe('milestoneAt', () => {
  const failover = execution({ action: 'failover', status: 'SUCCEEDED', startedAt: 1_000, stoppedAt: 4_000 });
  const second = execution({ action: 'failover', status: 'FAILED', startedAt: 9_000, stoppedAt: 12_000 });

  it('is the first execution of the action: its start, and its end once it ended', () => {
    expect(milestoneAt('failover-started', [second, failover])).toBe(1_000);
    expect(milestoneAt('failover-succeeded', [second, failover])).toBe(4_000);
    expect(milestoneAt('failover-ended', [second, failover])).toBe(4_000);
  });

  it('is not reached while the execution runs, when it failed (succeeded), or when there is none', () => {
    const running = execution({ action: 'failback', status: 'RUNNING', startedAt: 2_000 });
    expect(milestoneAt('failback-started', [running])).toBe(2_000);
    expect(milestoneAt('failback-ended', [running])).toBeNull();
    expect(milestoneAt('failback-succeeded', [running])).toBeNull();
    const failed = execution({ action: 'failback', status: 'FAILED', startedAt: 2_000, stoppedAt: 3_000 });
    expect(milestoneAt('failback-succeeded', [failed])).toBeNull();
    expect(milestoneAt('failback-ended', [failed])).toBe(3_000);
    expect(milestoneAt('failover-started', [failed])).toBeNull();
  });
});

describe('playTimeline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 100_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const actions = (timeline: unknown[]): ScenarioAction[] =>
    parseScenario({ name: 't', title: 't', description: 't', timeline, expectations: [{ expect: 'invariants' }] }, 'test').timeline;

  it('applies an absolute action at its time and a milestone action that long after the milestone', () => {
    const executions: DrillExecution[] = [];
    const applied: Array<{ action: string; at: number }> = [];
    const timeline = playTimeline({
      actions: actions([
        { at: 1, action: 'fail-pipeline', side: 'primary', pipeline: 'both' },
        { at: 2, after: 'failover-succeeded', action: 'recover-pipeline', side: 'primary', pipeline: 'both' },
      ]),
      t0: 100_000,
      executions: () => executions,
      apply: (a) => applied.push({ action: a.action, at: Date.now() }),
    });
    expect(timeline.pending()).toBe(2);

    vi.advanceTimersByTime(1_000);
    expect(applied).toEqual([{ action: 'fail-pipeline', at: 101_000 }]);

    // The failover takes 9 s here; the recovery follows it by 2 s, not by 2 s after t0.
    vi.advanceTimersByTime(5_000);
    executions.push(execution({ action: 'failover', status: 'RUNNING', startedAt: 102_000 }));
    vi.advanceTimersByTime(4_000);
    expect(applied).toHaveLength(1);
    executions[0] = { ...executions[0]!, status: 'SUCCEEDED', stoppedAt: 110_000 };
    vi.advanceTimersByTime(1_900);
    expect(applied).toHaveLength(1);
    expect(timeline.pending()).toBe(1);
    vi.advanceTimersByTime(200);
    expect(applied).toEqual([
      { action: 'fail-pipeline', at: 101_000 },
      { action: 'recover-pipeline', at: 112_000 },
    ]);
    expect(timeline.pending()).toBe(0);
    expect(timeline.lastAppliedAt()).toBe(112_000);
    timeline.stop();
  });

  it('never applies an action whose milestone does not come, and names it', () => {
    const applied: string[] = [];
    const timeline = playTimeline({
      actions: actions([{ at: 0, after: 'failback-succeeded', action: 'fail-pipeline', side: 'primary', pipeline: 'both' }]),
      t0: 100_000,
      executions: () => [execution({ action: 'failback', status: 'FAILED', startedAt: 100_500, stoppedAt: 101_000 })],
      apply: (a) => applied.push(a.action),
    });
    vi.advanceTimersByTime(30_000);
    expect(applied).toEqual([]);
    expect(timeline.pending()).toBe(1);
    expect(timeline.waitingForMilestone().map((a) => a.after)).toEqual(['failback-succeeded']);
    timeline.stop();
  });

  it('rejects an unknown milestone naming the field', () => {
    expect(() => actions([{ at: 0, after: 'failover-done', action: 'fail-pipeline', side: 'primary', pipeline: 'both' }])).toThrow(/timeline\.0\.after/);
  });
});
