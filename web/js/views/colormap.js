// Colours and small drawing helpers shared by the views (no view logic here).
//
//   viridis(t)      t in [0, 1] -> [r, g, b] (matplotlib's viridis, all 256 entries)
//   diverging(v)    v in [-1, 1] -> [r, g, b] (matplotlib's coolwarm, as the paper's WᵀW)
//   expertColor(e)  -> [r, g, b] (matplotlib's tab10, then golden-angle hues beyond 10)
//   css(rgb)        -> 'rgb(r, g, b)'
//   drawColorBar(ctx, {...})   a horizontal or vertical colour bar with ticks and a label
//   setupCanvas, niceStep, themeOf, makeTooltip, viewToPNG: canvas plumbing for the views.

// matplotlib's _viridis_data (CC0), 256 entries as rrggbb.
const VIRIDIS_HEX =
  '44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769' +
  '48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a' +
  '472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85' +
  '4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b' +
  '3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d' +
  '33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e' +
  '2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e' +
  '26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d' +
  '21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88' +
  '1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81' +
  '28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74' +
  '3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863' +
  '5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d' +
  '84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32' +
  'addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a' +
  'd8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725';
const VIRIDIS = new Uint8Array(256 * 3);
for (let i = 0; i < 256 * 3; i++) VIRIDIS[i] = parseInt(VIRIDIS_HEX.substr(2 * i, 2), 16);

// Moreland's "cool to warm" map (matplotlib coolwarm), 33 control points from -1 to 1.
const COOLWARM = [
  [59, 76, 192], [68, 90, 204], [77, 104, 215], [87, 117, 225], [98, 130, 234], [108, 142, 241],
  [119, 154, 247], [130, 165, 251], [141, 176, 254], [152, 185, 255], [163, 194, 255], [174, 201, 253],
  [184, 208, 249], [194, 213, 244], [204, 217, 238], [213, 219, 230], [221, 221, 221], [229, 216, 209],
  [236, 211, 197], [241, 204, 185], [245, 196, 173], [247, 187, 160], [247, 177, 148], [247, 166, 135],
  [244, 154, 123], [241, 141, 111], [236, 127, 99], [229, 112, 88], [222, 96, 77], [213, 80, 66],
  [203, 62, 56], [192, 40, 47], [180, 4, 38],
];

// matplotlib tab10 (the paper's expert colours: blue, orange, green, ...).
const TAB10 = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

const clamp01 = (t) => (t > 0 ? (t < 1 ? t : 1) : 0);  // NaN -> 0

/** viridis(t): t in [0, 1] (clipped; NaN -> 0) -> [r, g, b] integers 0..255. */
export function viridis(t) {
  const x = clamp01(t) * 255, i = Math.min(254, Math.floor(x)), f = x - i, a = 3 * i;
  return [0, 1, 2].map((c) => Math.round(VIRIDIS[a + c] + f * (VIRIDIS[a + 3 + c] - VIRIDIS[a + c])));
}

/** diverging(v): v in [-1, 1] (clipped; NaN -> 0) -> [r, g, b]; blue < 0, light grey at 0, red > 0. */
export function diverging(v) {
  const x = clamp01((Number.isNaN(v) ? 0 : v) * 0.5 + 0.5) * 32, i = Math.min(31, Math.floor(x)), f = x - i;
  const lo = COOLWARM[i], hi = COOLWARM[i + 1];
  return [0, 1, 2].map((c) => Math.round(lo[c] + f * (hi[c] - lo[c])));
}

/** expertColor(e) -> [r, g, b]: tab10 for e < 10, then well-spread hues (any e >= 0). */
export function expertColor(e) {
  if (e >= 0 && e < TAB10.length) return TAB10[e].slice();
  const h = ((e * 137.508) % 360) / 360, s = 0.55, l = e % 2 ? 0.42 : 0.6;
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;
  const ch = (t) => {
    t = (t + 1) % 1;
    const v = t < 1 / 6 ? p + (q - p) * 6 * t : t < 0.5 ? q : t < 2 / 3 ? p + (q - p) * (2 / 3 - t) * 6 : p;
    return Math.round(v * 255);
  };
  return [ch(h + 1 / 3), ch(h), ch(h - 1 / 3)];
}

