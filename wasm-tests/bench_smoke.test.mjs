// The benchmark harness does not rot: bench/run.sh's Node part (wasm scalar and SIMD through
// the Emscripten builds of bench/bench_train.c) at its smallest settings prints every
// workload, the scaling series included, with finite numbers, and the report renders them.
// No timing is asserted: the numbers of --smoke mean nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO, withTempDir } from './node_helpers.mjs';

// ctest sets TOYMOE_WASM to <build>/wasm/toymoe.wasm; by hand the default build tree is used.
const BUILD = process.env.TOYMOE_WASM ? dirname(dirname(process.env.TOYMOE_WASM)) : join(REPO, 'build');
const PARTS = ['wasm-scalar-node', 'wasm-simd-node'];
const MAIN = ['dense100', 'moe4', 'moe10', 'moe20', 'fig2', 'table1', 'phase'];
const LANES = ['phase-single'];   // phase one model per tm_train call: what tm_train_many's SIMD lanes gain
// The 8 Figure-4 architectures, 2262 models each: the full-fidelity sweep estimate.
const FIG4 = ['2x1-E1', '2x1-E2', '3x1-E1', '3x1-E2', '3x1-E3', '3x2-E1', '3x2-E2', '3x2-E3'].map((a) => `fig4-${a}`);
// The main and fig4 workloads again on the xoshiro data stream.
const XO = [...MAIN, ...FIG4].map((id) => `${id}-xo`);
const SCALING = ['n20', 'n100', 'n400', 'n1000', 'E1', 'E2', 'E4', 'E8', 'E16', 'E32', 'E64'];
const missing = PARTS.map((p) => join(BUILD, 'wasm', p === 'wasm-simd-node' ? 'bench_train.js' : 'bench_train-scalar.js')).filter((f) => !existsSync(f));
const skip = missing.length ? `not built: ${missing.join(', ')}` : false;

