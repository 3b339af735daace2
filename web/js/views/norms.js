// Feature norms per expert (the paper's Figures 1, 2 and 6): one bar per feature,
// height ‖W_i‖, colour viridis(polysemanticity clipped to [0, 1]).
import { viridis, viridisCss, drawColorBar, setupCanvas, niceStep, themeOf, panelShell, viewLifecycle, gridLayout } from './colormap.js';

export const id = 'norms';
export const title = 'Feature norms';
export const explain = 'Each bar is one input feature. Its height is how strongly the model stores it ' +
  '(0 = ignored, about 1 = fully stored); its colour says whether the feature has a dimension to itself ' +
  '(purple, monosemantic) or shares dimensions with other features (yellow, superposition). ' +
  'The dashed line marks m, the number of dimensions each expert has.';

const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '–');

export function create(container, options = {}) {
  const { placeholder, barCanvas, grid, tooltip } = panelShell(container, 'norms', options.placeholder ?? 'Train to see the feature norms.');

  let panels = [];          // {el, canvas, geom}
  let snap = null, drawnMetrics, width = 0;

  function ensurePanels(E) {
    if (panels.length === E) return;
    grid.replaceChildren();
    panels = Array.from({ length: E }, (_, e) => {
      const canvas = document.createElement('canvas');
      canvas.className = 'tm-panel';
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', E > 1 ? `feature norms of expert ${e}` : 'feature norms');
      const panel = { canvas, e, geom: null };
      canvas.addEventListener('pointermove', (ev) => hover(panel, ev));
      canvas.addEventListener('pointerleave', () => tooltip.hide());
      grid.appendChild(canvas);
      return panel;
    });
  }

  function hover(panel, ev) {
    const met = snap?.metrics, g = panel.geom;
    if (!met || !g) return tooltip.hide();
    const r = panel.canvas.getBoundingClientRect();
    const i = Math.floor((ev.clientX - r.left - g.L) / g.slot);
    if (i < 0 || i >= g.n) return tooltip.hide();
    const e = panel.e, who = met.norms.length > 1 ? `expert ${e} · ` : '';
    tooltip.show(`${who}feature ${i}: ‖W‖ = ${fmt(met.norms[e][i])}, polysemanticity ${fmt(met.polysemanticity[e][i])} ` +
      `(${met.classes[e][i]})`, ev.clientX, ev.clientY);
  }

  function draw() {
    const met = snap?.metrics;
    const ready = !!met?.norms?.length;
    placeholder.hidden = ready;
    barCanvas.hidden = !ready;
    grid.hidden = !ready;
    if (!ready) { tooltip.hide(); drawnMetrics = met ?? null; return; }
    drawnMetrics = met;
    const theme = themeOf(container), E = met.norms.length, n = met.norms[0].length;
    const m = snap.config?.m ?? 0, compact = E > 12;
    width = container.clientWidth || 320;
    ensurePanels(E);
    const { cols, w, gap } = E === 1 ? { cols: 1, w: Math.min(width, 640), gap: 0 }
      : gridLayout(width, E, compact ? { minW: 120, gap: 8 } : { minW: width < 520 ? 150 : 250, maxW: 520, gap: width < 520 ? 8 : 12 });
    grid.style.gridTemplateColumns = `repeat(${cols}, ${w}px)`;
    grid.style.gap = `${gap}px`;
    const h = compact ? 92 : E === 1 ? Math.round(Math.min(260, Math.max(180, w * 0.45))) : 170;

    // Shared colour bar.
    const label = 'polysemanticity', fontPx = compact ? 11 : 12;
    const cbw = Math.min(width, 400), bctx = setupCanvas(barCanvas, cbw, 30);
    bctx.font = theme.font(fontPx);
    const lw = bctx.measureText(label).width + 10, barW = cbw - lw - 10;
    drawColorBar(bctx, { x: lw, y: 2, width: barW, height: 10, colorAt: viridis, ticks: [0, 0.5, 1],
      tickLabels: barW >= 250 ? ['0 (monosemantic)', '0.5', '≥ 1 (superposed)'] : ['0', '0.5', '≥ 1'],
      label, font: theme.font(fontPx), color: theme.color });

    // One shared y scale, so experts compare at a glance.
    let top = 1;
    for (const row of met.norms) for (const v of row) if (v > top && Number.isFinite(v)) top = v;
    const yMax = Math.ceil(top * 10 - 1e-6) / 10 + 0.05;
    for (const p of panels) drawPanel(p, met, { w, h, n, m, yMax, compact, theme, E });
  }

  function drawPanel(panel, met, o) {
    const { w, h, n, m, yMax, compact, theme, E } = o, e = panel.e;
    const ctx = setupCanvas(panel.canvas, w, h);
    const fs = compact ? 9 : 11, titleH = compact ? 13 : 18;
    const L = compact ? 22 : 32, R = 4, T = titleH + 2, B = compact ? 12 : 17;
    const pw = Math.max(10, w - L - R), ph = Math.max(10, h - T - B), slot = pw / n;
    panel.geom = { L, slot, n };
    // title
    ctx.fillStyle = theme.color;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.font = theme.font(compact ? 10 : 12, '600');
    let t = E === 1 ? `dense model (m = ${m})` : `expert ${e} (p_e = ${fmt(met.gateMean?.[e])})`;
    if (ctx.measureText(t).width > w - 2) t = `${e}: p_e ${fmt(met.gateMean?.[e])}`;
    ctx.fillText(t, Math.max(ctx.measureText(t).width / 2, Math.min(w - ctx.measureText(t).width / 2, L + pw / 2)), 1);
    // y grid + ticks
    ctx.font = theme.font(fs);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const ys = niceStep(yMax, compact ? 2 : ph > 120 ? 6 : 4);
    for (let v = 0; v <= yMax + 1e-9; v += ys) {
      const y = Math.round(T + ph - (v / yMax) * ph) + 0.5;
      ctx.strokeStyle = theme.grid;
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(L + pw, y); ctx.stroke();
      ctx.fillText(ys < 1 ? v.toFixed(1) : String(Math.round(v)), L - 3, y);
    }
    // bars
    const norms = met.norms[e], poly = met.polysemanticity[e], bw = Math.max(1, slot * 0.7);
    for (let i = 0; i < n; i++) {
      const v = Math.max(0, Math.min(yMax, norms[i] || 0)), bh = (v / yMax) * ph;
      ctx.fillStyle = viridisCss(poly[i]);
      ctx.fillRect(L + i * slot + (slot - bw) / 2, T + ph - bh, bw, Math.max(bh, v > 0 ? 0.5 : 0));
    }
    // dashed line at m: the features left of it could each have a dimension of their own
    if (m > 0 && m < n) {
      const x = Math.round(L + m * slot) + 0.5;
      ctx.save();
      ctx.strokeStyle = 'rgba(220, 50, 47, 0.85)';
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, T); ctx.lineTo(x, T + ph); ctx.stroke();
      ctx.restore();
    }
    // axes + x ticks
    ctx.strokeStyle = theme.color;
    ctx.globalAlpha = 0.7;
    ctx.beginPath(); ctx.moveTo(L + 0.5, T); ctx.lineTo(L + 0.5, T + ph + 0.5); ctx.lineTo(L + pw, T + ph + 0.5); ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.fillStyle = theme.color;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const xs = Math.max(1, niceStep(n, Math.max(2, Math.floor(pw / (compact ? 26 : 34)))));
    for (let i = 0; i < n; i += xs) ctx.fillText(String(i), L + (i + 0.5) * slot, T + ph + 2);
  }

  return viewLifecycle(container, {
    name: 'norms', title, draw,
    resized: () => snap && container.clientWidth !== width,
    update(snapshot, redraw) {
      snap = snapshot;
      if ((snapshot?.metrics ?? null) !== drawnMetrics) redraw();
    },
  });
}
