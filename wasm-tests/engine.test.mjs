// The JS engine's API contract (web/js/engine.js over the SIMD wasm module):
// loading, validation messages (JS and C agree word for word), training,
// non-finite runs, determinism, parity with the native CLI, metrics, regions,
// freeing, and that every function in toymoe.h is exported and exercised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError, loadLab } from '../web/js/engine.js';
import { HAVE_CLI, REPO, runCli, withTempDir } from './node_helpers.mjs';

const lab = await loadLab();

// Count every call into a tm_* export (the engine calls through lab.exports).
const calls = {};
for (const [name, fn] of Object.entries(lab.exports)) {
  if (!name.startsWith('tm_') || typeof fn !== 'function') continue;
  calls[name] = 0;
  lab.exports[name] = (...args) => { calls[name]++; return fn(...args); };
}

const SMALL = { n: 5, m: 2, batch: 16, seed: 1 };
// After any error the instance must still create and train a model.
function assertUsable() {
  const model = lab.createModel(SMALL);
  const r = model.train(3);
  assert.equal(r.status, 'ok');
  assert.ok(Number.isFinite(r.loss));
  model.free();
}

// The config as raw JSON text, with the values JSON cannot spell written as C's strtod reads them.
function rawJson(config) {
  const text = (v) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : JSON.stringify(v));
  return `{${Object.entries(config).map(([k, v]) => `${JSON.stringify(k)}:${text(v)}`).join(',')}}`;
}

// tm_model_create straight on the export: 0 and the C message.
function rawCreate(json) {
  const ptr = lab.withString(json, (s) => lab.exports.tm_model_create(s));
  if (ptr) lab.exports.tm_model_free(ptr);
  return { ptr, message: lab.lastError() };
}

test('loads from a path, from bytes and from a compiled module', async () => {
  assert.match(lab.version, /^toymoe \d+\.\d+\.\d+/);
  const bytes = readFileSync(process.env.TOYMOE_WASM ?? join(REPO, 'web/build/toymoe.wasm'));
  for (const opts of [{ bytes }, { module: await WebAssembly.compile(bytes) }]) {
    const other = await loadLab(opts);
    assert.deepEqual(other.schema, lab.schema);
    const model = other.createModel(SMALL);
    assert.equal(model.train(2).status, 'ok');
    model.free();
  }
  await assert.rejects(loadLab({ wasmPath: '/nonexistent/toymoe.wasm' }), /ENOENT/);
});

test('schema, defaults and the normalised config', () => {
  assert.equal(lab.readString(lab.exports.tm_version()), lab.version);
  assert.deepEqual(JSON.parse(lab.readString(lab.exports.tm_schema_json())), lab.schema);
  const names = lab.schema.map((f) => f.name);
  for (const name of ['n', 'm', 'experts', 'k', 'p', 'lr', 'seed', 'loss', 'bias_init', 'router_init']) assert.ok(names.includes(name), name);
  for (const f of lab.schema) assert.ok(['int', 'number', 'option', 'bool'].includes(f.type), f.name);
  const defaults = lab.defaults();
  assert.deepEqual(lab.validate(defaults), { ok: true, errors: [] });
  const model = lab.createModel();
  assert.deepEqual(model.config, defaults);
  model.free();
  const custom = lab.createModel({ n: 7, experts: 3, k: 2, load_balance: 1, seed: 4294967295 });
  assert.equal(custom.config.n, 7);
  assert.equal(custom.config.load_balance, true);
  assert.equal(custom.config.seed, 4294967295);
  custom.free();
});

