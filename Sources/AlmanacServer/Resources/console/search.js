// The search page: search-as-you-type over the catalogue, "showing results for" when the
// query was corrected, highlighted hits, disjunctive facets as checkboxes, price ranges,
// sort, cursor paging, and the filter expression the page builds, shown and editable.
import * as api from './api.js';
import { h, field, replace, highlighted, fmtNumber, fmtPrice, debounce, quote, errorBox } from './dom.js';

export const title = 'Search';

const FACETS = [
  ['brand', 'Brand'],
  ['category', 'Category'],
  ['tags', 'Tags'],
  ['in_stock', 'Availability'],
];
const PRICE_RANGES = [[0, 100], [100, 500], [500, 1000], [1000, 5000], [5000, null]];
const SORTS = [
  ['_score:desc', 'Relevance'],
  ['price:asc', 'Price, low to high'],
  ['price:desc', 'Price, high to low'],
  ['created_at:desc', 'Newest first'],
  ['title:asc', 'Title, A to Z'],
];
const PAGE = 10;
const SHOWN = 8;

function priceKey([from, to]) { return `${from ?? ''}:${to ?? ''}`; }

function priceLabel([from, to], currency = 'EUR') {
  if (to === null) return `${fmtPrice(from, currency)} and more`;
  if (!from) return `Under ${fmtPrice(to, currency)}`;
  return `${fmtPrice(from, currency)} – ${fmtPrice(to, currency)}`;
}

function facetLabel(name, value) {
  if (name === 'in_stock') return value === true || value === 'true' ? 'In stock' : 'Out of stock';
  return String(value);
}

