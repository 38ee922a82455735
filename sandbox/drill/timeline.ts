// Plays a scenario's timeline. An action happens `at` seconds into the drill, or `at` seconds after a
// milestone of the control plane (`after: failback-succeeded`): a step that depends on flatline having done
// something first (fail again within the dwell of a failback) then happens at the same point of the story on
// a quiet laptop and on a loaded CI machine, where absolute times would drift out of the window they drill.
import type { Milestone, ScenarioAction } from './scenario.js';
import type { DrillExecution } from './seams.js';

/** How often milestones are looked for: the drill's own sampling rate is enough (actions are seconds apart). */
const WATCH_EVERY_MS = 100;

export interface TimelineOptions {
  actions: readonly ScenarioAction[];
  /** Epoch ms of t = 0 (the end of the warm-up). */
  t0: number;
  /** The drilled channel's executions (incidents only). */
  executions: () => DrillExecution[];
  apply: (action: ScenarioAction) => void;
}

export interface Timeline {
  /** Actions not applied yet (waiting for their time or their milestone). */
  pending(): number;
  /** Epoch ms the last action was applied (t0 while none was). */
  lastAppliedAt(): number;
  /** Actions whose milestone has not happened (yet). */
  waitingForMilestone(): ScenarioAction[];
  stop(): void;
}

/** Epoch ms a milestone was reached (the first execution of that action), or null while it was not. */
export function milestoneAt(milestone: Milestone, executions: readonly DrillExecution[]): number | null {
  const [action, what] = milestone.split('-') as ['failover' | 'failback', 'started' | 'succeeded' | 'ended'];
  const first = executions.filter((x) => x.action === action).sort((a, b) => a.startedAt - b.startedAt)[0];
  if (!first) return null;
  if (what === 'started') return first.startedAt;
  if (first.status === 'RUNNING') return null;
  if (what === 'succeeded' && first.status !== 'SUCCEEDED') return null;
  return first.stoppedAt ?? null;
}

export function playTimeline(o: TimelineOptions): Timeline {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let pending = o.actions.length;
  let lastAt = o.t0;
  const applyAt = (action: ScenarioAction, at: number): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      pending--;
      lastAt = Date.now();
      o.apply(action);
    }, Math.max(0, at - Date.now()));
    timers.add(timer);
  };
  const waiting = o.actions.filter((a) => a.after !== undefined);
  for (const a of o.actions) if (a.after === undefined) applyAt(a, o.t0 + a.at * 1000);
  const watch = setInterval(() => {
    const executions = o.executions();
    for (const a of [...waiting]) {
      const reached = milestoneAt(a.after as Milestone, executions);
      if (reached === null) continue;
      waiting.splice(waiting.indexOf(a), 1);
      applyAt(a, reached + a.at * 1000);
    }
    if (waiting.length === 0) clearInterval(watch);
  }, WATCH_EVERY_MS);
  if (waiting.length === 0) clearInterval(watch);
  return {
    pending: () => pending,
    lastAppliedAt: () => lastAt,
    waitingForMilestone: () => [...waiting],
    stop: () => {
      clearInterval(watch);
      timers.forEach(clearTimeout);
    },
  };
}