// [config, field, exact message or null (then only JS == C and the field name are checked)]
const invalid = [
  [{ n: -3 }, 'n', 'n: must be an integer in [1, 4096], got -3'],
  [{ n: 0 }, 'n', 'n: must be an integer in [1, 4096], got 0'],
  [{ n: 2.5 }, 'n', 'n: must be an integer in [1, 4096], got 2.5'],
  [{ n: 5000 }, 'n', 'n: must be an integer in [1, 4096], got 5000'],
  [{ n: '20' }, 'n', "n: must be an integer in [1, 4096], got '20'"],
  [{ m: 0 }, 'm', 'm: must be an integer in [1, 4096], got 0'],
  [{ m: -1 }, 'm', null],
  [{ experts: 0 }, 'experts', 'experts: must be an integer in [1, 1024], got 0'],
  [{ experts: -2 }, 'experts', null],
  [{ k: 0 }, 'k', null],
  [{ k: 2 }, 'k', 'k: must be an integer in [1, experts=1], got 2'],
  [{ experts: 3, k: 4 }, 'k', 'k: must be an integer in [1, experts=3], got 4'],
  [{ p: 0 }, 'p', 'p: must be a number in (0, 1], got 0'],
  [{ p: 1.5 }, 'p', 'p: must be a number in (0, 1], got 1.5'],
  [{ p: -0.1 }, 'p', null],
  [{ p: NaN }, 'p', 'p: must be a number in (0, 1], got NaN'],
  [{ lr: Infinity }, 'lr', 'lr: must be a number in (0, 10], got Infinity'],
  [{ lr: -Infinity }, 'lr', null],
  [{ batch: null }, 'batch', "batch: must be an integer in [1, 65536], got 'null'"],
  [{ beta1: 1 }, 'beta1', 'beta1: must be a number in [0, 1), got 1'],
  [{ seed: -1 }, 'seed', null],
  [{ seed: 1.5 }, 'seed', 'seed: must be an integer in [0, 4294967295], got 1.5'],
  [{ seed: 4294967296 }, 'seed', null],
  [{ importance: 'cubic' }, 'importance', "importance: must be one of decay|decay_perm|uniform|last, got 'cubic'"],
  [{ loss: 3 }, 'loss', "loss: must be one of sum|mean, got '3'"],
  [{ load_balance: 'yes' }, 'load_balance', "load_balance: must be true or false, got 'yes'"],
  [{ load_balance: 2 }, 'load_balance', null],
  [{ foo: 1 }, 'foo', "config: unknown field 'foo'"],
  [{ n: 20, ['x'.repeat(50)]: 1 }, 'x'.repeat(50), `config: unknown field '${'x'.repeat(36)}...'`],
  [{ ['y'.repeat(70)]: 1 }, 'y'.repeat(70), `config: unknown field '${'y'.repeat(32)}...'`],
  // clipped in UTF-8 bytes as C counts them, before a whole character
  [{ loss: 'é'.repeat(25) }, 'loss', `loss: must be one of sum|mean, got '${'é'.repeat(18)}...'`],
  [{ loss: `a${'é'.repeat(25)}` }, 'loss', `loss: must be one of sum|mean, got 'a${'é'.repeat(17)}...'`],
  [{ ['ü'.repeat(20)]: 1 }, 'ü'.repeat(20), `config: unknown field '${'ü'.repeat(18)}...'`],
  [{ ['ü'.repeat(32)]: 1 }, 'ü'.repeat(32), `config: unknown field '${'ü'.repeat(16)}...'`],
  [{ loss: '€'.repeat(13) }, 'loss', `loss: must be one of sum|mean, got '${'€'.repeat(13)}'`],
  [{ loss: ['sum'] }, 'loss', `loss: must be one of sum|mean, got '["sum"]'`],
  [{ n: [5] }, 'n', "n: must be an integer in [1, 4096], got '[5]'"],
  [{ loss: 'a\rb\bc\fd\ne\tf\u0001g' }, 'loss', "loss: must be one of sum|mean, got 'a?b?c?d?e?f?g'"],
];
// Every field of the schema, with every kind of wrong value it can get.
for (const f of lab.schema) {
  if (f.type === 'option') invalid.push([{ [f.name]: 'bogus' }, f.name, `${f.name}: must be one of ${f.options.join('|')}, got 'bogus'`]);
  if (f.type === 'bool') invalid.push([{ [f.name]: 'maybe' }, f.name, `${f.name}: must be true or false, got 'maybe'`]);
  if (f.type !== 'int' && f.type !== 'number') continue;
  for (const v of [NaN, Infinity, -Infinity, null, 'abc', true, f.min - 1, f.max + 1, f.max * 2 + 1]) invalid.push([{ [f.name]: v }, f.name, null]);
  if (f.min_open) invalid.push([{ [f.name]: f.min }, f.name, null]);
  if (f.max_open) invalid.push([{ [f.name]: f.max }, f.name, null]);
  if (f.type === 'int') invalid.push([{ [f.name]: f.min + 0.5 }, f.name, null]);
}

