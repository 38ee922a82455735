import * as z from '../zod.js';
import { CHANNEL_ID_PATTERN, edgeKey, KVS_MAX_VALUE_BYTES, largestEdgeValueString, MAX_CHANNEL_ID_LENGTH } from '../routing-keys.js';
import { manifestUrlProblem } from './addresses.js';

const region = z.string().check(z.regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as us-east-1'));
/** The syntax only: whether http or a loopback host is allowed depends on the registry's `local` (see RegistrySchema). */
const httpUrl = z.url({ protocol: /^https?$/ });

export const OriginSchema = z.strictObject({
  region,
  /** MediaLive channel id (the numeric id in the channel ARN). */
  channelId: z.string().check(z.regex(/^\d+$/, 'the numeric MediaLive channel id')),
  /** CloudFront origin id of this side's MediaPackage endpoint in the distribution. */
  originId: z.string().check(z.minLength(1)),
  /** Multivariant (or media) playlist URL on the MediaPackage origin, probed directly. */
  manifestUrl: httpUrl,
  /** MediaPackage v2 endpoints can answer 404 on a stale manifest so the origin group fails over. */
  mediaPackage: z._default(z.enum(['v1', 'v2']), 'v2'),
  /** Path of the channel on this origin when the two origins serve different paths (edge.paths = per-origin). */
  originPath: z.optional(z.string().check(z.startsWith('/'))),
  /** STANDARD runs two pipelines: one pipeline failing is covered by the other (never a failover). */
  channelClass: z._default(z.enum(['STANDARD', 'SINGLE_PIPELINE']), 'STANDARD'),
});

export const StandbySchema = z.extend(OriginSchema, {
  /** warm = kept running; cold = started by the failover and stopped after failback. */
  mode: z.enum(['warm', 'cold']),
});

export const EdgeSchema = z.strictObject({
  distributionId: z.string().check(z.regex(/^[A-Z0-9]+$/, 'a CloudFront distribution id')),
  /**
   * The channel's own origin group (the durable path: flatline reorders its members). Optional: a distribution
   * holds few origin groups (a quota, ./quotas.ts), so at fleet scale most channels have none and are routed by
   * the KeyValueStore value alone, on the behaviours' default target.
   */
  originGroupId: z.optional(z.string().check(z.minLength(1))),
  kvsArn: z.string().check(z.regex(/^arn:aws:cloudfront::\d{12}:key-value-store\/[\w-]+$/, 'a CloudFront KeyValueStore ARN')),
  manifestUrl: httpUrl,
  slatePath: z.string().check(z.startsWith('/')),
  /** identical: epoch-locked outputs with the same paths on both origins; per-origin: the route rewrites the path. */
  paths: z._default(z.enum(['identical', 'per-origin']), 'identical'),
  /**
   * The origin group's SelectionCriteria: media-quality-based (MQAR) lets CloudFront pick, per request, the member
   * with the better media quality score; only between two MediaPackage v2 origins (primary.mediaPackage and
   * standby.mediaPackage v2). flatline never changes it; it reports an origin group that says otherwise.
   */
  originSelection: z._default(z.enum(['default', 'media-quality-based']), 'default'),
});

/** A day: statemachines/recheck.asl.json waits out a whole dwell within its TimeoutSeconds. */
export const MAX_DWELL_SECONDS = 86_400;

export const PolicySchema = z.strictObject({
  staleAfterTargetDurations: z._default(z.number().check(z.positive()), 1.5),
  consecutive: z._default(z.int().check(z.positive()), 2),
  failback: z._default(z.enum(['manual', 'automatic']), 'manual'),
  /**
   * No failover or failback within this long of the last transition (stops ping-pong). At most a day: a
   * longer dwell is a failback that never happens, better said with `failback: manual`.
   */
  minDwellSeconds: z._default(z.int().check(z.minimum(0), z.maximum(MAX_DWELL_SECONDS)), 300),
  /**
   * Deadline for the standby to run and serve a fresh manifest before the slate goes on. At least 30 s: a
   * warm standby needs a few segments and the state machine's 5 s polls to be seen fresh. At most 1,800 s:
   * "most channels start in 3 minutes or less, but a startup time up to 10 minutes is still normal"
   * (https://docs.aws.amazon.com/medialive/latest/ug/starting-stopping-deleting-a-channel.html), so 30 min is
   * three times the slowest normal cold start, while viewers wait on a frozen stream; and the deadline plus
   * the repoint must fit well inside the state machines' 3,600 s execution timeout.
   */
  standbyReadySeconds: z._default(z.int().check(z.minimum(30), z.maximum(1800)), 600),
});

export const ChannelSchema = z
  .strictObject({
    /** Also the KVS key edge:<id> (at most 512 bytes) and the /live/<id>/ path the edge function routes. */
    id: z.string().check(z.regex(CHANNEL_ID_PATTERN, 'lowercase letters, digits and dashes'), z.maxLength(MAX_CHANNEL_ID_LENGTH)),
    primary: OriginSchema,
    standby: StandbySchema,
    edge: EdgeSchema,
    policy: z._default(PolicySchema, PolicySchema.parse({})),
    /**
     * true: the channel also gets its own ManifestAge alarms (edge, primary; high resolution, routed to
     * triage) and its age on the dashboard. Every channel is detected by the probe's transition events.
     */
    critical: z._default(z.boolean(), false),
  })
  .check(
    z.superRefine((c, ctx) => {
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
        if (c.edge.originGroupId === undefined) {
          ctx.addIssue({ code: 'custom', path: ['edge', 'originGroupId'], message: 'is required when edge.originSelection is media-quality-based (the selection is a setting of an origin group)' });
        }
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
      // The largest value the control plane writes for this channel (either route, slate on) must fit the KVS.
      const largest = largestEdgeValueString(c);
      const bytes = new TextEncoder().encode(largest).length;
      if (bytes > KVS_MAX_VALUE_BYTES) {
        ctx.addIssue({
          code: 'custom',
          path: ['edge'],
          message: `the KVS value ${edgeKey(c.id)} would be ${bytes} bytes (the origin ids, edge.slatePath and the originPaths), over the ${KVS_MAX_VALUE_BYTES}-byte limit`,
        });
      }
    }),
  );

export const RegistrySchema = z
  .strictObject({
    /**
     * true: this registry describes a local world (the sandbox, the tests) whose origins and edge are HTTP
     * servers on loopback, so manifest URLs may be http and point at loopback. Never deployable: the deploy
     * context (deploy/context.ts) refuses it, so `serverless package/deploy` fails on it.
     */
    local: z.optional(z.boolean()),
    channels: z.array(ChannelSchema).check(z.minLength(1)),
  })
  .check(
    z.superRefine((r, ctx) => {
      const local = r.local === true;
      r.channels.forEach((c, i) => {
        for (const path of ['primary', 'standby', 'edge'] as const) {
          const problem = manifestUrlProblem(c[path].manifestUrl, { local });
          if (problem) ctx.addIssue({ code: 'custom', path: ['channels', i, path, 'manifestUrl'], message: problem });
        }
      });
      for (const issue of sharedResources(r.channels)) ctx.addIssue({ code: 'custom', ...issue });
    }),
  );

/**
 * What two channels may not share: their id, one MediaLive channel (region + id), or one origin group of a
 * distribution (CloudFront ids are unique per distribution, not globally): two channels on one of these would
 * fail each other over. Origins may be shared (one origin per MediaPackage v2 channel group and region serves
 * many channels, each on its own path): the KVS route selects an origin for one channel's requests only.
 * Each issue points at the later channel and names the earlier one.
 */
function sharedResources(channels: Channel[]): Array<{ path: (string | number)[]; message: string }> {
  const issues: Array<{ path: (string | number)[]; message: string }> = [];
  const owners = new Map<string, { channel: number; owner: string }>();
  let current = 0;
  /**
   * The first claim of `key` wins; a later one by another channel is an issue at `path`: "<what> is
   * already <first owner>" (within one channel, ChannelSchema's own rules speak).
   */
  const claim = (key: string, owner: string, path: (string | number)[], what: string): void => {
    const first = owners.get(key);
    if (first === undefined) owners.set(key, { channel: current, owner });
    else if (first.channel !== current) issues.push({ path, message: `${what} is already ${first.owner}` });
  };
  channels.forEach((c, i) => {
    current = i;
    claim(`id ${c.id}`, 'taken by another channel (duplicate channel id)', ['channels', i, 'id'], `"${c.id}"`);
    const distribution = c.edge.distributionId;
    for (const side of ['primary', 'standby'] as const) {
      const { region, channelId } = c[side];
      claim(`medialive ${region}/${channelId}`, `the ${side} of channel "${c.id}"`, ['channels', i, side, 'channelId'], `MediaLive channel ${region}/${channelId}`);
    }
    const group = c.edge.originGroupId;
    if (group !== undefined) {
      claim(`group ${distribution}/${group}`, `used by channel "${c.id}"`, ['channels', i, 'edge', 'originGroupId'], `origin group "${group}" of distribution ${distribution}`);
    }
  });
  return issues;
}

export type OriginConfig = z.infer<typeof OriginSchema>;
export type StandbyConfig = z.infer<typeof StandbySchema>;
export type EdgeConfig = z.infer<typeof EdgeSchema>;
export type OriginSelection = EdgeConfig['originSelection'];
export type ChannelPolicy = z.infer<typeof PolicySchema>;
export type Channel = z.infer<typeof ChannelSchema>;
export type Registry = z.infer<typeof RegistrySchema>;
export type Side = 'primary' | 'standby';
