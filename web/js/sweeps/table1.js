// Table 1: monosemantic features per expert against expert usage, for Xavier and random
// k-hot routers, with the paper's numbers next to ours and the per-expert values behind
// each row drawn as three strips (usage; usage with the feature(s) active; only them active).
import { el, clear } from '../dom.js';
import { setupCanvas, expertColor, css, viewToPNG } from '../views/colormap.js';
import { table1Rows, mean } from './results.js';
import { TABLE1 } from './reference.js';

const TITLES = { xavier: 'Xavier router initialisation', khot: 'Random k-hot router initialisation' };
const STRIPS = [['usage', 'usage'], ['clamped', 'feature(s) active'], ['only', 'only feature(s) active']];
const pct = (v, digits = 2) => (Number.isFinite(v) ? (100 * v).toFixed(digits) : '—');

function strip(values) {
  const W = 180, H = 44;
  const canvas = el('canvas', { class: 'sw-strip', role: 'img' });
  const ctx = setupCanvas(canvas, W, H);
  ctx.fillStyle = '#f3f3f0';
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = 'rgba(0,0,0,0.15)';
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    ctx.beginPath();
    ctx.moveTo(4 + t * (W - 8) + 0.5, 0);
    ctx.lineTo(4 + t * (W - 8) + 0.5, H);
    ctx.stroke();
  }
  STRIPS.forEach(([key], row) => {
    const vs = values[key];
    ctx.fillStyle = css(expertColor(row));
    ctx.globalAlpha = Math.max(0.25, Math.min(0.8, 8 / Math.sqrt(vs.length + 1)));
    vs.forEach((v, i) => {
      const jitter = (((i * 2654435761) >>> 0) % 1000) / 1000 - 0.5;  // deterministic spread
      ctx.beginPath();
      ctx.arc(4 + Math.max(0, Math.min(1, v)) * (W - 8), 8 + row * 14 + jitter * 8, 1.8, 0, 2 * Math.PI);
      ctx.fill();
    });
    ctx.globalAlpha = 1;
  });
  canvas.setAttribute('aria-label', `per-expert values from 0 to 100 %: ${STRIPS.map(([k, t]) => `${values[k].length} ${t}`).join(', ')}`);
  return canvas;
}

function cell(ours, paper) {
  return el('td', {}, el('span', { class: 'sw-ours' }, ours), el('span', { class: 'sw-paper' }, `paper ${paper}`));
}

function tableFor(arch, t) {
  const ref = TABLE1[arch];
  const caption = el('caption', {},
    `${TITLES[arch] ?? arch}: ${t.models} model${t.models === 1 ? '' : 's'} × ${t.experts / Math.max(1, t.models)} experts = ${t.experts} experts` +
    (ref ? ` (paper: 100 models, ${ref.experts} experts)` : ''));
  const head = el('tr', {}, ...['monosemantic features per expert', 'experts', 'mean usage (%)', 'mean usage, feature(s) active (%)',
    'mean usage, only feature(s) active (%)', 'per-expert values (0–100 %)'].map((h) => el('th', { scope: 'col' }, h)));
  const rows = t.rows.map((r) => {
    const p = ref?.rows[r.mono];
    const share = t.experts ? ` (${((100 * r.count) / t.experts).toFixed(1)} %)` : '';
    const num = (v) => (v === null || v === undefined ? '—' : String(v));
    return el('tr', { dataset: { mono: r.mono } },
      el('th', { scope: 'row' }, r.mono),
      cell(`${r.count}${share}`, p ? `${p[0]} (${(p[0] / 10).toFixed(1)} %)` : '—'),
      cell(pct(mean(r.usage)), num(p?.[1])),
      cell(r.mono === '0' ? '—' : pct(mean(r.clamped)), num(p?.[2])),
      cell(r.mono === '0' ? '—' : pct(mean(r.only)), num(p?.[3])),
      el('td', { class: 'sw-dist' }, r.count ? strip(r) : ''));
  });
  return el('table', { class: 'sw-table', dataset: { arch } }, caption, el('thead', {}, head), el('tbody', {}, ...rows));
}

/** The Table 1 view: update({results, plan}) redraws; toPNG() renders it. */
export function createTable1(container) {
  const wrap = el('div', { class: 'tm-view sw-table1' });
  const host = el('div', { class: 'sw-tables' });
  const key = el('p', { class: 'tm-view-note' },
    'Strips: one dot per expert — ', ...STRIPS.flatMap(([, t], i) => [i ? ', ' : '', el('span', { class: `sw-key sw-key-${i}` }, t)]),
    '. A feature is monosemantic in an expert when its polysemanticity is below 0.2. Usage is the share of dense inputs routed to the expert (1024 inputs per model, the sweep summary’s sample count; the paper used 8192): as drawn, with the expert’s monosemantic features set to 1, and with only those features present.');
  wrap.append(host, key);
  container.append(wrap);
  return {
    update({ results, plan }) {
      clear(host);
      const data = table1Rows(results.models);
      for (const g of plan.groups) host.append(tableFor(g.arch, data[g.arch] ?? { experts: 0, models: 0, rows: emptyRows() }));
    },
    redraw() {},
    toPNG: () => viewToPNG(wrap, { title: 'Table 1: monosemantic features per expert and expert usage' }),
    destroy: () => wrap.remove(),
  };
}

function emptyRows() {
  return ['0', '1', '2', '3', '4', '5'].map((k) => ({ mono: k, count: 0, usage: [], clamped: [], only: [] }));
}