/** [r, g, b] -> 'rgb(r, g, b)'. */
export const css = (rgb) => `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;

const VIRIDIS_CSS = Array.from({ length: 256 }, (_, i) => css(VIRIDIS.subarray(3 * i, 3 * i + 3)));
/** viridisCss(t): the CSS colour of viridis(t), from a 256-entry table (cheap in draw loops). */
export const viridisCss = (t) => VIRIDIS_CSS[Math.round(clamp01(t) * 255)];

/**
 * Draw a colour bar on a 2-D context (in CSS pixels).
 * @param {CanvasRenderingContext2D} ctx
 * @param {{x: number, y: number, width: number, height: number, colorAt: (t: number) => number[],
 *   min?: number, max?: number, ticks?: number[], tickLabels?: string[], label?: string,
 *   orientation?: 'horizontal'|'vertical', font?: string, color?: string}} o
 *   colorAt gets t in [0, 1] (min -> max). Horizontal: ticks below the bar, the label left
 *   of it; vertical: min at the bottom, ticks right of the bar and the label rotated beyond them.
 */
export function drawColorBar(ctx, o) {
  const { x, y, width: w, height: h, colorAt, min = 0, max = 1, ticks = [min, max] } = o;
  const vertical = o.orientation === 'vertical', len = Math.max(1, Math.round(vertical ? h : w));
  const labels = o.tickLabels ?? ticks.map((t) => String(t));
  const color = o.color ?? '#222', font = o.font ?? '11px system-ui, sans-serif';
  ctx.save();
  for (let i = 0; i < len; i++) {
    ctx.fillStyle = css(colorAt((i + 0.5) / len));
    if (vertical) ctx.fillRect(x, y + h - (i + 1) * (h / len), w, h / len + 0.5);
    else ctx.fillRect(x + i * (w / len), y, w / len + 0.5, h);
  }
  ctx.strokeStyle = color;
  ctx.globalAlpha = 0.6;
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
  ctx.globalAlpha = 1;
  ctx.fillStyle = color;
  ctx.font = font;
  let extent = 0;
  ticks.forEach((t, i) => {
    const f = (t - min) / (max - min || 1);
    ctx.beginPath();
    if (vertical) {
      const ty = y + h - f * h;
      ctx.moveTo(x + w, ty); ctx.lineTo(x + w + 4, ty); ctx.stroke();
      ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
      ctx.fillText(labels[i], x + w + 6, ty);
      extent = Math.max(extent, ctx.measureText(labels[i]).width);
    } else {
      const tx = x + f * w;
      ctx.moveTo(tx, y + h); ctx.lineTo(tx, y + h + 4); ctx.stroke();
      ctx.textAlign = f <= 0.001 ? 'left' : f >= 0.999 ? 'right' : 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(labels[i], Math.round(f <= 0.001 ? x : f >= 0.999 ? x + w : tx), y + h + 6);
    }
  });
  if (o.label) {
    if (vertical) {
      ctx.translate(x + w + 12 + extent, y + h / 2);
      ctx.rotate(Math.PI / 2);
      ctx.textAlign = 'center'; ctx.textBaseline = 'bottom';
      ctx.fillText(o.label, 0, 0);
    } else {  // left of the bar: the caller leaves room (measure it with ctx.measureText)
      ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
      ctx.fillText(o.label, x - 8, y + h / 2);
    }
  }
  ctx.restore();
}

/** Size a canvas to cssW x cssH CSS pixels at the device pixel ratio; returns its context (CSS-pixel units). */
export function setupCanvas(canvas, cssW, cssH) {
  const dpr = Math.min(3, globalThis.devicePixelRatio || 1);
  const w = Math.max(1, Math.round(cssW * dpr)), h = Math.max(1, Math.round(cssH * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  if (canvas.style.width !== `${cssW}px`) canvas.style.width = `${cssW}px`;
  if (canvas.style.height !== `${cssH}px`) canvas.style.height = `${cssH}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  return ctx;
}

