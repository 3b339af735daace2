// Sweeps in the JS engine and the sweep page's DOM-free modules against the native CLI:
// lab.sweepJobs / sweepJob / model.sweepSummary, the result line the browser stores
// (byte for byte the line `toymoe sweep` writes for the same job), the JS merge (byte for
// byte `toymoe merge`), C's %g formatting, and the validation of stored lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LabError, loadLab } from '../web/js/engine.js';
import { cfmt, resultLine, merge, members, checkLine, wholeObject } from '../web/js/sweeps/format.js';
import { SweepResults, table1Rows, boxStats } from '../web/js/sweeps/results.js';
import { estimateMs } from '../web/js/sweeps/plan.js';
import { parseFig3CSV } from '../web/js/sweeps/reference.js';
import { CLI, HAVE_CLI, REPO } from './node_helpers.mjs';

const lab = await loadLab();
const run = promisify(execFile);
const skip = !HAVE_CLI && 'no native CLI';

async function withTempDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'toymoe-sweep-'));
  try { return await fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** Train a job in wasm as the sweep worker does (in chunks), and build its line. */
function jsLine(preset, fidelity, job) {
  const text = lab.sweepJobJSON(preset, fidelity, job);
  const model = lab.createModel(JSON.parse(text).config);
  try {
    while (model.step < model.config.steps) {
      const r = model.train(Math.min(337, model.config.steps - model.step));  // chunking must not matter
      if (r.status !== 'ok') return resultLine(text, { status: 'nonfinite', error: r.error, weights: model.params() });
    }
    return resultLine(text, { status: 'ok', summary: model.sweepSummaryJSON(preset), weights: model.params() });
  } finally {
    model.free();
  }
}

/** `toymoe sweep` of some jobs into dir/name.jsonl (async, so wasm trains meanwhile); resolves the lines. */
async function cliSweep(dir, name, preset, fidelity, jobs) {
  const out = join(dir, `${name}.jsonl`);
  await run(CLI, ['sweep', '--quiet', '--preset', preset, '--fidelity', fidelity, '--jobs', jobs, '--out', out], { maxBuffer: 1 << 26 });
  return readFileSync(out, 'utf8').split('\n').filter(Boolean);
}

async function cliMerge(dir, name, files) {
  const json = join(dir, `${name}.json`), csv = join(dir, `${name}.csv`);
  await run(CLI, ['merge', '--json', json, '--csv', csv, ...files]);
  return { json: readFileSync(json, 'utf8'), csv: readFileSync(csv, 'utf8') };
}

test('sweepJobs, sweepJob and sweepJobJSON: counts, fields, errors naming the field', () => {
  for (const preset of ['fig3', 'fig4', 'table1']) {
    const quick = lab.sweepJobs(preset, 'quick'), paper = lab.sweepJobs(preset, 'paper');
    assert.ok(quick > 0 && paper > quick, `${preset}: ${quick} quick, ${paper} paper jobs`);
    for (const i of [0, quick - 1]) {
      const j = lab.sweepJob(preset, 'quick', i);
      assert.deepEqual(Object.keys(j), ['preset', 'fidelity', 'job', 'cell', 'run', 'arch', 'x', 'y', 'seed', 'config']);
      assert.equal(j.job, i);
      assert.equal(j.preset, preset);
      assert.deepEqual(lab.sweepJob(preset, 'quick', i), JSON.parse(lab.sweepJobJSON(preset, 'quick', i)));
      assert.ok(lab.validate(j.config).ok, `${preset} job ${i}: its config validates`);
    }
  }
  assert.equal(lab.sweepJobs('fig3', 'paper'), 4 * 30 * 5);
  assert.equal(lab.sweepJobs('fig4', 'paper'), 8 * 39 * 58 * 10);
  const f4 = lab.sweepJob('fig4', 'paper', 0);
  assert.equal(f4.x, 0.025);
  assert.equal(f4.y, 0.1);
  assert.ok(Math.abs(f4.config.p - (1 - f4.x)) < 1e-9, 'fig4: x = S = 1 - p');
  const f3 = lab.sweepJob('fig3', 'quick', 0);
  assert.ok(Math.abs(f3.x - 1 / f3.config.p) < 1e-9, 'fig3: x = 1/(1-S)');
  const t1 = lab.sweepJobs('table1', 'quick');
  assert.equal(lab.sweepJob('table1', 'quick', 0).arch, 'xavier');
  assert.equal(lab.sweepJob('table1', 'quick', t1 - 1).arch, 'khot');
  assert.equal(lab.sweepJob('table1', 'quick', t1 - 1).config.router_init, 'khot_random');
  // '-xoshiro': the same jobs on the xoshiro data stream, named apart so that results never mix
  for (const preset of ['fig3', 'fig4', 'table1']) {
    for (const base of ['quick', 'paper']) {
      const total = lab.sweepJobs(preset, base);
      assert.equal(lab.sweepJobs(preset, `${base}-xoshiro`), total);
      for (const i of [0, total - 1]) {
        const plain = lab.sweepJob(preset, base, i), xo = lab.sweepJob(preset, `${base}-xoshiro`, i);
        assert.equal(plain.config.data_rng, undefined, 'the default stream is not spelled out (older results stay valid)');
        assert.equal(xo.fidelity, `${base}-xoshiro`);
        assert.equal(xo.config.data_rng, 'xoshiro');
        // the stream's layout too: results of xoshiro layout 1 (other draws) are not this job's
        assert.equal(xo.xoshiro_layout, 2);
        assert.equal(plain.xoshiro_layout, undefined);
        const { data_rng, ...rest } = xo.config, { xoshiro_layout, ...xoJob } = xo;
        assert.deepEqual({ ...xoJob, fidelity: base, config: rest }, plain, `${preset} ${base} job ${i}: only the stream differs`);
        assert.ok(lab.validate(xo.config).ok);
      }
    }
  }
  const fails = [
    [() => lab.sweepJobs('fig9', 'quick'), 'preset', /fig3\|fig4\|table1/],
    [() => lab.sweepJobs('fig4', 'slow'), 'fidelity', /quick\|paper\|quick-xoshiro\|paper-xoshiro/],
    [() => lab.sweepJobs('fig4', 'xoshiro'), 'fidelity', /fidelity/],
    [() => lab.sweepJobs('fig4', 'quick-xoshir'), 'fidelity', /fidelity/],
    [() => lab.sweepJobs('fig4', 'quick-xoshiro-xoshiro'), 'fidelity', /fidelity/],
    [() => lab.sweepJobs('fig4', '-xoshiro'), 'fidelity', /fidelity/],
    [() => lab.sweepJob('fig4', 'quick', 1e6), 'job', /\[0, 1727\]/],
    [() => lab.sweepJob('fig4', 'quick', -1), 'job', /job/],
    [() => lab.sweepJob('fig4', 'quick', 1.5), 'job', /integer/],
    [() => lab.sweepJobs(null, 'quick'), 'preset', /preset/],
    [() => lab.sweepJobs('x'.repeat(100), 'quick'), 'preset', /short string/],
  ];
  for (const [fn, field, re] of fails) {
    assert.throws(fn, (e) => e instanceof LabError && e.field === field && re.test(e.message), `${fn}`);
  }
  assert.equal(lab.sweepJobs('fig4', 'quick'), 1728, 'still usable after errors');
});

test('model.sweepSummary: members per preset, parsed equal to the JSON text', () => {
  const cases = { fig3: ['fig3', 0, []], fig4: ['fig4', 1727, ['norm', 'score', 'super', 'gate']], table1: ['table1', 0, ['mono', 'usage', 'clamped', 'only']] };
  for (const [preset, job, perExpert] of Object.values(cases)) {
    const model = lab.createModel(lab.sweepJob(preset, 'quick', job).config);
    model.train(20);
    const text = model.sweepSummaryJSON(preset, 256);
    const s = model.sweepSummary(preset, 256);
    assert.deepEqual(s, JSON.parse(`{${text}}`));
    const E = model.config.experts;
    const want = ['final_loss', 'eval_loss', 'steps_done', 'fpd', 'total_capacity'];
    for (let e = 0; e < E; e++) for (const k of perExpert) want.push(`${k}_e${e}`);
    if (preset === 'table1') want.push('experts_mono_ge2');
    assert.deepEqual(Object.keys(s), want, preset);
    assert.equal(s.steps_done, 20);
    assert.equal(s.final_loss, Number(cfmt(model.lastLoss, 9)), 'final_loss = the last step\'s loss, %.9g');
    for (const v of Object.values(s)) assert.ok(Number.isFinite(v));
    assert.throws(() => model.sweepSummary(preset, 1.5), (e) => e.field === 'samples');
    model.free();
    assert.throws(() => model.sweepSummary(preset), (e) => e.code === 'freed');
  }
  // before its first step a model has no loss: null, still JSON (C's %g would print nan)
  const fresh = lab.createModel(lab.sweepJob('fig4', 'quick', 0).config);
  const s = fresh.sweepSummary('fig4', 256);
  assert.equal(s.final_loss, null);
  assert.equal(s.steps_done, 0);
  assert.ok(Number.isFinite(s.eval_loss));
  fresh.free();
});

test('cfmt is C printf %g: rounding ties to even on the exact value, exponents, zeros', () => {
  const cases = [
    [1.0078125, 7, '1.007812'], [1.0234375, 7, '1.023438'], [0.50390625, 7, '0.5039062'], [2.5e-5, 7, '2.5e-05'],
    [123456789, 7, '1.234568e+08'], [123456789, 9, '123456789'], [1e-5, 9, '1e-05'], [0.0001, 7, '0.0001'],
    [0.00012345678, 7, '0.0001234568'], [9.9999999, 7, '10'], [999999.95, 7, '999999.9'], [-0.5, 7, '-0.5'],
    [0, 7, '0'], [-0, 7, '-0'], [1e21, 9, '1e+21'], [1e100, 7, '1e+100'], [0.1, 10, '0.1'], [1 / 3, 10, '0.3333333333'],
    [NaN, 9, 'nan'], [Infinity, 9, 'inf'], [-Infinity, 9, '-inf'], [100, 7, '100'], [1234567, 7, '1234567'], [12345678, 7, '1.234568e+07'],
  ];
  for (const [v, p, want] of cases) assert.equal(cfmt(v, p), want, `%.${p}g of ${v}`);
});

test('members: the CLI\'s scanner of one line (strings with braces and escapes, nested values)', () => {
  const line = '{"a":1,"s":"x,}\\"{","o":{"k":[1,{"z":"]"}]},"l":[1,2],"n":null}';
  assert.deepEqual(members(line), [['a', '1'], ['s', '"x,}\\"{"'], ['o', '{"k":[1,{"z":"]"}]}'], ['l', '[1,2]'], ['n', 'null']]);
  assert.deepEqual(members('not json'), []);
});

test('wholeObject: a line is whole when its outermost braces close at its end (torn lines are not)', () => {
  const line = '{"a":1,"s":"x,}\\"{","o":{"k":[1,{"z":"]"}]},"l":[1,2],"n":null}';
  assert.ok(wholeObject(line));
  assert.ok(wholeObject('{}'));
  // every cut of it is torn, including the cuts that end in a brace or inside a string
  for (let i = 1; i < line.length; i++) assert.equal(wholeObject(line.slice(0, i)), false, line.slice(0, i));
  assert.equal(wholeObject(`${line} `), false, 'whole means the line ends with the object');
  assert.equal(wholeObject('not json'), false);
  assert.equal(wholeObject('{"a":"}'), false, 'an open string');
});

test('the browser\'s result lines equal `toymoe sweep` byte for byte, and the JS merge equals `toymoe merge`', { skip }, async () => {
  await withTempDir(async (dir) => {
    // fig4: 12 jobs = 4 cells x 3 runs; fig3: two densities; table1: one k-hot model (usage, clamped, only).
    const t1 = lab.sweepJobs('table1', 'quick') - 1;
    const specs = [['fig4', '0-11', Array.from({ length: 12 }, (_, i) => i)], ['fig3', '0,9', [0, 9]], ['table1', String(t1), [t1]]];
    const cli = Promise.all(specs.map(([preset, jobs]) => cliSweep(dir, preset, preset, 'quick', jobs)));
    const js = specs.map(([preset, , jobs]) => jobs.map((j) => jsLine(preset, 'quick', j)));
    const native = await cli;
    specs.forEach(([preset], k) => {
      assert.equal(js[k].length, native[k].length, preset);
      js[k].forEach((line, i) => assert.equal(line, native[k][i], `${preset}: line ${i} differs`));
      for (const line of js[k]) {
        const v = checkLine(line, lab.sweepJobJSON(preset, 'quick', JSON.parse(line).job), preset);
        assert.ok(v.ok, `${preset}: a fresh line passes checkLine (${v.why})`);
      }
    });
    // The JS merge of the same lines equals the CLI's merge (JSON and CSV), for each preset.
    for (const [k, [preset]] of specs.entries()) {
      const want = await cliMerge(dir, `${preset}-merged`, [join(dir, `${preset}.jsonl`)]);
      const got = merge(js[k], { jobsTotal: lab.sweepJobs(preset, 'quick') });
      assert.equal(got.json, want.json, `${preset}: merge JSON`);
      assert.equal(got.csv, want.csv, `${preset}: merge CSV`);
    }
    // Shuffled, a duplicated job, a failed run: still the CLI's merge of the same lines.
    const lines = native[0].slice();
    const failed = lines[4].replace(/,"status":"ok",.*?,"weights":/, ',"status":"nonfinite","error":"train: loss became non-finite at step 5; lower lr (now 10)","final_loss":null,"weights":');
    assert.notEqual(failed, lines[4]);
    lines[4] = failed;
    const messy = [lines[7], lines[4], ...lines.slice(0, 4).reverse(), ...lines.slice(5), lines[2]];
    writeFileSync(join(dir, 'messy.jsonl'), `${messy.join('\n')}\n`);
    const want = await cliMerge(dir, 'messy-merged', [join(dir, 'messy.jsonl')]);
    const got = merge(messy, { jobsTotal: 1728 });
    assert.equal(got.json, want.json);
    assert.equal(got.csv, want.csv);
    const parsed = JSON.parse(got.json);
    assert.equal(parsed.models_done, 12);
    assert.deepEqual(parsed.models.map((m) => m.job), [...Array(12).keys()]);
    assert.equal(parsed.cells.length, 4);
    assert.equal(parsed.cells[1].runs, 3);
  });
});

test('merge CSV: one column set for every cell (another architecture, a failed cell, a comma in an error), C = JS', { skip }, async () => {
  await withTempDir(async (dir) => {
    // cell 0 is 2x1-E1; cells 72 and 73 are 2x1-E2, whose best runs have per-expert members _e1
    const lines = await cliSweep(dir, 'archs', 'fig4', 'quick', '0-2,216-221');
    const error = 'train: loss is NaN, step 5 (\\"lr\\" too high)';  // JSON text: a comma and escaped quotes
    for (let i = 6; i < 9; i++) lines[i] = lines[i].replace(/,"status":"ok",.*?,"weights":/, `,"status":"nonfinite","error":"${error}","final_loss":null,"weights":`);
    writeFileSync(join(dir, 'archs-failed.jsonl'), `${lines.join('\n')}\n`);
    const want = await cliMerge(dir, 'archs-merged', [join(dir, 'archs-failed.jsonl')]);
    const got = merge(lines, { jobsTotal: lab.sweepJobs('fig4', 'quick') });
    assert.equal(got.json, want.json);
    assert.equal(got.csv, want.csv);
    // RFC 4180 fields: every row has the header's columns
    const fields = (row) => {
      const out = [];
      for (let i = 0; i <= row.length;) {
        let end = row.indexOf(',', i);
        if (row[i] === '"') {  // to the quote that is not doubled
          let j = i + 1;
          while ((j = row.indexOf('"', j)) >= 0 && row[j + 1] === '"') j += 2;
          end = j + 1;
        }
        if (end < 0) end = row.length;
        out.push(row.slice(i, end));
        i = end + 1;
      }
      return out;
    };
    const [header, ...rows] = got.csv.trim().split('\n').map(fields);
    assert.equal(rows.length, 3);
    for (const row of rows) assert.equal(row.length, header.length, row.join(','));
    const col = (name) => header.indexOf(name);
    assert.ok(col('norm_e1') > 0 && col('error') > 0, header.join(','));
    assert.equal(rows[0][col('norm_e1')], '', '2x1-E1 has no expert 1');
    assert.notEqual(rows[1][col('norm_e1')], '');
    assert.equal(rows[2][col('error')], '"train: loss is NaN, step 5 (\\""lr\\"" too high)"');
    assert.equal(rows[2][col('mean_final_loss')], 'nan');
  });
});

test('a -xoshiro sweep: the browser\'s lines equal `toymoe sweep --data-rng xoshiro`; merges refuse mixed sweeps', { skip }, async () => {
  await withTempDir(async (dir) => {
    // fig4 jobs 0-7 (4 per tm_train_many call in the CLI, one model.train each here), fig3 job 9
    const fig4 = await cliSweep(dir, 'fig4-xo', 'fig4', 'quick-xoshiro', '0-7');
    const viaFlag = join(dir, 'flag.jsonl');
    await run(CLI, ['sweep', '--quiet', '--preset', 'fig4', '--fidelity', 'quick', '--data-rng', 'xoshiro', '--jobs', '0-7', '--out', viaFlag]);
    assert.deepEqual(readFileSync(viaFlag, 'utf8').split('\n').filter(Boolean), fig4, '--data-rng xoshiro = --fidelity quick-xoshiro');
    fig4.forEach((line, j) => assert.equal(jsLine('fig4', 'quick-xoshiro', j), line, `fig4 job ${j}`));
    const [fig3] = await cliSweep(dir, 'fig3-xo', 'fig3', 'quick-xoshiro', '9');
    assert.equal(jsLine('fig3', 'quick-xoshiro', 9), fig3);
    const plain = await cliSweep(dir, 'fig4', 'fig4', 'quick', '0-7');
    const loss = (line) => JSON.parse(line).final_loss;
    assert.ok(plain.some((line, j) => loss(line) !== loss(fig4[j])), 'the streams give other runs');
    // a restart file of the other stream is refused, as is a merge of both
    await assert.rejects(run(CLI, ['sweep', '--quiet', '--preset', 'fig4', '--fidelity', 'quick', '--jobs', '8', '--out', join(dir, 'fig4-xo.jsonl')]),
      (e) => /holds results of another sweep/.test(String(e.stderr)));
    await assert.rejects(cliMerge(dir, 'mixed', [join(dir, 'fig4.jsonl'), join(dir, 'fig4-xo.jsonl')]),
      (e) => /another sweep/.test(String(e.stderr)));
    assert.throws(() => merge([...plain, fig4[0]], { jobsTotal: 1728 }), /another sweep/);
    const merged = JSON.parse(merge(fig4, { jobsTotal: 1728 }).json);
    assert.equal(merged.fidelity, 'quick-xoshiro');
    assert.equal(merge(fig4, { jobsTotal: 1728 }).json, (await cliMerge(dir, 'xo-merged', [join(dir, 'fig4-xo.jsonl')])).json);
  });
});

test('merge: a cell whose runs all failed has mean_final_loss null in JSON (C would print nan) and nan in CSV', () => {
  const text = lab.sweepJobJSON('fig4', 'quick', 0);
  const weights = { W: [0.5, 0.25], b: [0, 0], router: [1, 1] };
  const bad = resultLine(text, { status: 'nonfinite', error: 'train: loss became non-finite at step 3; lower lr (now 10)', weights });
  const { json, csv } = merge([bad], { jobsTotal: 1728 });
  const j = JSON.parse(json);
  assert.equal(j.cells[0].mean_final_loss, null);
  assert.equal(j.cells[0].final_loss, null);
  assert.match(csv.split('\n')[1], /^1,nan,fig4,quick,0,/);
  assert.ok(checkLine(bad, text, 'fig4').ok, 'a failed run is a valid stored result');
});

test('checkLine refuses lines of another job or plan, tampered numbers and weights of the wrong size', () => {
  const job = 5, text = lab.sweepJobJSON('fig4', 'quick', job);
  const model = lab.createModel(JSON.parse(text).config);
  model.train(model.config.steps);
  const line = resultLine(text, { status: 'ok', summary: model.sweepSummaryJSON('fig4'), weights: model.params() });
  model.free();
  assert.ok(checkLine(line, text, 'fig4').ok);
  // the same result under the xoshiro job's text, with and without its layout (layout 1's lines)
  const xoText = lab.sweepJobJSON('fig4', 'quick-xoshiro', job), results = line.slice(text.length - 1);
  assert.ok(checkLine(`${xoText.slice(0, -1)}${results}`, xoText, 'fig4').ok);
  const refused = {
    'xoshiro layout 1': [`${xoText.replace('"xoshiro_layout":2,', '').slice(0, -1)}${results}`, xoText],
    'another job': [line, lab.sweepJobJSON('fig4', 'quick', 6)],
    'another fidelity': [line, lab.sweepJobJSON('fig4', 'paper', job)],
    'not a string': [{ line }, text],
    'too long': [`${line}${' '.repeat(4 * 1024 * 1024)}`, text],
    'status': [line.replace('"status":"ok"', '"status":"maybe"'), text],
    'nan summary': [line.replace(/"fpd":[^,]+/, '"fpd":"nan"'), text],
    'absurd fpd': [line.replace(/"fpd":[^,]+/, '"fpd":1e308'), text],
    'negative loss': [line.replace(/"final_loss":[^,]+/, '"final_loss":-1e-3'), text],
    'missing expert key': [line.replace(/,"gate_e0":[^,]+/, ''), text],
    'steps': [line.replace('"steps_done":1500', '"steps_done":1499'), text],
    'short weights': [line.replace(/"W":\[[^\]]*\]/, '"W":[1]'), text],
    'string weight': [line.replace(/"b":\[/, '"b":["1",'), text],
    'broken json': [line.slice(0, -1), text],
    'duplicate config': [line.replace(/\}\}$/, '},"config":null}'), text],
    'duplicate job': [line.replace(/\}\}$/, '},"job":6}'), text],
    'html in error': [line.replace('"status":"ok"', '"status":"nonfinite","error":"<img src=x>"'), text],
  };
  for (const [why, [l, t]] of Object.entries(refused)) assert.equal(checkLine(l, t, 'fig4').ok, false, `${why} should be refused`);
});

