// The cost per channel-month: the model (deploy/cost.ts) fed what the stack and a measured probe minute
// produce (bench/cost.bench.ts) meets the goal, and docs/cost.md quotes exactly what it computes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fleetCost, formatDollars, type CostBreakdown, type CostInput } from '../../deploy/cost.js';
import { fleetCostFigure, GOAL_PER_CHANNEL_MONTH, measureProbeMinute } from '../../bench/cost.bench.js';
import { SHARD_WINDOW_MS } from '../../functions/probe/metrics.js';
import { REPO } from './service-dir.js';

let input: CostInput;
let cost: CostBreakdown;
beforeAll(() => {
  ({ input, cost } = fleetCostFigure());
}, 60_000);

const thousands = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

describe('cost at 1,000 channels', () => {
  it('a healthy shard writes its aggregates only: 4 EMF documents a window, no per-channel series', () => {
    const minute = measureProbeMinute(100);
    expect(minute.emfDocuments).toBe((60_000 / SHARD_WINDOW_MS) * 4);
    expect(minute.metricsPerShard).toBe(16);
    // A critical channel keeps its own series: 4 metrics x 3 paths.
    expect(minute.metricsPerCriticalChannel).toBe(12);
    // The document count does not grow with the shard's size.
    expect(measureProbeMinute(10).emfDocuments).toBe(minute.emfDocuments);
  });

  it(`is at most $${GOAL_PER_CHANNEL_MONTH} per channel-month, counted from the generated stack`, () => {
    expect(input.shards).toBe(10);
    // 8 ops alarms (triage errors, dead letters, each state machine's failed and timed out) and a heartbeat
    // per shard; 2 per critical channel at 10 s.
    expect(input.alarms).toEqual({ standard: 8 + input.shards, highResolution: 2 * input.criticalChannels, insightsSeries: 2 * input.criticalChannels });
    expect(cost.perChannelMonth).toBeLessThanOrEqual(GOAL_PER_CHANNEL_MONTH);
    expect(cost.perChannelMonth).toBeGreaterThan(0.1);
    // The model is linear in what it counts: doubling the shards' memory adds the Lambda line again.
    const doubled = fleetCost({ ...input, probeMemoryMb: input.probeMemoryMb * 2 });
    const lambda = cost.lines.find((l) => l.item === 'probe Lambda compute')!.monthly;
    expect(doubled.monthly - cost.monthly).toBeCloseTo(lambda, 6);
  });

  it('docs/cost.md quotes the computed figures', () => {
    const doc = readFileSync(join(REPO, 'docs', 'cost.md'), 'utf8');
    expect(doc).toContain(`**${formatDollars(cost.perChannelMonth)} per channel-month**`);
    expect(doc).toContain(`**$${thousands(cost.monthly)} a month**`);
    expect(doc).toContain(`**${formatDollars(cost.canaryPerChannelMonth)} per channel-month**`);
    for (const line of cost.lines) expect(doc, line.item).toMatch(new RegExp(`\\| ${line.item.replace(/[()]/g, '\\$&')}.*\\| ${thousands(line.monthly)} \\|`));
    expect(doc).toContain(`| ${input.probeMinute.emfDocuments} / ${input.probeMinute.emfBytes.toLocaleString('en-US')} B |`);
  });
});
