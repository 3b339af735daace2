// Module Web Worker that owns the engine (engine.js + toymoe.wasm) and trains off the
// main thread.
//
// Messages in (all plain objects with `type`):
//   {type: 'create', gen, config, params?, base?}  new model (frees the old one). params = {W, b, router}
//       arrays restore weights; base = {step, lossHistory: {stride, values}} is the history of a
//       loaded run that training continues from.
//   {type: 'train'}        train until config.steps (or pause)
//   {type: 'pause'}
//   {type: 'step', count?} train count (default 1) steps, then pause
//   {type: 'reset', gen}   recreate the model from the same config (same seed = same run)
//   {type: 'setSpeed', stepsPerSecond}   Infinity or a positive number
//   {type: 'export'}       reply {type: 'export', run} with weights, history, full metrics
// Messages out:
//   {type: 'ready', schema, version}
//   {type: 'snapshot', gen, step, steps, loss, status, stepsPerSec, lossHistory, metrics?, regions?, routerLoss}
//       gen: the create message's gen, so the page can drop snapshots of a replaced model
//       status: 'idle' | 'training' | 'paused' | 'finished' | 'nonfinite'; metrics/regions only when new
//   {type: 'nonfinite', gen, message, step}
//   {type: 'error', message, field, code}
//   {type: 'export', run} or {type: 'export', error} when it failed
import { loadLab } from './engine.js';

const CHUNK_MS = 25;           // target wall time of one training chunk
const SNAPSHOT_MS = 40;        // at most 25 snapshots per second
const METRICS_MS = 250;        // at most 4 metric computations per second while training
const METRICS_TRAINING = 2048; // samples for metrics while training
const METRICS_FINAL = 8192;    // samples when paused or finished
const REGION_GRID = 160;

let lab = null;
let model = null;
let base = null;               // {step, lossHistory} of a loaded run
let gen = 0;                   // generation from the page's create message, echoed in snapshots
let status = 'idle';
let stepsPerSecond = Infinity;
let msPerStep = null;          // running estimate of this model's steps, sizes the chunks (null: none yet)
let runToken = 0;              // bumps on every create/pause so stale loops stop
let stepBudget = Infinity;     // steps left for a 'step' request
let lastSnapshot = 0, lastMetrics = -Infinity, metricsCost = 0;
let rate = { t: 0, step: 0, value: 0 };

const post = (msg, transfer) => self.postMessage(msg, transfer ?? []);

function reportError(err) {
  post({ type: 'error', message: String(err?.message ?? err), field: err?.field ?? null, code: err?.code ?? 'internal' });
}

self.addEventListener('error', (e) => { reportError(e.error ?? e.message); });
self.addEventListener('unhandledrejection', (e) => { reportError(e.reason); });

// Yield to the event loop without setTimeout's 4 ms clamp, so 'pause' gets through.
const channel = new MessageChannel();
const pending = [];
channel.port1.onmessage = () => pending.shift()?.();
const yieldNow = () => new Promise((resolve) => { pending.push(resolve); channel.port2.postMessage(0); });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const offset = () => base?.step ?? 0;
const totalStep = () => offset() + (model ? model.step : 0);

// The loss history, joined to a loaded run's history when there is one.
function history() {
  const own = model.lossHistory();
  if (!base) return own;
  const b = base.lossHistory;
  const stride = Math.max(b.stride, own.stride);
  const pick = (h) => {
    const every = Math.max(1, Math.round(stride / h.stride)), out = [];
    for (let i = 0; i < h.values.length; i += every) out.push(h.values[i]);
    return out;
  };
  return { stride, values: Float32Array.from([...pick(b), ...pick(own)]) };
}

// A metrics sample runs k experts' n x m forward pass and the usage terms' E^2 scores: a huge
// model gets fewer samples, so that one computation stays near METRICS_BUDGET multiply-adds
// (n = 4096, m = 2000 took 2 minutes on 8192; the readouts say how many were used).
const METRICS_BUDGET = 2e9;
function affordableSamples(samples) {
  const { n, m, k, experts } = model.config;
  return Math.max(64, Math.min(samples, Math.floor(METRICS_BUDGET / (k * n * m + experts * (experts + n)))));
}

