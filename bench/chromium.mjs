#!/usr/bin/env node
// The Chromium part of bench/run.sh (bench/suite.mjs imports openBench): serves the
// repository root on 127.0.0.1, opens bench/worker-bench.html in Debian's headless Chromium
// (playwright-core) and runs the workloads in a module Web Worker through web/js/engine.js,
// then samples the quick sweep presets with 2 workers (a 2-core machine's tab; as the sweeps
// page, consecutive sampled jobs of one small architecture train 4 per lab.trainMany call). The
// multi-model workloads (phase, fig4-*: one step of each of 2262 models) train 4 models per
// lab.trainMany call, one step per call (tm_train_many: one model per SIMD lane), as
// bench_train.c does natively; phase-single trains one model per call. Standalone, it prints
// JSON lines on stdout: one per workload (as bench_train), one {"sweep": ...} per preset.
//
//   node bench/chromium.mjs --workloads FILE [--reps N] [--target-ms MS] [--warmup N] [--models N]
//                           [--variant simd|scalar] [--sweeps full|quick|none]
// FILE: the JSON lines of `bench_train --list [--scaling]` (the one list of workloads).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, NO_CHROMIUM } from '../scripts/chromium.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));

// Which jobs of each quick preset to train (every stride-th) and for what share of their steps;
// the estimate scales the measured job times up to all jobs and all steps.
export const SWEEP_PLANS = {
  full: [
    { preset: 'fig3', stride: 3, stepsFraction: 0.5 },
    { preset: 'fig4', stride: 7, stepsFraction: 1 },
    // the same sample on the xoshiro stream: the sweep estimate of the page's "data generator: xoshiro"
    { preset: 'fig4', fidelity: 'quick-xoshiro', stride: 7, stepsFraction: 1 },
    { preset: 'table1', stride: 3, stepsFraction: 0.25 },
  ],
  quick: [
    { preset: 'fig3', stride: 7, stepsFraction: 0.2 },
    { preset: 'fig4', stride: 29, stepsFraction: 0.2 },
    { preset: 'fig4', fidelity: 'quick-xoshiro', stride: 29, stepsFraction: 0.2 },
    { preset: 'table1', stride: 7, stepsFraction: 0.05 },
  ],
  none: [],
};

/**
 * Open bench/worker-bench.html in headless Chromium, the repository root served on 127.0.0.1.
 * @returns {Promise<{version: string, run(workload, opts): Promise<object>, sweep(plan): Promise<object>, close(): Promise<void>}>}
 *   run: one workload in the page's (persistent) worker; opts {reps, targetMs, warmup, models, variant}.
 *   sweep: {preset, fidelity, stride, stepsFraction, workers, variant} (see worker-bench.js).
 */
export async function openBench() {
  if (NO_CHROMIUM) throw new Error(NO_CHROMIUM);
  for (const f of ['web/build/toymoe.wasm', 'web/js/engine.js']) {
    if (!fs.existsSync(path.join(REPO, f))) throw new Error(`${f} is missing: build first (bash scripts/test.sh)`);
  }
  const { context, server, close } = await launchChromium({ root: REPO, prefix: 'toymoe-bench-chromium-' });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${server.url}bench/worker-bench.html`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
    const checked = async (result) => {
      if (errors.length) throw new Error(`page errors: ${errors.join(' | ')}`);
      return result;
    };
    return {
      version: await page.evaluate(() => navigator.userAgent),
      run: async (workload, { reps = 11, targetMs = 150, warmup = 3, models = 0, variant = 'simd' } = {}) =>
        checked((await page.evaluate((o) => window.toymoeBench.run(o), { workloads: [workload], reps, targetMs, warmup, models, variant }))[0]),
      sweep: async (plan) => checked(await page.evaluate((o) => window.toymoeBench.sweep(o), { fidelity: 'quick', workers: 2, variant: 'simd', ...plan })),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function parseArgs(argv) {
  const o = { workloads: null, reps: 11, targetMs: 150, warmup: 3, models: 0, variant: 'simd', sweeps: 'full' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => { if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`); return argv[++i]; };
    if (a === '--workloads') o.workloads = v();
    else if (a === '--reps') o.reps = Number(v());
    else if (a === '--target-ms') o.targetMs = Number(v());
    else if (a === '--warmup') o.warmup = Number(v());
    else if (a === '--models') o.models = Number(v());
    else if (a === '--variant') o.variant = v();
    else if (a === '--sweeps') o.sweeps = v();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.workloads) throw new Error('--workloads FILE is required (bench_train --list output)');
  if (!(o.sweeps in SWEEP_PLANS)) throw new Error(`--sweeps must be full|quick|none, got ${o.sweeps}`);
  return o;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const workloads = fs.readFileSync(opts.workloads, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const bench = await openBench();
  try {
    process.stderr.write(`[chromium] ${bench.version}\n`);
    for (const w of workloads) process.stdout.write(`${JSON.stringify(await bench.run(w, opts))}\n`);
    for (const plan of SWEEP_PLANS[opts.sweeps]) {
      process.stdout.write(`${JSON.stringify({ sweep: await bench.sweep({ ...plan, variant: opts.variant }) })}\n`);
    }
  } finally {
    await bench.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main().catch((err) => {
  process.stderr.write(`bench/chromium.mjs: ${err.stack || err.message}\n`);
  process.exit(1);
});