test('every invalid field: its own message, the same from JS and from C, and the lab stays usable', () => {
  for (const [config, field, expected] of invalid) {
    const what = rawJson(config);
    const v = lab.validate(config);
    assert.equal(v.ok, false, what);
    const [first] = v.errors;
    assert.equal(first.field, field, what);
    assert.equal(first.code, 'arg', what);
    if (expected) assert.equal(first.message, expected, what);
    assert.ok(first.message.startsWith(`${field}:`) || first.message.startsWith('config: unknown field'), first.message);

    // JS path: createModel throws before reaching C.
    assert.throws(() => lab.createModel(config), (e) => e instanceof LabError && e.field === field && e.message === first.message, what);
    // C path through the raw export (JSON the JS validator rejects): the same words.
    const raw = rawCreate(what);
    assert.equal(raw.ptr, 0, what);
    assert.equal(raw.message, first.message, what);
    // C path through the engine: the field is recovered from the C message.
    if (!Number.isNaN(config[field]) && Math.abs(config[field]) !== Infinity) {
      assert.throws(() => lab.createModel(config, { validate: false }),
        (e) => e instanceof LabError && e.field === field && e.code === 'arg' && e.message === first.message, what);
    }
    assertUsable();
  }
});

test('configs that are not objects', () => {
  for (const bad of [null, [], 'n=20', 3]) {
    const v = lab.validate(bad);
    assert.equal(v.ok, false);
    assert.equal(v.errors[0].field, 'config');
    assert.throws(() => lab.createModel(bad), LabError);
  }
  assert.match(rawCreate('[1]').message, /^config: expected a JSON object/);
  assert.match(rawCreate('{"n":20').message, /^config: expected ','/);
  assertUsable();
});

test('an oversized model: JS and C both refuse it with the same message', () => {
  const big = { n: 4096, m: 4096 };
  const v = lab.validate(big);
  assert.equal(v.ok, false);
  assert.equal(v.errors[0].code, 'memory');
  assert.match(v.errors[0].message, /^config: model and batch need [\d.]+ MiB \(n=4096, m=4096, experts=1, batch=1024\), over the 256 MiB limit$/);
  assert.throws(() => lab.createModel(big), (e) => e instanceof LabError && e.code === 'memory' && e.field === 'config');
  assert.equal(rawCreate(JSON.stringify(big)).message, v.errors[0].message);
  assert.throws(() => lab.createModel(big, { validate: false }), (e) => e.code === 'memory' && e.message === v.errors[0].message);
  assertUsable();
});

test('params() views follow memory growth', () => {
  const model = lab.createModel({ ...SMALL, seed: 9 });
  const before = model.params();
  const copy = before.W.slice();
  const grown = lab.memory.buffer.byteLength;
  // A large batch buffer forces the wasm memory to grow, detaching old views.
  const hog = lab.createModel({ n: 256, m: 1, batch: 65536 });
  assert.ok(lab.memory.buffer.byteLength > grown, 'memory grew');
  assert.equal(before.W.length, 0, 'old view detached');
  assert.deepEqual(model.params().W, copy);
  hog.free();
  model.free();
});

test('validate() and createModel() agree at the memory cap', () => {
  // n=4096 makes the reserved metrics term E*n*n large, so the model itself stays small.
  const base = { n: 4096, m: 1, experts: 3, k: 1 };
  let lo = 1, hi = 65536;  // largest batch that validate() accepts
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lab.validate({ ...base, batch: mid }).ok) lo = mid; else hi = mid - 1;
  }
  assert.ok(lo > 1 && lo < 65536, `boundary batch ${lo}`);
  const over = { ...base, batch: lo + 1 };
  const v = lab.validate(over);
  assert.equal(v.errors[0].code, 'memory');
  assert.equal(rawCreate(JSON.stringify(over)).message, v.errors[0].message);
  const model = lab.createModel({ ...base, batch: lo });  // C accepts what JS accepts
  model.free();
  assertUsable();
});

