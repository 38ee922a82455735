// Event -> Signal: validation (Powertools parser + the schemas), channel lookup in the registry, and the
// translation of each event kind into the one shape the policy reads. Nothing here does I/O.
import { parse } from '@aws-lambda-powertools/parser';
import type * as z from '../zod.js';
import type { ProbePath, Signal } from '../contracts.js';
import { InvalidInputError, UnknownChannelError } from '../errors.js';
import { channelByMediaLive, getChannel, mediaLiveChannelArn, type Channel, type Registry } from '../registry/index.js';
import {
  EVENT_SCHEMAS,
  EventBridgeEnvelope,
  MEDIALIVE_CHANNEL_ARN,
  type AlarmStateChangeEvent,
  type ChannelAlertEvent,
  type ChannelInputChangeEvent,
  type ChannelStateChangeEvent,
  type DrillRequestedEvent,
  type FailbackRequestedEvent,
  type FailoverRequestedEvent,
  type ManifestTransitionEvent,
  type OutageRecheckEvent,
} from './schemas.js';

export interface SignalContext {
  registry: Registry;
  /** FLATLINE_STAGE: the alarm name convention is flatline-<stage>-<channelId>-manifest-age-<path>. */
  stage?: string;
  /** FLATLINE_ACCOUNT_ID: the account of the registry's MediaLive channels (a MediaLive event names it exactly). */
  account?: string;
}

export interface TranslatedSignal {
  signal: Signal;
  channel: Channel;
}

type SchemaKey = keyof typeof EVENT_SCHEMAS;

/** Validates an EventBridge event and turns it into a Signal; throws InvalidInputError / UnknownChannelError. */
export function toSignal(raw: unknown, ctx: SignalContext): TranslatedSignal {
  const envelope = parse(raw, undefined, EventBridgeEnvelope, true);
  if (!envelope.success) throw invalid('not an EventBridge event', envelope.error, raw);
  const key = `${envelope.data.source}|${envelope.data['detail-type']}`;
  if (!(key in EVENT_SCHEMAS)) {
    throw new InvalidInputError(`unknown event: source "${envelope.data.source}", detail-type "${envelope.data['detail-type']}"`, {
      source: envelope.data.source,
      detailType: envelope.data['detail-type'],
      id: envelope.data.id,
    });
  }
  const schemaKey = key as SchemaKey;
  const parsed = parse(raw, undefined, EVENT_SCHEMAS[schemaKey] as z.ZodMiniType, true);
  if (!parsed.success) throw invalid(`malformed "${envelope.data['detail-type']}" event`, parsed.error, raw);
  const data = parsed.data as never; // never: accepted by each branch below; the schema map guarantees the pairing
  switch (schemaKey) {
    case 'aws.cloudwatch|CloudWatch Alarm State Change':
      return fromAlarm(data, ctx);
    case 'aws.medialive|MediaLive Channel Alert':
      return fromAlert(data, ctx);
    case 'aws.medialive|MediaLive Channel State Change':
      return fromStateChange(data, ctx);
    case 'aws.medialive|MediaLive Channel Input Change':
      return fromInputChange(data, ctx);
    case 'flatline.probe|Manifest Stale':
    case 'flatline.probe|Manifest Fresh':
      return fromManifest(data, ctx);
    case 'flatline.ops|Failover Requested':
      return fromOps(data, 'failover-requested', ctx);
    case 'flatline.ops|Failback Requested':
      return fromOps(data, 'failback-requested', ctx);
    case 'flatline.ops|Drill Requested':
      return fromOps(data, 'drill-requested', ctx);
    case 'flatline.triage|Outage Recheck':
      return fromRecheck(data, ctx);
  }
}

function invalid(what: string, error: unknown, raw: unknown): InvalidInputError {
  // Powertools' ParseError carries the Standard Schema issues as its cause.
  type Issue = { path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>; message: string };
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const issues: Issue[] = Array.isArray(cause) ? (cause as Issue[]) : [];
  const key = (p: PropertyKey | { key: PropertyKey }): string => String(typeof p === 'object' ? p.key : p);
  const text = issues.map((i) => `${(i.path ?? []).map(key).join('.') || '(event)'}: ${i.message}`).join('; ');
  const id = (raw as { id?: unknown } | null)?.id;
  return new InvalidInputError(`${what}: ${text || (error as Error | undefined)?.message || 'invalid'}`, {
    id: typeof id === 'string' ? id : undefined,
    issues: text,
  });
}

