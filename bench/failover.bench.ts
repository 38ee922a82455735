// The control plane's own cost of one failover: the real failover ASL interpreted by
// aws-local-stepfunctions with the real step handlers, against the AWS sandbox on loopback, warm standby,
// Wait and retry intervals overridden to 0. Simulated AWS waits are excluded; what remains is handlers +
// SDK + interpreter + loopback calls. Median of several runs, with the breakdown per step.
import { edgeKey, storedEdgeState } from '../functions/domain/routing-keys.js';
import { run as execute, startTestbed, type RunResult } from '../sandbox/testkit/state-machine-testbed.js';
import type { BenchRow, BenchSection } from './types.js';

const RUNS = 9;
const GOAL_MS = 300;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
};

/** ms spent in each state (entered -> exited/failed), summed over retries and loops. */
function perState(result: RunResult): Map<string, number> {
  const out = new Map<string, number>();
  const entered = new Map<string, number>();
  for (const e of result.events as Array<{ type: string; timestamp: number; state?: { name: string } }>) {
    if (!e.state) continue;
    if (e.type === 'StateEntered') entered.set(e.state.name, e.timestamp);
    else if ((e.type === 'StateExited' || e.type === 'StateFailed') && entered.has(e.state.name)) {
      out.set(e.state.name, (out.get(e.state.name) ?? 0) + e.timestamp - entered.get(e.state.name)!);
      entered.delete(e.state.name);
    }
  }
  return out;
}

function span(result: RunResult): number {
  const ts = result.events.map((e) => (e as { timestamp: number }).timestamp);
  return Math.max(...ts) - Math.min(...ts);
}

export async function run(): Promise<BenchSection> {
  // The handlers' EMF metrics and logs would go to stdout between the bench rows (set before they load).
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const bed = await startTestbed();
  try {
    const channel = bed.channel('news-1');
    const totals: number[] = [];
    const wall: number[] = [];
    const steps = new Map<string, number[]>();
    // One untimed warm-up (imports the handler modules, opens the SDK connections), then timed runs; a
    // failback between runs puts the routing back so every failover does the same work.
    for (let i = 0; i <= RUNS; i++) {
      const started = performance.now();
      const result = await execute(bed, 'failover', 'news-1', { timing: { pollSeconds: 0 } });
      const elapsed = performance.now() - started;
      if (result.status !== 'SUCCEEDED' || storedEdgeState(bed.sandbox.kvs.get(channel.edge.kvsArn, edgeKey('news-1'))).route !== 'standby') {
        throw new Error(`failover bench: the failover did not succeed (${result.error ?? ''} ${result.cause ?? ''})`);
      }
      const back = await execute(bed, 'failback', 'news-1', { timing: { pollSeconds: 0 } });
      if (back.status !== 'SUCCEEDED') throw new Error(`failover bench: the failback did not succeed (${back.error ?? ''})`);
      if (i === 0) continue;
      totals.push(span(result));
      wall.push(elapsed);
      for (const [name, ms] of perState(result)) steps.set(name, [...(steps.get(name) ?? []), ms]);
    }
    const total = median(totals);
    const rows: BenchRow[] = [
      { name: 'one failover, execution (warm standby)', value: total, unit: 'ms', goal: `< ${GOAL_MS} ms`, pass: total < GOAL_MS },
      { name: 'one failover, incl. ledger lock + event log', value: median(wall), unit: 'ms' },
      ...[...steps.entries()]
        .filter(([, ms]) => median(ms) >= 0.05)
        .map(([name, ms]) => ({ name: `  step ${name}`, value: median(ms), unit: 'ms' })),
    ];
    return {
      title: 'Failover control-plane cost (real ASL + real handlers, sandbox on loopback, waits excluded)',
      rows,
      notes: [`median of ${RUNS} runs after a warm-up; AWS calls per failover: ${Math.round(bed.sandbox.calls.length / (RUNS + 1) / 2)} (failover+failback averaged)`],
    };
  } finally {
    await bed.stop();
  }
}
