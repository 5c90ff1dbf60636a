// One event as a list item: time, type, source, actor, severity, message, attributes, and
// its entity as a link to that entity's history.
import { h, fmtNumber } from './dom.js';
import { formatInstant } from './time.js';

export function entityHref(entity) {
  return `#/entity/${encodeURIComponent(entity.type)}/${encodeURIComponent(entity.id)}`;
}

function attributeText(value) {
  return typeof value === 'number' ? fmtNumber(value) : String(value);
}

/** `linkEntity`: false on the entity's own history page. */
export function eventItem(e, zone, { linkEntity = true } = {}) {
  const attributes = Object.entries(e.attributes || {});
  return h('li', { class: `event sev-${e.severity || 'info'}`, 'data-testid': 'event', 'data-id': e.id, title: `id ${e.id} · seq ${e.seq}` },
    h('div', { class: 'event-head' },
      h('time', { datetime: e.occurred_at, title: e.occurred_at }, formatInstant(e.occurred_at, zone)),
      h('span', { class: 'type' }, e.type),
      h('span', { class: 'source' }, e.source),
      e.actor ? h('span', { class: 'actor' }, e.actor) : null,
      e.severity && e.severity !== 'info' ? h('span', { class: `severity ${e.severity}` }, e.severity) : null),
    e.message ? h('p', { class: 'message' }, e.message) : null,
    h('div', { class: 'event-foot' },
      e.entity && linkEntity ? h('a', { class: 'entity', href: entityHref(e.entity), 'data-testid': 'entity-link' },
        h('span', { class: 'muted' }, `${e.entity.type} `), e.entity.id) : null,
      attributes.length ? h('dl', { class: 'attrs' }, attributes.slice(0, 8).map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, attributeText(v))))) : null));
}
