// A simulated MediaLive channel: the state the sandbox's MediaLive API reports and the media world's
// origins follow. States and transitions follow the MediaLive user guide:
// https://docs.aws.amazon.com/medialive/latest/ug/monitor-activity-types-channel.html
import { EventEmitter } from 'node:events';

export type ChannelState =
  | 'CREATING' | 'CREATE_FAILED' | 'IDLE' | 'STARTING' | 'RUNNING' | 'RECOVERING'
  | 'STOPPING' | 'DELETING' | 'DELETED' | 'UPDATING' | 'UPDATE_FAILED';

export type PipelineId = '0' | '1';

export interface PipelineStatus {
  id: PipelineId;
  /** false while the pipeline has failed (input loss, hardware, injected fault). */
  healthy: boolean;
  /** true while a schedule PauseStateSettings action pauses it. */
  paused: boolean;
}

export interface SimChannelOptions {
  region: string;
  channelId: string;
  name?: string;
  state?: ChannelState;
  channelClass?: 'STANDARD' | 'SINGLE_PIPELINE';
  /** How long STARTING lasts (real channels: up to ~3 minutes, sometimes 10). */
  startDelayMs?: number;
  stopDelayMs?: number;
  /** Fault: the next start ends in this state instead of RUNNING. */
  startFailsWith?: 'CREATE_FAILED' | 'IDLE';
  tags?: Record<string, string>;
}

export interface ChannelChange {
  channel: SimChannel;
  state: ChannelState;
  previous: ChannelState;
  pipelinesRunningCount: number;
}

export interface PipelineChange {
  channel: SimChannel;
  pipeline: PipelineId;
  healthy: boolean;
}

/**
 * Emits 'state' (ChannelChange) on every state transition and 'pipeline' (PipelineChange) when a
 * pipeline fails or recovers, so the sandbox can publish MediaLive events to EventBridge.
 */
export class SimChannel extends EventEmitter<{ state: [ChannelChange]; pipeline: [PipelineChange]; output: [] }> {
  readonly region: string;
  readonly channelId: string;
  readonly name: string;
  readonly channelClass: 'STANDARD' | 'SINGLE_PIPELINE';
  readonly tags: Record<string, string>;
  startDelayMs: number;
  stopDelayMs: number;
  startFailsWith: SimChannelOptions['startFailsWith'];
  readonly pipelines: PipelineStatus[];
  private current: ChannelState;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: SimChannelOptions) {
    super();
    this.region = opts.region;
    this.channelId = opts.channelId;
    this.name = opts.name ?? `channel-${opts.channelId}`;
    this.channelClass = opts.channelClass ?? 'STANDARD';
    this.tags = opts.tags ?? {};
    this.startDelayMs = opts.startDelayMs ?? 0;
    this.stopDelayMs = opts.stopDelayMs ?? 0;
    this.startFailsWith = opts.startFailsWith;
    const ids: PipelineId[] = this.channelClass === 'STANDARD' ? ['0', '1'] : ['0'];
    this.pipelines = ids.map((id) => ({ id, healthy: true, paused: false }));
    this.current = opts.state ?? 'IDLE';
  }

  get arn(): string {
    return `arn:aws:medialive:${this.region}:123456789012:channel:${this.channelId}`;
  }

  get state(): ChannelState {
    return this.current;
  }

  /** Pipelines that are running and healthy (DescribeChannel's pipelinesRunningCount). */
  get pipelinesRunningCount(): number {
    if (this.current !== 'RUNNING' && this.current !== 'RECOVERING') return 0;
    return this.pipelines.filter((p) => p.healthy).length;
  }

  /** True while at least one pipeline pushes new segments to the packager. */
  get producing(): boolean {
    if (this.current !== 'RUNNING' && this.current !== 'RECOVERING') return false;
    return this.pipelines.some((p) => p.healthy && !p.paused);
  }

  /** StartChannel: only valid on an IDLE channel (anything else is a 409 ConflictException). */
  start(): void {
    if (this.current !== 'IDLE') throw new ChannelConflictError(this, 'start');
    this.setState('STARTING');
    this.after(this.startDelayMs, () => {
      const failure = this.startFailsWith;
      this.startFailsWith = undefined;
      if (failure) return this.setState(failure);
      for (const p of this.pipelines) p.healthy = true;
      this.setState('RUNNING');
    });
  }

  /** StopChannel: valid on RUNNING, RECOVERING and STARTING channels. */
  stop(): void {
    if (!['RUNNING', 'RECOVERING', 'STARTING'].includes(this.current)) throw new ChannelConflictError(this, 'stop');
    this.setState('STOPPING');
    this.after(this.stopDelayMs, () => this.setState('IDLE'));
  }

  /** A pipeline fails (or recovers). Both failed on a running channel => RECOVERING, as MediaLive reports. */
  setPipelineHealthy(id: PipelineId, healthy: boolean): void {
    const pipeline = this.pipelines.find((p) => p.id === id);
    if (!pipeline || pipeline.healthy === healthy) return;
    pipeline.healthy = healthy;
    this.emit('pipeline', { channel: this, pipeline: id, healthy });
    const anyHealthy = this.pipelines.some((p) => p.healthy);
    if (this.current === 'RUNNING' && !anyHealthy) this.setState('RECOVERING');
    else if (this.current === 'RECOVERING' && anyHealthy) this.setState('RUNNING');
    this.emit('output');
  }

  /**
   * A schedule PauseStateSettings action: MediaLive pauses the listed pipelines and unpauses every other
   * one (an empty list unpauses all).
   */
  applyPause(paused: PipelineId[]): void {
    for (const p of this.pipelines) p.paused = paused.includes(p.id);
    this.emit('output');
  }

  /** Immediately forces a state (scenario setup only, e.g. a channel that is already RUNNING). */
  forceState(state: ChannelState): void {
    this.clearTimer();
    this.setState(state);
  }

  dispose(): void {
    this.clearTimer();
    this.removeAllListeners();
  }

  private setState(next: ChannelState): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    this.emit('state', { channel: this, state: next, previous, pipelinesRunningCount: this.pipelinesRunningCount });
    this.emit('output');
  }

  private after(ms: number, fn: () => void): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fn();
    }, ms);
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The wire error MediaLive returns for a start/stop that the channel's state does not allow. */
export class ChannelConflictError extends Error {
  readonly status = 409;
  constructor(channel: SimChannel, action: string) {
    super(`channel ${channel.channelId} cannot ${action} in state ${channel.state}`);
    this.name = 'ConflictException';
  }
}
