// The timeline page: a time range (presets or absolute, in a time zone), filter and q; a
// date histogram drawn as bars (interval chosen from the range, split by a field on
// demand), top terms for type / source / actor, and the event list with cursor paging.
// An event's entity opens that entity's history.
import * as api from './api.js';
import { h, field, replace, fmtNumber, quote, errorBox } from './dom.js';
import { barChart, legend, responsive } from './chart.js';
import { ZONES, BROWSER_ZONE, PRESETS, presetRange, fromLocal, toLocal, iso, intervalFor, formatInstant } from './time.js';
import { eventItem } from './events.js';

export const title = 'Timeline';

const SPLITS = [['', 'No split'], ['type', 'Type'], ['source', 'Source'], ['actor', 'Actor'], ['severity', 'Severity'], ['entity.type', 'Entity type']];
const TOP = [['type', 'Types'], ['source', 'Sources'], ['actor', 'Actors']];
const PAGE = 25;

// The page's inputs survive a visit to an entity's history and back.
const saved = { preset: '3y', from: '', to: '', zone: BROWSER_ZONE, q: '', filter: '', split: '' };

export function mount(root, { params }) {
  if (params.get('filter') !== null) saved.filter = params.get('filter');
  if (params.get('q') !== null) saved.q = params.get('q');
  let seq = 0;
  let controller = null;
  let cursors = [null];
  let lastEvents = null;
  let stopChart = () => {};

  const preset = h('select', { 'data-testid': 'range-preset' },
    PRESETS.map(([k, label]) => h('option', { value: k, selected: k === saved.preset }, label)),
    h('option', { value: 'custom', selected: saved.preset === 'custom' }, 'Absolute range'));
  const from = h('input', { type: 'datetime-local', 'data-testid': 'range-from', value: saved.from });
  const to = h('input', { type: 'datetime-local', 'data-testid': 'range-to', value: saved.to });
  const zone = h('select', { 'data-testid': 'time-zone' }, ZONES.map((z) => h('option', { value: z, selected: z === saved.zone }, z)));
  const q = h('input', { type: 'search', 'data-testid': 'timeline-q', value: saved.q, spellcheck: 'false', placeholder: 'words in messages' });
  const filter = h('input', { type: 'text', 'data-testid': 'timeline-filter', value: saved.filter, spellcheck: 'false', placeholder: 'e.g. type = "release"' });
  const split = h('select', { 'data-testid': 'split-by' }, SPLITS.map(([v, t]) => h('option', { value: v, selected: v === saved.split }, t)));
  const apply = h('button', { type: 'submit', class: 'primary', 'data-testid': 'timeline-apply' }, 'Apply');

  const error = h('div', { class: 'error-slot' });
  const summary = h('p', { class: 'total', 'data-testid': 'timeline-total', 'aria-live': 'polite' });
  const chart = h('div', { class: 'chart-box' });
  const chartLegend = h('div');
  const requestText = h('pre', { 'data-testid': 'timeline-request', class: 'request' });
  const tops = h('div', { class: 'tops' });
  const events = h('ol', { class: 'events', 'data-testid': 'events', 'aria-label': 'Events' });
  const prev = h('button', { type: 'button', 'data-testid': 'events-prev' }, '← Newer');
  const next = h('button', { type: 'button', 'data-testid': 'events-next' }, 'Older →');
  const pageInfo = h('span', { class: 'muted' });

  const form = h('form', { class: 'controls card', 'aria-label': 'Time range and filters', onsubmit: (e) => { e.preventDefault(); remember(); refresh(); } },
    h('div', { class: 'row wrap' },
      field('Range', preset), when(field('From', from)), when(field('To', to)), field('Time zone', zone)),
    h('div', { class: 'row wrap' },
      h('div', { class: 'field grow' }, h('label', { for: 'tq' }, 'Text (q)'), Object.assign(q, { id: 'tq' })),
      h('div', { class: 'field grow2' }, h('label', { for: 'tf' }, 'Filter'), Object.assign(filter, { id: 'tf' })),
      field('Split bars by', split),
      h('div', { class: 'field end' }, apply)));

  root.append(
    h('h1', {}, 'Timeline'),
    form, error,
    h('section', { class: 'card', 'aria-labelledby': 'hist-title' },
      h('div', { class: 'row between' }, h('h2', { id: 'hist-title' }, 'Events over time'), summary),
      chart, chartLegend,
      h('details', { class: 'request-box' }, h('summary', {}, 'The aggregate request'), requestText)),
    h('section', { 'aria-label': 'Top terms' }, tops),
    h('section', { class: 'card', 'aria-labelledby': 'events-title' },
      h('h2', { id: 'events-title' }, 'Events'),
      events,
      h('nav', { class: 'pager', 'aria-label': 'Event pages' }, prev, pageInfo, next)));

  function when(el) { el.classList.add('when'); return el; }

  function syncRange() {
    const custom = preset.value === 'custom';
    if (!custom) {
      const [f, t] = presetRange(preset.value);
      from.value = toLocal(f, zone.value);
      to.value = toLocal(t, zone.value);
    }
  }
  preset.addEventListener('change', () => { syncRange(); remember(); refresh(); });
  for (const input of [from, to]) input.addEventListener('change', () => { preset.value = 'custom'; });
  zone.addEventListener('change', () => {
    if (preset.value !== 'custom') syncRange();
    remember();
    refresh();
  });
  split.addEventListener('change', () => { remember(); refresh(); });

  function remember() {
    Object.assign(saved, { preset: preset.value, from: from.value, to: to.value, zone: zone.value, q: q.value, filter: filter.value, split: split.value });
  }

  function range() {
    if (preset.value !== 'custom') syncRange();
    const f = fromLocal(from.value, zone.value);
    const t = fromLocal(to.value, zone.value);
    return f && t ? [f, t] : null;
  }

  function base() {
    const r = range();
    const body = {};
    if (r) { body.from = iso(r[0]); body.to = iso(r[1]); }
    if (q.value.trim()) body.q = q.value.trim();
    if (filter.value.trim()) body.filter = filter.value.trim();
    return { body, r };
  }

  async function refresh() {
    const mine = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    cursors = [null];
    const { body, r } = base();
    if (!r) {
      replace(error, errorBox({ title: 'Range', detail: 'give both ends of the range' }));
      return;
    }
    if (r[1] <= r[0]) {
      replace(error, errorBox({ title: 'Range', detail: '“To” must be later than “From”' }));
      return;
    }
    const interval = intervalFor(r[0], r[1]);
    const histogram = { interval, time_zone: zone.value };
    if (split.value) histogram.split_by = { field: split.value, size: 5 };
    const aggs = { histogram: { date_histogram: histogram } };
    for (const [f] of TOP) aggs[`top_${f}`] = { terms: { field: f, size: 8 } };
    const request = { ...body, aggs };
    requestText.textContent = JSON.stringify(request, null, 2);
    root.setAttribute('aria-busy', 'true');
    try {
      const [agg] = await Promise.all([
        api.aggregate(request, { signal: controller.signal }),
        loadEvents(mine),
      ]);
      if (mine !== seq) return;
      replace(error);
      drawHistogram(agg.aggs.histogram, interval);
      summary.dataset.value = String(agg.total);
      replace(summary, h('strong', {}, fmtNumber(agg.total)), agg.total === 1 ? ' event' : ' events',
        h('span', { class: 'muted' }, ` · ${interval} bars · ${agg.took_ms} ms · cache ${agg.cache}`));
      replace(tops, TOP.map(([f, label]) => termsTable(label, f, agg.aggs[`top_${f}`])));
    } catch (err) {
      if (err.name === 'AbortError' || mine !== seq) return;
      replace(error, errorBox(err));
    } finally {
      if (mine === seq) root.removeAttribute('aria-busy');
    }
  }

  function drawHistogram(result, interval) {
    stopChart();
    const buckets = result.buckets || [];
    const keys = buckets.length && buckets[0].split ? Object.keys(buckets[0].split).filter((k) => k !== 'other') : null;
    const zoneName = zone.value;
    stopChart = responsive(chart, (width) => barChart(buckets, {
      label: 'Events over time', keys, width,
      formatKey: (k, short) => formatInstant(k, zoneName, interval, short),
      onSelect: (i) => {
        // Zoom into the bar: its bucket becomes the range.
        const start = new Date(buckets[i].key);
        const end = i + 1 < buckets.length ? new Date(buckets[i + 1].key) : fromLocal(to.value, zoneName);
        preset.value = 'custom';
        from.value = toLocal(start, zoneName);
        to.value = toLocal(end, zoneName);
        remember();
        refresh();
      },
    }));
    const otherUsed = keys && buckets.some((b) => b.split && b.split.other > 0);
    replace(chartLegend, keys ? legend(keys, {}, { other: otherUsed }) : null);
  }

  function termsTable(label, fieldName, result) {
    const buckets = (result && result.buckets) || [];
    return h('div', { class: 'card top' },
      h('h2', {}, label),
      h('table', { 'data-testid': `top-${fieldName}` },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col', class: 'num' }, 'Events'))),
        h('tbody', {}, buckets.length ? buckets.map((b) => h('tr', {},
          h('td', {}, h('button', {
            type: 'button', class: 'link', title: `Add ${fieldName} = "${b.key}" to the filter`,
            onclick: () => {
              const clause = `${fieldName} = ${quote(b.key)}`;
              filter.value = filter.value.trim() ? `(${filter.value.trim()}) AND ${clause}` : clause;
              remember();
              refresh();
            },
          }, b.key)),
          h('td', { class: 'num' }, fmtNumber(b.count)))) : h('tr', {}, h('td', { colspan: 2, class: 'muted' }, 'None'))),
        result && (result.other_count || result.missing_count) ? h('tfoot', {}, h('tr', {},
          h('td', { class: 'muted' }, 'others / none'), h('td', { class: 'num muted' }, `${fmtNumber(result.other_count)} / ${fmtNumber(result.missing_count)}`))) : null));
  }

  async function loadEvents(mine) {
    const { body } = base();
    const query = { ...body, limit: PAGE, cursor: cursors[cursors.length - 1] || undefined };
    const answer = await api.get('/v1/events/search', query, { signal: controller.signal });
    if (mine !== seq) return;
    lastEvents = answer;
    replace(events, answer.events.length ? answer.events.map((e) => eventItem(e, zone.value)) : h('li', { class: 'empty' }, 'No events in this range.'));
    prev.disabled = cursors.length <= 1;
    next.disabled = !(answer.page && answer.page.next_cursor);
    pageInfo.textContent = `Page ${cursors.length} · newest first`;
  }

  async function page(move) {
    const mine = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    if (move > 0 && lastEvents && lastEvents.page.next_cursor) cursors.push(lastEvents.page.next_cursor);
    if (move < 0 && cursors.length > 1) cursors.pop();
    try {
      await loadEvents(mine);
      events.focus();
    } catch (err) {
      if (err.name !== 'AbortError') replace(error, errorBox(err));
    }
  }
  events.tabIndex = -1;
  prev.addEventListener('click', () => page(-1));
  next.addEventListener('click', () => page(1));

  syncRange();
  refresh();
  return () => { stopChart(); if (controller) controller.abort(); seq += 1; };
}