test('results: cells, best run as merge picks it, Table 1 rows, box statistics, the reference CSV', () => {
  const r = new SweepResults('fig4', 'quick');
  const base = { preset: 'fig4', fidelity: 'quick', cell: 0, arch: '2x1-E1', x: 0.1, y: 0.1, status: 'ok', fpd: 1, config: { n: 2, m: 1, experts: 1, k: 1 } };
  assert.ok(r.add({ ...base, job: 1, run: 1, final_loss: 0.2 }));
  assert.ok(r.add({ ...base, job: 0, run: 0, final_loss: 0.2 }));
  assert.ok(r.add({ ...base, job: 2, run: 2, status: 'nonfinite', final_loss: null }));
  assert.equal(r.add({ ...base, job: 2, run: 2, final_loss: 0.01 }), false, 'a job counts once');
  const c = r.cells.get(0);
  assert.equal(c.runs, 3);
  assert.equal(c.best.job, 0, 'a tie goes to the lower job, as the CLI');
  assert.equal(c.lossSum / c.finite, 0.2);
  const t = new SweepResults('table1', 'quick');
  const m = (job, arch, monos) => {
    const o = { preset: 'table1', job, cell: arch === 'xavier' ? 0 : 1, arch, status: 'ok', final_loss: 0.1, fpd: 1, config: { n: 100, m: 10, experts: monos.length, k: 1 } };
    monos.forEach((k, e) => Object.assign(o, { [`mono_e${e}`]: k, [`usage_e${e}`]: 0.1, [`clamped_e${e}`]: 0.2 + k / 10, [`only_e${e}`]: k ? 1 : -1 }));
    return o;
  };
  t.add(m(0, 'xavier', [0, 1, 1, 2, 7]));
  t.add(m(1, 'khot', [3]));
  const rows = table1Rows(t.models);
  assert.equal(rows.xavier.experts, 5);
  assert.deepEqual(rows.xavier.rows.map((x) => x.mono), ['0', '1', '2', '3', '4', '5', '6+']);
  assert.deepEqual(rows.xavier.rows.map((x) => x.count), [1, 2, 1, 0, 0, 0, 1]);
  assert.deepEqual(rows.xavier.rows[0].only, [], 'no only-feature usage without a monosemantic feature');
  assert.deepEqual(rows.khot.rows.map((x) => x.count), [0, 0, 0, 1, 0, 0]);
  const b = boxStats([1, 2, 3, 4, 100]);
  assert.equal(b.med, 3);
  assert.deepEqual(b.outliers, [100]);
  assert.equal(b.hi, 4);
  const ref = parseFig3CSV(readFileSync(join(REPO, 'web/data/fig3_features_per_dim.csv'), 'utf8'));
  assert.deepEqual(Object.keys(ref).sort(), ['E10', 'E20', 'E4', 'dense']);
  assert.equal(ref.dense.length, 30);
  const at10 = ref.dense.find(([x]) => Math.abs(x - 10) < 1e-6)[1];
  assert.ok(Math.abs(at10 - 4.57) < 0.01, `dense at 10: ${at10}`);
  assert.deepEqual(parseFig3CSV('x_inv_density,dense_m20\n1,<script>\nnope'), { dense: [] });
});

test('the time left counts the jobs under way by their progress', () => {
  const plan = { groups: [{ arch: 'a', jobs: 4, steps: 100, batch: 10, msPerStep: 1 }, { arch: 'b', jobs: 4, steps: 100, batch: 10, msPerStep: 3 }] };
  const all = estimateMs(plan, new Map(), 2);
  assert.ok(all > 0);
  assert.equal(estimateMs(plan, new Map(), 2, { inflight: 0 }), all);
  // half of 2 jobs done of 8 left: an eighth less, at the mean cost of a job left
  assert.ok(Math.abs(estimateMs(plan, new Map(), 2, { inflight: 1 }) - all * 7 / 8) < 1e-9 * all);
  assert.equal(estimateMs(plan, new Map([['a', 4], ['b', 4]]), 2, { inflight: 1 }), 0);
  assert.equal(estimateMs(plan, new Map(), 2, { inflight: 99 }), 0);
});
