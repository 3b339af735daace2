// Keyboard use of a canvas drawn as panels of cell grids (the Figure 4 phase diagrams).
// The cells are pixels, not DOM nodes, so the canvas itself takes the focus and keeps a
// cursor (panel, row, column): arrow keys move it, Home/End go to the ends of the row (with
// Ctrl: the panel's first and last cell), Page Up/Down change panel, Enter or Space do what
// a click does, Escape hides the readout. The focused cell is outlined on the canvas (the
// chart calls drawn(ctx) at the end of every draw) and its readout is the hover tooltip,
// shown at the cell, mirrored as text in a status region for screen readers.
// Mouse use is unchanged: a focus that comes from a click shows nothing until a key is pressed.

const MOVES = {
  ArrowLeft: [0, 0, -1], ArrowRight: [0, 0, 1], ArrowUp: [0, -1, 0], ArrowDown: [0, 1, 0], PageUp: [-1, 0, 0], PageDown: [1, 0, 0],
};
const clamp = (v, hi) => Math.max(0, Math.min(hi, v));

/**
 * Make `canvas` keyboard-operable. panels() gives [{x, y, w, h, rows, cols}] in CSS px of the
 * canvas; lines(panel, row, col) the readout lines; open(panel, row, col) does what a click
 * does; redraw() draws the chart again (which calls drawn(ctx)).
 * @returns {{drawn(ctx: CanvasRenderingContext2D): void, moveTo(panel: number, row: number, col: number): void, pointer(ev: MouseEvent): boolean}}
 */
export function cellKeys(canvas, { wrap, tip, panels, lines, open, redraw }) {
  canvas.tabIndex = 0;
  // No DOM cells, hence no grid role: 'application' makes screen readers pass the keys through.
  canvas.setAttribute('role', 'application');
  const live = document.createElement('p');
  live.className = 'sr-only sw-readout';
  live.setAttribute('role', 'status');
  live.setAttribute('aria-atomic', 'true');
  wrap.append(live);

  let cur = null;        // {p, row, col}
  let active = false;    // keyboard in use: ring and readout shown
  let tipOn = false;     // the tooltip shows the focused cell (not the mouse's, not dismissed)
  let pressed = false;   // between pointerdown and pointerup: a focus now is the mouse's
  let lastXY = '';       // where the last mousemove was

  const fit = () => {
    const ps = panels();
    if (!ps.length) return null;
    cur ??= { p: 0, row: 0, col: 0 };
    cur.p = clamp(cur.p, ps.length - 1);
    const p = ps[cur.p];
    cur.row = clamp(cur.row, p.rows - 1);
    cur.col = clamp(cur.col, p.cols - 1);
    return { x: p.x + (cur.col * p.w) / p.cols, y: p.y + (cur.row * p.h) / p.rows, w: p.w / p.cols, h: p.h / p.rows };
  };

  // Scroll the cell to mid-screen when it is off screen or covered (the sticky run bar).
  function reveal(r) {
    const b = canvas.getBoundingClientRect(), cx = b.left + r.x + r.w / 2, cy = b.top + r.y + r.h / 2;
    const seen = cy >= 0 && cy < innerHeight && cx >= 0 && cx < innerWidth && document.elementFromPoint(cx, cy) === canvas;
    if (!seen) window.scrollBy(0, cy - innerHeight / 2);
  }

  function showTip(r, text) {
    const b = canvas.getBoundingClientRect();
    tip.el.setAttribute('aria-hidden', 'true');  // the status region below says it once
    tip.show(text.join('\n'), b.left + r.x + r.w, b.top + r.y);
  }

  // Show the focused cell: ring (by redrawing), tooltip and the screen readers' text.
  function show() {
    const r = fit();
    if (!r) return;
    active = true;
    redraw();
    reveal(r);
    tipOn = true;
    const text = lines(cur.p, cur.row, cur.col);
    showTip(r, text);
    live.textContent = text.join('. ');
  }

  function hide() {
    active = false;
    tipOn = false;
    tip.hide();
    live.textContent = '';
    redraw();
  }

  canvas.addEventListener('pointerdown', () => { pressed = true; if (active) hide(); });
  canvas.addEventListener('pointerup', () => { pressed = false; });
  canvas.addEventListener('focus', () => {
    let keyboard = true;
    try { keyboard = canvas.matches(':focus-visible'); } catch { /* older browsers: a focus without a press is the keyboard's */ }
    if (!pressed && keyboard) show();
    pressed = false;
  });
  canvas.addEventListener('blur', () => {
    if (document.activeElement === canvas) { tipOn = false; tip.hide(); return; }  // another window took the focus; back here, focus shows it again
    if (active || live.textContent) hide();
  });
  canvas.addEventListener('keydown', (ev) => {
    if (ev.altKey || ev.metaKey) return;
    const move = MOVES[ev.key];
    const act = ev.key === 'Enter' || ev.key === ' ';
    const edge = ev.key === 'Home' || ev.key === 'End';
    if (ev.ctrlKey && !edge) return;
    if (ev.key === 'Escape' && tipOn) { tipOn = false; tip.hide(); ev.preventDefault(); return; }
    if (!move && !act && !edge) return;
    ev.preventDefault();  // no page scroll
    if (!active) { show(); return; }  // the first key shows where the cursor is; it moves nothing
    if (act) {
      if (!ev.repeat && fit()) open(cur.p, cur.row, cur.col);
      return;
    }
    if (!fit()) return;
    if (move) {
      cur.p += move[0];
      cur.row += move[1];
      cur.col += move[2];
    } else {
      const last = ev.key === 'End';
      cur.col = last ? Infinity : 0;
      if (ev.ctrlKey) cur.row = last ? Infinity : 0;
    }
    show();
  });

  return {
    /** After each draw of the chart: the ring around the focused cell and a fresh tooltip. */
    drawn(ctx) {
      if (!active || document.activeElement !== canvas) return;
      const r = fit();
      if (!r) return;
      // Black outside, white inside: visible on white, grey, blue and red cells alike.
      const m = 2, cx = r.x + r.w / 2, cy = r.y + r.h / 2;
      const w = Math.max(r.w, 6) + 2 * m, h = Math.max(r.h, 6) + 2 * m;
      ctx.save();
      ctx.lineWidth = 3;
      ctx.strokeStyle = '#000';
      ctx.strokeRect(cx - w / 2, cy - h / 2, w, h);
      ctx.lineWidth = 1;
      ctx.strokeStyle = '#fff';
      ctx.strokeRect(cx - w / 2 + 2, cy - h / 2 + 2, w - 4, h - 4);
      ctx.restore();
      if (tipOn) showTip(r, lines(cur.p, cur.row, cur.col));  // new results, same cell: the screen readers' text stays
    },
    /** The cursor follows a click, so keys go on from the clicked cell. */
    moveTo(p, row, col) { cur = { p, row, col }; },
    /**
     * A mousemove: true when the chart is to show the mouse's tooltip (the keyboard's then stays
     * hidden until the next key). False for the move Chrome sends when the page scrolls under a
     * still mouse (same point) while the keys are in use, so reveal() does not hand the tooltip over.
     */
    pointer(ev) {
      const xy = `${ev.clientX},${ev.clientY}`, still = xy === lastXY;
      lastXY = xy;
      if (still && active) return false;
      tipOn = false;
      tip.el.removeAttribute('aria-hidden');
      return true;
    },
  };
}