test('train, step, lastLoss, lossHistory, params, setParams', () => {
  const model = lab.createModel({ n: 8, m: 3, experts: 2, batch: 32, steps: 40, seed: 2 });
  assert.equal(model.step, 0);
  assert.ok(Number.isNaN(model.lastLoss));
  assert.deepEqual(model.lossHistory(), { stride: 1, values: new Float32Array(0) });
  const r = model.train(25);
  assert.deepEqual(Object.keys(r).sort(), ['error', 'loss', 'status', 'step']);
  assert.equal(r.status, 'ok');
  assert.equal(r.error, '');
  assert.equal(r.step, 25);
  assert.equal(model.step, 25);
  assert.equal(model.train(0).step, 25);
  const h = model.lossHistory();
  assert.equal(h.values.length, 25);
  assert.equal(h.values[24], Math.fround(model.lastLoss));
  assert.equal(r.loss, model.lastLoss);

  const p = model.params();
  assert.equal(p.W.length, 2 * 8 * 3);
  assert.equal(p.b.length, 2 * 8);
  assert.equal(p.router.length, 2 * 8);
  // A fresh model given these weights computes what this one does.
  const twin = lab.createModel({ n: 8, m: 3, experts: 2, batch: 32, steps: 40, seed: 2 });
  twin.setParams({ W: p.W, b: p.b, router: Array.from(p.router) });
  assert.deepEqual(twin.params(), model.params());
  assert.deepEqual(twin.metrics({ samples: 256 }), model.metrics({ samples: 256 }));
  twin.setParams({ b: new Float32Array(16) });
  assert.ok(twin.params().b.every((x) => x === 0));
  assert.throws(() => twin.setParams({ W: [1, 2] }), (e) => e.field === 'W' && /48 values/.test(e.message));
  assert.throws(() => twin.setParams({ bias: p.b }), (e) => e.field === 'bias');
  for (const bad of [-1, 1.5, NaN, '3', 2 ** 31]) {
    assert.throws(() => model.train(bad), (e) => e instanceof LabError && e.field === 'steps', String(bad));
  }
  assert.equal(model.train(15).status, 'ok');
  twin.free();
  model.free();
});

test('a non-finite run is a result naming the step, and the lab keeps working', () => {
  const model = lab.createModel({ ...SMALL, lr: 10, weight_decay: 10 });
  const r = model.train(200);
  assert.equal(r.status, 'nonfinite');
  const step = Number(/at step (\d+)/.exec(r.error)?.[1]);
  assert.ok(Number.isInteger(step), r.error);
  assert.equal(r.step, step);
  assert.ok(r.step < 200);
  const again = model.train(5);  // stays stopped, still no exception
  assert.equal(again.status, 'nonfinite');
  assert.equal(again.step, step);
  assert.equal(model.lossHistory().values.length, step);
  model.free();
  assertUsable();
});

test('same seed, same loss history; metrics do not disturb training', () => {
  const config = { n: 12, m: 3, experts: 3, k: 2, batch: 64, steps: 60, schedule: 'cosine', load_balance: true, seed: 11 };
  const a = lab.createModel(config), b = lab.createModel(config), c = lab.createModel({ ...config, seed: 12 });
  a.train(60);
  b.train(30);
  b.metrics({ samples: 128 });
  b.train(30);
  c.train(60);
  assert.deepEqual(a.lossHistory(), b.lossHistory());
  assert.deepEqual(a.params(), b.params());
  assert.notDeepEqual(a.lossHistory().values, c.lossHistory().values);
  for (const m of [a, b, c]) m.free();
});

test('JS training gives the native CLI loss history and weights, bit for bit', { skip: !HAVE_CLI && 'no native CLI' }, () => {
  const configs = [
    { n: 20, m: 6, p: 0.1, batch: 256, steps: 120, seed: 5 },
    { n: 20, m: 2, experts: 3, k: 1, batch: 128, bias_init: 'zero', schedule: 'cosine', steps: 120, seed: 6 },
    { n: 40, m: 3, experts: 6, k: 2, load_balance: true, loss: 'mean', batch: 64, router_init: 'khot_random', schedule: 'linear', steps: 120, seed: 7 },
    { n: 100, m: 4, experts: 4, k: 1, batch: 128, data_rng: 'xoshiro', steps: 120, seed: 8 },
  ];
  withTempDir((dir, write) => {
    for (const config of configs) {
      const model = lab.createModel(config);
      const r = model.train(config.steps);
      const file = write('config.json', model.config);
      const native = runCli(['train', '--config', file, '--history-every', '1', '--weights', '--quiet']);
      assert.equal(native.status, 'ok');
      assert.deepEqual(native.config, model.config);
      assert.deepEqual(Float32Array.from(native.loss_history), model.lossHistory().values, JSON.stringify(config));
      assert.equal(Math.fround(native.final_loss), Math.fround(r.loss));
      const p = model.params();
      for (const k of ['W', 'b', 'router']) assert.deepEqual(Float32Array.from(native.weights[k]), p[k], k);
      model.free();
    }
  });
});

