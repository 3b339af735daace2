#!/usr/bin/env node
// The measuring loop of bench/run.sh. For each round, for each workload, every build in
// turn (the order rotates), so a burst of load from other work on the machine hits all
// builds of a workload alike rather than one column; then, in Chromium only, the sweep
// samples. The report keeps each workload's (and each sweep sample's) best round.
//
//   node bench/suite.mjs --build DIR --raw DIR [--mode full|quick|smoke] [--rounds N] [--parts LIST]
//
// Writes DIR/<part>.r<round>.jsonl (bench_train's JSON lines), DIR/chromium.sweeps.jsonl,
// DIR/<part>.peak.jsonl (bench_train --peak of the SIMD builds, once per round: the core's
// measured SIMD128 mul + add peak), DIR/workloads.list and DIR/notes.txt (what failed or was skipped).
// Part pytorch (bench/pytorch_ref.py, Debian's python3-torch) times the main workloads
// only, each its fastest implementation, so "Chromium vs PyTorch" is a ratio of this run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openBench, SWEEP_PLANS } from './chromium.mjs';
import { REFERENCE } from './report.mjs';

const ALL_PARTS = ['native-scalar', 'native-simd', 'wasm-scalar-node', 'wasm-simd-node', 'chromium', 'pytorch'];
const MODES = {
  full: { args: [], chromium: { reps: 11, targetMs: 150, warmup: 3, models: 0 }, sweeps: 'full', rounds: 3 },
  quick: { args: ['--quick'], chromium: { reps: 5, targetMs: 30, warmup: 3, models: 100 }, sweeps: 'quick', rounds: 1 },
  smoke: { args: ['--smoke'], chromium: { reps: 1, targetMs: 0, warmup: 1, models: 8 }, sweeps: 'none', rounds: 1 },
};
const PYTORCH_IDS = new Set(Object.keys(REFERENCE));  // the workloads with a PyTorch figure in the issue
const PYTHON = process.env.TOYMOE_PYTHON || '/usr/bin/python3';  // Debian's python3-torch is for this one

// One workload in PyTorch: its fastest implementation, as a bench_train-like line.
function runPytorch(w, mode, workloadsFile) {
  const c = mode.chromium;
  const lines = runProcess(PYTHON, [path.join(import.meta.dirname, 'pytorch_ref.py'), '--workloads', workloadsFile,
    '--ids', w.id, '--reps', String(c.reps), '--target-ms', String(c.targetMs), '--warmup-ms', mode === MODES.smoke ? '0' : '300']);
  if (!lines.length) throw new Error(`no result for ${w.id}`);
  const best = lines.reduce((b, l) => (l.ms < b.ms ? l : b));
  const samplesPerS = (w.batch * w.models * 1e3) / best.ms;
  return { ...w, target: 'pytorch', ms_per_step: best.ms, ms_min: Math.min(...best.reps), sample_steps_per_s: samplesPerS,
    useful_gflops: (2 * w.macs_per_sample * samplesPerS) / 1e9, impl: best.impl,
    impls: Object.fromEntries(lines.map((l) => [l.impl, l.ms])), torch: best.torch, blas: best.blas };
}

