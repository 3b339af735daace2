// Module Web Worker of the Chromium benchmark (bench/worker-bench.html): trains through
// web/js/engine.js exactly as the lab's worker does, and times with performance.now().
//
// Messages in:
//   {type: 'init', variant: 'simd'|'scalar'}   load web/build/toymoe[-scalar].wasm -> {type: 'ready', version}
//   {type: 'bench', workload, reps, targetMs, warmup, models}
//       workload: one line of `bench_train --list` (id, config, models, batch, macs_per_sample, ...).
//       The timing protocol of bench/bench_train.c: `warmup` steps per model and on until
//       the warm-up has lasted WARMUP_MS, a doubling timed
//       run sizes the repeats (~targetMs each; multi-model workloads time one step of every
//       model per repeat), median of `reps`. models caps the models timed (scaled up).
//       Multi-model workloads (phase, fig4-*) train groups of GROUP models per lab.trainMany call
//       (tm_train_many: one model per SIMD lane), one step per call, as bench_train.c does;
//       an id ending in '-single' (phase-single) trains one model per model.train call instead.
//       -> {type: 'result', ...the fields bench_train prints}
//   {type: 'count', preset, fidelity}          -> {type: 'count', jobs}
//   {type: 'specs', preset, fidelity, jobs}    -> {type: 'specs', specs: [{job, arch, n, k, steps}]}
//   {type: 'job', preset, fidelity, job | jobs, stepsFraction}
//       one sweep job (tm_sweep_job_json), or a group of up to GROUP jobs of one architecture
//       trained together in one lab.trainMany call (tm_train_many: one model per SIMD lane, as
//       the sweeps page's workers do): train round(steps*stepsFraction) steps, then the sweep
//       summary of each model (metrics on 1024 samples, as `toymoe sweep`)
//       -> {type: 'job', results: [{job, arch, group, steps, stepsTrained, trainMs (a group's: its
//          time / its size), summaryMs, estMs (the whole job: train time scaled to all steps)}]}
// Errors: {type: 'error', message}.
import { loadLab } from '../web/js/engine.js';

let lab = null;
const WARMUP_MS = 300;   // bench_train.c's WARMUP_MS
const GROUP = 4;   // models per trainMany call in multi-model workloads (the SIMD lanes of tm_train_many)
const post = (msg) => self.postMessage(msg);

function sweepCall(name, ...strings) {
  const fn = lab.exports[name];
  if (typeof fn !== 'function') throw new Error(`${name} is not exported by this toymoe.wasm`);
  const ptrs = strings.map((s) => lab.writeString(s));
  return { ptrs, call: (...more) => fn(...ptrs, ...more), free: () => ptrs.forEach((p) => lab.exports.tm_dealloc(p)) };
}

function jobConfig(preset, fidelity, job) {
  const c = sweepCall('tm_sweep_job_json', preset, fidelity);
  try {
    const ptr = c.call(job);
    if (!ptr) throw new Error(lab.lastError());
    return JSON.parse(lab.readString(ptr));
  } finally { c.free(); }
}

function bench({ workload: w, reps, targetMs, warmup, models: cap }) {
  const models = w.models > 1 ? Math.min(w.models, cap > 0 ? cap : w.models) : 1;
  const ms = [];
  try {
    for (let i = 0; i < models; i++) ms.push(lab.createModel({ ...w.config, seed: i }));
    // One step of all models: trainMany on consecutive groups of GROUP (the last may be shorter).
    const size = models > 1 && !String(w.id).endsWith('-single') ? GROUP : 1;
    const groups = [];
    for (let i = 0; i < models; i += size) groups.push(ms.slice(i, i + size));
    const trainAll = (steps) => {
      for (const g of groups) {
        const res = g.length > 1 ? lab.trainMany(g, steps) : [g[0].train(steps)];
        const bad = res.find((x) => x.status !== 'ok');
        if (bad) throw new Error(`${w.id}: ${bad.error}`);
      }
    };
    // As bench_train.c: every workload warms up for at least WARMUP_MS (not in smoke runs), so V8
    // has moved the training loop to its optimised tier.
    const warm0 = performance.now();
    trainAll(warmup);
    while (targetMs > 0 && performance.now() - warm0 < WARMUP_MS) trainAll(1);
    let steps = 1;
    if (models === 1) {
      for (let s = 1; ; s *= 2) {
        const t0 = performance.now();
        ms[0].train(s);
        const el = performance.now() - t0;
        if (el >= targetMs / 4 || s >= 1024) {
          steps = Math.max(1, Math.min(2000, el > 0 ? Math.ceil((targetMs * s) / el) : 1));
          break;
        }
      }
    } else {
      trainAll(1);
    }
    const t = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      trainAll(steps);
      t.push((performance.now() - t0) / steps);
    }
    t.sort((a, b) => a - b);
    const scale = w.models / models;
    const msStep = t[Math.floor(reps / 2)] * scale, samples = w.batch * w.models;
    return {
      id: w.id, group: w.group, target: 'chromium-worker', simd: lab.variant === 'simd' ? 1 : 0, n: w.n, m: w.m, E: w.E,
      k: w.k, batch: w.batch, models: w.models, models_timed: models, params: w.params, reps, steps_per_rep: steps,
      ms_per_step: msStep, ms_min: t[0] * scale, sample_steps_per_s: samples / (msStep * 1e-3),
      macs_per_sample: w.macs_per_sample, useful_gflops: (2 * w.macs_per_sample * samples) / (msStep * 1e-3) / 1e9,
    };
  } finally {
    for (const m of ms) m.free();
  }
}

