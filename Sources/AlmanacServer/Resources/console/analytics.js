// The analytics page: what shoppers searched for, read from the tenant's own timeline
// (`search.performed` events) with two plain aggregate requests: popular queries and
// zero-result queries (terms on attributes.q summed over attributes.searches), plus a
// histogram of searches over time split by whether they found anything.
import * as api from './api.js';
import { h, field, replace, fmtNumber, errorBox } from './dom.js';
import { barChart, legend, responsive } from './chart.js';
import { ZONES, BROWSER_ZONE, presetRange, iso, intervalFor, formatInstant } from './time.js';

export const title = 'Search analytics';

const RANGES = [['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['90d', 'Last 90 days']];
const SEARCHES = 'type = "search.performed"';
const NAMES = { false: 'found products', true: 'found nothing' };
const saved = { range: '24h', zone: BROWSER_ZONE, auto: true };

/** The two requests docs/API.md documents, for a range. */
export function requests(from, to, zone) {
  const interval = intervalFor(from, to, 96);
  const popular = {
    from: iso(from), to: iso(to), filter: SEARCHES,
    aggs: {
      queries: { terms: { field: 'attributes.q', size: 20, sum: 'attributes.searches' } },
      over_time: { date_histogram: { interval, time_zone: zone, sum: 'attributes.searches', split_by: { field: 'attributes.zero_results', size: 2 } } },
      searches: { stats: { field: 'attributes.searches' } },
      cache_hits: { stats: { field: 'attributes.hits_cache' } },
      took: { stats: { field: 'attributes.took_ms_max' } },
    },
  };
  const zero = {
    from: iso(from), to: iso(to), filter: `${SEARCHES} AND attributes.zero_results = true`,
    aggs: { queries: { terms: { field: 'attributes.q', size: 20, sum: 'attributes.searches' } } },
  };
  return { popular, zero, interval };
}

export function mount(root) {
  let seq = 0;
  let timer = null;
  let stopChart = () => {};

  const range = h('select', { 'data-testid': 'analytics-range' }, RANGES.map(([k, t]) => h('option', { value: k, selected: k === saved.range }, t)));
  const zone = h('select', { 'data-testid': 'analytics-zone' }, ZONES.map((z) => h('option', { value: z, selected: z === saved.zone }, z)));
  const auto = h('input', { type: 'checkbox', checked: saved.auto, 'data-testid': 'analytics-auto' });
  const refreshButton = h('button', { type: 'button', 'data-testid': 'analytics-refresh' }, 'Refresh');
  const error = h('div', { class: 'error-slot' });
  const cards = h('div', { class: 'cards' });
  const chart = h('div', { class: 'chart-box' });
  const chartLegend = h('div');
  const popular = h('div');
  const zero = h('div');
  const requestText = h('pre', { class: 'request', 'data-testid': 'analytics-request' });
  const updated = h('span', { class: 'muted small', 'aria-live': 'polite' });

  root.append(
    h('div', { class: 'row between wrap' },
      h('h1', {}, 'Search analytics'),
      h('div', { class: 'row wrap controls' },
        field('Range', range), field('Time zone', zone),
        h('label', { class: 'check inline' }, auto, h('span', {}, 'Refresh every 5 s')),
        refreshButton)),
    h('p', { class: 'muted' }, 'Every product search lands on this tenant\'s own timeline as a ', h('code', {}, 'search.performed'),
      ' event (rolled up per second and distinct query); these tables are ordinary aggregate requests over them. ', updated),
    error, cards,
    h('section', { class: 'card', 'aria-labelledby': 'st-title' },
      h('h2', { id: 'st-title' }, 'Searches over time'), chart, chartLegend),
    h('div', { class: 'two' },
      h('section', { class: 'card', 'aria-labelledby': 'pq-title' }, h('h2', { id: 'pq-title' }, 'Popular queries'), popular),
      h('section', { class: 'card', 'aria-labelledby': 'zq-title' }, h('h2', { id: 'zq-title' }, 'Zero-result queries'), zero)),
    h('details', { class: 'request-box' }, h('summary', {}, 'The two aggregate requests'), requestText));

  function table(testid, result, total, emptyText) {
    const buckets = (result && result.buckets) || [];
    return h('table', { 'data-testid': testid },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Query'), h('th', { scope: 'col', class: 'num' }, 'Searches'), h('th', { scope: 'col', class: 'num' }, 'Share'))),
      h('tbody', {}, buckets.length ? buckets.map((b) => h('tr', { 'data-testid': 'query-row', 'data-q': b.key, 'data-count': String(b.count) },
        h('td', {}, h('a', { href: `#/search?q=${encodeURIComponent(b.key)}`, title: 'Run this search' }, b.key)),
        h('td', { class: 'num' }, fmtNumber(b.count)),
        h('td', { class: 'num' }, total ? `${(100 * b.count / total).toFixed(1)} %` : '–'))) :
        h('tr', {}, h('td', { colspan: 3, class: 'muted' }, emptyText))));
  }

  function card(label, value, testid) {
    return h('div', { class: 'card stat', 'data-testid': testid }, h('div', { class: 'stat-value' }, value), h('div', { class: 'muted' }, label));
  }

  async function refresh() {
    const mine = ++seq;
    const [from, to] = presetRange(range.value);
    const { popular: p, zero: z, interval } = requests(from, to, zone.value);
    requestText.textContent = `POST /v1/events/aggregate\n${JSON.stringify(p, null, 2)}\n\nPOST /v1/events/aggregate\n${JSON.stringify(z, null, 2)}`;
    try {
      const [a, b] = await Promise.all([api.aggregate(p), api.aggregate(z)]);
      if (mine !== seq) return;
      replace(error);
      const searches = a.aggs.searches.sum || 0;
      const zeroSum = (b.aggs.queries.buckets || []).reduce((x, y) => x + y.count, 0) + (b.aggs.queries.other_count || 0);
      replace(cards,
        card('searches', fmtNumber(searches), 'stat-searches'),
        card('with no results', searches ? `${(100 * zeroSum / searches).toFixed(1)} %` : '–', 'stat-zero'),
        card('answered from the cache', searches ? `${(100 * (a.aggs.cache_hits.sum || 0) / searches).toFixed(1)} %` : '–', 'stat-cache'),
        card('slowest search (ms)', a.aggs.took.max === null ? '–' : fmtNumber(Math.round(a.aggs.took.max * 10) / 10), 'stat-took'));
      const buckets = a.aggs.over_time.buckets || [];
      const keys = ['false', 'true'];
      const zoneName = zone.value;
      stopChart();
      stopChart = responsive(chart, (width) => barChart(buckets.map((x) => ({ ...x, split: { false: x.split && x.split.false || 0, true: x.split && x.split.true || 0, other: 0 } })), {
        label: 'Searches over time', keys, names: NAMES, width, height: 180,
        formatKey: (k, short) => formatInstant(k, zoneName, interval, short),
      }));
      replace(chartLegend, legend(keys, NAMES, { other: false }));
      replace(popular, table('popular-queries', a.aggs.queries, searches, 'No searches in this range yet.'));
      replace(zero, table('zero-result-queries', b.aggs.queries, searches, 'Every search found something.'));
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    } catch (err) {
      if (mine === seq) replace(error, errorBox(err));
    }
  }

  function schedule() {
    clearInterval(timer);
    timer = auto.checked ? setInterval(() => { if (!document.hidden) refresh(); }, 5000) : null;
  }
  range.addEventListener('change', () => { saved.range = range.value; refresh(); });
  zone.addEventListener('change', () => { saved.zone = zone.value; refresh(); });
  auto.addEventListener('change', () => { saved.auto = auto.checked; schedule(); });
  refreshButton.addEventListener('click', refresh);
  refresh();
  schedule();
  return () => { clearInterval(timer); stopChart(); seq += 1; };
}