/** Columns and panel width for `count` panels of at least minW (at most maxW) in `width` CSS px. */
export function gridLayout(width, count, { minW = 240, maxW = Infinity, gap = 12 } = {}) {
  const cols = Math.max(1, Math.min(count, Math.floor((width + gap) / (minW + gap))));
  const w = Math.max(60, Math.min(maxW, Math.floor((width - gap * (cols - 1)) / cols)));
  return { cols, w, gap };
}

/** A "nice" tick step (1, 2, 5 x 10^k) of at least span / maxTicks. */
export function niceStep(span, maxTicks) {
  const raw = span / Math.max(1, maxTicks), p = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** Text colour and font family of an element (so canvases match the page). */
export function themeOf(el) {
  const s = getComputedStyle(el);
  return {
    color: s.color || '#222',
    family: s.fontFamily || 'system-ui, sans-serif',
    grid: 'rgba(128, 128, 128, 0.28)',
    font: (px, weight = '') => `${weight ? `${weight} ` : ''}${px}px ${s.fontFamily || 'system-ui, sans-serif'}`,
  };
}

/** A hover tooltip (a DOM element with textContent) positioned inside `container`. */
export function makeTooltip(container) {
  const tip = document.createElement('div');
  tip.className = 'tm-tooltip';
  tip.hidden = true;
  tip.setAttribute('role', 'status');
  container.appendChild(tip);
  return {
    el: tip,
    show(text, clientX, clientY) {
      if (tip.textContent !== text) tip.textContent = text;
      tip.hidden = false;
      const box = container.getBoundingClientRect();
      const tw = tip.offsetWidth, th = tip.offsetHeight;
      let left = clientX - box.left + 12, top = clientY - box.top - th - 10;
      if (left + tw > box.width) left = Math.max(0, clientX - box.left - tw - 12);
      if (top < 0) top = clientY - box.top + 16;
      tip.style.left = `${Math.round(left)}px`;
      tip.style.top = `${Math.round(top)}px`;
    },
    hide() { tip.hidden = true; },
  };
}

function visible(el) {
  if (el.hidden || el.classList?.contains('tm-tooltip')) return false;
  const s = getComputedStyle(el);
  return s.display !== 'none' && s.visibility !== 'hidden' && el.getClientRects().length > 0;
}

function opaque(color) {
  return color && color !== 'transparent' && !/rgba\([^)]*,\s*0\)$/.test(color);
}

function pageBackground(el) {
  for (let e = el; e; e = e.parentElement) {
    const bg = getComputedStyle(e).backgroundColor;
    if (opaque(bg)) return bg;
  }
  return '#ffffff';
}

/**
 * A PNG data URL of everything drawn inside `container`: backgrounds, borders, canvases
 * and text (word by word, where the browser laid it out), under an optional title line.
 * Good for the views' own DOM, which is plain boxes, text and canvases. Scale = the
 * device pixel ratio, the resolution the canvases were drawn at.
 */
