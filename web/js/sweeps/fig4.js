// Figure 4 (phase diagrams of the last feature, one panel per expert and architecture)
// and Figure 8 (box plots of the per-cell best losses) from a fig4 sweep.
//
// Colour of a cell (SPEC section 6), from the best run of the cell (lowest final loss):
// y = norm / max over the panel's cells, x = phase score / max (both clipped to [0, 1]);
// RGB = (y·x + 1−y, 1−y, y·(1−x) + 1−y): white = ignored, blue = alone, red = superposition.
import { setupCanvas, expertColor, css } from '../views/colormap.js';
import { chartShell, frame, niceTicks, INK, MUTED, FONT, SMALL, BOLD } from './chartkit.js';
import { boxStats, meanLoss } from './results.js';
import { FIG8_MEDIANS } from './reference.js';
import { cellKeys, itemKeys } from './cellkeys.js';

const PENDING = [226, 226, 226];
const clip01 = (v) => (v > 0 ? (v < 1 ? v : 1) : 0);
const f3 = (v) => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : '—');

/** SPEC section 6 phase colour: y = relative norm, x = relative score, both in [0, 1] -> [r, g, b] 0..255. */
export function phaseColor(y, x) {
  y = clip01(y);
  x = clip01(x);
  return [y * x + 1 - y, 1 - y, y * (1 - x) + 1 - y].map((c) => Math.round(255 * c));
}

/** Family letters and display names: '2x1-E2' -> {family: '2x1', letter: 'A', E: 2}. */
export function archParts(groups) {
  const letters = new Map();
  const out = new Map();
  for (const g of groups) {
    const family = g.arch.replace(/-E\d+$/, '');
    if (!letters.has(family)) letters.set(family, String.fromCharCode(65 + letters.size));
    out.set(g.arch, { family, letter: letters.get(family), E: g.experts });
  }
  return out;
}

// Columns of at most three panels (the paper's layout: E1 over E2, E3 on its own).
function columnsOf(groups, parts) {
  const cols = [];
  let cur = null;
  for (const g of groups) {
    const fam = parts.get(g.arch).family;
    if (!cur || cur.family !== fam || cur.panels + g.experts > Math.max(3, g.experts)) {
      cur = { family: fam, panels: 0, items: [] };
      cols.push(cur);
    }
    for (let e = 0; e < g.experts; e++) cur.items.push({ g, e });
    cur.panels += g.experts;
  }
  return cols;
}

// The cells of one architecture indexed by (S index, r index).
function gridOf(results, g) {
  const xi = new Map(g.xValues.map((v, i) => [v, i])), yi = new Map(g.yValues.map((v, i) => [v, i]));
  const grid = new Map();
  for (const c of results.cellsOf(g.arch)) {
    if (xi.has(c.x) && yi.has(c.y)) grid.set(xi.get(c.x) * g.yValues.length + yi.get(c.y), c);
  }
  return grid;
}

const tickEvery = (count, want) => Math.max(1, Math.ceil(count / want));
const sText = (v) => (Math.round(v * 100) / 100).toFixed(2);
const rText = (v) => (Math.round(v * 10) / 10).toFixed(1);

