// What the three paths together say. The edge alone cannot tell a CDN caching problem from an origin
// outage; comparing it with the origins it sits in front of can.
import type { ProbePath } from '../contracts.js';
import type { PathState } from './debounce.js';

export type PathView = Partial<Record<ProbePath, PathState>>;

export type DiagnosisCode =
  | 'healthy'
  | 'edge-caching'
  | 'origin-outage'
  | 'no-healthy-source'
  | 'primary-stale-edge-fresh'
  | 'standby-stale'
  | 'edge-stale'
  | 'unknown';

export interface Diagnosis {
  code: DiagnosisCode;
  message: string;
}

export function diagnose(view: PathView): Diagnosis {
  const { edge, primary, standby } = view;
  if (edge === 'stale' && primary === 'fresh')
    return { code: 'edge-caching', message: 'edge stale while primary origin fresh: CDN caching, not an origin outage' };
  if (primary === 'stale' && standby === 'stale')
    return { code: 'no-healthy-source', message: 'primary and standby origins both stale: no healthy source (slate)' };
  if (primary === 'stale' && edge === 'stale')
    return {
      code: 'origin-outage',
      message: `edge and primary origin stale: origin outage${standby === 'fresh' ? ', standby origin fresh' : ''}`,
    };
  if (primary === 'stale' && edge === 'fresh')
    return { code: 'primary-stale-edge-fresh', message: 'primary origin stale while the edge still looks fresh: viewers are on the standby, or the edge serves the frozen playlist from its cache until it is read again' };
  if (edge === 'stale') return { code: 'edge-stale', message: 'edge stale, primary origin state unknown' };
  if (standby === 'stale') return { code: 'standby-stale', message: 'standby origin stale while the primary is fresh: standby not ready' };
  if (edge === 'fresh' && primary === 'fresh') return { code: 'healthy', message: 'edge and primary origin fresh' };
  return { code: 'unknown', message: 'not enough observations yet' };
}
