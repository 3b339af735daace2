// Figure 3 (features per dimension vs 1/(1-S), one line per architecture) and Figure 7
// (ln of the mean final loss vs 1/(1-S)) from a fig3 sweep, with the paper's values.
import { setupCanvas, expertColor, css } from '../views/colormap.js';
import { chartShell, frame, line, markers, legend, nearest, niceTicks, MUTED, FONT } from './chartkit.js';
import { meanFpd, meanLoss } from './results.js';
import { FIG7_LN_LOSS, FIG3_MEAN_LOSS } from './reference.js';
import { itemKeys } from './cellkeys.js';

/** 'Dense (m=20)' or '4 experts, k=1 (m=5)' from a plan group. */
export function archLabel(g) {
  return g.experts === 1 ? `Dense (m=${g.m})` : `${g.experts} experts, k=${g.k} (m=${g.m})`;
}

const LOG_TICKS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

function series(results, arch, value) {
  return results.cellsOf(arch).sort((a, b) => a.x - b.x).map((c) => ({ x: c.x, y: value(c), cell: c }));
}

const f3 = (v) => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : '—');

// The shared chart: canvas, tooltip, hover and click on the points; the same by keyboard
// (cellkeys.js): Left/Right along a line, Up/Down to the line above or below, Enter opens.
function chart(container, { kind, onOpen }) {
  const { wrap, canvas, note, tip } = chartShell(container);
  let state = null, map = null, points = [], byLine = [];  // byLine: the keyboard's points, one array per architecture
  const openBest = (p) => { if (p?.cell.best) onOpen?.(p.cell.best.job); };
  const keys = itemKeys(canvas, {
    wrap, tip, note, roledescription: 'line chart',
    series: () => byLine,
    readout: (p) => pointLines(p, 'Enter'),
    open: openBest,
    redraw: () => state && draw(state),
    empty: () => 'no results yet',
  });

  function draw(model) {
    state = model;
    const { results, plan, reference } = model;
    const W = Math.max(300, Math.min(900, wrap.clientWidth || 640)), H = Math.round(Math.min(480, Math.max(280, W * 0.62)));
    const ctx = setupCanvas(canvas, W, H);
    const groups = plan.groups;
    const xMax = Math.max(10, ...groups.flatMap((g) => g.xValues));
    const value = kind === 'fig3' ? meanFpd : (c) => Math.log(meanLoss(c));
    const all = groups.map((g, i) => ({ g, color: css(expertColor(i)), pts: series(results, g.arch, value) }));
    const ys = all.flatMap((s) => s.pts.map((p) => p.y)).filter(Number.isFinite);
    let yMin, yMax;
    if (kind === 'fig3') {
      const refMax = Math.max(0, ...Object.values(reference.fig3 ?? {}).flat().map((p) => p[1]));
      yMin = 0;
      yMax = Math.max(5, Math.ceil(Math.max(refMax, ...ys, 0) * 1.05));
    } else {
      const refs = Object.values(FIG7_LN_LOSS).flat().map((p) => p[1]);
      const lo = Math.min(...refs, ...ys), hi = Math.max(...refs, ...ys);
      yMin = Math.floor((lo - 0.1) * 4) / 4;
      yMax = Math.ceil((hi + 0.1) * 4) / 4;
    }
    const narrow = W < 480;
    map = frame(ctx, {
      x: 58, y: 12, w: W - 58 - 14, h: H - 12 - 48, xMin: 1, xMax, yMin, yMax, xLog: true,
      xTicks: LOG_TICKS.filter((t) => t <= xMax && (!narrow || [1, 2, 3, 5, 10].includes(t))), yTicks: niceTicks(yMin, yMax, 6),
      xLabel: '1/(1−S)  (log scale)   ← dense | sparse →', yLabel: kind === 'fig3' ? 'features per dimension' : 'ln(mean final loss)',
    });
    const entries = [];
    if (kind === 'fig3') {
      line(ctx, map, [[1, 1], [xMax, 1]], { color: 'rgb(255, 165, 0)', width: 2, dash: [6, 5], alpha: 0.8 });
      for (const s of all) line(ctx, map, reference.fig3?.[s.g.arch] ?? [], { color: s.color, width: 3, alpha: 0.22 });
    }
    points = [];
    byLine = [];
    for (const [si, s] of all.entries()) {
      if (kind === 'fig3') {  // min-max over runs, when a cell has several
        ctx.save();
        ctx.globalAlpha = 0.12;
        ctx.fillStyle = s.color;
        const band = s.pts.filter((p) => p.cell.finite > 1);
        if (band.length > 1) {
          ctx.beginPath();
          band.forEach((p, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, map.px(p.x), map.py(p.cell.fpdMax)));
          for (let i = band.length - 1; i >= 0; i--) ctx.lineTo(map.px(band[i].x), map.py(band[i].cell.fpdMin));
          ctx.fill();
        }
        ctx.restore();
      }
      line(ctx, map, s.pts.map((p) => [p.x, p.y]), { color: s.color, width: 2.5 });
      markers(ctx, map, s.pts.map((p) => [p.x, p.y]), { color: s.color, size: 3 });
      if (kind === 'fig7') markers(ctx, map, FIG7_LN_LOSS[s.g.arch] ?? [], { color: s.color, size: 5, shape: 'ring' });
      for (const p of s.pts) points.push({ ...p, g: s.g, si });
      // The keys visit the points drawn (finite), by cell id as results come in; outlined as a small square.
      byLine.push(s.pts.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
        .map((p) => ({ ...p, g: s.g, si, id: p.cell.cell, rect: { x: map.px(p.x) - 4, y: map.py(p.y) - 4, w: 8, h: 8 } })));
      entries.push({ label: archLabel(s.g), color: s.color });
    }
    if (kind === 'fig3') {
      entries.push({ label: 'paper (reference run, faint)', color: MUTED, alpha: 0.35, width: 3 });
      entries.push({ label: 'monosemantic: 1', color: 'rgb(255, 165, 0)', dash: [6, 5] });
    } else {
      entries.push({ label: 'paper (SPEC §8, ±0.02)', color: MUTED, marker: 'ring' });
    }
    // Figure 3 rises to the right, Figure 7 falls: the legend goes where the lines are not.
    if (kind === 'fig3') legend(ctx, entries, map.box.x + 8, map.box.y + 8);
    else legend(ctx, entries, map.box.x + map.box.w - 8, map.box.y + 8, { anchor: 'right' });
    if (!results.size) {
      ctx.fillStyle = MUTED;
      ctx.font = FONT;
      ctx.textAlign = 'center';
      ctx.fillText('no results yet', map.box.x + map.box.w / 2, map.box.y + map.box.h / 2);
    }
    // No model count in the label: the label of a focused canvas would be read out with every result.
    canvas.setAttribute('aria-label', `${kind === 'fig3' ? 'Features per dimension' : 'Log of the mean final loss'} against 1/(1-S), ` +
      `one line per architecture (${groups.length}). Left and Right arrow keys move along a line, Up and Down to the line above or below; ` +
      'Enter opens the point’s best run in the lab.');
    note.textContent = `${kind === 'fig3' ? fig3Note(all) : fig7Note(all)} ${results.size} models. Hover a point for its numbers, click it to open ` +
      'its best run in the lab; or focus the chart (Tab), move with the arrow keys (Left/Right along a line, Up/Down to the line above or below) and press Enter.';
    keys.drawn(ctx);
  }

  function fig3Note(all) {
    const at10 = all.map((s) => `${s.g.arch} ${f3(s.pts.find((p) => Math.abs(p.x - 10) < 1e-6)?.y)}`).join(', ');
    return `Mean over the runs of each density (band: min–max when a density has several runs). At 1/(1−S) = 10 ours: ${at10}; paper: dense 4.57, E4 2.89, E10 2.45, E20 1.88.`;
  }

  function fig7Note(all) {
    const mean = (s) => {
      const v = s.pts.map((p) => Math.exp(p.y)).filter(Number.isFinite);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
    };
    const ours = all.map((s) => `${s.g.arch} ${f3(mean(s))}`).join(', ');
    const paper = Object.entries(FIG3_MEAN_LOSS).map(([k, v]) => `${k} ${v}`).join(', ');
    return `Mean final loss over the densities run so far, ours: ${ours}; paper (over 30 densities): ${paper}. Rings: the paper's ln(loss) at 1/(1−S) = 1 and 10.`;
  }

  function hover(e) {
    if (!map) return null;
    const r = canvas.getBoundingClientRect();
    return nearest(map, points, e.clientX - r.left, e.clientY - r.top);
  }

  // The readout of a point, for the hover tooltip (how = 'click') and the keyboard's (how = 'Enter').
  function pointLines(p, how) {
    const c = p.cell;
    return [
      `${archLabel(p.g)} · 1/(1−S) = ${f3(c.x)} (S = ${f3(1 - 1 / c.x)})`,
      kind === 'fig3' ? `features per dimension ${f3(meanFpd(c))} (mean of ${c.finite} run${c.finite === 1 ? '' : 's'})` : `ln(mean final loss) ${f3(Math.log(meanLoss(c)))}, mean loss ${f3(meanLoss(c))}`,
      c.best ? `best run: job ${c.best.job}, final loss ${f3(c.best.final_loss)}, FPD ${f3(c.best.fpd)}` : '',
      `${how}: open the best run in the lab`,
    ].filter(Boolean);
  }

  canvas.addEventListener('mousemove', (e) => {
    if (!keys.pointer(e)) return;
    const p = hover(e);
    if (!p) { tip.hide(); canvas.classList.remove('sw-pointer'); return; }
    tip.show(pointLines(p, 'click').join('\n'), e.clientX, e.clientY);
    canvas.classList.add('sw-pointer');
  });
  canvas.addEventListener('mouseleave', () => tip.hide());
  canvas.addEventListener('click', (e) => {
    const p = hover(e);
    if (p) keys.moveTo(p.si, p.cell.cell);
    openBest(p);
  });

  return {
    update: draw,
    redraw: () => state && draw(state),
    canvas,
    /** The points the keys visit, in their order (tests): [{line, arch, x, job, rect}], rect in CSS px. */
    items: () => byLine.flatMap((l) => l.map((p) => ({ line: p.si, arch: p.g.arch, x: p.x, job: p.cell.best?.job ?? null, rect: { ...p.rect } }))),
    destroy: () => wrap.remove(),
  };
}

/** Figure 3 chart. onOpen(job) opens a model in the lab. */
export const createFig3 = (container, opts = {}) => chart(container, { ...opts, kind: 'fig3' });
/** Figure 7 chart. */
export const createFig7 = (container, opts = {}) => chart(container, { ...opts, kind: 'fig7' });
