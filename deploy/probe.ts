// The probe's schedule: one scheduled invocation a minute per shard of the fleet. Each invocation loops
// every PROBE_TICK_MS over its shard's channels (functions/probe takes {shard: "i/n"} from the event), so a
// large registry is spread over concurrent invocations and one shard's slow origin never delays another's.
import type { DeployContext } from './context.js';

export interface ProbeScheduleEvent {
  schedule: { rate: string[]; name: string; description: string; input: { shard: string } };
}

export function probeShardCount(ctx: Pick<DeployContext, 'registry' | 'channelsPerProbeShard'>): number {
  return Math.max(1, Math.ceil(ctx.registry.channels.length / ctx.channelsPerProbeShard));
}

/** serverless.yml `functions.probe.events`. */
export function probeSchedules(ctx: DeployContext): ProbeScheduleEvent[] {
  const count = probeShardCount(ctx);
  return Array.from({ length: count }, (_, index) => ({
    schedule: {
      rate: ['rate(1 minute)'],
      name: count === 1 ? `${ctx.service}-${ctx.stage}-probe` : `${ctx.service}-${ctx.stage}-probe-${index}`,
      description: `flatline probe, shard ${index + 1} of ${count}`,
      input: { shard: `${index}/${count}` },
    },
  }));
}
