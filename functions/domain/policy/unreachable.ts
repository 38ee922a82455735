// Whether a probe's stale reading of an origin is "no playlist came back" (unreachable) rather than "a playlist
// came back with old media" (stale but answering). Read from the transition's detail.renditions: each media
// playlist the probe read on that path (status 'error' with the fetch's problem code when no playlist came
// back), plus a 'multivariant' entry when the multivariant playlist's own fetch failed.
import type { Signal } from '../contracts.js';

/**
 * The probe's problem codes of a fetch that brought no playlist back: the origin did not answer in time, the
 * connection failed, or it answered with an HTTP error (404 from MediaPackage on a stale manifest, 5xx on an
 * origin failure: the statuses a CloudFront origin group fails over on,
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html).
 * Not 'access-denied' (401/403): an origin that admits only its CDN refuses the probe while serving viewers, so
 * a refusal is the probe's access to fix, never an outage by itself.
 */
export const FAILED_FETCH_PROBLEMS: ReadonlySet<string> = new Set(['timeout', 'fetch-failed', 'http-error']);

const MULTIVARIANT = 'multivariant';

interface Reading {
  name: string;
  failed?: string;
}

/** The path's readings in the signal's detail, each with the fetch problem that brought nothing back (if any). */
function readingsOf(signal: Signal): Reading[] {
  const renditions = signal.detail?.renditions;
  if (!Array.isArray(renditions)) return [];
  return renditions.flatMap((r: unknown): Reading[] => {
    if (typeof r !== 'object' || r === null) return [];
    const { name, status, problems } = r as { name?: unknown; status?: unknown; problems?: unknown };
    const failed = status === 'error' && Array.isArray(problems) ? problems.find((p): p is string => typeof p === 'string' && FAILED_FETCH_PROBLEMS.has(p)) : undefined;
    return [{ name: typeof name === 'string' ? name : '?', ...(failed === undefined ? {} : { failed }) }];
  });
}

/**
 * What failed, when the origin is unreachable by the probe's latest readings: its multivariant playlist's fetch
 * failed (no player can start), or every media playlist's did. undefined when any media playlist came back
 * (stale but answering) or there is nothing to tell from (an event without renditions).
 */
export function unreachableReadings(signal: Signal): string | undefined {
  const readings = readingsOf(signal);
  const multivariant = readings.find((r) => r.name === MULTIVARIANT && r.failed !== undefined);
  const media = readings.filter((r) => r.name !== MULTIVARIANT);
  const allMediaFailed = media.length > 0 && media.every((r) => r.failed !== undefined);
  if (!multivariant && !allMediaFailed) return undefined;
  const failed = multivariant ? [multivariant] : media;
  return failed.map((r) => `${r.name}: ${r.failed ?? '?'}`).join(', ');
}
