// Who asked for a failover, failback or drill (flatline.ops) and why, in one line: the ledger, triage's
// pages and the state machines' notifications all name both, so nobody has to dig the event out.
import { OPS_SOURCE, type Signal } from './contracts.js';

/** "requested by <who>: <reason>" for an operator's request, or '' for any other signal. */
export function requestedBy(signal: Pick<Signal, 'source' | 'kind' | 'detail'>): string {
  if (signal.source !== OPS_SOURCE) return '';
  const who = typeof signal.detail?.requestedBy === 'string' ? signal.detail.requestedBy : 'an unnamed operator';
  return `requested by ${who}: ${typeof signal.detail?.reason === 'string' ? signal.detail.reason : signal.kind}`;
}