/** Phase-diagram panels. onOpen(job) opens a model in the lab; by mouse or keyboard (cellkeys.js). */
export function createPhase(container, { onOpen } = {}) {
  const { wrap, canvas, note, tip } = chartShell(container);
  let state = null, panels = [];
  const hitOf = (pi, si, ri) => {
    const p = panels[pi];
    return { p, si, ri, c: p.grid.get(si * p.cols + ri) ?? null };
  };
  const keys = cellKeys(canvas, {
    wrap, tip, note, roledescription: 'phase diagrams',
    panels: () => panels,
    lines: (pi, si, ri) => cellLines(hitOf(pi, si, ri), 'Enter'),
    open: (pi, si, ri) => { const b = hitOf(pi, si, ri).c?.best; if (b) onOpen?.(b.job); },
    redraw: () => state && draw(state),
  });

  function draw(model) {
    state = model;
    const { results, plan } = model;
    const groups = plan.groups;
    const parts = archParts(groups);
    const cols = columnsOf(groups, parts);
    const W = Math.max(320, wrap.clientWidth || 1000);
    const perRow = Math.max(1, Math.min(cols.length, Math.floor((W - 20) / 180)));
    const colW = Math.floor((W - 20) / perRow);
    const pw = colW - 50, ph = Math.round(pw * 0.7);
    const panelH = 22 + ph + 40;
    const maxPanels = Math.max(...cols.map((c) => c.items.length));
    const head = 100;
    const blockRows = Math.ceil(cols.length / perRow);
    const H = head + blockRows * maxPanels * panelH + 8;
    const ctx = setupCanvas(canvas, W, H);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    drawLegend(ctx, W - 8, 6);

    panels = [];
    const grids = new Map(groups.map((g) => [g.arch, gridOf(results, g)]));
    cols.forEach((col, ci) => {
      const bx = 20 + (ci % perRow) * colW, by = head + Math.floor(ci / perRow) * maxPanels * panelH;
      const p0 = parts.get(col.items[0].g.arch);
      const firstOfFamily = ci === 0 || cols[ci - 1].family !== col.family;
      if (firstOfFamily) {
        const g = col.items[0].g;
        ctx.fillStyle = INK;
        ctx.font = BOLD;
        ctx.textAlign = 'left';
        ctx.textBaseline = 'bottom';
        ctx.fillText(`${p0.letter}: n = ${g.n}, m = ${g.m}`, bx + 38, by - 4);
      }
      col.items.forEach(({ g, e }, k) => {
        const x = bx + 38, y = by + k * panelH + 20;
        const grid = grids.get(g.arch);
        panels.push({ x, y, w: pw, h: ph, g, e, grid, rows: g.xValues.length, cols: g.yValues.length });
        drawPanel(ctx, { x, y, w: pw, h: ph, g, e, grid, label: `${p0.letter}.${e + 1}/${g.experts}`, yAxis: ci % perRow === 0 });
      });
    });
    const done = results.size;
    // No model count here: the label of a focused canvas would change (and be read out) with every result.
    canvas.setAttribute('aria-label', `Phase diagrams of the last feature, ${panels.length} panels. Arrow keys move between cells, ` +
      'Page Up and Page Down between panels; Enter opens the cell’s model in the lab.');
    note.textContent = `Rows: feature sparsity S (top: dense inputs); columns: importance r of the last feature. Each cell shows the best of its runs; ` +
      `colours are scaled per panel. Hover a cell for its numbers, click it to open the model; or focus the chart (Tab) and use the arrow keys, ` +
      `Page Up/Down for the panels (column by column) and Enter. ${results.cells.size} cells with results (${done} models); ` +
      'the paper’s grid is 39 × 58 cells with the best of 10 runs, the quick preset a coarser grid with fewer runs.';
    keys.drawn(ctx);
  }

  function drawPanel(ctx, { x, y, w, h, g, e, grid, label, yAxis }) {
    const nS = g.xValues.length, nR = g.yValues.length;
    let maxNorm = 0, maxScore = 0;
    for (const c of grid.values()) {
      if (c.best?.status !== 'ok') continue;
      maxNorm = Math.max(maxNorm, c.best[`norm_e${e}`]);
      maxScore = Math.max(maxScore, c.best[`score_e${e}`]);
    }
    const img = new ImageData(nR, nS);
    for (let si = 0; si < nS; si++) {
      for (let ri = 0; ri < nR; ri++) {
        const c = grid.get(si * nR + ri);
        const rgb = c?.best?.status === 'ok'
          ? phaseColor(maxNorm > 0 ? c.best[`norm_e${e}`] / maxNorm : 0, maxScore > 0 ? c.best[`score_e${e}`] / maxScore : 0)
          : PENDING;
        const o = 4 * (si * nR + ri);
        img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
      }
    }
    const off = document.createElement('canvas');
    off.width = nR;
    off.height = nS;
    off.getContext('2d').putImageData(img, 0, 0);
    ctx.save();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, x, y, w, h);
    ctx.strokeStyle = INK;
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    ctx.fillStyle = INK;
    ctx.font = BOLD;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText(label, x + w / 2, y - 3);
    ctx.font = SMALL;
    // S ticks on the left (top = smallest S), r ticks below, rotated like the paper's.
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const sEvery = tickEvery(nS, 7), rEvery = tickEvery(nR, 9);  // paper grid: every 6th S, every 7th r
    for (let si = 0; si < nS; si += sEvery) {
      const ty = y + ((si + 0.5) / nS) * h;
      ctx.fillRect(x - 3, Math.round(ty), 3, 1);
      ctx.fillText(sText(g.xValues[si]), x - 5, ty);
    }
    for (let ri = 0; ri < nR; ri += rEvery) {
      const tx = x + ((ri + 0.5) / nR) * w;
      ctx.fillRect(Math.round(tx), y + h, 1, 3);
      ctx.save();
      ctx.translate(tx, y + h + 6);
      ctx.rotate(-Math.PI / 4);
      ctx.textAlign = 'right';
      ctx.fillText(rText(g.yValues[ri]), 0, 0);
      ctx.restore();
    }
    if (yAxis) {
      ctx.save();
      ctx.translate(x - 30, y + h / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillStyle = MUTED;
      ctx.fillText('sparsity S', 0, 0);
      ctx.restore();
    }
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText('r →', x + w, y + h + 22);
    ctx.restore();
  }

  function drawLegend(ctx, right, top) {
    const size = 64, x = right - size - 50, y = top + 4;
    const img = new ImageData(size, size);
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const rgb = phaseColor(1 - i / (size - 1), j / (size - 1));
        const o = 4 * (i * size + j);
        img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
      }
    }
    const off = document.createElement('canvas');
    off.width = size;
    off.height = size;
    off.getContext('2d').putImageData(img, 0, 0);
    ctx.drawImage(off, x, y, size, size);
    ctx.strokeStyle = INK;
    ctx.strokeRect(x + 0.5, y + 0.5, size - 1, size - 1);
    ctx.save();
    ctx.font = SMALL;
    ctx.fillStyle = INK;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText('superposition score →', x + size / 2, y + size + 3);
    ctx.translate(x - 4, y + size / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'bottom';
    ctx.fillText('L2 norm →', 0, 0);
    ctx.restore();
    const keys = [['white', 'ignored (small norm)', [255, 255, 255]], ['blue', 'represented alone', phaseColor(1, 0)],
      ['red', 'represented in superposition', phaseColor(1, 1)], ['grey', 'not trained yet', PENDING]];
    ctx.save();
    ctx.font = SMALL;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    const kx = x - 210;
    keys.forEach(([, text, rgb], i) => {
      const ky = y + 6 + i * 16;
      ctx.fillStyle = css(rgb);
      ctx.fillRect(kx, ky - 5, 11, 11);
      ctx.strokeStyle = 'rgba(0,0,0,0.35)';
      ctx.strokeRect(kx + 0.5, ky - 4.5, 10, 10);
      ctx.fillStyle = INK;
      ctx.fillText(text, kx + 17, ky);
    });
    ctx.restore();
  }

  function cellAt(ev) {
    const r = canvas.getBoundingClientRect(), mx = ev.clientX - r.left, my = ev.clientY - r.top;
    for (const p of panels) {
      if (mx < p.x || mx >= p.x + p.w || my < p.y || my >= p.y + p.h) continue;
      const nS = p.g.xValues.length, nR = p.g.yValues.length;
      const si = Math.min(nS - 1, Math.floor(((my - p.y) / p.h) * nS)), ri = Math.min(nR - 1, Math.floor(((mx - p.x) / p.w) * nR));
      return { p, si, ri, c: p.grid.get(si * nR + ri) ?? null };
    }
    return null;
  }

  // The readout of a cell, for the hover tooltip (how = 'click') and the keyboard's (how = 'Enter').
  function cellLines({ p, si, ri, c }, how) {
    const e = p.e, b = c?.best;
    const lines = [`${p.g.arch}, expert ${e + 1} of ${p.g.experts} · S = ${sText(p.g.xValues[si])}, r = ${p.g.yValues[ri]}`];
    if (!c) lines.push('not trained yet');
    else {
      lines.push(`${c.runs} run${c.runs === 1 ? '' : 's'}, mean final loss ${f3(meanLoss(c))}`);
      if (b?.status === 'ok') {
        lines.push(`best: job ${b.job}, final loss ${f3(b.final_loss)}`);
        lines.push(`last feature: norm ${f3(b[`norm_e${e}`])}, score ${f3(b[`score_e${e}`])}, superposition ${f3(b[`super_e${e}`])}, gate ${f3(b[`gate_e${e}`])}`);
        lines.push(`${how}: open this model in the lab`);
      } else if (b) lines.push(`best run failed: ${String(b.error ?? '').slice(0, 80)}`);
    }
    return lines;
  }

  canvas.addEventListener('mousemove', (ev) => {
    if (!keys.pointer(ev)) return;
    const hit = cellAt(ev);
    if (!hit) { tip.hide(); canvas.classList.remove('sw-pointer'); return; }
    tip.show(cellLines(hit, 'click').join('\n'), ev.clientX, ev.clientY);
    canvas.classList.toggle('sw-pointer', !!hit.c?.best);
  });
  canvas.addEventListener('mouseleave', () => tip.hide());
  canvas.addEventListener('click', (ev) => {
    const hit = cellAt(ev);
    if (hit) keys.moveTo(panels.indexOf(hit.p), hit.si, hit.ri);
    const b = hit?.c?.best;
    if (b) onOpen?.(b.job);
  });

  return {
    update: draw,
    redraw: () => state && draw(state),
    canvas,
    /** The panel geometry and cell lookup (tests): [{arch, expert, x, y, w, h, cells}] in CSS px. */
    panels: () => panels.map((p) => ({ arch: p.g.arch, expert: p.e, x: p.x, y: p.y, w: p.w, h: p.h, cells: p.grid.size })),
    destroy: () => wrap.remove(),
  };
}

