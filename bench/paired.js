// Paired timing of two builds of the lab (bench/compare.mjs): both wasm modules live in one
// process, and their calls alternate, so the machine's drift (other tenants, clocks) hits both
// alike; the median of the per-pair ratios is far steadier than two separate runs. No DOM:
// runs in Node and in a module worker.

// One workload of `bench_train --list` on one Lab: {run, free}, run trains it a little.
// Multi-model workloads train 40 of their models one step each: 4 per trainMany call (one
// per SIMD lane), or one per train call for the "lanes" group (phase-single), as bench_train.
function setup(lab, w) {
  if (w.models > 1) {
    const models = [];
    for (let i = 0; i < 40; i++) models.push(lab.createModel({ ...w.config, seed: i, steps: 1e6 }));
    const groups = [];
    for (let i = 0; i < models.length; i += 4) groups.push(models.slice(i, i + 4));
    const run = w.group === 'lanes' ? () => { for (const m of models) m.train(1); } : () => { for (const g of groups) lab.trainMany(g, 1); };
    return { run, free: () => { for (const m of models) m.free(); } };
  }
  const model = lab.createModel({ ...w.config, steps: 1e7 });
  return { run: () => model.train(4), free: () => model.free() };
}

const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];

/**
 * Time workload w on labs [old, new] (w.vs, if given, on new), `pairs` pairs of timings in alternating order.
 * @returns {{id: string, oldMs: number, newMs: number, ratio: number, q25: number, q75: number, pairs: number}}
 *   oldMs/newMs: median ms per timing; ratio: median of new/old per pair, q25/q75 its quartiles.
 */
export function pairedRun(labs, w, pairs = 30, now = () => performance.now()) {
  // w.vs: the new build runs that workload instead (the same build with another config, say)
  const made = labs.map((lab, i) => setup(lab, i && w.vs ? w.vs : w)), run = made.map((x) => x.run);
  for (const t0 = now(); now() - t0 < 600;) { run[0](); run[1](); }  // warm-up: let the engine tier up
  let reps = 1;  // calls per timing: doubled until one timing takes 25 ms
  for (;;) {
    const t0 = now();
    for (let r = 0; r < reps; r++) run[0]();
    if (now() - t0 >= 25 || reps >= 1 << 20) break;
    reps *= 2;
  }
  const ms = [[], []], ratios = [];
  for (let p = 0; p < pairs; p++) {
    const d = [0, 0];
    for (const i of p % 2 ? [1, 0] : [0, 1]) {
      const s = now();
      for (let r = 0; r < reps; r++) run[i]();
      d[i] = now() - s;
    }
    ms[0].push(d[0]); ms[1].push(d[1]); ratios.push(d[1] / d[0]);
  }
  for (const x of made) x.free();  // the next workload starts from the same wasm memory
  return { id: w.vs ? `${w.id}:${w.vs.id}` : w.id, oldMs: quantile(ms[0], 0.5), newMs: quantile(ms[1], 0.5), ratio: quantile(ratios, 0.5),
    q25: quantile(ratios, 0.25), q75: quantile(ratios, 0.75), pairs };
}