test('metrics: every field, its shape and its invariants', () => {
  const E = 3, n = 10;
  const model = lab.createModel({ n, m: 2, experts: E, k: 1, batch: 128, steps: 200, seed: 3 });
  model.train(200);
  const met = model.metrics({ samples: 1000 });
  const shape = (x) => (Array.isArray(x) ? [x.length, ...shape(x[0])] : []);
  const want = {
    norms: [E, n], interference: [E, n, n], polysemanticity: [E, n], superposition: [E, n], phaseScore: [E, n],
    dim: [E, n], classes: [E, n], capacity: [E], gateMean: [E], globalDim: [n],
  };
  assert.deepEqual(Object.keys(met).sort(), [...Object.keys(want), 'usage', 'fpd', 'totalCapacity', 'samples', 'loss'].sort());
  for (const [k, s] of Object.entries(want)) assert.deepEqual(shape(met[k]), s, k);
  for (const k of ['unchanged', 'clamped', 'onlyMono']) assert.deepEqual(shape(met.usage[k]), [E], k);
  assert.equal(met.samples, 1024);  // rounded up to whole batches of 128
  for (const k of ['fpd', 'totalCapacity', 'loss']) assert.ok(Number.isFinite(met[k]), k);
  assert.ok(met.classes.flat().every((c) => ['ignored', 'monosemantic', 'superposed'].includes(c)));
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum(met.gateMean) - 1) < 1e-4, 'k=1 gate means sum to 1');
  assert.ok(Math.abs(sum(met.usage.unchanged) - 1) < 1e-4, 'top-1 usage sums to 1');
  assert.ok(Math.abs(sum(met.capacity) - met.totalCapacity) < 1e-4);
  for (let e = 0; e < E; e++) {
    for (let i = 0; i < n; i++) {
      const ps = met.phaseScore[e][i], sp = met.superposition[e][i];
      assert.ok(Math.abs(met.polysemanticity[e][i] ** 2 - sp) < 1e-5);
      assert.ok(Math.abs(ps - sp - met.interference[e][i][i] ** 2) < 1e-5);
    }
  }
  // typedRows: the same values, interference rows as Float32Array views of one buffer
  const typed = model.metrics({ samples: 1000, typedRows: true });
  assert.ok(typed.interference[E - 1][n - 1] instanceof Float32Array);
  assert.equal(typed.interference[0][0].buffer, typed.interference[E - 1][n - 1].buffer);
  assert.deepEqual(typed.interference.map((rows) => rows.map((r) => Array.from(r))), met.interference);
  assert.deepEqual({ ...typed, interference: null }, { ...met, interference: null });
  const dense = lab.createModel({ n, m: 2, batch: 64, seed: 3 });
  dense.train(20);
  const dm = dense.metrics();
  assert.equal(dm.samples, 8192);
  const W = dense.params().W;
  assert.ok(Math.abs(dm.fpd - W.reduce((a, w) => a + w * w, 0) / 2) < 1e-4, 'dense FPD = ||W||_F^2 / m');
  assert.throws(() => model.metrics({ samples: 0 }), (e) => e instanceof LabError && e.code === 'arg' && /samples/.test(e.message));
  assert.throws(() => model.metrics({ samples: 2.5 }), (e) => e.field === 'samples');
  dense.free();
  model.free();
  assertUsable();
});

test('routerRegions: n = 2 and 3, and the errors', () => {
  const two = lab.createModel({ n: 2, m: 1, experts: 3, k: 1, router_init: 'diagonal', seed: 1 });
  const r2 = two.routerRegions(16);
  assert.ok(r2 instanceof Int32Array);
  assert.equal(r2.length, 256);
  assert.equal(r2[15 * 16 + 15], 0, 'bottom-right: x1 large, x2 small -> expert 0');
  assert.equal(r2[0], 1, 'top-left: x2 large -> expert 1');
  const three = lab.createModel({ n: 3, m: 1, experts: 3, k: 1, router_init: 'diagonal', seed: 1 });
  const r3 = three.routerRegions(32);
  assert.ok(r3.includes(-1) && r3.includes(0) && r3.includes(1) && r3.includes(2));
  assert.ok(r3.every((v) => v >= -1 && v < 3));
  const wide = lab.createModel({ n: 20, m: 2, experts: 3, k: 1 });
  assert.throws(() => wide.routerRegions(8), (e) => e instanceof LabError && e.code === 'state' && /n = 20/.test(e.message));
  for (const bad of [0, 2049, 1.5]) assert.throws(() => two.routerRegions(bad), (e) => e.field === 'grid');
  for (const m of [two, three, wide]) m.free();
  assertUsable();
});

