#!/usr/bin/env node
// Figure 1 (SPEC section 7, fig1) through the JS engine in Node: a dense toy model,
// n=20 features into m=6 dimensions, zero output bias (the Anthropic convention,
// so no feature dies at init). Progress on stderr; the result on stdout.
//   node examples/node-fig1.mjs [--steps N] [--seed S]
import { parseArgs } from 'node:util';
import { loadLab } from '../web/js/engine.js';

const usage = 'usage: node examples/node-fig1.mjs [--steps N] [--seed S]';
let args;
try {
  args = parseArgs({ options: { steps: { type: 'string', default: '10000' }, seed: { type: 'string', default: '0' },
    help: { type: 'boolean', short: 'h' } } }).values;
} catch (e) {
  console.error(`node-fig1: ${e.message}\n${usage}`);
  process.exit(2);
}
if (args.help) { console.log(usage); process.exit(0); }

const num = (text) => (text.trim() === '' ? NaN : Number(text));  // Number('') would be 0
const lab = await loadLab();
const config = { n: 20, m: 6, experts: 1, k: 1, p: 0.1, importance: 'decay', importance_base: 0.7, batch: 1024,
  loss: 'sum', bias_init: 'zero', steps: num(args.steps), seed: num(args.seed) };
const { ok, errors } = lab.validate(config);
if (!ok) {
  // The engine's messages name the field; the CLI flags share those names.
  for (const e of errors) console.error(`node-fig1: --${e.message}`);
  process.exit(2);
}

const model = lab.createModel(config);
const tty = process.stderr.isTTY;
const t0 = performance.now();
let lastPrint = 0;
function progress() {
  const done = model.step, width = 30, filled = Math.round((done / Math.max(config.steps, 1)) * width);
  const rate = done / Math.max((performance.now() - t0) / 1000, 1e-9);
  const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${config.steps} steps  ` +
    `loss ${model.lastLoss.toPrecision(5)}  ${rate.toFixed(0)} steps/s`;
  process.stderr.write(tty ? `\r${line}` : `${line}\n`);
}
// Train in chunks so progress shows; a terminal gets a live line, a log one line every few seconds.
while (model.step < config.steps) {
  const r = model.train(Math.min(100, config.steps - model.step));
  if (r.status !== 'ok') {
    console.error(`\nnode-fig1: ${r.error}`);
    process.exit(3);
  }
  const now = performance.now();
  if (now - lastPrint > (tty ? 200 : 5000)) { progress(); lastPrint = now; }
}
progress();
if (tty) process.stderr.write('\n');

const met = model.metrics({ samples: 8192 });
console.log(`fig1: n=${config.n} m=${config.m} p=${config.p} importance 0.7^i, bias zero, ${config.steps} steps, seed ${config.seed}`);
console.log(`final loss: ${model.lastLoss.toPrecision(6)}`);
console.log(`features per dimension: ${met.fpd.toFixed(4)}`);
console.log('feature  class         norm    dim');
met.classes[0].forEach((cls, i) => {
  console.log(`${String(i).padStart(7)}  ${cls.padEnd(12)}  ${met.norms[0][i].toFixed(3).padStart(6)}  ${met.dim[0][i].toFixed(3).padStart(6)}`);
});
model.free();
