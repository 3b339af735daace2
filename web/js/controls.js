// The settings form: one labelled control per config field, grouped as in state.js
// (Model / Data / Initialisation / Optimiser / Loss & routing / Seed), plus the preset menu.
// Controls are built from the table, so a field added to the C schema appears here.
import { el, clear } from './dom.js';
import { rangeText } from './state.js';
import { PRESETS, presetById } from './presets.js';

function numberStep(f) {
  if (f.type === 'int') return '1';
  return 'any';
}

function rangeShort(f) {
  if (f.type === 'option' || f.type === 'bool') return '';
  const lo = f.min_open ? '>' : '≥', hi = f.max_open ? '<' : '≤';
  const v = (x) => (Math.abs(x) >= 1e6 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential() : String(x));
  return `${lo} ${v(f.min)}, ${hi} ${v(f.max)}`;
}

function control(f, onChange) {
  const id = `f-${f.name}`, docId = `${id}-doc`;
  const range = rangeShort(f);
  const doc = el('small', { id: docId, class: 'doc' }, f.doc, range ? el('span', { class: 'range' }, ` · ${range}`) : null);
  let input;
  if (f.type === 'option') {
    input = el('select', { id, name: f.name, 'aria-describedby': docId }, f.options.map((o) => el('option', { value: o }, o)));
  } else if (f.type === 'bool') {
    input = el('input', { id, name: f.name, type: 'checkbox', 'aria-describedby': docId });
  } else {
    input = el('input', {
      id, name: f.name, type: 'number', inputmode: f.type === 'int' ? 'numeric' : 'decimal', step: numberStep(f),
      min: f.min, max: f.max, required: true, 'aria-describedby': docId, title: `${f.name}: ${rangeText(f)}`,
    });
  }
  input.addEventListener('change', () => onChange(f.name, f.type === 'bool' ? input.checked : input.value, input));
  const row = el('div', { class: `field field-${f.type}`, dataset: { field: f.name } },
    el('label', { for: id }, f.label), input, doc);
  return { row, input };
}

/**
 * Build the preset menu and the settings form.
 * @param {{presetHost: Element, formHost: Element, table: object, onPreset: (id: string) => void,
 *   onField: (name: string, raw: any, input: Element) => void}} o
 * @returns {{refresh(state: object, modified: boolean): void, inputs: Map<string, Element>}}
 */
export function buildControls({ presetHost, formHost, table, onPreset, onField }) {
  clear(presetHost);
  const presetSelect = el('select', { id: 'preset', name: 'preset', 'aria-describedby': 'preset-desc' },
    PRESETS.map((p) => el('option', { value: p.id }, p.title)));
  presetSelect.addEventListener('change', () => onPreset(presetSelect.value));
  const desc = el('p', { id: 'preset-desc', class: 'preset-desc' });
  const paper = el('p', { id: 'preset-paper', class: 'preset-paper' });
  const modified = el('p', { id: 'preset-modified', class: 'preset-modified', hidden: true },
    'Settings changed from the preset; choose it again to restore them.');
  presetHost.append(el('label', { for: 'preset', class: 'preset-label' }, 'Experiment (paper figure)'), presetSelect, desc, paper, modified);

  clear(formHost);
  const inputs = new Map();
  for (const [title, fields] of table.groups) {
    const fs = el('fieldset', { class: 'group' }, el('legend', {}, title));
    for (const f of fields) {
      const { row, input } = control(f, onField);
      inputs.set(f.name, input);
      fs.append(row);
    }
    formHost.append(fs);
  }
  formHost.addEventListener('submit', (e) => e.preventDefault());

  function refresh(state, isModified) {
    presetSelect.value = state.preset;
    const p = presetById(state.preset);
    desc.textContent = p?.description ?? '';
    paper.textContent = p ? (p.paperLoss !== null ? `Paper: loss ${p.paperLoss} — ${p.paperNote}.` : `Paper: ${p.paperNote}.`) : '';
    modified.hidden = !isModified;
    for (const [name, input] of inputs) {
      const v = state.config[name];
      if (input.type === 'checkbox') input.checked = !!v;
      else input.value = String(v);
      input.classList.remove('invalid');
      input.removeAttribute('aria-invalid');
    }
  }

  return { refresh, inputs, presetSelect };
}

/** Mark an input invalid until its next change. */
export function markInvalid(input) {
  input.classList.add('invalid');
  input.setAttribute('aria-invalid', 'true');
}