/** CloudWatch writes 2019-10-02T17:04:40.989+0000; an ISO 8601 offset needs the colon. */
export function normalizeTime(text: string): string {
  const fixed = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(fixed);
  if (Number.isNaN(ms)) throw new InvalidInputError(`invalid timestamp "${text}"`, { timestamp: text });
  return new Date(ms).toISOString();
}

// ---- CloudWatch ManifestAge alarms

const PATHS = ['edge', 'primary', 'standby'] as const;

/** Channel and Path of a flatline ManifestAge alarm: from the metric dimensions, else from the alarm name. */
export function alarmTarget(detail: AlarmStateChangeEvent['detail'], stage?: string): { channelId: string; path: ProbePath } | undefined {
  for (const m of detail.configuration?.metrics ?? []) {
    const metric = m.metricStat?.metric;
    if (!metric || metric.name !== 'ManifestAge') continue;
    const channelId = metric.dimensions.Channel;
    const path = metric.dimensions.Path;
    if (channelId && PATHS.includes(path as ProbePath)) return { channelId, path: path as ProbePath };
  }
  const escaped = stage?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // With a known stage the channel id may contain dashes freely; without one, the stage is taken as one word.
  const re = new RegExp(`^flatline-${escaped ?? '[a-z0-9]+'}-([a-z0-9-]+)-manifest-age-(edge|primary|standby)$`);
  const m = re.exec(detail.alarmName);
  return m ? { channelId: m[1] as string, path: m[2] as ProbePath } : undefined;
}

const ANY_ALARM = /^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:/;

function fromAlarm(e: AlarmStateChangeEvent, ctx: SignalContext): TranslatedSignal {
  const target = alarmTarget(e.detail, ctx.stage);
  if (!target) {
    throw new InvalidInputError(`alarm "${e.detail.alarmName}" is not a flatline ManifestAge alarm (no Channel/Path dimensions, name not flatline-<stage>-<channel>-manifest-age-<path>)`, {
      alarmName: e.detail.alarmName,
    });
  }
  const channel = getChannel(ctx.registry, target.channelId);
  // The rule matched the event as a whole; the signal keys on the detail: resources must name this alarm only.
  const alarms = e.resources.filter((r) => ANY_ALARM.test(r));
  if (alarms.length === 0 || alarms.some((r) => !r.endsWith(`:alarm:${e.detail.alarmName}`))) {
    throw new InvalidInputError(`resources [${e.resources.join(', ')}] do not name detail.alarmName "${e.detail.alarmName}" (and no other alarm)`, {
      id: e.id,
      alarmName: e.detail.alarmName,
      resources: e.resources,
    });
  }
  const value = e.detail.state.value;
  const at = normalizeTime(e.detail.state.timestamp);
  const signal: Signal = {
    channelId: channel.id,
    kind: value === 'ALARM' ? 'alarm' : value === 'OK' ? 'alarm-ok' : 'alarm-insufficient-data',
    severity: value === 'ALARM' ? 'outage' : 'info',
    at,
    dedupeKey: `alarm:${e.detail.alarmName}:${value}:${at}`,
    source: e.source,
    ...(target.path === 'edge' ? {} : { side: target.path }),
    detail: { path: target.path, alarmName: e.detail.alarmName, reason: e.detail.state.reason, previous: e.detail.previousState?.value },
  };
  return { signal, channel };
}

// ---- MediaLive

type MediaLiveEvent = ChannelAlertEvent | ChannelStateChangeEvent | ChannelInputChangeEvent;
const ANY_MEDIALIVE_CHANNEL = /^arn:[^:]+:medialive:[^:]*:[^:]*:channel:/;

/**
 * The registry channel (and side) of a MediaLive event. Its channel_arn must be the registry's ARN exactly
 * (partition, account, region, id: an ARN of another account or partition is not our channel even when the
 * region and id coincide), and its resources must name that channel and no other: the rule matched on
 * resources, the signal keys on the detail, so the two must be one channel.
 */
