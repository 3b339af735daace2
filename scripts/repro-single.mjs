#!/usr/bin/env node
// The single-model paper presets (web/js/presets.js) over several seeds, through
// the JS engine in Node: the preset's own seed and the spread over seeds 0..N-1,
// as a markdown table for docs/reproduction.md.
//   node scripts/repro-single.mjs [--seeds 10] [--only fig5-xavier] [--data-rng xoshiro]
// --data-rng: every run on that data stream instead of the presets' pcg32 (the same
// distribution, other draws: the spread over seeds is what should carry over).
import { parseArgs } from 'node:util';
import { loadLab } from '../web/js/engine.js';
import { PRESETS } from '../web/js/presets.js';

const { values: args } = parseArgs({ options: { seeds: { type: 'string', default: '10' }, only: { type: 'string' }, 'data-rng': { type: 'string' } } });
const seeds = Number(args.seeds);
const lab = await loadLab();

function run(config) {
  const model = lab.createModel(args['data-rng'] ? { ...config, data_rng: args['data-rng'] } : config);
  const r = model.train(config.steps);
  const met = model.metrics({ samples: 8192 });
  const dead = met.classes.flat().filter((c) => c === 'ignored').length;
  model.free();
  return { loss: r.loss, fpd: met.fpd, ignored: dead };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
console.log('| preset | paper loss | preset seed: loss (FPD, ignored) | seeds 0-' + (seeds - 1) + ': median [min, max] loss |');
console.log('|---|---|---|---|');
for (const p of PRESETS) {
  if (args.only && p.id !== args.only) continue;
  const t0 = Date.now();
  const own = run(p.config);
  const losses = [];
  for (let s = 0; s < seeds; s++) losses.push(run({ ...p.config, seed: s }).loss);
  const f = (x) => x.toPrecision(3);
  console.log(`| ${p.id} | ${p.paperLoss ?? '—'} | seed ${p.config.seed}: ${f(own.loss)} (${f(own.fpd)}, ${own.ignored}) | ` +
    `${f(median(losses))} [${f(Math.min(...losses))}, ${f(Math.max(...losses))}] |`);
  console.error(`${p.id}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
