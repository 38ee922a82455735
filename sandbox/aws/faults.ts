// Per-call fault injection. Deterministic: the random draws come from a seeded generator, so a test that
// injects "30% throttling" sees the same calls fail on every run.
import type { ServiceName } from './wire.js';

/** 'blackhole': the connection is accepted and the request never answered (the caller's timeout ends it). */
export type FaultKind = 'throttle' | '5xx' | '412' | 'latency' | 'error' | 'blackhole';

export interface FaultSpec {
  service?: ServiceName;
  operation?: string;
  region?: string;
  /** Only calls that change state (StartChannel, UpdateDistribution, PutKey, ...) or only reads. */
  mutating?: boolean;
  kind: FaultKind;
  /** Chance per matching call, 0..1 (default 1). */
  probability?: number;
  /** How many times the fault fires before it retires (default: forever). */
  count?: number;
  /** 'latency': added delay; other kinds may add it too. */
  latencyMs?: number;
  /** 'error': the wire error code and status (default 400). */
  errorCode?: string;
  status?: number;
  message?: string;
}

export interface Fault extends FaultSpec {
  readonly id: number;
  fired: number;
}

export interface CallTarget {
  service: ServiceName;
  operation: string;
  region: string;
  mutating: boolean;
}

/** mulberry32: a tiny, well-known seeded PRNG (node:crypto has no seeded generator). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private faults: Fault[] = [];
  private nextId = 1;
  private random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  /** Adds a fault; returns a function that removes it. */
  add(spec: FaultSpec): () => void {
    const fault: Fault = { ...spec, id: this.nextId++, fired: 0 };
    this.faults.push(fault);
    return () => {
      this.faults = this.faults.filter((f) => f !== fault);
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** Re-seeds the generator (a test that wants its own reproducible sequence). */
  seed(seed: number): void {
    this.random = seededRandom(seed);
  }

  list(): readonly Fault[] {
    return this.faults;
  }

  /**
   * The faults that fire for this call: every matching latency fault, and at most one failing fault
   * (the first that fires). A fault whose count is used up is removed.
   */
  draw(call: CallTarget): { latencyMs: number; failure?: Fault } {
    let latencyMs = 0;
    let failure: Fault | undefined;
    for (const f of [...this.faults]) {
      if (!matches(f, call)) continue;
      if (f.kind !== 'latency' && failure) continue;
      if (f.probability !== undefined && this.random() >= f.probability) continue;
      f.fired++;
      if (f.count !== undefined && f.fired >= f.count) this.faults = this.faults.filter((x) => x !== f);
      latencyMs += f.latencyMs ?? 0;
      if (f.kind !== 'latency') failure = f;
    }
    return { latencyMs, failure };
  }
}

function matches(f: FaultSpec, call: CallTarget): boolean {
  if (f.service && f.service !== call.service) return false;
  if (f.operation && f.operation !== call.operation) return false;
  if (f.region && f.region !== call.region) return false;
  if (f.mutating !== undefined && f.mutating !== call.mutating) return false;
  return true;
}
