// Module worker of the sweep page: owns one engine and trains one sweep job, or one group
// of up to 8 jobs (the pool sends up to 4 of one small architecture), at a time. A group
// trains in chunks of lab.trainMany calls (tm_train_many: small models of one shape share
// SIMD lanes; the results are bit for bit those of training each job alone). Each finished
// model is written to IndexedDB here, before the page hears of it, so a reload or a crash of
// the page never loses a result that was reported.
//
// Messages in:
//   {type: 'plan', preset, fidelity, limit, calibrate}   the job plan, grouped by architecture;
//       calibrate: time a few steps of each architecture (ms per step) and one summary
//   {type: 'time', preset, fidelity, groups: [{arch, picks, group?}]}   time these jobs'
//       architectures here, `group` models per trainMany call (default 1)
//   {type: 'run', preset, fidelity, jobs}                 train the jobs together, store each, report each
//       (or job: one job number)
//   {type: 'crash'}                                       throw an uncaught error (tests of the pool)
// Messages out:
//   {type: 'ready'}
//   {type: 'plan', preset, fidelity, plan}                (see makePlan)
//   {type: 'timed', preset, fidelity, times: {arch: {msPerStep, summaryMs}}}   msPerStep: one model's
//       step (in a group: the group's step time / its size)
//   {type: 'progress', job, jobs, step, steps}            at most every PROGRESS_MS while training;
//       job = the group's first job, step = the step of its models still training
//   {type: 'result', job, line, stored, storeError, ms}   one per job; line = the CLI's result line (format.js)
//   {type: 'error', message, code, job?, jobs?}           code 'load' when the engine cannot load;
//       jobs: the jobs that failed without a result
import { loadLab } from '../engine.js';
import { resultLine } from './format.js';
import { putResult } from './store.js';

const PROGRESS_MS = 250;
const CHUNK_MS = 60;
const CALIBRATE_MS = 40;     // timing budget per sampled job
const WARMUP_MS = 150;       // untimed training before the first timing
const SAMPLES = 1024;        // routing samples of the summary, as the CLI's default
const MAX_RUN = 8;           // most jobs of one 'run' message

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

function timeArch(preset, fidelity, picks, group = 1) {
  if (group > 1) return timeGroup(preset, fidelity, picks, group);
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

// ms per step of `group` models trained together (trainMany; picks repeated to fill the group),
// divided by the group size, and the time of one summary.
function timeGroup(preset, fidelity, picks, group) {
  const configs = picks.map((i) => lab.sweepJob(preset, fidelity, i).config);
  const models = [];
  let summaryMs = 0;
  try {
    const fresh = () => Array.from({ length: group }, (_, i) => lab.createModel(configs[i % configs.length]));
    if (!warm) {  // as timeArch: the engine's hot code reaches its optimised tier before timing
      warm = true;  // on models of its own, so a fast engine cannot use up the timed models' steps
      const spare = fresh();
      try {
        const t0 = performance.now();
        while (performance.now() - t0 < WARMUP_MS && spare[0].step + 2 <= spare[0].config.steps) lab.trainMany(spare, 2);
      } finally {
        for (const m of spare) m.free();
      }
    }
    models.push(...fresh());
    const budget = Math.min(models[0].config.steps, 1e9);
    lab.trainMany(models, Math.min(2, budget - models[0].step));  // first-touch allocations
    let steps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < CALIBRATE_MS * picks.length && models[0].step + 2 <= budget) {
      lab.trainMany(models, 2);
      steps += 2;
    }
    const ms = (performance.now() - t0) / Math.max(1, steps) / group;
    for (const m of models.slice(0, picks.length)) {
      const t1 = performance.now();
      m.sweepSummaryJSON(preset, SAMPLES);
      summaryMs += performance.now() - t1;
    }
    return { msPerStep: ms, summaryMs: summaryMs / picks.length };
  } finally {
    for (const m of models) m.free();
  }
}

// ------------------------------------------------------------------ one job, or a group

let msPerModelStep = 0.5;    // running estimate of one model's step: sizes the chunks (~CHUNK_MS)

