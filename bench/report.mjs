#!/usr/bin/env node
// Turns the JSON lines of one bench/run.sh run into the tables it prints and writes to
// bench/RESULTS.md: per workload, every build side by side with the ratios between them,
// the scaling series, the sweep estimates and the issue's targets, met or missed.
//
//   node bench/report.mjs --dir DIR [--out FILE]
// DIR (bench/suite.mjs's output) holds meta.json, notes.txt and, for each build that ran, its
// JSON lines per round: native-scalar.r1.jsonl ... chromium.r2.jsonl, chromium.sweeps.jsonl,
// and pytorch.rN.jsonl when PyTorch was measured on this machine too (bench/pytorch_ref.py)
import fs from 'node:fs';
import path from 'node:path';

// The reference columns of the issue: ms per step, PyTorch CPU (1 thread) and TF.js (wasm).
export const REFERENCE = {
  dense100: { pytorch: 1.75, tfjs: 7.2, target: 3 },
  moe4: { pytorch: 6.2, tfjs: 13.8, target: 10 },
  moe10: { pytorch: 7.5, tfjs: 26.6, target: 10 },
  moe20: { pytorch: 9.8, tfjs: 48.8, target: 10 },
  fig2: { pytorch: 0.93, tfjs: 2.3, target: 10 },
  table1: { pytorch: 7.5, tfjs: 18.2, target: 10 },
  phase: { pytorch: 446, tfjs: 494, target: 10 },
};
export const PARTS = [
  { key: 'native-scalar', label: 'native scalar (gcc -O3)' },
  { key: 'native-simd', label: 'native SIMD (gcc -O3 -msse4.1, SIMDe)' },
  { key: 'wasm-scalar-node', label: 'wasm scalar, Node' },
  { key: 'wasm-simd-node', label: 'wasm SIMD, Node' },
  { key: 'chromium', label: 'wasm SIMD, Chromium worker' },
];
const WASM_LIMIT = 1.3, SWEEP_LIMIT_S = 3600, QUICK_LIMIT_S = 120;
const PHASE_SWEEP = { archs: 8, runs: 10, cells: 2262, steps: 5000, jobs: 8 * 10 * 2262, workers: 2 };
// The Figure-4 architectures (bench_train.c's fig4-* workloads, src/sweep.c's fig4 preset).
export const FIG4_ARCHS = ['2x1-E1', '2x1-E2', '3x1-E1', '3x1-E2', '3x1-E3', '3x2-E1', '3x2-E2', '3x2-E3'];

function readLines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l));
}

const fmt = (v, digits = 3) => {
  if (v === undefined || v === null || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e6) return v.toExponential(2).replace('e+', 'e');
  if (a >= 100) return v.toFixed(0);
  return Number(v.toPrecision(digits)).toString();
};
const ratio = (a, b) => (a > 0 && b > 0 ? a / b : NaN);
const x = (v) => (Number.isFinite(v) ? `${fmt(v)}×` : '—');
const secs = (s) => (!Number.isFinite(s) ? '—' : s >= 3600 ? `${fmt(s / 3600)} h` : s >= 120 ? `${fmt(s / 60)} min` : `${fmt(s)} s`);
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const mark = (ok) => (ok === null ? 'n/a' : ok ? '**met**' : '**missed**');

// One round's line of a workload into byId: the best round's line is kept, with every round's ms.
function keepBest(byId, r) {
  const prev = byId[r.id], rounds = [...(prev?.rounds ?? []), r.ms_per_step];
  byId[r.id] = { ...(!prev || r.ms_per_step < prev.ms_per_step ? r : prev), rounds };
}