function parseArgs(argv) {
  const o = { build: null, raw: null, mode: 'full', rounds: 0, parts: ALL_PARTS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => { if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`); return argv[++i]; };
    if (a === '--build') o.build = path.resolve(v());
    else if (a === '--raw') o.raw = path.resolve(v());
    else if (a === '--mode') o.mode = v();
    else if (a === '--rounds') o.rounds = Number(v());
    else if (a === '--parts') o.parts = v().split(',').filter(Boolean);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.build || !o.raw) throw new Error('--build DIR and --raw DIR are required');
  if (!(o.mode in MODES)) throw new Error(`--mode must be full|quick|smoke, got ${o.mode}`);
  for (const p of o.parts) if (!ALL_PARTS.includes(p)) throw new Error(`unknown part ${p} (${ALL_PARTS.join(',')})`);
  o.rounds ||= MODES[o.mode].rounds;
  if (!Number.isInteger(o.rounds) || o.rounds < 1 || o.rounds > 99) throw new Error('--rounds must be 1..99');
  return o;
}

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

function runProcess(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${path.basename(args[0] ?? cmd)} exited ${r.status}: ${r.stderr.trim().slice(-300)}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const mode = MODES[o.mode];
  fs.mkdirSync(o.raw, { recursive: true });
  const notes = [];
  const wasm = path.join(o.build, 'wasm');
  const bin = {
    'native-scalar': [path.join(o.build, 'bench_train')],
    'native-simd': [path.join(o.build, 'bench_train_simde')],
    'wasm-scalar-node': [process.execPath, path.join(wasm, 'bench_train-scalar.js')],
    'wasm-simd-node': [process.execPath, path.join(wasm, 'bench_train.js')],
  };
  let parts = o.parts.filter((p) => {
    const file = bin[p]?.at(-1);
    if (file && !fs.existsSync(file)) { notes.push(`${p}: ${file} is missing, no column`); return false; }
    if (p === 'pytorch' && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
      notes.push(`pytorch: ${PYTHON} cannot import torch (bench/run.sh installs python3-torch unless --smoke), no measured PyTorch column`);
      return false;
    }
    return true;
  });
  // The one list of workloads: bench_train --list.
  const lister = fs.existsSync(bin['native-scalar'][0]) ? bin['native-scalar'] : bin['wasm-simd-node'];
  const workloads = runProcess(lister[0], [...lister.slice(1), '--list', '--scaling']);
  const workloadsFile = path.join(o.raw, 'workloads.list');
  fs.writeFileSync(workloadsFile, workloads.map((w) => JSON.stringify(w)).join('\n') + '\n');

  let chromium = null;
  if (parts.includes('chromium')) {
    try {
      chromium = await openBench();
      log(`chromium: ${chromium.version}`);
    } catch (err) {
      notes.push(`chromium: could not start (${err.message.split('\n')[0]}), no column`);
      parts = parts.filter((p) => p !== 'chromium');
    }
  }
  try {
    for (let round = 1; round <= o.rounds; round++) {
      // The peak the useful GFLOP/s are set against, measured in this run (~1.2 s a build).
      for (const part of parts.filter((p) => p === 'native-simd' || p === 'wasm-simd-node')) {
        try {
          const r = runProcess(bin[part][0], [...bin[part].slice(1), '--peak', ...(o.mode === 'smoke' ? ['--smoke'] : [])])[0];
          if (!r || r.id !== 'peak' || !(r.gflops > 0)) throw new Error('no peak line');
          fs.appendFileSync(path.join(o.raw, `${part}.peak.jsonl`), `${JSON.stringify({ ...r, round })}\n`);
          log(`round ${round}/${o.rounds} ${part} SIMD peak: ${r.gflops} GFLOP/s`);
        } catch (err) {
          notes.push(`${part} peak round ${round}: ${err.message.split('\n')[0]}`);
        }
      }
      for (let wi = 0; wi < workloads.length; wi++) {
        const w = workloads[wi], shown = [];
        for (let j = 0; j < parts.length; j++) {
          const part = parts[(j + wi + round - 1) % parts.length];
          if (part === 'pytorch' && !PYTORCH_IDS.has(w.id)) continue;
          try {
            const r = part === 'chromium'
              ? await chromium.run(w, mode.chromium)
              : part === 'pytorch'
                ? runPytorch(w, mode, workloadsFile)
                : runProcess(bin[part][0], [...bin[part].slice(1), ...mode.args, '--only', w.id])[0];
            if (!r || r.id !== w.id) throw new Error(`no result for ${w.id}`);
            fs.appendFileSync(path.join(o.raw, `${part}.r${round}.jsonl`), `${JSON.stringify(r)}\n`);
            shown.push(`${part} ${Number(r.ms_per_step.toPrecision(3))}`);
          } catch (err) {
            notes.push(`${part} ${w.id} round ${round}: ${err.message.split('\n')[0]}`);
            shown.push(`${part} FAILED`);
          }
        }
        log(`round ${round}/${o.rounds} ${w.id} (ms/step): ${shown.join(', ')}`);
      }
      // The sweep samples too, once per round: the report keeps each preset's best round.
      for (const plan of chromium ? SWEEP_PLANS[mode.sweeps] : []) {
        try {
          const s = await chromium.sweep(plan);
          fs.appendFileSync(path.join(o.raw, 'chromium.sweeps.jsonl'), `${JSON.stringify({ sweep: { ...s, round } })}\n`);
          log(`round ${round}/${o.rounds} sweep sample ${plan.preset}: ${s.sampled} of ${s.total} jobs in ${(s.wallMs / 1e3).toFixed(1)} s`);
        } catch (err) {
          notes.push(`chromium sweep ${plan.preset} round ${round}: ${err.message.split('\n')[0]}`);
        }
      }
    }
  } finally {
    await chromium?.close();
    fs.writeFileSync(path.join(o.raw, 'notes.txt'), notes.map((n) => `${n}\n`).join(''));
    for (const n of notes) log(`note: ${n}`);
  }
}

main().catch((err) => {
  process.stderr.write(`bench/suite.mjs: ${err.stack || err.message}\n`);
  process.exit(1);
});