async function runJobs(preset, fidelity, jobs) {
  const t0 = performance.now();
  const texts = jobs.map((job) => lab.sweepJobJSON(preset, fidelity, job));
  const runs = [];
  try {
    for (const text of texts) {
      const model = lab.createModel(JSON.parse(text).config);
      runs.push({ text, model, status: 'ok', error: '', line: '' });
    }
    train(runs, jobs);
    for (const r of runs) r.line = finish(preset, r);
  } catch (err) {
    if (jobs.length === 1) throw err;
    for (const r of runs) r.model.free();
    runs.length = 0;
    // Something failed for the group as a whole (nothing was reported): each job alone, so
    // only a job that fails by itself is given up.
    for (const job of jobs) await runJobs(preset, fidelity, [job]).catch((e) => fail(e, { job, jobs: [job] }));
    return;
  } finally {
    for (const r of runs) r.model.free();
  }
  const trainMs = (performance.now() - t0) / jobs.length;  // each job's share of the group's time
  for (let i = 0; i < jobs.length; i++) {
    let stored = false, storeError = '';
    const t1 = performance.now();
    try {
      await putResult(preset, fidelity, jobs[i], runs[i].line);
      stored = true;
    } catch (err) {
      storeError = String(err?.message ?? err);
    }
    const storeMs = performance.now() - t1;
    post({ type: 'result', job: jobs[i], line: runs[i].line, stored, storeError, ms: trainMs + storeMs, storeMs });
  }
}

// Train every run to its config's steps in chunks of ~CHUNK_MS (one trainMany call each); a
// model that goes non-finite leaves the group with its status and error.
function train(runs, jobs) {
  const steps = Math.max(...runs.map((r) => r.model.config.steps));
  let active = runs.filter((r) => r.model.step < r.model.config.steps), last = performance.now();
  while (active.length) {
    const left = Math.min(...active.map((r) => r.model.config.steps - r.model.step));
    const count = Math.max(1, Math.min(left, Math.round(CHUNK_MS / (msPerModelStep * active.length))));
    const c0 = performance.now();
    const results = lab.trainMany(active.map((r) => r.model), count);
    msPerModelStep = 0.7 * msPerModelStep + 0.3 * Math.max((performance.now() - c0) / (count * active.length), 1e-5);
    results.forEach((res, i) => {
      if (res.status !== 'ok') Object.assign(active[i], { status: 'nonfinite', error: res.error });
    });
    active = active.filter((r) => r.status === 'ok' && r.model.step < r.model.config.steps);
    if (active.length && performance.now() - last >= PROGRESS_MS) {
      last = performance.now();
      post({ type: 'progress', job: jobs[0], jobs, step: Math.min(...active.map((r) => r.model.step)), steps });
    }
  }
}

// The CLI's result line of a trained run (its summary, or its error).
function finish(preset, r) {
  let { status, error } = r, summary = '';
  if (status === 'ok') {
    try {
      summary = r.model.sweepSummaryJSON(preset, SAMPLES);
    } catch (err) {
      status = 'nonfinite';  // as the CLI: a summary that cannot be made is a failed run
      error = String(err?.message ?? err);
    }
  }
  const { W, b, router } = r.model.params();
  return resultLine(r.text, { status, summary, error, weights: { W, b, router } });
}

// ------------------------------------------------------------------ messages

const PRESETS = ['fig3', 'fig4', 'table1'];
const FIDELITIES = ['quick', 'paper', 'quick-xoshiro', 'paper-xoshiro'];  // -xoshiro: the jobs on that stream (sweep.c)
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
      const group = Number.isInteger(g?.group) ? Math.max(1, Math.min(MAX_RUN, g.group)) : 1;
      if (typeof g?.arch === 'string' && picks.length) times[g.arch] = timeArch(m.preset, m.fidelity, picks, group);
    }
    post({ type: 'timed', preset: m.preset, fidelity: m.fidelity, times });
  },
  run: (m) => {
    const jobs = Array.isArray(m.jobs) ? m.jobs : [m.job];
    if (!valid(m) || !jobs.length || jobs.length > MAX_RUN || !jobs.every((j) => Number.isInteger(j) && j >= 0) ||
      new Set(jobs).size !== jobs.length) throw new Error('run: bad job message');
    return runJobs(m.preset, m.fidelity, jobs).catch((err) => fail(err, { job: jobs[0], jobs }));
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
