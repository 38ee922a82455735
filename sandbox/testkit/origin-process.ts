// A LiveOrigin in its own process (child_process.fork), so the probe benchmark's client and server do not
// share one event loop. Messages in: {type:'stall', stream, at?} / {type:'clear', stream}.
// Messages out: {type:'ready', base} once listening; {type:'stalled', stream, newestMediaEnd} (epoch ms).
import { LiveOrigin } from './live-origin.js';

const segmentS = Number(process.env.ORIGIN_SEGMENT_S ?? 2);
const origin = new LiveOrigin({ segmentS });
const base = await origin.start();

type Message = { type: 'stall'; stream: string; at?: number } | { type: 'clear'; stream: string } | { type: 'close' };

process.on('message', (m: Message) => {
  if (m.type === 'stall') {
    const at = m.at ?? Date.now();
    origin.set(m.stream, { stallAt: at });
    // The newest complete segment ends on the last segment boundary at or before `at`.
    const dMs = segmentS * 1000;
    process.send?.({ type: 'stalled', stream: m.stream, newestMediaEnd: Math.floor(at / dMs) * dMs });
  } else if (m.type === 'clear') origin.clear(m.stream);
  else if (m.type === 'close') void origin.close().then(() => process.exit(0));
});
process.on('disconnect', () => void origin.close().then(() => process.exit(0)));
process.send?.({ type: 'ready', base });
