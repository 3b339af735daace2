// Export (CSV / JSON of metrics and weights, the whole run as JSON) and loading a run
// back, with every value of the file validated (state.js for settings, lengths and
// finiteness here for weights and history).
import { parseObject, shown } from './state.js';

export const RUN_FORMAT = 'toymoe-run';
export const RUN_VERSION = 1;
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_HISTORY = 65536;
const MAX_ABS_WEIGHT = 1e6;

const csvCell = (v) => {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  // Quote, and defuse spreadsheet formulas (=, +, -, @ at the start of a text cell).
  return /^[=+\-@]/.test(s) || /[",\n]/.test(s) ? `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"` : s;
};
const csvLine = (cells) => cells.map(csvCell).join(',');

const FLOAT_MAX = 3.4028234663852886e38;

/** One row per (expert, feature): every per-feature metric of SPEC section 6. */
export function metricsCSV(metrics, config) {
  const { n, experts: E } = config;
  const lines = [csvLine(['expert', 'feature', 'norm', 'polysemanticity', 'superposition', 'phase_score', 'dimensionality',
    'class', 'global_dimensionality', 'expert_capacity', 'expert_gate_mean', 'expert_usage'])];
  for (let e = 0; e < E; e++) {
    for (let i = 0; i < n; i++) {
      lines.push(csvLine([e, i, metrics.norms[e][i], metrics.polysemanticity[e][i], metrics.superposition[e][i],
        metrics.phaseScore[e][i], metrics.dim[e][i], metrics.classes[e][i], metrics.globalDim[i],
        metrics.capacity[e], metrics.gateMean[e], metrics.usage.unchanged[e]]));
    }
  }
  lines.push('');
  lines.push(csvLine(['fpd', 'total_capacity', 'samples', 'loss']));
  lines.push(csvLine([metrics.fpd, metrics.totalCapacity, metrics.samples, metrics.loss]));
  return `${lines.join('\n')}\n`;
}

/** One row per (expert, feature): W row (m values), output bias, router weight. */
export function weightsCSV(params, config) {
  const { n, m, experts: E } = config;
  const lines = [csvLine(['expert', 'feature', ...Array.from({ length: m }, (_, j) => `W_${j}`), 'b', 'router'])];
  for (let e = 0; e < E; e++) {
    for (let i = 0; i < n; i++) {
      const row = params.W.slice((e * n + i) * m, (e * n + i + 1) * m);
      lines.push(csvLine([e, i, ...row, params.b[e * n + i], params.router[e * n + i]]));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The run file: settings, weights, loss history and metrics. */
export function runFile(run, state, version) {
  return {
    format: RUN_FORMAT, version: RUN_VERSION, toymoe: version, exported: new Date().toISOString(),
    preset: state.preset, views: state.views, config: run.config, seed: run.config.seed,
    step: run.step, loss: Number.isFinite(run.loss) ? run.loss : null, status: run.status,
    lossHistory: run.lossHistory, params: run.params, metrics: run.metrics,
    ...(run.metricsError ? { metricsError: run.metricsError } : {}),
  };
}

function numbers(arr, len, name, problems) {
  if (!Array.isArray(arr) || arr.length !== len) {
    problems.push(`params.${name}: needs ${len} numbers for this config, got ${Array.isArray(arr) ? arr.length : typeof arr}`);
    return null;
  }
  for (let i = 0; i < len; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > MAX_ABS_WEIGHT) {
      problems.push(`params.${name}[${i}]: must be a finite number with |value| ≤ ${MAX_ABS_WEIGHT}, got '${shown(v)}'`);
      return null;
    }
  }
  return Float32Array.from(arr);
}

/**
 * Validate a parsed run file.
 * @returns {{state: object, params: object|null, base: object|null, messages: string[]}}
 *   state: a valid state (config from the file, or defaults); params null when the weights
 *   were missing or invalid (the model then starts from its initialisation).
 */
export function readRun(obj, table) {
  const messages = [];
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    const { state } = parseObject({}, table, 'file');
    return { state, params: null, base: null, messages: ['file: not a toymoe run (expected a JSON object)'] };
  }
  if (obj.format !== RUN_FORMAT) messages.push(`file: format should be '${RUN_FORMAT}', got '${shown(obj.format)}'; reading it anyway`);
  // Only the settings of the file, not its UI mode (a file cannot switch the page to embed mode).
  const settings = { preset: obj.preset, config: obj.config };
  if (obj.views !== undefined) settings.views = obj.views;
  const parsed = parseObject(settings, table, 'file');
  messages.push(...parsed.messages);
  const { state } = parsed;
  if (obj.config === undefined) messages.push('file: no config; using the preset');

  // Weights fit only the sizes they were trained with (lengths are checked below too).
  const configMatches = !!obj.config && typeof obj.config === 'object' &&
    ['n', 'm', 'experts'].every((k) => obj.config[k] === state.config[k]);
  let params = null;
  if (!configMatches) {
    if (obj.params !== undefined) messages.push('file: weights not loaded because the model sizes (n, m, experts) in the file were not valid');
  } else if (obj.params === undefined) {
    messages.push('file: no weights; the model starts from its initialisation');
  } else if (obj.params === null || typeof obj.params !== 'object') {
    messages.push('file: params must be an object {W, b, router}; weights not loaded');
  } else {
    const { n, m, experts: E } = state.config;
    const problems = [];
    const W = numbers(obj.params.W, E * n * m, 'W', problems);
    const b = W && numbers(obj.params.b, E * n, 'b', problems);
    const router = b && numbers(obj.params.router, E * n, 'router', problems);
    if (problems.length) messages.push(`${problems[0]}; weights not loaded`);
    else params = { W, b, router };
  }

  let base = null;
  if (params) {
    const step = obj.step;
    const h = obj.lossHistory;
    if (!Number.isInteger(step) || step < 0 || step > state.config.steps) {
      messages.push(`file: step must be an integer in [0, steps=${state.config.steps}], got '${shown(step)}'; history not loaded`);
    } else if (!h || typeof h !== 'object' || !Number.isInteger(h.stride) || h.stride < 1 || h.stride > 2 ** 30 ||
      !Array.isArray(h.values) || h.values.length > MAX_HISTORY ||
      !h.values.every((v) => v === null || (typeof v === 'number' && v >= 0 && v <= FLOAT_MAX))) {
      // a loss is a sum of squares in float32: a negative or larger value was not written by the lab
      messages.push('file: lossHistory must be {stride: integer ≥ 1, values: up to 65536 losses in [0, 3.4e38] or null}; history not loaded');
      base = { step, lossHistory: { stride: 1, values: [] } };
    } else {
      base = { step, lossHistory: { stride: h.stride, values: h.values.map((v) => (v === null ? NaN : v)) } };
    }
  }
  return { state, params, base, messages };
}
