// Task "RouteEdgeTo*" / "RollbackRoute": reconcile KVS route:<id> (null = absent, what a rollback may restore).
import { z } from 'zod';
import { setEdgeRoute } from '../../domain/reconcilers/edge-route.js';
import { StepInputBase, stepHandler } from '../step.js';
import { kvsClient } from '../../lib/kvs-client.js';

const Input = StepInputBase.extend({ route: z.enum(['primary', 'standby']).nullable() });

export const handler = stepHandler('setEdgeRoute', Input, (input, channel) =>
  setEdgeRoute({ channelId: channel.id, kvsArn: channel.edge.kvsArn, route: input.route, mode: input.mode, kvs: kvsClient('step') }),
);
