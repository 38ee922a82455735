// Schemas of every event triage accepts: the EventBridge envelope extended with a
// literal source/detail-type and a typed detail. Shapes follow the AWS samples and the EventBridge reference
// (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-medialive.html,
// https://docs.aws.amazon.com/medialive/latest/ug/monitoring-cloudwatch-json-alert.html,
// https://docs.aws.amazon.com/medialive/latest/ug/monitoring-cloudwatch-json-state-change.html,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html) and the
// third-party captures in test/fixtures/events (test/fixtures/SOURCES.md). Unknown extra fields are allowed
// (AWS adds fields).
import * as z from '../zod.js';
import { MANIFEST_FRESH, MANIFEST_STALE, OPS_SOURCE, OUTAGE_RECHECK, PROBE_SOURCE, TRIAGE_SOURCE } from '../contracts.js';
import { clipUtf8, utf8Bytes } from '../text.js';

/**
 * The EventBridge envelope: Powertools parser's EventBridgeSchema field for field. Not imported from
 * Powertools: its module takes zod's `z` namespace object, which keeps all of zod in the bundle (~100 KB
 * minified, compiled on every cold start of triage).
 */
export const EventBridgeEnvelope = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
});

const event = <S extends string, D extends string, T extends z.ZodMiniType>(source: S, detailType: D, detail: T) =>
  z.extend(EventBridgeEnvelope, { source: z.literal(source), 'detail-type': z.literal(detailType), detail });

// ---- sizes. Everything triage keeps of an event travels in the Step Functions execution input (256 KiB),
// the ledger item (DynamoDB, 400 KB) and pages (SNS): free text is bounded here, where it enters.

/** An operator's reason: a sentence or two, not a document. */
export const OPERATOR_REASON_MAX_BYTES = 1024;
/** Who asked: a name, an email or an IAM principal name. */
export const REQUESTED_BY_MAX_BYTES = 256;
/** A drill scenario's name. */
export const SCENARIO_MAX_BYTES = 128;
/** Text AWS or the probe writes about an event (MediaLive message, alarm reason, diagnosis). */
export const DESCRIPTION_MAX_BYTES = 1024;

/** Operator input: rejected past `max` bytes, with an error naming the field (the event goes to the DLQ). */
const boundedText = (max: number) =>
  z.string().check(
    z.check((ctx) => {
      const bytes = utf8Bytes(ctx.value);
      if (bytes > max) ctx.issues.push({ code: 'custom', input: ctx.value, message: `at most ${max} bytes (UTF-8), got ${bytes}` });
    }),
  );
/** Text describing an AWS or probe event: cut to `max` bytes, never a reason to drop an outage signal. */
const clippedText = (max: number) => z.pipe(z.string(), z.transform((text: string) => clipUtf8(text, max)));

const pipeline = z.enum(['0', '1']);
/** arn:aws:medialive:<region>:<account>:channel:<numeric id> (the account of AWS docs samples may be a placeholder). */
export const MEDIALIVE_CHANNEL_ARN = /^arn:aws[\w-]*:medialive:([a-z0-9-]+):[^:]+:channel:(\d+)$/;
const channelArn = z.string().check(z.regex(MEDIALIVE_CHANNEL_ARN, 'a MediaLive channel ARN'));

// ---- aws.cloudwatch
const AlarmStateSchema = z.object({
  value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  reason: clippedText(DESCRIPTION_MAX_BYTES),
  /** JSON encoded as a string (not always present: see the metric math sample's previousState). */
  reasonData: z.optional(z.string()),
  /** e.g. 2019-10-02T17:04:40.989+0000 (not ISO 8601 strictly: +0000 without a colon). */
  timestamp: z.string(),
});
const AlarmMetricSchema = z.object({
  id: z.string(),
  expression: z.optional(z.string()),
  metricStat: z.optional(
    z.object({
      metric: z.object({ namespace: z.string(), name: z.string(), dimensions: z._default(z.record(z.string(), z.string()), {}) }),
      period: z.number(),
      stat: z.string(),
    }),
  ),
  returnData: z.optional(z.boolean()),
});
export const AlarmStateChangeSchema = event(
  'aws.cloudwatch',
  'CloudWatch Alarm State Change',
  z.object({
    alarmName: z.string().check(z.minLength(1)),
    configuration: z.optional(z.object({ description: z.optional(z.string()), metrics: z._default(z.array(AlarmMetricSchema), []) })),
    state: AlarmStateSchema,
    previousState: z.optional(AlarmStateSchema),
  }),
);

// ---- aws.medialive
export const ChannelAlertSchema = event(
  'aws.medialive',
  'MediaLive Channel Alert',
  z.object({
    alarm_state: z.enum(['SET', 'CLEARED']),
    alarm_id: z.string().check(z.minLength(1)),
    alert_type: z.string(),
    pipeline,
    channel_arn: channelArn,
    message: z._default(clippedText(DESCRIPTION_MAX_BYTES), ''),
  }),
);
export const ChannelStateChangeSchema = event(
  'aws.medialive',
  'MediaLive Channel State Change',
  z.object({
    channel_arn: channelArn,
    state: z.string().check(z.minLength(1)),
    message: z._default(clippedText(DESCRIPTION_MAX_BYTES), ''),
    pipelines_running_count: z.int().check(z.minimum(0), z.maximum(2)),
    pipeline: z.optional(pipeline),
  }),
);
export const ChannelInputChangeSchema = event(
  'aws.medialive',
  'MediaLive Channel Input Change',
  z.object({
    channel_arn: channelArn,
    pipeline: z.optional(pipeline),
    message: z._default(clippedText(DESCRIPTION_MAX_BYTES), ''),
    active_input_attachment_name: z.string(),
    active_input_switch_action_name: z.optional(z.string()),
  }),
);

