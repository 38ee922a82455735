// Task "EnsureStandbyRunning": start the standby MediaLive channel when IDLE; the state machine polls until ready.
import { ensureChannelRunning } from '../../domain/reconcilers/channel.js';
import { SideSchema, StepInputBase, stepHandler } from '../step.js';
import { MediaLiveClient } from '@aws-sdk/client-medialive';

const Input = StepInputBase.extend({ side: SideSchema.default('standby') });

export const handler = stepHandler('ensureChannelRunning', Input, (input, channel, aws) =>
  ensureChannelRunning({ region: channel[input.side].region, channelId: channel[input.side].channelId, mode: input.mode, mediaLive: (region) => aws(MediaLiveClient, region) }),
);
