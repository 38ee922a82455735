// Task "RouteEdgeTo*" / "RollbackRoute": reconcile KVS edge:<id>. `route` sets the route (the slate stays, unless
// `slate` says otherwise); a rollback passes the snapshot's exact `value` instead (null = the key was absent),
// route and slate together.
import * as z from '../../domain/zod.js';
import { InvalidInputError } from '../../domain/errors.js';
import { restoreEdgeValue, setEdgeRoute } from '../../domain/reconcilers/edge-route.js';
import { FencedInputBase, fencedStepHandler } from '../fenced-step.js';
import { kvsClient } from '../../lib/kvs-client.js';

const Input = z.extend(FencedInputBase, {
  route: z.optional(z.enum(['primary', 'standby'])),
  slate: z.optional(z.boolean()),
  value: z.optional(z.nullable(z.string())),
});
export const handler = fencedStepHandler('setEdgeRoute', Input, (input, channel) => {
  if (input.value !== undefined) return restoreEdgeValue({ channel, value: input.value, mode: input.mode, kvs: kvsClient('step') });
  if (input.route) return setEdgeRoute({ channel, route: input.route, ...(input.slate !== undefined ? { slate: input.slate } : {}), mode: input.mode, kvs: kvsClient('step') });
  throw new InvalidInputError('setEdgeRoute needs `route` or `value`', { channelId: channel.id });
});
