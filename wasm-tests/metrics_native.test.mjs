// Metrics from the wasm engine equal metrics from the native build for the same
// weights: a model trained in wasm is written out (config + weights) and measured
// again by `toymoe metrics`. Both builds round every float op alike, so the
// tolerance (1e-5 relative) only absorbs the CLI's printed digits.
// Also: the CLI reads the weights from any JSON layout and size, and says what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLab } from '../web/js/engine.js';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { CLI, HAVE_CLI, runCli, withTempDir } from './node_helpers.mjs';

const lab = await loadLab();
const SAMPLES = 4096;
const CLASSES = ['ignored', 'monosemantic', 'superposed'];
const FIELDS = ['norms', 'interference', 'polysemanticity', 'superposition', 'phaseScore', 'dim', 'classes', 'capacity',
  'gateMean', 'usage', 'globalDim', 'fpd', 'totalCapacity', 'samples', 'loss'];

// Walk both values together; returns the worst relative difference, throws on a shape mismatch.
function compare(js, native, path) {
  if (typeof js === 'string') {
    // Classes may come back as names or as their 0/1/2 codes.
    assert.equal(typeof native === 'number' ? CLASSES[native] : native, js, path);
    return 0;
  }
  if (typeof js === 'number') {
    assert.equal(typeof native, 'number', `${path}: native gave ${JSON.stringify(native)}`);
    const diff = Math.abs(js - native), scale = Math.max(Math.abs(js), Math.abs(native));
    assert.ok(diff <= 1e-5 * scale + 1e-7, `${path}: wasm ${js} vs native ${native}`);
    return scale ? diff / scale : 0;
  }
  if (Array.isArray(js)) {
    assert.ok(Array.isArray(native) && native.length === js.length, `${path}: length ${native?.length} vs ${js.length}`);
    return js.reduce((worst, v, i) => Math.max(worst, compare(v, native[i], `${path}[${i}]`)), 0);
  }
  assert.equal(typeof native, 'object', path);
  assert.deepEqual(Object.keys(native).sort(), Object.keys(js).sort(), `${path}: keys`);
  return Object.keys(js).reduce((worst, k) => Math.max(worst, compare(js[k], native[k], `${path}.${k}`)), 0);
}

const configs = {
  'dense fig1': { n: 20, m: 6, p: 0.1, batch: 256, bias_init: 'zero', seed: 1 },
  'MoE k=1': { n: 20, m: 2, experts: 3, k: 1, batch: 128, seed: 2 },
  'MoE k=2, load balancing': { n: 16, m: 3, experts: 4, k: 2, batch: 128, load_balance: true, loss: 'mean', seed: 3 },
  'n=3 regions setting': { n: 3, m: 1, experts: 3, k: 1, p: 0.5, batch: 100, router_init: 'diagonal', seed: 4 },
  'Table-1 style, k-hot router': { n: 30, m: 3, experts: 5, k: 1, batch: 128, router_init: 'khot_random', importance: 'decay_perm', importance_base: 0.9, seed: 5 },
};
if (lab.schema.some((f) => f.name === 'usage_inputs')) {
  configs['sparse usage inputs'] = { n: 20, m: 2, experts: 4, k: 1, batch: 128, usage_inputs: 'sparse', seed: 6 };
}

for (const [name, config] of Object.entries(configs)) {
  test(`wasm metrics = native metrics: ${name}`, { skip: !HAVE_CLI && 'no native CLI' }, () => {
    const model = lab.createModel({ ...config, steps: 300 });
    assert.equal(model.train(300).status, 'ok');
    const js = model.metrics({ samples: SAMPLES });
    const p = model.params();
    const weights = { W: Array.from(p.W), b: Array.from(p.b), router: Array.from(p.router) };
    const out = withTempDir((dir, write) =>
      runCli(['metrics', '--config', write('config.json', model.config), '--weights', write('weights.json', weights),
        '--samples', String(SAMPLES)]));
    const native = out.metrics ?? out;  // the metrics object, bare or under "metrics"
    for (const f of FIELDS) assert.ok(f in native, `native output lacks '${f}'`);
    const picked = Object.fromEntries(FIELDS.map((f) => [f, native[f]]));
    const worst = compare(js, picked, 'metrics');
    console.log(`${name}: worst relative difference ${worst.toExponential(2)}`);
    model.free();
  });
}

test('toymoe metrics reads the weights from any JSON layout and size, and names what is wrong', { skip: !HAVE_CLI && 'no native CLI' }, () => {
  withTempDir((dir, write) => {
    const raw = (name, text) => { const p = `${dir}/${name}`; writeFileSync(p, text); return p; };
    const metricsOf = (config, weightsFile) => runCli(['metrics', '--config', config, '--weights', weightsFile, '--samples', '256']);
    const failure = (config, weightsFile) => {
      try { execFileSync(CLI, ['metrics', '--config', config, '--weights', weightsFile], { stdio: ['ignore', 'pipe', 'pipe'] }); }
      catch (e) { return { status: e.status, stderr: String(e.stderr) }; }
      return { status: 0, stderr: '' };
    };
    // train --weights output above 1 MiB, read back whole (before: "cannot read" past 1 MiB)
    const big = { n: 1000, m: 100, batch: 16, steps: 1 };
    const trained = execFileSync(CLI, ['train', '--n', '1000', '--m', '100', '--batch', '16', '--steps', '1', '--weights', '--quiet'], { maxBuffer: 1 << 26 });
    assert.ok(trained.length > 1 << 20);
    assert.equal(metricsOf(write('big.json', big), raw('big-weights.json', trained)).samples, 256);
    // one model's weights in five layouts give the same metrics
    const config = write('config.json', { n: 20, m: 6 });
    const run = JSON.parse(execFileSync(CLI, ['train', '--n', '20', '--m', '6', '--steps', '50', '--weights', '--quiet'], { encoding: 'utf8' }));
    const w = run.weights;
    const want = metricsOf(config, write('plain.json', w));
    const layouts = {
      'train output': JSON.stringify(run),
      tabs: JSON.stringify({ meta: { W: [1, 2] }, ...w }, null, '\t'),
      CRLF: JSON.stringify(w, null, 1).replace(/\n/g, '\r\n'),
      'nested strings': JSON.stringify({ extra: [{ a: 'x"]}', W: 'no' }], weights: w }),
      'lab run file': JSON.stringify({ format: 'toymoe-run', config: { n: 20, m: 6 }, params: w, metrics: null }),
    };
    for (const [name, text] of Object.entries(layouts)) assert.deepEqual(metricsOf(config, raw(`${name}.json`, text)), want, name);
    const cases = [
      [{ ...w, W: w.W.slice(1) }, /W: ends at entry 119 \(W 120, b 20 and router 20 numbers/],
      [{ ...w, router: [...w.router, 1] }, /router: more than 20 numbers/],
      [{ ...w, b: 'x' }, /b is not an array/],
      [{ b: w.b, router: w.router }, /no array W/],
    ];
    for (const [weights, message] of cases) {
      const r = failure(config, write('bad.json', weights));
      assert.equal(r.status, 2);
      assert.match(r.stderr, message);
    }
    assert.match(failure(config, `${dir}/missing.json`).stderr, /--weights: cannot open '.*missing\.json': No such file/);
  });
});
