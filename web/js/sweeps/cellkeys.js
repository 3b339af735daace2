// Keyboard use of the sweep charts, which are drawn on canvases: their cells, points and boxes
// are pixels, not DOM nodes, so the canvas itself takes the focus and keeps a cursor that the
// keys move. Two layouts share the same focus, outline, readout and Enter handling (chartKeys):
// - cellKeys: panels of cell grids (Figure 4): arrow keys move in the grid, Home/End go to the
//   ends of the row (with Ctrl: the panel's first and last cell), Page Up/Down change panel;
// - itemKeys: items along lines (Figures 3 and 7: points; Figure 8: boxes, one line):
//   Left/Right (Home/End) along the line, Up/Down to the nearest item above or below at about
//   the same x on another line.
// Enter or Space do what a click does (when a click does something), Escape hides the readout.
// The focused item is outlined on the canvas (the chart calls drawn(ctx) at the end of every
// draw) and its readout is the hover tooltip, shown at the item, mirrored as text in a status
// region for screen readers.
// Mouse use is unchanged: a focus that comes from a click shows nothing until a key is pressed.

const clamp = (v, hi) => Math.max(0, Math.min(hi, v));
let noteIds = 0;

/**
 * The shared part. nav knows the layout: fit(cur) -> {cur, rect} (the cursor clamped to what
 * is drawn now, null for the first item; rect in CSS px of the canvas) or null when there is
 * nothing to focus; handles(key, ctrl) -> whether the key moves the cursor in this chart;
 * step(cur, key, ctrl) -> the new cursor. lines(cur) gives the readout lines, open(cur) (optional)
 * does what a click does, redraw() draws the chart again (which calls drawn(ctx)), empty()
 * (optional) the readout when there is nothing to focus. note: the chart's note, which then
 * describes the canvas (aria-describedby).
 */
