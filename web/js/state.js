// The declarative table of every setting of the lab, and the URL <-> state mapping.
//
// Config fields come from the engine schema (lab.schema, C tm_schema_json: name, type,
// min, max, options, default, doc); this file only adds labels and groups. UI fields
// (preset, views, embed, view, speed) are declared here. Every value that arrives from
// outside (URL query, a loaded JSON file, a postMessage) goes through checkValue():
// a bad value names the field, falls back to the default and produces a message.
// Messages are plain strings, meant for textContent only.
import { PRESET_IDS, DEFAULT_PRESET, presetById } from './presets.js';

export const VIEW_IDS = ['loss', 'norms', 'interference', 'regions', 'readouts'];
/** Speed option -> target steps per second (Infinity = as fast as the machine allows). */
export const SPEEDS = { slow: 20, medium: 200, fast: 2000, max: Infinity };

/** Control groups, in display order; schema fields not named here go to 'Other'. */
export const GROUPS = [
  ['Model', ['n', 'm', 'experts', 'k']],
  ['Data', ['p', 'importance', 'importance_base', 'importance_last', 'perm_seed', 'batch', 'data_rng']],
  ['Initialisation', ['bias_init', 'router_init']],
  ['Optimiser', ['steps', 'lr', 'schedule', 'weight_decay', 'beta1', 'beta2', 'eps']],
  ['Loss & routing', ['loss', 'load_balance', 'lb_alpha', 'usage_inputs']],
  ['Seed', ['seed']],
];

const LABELS = {
  n: 'features n', m: 'dimensions per expert m', experts: 'experts E', k: 'active experts k',
  p: 'feature probability p', importance: 'importance', importance_base: 'importance base',
  importance_last: 'last feature importance r', perm_seed: 'permutation seed', batch: 'batch size B',
  data_rng: 'data generator',
  bias_init: 'bias init', router_init: 'router init', steps: 'training steps', lr: 'learning rate',
  schedule: 'lr schedule', weight_decay: 'weight decay', beta1: 'Adam β1', beta2: 'Adam β2', eps: 'Adam ε',
  loss: 'loss normalisation', load_balance: 'load balancing', lb_alpha: 'load-balance weight α',
  usage_inputs: 'usage inputs', seed: 'seed',
};

const UI_FIELDS = [
  { name: 'preset', type: 'option', options: PRESET_IDS, default: DEFAULT_PRESET, doc: 'paper experiment the config starts from' },
  { name: 'views', type: 'list', options: VIEW_IDS, default: VIEW_IDS.slice(), doc: 'visible views, comma-separated' },
  { name: 'embed', type: 'bool', default: false, doc: 'embed mode: one view, minimal chrome' },
  { name: 'view', type: 'option', options: VIEW_IDS, default: 'norms', doc: 'the view shown in embed mode' },
  { name: 'speed', type: 'option', options: Object.keys(SPEEDS), default: 'max', doc: 'training speed' },
];

const MAX_MESSAGES = 12;
const MAX_PARAMS = 64;

/** A value as it may be shown in a message: clipped, control characters removed. */
export function shown(v) {
  const s = String(v).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return s.length <= 40 ? s : `${s.slice(0, 37)}...`;
}

function fmt(v) {
  if (typeof v !== 'number') return String(v);
  return Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-4) ? v.toExponential() : String(v);
}

/** Text of a field's allowed values, e.g. "an integer in [1, 4096]". */
export function rangeText(f) {
  if (f.type === 'option') return `one of ${f.options.join(', ')}`;
  if (f.type === 'list') return `a comma-separated list of ${f.options.join(', ')}`;
  if (f.type === 'bool') return 'true or false';
  const lo = f.min_open ? '(' : '[', hi = f.max_open ? ')' : ']';
  return `${f.type === 'int' ? 'an integer' : 'a number'} in ${lo}${fmt(f.min)}, ${fmt(f.max)}${hi}`;
}

/**
 * Build the table from the engine schema.
 * @param {object[]} schema lab.schema
 * @param {(config: object) => {ok: boolean, errors: {field: string, message: string}[]}} [validate]
 *   the engine's whole-config check (lab.validate: C's cross-field rules and memory cap)
 * @returns {{fields: object[], byName: Map<string, object>, config: object[], ui: object[], groups: [string, object[]][]}}
 */
