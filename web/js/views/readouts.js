// Numbers at a glance (SPEC section 6): features per dimension, capacity, and how each
// expert treats each feature (ignored / monosemantic / superposed).
import { viewToPNG } from './colormap.js';

export const id = 'readouts';
export const title = 'Readouts';
export const explain = 'Summary numbers for the trained model. Features per dimension above 1 means the model ' +
  'stores more features than it has dimensions, which is only possible in superposition. ' +
  'The strip shows, per expert, which features it ignores, gives a dimension of their own, or shares.';

const CLASS_LABEL = { ignored: 'ignored', monosemantic: 'monosemantic', superposed: 'superposed' };
const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '–');

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}
const setText = (e, text) => { if (e.textContent !== text) e.textContent = text; };

export function create(container, options = {}) {
  container.classList.add('tm-view', 'tm-view-readouts');
  const placeholder = el('p', 'tm-placeholder', options.placeholder ?? 'Train to see the readouts.');
  const body = el('div', 'tm-readouts-body');
  container.append(placeholder, body);

  // headline numbers
  const stats = el('div', 'tm-stats');
  const stat = (label) => {
    const box = el('div', 'tm-stat'), value = el('div', 'tm-stat-value'), hint = el('div', 'tm-stat-hint');
    box.append(value, el('div', 'tm-stat-label', label), hint);
    stats.appendChild(box);
    return { value, hint };
  };
  const fpd = stat('features per dimension');
  const cap = stat('total capacity');
  const loss = stat('loss');

  // per-expert table
  const tableWrap = el('div', 'tm-table-wrap');
  const table = el('table', 'tm-readouts-table');
  const thead = el('thead'), tbody = el('tbody'), headRow = el('tr');
  thead.appendChild(headRow);
  table.append(thead, tbody);
  tableWrap.appendChild(table);

  // per-feature class strip
  const stripTitle = el('div', 'tm-strip-title', 'each feature, per expert');
  const legend = el('div', 'tm-class-legend');
  for (const c of Object.keys(CLASS_LABEL)) {
    const item = el('span', 'tm-legend-item');
    item.append(el('span', `tm-swatch tm-cls-${c}`), el('span', null, CLASS_LABEL[c]));
    legend.appendChild(item);
  }
  const strip = el('div', 'tm-class-strip');
  const axis = el('div', 'tm-strip-axis');
  const axisLo = el('span', null, 'feature 0'), axisHi = el('span');
  axis.append(el('span'), axisLo, axisHi);
  const note = el('p', 'tm-view-note');
  body.append(stats, tableWrap, stripTitle, legend, strip, axis, note);

  let rows = [], cells = [], shape = '', drawnMetrics;

  // Each cell's title tooltip, set when the pointer reaches it (cheap updates for 64 x 100 cells).
  function cellTitle(ev) {
    const cell = ev.target, met = drawnMetrics;
    if (!cell.classList?.contains('tm-cell') || !met) return;
    const e = Number(cell.dataset.e), i = Number(cell.dataset.i), c = met.classes[e]?.[i];
    if (c === undefined) return;
    const who = met.norms.length > 1 ? `expert ${e} · ` : '';
    cell.title = `${who}feature ${i}: ${CLASS_LABEL[c] ?? c} (‖W‖ ${f2(met.norms[e][i])}, dimensionality ${f2(met.dim[e][i])})`;
  }
  strip.addEventListener('pointerover', cellTitle);
  strip.addEventListener('mouseover', cellTitle);

  function build(E, n) {
    shape = `${E}x${n}`;
    const SHORT = { capacity: 'cap.', ignored: 'ign.', monosemantic: 'mono', superposed: 'sup.' };
    headRow.replaceChildren(...(E > 1
      ? ['expert', 'p_e', 'capacity', 'ignored', 'monosemantic', 'superposed']
      : ['model', 'capacity', 'ignored', 'monosemantic', 'superposed']).map((h) => {
      const th = el('th');
      if (SHORT[h]) {  // the short label shows on narrow screens (views.css)
        th.append(el('span', 'tm-long', E > 1 && h === 'monosemantic' ? 'mono' : h), el('span', 'tm-short', SHORT[h]));
        th.title = h;
      } else th.textContent = h;
      return th;
    }));
    headRow.children[E > 1 ? 1 : 0].title = E > 1 ? 'mean gate weight: the share of the work this expert does' : '';
    headRow.children[E > 1 ? 2 : 1].title = 'sum of the feature dimensionalities: how many of its m dimensions the expert uses';
    rows = Array.from({ length: E }, (_, e) => {
      const tr = el('tr');
      const tds = (E > 1 ? 6 : 5);
      for (let i = 0; i < tds; i++) tr.appendChild(el('td'));
      tr.children[0].textContent = E > 1 ? `${e}` : 'dense';
      tbody.appendChild(tr);
      return tr;
    });
    tbody.replaceChildren(...rows);
    strip.replaceChildren();
    cells = Array.from({ length: E }, (_, e) => {
      const label = el('span', 'tm-strip-label', E > 1 ? `${e}` : '');
      const row = el('div', 'tm-strip-row');
      row.style.gridTemplateColumns = `repeat(${n}, minmax(0, 1fr))`;
      const cs = Array.from({ length: n }, (_, i) => {
        const cell = el('span', 'tm-cell');
        cell.dataset.e = String(e);
        cell.dataset.i = String(i);
        return cell;
      });
      row.append(...cs);
      strip.append(label, row);
      return cs;
    });
    strip.classList.toggle('tm-strip-dense', E === 1);
    axis.classList.toggle('tm-strip-dense', E === 1);
    axisHi.textContent = `${n - 1}`;
  }

  function render(snap) {
    const met = snap?.metrics;
    const ready = !!met?.norms?.length;
    placeholder.hidden = ready;
    body.hidden = !ready;
    drawnMetrics = met ?? null;
    if (!ready) return;
    const E = met.norms.length, n = met.norms[0].length, m = snap.config?.m ?? NaN;
    if (shape !== `${E}x${n}`) build(E, n);

    setText(fpd.value, f2(met.fpd));
    setText(fpd.hint, '> 1 means superposition');
    fpd.value.parentElement.classList.toggle('tm-stat-super', met.fpd > 1);
    setText(cap.value, f2(met.totalCapacity));
    setText(cap.hint, `of E·m = ${E}·${m} = ${E * m} dimensions`);
    setText(loss.value, Number.isFinite(met.loss) ? (met.loss >= 0.001 ? met.loss.toFixed(4) : met.loss.toExponential(2)) : '–');
    setText(loss.hint, `${snap.config?.loss === 'mean' ? 'mean' : 'sum'} over features`);

    for (let e = 0; e < E; e++) {
      const cls = met.classes[e], counts = { ignored: 0, monosemantic: 0, superposed: 0 };
      for (const c of cls) counts[c] = (counts[c] ?? 0) + 1;
      const td = rows[e].children;
      let k = 1;
      if (E > 1) setText(td[k++], f2(met.gateMean?.[e]));
      setText(td[k++], `${f2(met.capacity[e])} / ${m}`);
      setText(td[k++], String(counts.ignored));
      setText(td[k++], String(counts.monosemantic));
      setText(td[k++], String(counts.superposed));
      const row = cells[e];
      for (let i = 0; i < n; i++) {
        const c = cls[i], name = `tm-cell tm-cls-${c}`;
        if (row[i].className !== name) row[i].className = name;
        if (row[i].title) row[i].title = '';  // filled in on hover (cellTitle), from the current metrics
      }
    }
    setText(note, `Routing numbers (p_e, features per dimension, loss) are measured on ${Math.round(met.samples).toLocaleString('en-US')} ` +
      'fresh inputs. A feature counts as ignored when ‖W‖ < 0.1, monosemantic when its dimensionality is within 0.1 of 1.');
  }

  render(null);
  return {
    update(snapshot) {
      if ((snapshot?.metrics ?? null) !== drawnMetrics) render(snapshot);
    },
    toPNG() { return viewToPNG(container, { title }); },
    destroy() {
      container.replaceChildren();
      container.classList.remove('tm-view', 'tm-view-readouts');
    },
  };
}
