// MediaLive over REST-JSON (camelCase on the wire, errors as x-amzn-errortype + {"message"}), backed by
// SimChannel. Channels live per region: the primary and the standby of a registry channel are in
// different regions, and a call signed for the wrong region does not find the channel (404), as in AWS.
import { randomBytes } from 'node:crypto';
import { ChannelConflictError, SimChannel, type PipelineId } from '../media/medialive-channel.js';
import type { SimChannelOptions } from '../media/medialive-channel.js';
import type { SandboxEvent } from './events.js';
import {
  ACCOUNT_ID,
  AwsServiceError,
  json,
  parseJsonBody,
  restJsonError,
  type ResolvedOperation,
  type SandboxService,
  type WireRequest,
  type WireResponse,
} from './wire.js';

interface WireScheduleAction {
  actionName?: string;
  scheduleActionSettings?: { pauseStateSettings?: { pipelines?: Array<{ pipelineId?: string }> } } & Record<string, unknown>;
  scheduleActionStartSettings?: {
    fixedModeScheduleActionStartSettings?: { time?: string };
    immediateModeScheduleActionStartSettings?: Record<string, never>;
    followModeScheduleActionStartSettings?: Record<string, unknown>;
  };
}

interface BatchUpdateScheduleBody {
  creates?: { scheduleActions?: WireScheduleAction[] };
  deletes?: { actionNames?: string[] };
}

export class MediaLiveService implements SandboxService {
  readonly name = 'medialive' as const;
  private readonly channels = new Map<string, SimChannel>();
  private readonly schedules = new Map<SimChannel, WireScheduleAction[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Open alarm ids per channel+pipeline+alert type: SET and CLEARED of one alarm share its id. */
  private readonly openAlarms = new Map<string, string>();

  constructor(private readonly publish: (event: SandboxEvent) => void) {}

  /** Adds a simulated channel; its state and pipeline changes become MediaLive events on the bus. */
  addChannel(opts: SimChannelOptions): SimChannel {
    const channel = new SimChannel(opts);
    this.channels.set(key(opts.region, opts.channelId), channel);
    channel.on('state', (c) =>
      this.emitEvent(channel, 'MediaLive Channel State Change', {
        channel_arn: channel.arn,
        state: c.state,
        message: stateMessage(c.state),
        pipelines_running_count: c.pipelinesRunningCount,
      }),
    );
    channel.on('pipeline', (p) =>
      this.emitAlert(channel, p.pipeline, 'Video Not Detected', !p.healthy, '[VideoBuffer[1]] Video not detected: Check input signal'),
    );
    return channel;
  }

  channel(region: string, channelId: string): SimChannel {
    const c = this.channels.get(key(region, channelId));
    if (!c) throw new Error(`sandbox: no MediaLive channel ${channelId} in ${region}`);
    return c;
  }

  all(): SimChannel[] {
    return [...this.channels.values()];
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.channels.values()) c.dispose();
  }

  throttleError(): AwsServiceError {
    return new AwsServiceError(429, 'TooManyRequestsException', 'Too many requests, please retry later.');
  }

  renderError(err: AwsServiceError): WireResponse {
    return restJsonError(err, 'message');
  }

