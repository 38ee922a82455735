// Every AWS call the sandbox answered: the drill report prints calls per service, plan-mode tests assert
// that no mutating call was made, and tests read what a handler sent (the request as it came off the wire).
import type { FaultKind } from './faults.js';
import type { ServiceName } from './wire.js';

/** The HTTP request as the SDK client sent it (repeated headers joined with ", "). */
export interface SentRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface CallRecord {
  service: ServiceName;
  operation: string;
  /** The signing region; 'global' for CloudFront and its KeyValueStore. */
  region: string;
  status: number;
  /** Epoch ms when the call arrived. */
  at: number;
  mutating: boolean;
  /** The error code returned, if any (injected or real). */
  error?: string;
  fault?: FaultKind;
  /** Latency added by an injected fault. */
  latencyMs?: number;
  request: SentRequest;
}

export class CallLog {
  readonly records: CallRecord[] = [];

  add(record: CallRecord): void {
    this.records.push(record);
  }

  clear(): void {
    this.records.length = 0;
  }

  /** Calls per service, e.g. { medialive: 4, cloudfront: 2 }. */
  countsByService(): Partial<Record<ServiceName, number>> {
    const counts: Partial<Record<ServiceName, number>> = {};
    for (const r of this.records) counts[r.service] = (counts[r.service] ?? 0) + 1;
    return counts;
  }

  /** Calls per "service:Operation". */
  countsByOperation(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.records) {
      const k = `${r.service}:${r.operation}`;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return counts;
  }

  /** The JSON bodies of the calls of one operation (JSON protocols: SFN, EventBridge, MediaLive...), oldest first. */
  payloads<T = Record<string, unknown>>(operation: string): T[] {
    return this.records.filter((r) => r.operation === operation).map((r) => (r.request.body ? (JSON.parse(r.request.body) as T) : ({} as T)));
  }

  mutating(): CallRecord[] {
    return this.records.filter((r) => r.mutating);
  }

  /** Successful mutating calls (a rejected StartChannel changed nothing). */
  mutations(): CallRecord[] {
    return this.records.filter((r) => r.mutating && r.status < 300);
  }
}
