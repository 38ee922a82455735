// Allocation-free readers over a substring [start, end) of a larger string. The HLS scanner calls these once
// per line on playlists of tens of thousands of segments; `parseFloat(text.slice(...))` and `Date.parse` would
// allocate a string per call, which is what makes full parsers slow. Hand-written on purpose, kept tiny.

const ZERO = 48;
const NINE = 57;

function digitAt(text: string, i: number): number {
  const c = text.charCodeAt(i) - ZERO;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Where the last readDecimal stopped (module state instead of a returned object: no allocation per line). */
let decimalStop = 0;

/** The index of the first character readDecimal did not consume, on its last call. */
export function lastDecimalStop(): number {
  return decimalStop;
}

/** A non-negative decimal like "6.006" or "10" starting at `start`; stops at the first other character. NaN when no digit. */
export function readDecimal(text: string, start: number, end: number): number {
  let i = start;
  if (text.charCodeAt(i) === 32) while (i < end && text.charCodeAt(i) === 32) i++;
  let mantissa = 0;
  let scale = 1;
  let digits = 0;
  let c = 0;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) break;
    mantissa = mantissa * 10 + (c - ZERO);
    digits++;
  }
  if (i < end && c === 46 /* . */) {
    for (i++; i < end; i++) {
      c = text.charCodeAt(i);
      if (c < ZERO || c > NINE) break;
      if (scale < 1e15) {
        mantissa = mantissa * 10 + (c - ZERO);
        scale *= 10;
      }
      digits++;
    }
  }
  decimalStop = i;
  // mantissa and scale are exact integers, so one division gives the correctly rounded double (as parseFloat).
  return digits === 0 ? Number.NaN : mantissa / scale;
}

/** A non-negative integer at `start` (e.g. a media sequence number). NaN when no digit. */
export function readInteger(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && text.charCodeAt(i) === 32) i++;
  let n = 0;
  const first = i;
  for (; i < end; i++) {
    const d = digitAt(text, i);
    if (d < 0) break;
    n = n * 10 + d;
  }
  return i === first ? Number.NaN : n;
}

function fixed(text: string, i: number, width: number): number {
  let n = 0;
  for (let k = 0; k < width; k++) {
    const d = digitAt(text, i + k);
    if (d < 0) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). Integer arithmetic only:
 * Date.UTC costs as much as the rest of a playlist line and runs once per segment on PDT-per-segment playlists.
 */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

/**
 * Epoch ms (fractional) of an ISO 8601 date-time `YYYY-MM-DDThh:mm:ss[.f+][Z|±hh[:]mm]` in [start, end).
 * NaN when it is not one. A value without a zone is read as UTC (RFC 8216 requires a zone; servers that omit it
 * mean UTC in practice).
 */
export function readIsoDateTime(text: string, start: number, end: number): number {
  if (end - start < 19) return Number.NaN;
  const y = fixed(text, start, 4);
  const mo = fixed(text, start + 5, 2);
  const d = fixed(text, start + 8, 2);
  const h = fixed(text, start + 11, 2);
  const mi = fixed(text, start + 14, 2);
  const s = fixed(text, start + 17, 2);
  const sepT = text.charCodeAt(start + 10);
  if (
    y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 24 || mi < 0 || mi > 59 || s < 0 || s > 60 ||
    text.charCodeAt(start + 4) !== 45 || text.charCodeAt(start + 7) !== 45 ||
    (sepT !== 84 && sepT !== 116 && sepT !== 32) ||
    text.charCodeAt(start + 13) !== 58 || text.charCodeAt(start + 16) !== 58
  ) {
    return Number.NaN;
  }
  let i = start + 19;
  let fracMs = 0;
  if (i < end && (text.charCodeAt(i) === 46 || text.charCodeAt(i) === 44)) {
    let scale = 100;
    i++;
    const first = i;
    for (; i < end; i++) {
      const dd = digitAt(text, i);
      if (dd < 0) break;
      fracMs += dd * scale;
      scale /= 10;
    }
    if (i === first) return Number.NaN;
  }
  let offsetMin = 0;
  if (i < end) {
    const z = text.charCodeAt(i);
    if (z === 90 || z === 122) {
      i++;
    } else if (z === 43 || z === 45) {
      const oh = fixed(text, i + 1, 2);
      let j = i + 3;
      if (text.charCodeAt(j) === 58) j++;
      const om = j < end ? fixed(text, j, 2) : 0;
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return Number.NaN;
      offsetMin = (oh * 60 + om) * (z === 45 ? -1 : 1);
      i = j < end ? j + 2 : j;
    } else {
      return Number.NaN;
    }
  }
  if (i !== end) return Number.NaN;
  // Date.UTC silently rolls 2019-02-31 over into March: reject dates that do not exist.
  if (d > daysInMonth(y, mo)) return Number.NaN;
  return (daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) * 1000 + fracMs - offsetMin * 60_000;
}

/** Milliseconds since midnight of `hh:mm:ss[.f+]` in [start, end) (no zone). NaN when it is not one. */
export function readUtcTimeOfDay(text: string, start: number, end: number): number {
  if (end - start < 8 || text.charCodeAt(start + 2) !== 58 || text.charCodeAt(start + 5) !== 58) return Number.NaN;
  const h = fixed(text, start, 2);
  const mi = fixed(text, start + 3, 2);
  const s = fixed(text, start + 6, 2);
  if (h < 0 || h > 24 || mi < 0 || mi > 59 || s < 0 || s > 60) return Number.NaN;
  let i = start + 8;
  let fracMs = 0;
  if (i < end) {
    if (text.charCodeAt(i) !== 46) return Number.NaN;
    let scale = 100;
    for (i++; i < end; i++) {
      const dd = digitAt(text, i);
      if (dd < 0) return Number.NaN;
      fracMs += dd * scale;
      scale /= 10;
    }
  }
  return (h * 3600 + mi * 60 + s) * 1000 + fracMs;
}

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
let cachedDay = Number.NaN;
let cachedDayPrefix = '';

/**
 * ISO 8601 with milliseconds (rounded, not truncated as Date would). Built by hand with the date prefix cached:
 * Date#toISOString was a tenth of the time of analysing a small playlist.
 */
export function isoMs(ms: number): string {
  const r = Math.round(ms);
  const day = Math.floor(r / 86_400_000);
  if (day !== cachedDay) {
    cachedDayPrefix = new Date(day * 86_400_000).toISOString().slice(0, -13);
    cachedDay = day;
  }
  let rem = r - day * 86_400_000;
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const m = Math.floor(rem / 60_000);
  rem -= m * 60_000;
  const s = Math.floor(rem / 1000);
  const milli = rem - s * 1000;
  return `${cachedDayPrefix}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
