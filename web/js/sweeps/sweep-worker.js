// Module worker of the sweep page: owns one engine and trains one sweep job at a time.
// A finished model is written to IndexedDB here, before the page hears of it, so a
// reload or a crash of the page never loses a result that was reported.
//
// Messages in:
//   {type: 'plan', preset, fidelity, limit, calibrate}   the job plan, grouped by architecture;
//       calibrate: time a few steps of each architecture (ms per step) and one summary
//   {type: 'time', preset, fidelity, groups: [{arch, picks}]}   time these jobs' architectures here
//   {type: 'run', preset, fidelity, job}                  train the job, store it, report it
//   {type: 'crash'}                                       throw an uncaught error (tests of the pool)
// Messages out:
//   {type: 'ready'}
//   {type: 'plan', preset, fidelity, plan}                (see makePlan)
//   {type: 'timed', preset, fidelity, times: {arch: {msPerStep, summaryMs}}}
//   {type: 'progress', job, step, steps}                  at most every PROGRESS_MS while training
//   {type: 'result', job, line, stored, storeError, ms}   line = the CLI's result line (format.js)
//   {type: 'error', message, code, job?}                  code 'load' when the engine cannot load
import { loadLab } from '../engine.js';
import { resultLine } from './format.js';
import { putResult } from './store.js';

const PROGRESS_MS = 250;
const CHUNK_MS = 60;
const CALIBRATE_MS = 40;     // timing budget per sampled job
const WARMUP_MS = 150;       // untimed training before the first timing
const SAMPLES = 1024;        // routing samples of the summary, as the CLI's default

let lab = null;
const post = (msg) => self.postMessage(msg);

function fail(err, extra = {}) {
  post({ type: 'error', message: String(err?.message ?? err), code: err?.code ?? 'internal', ...extra });
}

// ------------------------------------------------------------------ plan + calibration

/**
 * The jobs of a sweep grouped by architecture: {total, planned, groups: [{arch, jobs, steps,
 * batch, n, m, experts, k, cells, runs, xValues, yValues, msPerStep?, summaryMs?}]}.
 * total = every job of the sweep; planned = the first `limit` (the CLI's --limit); groups count
 * the planned jobs, while xValues / yValues cover the whole sweep (the charts' axes).
 */
function makePlan(preset, fidelity, limit, calibrate) {
  const total = lab.sweepJobs(preset, fidelity);
  const planned = limit ? Math.min(limit, total) : total;
  const groups = new Map();
  // Straight on the export with the names written once: paper fig4 has 180,960 jobs.
  const ps = lab.writeString(preset), fs = lab.writeString(fidelity);
  const jobAt = (i) => {
    const ptr = lab.exports.tm_sweep_job_json(ps, fs, i) >>> 0;
    if (!ptr) throw lab.sweepError();
    return JSON.parse(lab.readString(ptr));
  };
  try {
    enumerate(total, planned, groups, jobAt);
  } finally {
    lab.exports.tm_dealloc(ps);
    lab.exports.tm_dealloc(fs);
  }
  const out = [];
  for (const g of groups.values()) {
    const entry = { arch: g.arch, jobs: g.jobs, steps: g.steps, batch: g.batch, stepSum: g.stepSum, sampleSteps: g.sampleSum,
      n: g.n, m: g.m, experts: g.experts, k: g.k, cells: g.cells.size, runs: g.runs,
      xValues: [...g.xs].sort((a, b) => a - b), yValues: [...g.ys].sort((a, b) => a - b) };
    if (g.jobs) entry.picks = [...new Set([g.sample[0], g.sample[Math.floor(g.sample.length / 2)], g.sample[g.sample.length - 1]])];
    if (calibrate && g.jobs) Object.assign(entry, timeArch(preset, fidelity, entry.picks));
    out.push(entry);
  }
  return { preset, fidelity, total, planned, groups: out, samples: SAMPLES };
}

function enumerate(total, planned, groups, jobAt) {
  for (let i = 0; i < total; i++) {
    const j = jobAt(i);
    let g = groups.get(j.arch);
    if (!g) {
      const c = j.config;
      g = { arch: j.arch, jobs: 0, stepSum: 0, sampleSum: 0, steps: c.steps, batch: c.batch, n: c.n, m: c.m, experts: c.experts ?? 1,
        k: c.k ?? 1, cells: new Set(), runs: 0, xs: new Set(), ys: new Set(), first: i, sample: [] };
      groups.set(j.arch, g);
    }
    g.xs.add(j.x);
    g.ys.add(j.y);
    if (i >= planned) continue;
    g.jobs++;
    g.stepSum += j.config.steps;
    g.sampleSum += j.config.steps * j.config.batch;
    g.cells.add(j.cell);
    g.runs = Math.max(g.runs, j.run + 1);
    g.sample.push(i);
  }
}

// ms per training step of an architecture: a few steps of its first, middle and last planned
// job (picks; density changes the cost), and the time of one summary.
let warm = false;

