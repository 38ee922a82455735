// Task "ReorderOriginGroup" / "RollbackOriginGroup": `first` names the side to put first; a rollback
// passes the snapshot's exact `order` of origin ids instead.
import * as z from '../../domain/zod.js';
import { InvalidInputError } from '../../domain/errors.js';
import { setOriginGroup, type OriginOrder } from '../../domain/reconcilers/origin-group.js';
import { SideSchema } from '../step.js';
import { FencedInputBase, fencedStepHandler } from '../fenced-step.js';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CLOUDFRONT_REGION } from '../../lib/aws-clients.js';

const Input = z.extend(FencedInputBase, {
  first: z.optional(SideSchema),
  /** null: the snapshot was taken without an origin group (a channel routed by the KVS alone). */
  order: z.optional(z.nullable(z.tuple([z.string().check(z.minLength(1)), z.string().check(z.minLength(1))]))),
});

export const handler = fencedStepHandler('setOriginGroup', Input, (input, channel, aws) => {
  let order: OriginOrder | null;
  if (input.order !== undefined) order = input.order;
  else if (input.first === 'primary') order = [channel.primary.originId, channel.standby.originId];
  else if (input.first === 'standby') order = [channel.standby.originId, channel.primary.originId];
  else throw new InvalidInputError('setOriginGroup needs `first` or `order`', { channelId: channel.id });
  return setOriginGroup({
    distributionId: channel.edge.distributionId,
    originGroupId: channel.edge.originGroupId,
    order,
    selection: channel.edge.originSelection,
    mode: input.mode,
    cloudFront: aws(CloudFrontClient, CLOUDFRONT_REGION),
  });
});
