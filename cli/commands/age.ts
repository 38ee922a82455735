// `flatline age <file|url> [--now <ISO 8601>] [--json]`: the age of one manifest document.
// A thin adapter over functions/domain/manifest: read the document, analyze it, print it.
import { readFile } from 'node:fs/promises';
import { analyzeManifest, fetchManifest, type ManifestAnalysis } from '../../functions/domain/manifest/index.js';
import { readIsoDateTime } from '../../functions/domain/manifest/scan-primitives.js';
import { parseCommandArgs } from '../args.js';

export const summary = 'age of one manifest (HLS or DASH, file or URL): newest media end, live edge, problems';

const USAGE = 'usage: flatline age <file|url> [--now <ISO 8601>] [--json]';

interface Source {
  text: string;
  url?: string;
  headers?: Record<string, string | string[] | undefined>;
}

async function readSource(target: string): Promise<Source> {
  if (/^https?:\/\//i.test(target)) {
    const res = await fetchManifest(target, { timeoutMs: 10_000 });
    if (res.error || res.text === null) throw new Error(res.error?.message ?? `no body from ${target}`);
    return { text: res.text, url: target, headers: res.headers };
  }
  return { text: await readFile(target, 'utf8') };
}

function formatTable(a: ManifestAnalysis): string {
  const td = a.targetDuration;
  const age =
    a.ageMs === null ? 'null' : `${a.ageMs} (${(a.ageMs / 1000).toFixed(3)} s${td ? `, ${(a.ageMs / 1000 / td).toFixed(2)} x target duration` : ''})`;
  const rows: Array<[string, string]> = [
    ['format', a.format],
    ['live', String(a.live)],
    ['newestMediaEnd', a.newestMediaEnd ?? 'null'],
    ['liveEdge', a.liveEdge ?? 'null'],
    ['ageMs', age],
    ['mediaSequence', a.mediaSequence === null ? 'null' : String(a.mediaSequence)],
    ['targetDuration', td === null ? 'null' : String(td)],
    ['segments', String(a.segments)],
  ];
  if (a.publishTime) rows.push(['publishTime', a.publishTime]);
  if (a.lastUpdatedMs != null) rows.push(['lastUpdated', new Date(a.lastUpdatedMs).toISOString()]);
  if (a.renditions.length > 0) {
    rows.push(['renditions', String(a.renditions.length)]);
    for (const r of a.renditions) rows.push(['', `${r.name}  ${r.url ?? r.uri}`]);
  }
  rows.push(['problems', a.problems.length === 0 ? 'none' : String(a.problems.length)]);
  for (const p of a.problems) rows.push(['', `${p.code}: ${p.message}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

export async function run(args: string[]): Promise<number> {
  let values: { now?: string; json?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseCommandArgs('age', args, { now: { type: 'string' }, json: { type: 'boolean' } }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const target = positionals[0];
  if (!target || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  let now = Date.now();
  if (values.now !== undefined) {
    now = readIsoDateTime(values.now, 0, values.now.length);
    if (Number.isNaN(now)) {
      console.error(`flatline age: --now "${values.now}" is not an ISO 8601 date-time (e.g. 2024-05-24T15:12:03Z)`);
      return 2;
    }
  }
  let source: Source;
  try {
    source = await readSource(target);
  } catch (err) {
    console.error(`flatline age: cannot read ${target}: ${(err as Error).message}`);
    return 2;
  }
  const analysis = analyzeManifest(source.text, { now, url: source.url, headers: source.headers });
  console.log(values.json ? JSON.stringify(analysis, null, 2) : formatTable(analysis));
  return 0;
}