function mediaLiveChannel(e: MediaLiveEvent, ctx: SignalContext): { channel: Channel; side: 'primary' | 'standby' } {
  const arn = e.detail.channel_arn;
  const m = MEDIALIVE_CHANNEL_ARN.exec(arn);
  if (!m) throw new InvalidInputError(`not a MediaLive channel ARN: ${arn}`, { arn });
  const found = channelByMediaLive(ctx.registry, m[1] as string, m[2] as string);
  if (!found) throw new UnknownChannelError(`medialive:${m[1]}:${m[2]}`);
  const context = { id: e.id, channelId: found.channel.id, side: found.side, arn, resources: e.resources };
  const which = `(${found.channel.id} ${found.side})`;
  if (!ctx.account) {
    throw new InvalidInputError(`cannot check detail.channel_arn ${arn} ${which}: the account of the registry's channels is not configured (FLATLINE_ACCOUNT_ID)`, context);
  }
  const expected = mediaLiveChannelArn(found.channel[found.side], ctx.account);
  if (arn !== expected) {
    throw new InvalidInputError(`detail.channel_arn ${arn} is not the registry's ${expected} ${which}: partition, account and region must match exactly`, { ...context, expected });
  }
  if (!e.resources.includes(arn)) throw new InvalidInputError(`resources [${e.resources.join(', ')}] do not name detail.channel_arn ${arn}`, context);
  const others = e.resources.filter((r) => r !== arn && ANY_MEDIALIVE_CHANNEL.test(r));
  if (others.length > 0) throw new InvalidInputError(`resources name another MediaLive channel than detail.channel_arn ${arn}: ${others.join(', ')}`, context);
  return found;
}

function fromAlert(e: ChannelAlertEvent, ctx: SignalContext): TranslatedSignal {
  const { channel, side } = mediaLiveChannel(e, ctx);
  const set = e.detail.alarm_state === 'SET';
  const signal: Signal = {
    channelId: channel.id,
    kind: set ? 'pipeline-alert' : 'pipeline-clear',
    pipeline: e.detail.pipeline,
    severity: set ? 'degraded' : 'info',
    at: e.time,
    // Alert ids are unique per channel only (and reset on restart): key on the channel ARN too.
    dedupeKey: `alert:${e.detail.channel_arn}:${e.detail.alarm_id}:${e.detail.alarm_state}`,
    source: e.source,
    side,
    detail: { alarmId: e.detail.alarm_id, alertType: e.detail.alert_type, message: e.detail.message, channelArn: e.detail.channel_arn },
  };
  return { signal, channel };
}

/** MediaLive states in which a channel with no running pipeline produces nothing. */
const DOWN_STATES = new Set(['IDLE', 'STOPPING', 'RECOVERING', 'CREATE_FAILED', 'DELETING', 'DELETED', 'UPDATE_FAILED']);

function fromStateChange(e: ChannelStateChangeEvent, ctx: SignalContext): TranslatedSignal {
  const { channel, side } = mediaLiveChannel(e, ctx);
  const running = e.detail.pipelines_running_count;
  const down = DOWN_STATES.has(e.detail.state) && running === 0;
  const signal: Signal = {
    channelId: channel.id,
    kind: 'channel-state',
    ...(e.detail.pipeline ? { pipeline: e.detail.pipeline } : {}),
    severity: down ? 'outage' : e.detail.state === 'RECOVERING' ? 'degraded' : 'info',
    at: e.time,
    dedupeKey: `state:${e.detail.channel_arn}:${e.detail.state}:${running}:${e.time}`,
    source: e.source,
    side,
    detail: { state: e.detail.state, pipelinesRunningCount: running, message: e.detail.message, channelArn: e.detail.channel_arn },
  };
  return { signal, channel };
}

function fromInputChange(e: ChannelInputChangeEvent, ctx: SignalContext): TranslatedSignal {
  const { channel, side } = mediaLiveChannel(e, ctx);
  const signal: Signal = {
    channelId: channel.id,
    kind: 'input-change',
    ...(e.detail.pipeline ? { pipeline: e.detail.pipeline } : {}),
    severity: 'info',
    at: e.time,
    dedupeKey: `input:${e.detail.channel_arn}:${e.detail.pipeline ?? '-'}:${e.detail.active_input_attachment_name}:${e.time}`,
    source: e.source,
    side,
    detail: { activeInput: e.detail.active_input_attachment_name, action: e.detail.active_input_switch_action_name, message: e.detail.message },
  };
  return { signal, channel };
}

