// Incident ids: derived from the signal, so every duplicate delivery of one event maps to the same
// incident (and so to the same execution name, which makes a duplicate StartExecution a no-op).
import { createHash } from 'node:crypto';
import type { Signal } from '../contracts.js';

/** `<yyyymmddThhmm of the observation>-<10 hex of sha256(dedupeKey)>`: sortable, [0-9A-Za-z-], 24 chars. */
export function incidentIdFor(signal: Pick<Signal, 'at' | 'dedupeKey'>): string {
  const at = new Date(signal.at);
  const bucket = Number.isNaN(at.getTime()) ? '00000000T0000' : at.toISOString().slice(0, 16).replace(/[-:]/g, '');
  const hash = createHash('sha256').update(signal.dedupeKey).digest('hex').slice(0, 10);
  return `${bucket}-${hash}`;
}

/** Step Functions execution names: <= 80 chars of [A-Za-z0-9-_]. */
export function executionName(channelId: string, incidentId: string): string {
  const name = `${channelId}-${incidentId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return name.length <= 80 ? name : `${name.slice(0, 80 - incidentId.length - 1)}-${incidentId}`;
}
