// Task "SlateOn" / "SlateOff": reconcile the slate of KVS edge:<id> (the route stays).
import * as z from '../../domain/zod.js';
import { setSlate } from '../../domain/reconcilers/edge-route.js';
import { FencedInputBase, fencedStepHandler } from '../fenced-step.js';
import { kvsClient } from '../../lib/kvs-client.js';

const Input = z.extend(FencedInputBase, { on: z.boolean() });

export const handler = fencedStepHandler('setSlate', Input, (input, channel) => setSlate({ channel, on: input.on, mode: input.mode, kvs: kvsClient('step') }));
