// A drill breaks a live channel on purpose: triage itself refuses a Drill Requested unless the channel's
// primary MediaLive channel carries the tag flatline:drill=allowed (the CLI checks it too, but anyone allowed
// to put flatline.ops events could skip the CLI). DescribeChannel gives the channel's ARN (its account is
// not in the registry), ListTagsForResource its tags.
import { DescribeChannelCommand, ListTagsForResourceCommand, type MediaLiveClient } from '@aws-sdk/client-medialive';
import { DrillNotAllowedError } from '../errors.js';
import type { Channel } from '../registry/index.js';

export const DRILL_TAG = 'flatline:drill';
export const DRILL_TAG_VALUE = 'allowed';

export async function requireDrillTag(channel: Channel, mediaLive: (region: string) => Pick<MediaLiveClient, 'send'>): Promise<void> {
  const { region, channelId } = channel.primary;
  const ml = mediaLive(region);
  const described = await ml.send(new DescribeChannelCommand({ ChannelId: channelId }));
  if (!described.Arn) throw new DrillNotAllowedError(`refusing the drill of ${channel.id}: MediaLive did not return the ARN of channel ${channelId}`, { channelId: channel.id });
  const { Tags: tags = {} } = await ml.send(new ListTagsForResourceCommand({ ResourceArn: described.Arn }));
  if (tags[DRILL_TAG] !== DRILL_TAG_VALUE) {
    throw new DrillNotAllowedError(
      `refusing the drill of ${channel.id}: its primary MediaLive channel ${channelId} (${region}) does not carry the tag ${DRILL_TAG}=${DRILL_TAG_VALUE}`,
      { channelId: channel.id, arn: described.Arn, tag: tags[DRILL_TAG] ?? null },
    );
  }
}
