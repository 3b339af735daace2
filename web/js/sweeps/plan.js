// The plan of a sweep and its time estimate: a planning worker (sweep-worker.js) enumerates
// the jobs grouped by architecture; then as many workers as the pool will use time a few
// steps of each architecture at once (so shared cores and hyper-threads count), and the
// estimate is sum(steps x ms per step + summary + overhead) / workers. Architectures whose
// jobs the pool trains in groups (groupable: GROUP_MAX models per trainMany call, one per
// SIMD lane) are timed that way, so their ms per step is the cost of one model's step in a group.
//
//   const planner = new Planner();
//   const plan = await planner.plan('fig4', 'quick', limit, workers);   // cached
//   plannedWork(plan, limit); estimateMs(plan, doneByArch, workers)
import { GROUP_MAX } from './pool.js';

/** A duration for people: '45 s', '3 min 20 s', '5 h 12 min', '3 days 4 h'. */
export function fmtDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${Math.floor(s / 60)} min ${s % 60 ? `${s % 60} s` : ''}`.trim();
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}
export const fmtInt = (v) => Math.round(v).toLocaleString('en-US');
function fmtBig(v) {
  if (v < 1e6) return fmtInt(v);
  const e = Math.floor(Math.log10(v));
  return `${(v / 10 ** e).toFixed(2)} × 10^${e}`;
}

const workerURL = () => new URL('./sweep-worker.js', import.meta.url);

/** Whether the jobs of a plan group train GROUP_MAX at a time: the models tm_train_many packs into
 * SIMD lanes (n <= 3, top-1; the jobs of one architecture share their optimiser settings and steps). */
export const groupable = (g) => g.n <= 3 && g.k === 1;
const TIMING_LIMIT_MS = 60000;

// A plan from the worker is ours, but check its shape before drawing from it.
function checkPlan(p) {
  const okNum = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!p || !Number.isInteger(p.total) || !Number.isInteger(p.planned) || !Array.isArray(p.groups) ||
    !p.groups.every((g) => typeof g.arch === 'string' && okNum(g.jobs) && okNum(g.steps) && okNum(g.batch) &&
      Array.isArray(g.xValues) && Array.isArray(g.yValues))) {
    throw new Error('the planning worker returned a malformed plan');
  }
}

export class Planner {
  constructor({ onWarn = () => {} } = {}) {
    this.onWarn = onWarn;
    this.worker = null;
    this.ready = null;
    this.waiters = new Map();   // 'preset/fidelity' -> [{resolve, reject}]
    this.cache = new Map();
  }

  // The planning worker, started on first use (and again after it failed).
  start() {
    const w = new Worker(workerURL(), { type: 'module' });
    this.worker = w;
    const failAll = (why) => {
      for (const list of this.waiters.values()) for (const fn of list) fn.reject(new Error(why));
      this.waiters.clear();
    };
    this.ready = new Promise((resolve, reject) => {
      w.onmessage = (e) => {
        const m = e.data;
        if (!m || typeof m !== 'object') return;
        if (m.type === 'ready') resolve();
        else if (m.type === 'plan') {
          const key = `${m.preset}/${m.fidelity}`;
          const list = this.waiters.get(key) ?? [];
          this.waiters.delete(key);
          for (const fn of list) fn.resolve(m.plan);
        } else if (m.type === 'error') {
          if (m.code === 'load') reject(new Error(String(m.message)));
          failAll(String(m.message));
        }
      };
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message || 'the planning worker failed'));
        failAll('the planning worker failed');
        this.worker = null;
      };
    });
  }

  /** The plan of a sweep (first `limit` jobs, 0 = all) timed for `workers` workers; cached. */
  async plan(preset, fidelity, limit, workers) {
    const key = `${preset}/${fidelity}/${limit}/${workers}`;
    if (this.cache.has(key)) return this.cache.get(key);
    if (!this.worker) this.start();
    await this.ready;
    const wkey = `${preset}/${fidelity}`;
    const plan = await new Promise((resolve, reject) => {
      const list = this.waiters.get(wkey) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(wkey, list);
      this.worker.postMessage({ type: 'plan', preset, fidelity, limit, calibrate: false });
    });
    checkPlan(plan);
    try {
      await timePlan(plan, Math.min(workers, plan.planned));
    } catch (err) {
      this.onWarn(`Timing the architectures failed (${String(err?.message ?? err).slice(0, 80)}); the time estimate is a rough guess.`);
    }
    this.cache.set(key, plan);
    return plan;
  }
}

// Time the plan's architectures in `count` fresh workers at once; the mean per architecture.
async function timePlan(plan, count) {
  const groups = plan.groups.filter((g) => g.picks?.length).map((g) => ({ arch: g.arch, picks: g.picks, group: groupable(g) ? GROUP_MAX : 1 }));
  const workers = Array.from({ length: Math.max(1, count) }, () => new Worker(workerURL(), { type: 'module' }));
  try {
    const all = await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timing took over ${TIMING_LIMIT_MS / 1000} s`)), TIMING_LIMIT_MS);
      w.onmessage = (e) => {
        if (e.data?.type === 'timed') { clearTimeout(timer); resolve(e.data.times ?? {}); }
        if (e.data?.type === 'error') { clearTimeout(timer); reject(new Error(String(e.data.message))); }
      };
      w.onerror = (e) => { e.preventDefault(); clearTimeout(timer); reject(new Error(e.message || 'a timing worker failed')); };
      w.postMessage({ type: 'time', preset: plan.preset, fidelity: plan.fidelity, groups });
    })));
    for (const g of plan.groups) {
      const t = all.map((x) => x[g.arch]).filter((x) => Number.isFinite(x?.msPerStep) && x.msPerStep > 0);
      if (!t.length) continue;
      g.msPerStep = t.reduce((a, x) => a + x.msPerStep, 0) / t.length;
      g.summaryMs = t.reduce((a, x) => a + (Number(x.summaryMs) || 0), 0) / t.length;
    }
  } finally {
    for (const w of workers) w.terminate();
  }
}