export function viewToPNG(container, { title = '', scale = Math.max(1, globalThis.devicePixelRatio || 1), pad = 10 } = {}) {
  const root = container.getBoundingClientRect();
  const head = title ? 26 : 0;
  const W = Math.ceil(Math.max(root.width, container.scrollWidth)) + 2 * pad;
  const H = Math.ceil(Math.max(root.height, container.scrollHeight)) + 2 * pad + head;
  const out = document.createElement('canvas');
  out.width = Math.round(W * scale);
  out.height = Math.round(H * scale);
  const ctx = out.getContext('2d');
  ctx.scale(scale, scale);
  ctx.fillStyle = pageBackground(container);
  ctx.fillRect(0, 0, W, H);
  if (title) {
    const s = getComputedStyle(container);
    ctx.fillStyle = s.color;
    ctx.font = `600 16px ${s.fontFamily}`;
    ctx.textBaseline = 'top';
    ctx.fillText(title, pad, pad);
  }
  const ox = pad - root.left, oy = pad + head - root.top;
  const range = document.createRange();
  const walk = (el) => {
    if (!visible(el)) return;
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    if (el !== container && opaque(s.backgroundColor)) {
      ctx.fillStyle = s.backgroundColor;
      ctx.fillRect(r.left + ox, r.top + oy, r.width, r.height);
    }
    const L = r.left + ox, T = r.top + oy;
    for (const side of ['Top', 'Right', 'Bottom', 'Left']) {
      const bw = parseFloat(s[`border${side}Width`]);
      if (!(bw > 0) || s[`border${side}Style`] === 'none' || !opaque(s[`border${side}Color`])) continue;
      ctx.fillStyle = s[`border${side}Color`];
      if (side === 'Top') ctx.fillRect(L, T, r.width, bw);
      else if (side === 'Bottom') ctx.fillRect(L, T + r.height - bw, r.width, bw);
      else if (side === 'Left') ctx.fillRect(L, T, bw, r.height);
      else ctx.fillRect(L + r.width - bw, T, bw, r.height);
    }
    if (el instanceof HTMLCanvasElement) {
      if (el.width && el.height) ctx.drawImage(el, r.left + ox, r.top + oy, r.width, r.height);
      return;
    }
    for (const node of el.childNodes) {
      if (node.nodeType === 1) { walk(node); continue; }
      if (node.nodeType !== 3 || !node.textContent.trim()) continue;
      ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      ctx.fillStyle = s.color;
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'left';
      const text = node.textContent;
      // str starting at `from` in the node, drawn where the browser laid it out; false when the
      // browser broke it across lines (then nothing is drawn)
      const put = (from, str, whole = false) => {
        range.setStart(node, from);
        range.setEnd(node, from + str.length);
        if (!whole && range.getClientRects().length > 1) return false;
        const wr = range.getBoundingClientRect();
        if (wr.width > 0) ctx.fillText(str, wr.left + ox, wr.top + oy + wr.height / 2);
        return true;
      };
      for (const m of text.matchAll(/\S+/g)) {  // word by word: follows the browser's line wrapping
        if (put(m.index, m[0])) continue;
        // a word the browser broke across lines ("(0–100" at its dash): character by character
        let at = m.index;
        for (const ch of m[0]) { put(at, ch, true); at += ch.length; }
      }
    }
  };
  walk(container);
  return out.toDataURL('image/png');
}

/**
 * The lifecycle the canvas views share; returns their {update, toPNG, destroy}.
 * - draw(): (re)draws from the view's latest snapshot. It runs once now, then on the next
 *   animation frame whenever the container is resized and resized() says so (there is a
 *   snapshot and the width differs from the one draw() laid out at).
 * - update(snapshot, redraw): stores the snapshot and calls redraw() when it must be drawn again.
 * - destroy() stops observing, cancels a pending frame, empties the container and removes
 *   the classes 'tm-view' and `tm-view-${name}`.
 */
/**
 * The DOM of a per-expert panel view: a placeholder, a colour bar canvas, a grid of panels
 * and a tooltip, in a container marked tm-view tm-view-<name>.
 */
export function panelShell(container, name, placeholderText) {
  container.classList.add('tm-view', `tm-view-${name}`);
  const placeholder = document.createElement('p');
  placeholder.className = 'tm-placeholder';
  placeholder.textContent = placeholderText;
  const barCanvas = document.createElement('canvas');
  barCanvas.className = 'tm-colorbar';
  const grid = document.createElement('div');
  grid.className = 'tm-panels';
  container.append(placeholder, barCanvas, grid);
  return { placeholder, barCanvas, grid, tooltip: makeTooltip(container) };
}

export function viewLifecycle(container, { name, title, draw, resized, update }) {
  let raf = 0;
  const redraw = () => { raf = 0; draw(); };
  const ro = new ResizeObserver(() => {
    if (!raf && resized()) raf = requestAnimationFrame(redraw);
  });
  ro.observe(container);
  redraw();
  return {
    update(snapshot) { update(snapshot, redraw); },
    toPNG() { return viewToPNG(container, { title }); },
    destroy() {
      ro.disconnect();
      if (raf) cancelAnimationFrame(raf);
      container.replaceChildren();
      container.classList.remove('tm-view', `tm-view-${name}`);
    },
  };
}