function computeMetrics(samples) {
  const t = performance.now();
  const metrics = model.metrics({ samples: affordableSamples(samples), typedRows: true });  // the views index rows alike
  const { n } = model.config;
  const regions = n <= 3 && n >= 2 ? { grid: REGION_GRID, cells: model.routerRegions(REGION_GRID) } : null;
  metricsCost = performance.now() - t;
  lastMetrics = performance.now();
  return { metrics, regions };
}

function snapshot({ withMetrics = false, samples = METRICS_TRAINING } = {}) {
  if (!model) return;
  const lossHistory = history();
  const msg = {
    type: 'snapshot', gen, config: model.config, step: totalStep(), steps: model.config.steps, loss: model.lastLoss,
    status, stepsPerSec: rate.value, lossHistory, routerLoss: null,
  };
  const transfer = [lossHistory.values.buffer];
  if (withMetrics) {
    try {
      const { metrics, regions } = computeMetrics(samples);
      msg.metrics = metrics;
      msg.metricsSamples = metrics.samples;
      msg.regions = regions;
      if (regions) transfer.push(regions.cells.buffer);
    } catch (err) {
      reportError(err);
    }
  }
  lastSnapshot = performance.now();
  post(msg, transfer);
}

const finalSnapshot = () => snapshot({ withMetrics: true, samples: METRICS_FINAL });

// A new model's first chunk is one step: a step can take seconds (E = k = 1024), and the
// worker reads 'pause' only between chunks.
const chunkSteps = () => (msPerStep === null ? 1 : Math.max(1, Math.round(CHUNK_MS / msPerStep)));

function remaining() {
  return Math.max(0, model.config.steps - totalStep());
}

async function runLoop(token) {
  rate = { t: performance.now(), step: totalStep(), value: rate.value };
  let due = 0;  // steps owed under a speed limit
  let last = performance.now();
  while (token === runToken && model && status === 'training') {
    const left = Math.min(remaining(), stepBudget);
    if (left <= 0) break;
    let count;
    if (Number.isFinite(stepsPerSecond)) {
      const now = performance.now();
      due = Math.min(due + ((now - last) / 1000) * stepsPerSecond, Math.max(1, stepsPerSecond * 0.1));
      last = now;
      if (due < 1) {
        await sleep(Math.max(4, Math.min(50, (1 - due) / stepsPerSecond * 1000)));
        continue;
      }
      count = Math.min(Math.floor(due), chunkSteps());
      due -= count;
    } else {
      count = chunkSteps();
    }
    count = Math.min(count, left);
    const t0 = performance.now();
    const r = model.train(count);
    const dt = performance.now() - t0;
    msPerStep = msPerStep === null ? Math.max(dt / count, 1e-4) : 0.7 * msPerStep + 0.3 * Math.max(dt / count, 1e-4);
    if (stepBudget !== Infinity) stepBudget -= count;
    const now = performance.now();
    if (now - rate.t >= 500) {
      rate = { t: now, step: totalStep(), value: ((totalStep() - rate.step) * 1000) / (now - rate.t) };
    }
    if (r.status === 'nonfinite') {
      status = 'nonfinite';
      snapshot();
      post({ type: 'nonfinite', gen, message: r.error, step: totalStep() });
      return;
    }
    // Metrics at most 4/s, and at most ~20% of the time when they are expensive.
    const metricsDue = now - lastMetrics >= Math.max(METRICS_MS, metricsCost * 4);
    if (now - lastSnapshot >= SNAPSHOT_MS) snapshot({ withMetrics: metricsDue });
    await yieldNow();
  }
  if (token !== runToken || !model) return;
  if (status === 'training') {
    status = remaining() <= 0 ? 'finished' : 'paused';
    stepBudget = Infinity;
    rate.value = status === 'finished' ? rate.value : 0;
    finalSnapshot();
  }
}

function start(budget = Infinity) {
  if (!model) throw new Error('train: no model yet; send create first');
  if (status === 'nonfinite') {
    post({ type: 'error', message: 'train: the loss is non-finite; lower the learning rate or weight decay and reset', field: 'lr', code: 'nonfinite' });
    return;
  }
  if (remaining() <= 0) {
    status = 'finished';
    finalSnapshot();
    return;
  }
  stepBudget = budget;
  if (status === 'training') return;  // the running loop picks up the new budget
  status = 'training';
  runToken++;
  runLoop(runToken).catch((err) => { status = 'paused'; reportError(err); });
}

