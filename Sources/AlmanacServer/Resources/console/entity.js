// One entity's history (`GET /v1/entities/{type}/{id}/events`): oldest or newest first,
// cursor paging; a product entity also shows the product as stored now.
import * as api from './api.js';
import { h, field, replace, fmtNumber, fmtPrice, errorBox } from './dom.js';
import { ZONES, BROWSER_ZONE } from './time.js';
import { eventItem } from './events.js';

export const title = 'Entity history';
const PAGE = 25;

export function mount(root, { parts }) {
  const [type, id] = parts;
  if (!type || !id) {
    root.append(h('h1', {}, 'Entity history'), errorBox({ title: 'Not found', detail: 'the link names no entity' }));
    return null;
  }
  let cursors = [null];
  let last = null;
  let seq = 0;

  const order = h('select', { 'data-testid': 'history-order' }, h('option', { value: 'asc' }, 'Oldest first'), h('option', { value: 'desc' }, 'Newest first'));
  const zone = h('select', { 'data-testid': 'history-zone' }, ZONES.map((z) => h('option', { value: z, selected: z === BROWSER_ZONE }, z)));
  const total = h('p', { class: 'total', 'data-testid': 'history-total', 'aria-live': 'polite' });
  const record = h('div');
  const list = h('ol', { class: 'events', 'data-testid': 'history', 'aria-label': `History of ${type} ${id}`, tabindex: -1 });
  const error = h('div', { class: 'error-slot' });
  const prev = h('button', { type: 'button' }, '← Previous');
  const next = h('button', { type: 'button', 'data-testid': 'history-next' }, 'Next →');
  const info = h('span', { class: 'muted' });

  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/timeline' }, '← Timeline')),
    h('h1', { 'data-testid': 'entity' }, h('span', { class: 'muted' }, `${type} `), id),
    record,
    h('div', { class: 'row wrap controls' }, field('Order', order), field('Time zone', zone), total),
    error, list,
    h('nav', { class: 'pager', 'aria-label': 'History pages' }, prev, info, next));

  async function load() {
    const mine = ++seq;
    try {
      const answer = await api.get(`/v1/entities/${api.seg(type)}/${api.seg(id)}/events`, {
        order: order.value === 'desc' ? 'desc' : undefined, limit: PAGE, cursor: cursors[cursors.length - 1] || undefined,
      });
      if (mine !== seq) return;
      last = answer;
      replace(error);
      total.dataset.value = String(answer.total.value);
      replace(total, h('strong', {}, fmtNumber(answer.total.value)), answer.total.value === 1 ? ' event' : ' events');
      replace(list, answer.events.length ? answer.events.map((e) => eventItem(e, zone.value, { linkEntity: false })) : h('li', { class: 'empty' }, 'No events for this entity.'));
      prev.disabled = cursors.length <= 1;
      next.disabled = !answer.page.next_cursor;
      info.textContent = `Page ${cursors.length}`;
    } catch (err) {
      if (mine === seq) replace(error, errorBox(err));
    }
  }

  async function product() {
    if (type !== 'product') return;
    try {
      const p = await api.get(`/v1/products/${api.seg(id)}`);
      replace(record, h('div', { class: 'card product', 'data-testid': 'entity-record' },
        h('h2', {}, p.title),
        h('div', { class: 'meta' }, p.brand ? h('span', {}, p.brand) : null, h('span', { class: 'price' }, fmtPrice(p.price, p.currency)),
          h('span', {}, `version ${p.version}`), h('span', {}, `updated ${p.updated_at}`)),
        h('p', { class: 'muted small' }, 'The product as stored now; its history follows.')));
    } catch (err) {
      replace(record, h('p', { class: 'muted' }, err.status === 404 ? 'This product no longer exists (or never did); its history follows.' : ''));
    }
  }

  order.addEventListener('change', () => { cursors = [null]; load(); });
  zone.addEventListener('change', () => { if (last) replace(list, last.events.map((e) => eventItem(e, zone.value, { linkEntity: false }))); });
  prev.addEventListener('click', () => { if (cursors.length > 1) { cursors.pop(); load().then(() => list.focus()); } });
  next.addEventListener('click', () => { if (last && last.page.next_cursor) { cursors.push(last.page.next_cursor); load().then(() => list.focus()); } });
  load();
  product();
  return () => { seq += 1; };
}
