// The drill report as one self-contained HTML file: inline CSS and an inline SVG chart drawn here (no
// script, no font, no network at view time). Top panel: manifest age on the edge, primary and standby
// paths with the stale threshold; bottom panel: share of viewers stalled (and on the slate); vertical
// markers for every event, decision and step; then the summary, the expectations and the timeline.
import { summaryRows, type DrillReport, type Marker, type MarkerKind, type SeriesPoint } from './report.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const COLORS = { edge: '#1f77b4', primary: '#d62728', standby: '#2ca02c', stalled: '#ff7f0e', slate: '#9467bd', threshold: '#555' };
const MARKER_COLORS: Record<MarkerKind, string> = {
  fault: '#d62728',
  event: '#7f7f7f',
  probe: '#1f77b4',
  decision: '#8c564b',
  execution: '#17becf',
  step: '#bcbd22',
  route: '#2ca02c',
  'origin-group': '#2ca02c',
  slate: '#9467bd',
  notify: '#e377c2',
  edge: '#1f77b4',
};

const W = 960;
const LEFT = 56;
const RIGHT = 16;
const AGE_TOP = 24;
const AGE_H = 240;
const GAP = 36;
const STALL_H = 110;
const LANE_H = 14;

function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function path(points: SeriesPoint[], value: (p: SeriesPoint) => number | null, x: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    const v = value(p);
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

function area(points: SeriesPoint[], value: (p: SeriesPoint) => number, x: (t: number) => number, y: (v: number) => number): string {
  if (points.length === 0) return '';
  let d = `M${x(points[0]!.t).toFixed(1)},${y(0).toFixed(1)}`;
  for (const p of points) d += `L${x(p.t).toFixed(1)},${y(value(p)).toFixed(1)}`;
  return `${d}L${x(points.at(-1)!.t).toFixed(1)},${y(0).toFixed(1)}Z`;
}

/** The chart: two panels sharing the time axis, and a lane of marker labels under them. */
export function renderChart(r: DrillReport): string {
  const pts = r.series;
  const tMin = Math.min(0, ...pts.map((p) => p.t), ...r.markers.map((m) => m.t));
  const tMax = Math.max(1, ...pts.map((p) => p.t), ...r.markers.map((m) => m.t));
  const ageMax = Math.max(r.thresholdS * 2, ...pts.flatMap((p) => [p.edgeAgeS, p.primaryAgeS, p.standbyAgeS]).filter((v): v is number => v !== null && Number.isFinite(v)));
  const x = scale(tMin, tMax, LEFT, W - RIGHT);
  const yAge = scale(0, ageMax * 1.05, AGE_TOP + AGE_H, AGE_TOP);
  const stallTop = AGE_TOP + AGE_H + GAP;
  const yStall = scale(0, 1, stallTop + STALL_H, stallTop);
  // Marker labels go in lanes below the chart so they never overlap: a label takes the first lane free at its x.
  const laneTop = stallTop + STALL_H + 30;
  const lanesEnd: number[] = [];
  const placed = [...r.markers]
    .sort((a, b) => a.t - b.t)
    .map((m) => {
      const mx = x(m.t);
      const width = Math.min(220, 6.2 * m.label.length + 8);
      let lane = lanesEnd.findIndex((end) => end < mx);
      if (lane === -1) lane = lanesEnd.push(0) - 1;
      lanesEnd[lane] = mx + width;
      return { m, mx, lane };
    });
  const H = laneTop + Math.max(1, lanesEnd.length) * LANE_H + 12;
  const out: string[] = [];
  out.push(`<svg id="drill-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Manifest age and viewers stalled over the drill">`);
  // axes and grid
  const tStep = niceStep(tMax - tMin, 12);
  for (let t = Math.ceil(tMin / tStep) * tStep; t <= tMax; t += tStep) {
    const gx = x(t).toFixed(1);
    out.push(`<line class="grid" x1="${gx}" x2="${gx}" y1="${AGE_TOP}" y2="${stallTop + STALL_H}"/>`);
    out.push(`<text class="tick" x="${gx}" y="${stallTop + STALL_H + 14}" text-anchor="middle">${Number(t.toFixed(3))}s</text>`);
  }
  const aStep = niceStep(ageMax, 5);
  for (let v = 0; v <= ageMax * 1.05; v += aStep) {
    const gy = yAge(v).toFixed(1);
    out.push(`<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${gy}" y2="${gy}"/><text class="tick" x="${LEFT - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle">${Number(v.toFixed(2))}s</text>`);
  }
  for (const v of [0, 0.5, 1]) {
    const gy = yStall(v).toFixed(1);
    out.push(`<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${gy}" y2="${gy}"/><text class="tick" x="${LEFT - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle">${v * 100}%</text>`);
  }
  out.push(`<text class="axis" x="${LEFT}" y="${AGE_TOP - 8}">manifest age (s)</text>`);
  out.push(`<text class="axis" x="${LEFT}" y="${stallTop - 8}">viewers stalled / on slate</text>`);
  out.push(`<rect class="frame" x="${LEFT}" y="${AGE_TOP}" width="${W - LEFT - RIGHT}" height="${AGE_H}"/>`);
  out.push(`<rect class="frame" x="${LEFT}" y="${stallTop}" width="${W - LEFT - RIGHT}" height="${STALL_H}"/>`);
  // markers: a vertical line through both panels, the label in its lane below
  for (const { m, mx, lane } of placed) {
    const color = MARKER_COLORS[m.kind];
    const ly = laneTop + lane * LANE_H;
    out.push(
      `<g class="marker" data-kind="${m.kind}"><title>${esc(`${m.t.toFixed(2)}s ${m.kind}: ${m.label}${m.detail ? ` — ${m.detail}` : ''}`)}</title>` +
        `<line x1="${mx.toFixed(1)}" x2="${mx.toFixed(1)}" y1="${AGE_TOP}" y2="${ly - 9}" stroke="${color}" stroke-width="1" stroke-dasharray="3 3" opacity="0.7"/>` +
        `<circle cx="${mx.toFixed(1)}" cy="${ly - 4}" r="3" fill="${color}"/>` +
        `<text class="mlabel" x="${(mx + 5).toFixed(1)}" y="${ly}" fill="${color}">${esc(m.label)}</text></g>`,
    );
  }
  // threshold and series
  const ty = yAge(r.thresholdS).toFixed(1);
  out.push(`<line class="threshold" x1="${LEFT}" x2="${W - RIGHT}" y1="${ty}" y2="${ty}" stroke="${COLORS.threshold}"/><text class="tick" x="${W - RIGHT - 4}" y="${Number(ty) - 4}" text-anchor="end">stale threshold ${r.thresholdS.toFixed(1)}s</text>`);
  for (const [key, value] of [
    ['primary', (p: SeriesPoint) => p.primaryAgeS],
    ['standby', (p: SeriesPoint) => p.standbyAgeS],
    ['edge', (p: SeriesPoint) => p.edgeAgeS],
  ] as const) {
    out.push(`<path class="series" data-series="${key}" d="${path(pts, value, x, yAge)}" stroke="${COLORS[key]}" fill="none" stroke-width="${key === 'edge' ? 2.5 : 1.5}"/>`);
  }
  out.push(`<path class="series" data-series="stalled" d="${area(pts, (p) => p.stalledShare, x, yStall)}" fill="${COLORS.stalled}" fill-opacity="0.55" stroke="${COLORS.stalled}"/>`);
  out.push(`<path class="series" data-series="slate" d="${area(pts, (p) => p.slateShare, x, yStall)}" fill="${COLORS.slate}" fill-opacity="0.35" stroke="${COLORS.slate}"/>`);
  // legend
  const legend: Array<[string, string]> = [
    ['edge', COLORS.edge],
    ['primary origin', COLORS.primary],
    ['standby origin', COLORS.standby],
    ['viewers stalled', COLORS.stalled],
    ['viewers on slate', COLORS.slate],
  ];
  legend.forEach(([label, color], i) => {
    const lx = LEFT + 200 + i * 135;
    out.push(`<rect x="${lx}" y="${AGE_TOP - 17}" width="12" height="10" fill="${color}"/><text class="tick" x="${lx + 16}" y="${AGE_TOP - 8}">${label}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** From the freeze: each step of the recovery as a bar, and the KVS write reaching each edge location. */
export function renderPropagation(r: DrillReport): string {
  const ft = r.freezeTimings;
  if (!ft) return '';
  const rows: Array<[string, number | null, number | null]> = [
    ['probe stale', 0, ft.probeStale],
    ['MediaLive alert', 0, ft.mediaLiveAlert],
    ['triage decision', 0, ft.triageDecision],
    ['execution start', 0, ft.executionStart],
    ['KVS write', 0, ft.kvsWrite],
    ...ft.kvsVisible.map((v, i): [string, number | null, number | null] => [`visible at edge location ${i + 1}`, ft.kvsWrite, v]),
    ['half the viewers on fresh manifests', 0, ft.viewersFreshP50],
    ['95 % of viewers on fresh manifests', 0, ft.viewersFreshP95],
    ['every viewer on fresh manifests', 0, ft.viewersFresh],
  ];
  const tMax = Math.max(1, ...rows.map(([, , e]) => e ?? 0));
  const rowH = 20;
  const labelW = 200;
  const x = scale(0, tMax, labelW, W - RIGHT - 60);
  const out = [`<svg id="propagation" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${rows.length * rowH + 24}" width="${W}" height="${rows.length * rowH + 24}" role="img" aria-label="Time from the freeze to each step, and KVS propagation per edge location">`];
  rows.forEach(([label, start, end], i) => {
    const y = 8 + i * rowH;
    out.push(`<text class="tick" x="${labelW - 8}" y="${y + 11}" text-anchor="end">${esc(label)}</text>`);
    if (end === null) out.push(`<text class="tick" x="${labelW + 4}" y="${y + 11}">never</text>`);
    else {
      const x0 = x(start ?? 0);
      const x1 = Math.max(x0 + 2, x(end));
      const edge = label.startsWith('visible');
      out.push(`<g class="bar" data-step="${esc(label)}"><rect x="${x0.toFixed(1)}" y="${y}" width="${(x1 - x0).toFixed(1)}" height="${rowH - 6}" fill="${edge ? MARKER_COLORS.edge : MARKER_COLORS.execution}" opacity="${edge ? 0.9 : 0.6}"/><text class="tick" x="${(x1 + 4).toFixed(1)}" y="${y + 11}">${end.toFixed(1)} s</text></g>`);
    }
  });
  out.push(`<text class="tick" x="${labelW}" y="${rows.length * rowH + 20}">seconds from the primary's freeze (edge bars start at the KVS write)</text></svg>`);
  return `<h2>From the freeze</h2>\n${out.join('\n')}`;
}

function markerTable(markers: Marker[]): string {
  const rows = [...markers]
    .sort((a, b) => a.t - b.t)
    .map((m) => `<tr><td class="num">${m.t.toFixed(2)}</td><td><span class="dot" style="background:${MARKER_COLORS[m.kind]}"></span>${m.kind}</td><td>${esc(m.label)}</td><td>${esc(m.detail ?? '')}</td></tr>`)
    .join('\n');
  return `<table id="timeline"><thead><tr><th>t (s)</th><th>kind</th><th>what</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderHtml(r: DrillReport): string {
  const summary = summaryRows(r)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('\n');
  const goals = r.summary.goals
    .map((g) => `<tr class="${g.pass ? 'pass' : 'fail'}"><td>${g.pass ? 'PASS' : 'MISS'}</td><td>${esc(g.name)}</td><td>${esc(g.value)}</td><td>${esc(g.goal)}${g.note ? `; ${esc(g.note)}` : ''}</td></tr>`)
    .join('\n');
  const expectations = r.expectations
    .map((e) => `<tr class="${e.pass ? 'pass' : 'fail'}"><td>${e.pass ? 'PASS' : 'FAIL'}</td><td>${esc(e.expectation)}</td><td>${esc(e.detail)}</td></tr>`)
    .join('\n');
  const invariants = (r.invariants ?? [])
    .map((i) => `<tr class="${i.pass ? 'pass' : 'fail'}"><td>${i.pass ? 'PASS' : 'FAIL'}</td><td>${i.id}</td><td>${esc(i.wording)}</td><td>${esc(i.detail)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flatline drill: ${esc(r.scenario.name)} — ${r.passed ? 'PASS' : 'FAIL'}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.verdict.pass{background:#2ca02c}.verdict.fail{background:#d62728}
.desc{color:#555;margin:6px 0 16px}
svg{background:#fff;border:1px solid #ddd;border-radius:4px;max-width:100%;height:auto}
svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#bbb}svg .tick{font-size:11px;fill:#555}
svg .axis{font-size:12px;fill:#333;font-weight:600}svg .mlabel{font-size:10.5px}
svg .threshold{stroke-dasharray:6 4}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
#summary th{width:230px;color:#444;font-weight:600}
tr.pass td:first-child{color:#2ca02c;font-weight:600}tr.fail td:first-child{color:#d62728;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;width:60px}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px}
.err{color:#d62728;font-weight:600}
</style></head>
<body>
<h1>flatline drill: ${esc(r.scenario.title)} <span class="verdict ${r.passed ? 'pass' : 'fail'}">${r.passed ? 'PASS' : 'FAIL'}</span></h1>
<div class="desc">${esc(r.scenario.description)}<br>scenario <code>${esc(r.scenario.name)}</code>, channel <code>${esc(r.channelId)}</code>, ${r.mode === 'aws' ? 'real AWS' : 'embedded sandbox'}, started ${esc(r.startedAt)}; t = 0 is the first fault.</div>
${r.error ? `<p class="err">The drill broke: ${esc(r.error)}</p>` : ''}
${renderChart(r)}
${renderPropagation(r)}
<h2>Summary</h2>
<table id="summary"><tbody>${summary}</tbody></table>
${goals ? `<h2>Goals</h2><table id="goals"><thead><tr><th></th><th>goal</th><th>measured</th><th>target</th></tr></thead><tbody>${goals}</tbody></table>` : ''}
<h2>Expectations</h2>
<table id="expectations"><thead><tr><th></th><th>expectation</th><th>measured</th></tr></thead><tbody>${expectations}</tbody></table>
${invariants ? `<h2>Invariants</h2><table id="invariants"><thead><tr><th></th><th></th><th>invariant</th><th>seen</th></tr></thead><tbody>${invariants}</tbody></table>` : ''}
<h2>Timeline</h2>
${markerTable(r.markers)}
</body></html>
`;
}
