// A bar chart in plain SVG: one <g data-testid="bar" data-count> per bucket (stacked
// segments when the histogram is split), y gridlines, a few x labels, and a <title> per
// bar for the tooltip. The figure carries a text summary for screen readers; the numbers
// themselves are in the table the pages render next to it.
import { h, s, fmtNumber } from './dom.js';

export const PALETTE = ['#2f6db5', '#e07b39', '#3a9d5d', '#b4469b', '#c9a227', '#5b5fc7'];
/** `other` (everything outside the split keys) is always grey. */
export const OTHER = '#8c8c8c';
const colour = (k, j) => (k === 'other' ? OTHER : PALETTE[j % PALETTE.length]);
const swatch = (k, j) => (k === 'other' ? 'other' : `c${j % PALETTE.length}`);

function niceMax(max) {
  if (max <= 0) return 1;
  const exp = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= max) return m * exp;
  return 10 * exp;
}

/**
 * buckets: [{ key (ISO), count, split? {name: count, ..., other} }]
 * options: { label, keys (split names, in order), formatKey(key, short), onSelect(index), names (display names of split keys) }
 */
export function barChart(buckets, { label = 'Histogram', keys = null, formatKey = (k) => k, onSelect = null, names = {}, width = 800, height = 220 } = {}) {
  const pad = { top: 10, right: 8, bottom: 26, left: 48 };
  const w = Math.max(200, Math.round(width));
  const innerW = w - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...buckets.map((b) => b.count)));
  const slot = buckets.length ? innerW / buckets.length : innerW;
  const barW = Math.max(1, slot * (buckets.length > 60 ? 0.9 : 0.78));
  const y = (v) => pad.top + innerH - (Math.max(0, v) / max) * innerH;

  const total = buckets.reduce((a, b) => a + b.count, 0);
  const svg = s('svg', {
    'data-testid': 'histogram', viewBox: `0 0 ${w} ${height}`, width: w, height, role: 'img',
    'aria-label': `${label}: ${buckets.length} buckets, ${fmtNumber(total)} in all`, class: 'chart',
  });

  const grid = s('g', { class: 'grid', 'aria-hidden': 'true' });
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    const yy = y(v);
    grid.append(s('line', { x1: pad.left, x2: w - pad.right, y1: yy, y2: yy }));
    grid.append(s('text', { x: pad.left - 6, y: yy + 4, 'text-anchor': 'end' }, fmtNumber(Math.round(v * 100) / 100)));
  }
  svg.append(grid);

  const bars = s('g', { class: 'bars' });
  buckets.forEach((b, i) => {
    const x = pad.left + i * slot + (slot - barW) / 2;
    const g = s('g', { 'data-testid': 'bar', 'data-count': String(b.count), 'data-key': b.key, class: onSelect ? 'bar selectable' : 'bar' });
    const tip = [`${formatKey(b.key, false)}: ${fmtNumber(b.count)}`];
    if (keys && b.split) {
      let acc = 0;
      keys.concat(['other']).forEach((k, j) => {
        const v = b.split[k] || 0;
        if (v > 0) {
          g.append(s('rect', { x, width: barW, y: y(acc + v), height: Math.max(0, y(acc) - y(acc + v)), fill: colour(k, j) }));
          tip.push(`  ${names[k] || k}: ${fmtNumber(v)}`);
        }
        acc += v;
      });
    } else {
      g.append(s('rect', { x, width: barW, y: y(b.count), height: Math.max(0, y(0) - y(b.count)), fill: PALETTE[0] }));
    }
    // A transparent full-height target so thin bars are easy to point at.
    g.append(s('rect', { x: pad.left + i * slot, width: slot, y: pad.top, height: innerH, fill: 'transparent', class: 'hit' }));
    g.append(s('title', {}, tip.join('\n')));
    if (onSelect) g.addEventListener('click', () => onSelect(i));
    bars.append(g);
  });
  svg.append(bars);

  const axis = s('g', { class: 'axis', 'aria-hidden': 'true' });
  axis.append(s('line', { x1: pad.left, x2: w - pad.right, y1: y(0), y2: y(0) }));
  const ticks = Math.min(buckets.length, Math.max(2, Math.floor(innerW / 110)));
  for (let t = 0; t < ticks && buckets.length; t++) {
    const i = ticks === 1 ? 0 : Math.round((t * (buckets.length - 1)) / (ticks - 1));
    const x = pad.left + i * slot + slot / 2;
    const anchor = t === 0 ? 'start' : t === ticks - 1 ? 'end' : 'middle';
    axis.append(s('text', { x: t === 0 ? pad.left : t === ticks - 1 ? w - pad.right : x, y: height - 8, 'text-anchor': anchor }, formatKey(buckets[i].key, true)));
  }
  svg.append(axis);
  return svg;
}

/** The legend of a split chart. */
export function legend(keys, names = {}, { other = true } = {}) {
  return h('ul', { class: 'legend' }, (other ? keys.concat(['other']) : keys).map((k, j) =>
    h('li', {}, h('span', { class: `swatch ${swatch(k, j)}`, 'aria-hidden': 'true' }), names[k] || k)));
}

/** Renders `make(width)` into `container` now and again when the container is resized. */
export function responsive(container, make) {
  let last = 0;
  const draw = () => {
    const width = container.clientWidth || 800;
    if (Math.abs(width - last) < 4) return;
    last = width;
    container.replaceChildren(make(width));
  };
  draw();
  const observer = new ResizeObserver(() => draw());
  observer.observe(container);
  return () => observer.disconnect();
}