// ---- flatline.probe (detail = ManifestTransitionDetail)
// liveEdgeAt: optional, events from probes that predate it still parse.
const pathState = z.object({ state: z.enum(['stale', 'fresh', 'unknown']), ageMs: z.nullable(z.number()), liveEdgeAt: z.optional(z.nullable(z.number())) });
const ManifestTransitionSchema = z.object({
  channelId: z.string().check(z.minLength(1)),
  path: z.enum(['edge', 'primary', 'standby']),
  state: z.enum(['stale', 'fresh']),
  ageMs: z.nullable(z.number()),
  thresholdMs: z.number(),
  consecutive: z.int().check(z.minimum(0)),
  observedAt: z.iso.datetime({ offset: true }),
  paths: z.object({ edge: z.optional(pathState), primary: z.optional(pathState), standby: z.optional(pathState) }),
  diagnosis: z._default(clippedText(DESCRIPTION_MAX_BYTES), ''),
  renditions: z._default(
    z.array(
      z.object({
        name: z.string(),
        url: z.string(),
        ageMs: z.nullable(z.number()),
        mediaSequence: z.nullable(z.number()),
        status: z.string(),
        problems: z.array(z.string()),
      }),
    ),
    [],
  ),
  reminder: z.optional(z.boolean()),
});
export const ManifestStaleSchema = event(PROBE_SOURCE, MANIFEST_STALE, z.extend(ManifestTransitionSchema, { state: z.literal('stale') }));
export const ManifestFreshSchema = event(PROBE_SOURCE, MANIFEST_FRESH, z.extend(ManifestTransitionSchema, { state: z.literal('fresh') }));

// ---- flatline.ops (operator / drill)
const channelIdField = z.string().check(z.regex(/^[a-z0-9-]+$/, 'a registry channel id'));
const reason = boundedText(OPERATOR_REASON_MAX_BYTES);
const requestedBy = boundedText(REQUESTED_BY_MAX_BYTES);
export const FailoverRequestedSchema = event(
  OPS_SOURCE,
  'Failover Requested',
  z.object({ channelId: channelIdField, reason: reason.check(z.minLength(1)), mode: z.optional(z.enum(['live', 'plan'])), requestedBy: z.optional(requestedBy) }),
);
export const FailbackRequestedSchema = event(
  OPS_SOURCE,
  'Failback Requested',
  z.object({
    channelId: channelIdField,
    reason: reason.check(z.minLength(1)),
    mode: z.optional(z.enum(['live', 'plan'])),
    requestedBy: z.optional(requestedBy),
    /** Fail back within the dwell of the last transition too. */
    force: z.optional(z.boolean()),
  }),
);
export const DrillRequestedSchema = event(
  OPS_SOURCE,
  'Drill Requested',
  z.object({
    channelId: channelIdField,
    scenario: z.optional(boundedText(SCENARIO_MAX_BYTES)),
    reason: z.optional(reason),
    mode: z.optional(z.enum(['live', 'plan'])),
    requestedBy: z.optional(requestedBy),
  }),
);

/**
 * An outage triage recorded within the dwell of the last transition, handed back to triage when the dwell
 * is over (statemachines/recheck.asl.json invokes triage with it; no rule routes it from a bus).
 */
export const OutageRecheckSchema = event(
  TRIAGE_SOURCE,
  OUTAGE_RECHECK,
  z.object({
    channelId: channelIdField,
    /** The transition whose dwell held the outage back (epoch ms): one re-check per dwell. */
    lastTransitionAt: z.int().check(z.nonnegative()),
    reason: clippedText(DESCRIPTION_MAX_BYTES),
  }),
);

/** Every accepted event kind, keyed by `<source>|<detail-type>` (what the EventBridge rules in serverless.yml route here). */
export const EVENT_SCHEMAS = {
  'aws.cloudwatch|CloudWatch Alarm State Change': AlarmStateChangeSchema,
  'aws.medialive|MediaLive Channel Alert': ChannelAlertSchema,
  'aws.medialive|MediaLive Channel State Change': ChannelStateChangeSchema,
  'aws.medialive|MediaLive Channel Input Change': ChannelInputChangeSchema,
  [`${PROBE_SOURCE}|${MANIFEST_STALE}`]: ManifestStaleSchema,
  [`${PROBE_SOURCE}|${MANIFEST_FRESH}`]: ManifestFreshSchema,
  [`${OPS_SOURCE}|Failover Requested`]: FailoverRequestedSchema,
  [`${OPS_SOURCE}|Failback Requested`]: FailbackRequestedSchema,
  [`${OPS_SOURCE}|Drill Requested`]: DrillRequestedSchema,
  [`${TRIAGE_SOURCE}|${OUTAGE_RECHECK}`]: OutageRecheckSchema,
} as const;

export type AlarmStateChangeEvent = z.infer<typeof AlarmStateChangeSchema>;
export type ChannelAlertEvent = z.infer<typeof ChannelAlertSchema>;
export type ChannelStateChangeEvent = z.infer<typeof ChannelStateChangeSchema>;
export type ChannelInputChangeEvent = z.infer<typeof ChannelInputChangeSchema>;
export type ManifestTransitionEvent = z.infer<typeof ManifestStaleSchema> | z.infer<typeof ManifestFreshSchema>;
export type FailoverRequestedEvent = z.infer<typeof FailoverRequestedSchema>;
export type FailbackRequestedEvent = z.infer<typeof FailbackRequestedSchema>;
export type DrillRequestedEvent = z.infer<typeof DrillRequestedSchema>;
export type OutageRecheckEvent = z.infer<typeof OutageRecheckSchema>;