/** Milliseconds of one worker for one job of a plan group (untimed groups: a guess). */
export const jobCost = (g) => g.steps * (g.msPerStep ?? 0.1) + (g.summaryMs ?? 1) + 4;

/** 'Planned: N models = ...; steps × batch each = ... sample-steps.' */
export function plannedWork(plan, limit) {
  const models = plan.planned, groups = plan.groups.filter((g) => g.jobs);
  const steps = [...new Set(groups.map((g) => g.steps))], batches = [...new Set(groups.map((g) => g.batch))];
  const cells = groups.reduce((s, g) => s + g.cells, 0), runs = Math.max(...groups.map((g) => g.runs), 1);
  const sampleSteps = groups.reduce((s, g) => s + g.sampleSteps, 0);
  const limited = plan.planned < plan.total ? ` — the first ${fmtInt(models)} of ${fmtInt(plan.total)} (limit=${limit})` : '';
  return `Planned: ${fmtInt(models)} models${limited} = ${groups.length} architecture${groups.length === 1 ? '' : 's'}, ` +
    `${fmtInt(cells)} cells × up to ${runs} run${runs === 1 ? '' : 's'}; ${steps.map(fmtInt).join('/')} steps × batch ` +
    `${batches.join('/')} each = ${fmtBig(sampleSteps)} sample-steps.`;
}

/**
 * Estimated wall time (ms) of the planned jobs not done yet with `workers` workers.
 * doneByArch: Map arch -> planned jobs already done; factor: measured / predicted speed so far;
 * inflight: the jobs under way, each counted by the share of its steps done (at the mean cost
 * of a job left), so the estimate runs down while the first jobs train.
 */
export function estimateMs(plan, doneByArch, workers, { factor = 1, inflight = 0 } = {}) {
  let ms = 0, left = 0;
  for (const g of plan.groups) {
    const rem = Math.max(0, g.jobs - (doneByArch?.get(g.arch) ?? 0));
    ms += rem * jobCost(g);
    left += rem;
  }
  if (!left) return 0;
  ms *= Math.max(0, 1 - inflight / left);
  return (ms * factor) / Math.max(1, Math.min(workers, left));
}
