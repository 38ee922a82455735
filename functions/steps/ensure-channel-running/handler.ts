// Task "EnsureStandbyRunning": start the standby MediaLive channel when IDLE; the state machine polls until ready.
import { ensureChannelRunning } from '../../domain/reconcilers/channel.js';
import * as z from '../../domain/zod.js';
import { SideSchema } from '../step.js';
import { FencedInputBase, fencedStepHandler } from '../fenced-step.js';
import { MediaLiveClient } from '@aws-sdk/client-medialive';

const Input = z.extend(FencedInputBase, { side: z._default(SideSchema, 'standby') });

export const handler = fencedStepHandler('ensureChannelRunning', Input, (input, channel, aws) =>
  ensureChannelRunning({ region: channel[input.side].region, channelId: channel[input.side].channelId, mode: input.mode, mediaLive: (region) => aws(MediaLiveClient, region) }),
);