function create(config, params, loadedBase, generation = gen) {
  runToken++;
  gen = generation;
  status = 'idle';
  stepBudget = Infinity;
  rate = { t: 0, step: 0, value: 0 };
  msPerStep = null;
  if (model) model.free();
  model = null;
  base = null;
  model = lab.createModel(config);
  if (params) model.setParams(params);
  if (loadedBase) {
    const values = Float32Array.from(loadedBase.lossHistory?.values ?? []);
    base = { step: loadedBase.step | 0, lossHistory: { stride: loadedBase.lossHistory?.stride || 1, values } };
  }
  if (remaining() <= 0 && base) status = 'finished';
  finalSnapshot();
}

function exportRun() {
  if (!model) throw new Error('export: no model yet');
  const p = model.params();
  // A diverged run's weights are refused by the metrics; the run is still exported without
  // them, so its weights and loss history can be looked at (non-finite values become null).
  let metrics = null, metricsError;
  try {
    metrics = model.metrics({ samples: affordableSamples(METRICS_FINAL) });
  } catch (err) {
    if (status !== 'nonfinite') throw err;
    metricsError = String(err?.message ?? err);
  }
  const h = history();
  return {
    config: model.config, step: totalStep(), loss: model.lastLoss, status,
    lossHistory: { stride: h.stride, values: Array.from(h.values, (v) => (Number.isFinite(v) ? v : null)) },
    metrics, ...(metricsError ? { metricsError } : {}),
    params: { W: Array.from(p.W), b: Array.from(p.b), router: Array.from(p.router) },
  };
}

const handlers = {
  create: (msg) => create(msg.config, msg.params, msg.base, Number.isInteger(msg.gen) ? msg.gen : gen + 1),
  train: () => start(),
  step: (msg) => start(Number.isInteger(msg.count) && msg.count > 0 ? msg.count : 1),
  pause: () => {
    if (status !== 'training') return;
    runToken++;
    status = 'paused';
    stepBudget = Infinity;
    rate.value = 0;
    finalSnapshot();
  },
  reset: (msg) => {
    if (!model) throw new Error('reset: no model yet');
    create(model.config, null, null, Number.isInteger(msg.gen) ? msg.gen : gen + 1);
  },
  setSpeed: (msg) => {
    const s = Number(msg.stepsPerSecond);
    stepsPerSecond = s > 0 ? s : Infinity;
  },
  export: () => {
    // a failure answers the request itself, so the page does not wait for its timeout
    let run;
    try { run = exportRun(); } catch (err) { post({ type: 'export', error: String(err?.message ?? err) }); return; }
    post({ type: 'export', run });
  },
  snapshot: () => finalSnapshot(),
};

const queue = [];
let ready = false;

function handle(msg) {
  const fn = msg && typeof msg === 'object' ? handlers[msg.type] : undefined;
  if (!fn) {
    post({ type: 'error', message: `worker: unknown message '${String(msg?.type).slice(0, 40)}'`, field: null, code: 'internal' });
    return;
  }
  try {
    fn(msg);
  } catch (err) {
    reportError(err);
  }
}

self.onmessage = (e) => {
  if (!ready) queue.push(e.data);
  else handle(e.data);
};

// The SIMD module first; browsers without wasm SIMD get the scalar build (identical results).
function loadEngine() {
  return loadLab().catch((err) => {
    if (!(err instanceof WebAssembly.CompileError)) throw err;
    return loadLab({ wasmUrl: new URL('../build/toymoe-scalar.wasm', import.meta.url) });
  });
}

loadEngine()
  .then((l) => {
    lab = l;
    ready = true;
    post({ type: 'ready', schema: lab.schema, version: lab.version });
    for (const msg of queue.splice(0)) handle(msg);
  })
  .catch((err) => post({ type: 'error', message: `could not load the engine: ${err?.message ?? err}`, field: null, code: 'load' }));