test('free is idempotent and a freed model says so', () => {
  const model = lab.createModel(SMALL);
  model.train(2);
  model.free();
  model.free();
  assert.equal(model.freed, true);
  const freed = (e) => e instanceof LabError && e.code === 'freed' && /freed/.test(e.message);
  assert.throws(() => model.train(1), freed);
  assert.throws(() => model.step, freed);
  assert.throws(() => model.lastLoss, freed);
  assert.throws(() => model.params(), freed);
  assert.throws(() => model.setParams({}), freed);
  assert.throws(() => model.lossHistory(), freed);
  assert.throws(() => model.metrics(), freed);
  assert.throws(() => model.routerRegions(4), freed);
  assertUsable();
});

test('string and heap helpers', () => {
  const text = 'héllo, wasm ✓';
  const ptr = lab.writeString(text);
  assert.equal(lab.readString(ptr), text);
  lab.exports.tm_dealloc(ptr);
  assert.equal(lab.withString('abc', (p) => lab.readString(p)), 'abc');
  assert.throws(() => lab.alloc(0), (e) => e.code === 'memory');
  assertUsable();
  assert.equal(lab.lastError(), '');
});

test('sweeps: job count, job JSON and a trained model\'s summary (more in sweep_engine.test.mjs)', () => {
  assert.equal(lab.sweepJobs('fig4', 'quick'), 1728);
  const job = lab.sweepJob('fig4', 'quick', 3);
  assert.deepEqual([job.job, job.cell, job.run, job.arch], [3, 1, 0, '2x1-E1']);
  assert.throws(() => lab.sweepJob('fig4', 'quick', 1728), (e) => e instanceof LabError && e.field === 'job');
  const model = lab.createModel(job.config);
  model.train(10);
  const s = model.sweepSummary('fig4');
  assert.equal(s.steps_done, 10);
  assert.ok(['norm_e0', 'score_e0', 'super_e0', 'gate_e0'].every((k) => Number.isFinite(s[k])));
  model.free();
});

test('trainMany: several models in one call = model.train on each (more in train_many.test.mjs)', () => {
  const configs = [0.3, 0.6, 0.9].map((p, seed) => ({ n: 3, m: 1, experts: 3, p, importance: 'last', importance_last: 1.5, load_balance: true, batch: 512, seed }));
  configs.splice(1, 0, { ...SMALL, lr: 10, weight_decay: 10 });   // non-finite at step 5
  const many = configs.map((c) => lab.createModel(c)), alone = configs.map((c) => lab.createModel(c));
  const got = lab.trainMany(many, 20), want = alone.map((m) => m.train(20));
  assert.deepEqual(got, want);
  assert.deepEqual(got.map((r) => r.status), ['ok', 'nonfinite', 'ok', 'ok']);
  many.forEach((m, i) => {
    assert.deepEqual(m.params(), alone[i].params());
    assert.deepEqual(m.lossHistory(), alone[i].lossHistory());
  });
  assert.throws(() => lab.trainMany([many[0], 'x'], 1), (e) => e instanceof LabError && e.field === 'models');
  assert.throws(() => lab.trainMany(many, -2), (e) => e instanceof LabError && e.field === 'steps');
  for (const m of [...many, ...alone]) m.free();
  assertUsable();
});

test('every function in toymoe.h is exported by the wasm module and exercised above', () => {
  const header = readFileSync(join(REPO, 'src/toymoe.h'), 'utf8');
  const declared = [...header.matchAll(/^[\w\s*]*?\b(tm_\w+)\(/gm)].map((m) => m[1]);
  assert.ok(declared.length >= 20, `parsed ${declared.length} declarations`);
  // tm_version and tm_schema_json run in loadLab too, before the counters; they are also called directly above.
  const missing = declared.filter((name) => !(name in calls));
  assert.deepEqual(missing, [], 'declared in toymoe.h but not exported (TM_EXPORTS)');
  const unused = declared.filter((name) => !calls[name]);
  assert.deepEqual(unused, [], 'exported but never called by these tests');
});