/** Figure 8: per architecture, a box plot of the best final loss of each cell, with the paper's medians.
 * Hover a box, or focus the chart and move between the boxes with Left/Right (cellkeys.js). A click
 * does nothing here, so neither does Enter. */
export function createFig8(container) {
  const { wrap, canvas, note, tip } = chartShell(container);
  let state = null, boxes = [];
  // Every architecture's box, with or without results, so the keys visit them all in the axis' order.
  const keys = itemKeys(canvas, {
    wrap, tip, note, roledescription: 'box plots',
    series: () => [boxes],
    readout: (b) => boxLines(b),
    redraw: () => state && draw(state),
  });

  function draw(model) {
    state = model;
    const { results, plan } = model;
    const groups = plan.groups;
    const parts = archParts(groups);
    const W = Math.max(320, Math.min(1100, wrap.clientWidth || 900)), H = 400;
    const ctx = setupCanvas(canvas, W, H);
    const stats = groups.map((g) => boxStats(results.cellsOf(g.arch).map((c) => (c.best?.status === 'ok' ? c.best.final_loss : NaN))));
    // The axis fits the whiskers (not far outliers, which are marked at the top edge instead).
    const top = Math.max(0.02, ...stats.flatMap((s) => (s ? [s.hi] : [])), ...Object.values(FIG8_MEDIANS)) * 1.3;
    const yMax = niceTicks(0, top, 6).find((t) => t >= top) ?? top;
    const map = frame(ctx, {
      x: 62, y: 10, w: W - 62 - 12, h: H - 10 - 76, xMin: 0, xMax: groups.length, yMin: 0, yMax,
      xTicks: [], yTicks: niceTicks(0, yMax, 6), yLabel: 'final loss (best run per cell)', yLabelGap: 48,
    });
    const slot = map.box.w / groups.length;
    boxes = [];
    groups.forEach((g, i) => {
      const s = stats[i], cx = map.box.x + slot * (i + 0.5), bw = Math.min(60, slot * 0.5);
      const p = parts.get(g.arch);
      const color = expertColor(i);
      ctx.fillStyle = INK;
      ctx.font = FONT;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(`${p.letter}/${g.experts}`, cx, map.box.y + map.box.h + 6);
      ctx.fillStyle = MUTED;
      ctx.font = SMALL;
      ctx.fillText(`${g.arch} · ${s?.n ?? 0} cells`, cx, map.box.y + map.box.h + 22);
      const ref = FIG8_MEDIANS[g.arch];
      if (s) {
        ctx.fillStyle = `rgba(${color[0]}, ${color[1]}, ${color[2]}, 0.7)`;
        ctx.fillRect(cx - bw / 2, map.py(s.q3), bw, Math.max(1, map.py(s.q1) - map.py(s.q3)));
        ctx.strokeStyle = INK;
        ctx.lineWidth = 1;
        ctx.strokeRect(cx - bw / 2 + 0.5, map.py(s.q3) + 0.5, bw - 1, Math.max(1, map.py(s.q1) - map.py(s.q3)) - 1);
        ctx.beginPath();
        ctx.moveTo(cx, map.py(s.q3)); ctx.lineTo(cx, map.py(s.hi));
        ctx.moveTo(cx, map.py(s.q1)); ctx.lineTo(cx, map.py(s.lo));
        ctx.moveTo(cx - bw / 4, map.py(s.hi)); ctx.lineTo(cx + bw / 4, map.py(s.hi));
        ctx.moveTo(cx - bw / 4, map.py(s.lo)); ctx.lineTo(cx + bw / 4, map.py(s.lo));
        ctx.stroke();
        ctx.strokeStyle = 'rgb(255, 127, 14)';
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(cx - bw / 2, map.py(s.med)); ctx.lineTo(cx + bw / 2, map.py(s.med));
        ctx.stroke();
        ctx.strokeStyle = INK;
        ctx.lineWidth = 1;
        const above = s.outliers.filter((o) => o > yMax);
        for (const o of s.outliers) {
          if (o > yMax) continue;
          ctx.beginPath();
          ctx.arc(cx, map.py(o), 3, 0, 2 * Math.PI);
          ctx.stroke();
        }
        if (above.length) {  // off the scale: a triangle at the top edge and how many
          ctx.fillStyle = INK;
          ctx.beginPath();
          ctx.moveTo(cx, map.box.y + 3); ctx.lineTo(cx + 4, map.box.y + 10); ctx.lineTo(cx - 4, map.box.y + 10); ctx.closePath();
          ctx.fill();
          ctx.font = SMALL;
          ctx.textAlign = 'left';
          ctx.textBaseline = 'top';
          ctx.fillText(`${above.length}`, cx + 6, map.box.y + 3);
        }
      }
      if (ref !== undefined) {
        ctx.save();
        ctx.strokeStyle = INK;
        ctx.lineWidth = 2;
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(cx - bw / 2 - 8, map.py(ref)); ctx.lineTo(cx + bw / 2 + 8, map.py(ref));
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = INK;
        ctx.beginPath();
        const dx = cx + bw / 2 + 8, dy = map.py(ref);
        ctx.moveTo(dx, dy - 4); ctx.lineTo(dx + 4, dy); ctx.lineTo(dx, dy + 4); ctx.lineTo(dx - 4, dy); ctx.closePath();
        ctx.fill();
        ctx.restore();
      }
      // The keyboard's outline: the box and its whiskers, or the label of an empty box.
      const rect = s ? { x: cx - bw / 2, y: map.py(s.hi), w: bw, h: map.py(s.lo) - map.py(s.hi) }
        : { x: cx - bw / 2, y: map.box.y + map.box.h + 4, w: bw, h: 30 };
      boxes.push({ id: g.arch, rect, x0: map.box.x + slot * i, x1: map.box.x + slot * (i + 1), g, s, ref, label: `${p.letter}/${g.experts}` });
    });
    // Legend in one row under the axis.
    ctx.save();
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    let lx = map.box.x;
    const ly = map.box.y + map.box.h + 46;
    for (const [label, color, dash] of [['median (ours)', 'rgb(255, 127, 14)', []], ['paper median (SPEC §8)', INK, [4, 3]], ['outliers beyond 1.5 IQR', null, null]]) {
      ctx.strokeStyle = color ?? INK;
      ctx.lineWidth = color ? 2 : 1;
      ctx.setLineDash(dash ?? []);
      ctx.beginPath();
      if (color) { ctx.moveTo(lx, ly); ctx.lineTo(lx + 24, ly); } else ctx.arc(lx + 12, ly, 3, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = INK;
      ctx.fillText(label, lx + 30, ly);
      lx += 30 + ctx.measureText(label).width + 22;
    }
    ctx.restore();
    canvas.setAttribute('aria-label', `Box plots of the per-cell best final loss for ${groups.length} architectures. ` +
      'Left and Right arrow keys move between the boxes.');
    const med = boxes.filter((b) => b.s).map((b) => `${b.label} ${f3(b.s.med)} (paper ${b.ref ?? '—'})`).join(', ');
    note.textContent = `Medians, ours (paper): ${med || 'no results yet'}. Boxes: quartiles; whiskers: 1.5 × IQR; rings: outliers; ▲ n: n outliers above the axis. ` +
      'Hover a box for its numbers (the largest outlier too), or focus the chart (Tab) and move between the boxes with the Left and Right arrow keys.';
    keys.drawn(ctx);
  }

  // The readout of a box: the hover tooltip's lines; the keyboard's also for a box without results.
  function boxLines(b) {
    if (!b.s) return [`${b.label} (${b.g.arch}) · no results yet`];
    const far = b.s.outliers.length ? `, largest ${f3(Math.max(...b.s.outliers))}` : '';
    return [`${b.label} (${b.g.arch}) · ${b.s.n} cells`, `median ${f3(b.s.med)} (paper ${b.ref ?? '—'}), quartiles ${f3(b.s.q1)}–${f3(b.s.q3)}`,
      `whiskers ${f3(b.s.lo)}–${f3(b.s.hi)}, ${b.s.outliers.length} outliers${far}`];
  }

  canvas.addEventListener('mousemove', (ev) => {
    if (!keys.pointer(ev)) return;
    const r = canvas.getBoundingClientRect(), mx = ev.clientX - r.left;
    const b = boxes.find((q) => mx >= q.x0 && mx < q.x1);
    if (!b?.s) { tip.hide(); return; }
    tip.show(boxLines(b).join('\n'), ev.clientX, ev.clientY);
  });
  canvas.addEventListener('mouseleave', () => tip.hide());

  return {
    update: draw,
    redraw: () => state && draw(state),
    canvas,
    /** The boxes the keys visit, in their order (tests): [{arch, cells, rect, x0, x1}] in CSS px. */
    items: () => boxes.map((b) => ({ arch: b.g.arch, cells: b.s?.n ?? 0, rect: { ...b.rect }, x0: b.x0, x1: b.x1 })),
    destroy: () => wrap.remove(),
  };
}