  resolve(req: WireRequest): ResolvedOperation {
    const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'prod') return unknown(req);
    if (parts[1] === 'tags' && parts[2]) {
      const arn = parts.slice(2).join('/');
      if (req.method === 'GET') return { operation: 'ListTagsForResource', mutating: false, run: () => json(200, { tags: this.byArn(arn).tags }) };
      if (req.method === 'POST') {
        return {
          operation: 'CreateTags',
          mutating: true,
          run: () => {
            const body = parseJsonBody<{ tags?: Record<string, string> }>(req, 'BadRequestException');
            Object.assign(this.byArn(arn).tags, body.tags ?? {});
            return { status: 204 };
          },
        };
      }
      return unknown(req);
    }
    if (parts[1] !== 'channels' || !parts[2]) return unknown(req);
    const id = parts[2];
    const action = parts[3];
    const find = (): SimChannel => this.find(req.region, id);
    if (req.method === 'GET' && !action) return { operation: 'DescribeChannel', mutating: false, run: () => json(200, describe(find())) };
    if (req.method === 'POST' && action === 'start') {
      return { operation: 'StartChannel', mutating: true, run: () => this.transition(find(), 'start') };
    }
    if (req.method === 'POST' && action === 'stop') {
      return { operation: 'StopChannel', mutating: true, run: () => this.transition(find(), 'stop') };
    }
    if (action === 'schedule' && req.method === 'PUT') {
      return { operation: 'BatchUpdateSchedule', mutating: true, run: () => this.batchUpdateSchedule(find(), req) };
    }
    if (action === 'schedule' && req.method === 'GET') {
      return { operation: 'DescribeSchedule', mutating: false, run: () => json(200, { scheduleActions: this.schedules.get(find()) ?? [] }) };
    }
    if (action === 'schedule' && req.method === 'DELETE') {
      return {
        operation: 'DeleteSchedule',
        mutating: true,
        run: () => {
          this.schedules.set(find(), []);
          return json(200, {});
        },
      };
    }
    return unknown(req);
  }

  private find(region: string, id: string): SimChannel {
    const c = this.channels.get(key(region, id));
    if (!c) throw new AwsServiceError(404, 'NotFoundException', `Channel ${id} not found in ${region}`);
    return c;
  }

  private byArn(arn: string): SimChannel {
    for (const c of this.channels.values()) if (c.arn === arn) return c;
    throw new AwsServiceError(404, 'NotFoundException', `Resource ${arn} not found`);
  }

  private transition(channel: SimChannel, action: 'start' | 'stop'): WireResponse {
    try {
      if (action === 'start') channel.start();
      else channel.stop();
    } catch (err) {
      if (err instanceof ChannelConflictError) throw new AwsServiceError(409, 'ConflictException', err.message);
      throw err;
    }
    return json(200, describe(channel));
  }

  private batchUpdateSchedule(channel: SimChannel, req: WireRequest): WireResponse {
    const body = parseJsonBody<BatchUpdateScheduleBody>(req, 'BadRequestException');
    const existing = this.schedules.get(channel) ?? [];
    const deletes = body.deletes?.actionNames ?? [];
    for (const name of deletes) {
      if (!existing.some((a) => a.actionName === name)) {
        throw new AwsServiceError(422, 'UnprocessableEntityException', `Schedule action "${name}" does not exist`);
      }
    }
    const creates = body.creates?.scheduleActions ?? [];
    const remaining = existing.filter((a) => !deletes.includes(a.actionName ?? ''));
    for (const a of creates) {
      if (!a.actionName) throw new AwsServiceError(400, 'BadRequestException', 'actionName is required');
      if (remaining.some((r) => r.actionName === a.actionName)) {
        throw new AwsServiceError(422, 'UnprocessableEntityException', `Schedule action "${a.actionName}" already exists`);
      }
      remaining.push(a);
    }
    this.schedules.set(channel, remaining);
    for (const a of creates) this.schedulePause(channel, a);
    return json(200, {
      creates: { scheduleActions: creates },
      deletes: { scheduleActions: existing.filter((a) => deletes.includes(a.actionName ?? '')) },
    });
  }

  /** Applies a PauseStateSettings action now (immediate, or a fixed time already past) or at its time. */
  private schedulePause(channel: SimChannel, action: WireScheduleAction): void {
    const pause = action.scheduleActionSettings?.pauseStateSettings;
    if (!pause) return;
    const pipelines = (pause.pipelines ?? [])
      .map((p) => p.pipelineId?.replace('PIPELINE_', ''))
      .filter((p): p is PipelineId => p === '0' || p === '1');
    const apply = (): void => this.applyPause(channel, pipelines);
    const at = action.scheduleActionStartSettings?.fixedModeScheduleActionStartSettings?.time;
    const delay = at ? Date.parse(at) - Date.now() : 0;
    if (!(delay > 0)) return apply();
    const t = setTimeout(() => {
      this.timers.delete(t);
      apply();
    }, delay);
    t.unref();
    this.timers.add(t);
  }

  /** Pauses the listed pipelines and unpauses the others, raising/clearing MediaLive's "Pipeline is Paused" alert. */
  private applyPause(channel: SimChannel, pipelines: PipelineId[]): void {
    const before = new Map(channel.pipelines.map((p) => [p.id, p.paused]));
    channel.applyPause(pipelines);
    for (const p of channel.pipelines) {
      if (before.get(p.id) !== p.paused) this.emitAlert(channel, p.id, 'Pipeline is Paused', p.paused, `Pipeline ${p.id} is paused by a schedule action`);
    }
  }

  private emitAlert(channel: SimChannel, pipeline: PipelineId, alertType: string, set: boolean, message: string): void {
    const k = `${channel.arn}|${pipeline}|${alertType}`;
    let alarmId = this.openAlarms.get(k);
    if (set) {
      alarmId = randomBytes(20).toString('hex');
      this.openAlarms.set(k, alarmId);
    } else {
      if (!alarmId) return; // nothing was SET: MediaLive does not clear an alarm it never raised
      this.openAlarms.delete(k);
    }
    this.emitEvent(channel, 'MediaLive Channel Alert', {
      alarm_state: set ? 'SET' : 'CLEARED',
      alarm_id: alarmId,
      alert_type: alertType,
      pipeline,
      channel_arn: channel.arn,
      message,
    });
  }

  private emitEvent(channel: SimChannel, detailType: string, detail: Record<string, unknown>): void {
    this.publish({ source: 'aws.medialive', detailType, region: channel.region, resources: [channel.arn], detail });
  }
}

const key = (region: string, id: string): string => `${region}/${id}`;

function unknown(req: WireRequest): ResolvedOperation {
  return {
    operation: 'Unknown',
    mutating: false,
    run: () => {
      throw new AwsServiceError(404, 'NotFoundException', `sandbox MediaLive does not implement ${req.method} ${req.path}`);
    },
  };
}

/** DescribeChannel's body (also StartChannel/StopChannel's), camelCase as on the wire. */
export function describe(c: SimChannel): Record<string, unknown> {
  const active = c.state === 'RUNNING' || c.state === 'RECOVERING';
  return {
    arn: c.arn,
    id: c.channelId,
    name: c.name,
    state: c.state,
    channelClass: c.channelClass,
    pipelinesRunningCount: c.pipelinesRunningCount,
    pipelineDetails: active
      ? c.pipelines.filter((p) => p.healthy).map((p) => ({ pipelineId: p.id, activeInputAttachmentName: `${c.name}-input` }))
      : [],
    inputAttachments: [{ inputAttachmentName: `${c.name}-input`, inputId: `${c.channelId}0` }],
    destinations: [],
    egressEndpoints: [],
    roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/MediaLiveAccessRole`,
    tags: c.tags,
  };
}

function stateMessage(state: string): string {
  return `Channel state is ${state}`;
}