function chartKeys(canvas, { wrap, tip, note, roledescription, nav, lines, open, redraw, empty }) {
  canvas.tabIndex = 0;
  // No DOM cells, hence no grid role: 'application' makes screen readers pass the keys through.
  canvas.setAttribute('role', 'application');
  if (roledescription) canvas.setAttribute('aria-roledescription', roledescription);
  if (note) {
    note.id ||= `sw-chart-note-${++noteIds}`;
    canvas.setAttribute('aria-describedby', note.id);
  }
  const live = document.createElement('p');
  live.className = 'sr-only sw-readout';
  live.setAttribute('role', 'status');
  live.setAttribute('aria-atomic', 'true');
  wrap.append(live);

  let cur = null;        // the layout's cursor
  let active = false;    // keyboard in use: ring and readout shown
  let tipOn = false;     // the tooltip shows the focused item (not the mouse's, not dismissed)
  let pressed = false;   // between pointerdown and pointerup: a focus now is the mouse's
  let lastXY = '';       // where the last mousemove was

  const fit = () => {
    const f = nav.fit(cur);
    if (f) cur = f.cur;
    return f?.rect ?? null;
  };

  // Scroll the item to mid-screen when it is off screen or covered (the sticky run bar).
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

  // Show the focused item: ring (by redrawing), tooltip and the screen readers' text.
  function show() {
    const r = fit();
    if (!r) {  // nothing drawn yet: say so, rather than nothing (the next key looks again)
      if (empty) live.textContent = empty();
      return;
    }
    active = true;
    redraw();
    reveal(r);
    tipOn = true;
    const text = lines(cur);
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
    if (ev.key === 'Escape' && tipOn) { tipOn = false; tip.hide(); ev.preventDefault(); return; }
    // Enter and Space only where a click does something; otherwise they stay the browser's.
    const act = !!open && !ev.ctrlKey && (ev.key === 'Enter' || ev.key === ' ');
    if (!act && !nav.handles(ev.key, ev.ctrlKey)) return;
    ev.preventDefault();  // no page scroll
    if (!active) { show(); return; }  // the first key shows where the cursor is; it moves nothing
    if (!fit()) return;
    if (act) {
      if (!ev.repeat) open(cur);
      return;
    }
    cur = nav.step(cur, ev.key, ev.ctrlKey);
    show();
  });

  return {
    /** After each draw of the chart: the ring around the focused item and a fresh tooltip. */
    drawn(ctx) {
      if (!active || document.activeElement !== canvas) return;
      const r = fit();
      if (!r) return;
      // Black outside, white inside: visible on white, grey, blue and red alike.
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
      if (tipOn) showTip(r, lines(cur));  // new results, same item: the screen readers' text stays
    },
    /** The cursor follows a click, so keys go on from the clicked item. */
    moveTo(c) { cur = c; },
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

const GRID_MOVES = {
  ArrowLeft: [0, 0, -1], ArrowRight: [0, 0, 1], ArrowUp: [0, -1, 0], ArrowDown: [0, 1, 0], PageUp: [-1, 0, 0], PageDown: [1, 0, 0],
};

/**
 * Make `canvas`, drawn as panels of cell grids, keyboard-operable. panels() gives
 * [{x, y, w, h, rows, cols}] in CSS px of the canvas; lines(panel, row, col) the readout lines;
 * open(panel, row, col) does what a click does; redraw() draws the chart again (which calls drawn(ctx)).
 * @returns {{drawn(ctx: CanvasRenderingContext2D): void, moveTo(panel: number, row: number, col: number): void, pointer(ev: MouseEvent): boolean}}
 */
export function cellKeys(canvas, { panels, lines, open, ...rest }) {
  const nav = {
    fit(cur) {
      const ps = panels();
      if (!ps.length) return null;
      const p = clamp(cur?.p ?? 0, ps.length - 1), P = ps[p];
      const row = clamp(cur?.row ?? 0, P.rows - 1), col = clamp(cur?.col ?? 0, P.cols - 1);
      return { cur: { p, row, col }, rect: { x: P.x + (col * P.w) / P.cols, y: P.y + (row * P.h) / P.rows, w: P.w / P.cols, h: P.h / P.rows } };
    },
    handles: (key, ctrl) => (ctrl ? key === 'Home' || key === 'End' : key in GRID_MOVES || key === 'Home' || key === 'End'),
    step(cur, key, ctrl) {
      const c = { ...cur }, move = GRID_MOVES[key];
      if (move) {
        c.p += move[0];
        c.row += move[1];
        c.col += move[2];
      } else {
        const last = key === 'End';
        c.col = last ? Infinity : 0;
        if (ctrl) c.row = last ? Infinity : 0;
      }
      return c;  // clamped by the next fit
    },
  };
  const keys = chartKeys(canvas, {
    ...rest, nav,
    lines: (c) => lines(c.p, c.row, c.col),
    open: open && ((c) => open(c.p, c.row, c.col)),
  });
  return { ...keys, moveTo: (p, row, col) => keys.moveTo({ p, row, col }) };
}

/**
 * Make `canvas`, drawn as lines of items (points of a line chart, the boxes of a box plot),
 * keyboard-operable. series() gives the items drawn now: one array per line (may be empty), each
 * item {id, rect: {x, y, w, h}} in CSS px of the canvas, in the order of Left/Right; the cursor
 * keeps to an item by its id while results come in. readout(item) gives the readout lines,
 * open(item) (optional) does what a click does, empty() (optional) the readout with no items.
 * Up/Down (when there are several lines) go to the item on another line nearest in x whose
 * centre is the next above or below.
 * @returns {{drawn(ctx: CanvasRenderingContext2D): void, moveTo(line: number, id: unknown): void, pointer(ev: MouseEvent): boolean}}
 */
export function itemKeys(canvas, { series, readout, open, ...rest }) {
  const mid = (it) => ({ x: it.rect.x + it.rect.w / 2, y: it.rect.y + it.rect.h / 2 });
  const nav = {
    fit(cur) {
      const ls = series();
      if (!ls.some((l) => l.length)) return null;
      // The cursor's line, else the nearest line with items (a line can be empty while results come in).
      let s = clamp(cur?.s ?? 0, ls.length - 1);
      for (let d = 0; !ls[s].length; d++) {
        if (ls[s - d]?.length) s -= d;
        else if (ls[s + d]?.length) s += d;
      }
      const l = ls[s];
      let i = cur && cur.s === s ? l.findIndex((it) => it.id === cur.id) : -1;
      if (i < 0) i = clamp(cur?.i ?? 0, l.length - 1);
      return { cur: { s, id: l[i].id, i, item: l[i] }, rect: l[i].rect };
    },
    handles(key, ctrl) {
      if (ctrl && key !== 'Home' && key !== 'End') return false;  // Ctrl+arrows stay the browser's, as in cellKeys
      if (key === 'ArrowLeft' || key === 'ArrowRight' || key === 'Home' || key === 'End') return true;
      // Up/Down in a single line would go nowhere: they stay the page's (scrolling).
      return (key === 'ArrowUp' || key === 'ArrowDown') && series().filter((l) => l.length).length > 1;
    },
    step(cur, key) {
      const ls = series(), l = ls[cur.s];
      if (key === 'ArrowLeft' || key === 'ArrowRight' || key === 'Home' || key === 'End') {
        const i = key === 'Home' ? 0 : key === 'End' ? l.length - 1 : clamp(cur.i + (key === 'ArrowRight' ? 1 : -1), l.length - 1);
        return { s: cur.s, id: l[i].id, i };
      }
      // Up/Down: on every other line the item nearest in x; of those, the nearest above (below).
      // Equal heights (lines drawn on top of each other) are ordered by line, so none is skipped.
      const up = key === 'ArrowUp', at = mid(cur.item);
      let best = null;
      ls.forEach((other, s) => {
        if (s === cur.s || !other.length) return;
        let k = 0;
        other.forEach((it, j) => { if (Math.abs(mid(it).x - at.x) < Math.abs(mid(other[k]).x - at.x)) k = j; });
        const dy = up ? at.y - mid(other[k]).y : mid(other[k]).y - at.y, ds = up ? cur.s - s : s - cur.s;
        if (dy < 0 || (dy === 0 && ds < 0)) return;  // the other way
        if (!best || dy < best.dy || (dy === best.dy && ds < best.ds)) best = { dy, ds, cur: { s, id: other[k].id, i: k } };
      });
      return best?.cur ?? cur;  // nothing above (below): stay
    },
  };
  const keys = chartKeys(canvas, {
    ...rest, nav,
    lines: (c) => readout(c.item),
    open: open && ((c) => open(c.item)),
  });
  return { ...keys, moveTo: (s, id) => keys.moveTo({ s, id, i: 0 }) };
}