function timeArch(preset, fidelity, picks) {
  let ms = 0, summaryMs = 0;
  if (!warm) {  // once per worker: let the engine's hot code reach its optimised tier before timing
    warm = true;
    const model = lab.createModel(lab.sweepJob(preset, fidelity, picks[0]).config);
    const t0 = performance.now();
    while (performance.now() - t0 < WARMUP_MS && model.step < model.config.steps) model.train(2);
    model.free();
  }
  for (const i of picks) {
    const model = lab.createModel(lab.sweepJob(preset, fidelity, i).config);
    try {
      model.train(2);  // warm-up: first-touch allocations
      let steps = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < CALIBRATE_MS && steps < model.config.steps) {
        model.train(2);
        steps += 2;
      }
      ms += (performance.now() - t0) / Math.max(1, steps);
      const t1 = performance.now();
      model.sweepSummaryJSON(preset, SAMPLES);
      summaryMs += performance.now() - t1;
    } finally {
      model.free();
    }
  }
  return { msPerStep: ms / picks.length, summaryMs: summaryMs / picks.length };
}

// ------------------------------------------------------------------ one job

let msPerStep = 0.5;

async function runJob(preset, fidelity, job) {
  const t0 = performance.now();
  const jobText = lab.sweepJobJSON(preset, fidelity, job);
  const config = JSON.parse(jobText).config;
  const model = lab.createModel(config);
  let line;
  try {
    const steps = model.config.steps;
    let status = 'ok', error = '', last = performance.now();
    while (model.step < steps) {
      const count = Math.max(1, Math.min(steps - model.step, Math.round(CHUNK_MS / msPerStep)));
      const c0 = performance.now();
      const r = model.train(count);
      msPerStep = 0.7 * msPerStep + 0.3 * Math.max((performance.now() - c0) / count, 1e-4);
      if (r.status !== 'ok') { status = 'nonfinite'; error = r.error; break; }
      if (performance.now() - last >= PROGRESS_MS) {
        last = performance.now();
        post({ type: 'progress', job, step: model.step, steps });
      }
    }
    let summary = '';
    if (status === 'ok') {
      try {
        summary = model.sweepSummaryJSON(preset, SAMPLES);
      } catch (err) {
        status = 'nonfinite';  // as the CLI: a summary that cannot be made is a failed run
        error = String(err?.message ?? err);
      }
    }
    const { W, b, router } = model.params();
    line = resultLine(jobText, { status, summary, error, weights: { W, b, router } });
  } finally {
    model.free();
  }
  let stored = false, storeError = '';
  const t1 = performance.now();
  try {
    await putResult(preset, fidelity, job, line);
    stored = true;
  } catch (err) {
    storeError = String(err?.message ?? err);
  }
  post({ type: 'result', job, line, stored, storeError, ms: performance.now() - t0, storeMs: performance.now() - t1 });
}

// ------------------------------------------------------------------ messages

const PRESETS = ['fig3', 'fig4', 'table1'];
const FIDELITIES = ['quick', 'paper'];
const valid = (m) => PRESETS.includes(m.preset) && FIDELITIES.includes(m.fidelity);

const handlers = {
  plan: (m) => {
    if (!valid(m)) throw new Error('plan: unknown preset or fidelity');
    const limit = Number.isInteger(m.limit) && m.limit > 0 ? m.limit : 0;
    post({ type: 'plan', preset: m.preset, fidelity: m.fidelity, plan: makePlan(m.preset, m.fidelity, limit, !!m.calibrate) });
  },
  time: (m) => {  // {groups: [{arch, picks}]}: time them here (the page runs one per pool worker at once)
    if (!valid(m) || !Array.isArray(m.groups)) throw new Error('time: bad message');
    const times = {};
    for (const g of m.groups.slice(0, 64)) {
      const picks = Array.isArray(g?.picks) ? g.picks.filter((j) => Number.isInteger(j) && j >= 0).slice(0, 3) : [];
      if (typeof g?.arch === 'string' && picks.length) times[g.arch] = timeArch(m.preset, m.fidelity, picks);
    }
    post({ type: 'timed', preset: m.preset, fidelity: m.fidelity, times });
  },
  run: (m) => {
    if (!valid(m) || !Number.isInteger(m.job) || m.job < 0) throw new Error('run: bad job message');
    return runJob(m.preset, m.fidelity, m.job).catch((err) => fail(err, { job: m.job }));
  },
  crash: () => { setTimeout(() => { throw new Error('sweep worker: crash requested by a test'); }, 0); },
};

// One message at a time: a run finishes (and is stored) before the next message starts.
let chain = Promise.resolve();
const queue = [];
function handle(msg) {
  const fn = msg && typeof msg === 'object' ? handlers[msg.type] : undefined;
  if (!fn) return fail(new Error(`sweep worker: unknown message '${String(msg?.type).slice(0, 40)}'`));
  chain = chain.then(() => fn(msg)).catch((err) => fail(err));
}

self.onmessage = (e) => {
  if (!lab) queue.push(e.data);
  else handle(e.data);
};

loadLab()
  .catch((err) => {
    if (!(err instanceof WebAssembly.CompileError)) throw err;
    return loadLab({ wasmUrl: new URL('../../build/toymoe-scalar.wasm', import.meta.url) });
  })
  .then((l) => {
    lab = l;
    post({ type: 'ready' });
    for (const msg of queue.splice(0)) handle(msg);
  })
  .catch((err) => fail(new Error(`could not load the engine: ${err?.message ?? err}`), { code: 'load' }));
