import * as z from 'zod';
import { CHANNEL_ID_PATTERN, edgeKey, edgeValueString, KVS_MAX_VALUE_BYTES, MAX_CHANNEL_ID_LENGTH } from '../routing-keys.js';

const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as us-east-1');
const httpUrl = z.url({ protocol: /^https?$/ });

export const OriginSchema = z.strictObject({
  region,
  /** MediaLive channel id (the numeric id in the channel ARN). */
  channelId: z.string().regex(/^\d+$/, 'the numeric MediaLive channel id'),
  /** CloudFront origin id of this side's MediaPackage endpoint in the distribution. */
  originId: z.string().min(1),
  /** Multivariant (or media) playlist URL on the MediaPackage origin, probed directly. */
  manifestUrl: httpUrl,
  /** MediaPackage v2 endpoints can answer 404 on a stale manifest so the origin group fails over. */
  mediaPackage: z.enum(['v1', 'v2']).default('v2'),
  /** Path of the channel on this origin when the two origins serve different paths (edge.paths = per-origin). */
  originPath: z.string().startsWith('/').optional(),
  /** STANDARD runs two pipelines: one pipeline failing is covered by the other (never a failover). */
  channelClass: z.enum(['STANDARD', 'SINGLE_PIPELINE']).default('STANDARD'),
});

export const StandbySchema = OriginSchema.extend({
  /** warm = kept running; cold = started by the failover and stopped after failback. */
  mode: z.enum(['warm', 'cold']),
});

export const EdgeSchema = z.strictObject({
  distributionId: z.string().regex(/^[A-Z0-9]+$/, 'a CloudFront distribution id'),
  originGroupId: z.string().min(1),
  kvsArn: z.string().regex(/^arn:aws:cloudfront::\d{12}:key-value-store\/[\w-]+$/, 'a CloudFront KeyValueStore ARN'),
  manifestUrl: httpUrl,
  slatePath: z.string().startsWith('/'),
  /** identical: epoch-locked outputs with the same paths on both origins; per-origin: the route rewrites the path. */
  paths: z.enum(['identical', 'per-origin']).default('identical'),
  /**
   * The origin group's SelectionCriteria: media-quality-based (MQAR) lets CloudFront pick, per request, the member
   * with the better media quality score; only between two MediaPackage v2 origins (primary.mediaPackage and
   * standby.mediaPackage v2). flatline never changes it; it reports an origin group that says otherwise.
   */
  originSelection: z.enum(['default', 'media-quality-based']).default('default'),
});

export const PolicySchema = z.strictObject({
  staleAfterTargetDurations: z.number().positive().default(1.5),
  consecutive: z.number().int().positive().default(2),
  failback: z.enum(['manual', 'automatic']).default('manual'),
  minDwellSeconds: z.number().int().nonnegative().default(300),
  /** Deadline for the standby to run and serve a fresh manifest before the slate goes on. */
  standbyReadySeconds: z.number().int().positive().default(600),
});

export const ChannelSchema = z
  .strictObject({
    /** Also the KVS key edge:<id> (at most 512 bytes) and the /live/<id>/ path the edge function routes. */
    id: z.string().regex(CHANNEL_ID_PATTERN, 'lowercase letters, digits and dashes').max(MAX_CHANNEL_ID_LENGTH),
    primary: OriginSchema,
    standby: StandbySchema,
    edge: EdgeSchema,
    policy: PolicySchema.default(PolicySchema.parse({})),
  })
  .superRefine((c, ctx) => {
    if (c.primary.region === c.standby.region) {
      ctx.addIssue({ code: 'custom', path: ['standby', 'region'], message: 'must differ from primary.region (the standby protects against a regional outage)' });
    }
    if (c.primary.originId === c.standby.originId) {
      ctx.addIssue({ code: 'custom', path: ['standby', 'originId'], message: 'must differ from primary.originId' });
    }
    if (c.edge.paths === 'per-origin') {
      for (const side of ['primary', 'standby'] as const) {
        if (!c[side].originPath) ctx.addIssue({ code: 'custom', path: [side, 'originPath'], message: 'is required when edge.paths is per-origin' });
      }
    }
    if (c.edge.originSelection === 'media-quality-based') {
      for (const side of ['primary', 'standby'] as const) {
        if (c[side].mediaPackage !== 'v2') {
          ctx.addIssue({
            code: 'custom',
            path: [side, 'mediaPackage'],
            message: 'must be v2 when edge.originSelection is media-quality-based (CloudFront scores media quality only on MediaPackage v2 origins)',
          });
        }
      }
    }
    // The largest value the control plane writes for this channel (standby route, slate on) must fit the KVS.
    const largest = edgeValueString(c, { route: 'standby', slate: true }) ?? '';
    const bytes = new TextEncoder().encode(largest).length;
    if (bytes > KVS_MAX_VALUE_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['edge'],
        message: `the KVS value ${edgeKey(c.id)} would be ${bytes} bytes (standby.originId, edge.slatePath and the originPaths), over the ${KVS_MAX_VALUE_BYTES}-byte limit`,
      });
    }
  });

export const RegistrySchema = z.strictObject({
  channels: z.array(ChannelSchema).min(1),
});

export type OriginConfig = z.infer<typeof OriginSchema>;
export type StandbyConfig = z.infer<typeof StandbySchema>;
export type EdgeConfig = z.infer<typeof EdgeSchema>;
export type OriginSelection = EdgeConfig['originSelection'];
export type ChannelPolicy = z.infer<typeof PolicySchema>;
export type Channel = z.infer<typeof ChannelSchema>;
export type Registry = z.infer<typeof RegistrySchema>;
export type Side = 'primary' | 'standby';
