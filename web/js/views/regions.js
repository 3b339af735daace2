// Router regions (the paper's Figure 5): which expert the router picks (top-1) for every
// input of the unit square (n = 2) or of the simplex x1 + x2 + x3 = 1 (n = 3).
import { expertColor, css, setupCanvas, themeOf, viewLifecycle } from './colormap.js';

export const id = 'regions';
export const title = 'Router regions';
export const explain = 'Every point is a possible input; its colour is the expert the router sends it to. ' +
  'Scaling an input up or down never changes its expert, so each region is a wedge from the origin.';

const H = 0.8660254;  // simplex height in raster units (engine: corners (0,1) x1, (1,1) x2, (0.5,1-H) x3)
const lossText = (v) => (!Number.isFinite(v) ? 'loss –' : `loss ${v >= 0.001 ? v.toFixed(4) : v.toExponential(2)}`);

export function create(container, options = {}) {
  container.classList.add('tm-view', 'tm-view-regions');
  const placeholder = document.createElement('p');
  placeholder.className = 'tm-placeholder';
  const canvas = document.createElement('canvas');
  canvas.className = 'tm-regions-canvas';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', 'router regions: the expert chosen for each input');
  const loss = document.createElement('p');
  loss.className = 'tm-regions-loss';
  const note = document.createElement('p');
  note.className = 'tm-view-note';
  container.append(placeholder, canvas, loss, note);
  const off = document.createElement('canvas');

  let snap = null, drawnCells, drawnKey, width = 0;
  const keyOf = (c) => (c ? `${c.n}/${c.experts}/${c.k}/${c.load_balance}` : '');

  const setText = (el, text) => {
    if (el.textContent !== text) el.textContent = text;
    el.hidden = !text;
  };

  function notes(cfg) {
    const n = cfg?.n;
    if (n !== 2 && n !== 3) return '';
    if (cfg.k === 1 && !cfg.load_balance && cfg.experts > 1) {
      return 'With k = 1 the router gets no gradient from the loss: these regions stay where they were initialised.';
    }
    if (cfg.k > 1) return `Colours show each input's first choice; with k = ${cfg.k} it is also sent to its next ${cfg.k - 1 === 1 ? 'choice' : `${cfg.k - 1} choices`}.`;
    return '';
  }

  function draw() {
    const cfg = snap?.config, n = cfg?.n, reg = snap?.regions;
    const drawable = n === 2 || n === 3;
    drawnCells = reg?.cells ?? null;
    drawnKey = keyOf(cfg);
    const ready = drawable && !!reg?.cells?.length;
    setText(placeholder, ready ? '' : !cfg || drawable ? (options.placeholder ?? 'Train to see the router regions.')
      : `Router regions are drawn for n = 2 or 3; this model has n = ${n} features.`);
    canvas.hidden = !ready;
    setText(loss, ready ? lossText(snap.metrics?.loss ?? snap.loss) : '');
    setText(note, notes(cfg));
    if (!ready) return;

    const theme = themeOf(container), g = reg.grid, cells = reg.cells;
    let E = cfg.experts ?? 0;
    if (!E) for (const c of cells) E = Math.max(E, c + 1);
    width = container.clientWidth || 320;
    // raster -> offscreen canvas (transparent outside the simplex)
    if (off.width !== g) { off.width = g; off.height = g; }
    const octx = off.getContext('2d'), img = octx.createImageData(g, g), px = img.data;
    const count = new Float64Array(E);
    let inside = 0;
    const colors = Array.from({ length: E }, (_, e) => expertColor(e));
    for (let i = 0; i < cells.length; i++) {
      const e = cells[i];
      if (e < 0 || e >= E) continue;
      const c = colors[e], a = 4 * i;
      px[a] = c[0]; px[a + 1] = c[1]; px[a + 2] = c[2]; px[a + 3] = 255;
      count[e]++; inside++;
    }
    octx.putImageData(img, 0, 0);

    // layout: legend right of the plot when there is room, else below it
    const present = [...count.keys()].filter((e) => count[e] > 0);
    const fs = 12, rowH = 18, legendW = 140;
    const side = Math.max(120, Math.min(340, (width >= 480 ? width - legendW - 60 : width - 60)));
    const L = n === 2 ? 56 : 24, T = n === 2 ? 10 : 20, B = n === 2 ? 38 : 22;
    const wide = width >= L + side + 24 + legendW;
    const legendRows = present.length;
    const cw = wide ? L + side + 24 + legendW : Math.min(width, L + side + 24);
    // n = 3: the raster's rows above the apex are empty; shift it up by that much
    const lift = n === 3 ? Math.floor(side * (1 - H)) : 0, plotH = side - lift;
    const ch = wide ? Math.max(T + plotH + B, T + legendRows * rowH) : T + plotH + B + 8 + Math.ceil(legendRows / 2) * rowH;
    const ctx = setupCanvas(canvas, cw, ch);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, L, T - lift, side, side);
    ctx.strokeStyle = theme.color;
    ctx.fillStyle = theme.color;
    ctx.lineWidth = 1;
    ctx.font = theme.font(fs);
    if (n === 2) {
      ctx.globalAlpha = 0.7;
      ctx.strokeRect(L - 0.5, T - 0.5, side + 1, side + 1);
      ctx.globalAlpha = 1;
      ctx.textAlign = 'center'; ctx.textBaseline = 'top';
      for (const [v, s] of [[0, '0'], [0.5, '0.5'], [1, '1']]) {
        const x = L + v * side, y = T + side - v * side;
        ctx.beginPath(); ctx.moveTo(x, T + side); ctx.lineTo(x, T + side + 4); ctx.moveTo(L, y); ctx.lineTo(L - 4, y); ctx.stroke();
        ctx.textAlign = 'center'; ctx.textBaseline = 'top';
        ctx.fillText(s, x, T + side + 6);
        ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
        ctx.fillText(s, L - 6, y);
      }
      ctx.font = theme.font(fs + 2, 'italic');
      ctx.textAlign = 'center'; ctx.textBaseline = 'top';
      ctx.fillText('x₁', L + side / 2, T + side + 20);
      ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
      ctx.fillText('x₂', 4, T + side / 2);
    } else {
      const p1 = [L, T + plotH], p2 = [L + side, T + plotH], p3 = [L + side / 2, T + plotH - side * H];
      ctx.globalAlpha = 0.7;
      ctx.beginPath(); ctx.moveTo(...p1); ctx.lineTo(...p2); ctx.lineTo(...p3); ctx.closePath(); ctx.stroke();
      ctx.globalAlpha = 1;
      ctx.font = theme.font(fs + 2, 'italic');
      ctx.textBaseline = 'top';
      ctx.textAlign = 'center';
      ctx.fillText('x₁ = 1', p1[0], p1[1] + 4);
      ctx.fillText('x₂ = 1', p2[0], p2[1] + 4);
      ctx.textBaseline = 'bottom';
      ctx.fillText('x₃ = 1', p3[0], p3[1] - 3);
    }
    // legend
    ctx.font = theme.font(fs);
    ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
    present.forEach((e, r) => {
      const x = wide ? L + side + 24 : L + (r % 2) * Math.min(150, side / 2);
      const y = wide ? T + r * rowH + rowH / 2 : T + plotH + B + 8 + Math.floor(r / 2) * rowH + rowH / 2;
      ctx.fillStyle = css(colors[e]);
      ctx.fillRect(x, y - 6, 12, 12);
      ctx.fillStyle = theme.color;
      ctx.fillText(`expert ${e} · ${Math.round((100 * count[e]) / inside)}%`, x + 18, y);
    });
  }

  return viewLifecycle(container, {
    name: 'regions', title, draw,
    resized: () => snap && container.clientWidth !== width,
    update(snapshot, redraw) {
      snap = snapshot;
      if ((snapshot?.regions?.cells ?? null) !== drawnCells || keyOf(snapshot?.config) !== drawnKey) return redraw();
      // cheap path: only the loss line and notes may have changed
      if (!canvas.hidden) setText(loss, lossText(snapshot.metrics?.loss ?? snapshot.loss));
    },
  });
}
