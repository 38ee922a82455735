// A LiveOrigin in its own process (child_process.fork), so the probe benchmark's client and server do not
// share one event loop. ORIGIN_SEGMENT_S, ORIGIN_JITTER (fraction of a segment duration segments may be late).
// Messages in: {type:'stall', stream, rendition?, at?} (rendition: freeze that one only) / {type:'clear', stream, rendition?}.
// Messages out: {type:'ready', base} once listening; {type:'stalled', stream, newestMediaEnd} (epoch ms).
import { LiveOrigin, lateness } from './live-origin.js';

const segmentS = Number(process.env.ORIGIN_SEGMENT_S ?? 2);
const origin = new LiveOrigin({ segmentS, jitter: Number(process.env.ORIGIN_JITTER ?? 0) });
const base = await origin.start();

type Message = { type: 'stall'; stream: string; rendition?: string; at?: number } | { type: 'clear'; stream: string; rendition?: string } | { type: 'close' };

process.on('message', (m: Message) => {
  if (m.type === 'stall') {
    const at = m.at ?? Date.now();
    origin.set(m.stream, { stallAt: at }, m.rendition);
    // The newest complete segment ends on the last segment boundary at or before `at` (one earlier when it is
    // late: see the jitter in LiveOrigin).
    const dMs = segmentS * 1000;
    const jitter = Number(process.env.ORIGIN_JITTER ?? 0);
    let newest = Math.floor(at / dMs) - 1;
    if (jitter && (newest + 1) * dMs + lateness(newest) * jitter * dMs > at) newest--;
    process.send?.({ type: 'stalled', stream: m.stream, rendition: m.rendition, newestMediaEnd: (newest + 1) * dMs });
  } else if (m.type === 'clear') origin.clear(m.stream, m.rendition);
  // Exit once the server is closed; a failed close is an unhandled rejection, so the process exits non-zero
  // and the parent sees it.
  else if (m.type === 'close') void origin.close().then(() => process.exit(0));
});
process.on('disconnect', () => void origin.close().then(() => process.exit(0)));
process.send?.({ type: 'ready', base });