function jobs({ preset, fidelity, job: one, jobs: list, stepsFraction }) {
  const indices = Array.isArray(list) ? list : [one];
  if (!indices.length || indices.length > GROUP) throw new Error(`job: 1 to ${GROUP} jobs per message, got ${indices.length}`);
  const specs = indices.map((i) => jobConfig(preset, fidelity, i));
  const steps = specs[0].config.steps;
  if (specs.some((sp) => sp.arch !== specs[0].arch || sp.config.steps !== steps)) throw new Error('job: a group must share its architecture and steps');
  const models = [];
  try {
    for (const sp of specs) models.push(lab.createModel(sp.config));
    const stepsTrained = Math.max(1, Math.round(steps * stepsFraction));
    const t0 = performance.now();
    const res = models.length > 1 ? lab.trainMany(models, stepsTrained) : [models[0].train(stepsTrained)];
    const trainMs = (performance.now() - t0) / models.length;  // each job's share of its group's time
    return specs.map((sp, i) => {
      let summaryMs = 0;
      if (res[i].status === 'ok') {
        const fn = lab.exports.tm_sweep_summary_json, presetPtr = lab.writeString(preset);
        const t1 = performance.now();
        try {
          if (typeof fn !== 'function') throw new Error('tm_sweep_summary_json is not exported by this toymoe.wasm');
          if (!fn(models[i].ptr, presetPtr, 1024)) throw new Error(lab.lastError());
        } finally { lab.exports.tm_dealloc(presetPtr); }
        summaryMs = performance.now() - t1;
      }
      return { job: indices[i], arch: sp.arch, group: models.length, steps, stepsTrained, status: res[i].status, trainMs, summaryMs,
        estMs: (trainMs * steps) / stepsTrained + summaryMs };
    });
  } finally {
    for (const m of models) m.free();
  }
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'init') {
      const file = data.variant === 'scalar' ? 'toymoe-scalar.wasm' : 'toymoe.wasm';
      lab = await loadLab({ wasmUrl: new URL(`../web/build/${file}`, import.meta.url) });
      lab.variant = data.variant === 'scalar' ? 'scalar' : 'simd';
      post({ type: 'ready', version: lab.version });
    } else if (data.type === 'bench') {
      post({ type: 'result', ...bench(data) });
    } else if (data.type === 'count') {
      const c = sweepCall('tm_sweep_jobs', data.preset, data.fidelity);
      try { post({ type: 'count', jobs: c.call() }); } finally { c.free(); }
    } else if (data.type === 'specs') {
      post({ type: 'specs', specs: data.jobs.map((i) => {
        const sp = jobConfig(data.preset, data.fidelity, i);
        return { job: i, arch: sp.arch, n: sp.config.n, k: sp.config.k ?? 1, steps: sp.config.steps };
      }) });
    } else if (data.type === 'job') {
      post({ type: 'job', results: jobs(data) });
    } else {
      throw new Error(`unknown message type ${data.type}`);
    }
  } catch (err) {
    post({ type: 'error', message: String(err?.message ?? err) });
  }
};