// ---- probe

function fromManifest(e: ManifestTransitionEvent, ctx: SignalContext): TranslatedSignal {
  const d = e.detail;
  const channel = getChannel(ctx.registry, d.channelId);
  const paths = { ...d.paths, [d.path]: { ...d.paths[d.path], state: d.state, ageMs: d.ageMs } };
  const stale = d.state === 'stale';
  let severity: Signal['severity'] = 'info';
  if (stale) {
    const edge = paths.edge?.state ?? 'unknown';
    const primary = paths.primary?.state ?? 'unknown';
    // Viewers freeze only when the edge is stale too; a stale primary behind a fresh edge, or a stale edge
    // in front of a fresh primary (caching), is degraded. A path the probe does not know counts as stale.
    if (d.path === 'standby') severity = 'degraded';
    else severity = edge !== 'fresh' && primary !== 'fresh' ? 'outage' : 'degraded';
  }
  const signal: Signal = {
    channelId: channel.id,
    kind: stale ? 'manifest-stale' : 'manifest-fresh',
    severity,
    at: normalizeTime(d.observedAt),
    dedupeKey: `probe:${channel.id}:${d.path}:${d.state}:${d.observedAt}`,
    source: e.source,
    ...(d.path === 'edge' ? {} : { side: d.path }),
    detail: {
      path: d.path,
      ageMs: d.ageMs,
      thresholdMs: d.thresholdMs,
      paths,
      diagnosis: d.diagnosis,
      // What each reading of the path came back with: the policy tells an origin that does not answer from one
      // that answers with old media. Names and codes only (the URLs and ages stay in the event).
      renditions: d.renditions.map(({ name, status, problems }) => ({ name, status, problems })),
      ...(d.reminder ? { reminder: true } : {}),
    },
  };
  return { signal, channel };
}

// ---- operator

function fromOps(
  e: FailoverRequestedEvent | FailbackRequestedEvent | DrillRequestedEvent,
  kind: 'failover-requested' | 'failback-requested' | 'drill-requested',
  ctx: SignalContext,
): TranslatedSignal {
  const channel = getChannel(ctx.registry, e.detail.channelId);
  const scenario = 'scenario' in e.detail ? e.detail.scenario : undefined;
  const reason = e.detail.reason ?? (kind === 'drill-requested' ? `drill${scenario ? ` ${scenario}` : ''}` : kind);
  const signal: Signal = {
    channelId: channel.id,
    kind,
    severity: kind === 'failback-requested' ? 'info' : 'outage',
    at: e.time,
    // Each operator request is its own fact: the event id tells a new request from a redelivery.
    dedupeKey: `ops:${kind}:${channel.id}:${e.id}`,
    source: e.source,
    detail: {
      reason,
      ...(e.detail.mode ? { mode: e.detail.mode } : {}),
      ...(e.detail.requestedBy ? { requestedBy: e.detail.requestedBy } : {}),
      ...('force' in e.detail && e.detail.force === true ? { force: true } : {}),
      ...(scenario ? { scenario } : {}),
      ...(kind === 'drill-requested' ? { drill: true } : {}),
    },
  };
  return { signal, channel };
}

// ---- triage's own re-check

/** The dwell that held an outage back is over: look at the primary again (the policy confirms it afresh). */
function fromRecheck(e: OutageRecheckEvent, ctx: SignalContext): TranslatedSignal {
  const channel = getChannel(ctx.registry, e.detail.channelId);
  const signal: Signal = {
    channelId: channel.id,
    kind: 'outage-recheck',
    severity: 'outage',
    at: e.time,
    dedupeKey: `recheck:${channel.id}:${e.detail.lastTransitionAt}`,
    source: e.source,
    side: 'primary',
    detail: { lastTransitionAt: e.detail.lastTransitionAt, reason: e.detail.reason },
  };
  return { signal, channel };
}
