// Small DOM helpers. Nothing here (or anywhere in the console) assigns HTML strings: text
// goes in as text nodes, and the API's highlight markup is split into <mark> elements.

/** Creates an element: attributes (class, data-*, aria-*, for, ...), properties for a few
 * (value, checked, disabled, hidden, selected), listeners for on* functions, then children
 * (strings become text; null and false are skipped; arrays are flattened). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'open', 'indeterminate']);

function apply(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false && !PROPS.has(k)) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'", '#34': '"' };

export function unescapeHTML(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, name) => {
    const known = ENTITIES[name.toLowerCase()];
    if (known) return known;
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (Number.isFinite(code) && code > 0 && code < 0x110000) return String.fromCodePoint(code);
    }
    return m;
  });
}

/** The API's highlight text (HTML-escaped, matches in <mark>) as nodes: text and <mark>. */
export function highlighted(text) {
  const frag = document.createDocumentFragment();
  const parts = String(text).split(/(<mark>|<\/mark>)/);
  let marked = false;
  for (const part of parts) {
    if (part === '<mark>') { marked = true; continue; }
    if (part === '</mark>') { marked = false; continue; }
    if (!part) continue;
    const t = unescapeHTML(part);
    frag.append(marked ? h('mark', {}, t) : document.createTextNode(t));
  }
  return frag;
}

const numberFormat = new Intl.NumberFormat('en');
export function fmtNumber(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return numberFormat.format(n);
}

export function fmtPrice(minor, currency) {
  if (typeof minor !== 'number') return '';
  try {
    const f = new Intl.NumberFormat('en', { style: 'currency', currency: currency || 'EUR' });
    const digits = f.resolvedOptions().maximumFractionDigits;
    return f.format(minor / 10 ** digits);
  } catch {
    return `${minor} ${currency || ''}`.trim();
  }
}

export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

let uid = 0;
/** A fresh element id with a readable prefix (for label/for pairs). */
export function id(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled control: <div class="field"><label for=id>text</label>control</div>. */
export function field(label, control, hint) {
  if (!control.id) control.id = id('f');
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('small', { class: 'hint' }, hint) : null);
}

/** A filter-language string literal. */
export function quote(value) {
  return '"' + String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** The error box shown for a failed call (problem+json detail). */
export function errorBox(error) {
  const detail = error && (error.detail || error.message) || String(error);
  const extra = error && Array.isArray(error.errors) ? error.errors.map((e) => `${e.field}: ${e.message}`) : [];
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, error && error.title ? `${error.title}: ` : 'Error: '), detail,
    extra.length ? h('ul', {}, extra.map((x) => h('li', {}, x))) : null);
}

/** Parses `#/page/a/b?x=1` into { page, parts: [a, b], params }. */
export function parseHash(hash) {
  const raw = (hash || '').replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const segments = path.split('/').filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
  return { page: segments[0] || 'search', parts: segments.slice(1), params: new URLSearchParams(query || '') };
}
