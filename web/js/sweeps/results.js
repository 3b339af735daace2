// What the charts need from a sweep's results, kept small enough for paper-size sweeps:
// per cell the run count, mean final loss, mean features per dimension and the best run
// (lowest final loss, as `toymoe merge`); for Table 1 every model's per-expert numbers.
// No DOM.

const SKIP = new Set(['weights', 'config']);

/** The result without its weights (what charts and tooltips use). */
export function slim(r) {
  const out = {};
  for (const [k, v] of Object.entries(r)) if (!SKIP.has(k)) out[k] = v;
  out.n = r.config.n;
  out.m = r.config.m;
  out.experts = r.config.experts ?? 1;
  out.k = r.config.k ?? 1;
  return out;
}

export class SweepResults {
  constructor(preset, fidelity) {
    this.preset = preset;
    this.fidelity = fidelity;
    this.jobs = new Set();
    this.cells = new Map();      // cell -> {cell, arch, x, y, runs, lossSum, finite, fpdSum, fpdMin, fpdMax, best}
    this.models = [];            // table1: every model (slim)
    this.failed = 0;
    this.version = 0;            // bumps on every change (charts redraw when it moved)
  }

  get size() { return this.jobs.size; }

  /** Add one validated result (the parsed line). Returns false for a job already counted. */
  add(r) {
    if (this.jobs.has(r.job)) return false;
    this.jobs.add(r.job);
    this.version++;
    const s = slim(r);
    let c = this.cells.get(r.cell);
    if (!c) {
      c = { cell: r.cell, arch: r.arch, x: r.x, y: r.y, runs: 0, lossSum: 0, finite: 0, fpdSum: 0, fpdMin: Infinity, fpdMax: -Infinity, best: null };
      this.cells.set(r.cell, c);
    }
    c.runs++;
    const ok = r.status === 'ok';
    if (!ok) this.failed++;
    if (ok) {
      c.lossSum += r.final_loss;
      c.finite++;
      c.fpdSum += r.fpd;
      c.fpdMin = Math.min(c.fpdMin, r.fpd);
      c.fpdMax = Math.max(c.fpdMax, r.fpd);
    }
    // Best = lowest final loss; on a tie the lower job (the CLI sorts by job, keeps the first minimum).
    const loss = ok ? r.final_loss : Infinity;
    const bestLoss = c.best ? (c.best.status === 'ok' ? c.best.final_loss : Infinity) : Infinity;
    if (!c.best || loss < bestLoss || (loss === bestLoss && r.job < c.best.job)) c.best = s;
    if (this.preset === 'table1') this.models.push(s);
    return true;
  }

  /** Cells of one architecture. */
  cellsOf(arch) { return [...this.cells.values()].filter((c) => c.arch === arch); }
}

/** The mean final loss of a cell (NaN when no run finished with a finite loss). */
export const meanLoss = (c) => (c.finite ? c.lossSum / c.finite : NaN);
/** The mean features per dimension of a cell. */
export const meanFpd = (c) => (c.finite ? c.fpdSum / c.finite : NaN);

/**
 * Table 1 from the models: for each initialisation and each number of monosemantic features
 * per expert (0..5, and '6+' when present) the experts in that row and their usage in the
 * three conditions (as fractions; only-feature usage is absent for row 0).
 * @returns {{[arch: string]: {experts: number, models: number, rows: {mono: string, count: number,
 *   usage: number[], clamped: number[], only: number[]}[]}}}
 */
export function table1Rows(models) {
  const out = {};
  for (const r of models) {
    if (r.status !== 'ok') continue;
    const t = out[r.arch] ?? (out[r.arch] = { experts: 0, models: 0, rows: new Map() });
    t.models++;
    for (let e = 0; e < r.experts; e++) {
      const mono = r[`mono_e${e}`];
      const key = mono >= 6 ? '6+' : String(mono);
      const row = t.rows.get(key) ?? { mono: key, count: 0, usage: [], clamped: [], only: [] };
      t.rows.set(key, row);
      row.count++;
      t.experts++;
      row.usage.push(r[`usage_e${e}`]);
      row.clamped.push(r[`clamped_e${e}`]);
      if (r[`only_e${e}`] >= 0) row.only.push(r[`only_e${e}`]);
    }
  }
  for (const t of Object.values(out)) {
    const keys = ['0', '1', '2', '3', '4', '5', ...(t.rows.has('6+') ? ['6+'] : [])];
    t.rows = keys.map((k) => t.rows.get(k) ?? { mono: k, count: 0, usage: [], clamped: [], only: [] });
  }
  return out;
}

export const mean = (a) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);

/** Quartiles, whiskers (1.5 IQR, as matplotlib) and outliers of a list of numbers. */
export function boxStats(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return null;
  const q = (p) => {
    const i = (v.length - 1) * p, lo = Math.floor(i), hi = Math.ceil(i);
    return v[lo] + (v[hi] - v[lo]) * (i - lo);
  };
  const q1 = q(0.25), med = q(0.5), q3 = q(0.75), iqr = q3 - q1;
  const loFence = q1 - 1.5 * iqr, hiFence = q3 + 1.5 * iqr;
  const inside = v.filter((x) => x >= loFence && x <= hiFence);
  return { n: v.length, q1, med, q3, lo: inside[0] ?? q1, hi: inside[inside.length - 1] ?? q3, outliers: v.filter((x) => x < loFence || x > hiFence) };
}
