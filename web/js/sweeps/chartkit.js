// Small canvas plotting helpers for the sweep charts: a frame with linear or log axes,
// ticks, grid and labels; lines, markers and a legend. Everything in CSS pixels on a
// context prepared by setupCanvas (views/colormap.js).
import { makeTooltip } from '../views/colormap.js';

/** The DOM every sweep chart draws into: a canvas, a note under it and a tooltip. */
export function chartShell(container) {
  const wrap = document.createElement('div');
  wrap.className = 'tm-view sw-chart';
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  const note = document.createElement('p');
  note.className = 'tm-view-note';
  wrap.append(canvas, note);
  container.append(wrap);
  const tip = makeTooltip(wrap);
  tip.el.classList.add('sw-tip');
  return { wrap, canvas, note, tip };
}

export const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const SMALL = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const BOLD = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const INK = '#1d1d1f';
export const MUTED = '#5b5b60';
export const GRID = 'rgba(0, 0, 0, 0.08)';

/** Tick values 1 2 5 x 10^k covering [lo, hi] (about `count` of them). */
export function niceTicks(lo, hi, count = 6) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** A tick label without float noise. */
export const tickText = (v) => String(Number(v.toPrecision(6)));

/**
 * Draw axes in the box {x, y, w, h} and return the mappings.
 * @param {CanvasRenderingContext2D} ctx
 * @param {{x: number, y: number, w: number, h: number, xMin: number, xMax: number, yMin: number, yMax: number,
 *   xLog?: boolean, xTicks?: number[], yTicks?: number[], xTickText?: Function, yTickText?: Function,
 *   xLabel?: string, yLabel?: string}} o
 * @returns {{px: (v: number) => number, py: (v: number) => number, box: object}}
 */
export function frame(ctx, o) {
  const { x, y, w, h } = o;
  const fx = o.xLog ? Math.log : (v) => v;
  const x0 = fx(o.xMin), x1 = fx(o.xMax);
  const px = (v) => x + ((fx(v) - x0) / (x1 - x0 || 1)) * w;
  const py = (v) => y + h - ((v - o.yMin) / (o.yMax - o.yMin || 1)) * h;
  const xTicks = o.xTicks ?? niceTicks(o.xMin, o.xMax);
  const yTicks = o.yTicks ?? niceTicks(o.yMin, o.yMax);
  ctx.save();
  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const t of xTicks) { const X = Math.round(px(t)) + 0.5; ctx.moveTo(X, y); ctx.lineTo(X, y + h); }
  for (const t of yTicks) { const Y = Math.round(py(t)) + 0.5; ctx.moveTo(x, Y); ctx.lineTo(x + w, Y); }
  ctx.stroke();
  ctx.strokeStyle = INK;
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
  ctx.fillStyle = INK;
  ctx.font = SMALL;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of xTicks) ctx.fillText((o.xTickText ?? tickText)(t), px(t), y + h + 4);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of yTicks) ctx.fillText((o.yTickText ?? tickText)(t), x - 5, py(t));
  ctx.font = FONT;
  if (o.xLabel) {
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(o.xLabel, x + w / 2, y + h + 20);
  }
  if (o.yLabel) {
    ctx.translate(x - (o.yLabelGap ?? 42), y + h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText(o.yLabel, 0, 0);
  }
  ctx.restore();
  return { px, py, box: { x, y, w, h } };
}

/** A polyline through points [[x, y], ...] (non-finite points break the line). */
export function line(ctx, map, pts, { color = INK, width = 2, dash = [], alpha = 1 } = {}) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(map.box.x, map.box.y, map.box.w, map.box.h);
  ctx.clip();
  ctx.strokeStyle = color;
  ctx.globalAlpha = alpha;
  ctx.lineWidth = width;
  ctx.lineJoin = 'round';
  ctx.setLineDash(dash);
  ctx.beginPath();
  let pen = false;
  for (const [a, b] of pts) {
    if (!Number.isFinite(a) || !Number.isFinite(b)) { pen = false; continue; }
    if (pen) ctx.lineTo(map.px(a), map.py(b));
    else ctx.moveTo(map.px(a), map.py(b));
    pen = true;
  }
  ctx.stroke();
  ctx.restore();
}

/** Markers at points: shape 'dot' (filled) or 'ring' (open circle) or 'diamond'. */
export function markers(ctx, map, pts, { color = INK, size = 3, shape = 'dot', alpha = 1 } = {}) {
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.fillStyle = color;
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  for (const [a, b] of pts) {
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    const X = map.px(a), Y = map.py(b);
    ctx.beginPath();
    if (shape === 'diamond') {
      ctx.moveTo(X, Y - size); ctx.lineTo(X + size, Y); ctx.lineTo(X, Y + size); ctx.lineTo(X - size, Y); ctx.closePath();
      ctx.fill();
    } else {
      ctx.arc(X, Y, size, 0, 2 * Math.PI);
      if (shape === 'ring') { ctx.fillStyle = '#fff'; ctx.fill(); ctx.stroke(); } else ctx.fill();
    }
  }
  ctx.restore();
}

/**
 * A legend box: entries [{label, color, dash?, alpha?, marker?}] at (x, y), anchored top-left
 * (anchor 'right' puts its right edge at x). Returns its height.
 */
export function legend(ctx, entries, x, y, { anchor = 'left' } = {}) {
  ctx.save();
  ctx.font = FONT;
  const rowH = 17, sw = 26;
  const w = Math.max(...entries.map((e) => ctx.measureText(e.label).width)) + sw + 18;
  const h = entries.length * rowH + 8;
  const left = anchor === 'right' ? x - w : x;
  ctx.fillStyle = 'rgba(255, 255, 255, 0.9)';
  ctx.strokeStyle = 'rgba(0, 0, 0, 0.18)';
  ctx.fillRect(left, y, w, h);
  ctx.strokeRect(left + 0.5, y + 0.5, w - 1, h - 1);
  entries.forEach((e, i) => {
    const cy = y + 4 + rowH * i + rowH / 2;
    ctx.globalAlpha = e.alpha ?? 1;
    ctx.strokeStyle = e.color;
    ctx.fillStyle = e.color;
    if (e.marker) {
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(left + 6 + sw / 2, cy, 3.5, 0, 2 * Math.PI);
      if (e.marker === 'ring') { ctx.fillStyle = '#fff'; ctx.fill(); ctx.stroke(); } else ctx.fill();
    } else {
      ctx.lineWidth = e.width ?? 2.5;
      ctx.setLineDash(e.dash ?? []);
      ctx.beginPath();
      ctx.moveTo(left + 6, cy);
      ctx.lineTo(left + 6 + sw, cy);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.globalAlpha = 1;
    ctx.fillStyle = INK;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(e.label, left + sw + 12, cy);
  });
  ctx.restore();
  return h;
}

/** Nearest point to (mx, my) among [{x, y, ...}] mapped by map, within `radius` px; or null. */
export function nearest(map, points, mx, my, radius = 12) {
  let best = null, bd = radius * radius;
  for (const p of points) {
    const dx = map.px(p.x) - mx, dy = map.py(p.y) - my, d = dx * dx + dy * dy;
    if (d <= bd) { bd = d; best = p; }
  }
  return best;
}