export function mount(root, { params, navigate }) {
  const state = {
    q: params.get('q') || '',
    sort: '_score:desc',
    custom: '',
    selected: Object.fromEntries(FACETS.map(([f]) => [f, new Set()]).concat([['price', new Set()]])),
    cursors: [null],
    typo: true,
    expanded: new Set(),
  };
  let seq = 0;
  let controller = null;
  let last = null;

  const input = h('input', {
    type: 'search', 'data-testid': 'search-input', value: state.q, autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Search products — try "pyhton" or "openssl library"', 'aria-controls': 'hits',
  });
  const sort = h('select', { 'data-testid': 'sort' }, SORTS.map(([v, t]) => h('option', { value: v, selected: v === state.sort }, t)));
  const filterBox = h('textarea', { 'data-testid': 'filter-expression', rows: 2, spellcheck: 'false', placeholder: 'e.g. price < 1000 AND tags = "role::program"' });
  const applyFilter = h('button', { type: 'button', 'data-testid': 'filter-apply' }, 'Apply filter');
  const clearFilter = h('button', { type: 'button', class: 'quiet', 'data-testid': 'filter-clear' }, 'Clear');
  const facetsBox = h('div', { class: 'facets', 'data-testid': 'facets' });
  const note = h('div', { class: 'note-slot', 'aria-live': 'polite' });
  const total = h('p', { class: 'total', 'data-testid': 'total', 'aria-live': 'polite' });
  const hits = h('ol', { class: 'hits', id: 'hits', 'data-testid': 'hits', 'aria-label': 'Results' });
  const error = h('div', { class: 'error-slot' });
  const prev = h('button', { type: 'button', 'data-testid': 'page-prev' }, '← Previous');
  const next = h('button', { type: 'button', 'data-testid': 'page-next' }, 'Next →');
  const pageInfo = h('span', { class: 'muted', 'aria-live': 'polite' });

  // Facets are open beside the results on wide screens, folded above them on phones.
  const wide = window.matchMedia('(min-width: 760px)');
  const toggle = h('details', { class: 'facet-toggle', open: wide.matches }, h('summary', {}, 'Filters'), facetsBox);
  const onWidth = (e) => { toggle.open = e.matches; };
  wide.addEventListener('change', onWidth);

  root.append(
    h('h1', { class: 'visually-hidden' }, 'Search the catalogue'),
    h('div', { class: 'search-head' },
      h('div', { class: 'field grow' }, h('label', { for: 'q' }, 'Search products'), Object.assign(input, { id: 'q' })),
      field('Sort by', sort)),
    h('div', { class: 'search-body' },
      h('aside', { class: 'side', 'aria-label': 'Facets' },
        toggle),
      h('section', { class: 'results', 'aria-label': 'Search results' },
        error, note, total,
        h('div', { class: 'filter-expr' },
          field('Filter expression', filterBox, 'Built from the ticked facets; edit it and apply to search with any filter.'),
          h('div', { class: 'row' }, applyFilter, clearFilter)),
        hits,
        h('nav', { class: 'pager', 'aria-label': 'Result pages' }, prev, pageInfo, next))));

  function built() {
    const parts = [];
    for (const [f] of FACETS) {
      const values = [...state.selected[f]];
      if (!values.length) continue;
      if (f === 'in_stock') {
        if (values.length === 1) parts.push(`in_stock = ${values[0]}`);
        continue;
      }
      parts.push(values.length === 1 ? `${f} = ${quote(values[0])}` : `${f} IN [${values.map(quote).join(', ')}]`);
    }
    const ranges = PRICE_RANGES.filter((r) => state.selected.price.has(priceKey(r))).map(([from, to]) => {
      const c = [];
      if (from) c.push(`price >= ${from}`);
      if (to !== null) c.push(`price < ${to}`);
      return c.length ? c.join(' AND ') : 'price >= 0';
    });
    if (ranges.length) parts.push(ranges.length === 1 ? ranges[0] : `(${ranges.map((r) => `(${r})`).join(' OR ')})`);
    if (state.custom) parts.unshift(parts.length ? `(${state.custom})` : state.custom);
    return parts.join(' AND ');
  }

  function request() {
    return {
      q: state.q.trim() || undefined,
      filter: built() || undefined,
      facets: FACETS.map(([f]) => f).join(','),
      facet_limit: 30,
      price_ranges: PRICE_RANGES.map(priceKey).join(','),
      sort: state.sort === '_score:desc' ? undefined : state.sort,
      limit: PAGE,
      highlight: 'true',
      typo: state.typo ? undefined : 'false',
      cursor: state.cursors[state.cursors.length - 1] || undefined,
    };
  }

  async function run() {
    const mine = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    filterBox.value = built();
    root.setAttribute('aria-busy', 'true');
    try {
      const answer = await api.get('/v1/products/search', request(), { signal: controller.signal });
      if (mine !== seq) return; // a newer request is on its way: drop this stale answer
      last = answer;
      replace(error);
      render(answer);
    } catch (err) {
      if (err.name === 'AbortError' || mine !== seq) return;
      replace(error, errorBox(err));
    } finally {
      if (mine === seq) root.removeAttribute('aria-busy');
    }
  }

  function reset() { state.cursors = [null]; }

  function render(answer) {
    const q = answer.query || {};
    if (q.corrected) {
      replace(note, h('p', { class: 'note', 'data-testid': 'corrected' },
        'Showing results for ', h('strong', {}, q.corrected), '. ',
        h('button', { type: 'button', class: 'link', onclick: () => { state.typo = false; reset(); run(); } }, `Search for “${q.q}” instead`)));
    } else if (!state.typo) {
      replace(note, h('p', { class: 'note muted' }, 'Typo tolerance is off for this search. ',
        h('button', { type: 'button', class: 'link', onclick: () => { state.typo = true; reset(); run(); } }, 'Turn it back on')));
    } else {
      replace(note);
    }
    const t = answer.total || { value: 0, relation: 'eq' };
    // What the shown answer is for (tests wait on these rather than on timing).
    total.dataset.q = q.q || '';
    total.dataset.filter = built();
    total.dataset.value = String(t.value);
    total.dataset.relation = t.relation;
    replace(total, h('strong', {}, `${fmtNumber(t.value)}${t.relation === 'gte' ? '+' : ''}`), t.value === 1 ? ' product' : ' products',
      h('span', { class: 'muted' }, ` · ${answer.took_ms} ms · cache ${answer.cache}`));

    replace(hits, answer.hits.length ? answer.hits.map(hit) : h('li', { class: 'empty' }, 'No products match. Try fewer words or another filter.'));
    renderFacets(answer.facets || {});
    const page = state.cursors.length;
    prev.disabled = page <= 1;
    next.disabled = !(answer.page && answer.page.next_cursor);
    pageInfo.textContent = `Page ${page}`;
  }

  function hit(x) {
    const p = x.product || {};
    const hl = x.highlight || {};
    const description = hl.description ? highlighted(hl.description) : (p.description || '').slice(0, 220) + ((p.description || '').length > 220 ? '…' : '');
    return h('li', { class: 'hit', 'data-testid': 'hit', 'data-id': x.id },
      h('h2', { class: 'hit-title' }, hl.title ? highlighted(hl.title) : p.title),
      h('div', { class: 'meta' },
        p.brand ? h('span', {}, p.brand) : null,
        p.category && p.category.length ? h('span', {}, p.category.join(' / ')) : null,
        h('span', { class: 'price' }, fmtPrice(p.price, p.currency)),
        h('span', { class: p.in_stock === false ? 'stock out' : 'stock' }, p.in_stock === false ? 'Out of stock' : 'In stock')),
      h('p', { class: 'desc' }, description),
      h('div', { class: 'meta small' }, h('code', {}, x.id), (p.tags || []).slice(0, 4).map((t) => h('span', { class: 'tag' }, t))));
  }

  function renderFacets(facets) {
    const groups = FACETS.map(([name, label]) => {
      const buckets = (facets[name] || []).slice();
      for (const v of state.selected[name]) {
        if (!buckets.some((b) => String(b.value) === String(v))) buckets.push({ value: name === 'in_stock' ? v === 'true' : v, count: 0 });
      }
      const all = state.expanded.has(name);
      const shown = all ? buckets : buckets.slice(0, SHOWN);
      return h('fieldset', { class: 'facet' },
        h('legend', {}, label),
        buckets.length ? h('ul', { 'data-testid': `facet-${name}` }, shown.map((b) => checkbox(name, String(b.value), facetLabel(name, b.value), b.count))) :
          h('p', { class: 'muted small', 'data-testid': `facet-${name}` }, 'No values'),
        buckets.length > SHOWN ? h('button', {
          type: 'button', class: 'link small', 'aria-expanded': String(all),
          onclick: () => { if (all) state.expanded.delete(name); else state.expanded.add(name); renderFacets(last.facets || {}); },
        }, all ? 'Show fewer' : `Show all ${buckets.length}`) : null);
    });
    const price = (facets.price || []);
    groups.push(h('fieldset', { class: 'facet' }, h('legend', {}, 'Price'),
      h('ul', { 'data-testid': 'facet-price' }, PRICE_RANGES.map((r, i) => {
        const b = price[i] || { count: 0 };
        return checkbox('price', priceKey(r), priceLabel(r), b.count);
      }))));
    replace(facetsBox, groups);
  }

  function checkbox(name, value, label, count) {
    const box = h('input', {
      type: 'checkbox', value, checked: state.selected[name].has(value), 'data-facet': name,
      onchange: (e) => {
        if (e.target.checked) state.selected[name].add(value); else state.selected[name].delete(value);
        reset();
        run();
      },
    });
    return h('li', {}, h('label', { class: 'check' }, box, h('span', { class: 'label' }, label), h('span', { class: 'count' }, fmtNumber(count))));
  }

  const typed = debounce(() => {
    state.q = input.value;
    navigate(state.q ? `#/search?q=${encodeURIComponent(state.q)}` : '#/search', { replaceOnly: true });
    reset();
    state.typo = true;
    run();
  }, 180);
  input.addEventListener('input', typed);
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { typed.cancel(); state.q = input.value; reset(); run(); } });
  sort.addEventListener('change', () => { state.sort = sort.value; reset(); run(); });
  applyFilter.addEventListener('click', () => {
    const text = filterBox.value.trim();
    if (text === built()) return run();
    state.custom = text;
    for (const set of Object.values(state.selected)) set.clear();
    reset();
    run();
  });
  clearFilter.addEventListener('click', () => {
    state.custom = '';
    for (const set of Object.values(state.selected)) set.clear();
    reset();
    run();
  });
  filterBox.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) applyFilter.click(); });
  prev.addEventListener('click', () => { if (state.cursors.length > 1) { state.cursors.pop(); run(); } });
  next.addEventListener('click', () => { if (last && last.page && last.page.next_cursor) { state.cursors.push(last.page.next_cursor); run(); } });

  run();
  setTimeout(() => input.focus(), 0);
  return () => { typed.cancel(); wide.removeEventListener('change', onWidth); if (controller) controller.abort(); seq += 1; };
}
