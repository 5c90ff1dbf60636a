// Time ranges in a chosen IANA time zone, histogram intervals chosen from a range, and
// formatting of instants in that zone.

export const BROWSER_ZONE = (() => {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
})();

export const ZONES = Array.from(new Set(['UTC', BROWSER_ZONE, 'Europe/Berlin', 'Europe/London', 'America/New_York',
  'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney']));

const partsFormat = new Map();
function parts(date, zone) {
  let f = partsFormat.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    partsFormat.set(zone, f);
  }
  const out = {};
  for (const p of f.formatToParts(date)) out[p.type] = p.value;
  return out;
}

/** The zone's offset from UTC (ms) at `date`. */
export function offsetAt(date, zone) {
  const p = parts(date, zone);
  const asUTC = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
  return asUTC - Math.floor(date.getTime() / 1000) * 1000;
}

/** `YYYY-MM-DDTHH:MM` (a datetime-local value) read in `zone` → Date. */
export function fromLocal(value, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || '');
  if (!m) return null;
  const guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let utc = guess - offsetAt(new Date(guess), zone);
  const second = guess - offsetAt(new Date(utc), zone);
  if (second !== utc) utc = second;
  return new Date(utc);
}

/** Date → `YYYY-MM-DDTHH:MM` in `zone` (for datetime-local inputs). */
export function toLocal(date, zone) {
  const p = parts(date, zone);
  return `${p.year}-${p.month}-${p.day}T${String(+p.hour % 24).padStart(2, '0')}:${p.minute}`;
}

/** RFC 3339 in UTC without milliseconds, as the API writes times. */
export function iso(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const INTERVALS = [
  ['1m', 60e3], ['5m', 300e3], ['15m', 900e3], ['30m', 1800e3], ['hour', 3600e3], ['3h', 3 * 3600e3], ['6h', 6 * 3600e3],
  ['12h', 12 * 3600e3], ['day', 86400e3], ['week', 7 * 86400e3], ['month', 30.44 * 86400e3], ['year', 365.25 * 86400e3],
];

/** The histogram interval for a range: the finest that gives at most `maxBars` bars. */
export function intervalFor(from, to, maxBars = 60) {
  const span = Math.max(1, to - from);
  for (const [name, ms] of INTERVALS) if (span / ms <= maxBars) return name;
  return 'year';
}

export const PRESETS = [
  ['1h', 'Last hour', 3600e3],
  ['24h', 'Last 24 hours', 86400e3],
  ['7d', 'Last 7 days', 7 * 86400e3],
  ['30d', 'Last 30 days', 30 * 86400e3],
  ['90d', 'Last 90 days', 90 * 86400e3],
  ['1y', 'Last 12 months', 365 * 86400e3],
  ['3y', 'Last 3 years', 3 * 365 * 86400e3],
];

/** [from, to) of a preset, ending at the next whole minute. */
export function presetRange(key, now = Date.now()) {
  const preset = PRESETS.find((p) => p[0] === key);
  if (!preset) return null;
  const to = Math.ceil(now / 60e3) * 60e3;
  return [new Date(to - preset[2]), new Date(to)];
}

const formats = new Map();
function format(zone, options) {
  const key = zone + JSON.stringify(options);
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, ...options });
    formats.set(key, f);
  }
  return f;
}

/** An instant in `zone`, with as much detail as `interval` needs (short: for axis labels). */
export function formatInstant(value, zone, interval = 'minute', short = false) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  if (interval === 'year') return format(zone, { year: 'numeric' }).format(d);
  if (interval === 'month') return format(zone, short ? { month: 'short', year: '2-digit' } : { month: 'long', year: 'numeric' }).format(d);
  if (interval === 'day' || interval === 'week') return format(zone, short ? { day: 'numeric', month: 'short' } : { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(d);
  if (short) return format(zone, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(d);
  return format(zone, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(d);
}
