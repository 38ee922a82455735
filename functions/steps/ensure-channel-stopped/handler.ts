// Task "StopColdStandby": after a failback, a cold standby goes back to IDLE (a warm one keeps running).
import * as z from '../../domain/zod.js';
import { ensureChannelStopped } from '../../domain/reconcilers/channel.js';
import { SideSchema } from '../step.js';
import { FencedInputBase, fencedStepHandler } from '../fenced-step.js';
import { MediaLiveClient } from '@aws-sdk/client-medialive';

const Input = z.extend(FencedInputBase, {
  side: z._default(SideSchema, 'standby'),
  /** Stop only when the registry says the standby is cold (the failback state machine sets it). */
  onlyIfCold: z._default(z.boolean(), false),
});

export const handler = fencedStepHandler('ensureChannelStopped', Input, async (input, channel, aws) => {
  const target = channel[input.side];
  if (input.onlyIfCold && input.side === 'standby' && channel.standby.mode !== 'cold') {
    return { step: 'ensureChannelStopped', observed: { region: target.region, channelId: target.channelId, skipped: `standby mode is ${channel.standby.mode}` }, changes: [] };
  }
  return ensureChannelStopped({ region: target.region, channelId: target.channelId, mode: input.mode, mediaLive: (region) => aws(MediaLiveClient, region) });
});