test('bench/run.sh --smoke (Node part) prints every workload with finite numbers', { skip, timeout: 120000 }, () => withTempDir((dir) => {
  const out = join(dir, 'RESULTS.md');
  execFileSync('bash', [join(REPO, 'bench', 'run.sh'), '--smoke', '--no-build', '--parts', PARTS.join(','), '--raw', dir, '--out', out], {
    cwd: REPO, env: { ...process.env, TOYMOE_BUILD: BUILD }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 110000,
  });
  for (const part of PARTS) {
    const rows = readFileSync(join(dir, `${part}.r1.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.id), [...MAIN, ...LANES, ...FIG4, ...XO, ...SCALING], `${part}: every workload, in order`);
    for (const r of rows) {
      for (const key of ['ms_per_step', 'sample_steps_per_s', 'useful_gflops', 'macs_per_sample']) {
        assert.ok(Number.isFinite(r[key]) && r[key] > 0, `${part} ${r.id}: ${key} = ${r[key]}`);
      }
      assert.equal(r.target, 'wasm');
      assert.equal(r.simd, part === 'wasm-simd-node' ? 1 : 0, `${part} ${r.id}: built with the right kernels`);
    }
  }
  const report = readFileSync(out, 'utf8');
  for (const id of MAIN) assert.match(report, new RegExp(`^\\| ${id} \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\|`, 'm'), `summary row of ${id}`);
  assert.match(report, /## Scaling/);
  assert.match(report, /^- \*\*Code\*\*: commit ([0-9a-f]{7,}( with uncommitted changes)?|unknown \(not a git checkout\))$/m, 'the commit measured');
  assert.match(report, /^\| wasm SIMD, Node \| [0-9.]+ \| [0-9.]+ \| [0-9.]+× \|$/m, 'lane trainer row: phase, phase-single and their ratio');
  for (const id of FIG4) assert.match(report, new RegExp(`^\\| ${id} \\| \\d \\| \\d \\| \\d \\| [0-9]+ \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\|`, 'm'), `Figure-4 row of ${id}`);
  // Every build's default list (bench_train --list without --scaling, as in Chromium) has the lanes and fig4 groups.
  const listed = execFileSync(process.execPath, [join(BUILD, 'wasm', 'bench_train.js'), '--list'], { encoding: 'utf8' })
    .trim().split('\n').map((l) => JSON.parse(l).id);
  assert.deepEqual(listed, [...MAIN, ...LANES, ...FIG4, ...XO], 'bench_train --list: the default workloads');
  // The xoshiro section: every main workload's cell is "ms (xoshiro/pcg32×)" for both builds.
  assert.match(report, /## The vectorised data stream/);
  for (const id of MAIN) assert.match(report, new RegExp(`^\\| ${id} \\| [0-9.]+ \\| [0-9.]+ \\([0-9.]+×\\) \\| [0-9.]+ \\([0-9.]+×\\) \\|`, 'm'), `xoshiro row of ${id}`);
  assert.match(report, /Full-fidelity phase sweep on the xoshiro stream/);  // its figure needs Chromium
  assert.doesNotMatch(report, /NaN|undefined|Infinity/);
  assert.doesNotMatch(report, /PyTorch CPU, this machine/, 'no measured PyTorch column when PyTorch did not run');
  // The SIMD peak the "% of SIMD peak" columns divide by: measured by the SIMD build (bench_train --peak).
  const [peak] = readFileSync(join(dir, 'wasm-simd-node.peak.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(peak.id === 'peak' && peak.simd === 1 && peak.gflops > 0, JSON.stringify(peak));
  assert.match(report, /\*\*SIMD peak of one core\*\*: [0-9.]+ GFLOP\/s, measured in this run by `bench_train --peak` \(wasm SIMD in Node/);
  const dense = report.match(/^\| wasm SIMD, Node \| ([0-9.e]+) \| [0-9.e]+ \| ([0-9.e]+) \| ([0-9.]+)% \|/m);
  assert.ok(dense, 'a per-workload row of wasm SIMD in Node');
  const shown = Number(report.match(/SIMD peak of one core\*\*: ([0-9.]+) GFLOP/)[1]);
  assert.ok(Math.abs(shown - peak.gflops) <= 0.006 * peak.gflops, `the peak shown (${shown}) is the one measured (${peak.gflops})`);
  // The % has 2 significant digits (half a unit of the second is its rounding: 0.5 at 12%),
  // useful GFLOP/s and the peak 3 each (about 1% between them).
  const pct = Number(dense[3]), expected = (100 * Number(dense[2])) / shown;
  const rounding = pct > 0 ? 0.5 * 10 ** (Math.floor(Math.log10(pct)) - 1) : 0.005;
  assert.ok(Math.abs(pct - expected) <= rounding + 0.011 * expected, `% of peak = useful / measured peak: ${dense[0]} (expected ${expected})`);

  // The measured PyTorch column (part pytorch, bench/pytorch_ref.py): the report on synthetic lines with known
  // ratios. Chromium = the Node SIMD lines; PyTorch = 12× Chromium on phase (met), 2× elsewhere (missed).
  const simd = readFileSync(join(dir, 'wasm-simd-node.r1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const factor = (id) => (id === 'phase' ? 12 : 2);
  writeFileSync(join(dir, 'chromium.r1.jsonl'), simd.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(dir, 'pytorch.r1.jsonl'), simd.filter((r) => MAIN.includes(r.id)).map((r) => JSON.stringify({
    ...r, target: 'pytorch', ms_per_step: factor(r.id) * r.ms_per_step, ms_min: factor(r.id) * r.ms_per_step, impl: 'loop',
    impls: { loop: factor(r.id) * r.ms_per_step }, torch: '0.0-test', blas: 'none',
  })).join('\n') + '\n');
  const withTorch = execFileSync(process.execPath, [join(REPO, 'bench', 'report.mjs'), '--dir', dir], { encoding: 'utf8' });
  assert.match(withTorch, /\*\*PyTorch, this machine\*\*: PyTorch 0\.0-test/);
  for (const id of MAIN) {
    const verdict = id === 'phase' ? 'met' : 'missed';
    assert.match(withTorch, new RegExp(`^\\| ${id} \\|.* \\| [0-9.]+ \\(loop\\) \\| ${factor(id)}× \\| \\*\\*${verdict}\\*\\* \\|$`, 'm'), `summary: ${id} vs PyTorch here`);
    assert.match(withTorch, new RegExp(`^\\| ${id}: ≥ \\d+× faster than PyTorch .* \\| ${factor(id)}× \\(PyTorch [0-9.]+ ms\\) \\| \\*\\*${verdict}\\*\\* \\|$`, 'm'), `targets: ${id}`);
  }
  assert.match(withTorch, /^\| PyTorch 0\.0-test CPU, this machine \(loop; loop [0-9.]+ ms\) \|/m, 'per-workload row');
  assert.match(withTorch, /PyTorch here ÷ the issue's PyTorch column/);
  assert.doesNotMatch(withTorch, /NaN|undefined|Infinity/);
  // Without a measured peak the report says the figure is assumed, not measured.
  unlinkSync(join(dir, 'wasm-simd-node.peak.jsonl'));
  const assumed = execFileSync(process.execPath, [join(REPO, 'bench', 'report.mjs'), '--dir', dir], { encoding: 'utf8' });
  assert.match(assumed, /\*\*SIMD peak of one core\*\*: [0-9.]+ GFLOP\/s, not measured in this run/);
}));

// What the PyTorch column times is the model: its implementations agree and it trains (--check). Needs
// Debian's python3-torch, which bench/run.sh installs for a full or quick run (not the test suite).
const PYTHON = process.env.TOYMOE_PYTHON || '/usr/bin/python3';
const noTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0 ? `${PYTHON} has no torch (python3-torch)` : false;
test('bench/pytorch_ref.py --check: the PyTorch implementations agree and train', { skip: noTorch || !existsSync(join(BUILD, 'bench_train')), timeout: 300000 }, () => withTempDir((dir) => {
  const list = join(dir, 'workloads.list');
  writeFileSync(list, execFileSync(join(BUILD, 'bench_train'), ['--list'], { encoding: 'utf8' }));
  const lines = execFileSync(PYTHON, [join(REPO, 'bench', 'pytorch_ref.py'), '--workloads', list, '--check'], { encoding: 'utf8', timeout: 280000 })
    .trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.id), MAIN);
  for (const l of lines) assert.ok(l.check === 'ok' && l.loss_after < l.loss_before, JSON.stringify(l));
}));

// bench/compare.mjs (paired timing of two builds) runs and reports; again no timing asserted.
const WASM = process.env.TOYMOE_WASM ?? join(REPO, 'web', 'build', 'toymoe.wasm');
const noCompare = !existsSync(WASM) ? `not built: ${WASM}` : !existsSync(join(BUILD, 'bench_train')) ? `not built: ${join(BUILD, 'bench_train')}` : false;
test('bench/compare.mjs times two builds in alternation (Node) and rejects bad arguments', { skip: noCompare, timeout: 120000 }, () => {
  const run = (args) => execFileSync(process.execPath, [join(REPO, 'bench', 'compare.mjs'), ...args], {
    cwd: REPO, env: { ...process.env, TOYMOE_BUILD: BUILD }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 110000,
  });
  const ids = ['fig2', 'fig4-2x1-E1', 'phase-single'];
  const lines = run([WASM, WASM, '--in', 'node', '--pairs', '4', '--ids', ids.join(',')]).trim().split('\n');
  assert.deepEqual(lines.map((l) => l.split(/\s+/)[1]), ids, 'one line per workload, in order');
  for (const l of lines) {
    const m = l.match(/new\/old ([0-9.]+) \(quartiles ([0-9.]+)-([0-9.]+), 4 pairs\)/);
    assert.ok(m && Number(m[2]) <= Number(m[1]) && Number(m[1]) <= Number(m[3]) && Number(m[1]) > 0, l);
  }
  for (const [args, why] of [[[WASM], /two wasm files/], [[WASM, WASM, '--ids', 'nope'], /unknown workload nope/], [[WASM, WASM, '--pairs', '2'], /--pairs/]]) {
    assert.throws(() => run(args), (e) => e.status === 2 && why.test(e.stderr), `${args.join(' ')}: exit 2, ${why}`);
  }
});