export function report(dir) {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const res = {}, sweeps = {};
  const files = fs.readdirSync(dir);
  for (const p of PARTS) {
    res[p.key] = {};
    // One file per round (name.rN.jsonl); each workload keeps its best round, and the others' medians.
    for (const f of files.filter((name) => new RegExp(`^${p.key}(\\.r\\d+|\\.sweeps)?\\.jsonl$`).test(name))) {
      for (const r of readLines(path.join(dir, f))) {
        // a sample on the xoshiro stream (fidelity quick-xoshiro) is kept apart: fig4-xo
        if (r.sweep) { (sweeps[`${r.sweep.preset}${r.sweep.fidelity?.endsWith('-xoshiro') ? '-xo' : ''}`] ??= []).push(r.sweep); continue; }
        keepBest(res[p.key], r);
      }
    }
  }
  // Each preset's sample: estimate = Σ per-job time × jobs/sampled ÷ workers; the best round is kept.
  const sweepEstimate = (s) => (s.jobs.reduce((a, j) => a + j.estMs, 0) * (s.total / s.sampled)) / s.workers / 1e3;
  for (const [name, list] of Object.entries(sweeps)) {
    const best = list.reduce((b, s) => (sweepEstimate(s) < sweepEstimate(b) ? s : b));
    sweeps[name] = { ...best, estimate: sweepEstimate(best), roundEstimates: list.map(sweepEstimate) };
  }
  // PyTorch measured in this run (main workloads only): not a build of ours, so not in PARTS.
  const torch = {};
  for (const f of files.filter((name) => /^pytorch\.r\d+\.jsonl$/.test(name))) {
    for (const r of readLines(path.join(dir, f))) keepBest(torch, r);
  }
  const torchMs = (id) => torch[id]?.ms_per_step;
  const hasTorch = Object.keys(torch).length > 0;
  const ran = PARTS.filter((p) => Object.keys(res[p.key]).length);
  // The SIMD peak: measured in this run (bench_train --peak) by the native SIMD build and wasm SIMD
  // in Node, the same operations on the same core: the best of all their rounds; without either,
  // the nominal figure run.sh assumed.
  const peaks = {};
  for (const part of ['native-simd', 'wasm-simd-node']) {
    const lines = readLines(path.join(dir, `${part}.peak.jsonl`)).filter((r) => r.gflops > 0);
    if (lines.length) peaks[part] = Math.max(...lines.map((r) => r.gflops));
  }
  const peakPart = Object.keys(peaks).sort((a, b) => peaks[b] - peaks[a])[0] ?? null;
  const peak = peakPart ? peaks[peakPart] : meta.peak_gflops;
  const ms = (part, id) => res[part]?.[id]?.ms_per_step;
  const out = [];
  out.push('# toymoe training throughput', '');
  out.push(`- **Date**: ${meta.date}`);
  out.push(`- **Command**: \`${meta.command}\` (mode: ${meta.mode})`);
  if (meta.code) out.push(`- **Code**: commit ${meta.code}`);
  out.push(`- **Machine**: ${meta.cpu_model}, ${meta.cores} cores (${meta.threads_per_core} thread(s) per core), ${meta.mhz} MHz, ${meta.hypervisor ? `${meta.hypervisor} guest` : 'bare metal'}; ${meta.os}`);
  out.push(`- **Load**: load average ${meta.load_before} before the run and ${meta.load_after} after it on ${meta.cores} cores` +
    ' (other work was running: treat differences under ~20% as noise)');
  out.push(`- **Toolchains**: ${meta.gcc}; ${meta.emcc}; Node ${meta.node}; ${meta.chromium}`);
  if (peakPart) {
    const label = (part) => (part === 'native-simd' ? 'native SIMD' : 'wasm SIMD in Node');
    const other = Object.keys(peaks).filter((part) => part !== peakPart).map((part) => `; ${label(part)}: ${fmt(peaks[part])} GFLOP/s`).join('');
    out.push(`- **SIMD peak of one core**: ${fmt(peak)} GFLOP/s, measured in this run by \`bench_train --peak\` (${label(peakPart)}, ` +
      'the best of its rounds): 6 independent chains of 4-lane multiplies and 6 of 4-lane adds, the wasm SIMD128 operations the kernels use ' +
      `(no FMA: wasm SIMD128 has none, and -ffp-contract=off keeps native and wasm bit-identical)${other}. ` +
      `That is ${fmt(peak / 4, 3)} four-lane operations per ns; one multiply and one add per cycle at the nominal ${fmt(meta.mhz / 1000)} GHz would give ` +
      `${fmt((2 * meta.mhz) / 1000, 3)}${peak / 4 > (2 * meta.mhz) / 1000 ? ', so this core has more pipes than that, or runs above its nominal clock, or both' : ''}. ` +
      'The "% of SIMD peak" columns divide by it.');
  } else {
    out.push(`- **SIMD peak of one core**: ${fmt(peak)} GFLOP/s, not measured in this run (no SIMD build ran \`--peak\`): assumed as 4 f32 lanes × 2 ` +
      `(one mul + one add per cycle) × ${fmt(meta.mhz / 1000)} GHz. Cores with two multiply and two add pipes reach twice that.`);
  }
  out.push('- **Useful GFLOP/s**: 2 × the multiply-adds each sample needs, counting only the non-zero inputs (p·n on average): per active expert ' +
    'the encoder and its weight gradient over the present inputs (2·p·n·m), the decoder and its two gradient products (3·n·m), plus the ' +
    'router over the present inputs (E·p·n, twice when it gets a gradient: k > 1 or load balancing), × samples per second. ' +
    'The count is the workload\'s, not the path\'s: dense models that take the Gram path (docs/architecture.md; dense100 and the dense ' +
    'scaling points up to n = 256) do 2·p·n² multiply-adds per sample and 2·n²·m per batch instead (about 2390 per sample for dense100 against its 6410), so their ' +
    'useful GFLOP/s count work the path no longer does.');
  out.push('- **Builds**: native scalar is `build/bench_train` (gcc -O3, the scalar path, which gcc auto-vectorises); native SIMD is ' +
    '`build/bench_train_simde`, the same wasm SIMD128 intrinsics of src/kernels.h compiled natively through SIMDe\'s wasm_simd128.h ' +
    '(Debian libsimde-dev) with gcc -O3 -msse4.1; neither wasm nor native uses -ffast-math. wasm: Emscripten -O3, -msimd128 or ' +
    '-DTM_NO_SIMD; Node runs the Emscripten builds of bench/bench_train.c, Chromium runs web/build/toymoe.wasm through web/js/engine.js ' +
    'in one module Web Worker (bench/worker-bench.html).');
  out.push(`- **Timing**: wall time, median of ${meta.reps} repeats of ~${meta.target_ms} ms (${meta.warmup} warm-up steps, then on until 300 ms of warm-up); phase, phase-single and ` +
    `fig4-* = one step of each of their 2262 models${meta.mode === 'full' ? '' : ` (${meta.phase_models} of them timed, scaled up)`}, 4 models per ` +
    `tm_train_many / lab.trainMany call (one per SIMD lane; phase-single: one tm_train call per model). ${meta.rounds} round(s): every build ran ` +
    `${meta.rounds > 1 ? `${meta.rounds} times, in turn, and each workload shows its best round's median` : 'once'}. Ratios below are between columns of this one run.`);
  // dense100 and n100 are one configuration measured twice: how far apart they are is this run's noise.
  const twins = ran.map((p) => [p, ratio(ms(p.key, 'dense100'), ms(p.key, 'n100'))]).filter(([, r]) => Number.isFinite(r));
  if (twins.length) {
    out.push(`- **Noise**: dense100 and n100 are the same configuration, timed separately; dense100 / n100 = ` +
      `${twins.map(([p, r]) => `${x(r)} (${p.label})`).join(', ')}.`);
  }
  if (hasTorch) {
    const any = Object.values(torch)[0];
    out.push(`- **PyTorch, this machine**: PyTorch ${any.torch} (Debian python3-torch), BLAS ${any.blas}, 1 thread, CPU; bench/pytorch_ref.py, ` +
      'the same workloads and timing (fresh batch by `rand <= p` every step, forward, loss, backward, AdamW), each workload\'s fastest ' +
      'implementation (single models: the reference\'s loop over experts, or the samples sorted by expert; E = 1: a plain dense model; ' +
      'phase: all 2262 models as one vectorised model). The issue\'s PyTorch column came from another machine of this kind, with ' +
      'another PyTorch build: "vs PyTorch here" is the ratio of one run.');
  }
  const notesFile = path.join(dir, 'notes.txt');
  const notes = [...(meta.notes ?? []), ...(fs.existsSync(notesFile) ? fs.readFileSync(notesFile, 'utf8').split('\n').filter(Boolean) : [])];
  for (const n of notes) out.push(`- **Note**: ${n}`);
  out.push('');

  // ---- summary
  const mainIds = Object.keys(REFERENCE);
  out.push('## Summary (ms per step; batch 1024, phase: 2262 models × batch 512)', '');
  const here = (id) => ratio(torchMs(id), ms('chromium', id));
  out.push(table(['workload', 'PyTorch CPU', 'TF.js wasm', ...ran.map((p) => p.label), 'Chromium vs PyTorch', 'target', '',
    ...(hasTorch ? ['PyTorch CPU, this machine', 'Chromium vs PyTorch here', ''] : [])],
  mainIds.map((id) => {
    const ref = REFERENCE[id], c = ms('chromium', id), sp = ratio(ref.pytorch, c);
    return [id, fmt(ref.pytorch), fmt(ref.tfjs), ...ran.map((p) => fmt(ms(p.key, id))), x(sp), `≥ ${ref.target}×`,
      Number.isFinite(sp) ? mark(sp >= ref.target) : 'n/a',
      ...(hasTorch ? [`${fmt(torchMs(id))}${torch[id] ? ` (${torch[id].impl})` : ''}`, x(here(id)), Number.isFinite(here(id)) ? mark(here(id) >= ref.target) : 'n/a'] : [])];
  })));
  if (hasTorch) {
    out.push('', 'PyTorch here ÷ the issue\'s PyTorch column (how much slower this machine and build run PyTorch): ' +
      `${mainIds.filter((id) => torch[id]).map((id) => `${id} ${x(ratio(torchMs(id), REFERENCE[id].pytorch))}`).join(', ')}.`);
  }
  out.push('');

  // ---- per workload
  out.push('## Per workload', '');
  for (const id of mainIds) {
    const any = ran.map((p) => res[p.key][id]).find(Boolean);
    if (!any) continue;
    const ref = REFERENCE[id];
    out.push(`### ${id} (n=${any.n}, m=${any.m}, E=${any.E}, k=${any.k}, batch ${any.batch}${any.models > 1 ? `, ${any.models} models` : ''}; ` +
      `${fmt(any.macs_per_sample)} useful MACs per sample)`, '');
    const rowOf = (label, r) => [label, fmt(r.ms_per_step), fmt(r.sample_steps_per_s), fmt(r.useful_gflops), `${fmt((100 * r.useful_gflops) / peak, 2)}%`,
      x(ratio(ref.pytorch, r.ms_per_step)), x(ratio(ref.tfjs, r.ms_per_step)), ...(hasTorch ? [x(ratio(torchMs(id), r.ms_per_step))] : []),
      fmt(r.ms_min), r.rounds.map((v) => fmt(v)).join(' / ')];
    out.push(table(['build', 'ms/step', 'sample-steps/s', 'useful GFLOP/s', '% of SIMD peak', 'vs PyTorch', 'vs TF.js',
      ...(hasTorch ? ['vs PyTorch here'] : []), 'fastest repeat ms', 'median ms of each round'], [
      ...(torch[id] ? [rowOf(`PyTorch ${torch[id].torch} CPU, this machine (${torch[id].impl}; ${Object.entries(torch[id].impls).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')} ms)`, torch[id])] : []),
      ...ran.filter((p) => res[p.key][id]).map((p) => rowOf(p.label, res[p.key][id])),
    ]));
    const pairs = [
      ['wasm SIMD Node / native SIMD', 'wasm-simd-node', 'native-simd'],
      ['Chromium / native SIMD', 'chromium', 'native-simd'],
      ['native scalar / native SIMD', 'native-scalar', 'native-simd'],
      ['wasm scalar / wasm SIMD (Node)', 'wasm-scalar-node', 'wasm-simd-node'],
      ['Chromium / Node (wasm SIMD)', 'chromium', 'wasm-simd-node'],
    ];
    out.push('', `Ratios of ms/step (> 1: the first is slower): ${pairs.map(([name, a, b]) => `${name} ${x(ratio(ms(a, id), ms(b, id)))}`).join('; ')}.`, '');
  }

  // ---- lane trainer
  if (ran.some((p) => ms(p.key, 'phase') && ms(p.key, 'phase-single'))) {
    out.push('## Lane trainer (phase: 4 models per tm_train_many call vs phase-single: one tm_train call per model)', '');
    out.push('One step of each of the 2262 phase models (n=3, m=1, E=3, k=1, load balancing, batch 512), both measured in this run; ' +
      'tm_train_many trains models of one small shape (n ≤ 3, k = 1) one per SIMD lane, bit for bit as tm_train would.', '');
    out.push(table(['build', 'phase ms/step', 'phase-single ms/step', 'phase-single / phase'],
      ran.filter((p) => ms(p.key, 'phase') || ms(p.key, 'phase-single')).map((p) =>
        [p.label, fmt(ms(p.key, 'phase')), fmt(ms(p.key, 'phase-single')), x(ratio(ms(p.key, 'phase-single'), ms(p.key, 'phase')))])));
    out.push('');
  }

  // ---- Figure-4 architectures
  const archIds = FIG4_ARCHS.map((a) => `fig4-${a}`);
  const archRows = archIds.map((id) => ran.map((p) => res[p.key][id]).find(Boolean)).filter(Boolean);
  if (archRows.length) {
    out.push('## Figure-4 architectures (ms per step of 2262 models, batch 512, k = 1, load balancing, 4 per tm_train_many call)', '');
    out.push('The paper\'s phase diagram has 2262 cells per architecture; each row is one step of 2262 models at p = 0.5, the mean density of ' +
      'the sweep\'s cells (S = 0.025 … 0.975): the lane trainer\'s compute does not depend on p, but its sampler reads 1 + p draws ' +
      'and writes p values per feature, so a step\'s cost is linear in p and the sweep\'s mean is the cost at the mean p. The last column is that architecture\'s share ' +
      'of the full-fidelity sweep in Chromium: × 10 runs × 5000 steps ÷ 2 workers.', '');
    const sum = (part) => archIds.reduce((a, id) => a + (ms(part, id) ?? NaN), 0);
    out.push(table(['architecture', 'n', 'm', 'E', 'params', 'useful MACs/sample', ...ran.map((p) => `${p.label} ms`),
      'µs per model-step (Chromium)', 'full sweep share, Chromium, 2 workers'], [
      ...archRows.map((r) => {
        const c = ms('chromium', r.id);
        return [r.id, r.n, r.m, r.E, fmt(r.params), fmt(r.macs_per_sample), ...ran.map((p) => fmt(ms(p.key, r.id))),
          fmt((c * 1e3) / r.models), secs((c * PHASE_SWEEP.runs * PHASE_SWEEP.steps) / PHASE_SWEEP.workers / 1e3)];
      }),
      [`**Σ of ${archRows.length === archIds.length ? 'the 8' : `${archRows.length} of 8`}**`, '', '', '', '', '', ...ran.map((p) => fmt(sum(p.key))),
        fmt((sum('chromium') * 1e3) / PHASE_SWEEP.cells / PHASE_SWEEP.archs),
        secs((sum('chromium') * PHASE_SWEEP.runs * PHASE_SWEEP.steps) / PHASE_SWEEP.workers / 1e3)],
    ]));
    out.push('');
  }

  // ---- the xoshiro data stream (bench_train.c's "-xo" workloads)
  const xo = (id) => `${id}-xo`;
  const xoArchSum = (part) => archIds.reduce((a, id) => a + (ms(part, xo(id)) ?? NaN), 0);
  const xoFromArchs = (xoArchSum('chromium') * PHASE_SWEEP.runs * PHASE_SWEEP.steps) / PHASE_SWEEP.workers / 1e3;
  if (ran.some((p) => [...mainIds, ...archIds].some((id) => ms(p.key, xo(id))))) {
    out.push('## The vectorised data stream (config `data_rng: xoshiro`)', '');
    out.push('The same workloads with the training data drawn by 4 xoshiro128+ generators side by side in one SIMD register ' +
      'instead of PCG32 (the default of every single-model preset and of the CLI; the sweeps page starts the fig4 sweep on xoshiro): the same distribution, other draws. Each cell: xoshiro ms/step ' +
      '(xoshiro / pcg32, both measured in this run; < 1: the vectorised stream is faster). The two are timed apart, minutes ' +
      'from each other, so a single ratio carries this run\'s noise; for a steadier one time them in alternation: ' +
      '`node bench/compare.mjs web/build/toymoe.wasm web/build/toymoe.wasm --ids dense100:dense100-xo,...` (docs/architecture.md has such a run).', '');
    const cell = (part, id) => (ms(part, xo(id)) ? `${fmt(ms(part, xo(id)))} (${x(ratio(ms(part, xo(id)), ms(part, id)))})` : '—');
    out.push(table(['workload', 'PyTorch CPU', ...ran.map((p) => p.label), 'Chromium vs PyTorch', 'target', ''], [
      ...mainIds.map((id) => {
        const ref = REFERENCE[id], sp = ratio(ref.pytorch, ms('chromium', xo(id)));
        return [id, fmt(ref.pytorch), ...ran.map((p) => cell(p.key, id)), x(sp), `≥ ${ref.target}×`, Number.isFinite(sp) ? mark(sp >= ref.target) : 'n/a'];
      }),
      ...archIds.map((id) => [id, '', ...ran.map((p) => cell(p.key, id)), '', '', '']),
      ['**Σ fig4-***', '', ...ran.map((p) => `${fmt(xoArchSum(p.key))} (${x(ratio(xoArchSum(p.key), archIds.reduce((a, id) => a + (ms(p.key, id) ?? NaN), 0)))})`),
        '', '', ''],
    ]));
    out.push('', `Full-fidelity phase sweep on the xoshiro stream, from the fig4-*-xo workloads (Σ × 10 runs × 5000 steps ÷ 2 workers): ` +
      `**${secs(xoFromArchs)}** (target < 1 h: ${Number.isFinite(xoFromArchs) ? mark(xoFromArchs < SWEEP_LIMIT_S) : 'n/a'}).`, '');
  }

  // ---- scaling
  const scalingTable = (group, title, cols) => {
    const ids = [...new Set(ran.flatMap((p) => Object.values(res[p.key]).filter((r) => r.group === group).map((r) => r.id)))];
    if (!ids.length) return;
    const rowsOf = ids.map((id) => ran.map((p) => res[p.key][id]).find(Boolean));
    const base = rowsOf[cols.baseIndex];
    const refPart = ['chromium', 'wasm-simd-node', 'native-simd', 'native-scalar', 'wasm-scalar-node'].find((k) => res[k][base.id]);
    const refLabel = PARTS.find((p) => p.key === refPart).label;
    out.push(`### ${title}`, '');
    out.push(table([...cols.head, 'params', 'useful MACs/sample', ...ran.map((p) => `${p.label} ms`), 'active work vs ' + cols.baseName,
      `ms vs ${cols.baseName} (${refLabel})`, `ns per useful MAC (${refLabel})`],
    rowsOf.map((r) => {
      const c = ms(refPart, r.id);
      return [...cols.cells(r), fmt(r.params), fmt(r.macs_per_sample), ...ran.map((p) => fmt(ms(p.key, r.id))),
        x(ratio(r.macs_per_sample, base.macs_per_sample)), x(ratio(c, ms(refPart, base.id))),
        fmt((c * 1e6) / (r.macs_per_sample * r.batch * r.models))];
    })));
    out.push('');
  };
  out.push('## Scaling', '');
  out.push('The cost per sample should follow the active work (k experts, ≈ p·n non-zero inputs), not the parameter count: ' +
    'compare "ms vs …" with "active work vs …"; "ns per useful MAC" is flat when it does. ' +
    'The dense rows with n ≤ 256 (n = 20, n = 100 and E = 1 here) train on the Gram path (G = W Wᵀ, docs/architecture.md), which ' +
    'does 2·p·n² multiply-adds per sample and 2·n²·m per batch instead of the counted ones (n = 100, m = 20: about 2390 per sample against 6410; ' +
    'E = 1, m = 64: about 3250 against 20490), so their ns per useful MAC is low and the rows after them look dear next to them; ' +
    'n = 400 and n = 1000 take the direct path.', '');
  scalingTable('n', 'With n (dense, m = n/5, p = 0.1, batch 1024)', { head: ['n', 'm'], cells: (r) => [r.n, r.m], baseIndex: 1, baseName: 'n=100' });
  scalingTable('E', 'With E (n = 100, k = 1, E·m = 64, p = 0.1, batch 1024)', { head: ['E', 'm'], cells: (r) => [r.E, r.m], baseIndex: 0, baseName: 'E=1' });

  // ---- sweep estimates
  out.push('## Sweep estimates (wasm SIMD in Chromium, 2 workers = a 2-core machine\'s tab)', '');
  const phaseC = ms('chromium', 'phase');
  const fromPhase = phaseC ? (phaseC * PHASE_SWEEP.archs * PHASE_SWEEP.runs * PHASE_SWEEP.steps) / PHASE_SWEEP.workers / 1e3 : NaN;
  // A fig4 sample's per model-step and summary times, and the full sweep they give.
  const fromSample = (f) => {
    if (!f) return { est: NaN, perModelStep: NaN, summaryMs: NaN, grouped: 1 };
    const trained = f.jobs.reduce((s, j) => s + j.stepsTrained, 0), trainMs = f.jobs.reduce((s, j) => s + j.trainMs, 0);
    const perModelStep = trainMs / trained, summaryMs = f.jobs.reduce((s, j) => s + j.summaryMs, 0) / f.jobs.length;
    // grouped: whether the sample trained its jobs in lane groups (bench-worker.js 'job' with several jobs), as the sweeps page does
    return { est: ((perModelStep * PHASE_SWEEP.steps + summaryMs) * PHASE_SWEEP.jobs) / PHASE_SWEEP.workers / 1e3, perModelStep, summaryMs,
      grouped: Math.max(...f.jobs.map((j) => j.group ?? 1)) };
  };
  const f4 = sweeps.fig4, f4xo = sweeps['fig4-xo'];
  const { est: fromFig4, perModelStep, summaryMs, grouped: f4Grouped } = fromSample(f4), xoSample = fromSample(f4xo);
  // The 8 architectures' workloads: Σ ms per step of 2262 models × 10 runs × 5000 steps ÷ 2 workers.
  const archC = FIG4_ARCHS.map((a) => ms('chromium', `fig4-${a}`));
  const archSum = archC.every((v) => v > 0) ? archC.reduce((a, v) => a + v, 0) : NaN;
  const fromArchs = (archSum * PHASE_SWEEP.runs * PHASE_SWEEP.steps) / PHASE_SWEEP.workers / 1e3;
  out.push('**Full-fidelity phase-diagram sweep** (fig4 paper: 8 architectures × 10 runs × 2262 cells × 5000 steps × batch 512 = ' +
    `${PHASE_SWEEP.jobs.toLocaleString('en')} models), estimated from measured throughput, target under 1 h:`, '');
  out.push(table(['estimate from', 'measured', 'estimated time, 2 workers', 'target < 1 h'], [
    ['**the 8 architectures (fig4-*) workloads** (the most faithful): Σ_arch ms per step of 2262 models × 10 runs × 5000 steps ÷ 2 workers; ' +
      'the same shapes, batch and lane groups as the sweep, p = 0.5, the mean density of the sweep\'s cells (a lane step\'s cost is linear in p: its sampler reads 1 + p draws per feature); ' +
      'assumes 2 workers on 2 idle cores scale perfectly; no per-model metrics',
    Number.isFinite(archSum) ? `${fmt(archSum)} ms per step of 8 × 2262 models` : '—', secs(fromArchs), Number.isFinite(fromArchs) ? mark(fromArchs < SWEEP_LIMIT_S) : 'n/a'],
    ['the phase workload × 8 architectures: every model costed as n=3, m=1, E=3 at p = 0.1 (the issue\'s workload; low: the sweep\'s mean density is 0.5)', `${fmt(phaseC)} ms per step of 2262 models`,
      secs(fromPhase), Number.isFinite(fromPhase) ? mark(fromPhase < SWEEP_LIMIT_S) : 'n/a'],
    [`a sample of the quick fig4 sweep: the same 8 architectures, batch 512, densities across the range, 2 workers at once, + metrics per model; ${
      f4Grouped > 1 ? `consecutive sampled jobs of one architecture ${f4Grouped} per lab.trainMany call, as the sweeps page` : '**one model at a time** (no SIMD lanes)'}`,
      f4 ? `${fmt(perModelStep * 1e3)} µs per model-step, ${fmt(summaryMs)} ms summary; ${f4.sampled} of ${f4.total} jobs` : '—',
      secs(fromFig4), Number.isFinite(fromFig4) ? mark(fromFig4 < SWEEP_LIMIT_S) : 'n/a'],
    ...(f4xo ? [['the same sample on the xoshiro stream (fidelity quick-xoshiro: what the sweeps page trains for fig4 unless told `data_rng=pcg32`)',
      `${fmt(xoSample.perModelStep * 1e3)} µs per model-step, ${fmt(xoSample.summaryMs)} ms summary; ${f4xo.sampled} of ${f4xo.total} jobs`,
      secs(xoSample.est), Number.isFinite(xoSample.est) ? mark(xoSample.est < SWEEP_LIMIT_S) : 'n/a']] : []),
  ]));
  out.push('');
  out.push('**Quick presets** (target under 2 minutes each in a tab with 2 workers): every `stride`-th job trained for a share of its steps in ' +
    'Chromium by 2 workers at once (consecutive sampled jobs of one small architecture, n ≤ 3 and k = 1, 4 per lab.trainMany call, as the sweeps page does); estimate = Σ per-job time (train time scaled to all steps + summary) × jobs/sampled ÷ 2, best round. ' +
    'Two workers on a 2-core machine that is running other work get less than two cores: these are upper bounds when the load was above 2.', '');
  const quick = {};
  out.push(table(['preset', 'jobs', 'sampled', 'models per train call', 'steps trained', 'sample wall time', 'estimated preset time, 2 workers', 'each round\'s estimate', 'target < 2 min'],
    ['fig3', 'fig4', 'fig4-xo', 'table1'].filter((name) => name !== 'fig4-xo' || sweeps[name]).map((name) => {
      const s = sweeps[name];
      if (!s) return [name, '—', '—', '—', '—', '—', '—', '—', 'n/a'];
      quick[name] = s.estimate;
      return [name, s.total, `1 in ${s.stride}: ${s.sampled}`, `up to ${Math.max(...s.jobs.map((j) => j.group ?? 1))}`, `${fmt(100 * s.stepsFraction)}%`, secs(s.wallMs / 1e3), secs(s.estimate),
        s.roundEstimates.map(secs).join(' / '), mark(s.estimate < QUICK_LIMIT_S)];
    })));
  out.push('');
  // The same from single-worker throughput, assuming 2 workers on 2 idle cores scale perfectly: less exposed to other load.
  const t1 = ms('chromium', 'table1');
  if (t1) {
    const est = (t1 * 10000 * 20) / 2 / 1e3;
    out.push(`From the table1 workload's throughput instead (the same architecture and batch; 20 jobs × 10,000 steps × ${fmt(t1)} ms ÷ 2 workers, ` +
      `assuming 2 workers on 2 idle cores scale perfectly): quick table1 ≈ ${secs(est)}.`, '');
  }

  // ---- targets
  out.push('## Targets', '');
  const rows = [];
  // Against PyTorch measured in this run too, when it was: [measured, verdict] cells, or none.
  const vsHere = (id, c) => {
    if (!hasTorch) return [];
    const r = ratio(torchMs(id), c);
    return [Number.isFinite(r) ? `${x(r)} (PyTorch ${fmt(torchMs(id))} ms)` : '—', Number.isFinite(r) ? mark(r >= REFERENCE[id].target) : 'n/a'];
  };
  const blank = hasTorch ? ['', ''] : [];
  for (const id of mainIds) {
    const ref = REFERENCE[id], c = ms('chromium', id), sp = ratio(ref.pytorch, c);
    rows.push([`${id}: ≥ ${ref.target}× faster than PyTorch (≤ ${fmt(ref.pytorch / ref.target)} ms)`, `${fmt(c)} ms (${x(sp)})`,
      Number.isFinite(sp) ? mark(sp >= ref.target) : 'n/a', ...vsHere(id, c)]);
  }
  const within = mainIds.map((id) => [id, ratio(ms('chromium', id), ms('native-simd', id))]).filter(([, r]) => Number.isFinite(r));
  const worst = within.reduce((w, e) => (e[1] > w[1] ? e : w), ['', -Infinity]);
  rows.push([`wasm SIMD (Chromium) within ${WASM_LIMIT}× of native SIMD`, within.length ? within.map(([id, r]) => `${id} ${x(r)}`).join(', ') : '—',
    within.length ? mark(worst[1] <= WASM_LIMIT) : 'n/a', ...blank]);
  const fastest = mainIds.map((id) => [id, ratio(res.chromium[id]?.ms_min, res['native-simd'][id]?.ms_min)]).filter(([, r]) => Number.isFinite(r));
  if (fastest.length) {
    rows.push([`(same, fastest repeats: less exposed to other load)`, fastest.map(([id, r]) => `${id} ${x(r)}`).join(', '),
      mark(fastest.every(([, r]) => r <= WASM_LIMIT)), ...blank]);
  }
  const withinNode = mainIds.map((id) => [id, ratio(ms('wasm-simd-node', id), ms('native-simd', id))]).filter(([, r]) => Number.isFinite(r));
  if (withinNode.length) {
    rows.push([`(same, wasm SIMD in Node)`, withinNode.map(([id, r]) => `${id} ${x(r)}`).join(', '),
      mark(withinNode.every(([, r]) => r <= WASM_LIMIT)), ...blank]);
  }
  // Judged on the 8 architectures' workloads when they ran (the most faithful), else on the worse of the others.
  const judged = Number.isFinite(fromArchs) ? fromArchs : Math.max(...[fromFig4, fromPhase].filter(Number.isFinite));
  // The sweeps page starts fig4 on xoshiro (web/js/sweeps/page.js DEFAULT_STREAM): that is the
  // sweep a tab runs unless told otherwise; PCG32 (the CLI's default) is reported beside it.
  if (Number.isFinite(xoFromArchs) || f4xo) {
    const xoJudged = Number.isFinite(xoFromArchs) ? xoFromArchs : xoSample.est;
    rows.push(['full-fidelity phase sweep < 1 h (2 workers), as the sweeps page starts it: fig4 on `data_rng: xoshiro`',
      `**${secs(xoFromArchs)} (fig4-*-xo workloads)**; ${secs(xoSample.est)} (fig4 sample, quick-xoshiro)`, mark(xoJudged < SWEEP_LIMIT_S), ...blank]);
  }
  rows.push(['full-fidelity phase sweep < 1 h (2 workers) on PCG32 (the page\'s `data_rng=pcg32`, the CLI\'s default)',
    `**${secs(fromArchs)} (fig4-* workloads)**; ${secs(fromFig4)} (fig4 sample), ${secs(fromPhase)} (phase workload)`,
    Number.isFinite(judged) ? mark(judged < SWEEP_LIMIT_S) : 'n/a', ...blank]);
  for (const id of mainIds) {
    const c = ms('chromium', xo(id));
    if (!c) continue;
    const ref = REFERENCE[id], sp = ratio(ref.pytorch, c);
    rows.push([`${id} with \`data_rng: xoshiro\`: ≥ ${ref.target}× (≤ ${fmt(ref.pytorch / ref.target)} ms)`, `${fmt(c)} ms (${x(sp)})`, mark(sp >= ref.target),
      ...vsHere(id, c)]);
  }
  for (const name of ['fig3', 'fig4-xo', 'fig4', 'table1'].filter((n) => n !== 'fig4-xo' || sweeps[n])) {
    const label = { 'fig4-xo': 'fig4 on xoshiro (as the page starts it)', fig4: sweeps['fig4-xo'] ? 'fig4 on PCG32' : 'fig4' }[name] ?? name;
    rows.push([`quick ${label} < 2 min (2 workers)`, secs(quick[name]), Number.isFinite(quick[name]) ? mark(quick[name] < QUICK_LIMIT_S) : 'n/a', ...blank]);
  }
  out.push(table(['target', 'measured', 'against the issue\'s figures', ...(hasTorch ? ['vs PyTorch measured in this run', ''] : [])], rows), '');
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const get = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const dir = get('--dir');
  if (!dir) { console.error('usage: node bench/report.mjs --dir DIR [--out FILE]'); process.exit(2); }
  const text = report(dir);
  process.stdout.write(`${text}\n`);
  const outFile = get('--out');
  if (outFile) fs.writeFileSync(outFile, `${text}\n`);
}
