#!/usr/bin/env node
// Summarise the JSON of `toymoe train --metrics` (e.g. from examples/cli/train.sh) as text:
// loss, features per dimension, and per expert its share of the inputs, capacity, usage and
// one letter per feature (. ignored, M monosemantic, S superposed).
//   bash examples/cli/train.sh fig2 | node examples/cli/summarize.mjs
//   node examples/cli/summarize.mjs run.json
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let run;
try {
  run = JSON.parse(readFileSync(file ?? 0, 'utf8'));
} catch (e) {
  console.error(`summarize: cannot read the JSON of toymoe train --metrics (${e.message})`);
  process.exit(2);
}
const { config: c, metrics: met } = run;
if (!c || !met) {
  console.error('summarize: no config/metrics in the input; run toymoe train with --metrics');
  process.exit(2);
}
const f3 = (v) => (v < 0 ? '   –  ' : v.toFixed(3).padStart(6));
const letter = { ignored: '.', monosemantic: 'M', superposed: 'S' };
console.log(`n=${c.n} m=${c.m} experts=${c.experts} k=${c.k} p=${c.p} importance=${c.importance} bias_init=${c.bias_init} ` +
  `router_init=${c.router_init} seed=${c.seed}`);
console.log(`status ${run.status}${run.error ? ` (${run.error})` : ''}, ${run.steps} steps, final loss ${run.final_loss.toPrecision(4)}`);
console.log(`features per dimension ${met.fpd.toFixed(3)}, total capacity ${met.totalCapacity.toFixed(2)} ` +
  `(of ${c.experts * c.m} dimensions), loss on ${met.samples} fresh samples ${met.loss.toPrecision(4)}`);
console.log(`expert    p_e  capacity  usage  clamped  only-mono  features 0..${c.n - 1} (. ignored, M monosemantic, S superposed); usage on ${c.usage_inputs} inputs`);
met.classes.forEach((row, e) => {
  const u = met.usage;
  console.log(`${String(e).padStart(6)} ${f3(met.gateMean[e])} ${met.capacity[e].toFixed(2).padStart(9)} ${f3(u.unchanged[e])}  ` +
    `${f3(u.clamped[e])}     ${f3(u.onlyMono[e])}  ${row.map((cls) => letter[cls] ?? '?').join('')}`);
});
