// Interference matrices per expert (the paper's "WᵀW"): cell (i, j) = Ŵ_i · W_j,
// coloured blue (−1) … grey (0) … red (+1), row i from the top, column j from the left.
import { diverging, drawColorBar, setupCanvas, niceStep, themeOf, panelShell, viewLifecycle, gridLayout } from './colormap.js';

export const id = 'interference';
export const title = 'Interference (WᵀW)';
export const explain = 'Cell (i, j) shows how much feature j leaks into feature i\'s read-out: grey means none, ' +
  'a red diagonal cell is a feature the model stores, and a blue pair off the diagonal is two features sharing ' +
  'one direction with opposite signs (superposition). Rows of ignored features look noisy: their tiny weights are scaled up to unit length.';

// 511-entry lookup of diverging() over [-1, 1]: the matrices can hold 64 x 100 x 100 cells.
const LUT = new Uint8Array(511 * 3);
for (let i = 0; i < 511; i++) LUT.set(diverging(i / 255 - 1), 3 * i);

const fmt = (v) => (Number.isFinite(v) ? (v < 0 ? `−${(-v).toFixed(3)}` : v.toFixed(3)) : String(v));

export function create(container, options = {}) {
  const { placeholder, barCanvas, grid, tooltip } = panelShell(container, 'interference', options.placeholder ?? 'Train to see which features interfere.');

  let panels = [];          // {canvas, e, off (n x n canvas), geom}
  let snap = null, drawnMetrics, width = 0;

  function ensurePanels(E) {
    if (panels.length === E) return;
    grid.replaceChildren();
    panels = Array.from({ length: E }, (_, e) => {
      const canvas = document.createElement('canvas');
      canvas.className = 'tm-panel';
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', E > 1 ? `interference matrix of expert ${e}` : 'interference matrix');
      const panel = { canvas, e, off: document.createElement('canvas'), img: null, geom: null };
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
    const j = Math.floor((ev.clientX - r.left - g.L) / g.cell), i = Math.floor((ev.clientY - r.top - g.T) / g.cell);
    if (i < 0 || j < 0 || i >= g.n || j >= g.n) return tooltip.hide();
    const who = met.interference.length > 1 ? `expert ${panel.e}: ` : '';
    tooltip.show(`${who}feature ${i} · feature ${j} = ${fmt(met.interference[panel.e][i][j])}`, ev.clientX, ev.clientY);
  }

  function draw() {
    const met = snap?.metrics;
    const ready = !!met?.interference?.length;
    placeholder.hidden = ready;
    barCanvas.hidden = !ready;
    grid.hidden = !ready;
    if (!ready) { tooltip.hide(); drawnMetrics = met ?? null; return; }
    drawnMetrics = met;
    const theme = themeOf(container), E = met.interference.length, n = met.interference[0].length;
    const compact = E > 12;
    width = container.clientWidth || 320;
    ensurePanels(E);
    const { cols, w, gap } = E === 1 ? { cols: 1, w: Math.min(width, 440), gap: 0 }
      : gridLayout(width, E, compact ? { minW: 110, gap: 8 } : { minW: width < 520 ? 150 : 200, maxW: 380, gap: width < 520 ? 8 : 12 });
    grid.style.gridTemplateColumns = `repeat(${cols}, ${w}px)`;
    grid.style.gap = `${gap}px`;

    const label = 'Ŵᵢ · Wⱼ', fontPx = 12, bw = Math.min(width, 380);
    const bctx = setupCanvas(barCanvas, bw, 30);
    bctx.font = theme.font(fontPx);
    const lw = bctx.measureText(label).width + 10;
    drawColorBar(bctx, { x: lw, y: 2, width: bw - lw - 10, height: 10, colorAt: (t) => diverging(2 * t - 1),
      min: -1, max: 1, ticks: [-1, -0.5, 0, 0.5, 1], tickLabels: ['≤ −1', '−0.5', '0', '0.5', '≥ 1'],
      label, font: theme.font(fontPx), color: theme.color });
    for (const p of panels) drawPanel(p, met, { w, n, compact, theme, E });
  }

  function drawPanel(panel, met, o) {
    const { w, n, compact, theme, E } = o, e = panel.e;
    const fs = compact ? 9 : 11, T = compact ? 14 : 20, L = compact ? 17 : 24, B = compact ? 12 : 16, R = 4;
    let side = Math.max(1, w - L - R);  // the panel's width, whatever n
    if (side / n >= 3) side = Math.floor(side / n) * n;  // whole pixels per cell when there is room
    const cell = side / n, h = T + side + B;
    panel.geom = { L, T, cell, n };

    // The matrix as an image of res x res pixels, scaled to the panel with crisp pixels: one
    // pixel per cell, or, when the cells outnumber the panel's device pixels, per block of
    // cells, showing the block's entry of largest |value| (so a stored feature's diagonal and
    // a superposed pair stay visible where sampling every k-th cell could miss them).
    const res = Math.min(n, Math.max(1, Math.floor(side * (globalThis.devicePixelRatio || 1))));
    const off = panel.off;
    if (off.width !== res) { off.width = res; off.height = res; panel.img = null; }
    const octx = off.getContext('2d');
    const img = panel.img ??= octx.createImageData(res, res), px = img.data, mat = met.interference[e];
    const paint = (a, v) => {
      const k = 3 * (v > -1 ? (v < 1 ? Math.round((v + 1) * 255) : 510) : v === v ? 0 : 255);
      px[a] = LUT[k]; px[a + 1] = LUT[k + 1]; px[a + 2] = LUT[k + 2]; px[a + 3] = 255;
    };
    // res = n: every block is one cell
    const block = Int32Array.from({ length: n }, (_, j) => Math.floor((j * res) / n));
    const top = new Float32Array(res * res), size = new Float32Array(res * res).fill(-1);
    for (let i = 0; i < n; i++) {
      const row = mat[i], base = block[i] * res;
      for (let j = 0; j < n; j++) {
        const v = row[j], b = base + block[j], m = v === v ? Math.abs(v) : Infinity;
        if (m > size[b]) { size[b] = m; top[b] = v; }
      }
    }
    for (let b = 0; b < res * res; b++) paint(4 * b, top[b]);
    octx.putImageData(img, 0, 0);

    const ctx = setupCanvas(panel.canvas, w, h);
    ctx.fillStyle = theme.color;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.font = theme.font(compact ? 10 : 12, '600');
    let t = E === 1 ? 'dense model' : `expert ${e} (p_e = ${Number.isFinite(met.gateMean?.[e]) ? met.gateMean[e].toFixed(2) : '–'})`;
    if (ctx.measureText(t).width > w - 2) t = `expert ${e}`;
    const tw = ctx.measureText(t).width;
    ctx.fillText(t, Math.max(tw / 2, Math.min(w - tw / 2, L + side / 2)), compact ? 1 : 3);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, L, T, side, side);
    ctx.strokeStyle = theme.color;
    ctx.globalAlpha = 0.6;
    ctx.strokeRect(L - 0.5, T - 0.5, side + 1, side + 1);
    ctx.globalAlpha = 1;
    // ticks every few features: rows on the left, columns below
    ctx.font = theme.font(fs);
    const step = Math.max(1, niceStep(n, Math.max(2, Math.floor(side / (compact ? 24 : 30)))));
    for (let i = 0; i < n; i += step) {
      const c = (i + 0.5) * cell;
      ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
      ctx.fillText(String(i), L - 3, T + c);
      ctx.textAlign = 'center'; ctx.textBaseline = 'top';
      ctx.fillText(String(i), L + c, T + side + 2);
    }
  }

  return viewLifecycle(container, {
    name: 'interference', title, draw,
    resized: () => snap && container.clientWidth !== width,
    update(snapshot, redraw) {
      snap = snapshot;
      if ((snapshot?.metrics ?? null) !== drawnMetrics) redraw();
    },
  });
}