export function buildTable(schema, validate = null) {
  if (!Array.isArray(schema) || !schema.length) throw new Error('state: the engine schema is empty');
  const config = schema.map((f) => ({ ...f, kind: 'config', label: LABELS[f.name] ?? f.name.replace(/_/g, ' ') }));
  const ui = UI_FIELDS.map((f) => ({ ...f, kind: 'ui', label: f.name }));
  const byName = new Map([...config, ...ui].map((f) => [f.name, f]));
  const grouped = new Set(GROUPS.flatMap(([, names]) => names));
  const groups = GROUPS.map(([title, names]) => [title, names.map((n) => byName.get(n)).filter(Boolean)]);
  const other = config.filter((f) => !grouped.has(f.name));
  if (other.length) groups.push(['Other', other]);
  return { fields: [...config, ...ui], byName, config, ui, groups: groups.filter(([, fs]) => fs.length), validate };
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Check one value against its field; strings (from a URL) are parsed first.
 * @returns {{ok: true, value: any} | {ok: false, message: string}}
 */
export function checkValue(f, raw) {
  const bad = (why) => ({ ok: false, message: `${f.name}: must be ${why ?? rangeText(f)}, got '${shown(Array.isArray(raw) ? raw.join(',') : raw)}'` });
  switch (f.type) {
    case 'int':
    case 'number': {
      let v = raw;
      if (typeof raw === 'string') {
        const t = raw.trim();
        if (!NUMBER_RE.test(t)) return bad();
        v = Number(t);
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) return bad();
      if (f.type === 'int' && !Number.isInteger(v)) return bad();
      if (v < f.min || v > f.max || (f.min_open && v === f.min) || (f.max_open && v === f.max)) return bad();
      return { ok: true, value: v };
    }
    case 'option':
      return typeof raw === 'string' && f.options.includes(raw) ? { ok: true, value: raw } : bad();
    case 'bool':
      if (raw === true || raw === 'true' || raw === '1' || raw === 1) return { ok: true, value: true };
      if (raw === false || raw === 'false' || raw === '0' || raw === 0) return { ok: true, value: false };
      return bad();
    case 'list': {
      const items = typeof raw === 'string' ? (raw.trim() === '' ? [] : raw.split(',').map((s) => s.trim())) : raw;
      if (!Array.isArray(items) || items.length > f.options.length * 2) return bad();
      if (!items.every((s) => typeof s === 'string' && f.options.includes(s))) return bad();
      return { ok: true, value: f.options.filter((o) => items.includes(o)) };  // canonical order, no repeats
    }
    default:
      return bad('a known type');
  }
}

/** The config a preset stands for: schema defaults overlaid with the preset's fields. */
export function presetConfig(table, presetId) {
  const base = Object.fromEntries(table.config.map((f) => [f.name, f.default]));
  return { ...base, ...(presetById(presetId)?.config ?? {}) };
}

/** The default state (the default preset, every view, normal page). */
export function defaultState(table) {
  const ui = Object.fromEntries(table.ui.map((f) => [f.name, Array.isArray(f.default) ? f.default.slice() : f.default]));
  return { ...ui, config: presetConfig(table, ui.preset) };
}

/**
 * Cross-field rules (k <= experts, the memory cap), for a config whose fields are each valid.
 * Uses the engine's check (C tm_config_check) when the table has one.
 * @returns {{field: string, message: string}[]}
 */
export function crossCheck(config, table) {
  if (config.k > config.experts) {
    return [{ field: 'k', message: `k: must be at most experts (${config.experts}), got ${config.k}` }];
  }
  if (table?.validate) {
    const r = table.validate(config);
    if (!r.ok) return r.errors.map((e) => ({ field: e.field, code: e.code, message: e.message }));
  }
  return [];
}

// Repair a config after crossCheck failures: k falls back to its default (always <= experts
// when valid), a memory overflow to the sizes of `fallback`, any other field to fallback's
// value (C's rules can be stricter than checkValue's: beta2 must stay below 1 as a float).
function repair(config, fallback, table, messages) {
  for (let i = 0; i < 3; i++) {
    const errs = crossCheck(config, table);
    if (!errs.length) return config;
    const e = errs[0];
    if (e.field === 'k') {
      const k = Math.min(table.byName.get('k').default, config.experts);
      messages.push(`${e.message} — using ${k}`);
      config.k = k;
    } else if (e.code !== 'memory' && e.field in fallback && config[e.field] !== fallback[e.field]) {
      messages.push(`${e.message} — using ${shown(fallback[e.field])}`);
      config[e.field] = fallback[e.field];
    } else {
      messages.push(`${e.message} — using the sizes of the preset instead`);
      for (const name of ['n', 'm', 'experts', 'k', 'batch']) config[name] = fallback[name];
    }
  }
  return crossCheck(config, table).length ? { ...fallback } : config;
}

function applyEntries(entries, table, base, messages, source) {
  const state = base;
  let count = 0;
  for (const [name, raw] of entries) {
    if (++count > MAX_PARAMS) {
      messages.push(`${source}: too many parameters; the rest were ignored`);
      break;
    }
    if (name === 'preset') continue;  // applied first, by the caller
    const f = table.byName.get(name);
    if (!f) {
      messages.push(`${source}: unknown parameter '${shown(name)}' ignored`);
      continue;
    }
    const r = checkValue(f, raw);
    const current = f.kind === 'config' ? state.config[name] : state[name];
    if (!r.ok) {
      messages.push(`${r.message} — using ${shown(Array.isArray(current) ? current.join(',') || '(none)' : current)}`);
      continue;
    }
    if (f.kind === 'config') state.config[name] = r.value;
    else state[name] = r.value;
  }
  return state;
}

function startFrom(table, presetRaw, messages, source) {
  const state = defaultState(table);
  if (presetRaw !== undefined && presetRaw !== null) {
    const r = checkValue(table.byName.get('preset'), presetRaw);
    if (r.ok) state.preset = r.value;
    else messages.push(`${source}: ${r.message} — using ${state.preset}`);
    state.config = presetConfig(table, state.preset);
  }
  return state;
}

function finish(state, table, messages) {
  state.config = repair(state.config, presetConfig(table, state.preset), table, messages);
  if (messages.length > MAX_MESSAGES) messages.splice(MAX_MESSAGES, messages.length, `… and ${messages.length - MAX_MESSAGES} more problems`);
  return { state, messages };
}

/**
 * Parse a URL query (location.search) into a valid state.
 * @returns {{state: object, messages: string[]}} messages: one per rejected value
 */
export function parseQuery(search, table) {
  const messages = [];
  let params;
  try {
    params = new URLSearchParams(search);
  } catch {
    params = new URLSearchParams();
    messages.push('URL: the query could not be read; using the defaults');
  }
  const entries = [...params.entries()];
  const state = startFrom(table, params.has('preset') ? params.get('preset') : undefined, messages, 'URL');
  applyEntries(entries, table, state, messages, 'URL');
  return finish(state, table, messages);
}

/**
 * Validate settings from a loaded JSON file or a postMessage:
 * {preset?, config?: {...}, views?, speed?, ...}. Config fields may also sit at the top level.
 * @param {object} [base] a valid state to change; without it (or when obj names a preset)
 *   the settings start from the preset's
 * @returns {{state: object, messages: string[]}}
 */
export function parseObject(obj, table, source = 'file', base = null) {
  const messages = [];
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    messages.push(`${source}: expected a JSON object; ${base ? 'nothing changed' : 'using the defaults'}`);
    return finish(base ? cloneState(base) : defaultState(table), table, messages);
  }
  const state = base && obj.preset === undefined ? cloneState(base) : startFrom(table, obj.preset, messages, source);
  const entries = [];
  for (const [name, v] of Object.entries(obj)) {
    if (name === 'config' || name === 'preset') continue;
    if (table.byName.has(name)) entries.push([name, v]);
    // a message holds settings only (a run file holds more: weights, history)
    else if (source === 'message') messages.push(`${source}: unknown parameter '${shown(name)}' ignored`);
  }
  if (obj.config !== undefined) {
    if (obj.config === null || typeof obj.config !== 'object' || Array.isArray(obj.config)) {
      messages.push(`${source}: config must be an object; using the preset's config`);
    } else {
      for (const [name, v] of Object.entries(obj.config)) {
        const f = table.byName.get(name);
        if (f && f.kind !== 'config') messages.push(`${source}: '${shown(name)}' is not a config field; ignored`);
        else entries.push([name, v]);
      }
    }
  }
  applyEntries(entries, table, state, messages, source);
  return finish(state, table, messages);
}

/** Set one field from a control; returns an error message or null (the state is unchanged on error). */
export function setField(state, table, name, raw) {
  const f = table.byName.get(name);
  if (!f) return `unknown setting '${shown(name)}'`;
  const r = checkValue(f, raw);
  if (!r.ok) return r.message;
  if (f.kind === 'config') {
    const next = { ...state.config, [name]: r.value };
    const errs = crossCheck(next, table);
    if (errs.length) return errs[0].message;
    state.config = next;
  } else {
    state[name] = r.value;
  }
  return null;
}

/** Does the config equal its preset's? */
export function isPresetConfig(state, table) {
  const base = presetConfig(table, state.preset);
  return table.config.every((f) => base[f.name] === state.config[f.name]);
}

/**
 * Serialise a state to a URL query ("?preset=fig1&seed=3"): the preset, the config fields
 * that differ from it, and the UI fields that differ from their defaults.
 * @param {{embed?: boolean, view?: string}} [override] e.g. {embed: true, view: 'norms'}
 */
export function toQuery(state, table, override = {}) {
  const s = { ...state, ...override };
  const q = new URLSearchParams();
  q.set('preset', s.preset);
  const base = presetConfig(table, s.preset);
  for (const f of table.config) {
    if (s.config[f.name] !== base[f.name]) q.set(f.name, String(s.config[f.name]));
  }
  for (const f of table.ui) {
    if (f.name === 'preset') continue;
    const v = s[f.name], d = f.default;
    if (f.type === 'list') {
      if (v.join(',') !== d.join(',')) q.set(f.name, v.join(','));
    } else if (f.name === 'view') {
      if (s.embed) q.set('view', v);
    } else if (f.name === 'embed') {
      if (v) q.set('embed', '1');
    } else if (v !== d) {
      q.set(f.name, String(v));
    }
  }
  return `?${q.toString()}`;
}

/** A deep copy of a state (plain data only). */
export function cloneState(state) {
  return { ...state, views: state.views.slice(), config: { ...state.config } };
}
