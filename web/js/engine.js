// toymoe engine: loads the standalone wasm module (src/toymoe.h) and wraps it in a
// small JS API. No DOM: the same module runs in Node, in a page and in a Web Worker.
//
//   import { loadLab } from './engine.js';
//   const lab = await loadLab();                     // or {wasmPath}, {wasmUrl}, {bytes}, {module}
//   const model = lab.createModel({ n: 20, m: 6, p: 0.1, seed: 1 });
//   model.train(1000);                               // {status, error, step, loss}
//   lab.trainMany([a, b, c, d], 100);                // several models at once (SIMD lanes): one result each
//   const met = model.metrics({ samples: 8192 });
//   model.free();
//   lab.sweepJobs('fig4', 'quick');                  // sweeps (SPEC section 7): job count, job i, a model's summary

const CODES = { 1: 'arg', 2: 'memory', 3: 'nonfinite', 4: 'state' };
const CLASSES = ['ignored', 'monosemantic', 'superposed'];
// The order of the TM_MET_* enum in toymoe.h.
const MET = { NORM: 0, INTERFERENCE: 1, POLY: 2, SUPERPOSITION: 3, PHASE_SCORE: 4, DIM: 5, CLASS: 6,
  CAPACITY: 7, GATE_MEAN: 8, USAGE: 9, GLOBAL_DIM: 10, SCALARS: 11 };
const WASI_ENOSYS = 52;

// A sweep preset or fidelity name for C: a short string (C names the allowed values on a bad one).
function sweepName(v, field) {
  if (typeof v !== 'string' || v.length > 64) throw new LabError(`sweep: ${field} must be a short string, got ${typeof v}`, { field });
  return v;
}

/** An error from the engine or the C library. `field` names the config field
 * (or null), `code` is 'arg' | 'memory' | 'nonfinite' | 'state' | 'freed' | 'unsupported' | 'exit'. */
export class LabError extends Error {
  constructor(message, { field = null, code = 'arg' } = {}) {
    super(message);
    this.name = 'LabError';
    this.field = field;
    this.code = code;
  }
}

// printf's %.10g, so range texts read exactly as in the C messages.
function g10(v) {
  if (!Number.isFinite(v) || v === 0) return String(v);
  const x = Number(v.toExponential(9).split('e')[1]);
  if (x < -4 || x >= 10) {
    const [mant, ex] = v.toExponential(9).split('e');
    const e = Math.abs(Number(ex));
    return `${mant.replace(/\.?0+$/, '')}e${ex[0] === '-' ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return String(Number(v.toPrecision(10)));
}

// C's shown(value, out, cap): values are clipped so hostile input cannot flood the message,
// in UTF-8 bytes as C counts them, cut before a whole character; control characters become '?'.
const utf8 = new TextEncoder();
function clipBytes(s, cap) {
  const bytes = utf8.encode(s);
  if (bytes.length + 1 <= cap) return s;
  let cut = cap - 4;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return `${new TextDecoder().decode(bytes.subarray(0, cut))}...`;
}
const shown = (s) => clipBytes(s, 40).replace(/[\x00-\x1f\x7f]/g, '?');
// A value as C reads it from JSON.stringify's text: arrays and objects as their JSON.
const asText = (v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));

function rangeText(f) {
  if (f.type === 'option') return f.options.join('|');
  if (f.type === 'bool') return 'true|false';
  return `${f.type === 'int' ? 'an integer' : 'a number'} in ${f.min_open ? '(' : '['}${g10(f.min)}, ${g10(f.max)}${f.max_open ? ')' : ']'}`;
}

// A bool as JS takes it: also 'true'/'false' and 1/0 (a URL's or a form's values); cJSON
// passes C the literal.
const BOOL_SPELLINGS = [true, false, 'true', 'false', 1, 0];

// One field's value against its schema entry: a message in the C wording, or null.
function checkField(f, v) {
  const got = `'${shown(asText(v))}'`;
  if (f.type === 'option') {
    return typeof v === 'string' && f.options.includes(v) ? null : `${f.name}: must be one of ${rangeText(f)}, got ${got}`;
  }
  if (f.type === 'bool') {
    return BOOL_SPELLINGS.includes(v) ? null : `${f.name}: must be true or false, got ${got}`;
  }
  if (typeof v !== 'number') return `${f.name}: must be ${rangeText(f)}, got ${got}`;
  const bad = !Number.isFinite(v) || v < f.min || v > f.max || (f.min_open && v === f.min) ||
    (f.max_open && v === f.max) || (f.type === 'int' && !Number.isInteger(v));
  return bad ? `${f.name}: must be ${rangeText(f)}, got ${String(v)}` : null;
}

// The config as C's strict JSON reads it: the bool spellings JS accepts become literals.
function cJSON(config, boolNames) {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return JSON.stringify(config);
  const out = {};
  for (const [k, v] of Object.entries(config)) {
    out[k] = boolNames.has(k) && BOOL_SPELLINGS.includes(v) ? v === true || v === 'true' || v === 1 : v;
  }
  return JSON.stringify(out);
}

// Field named by a C message: "<field>: ..." or "config: unknown field '<name>'".
function fieldOf(message, schemaNames) {
  const unknown = /^config: unknown field '(.*)'$/.exec(message);
  if (unknown) return unknown[1];
  const prefix = /^(\w+):/.exec(message)?.[1];
  return schemaNames.has(prefix) ? prefix : prefix === 'config' ? 'config' : null;
}

// Imports of the standalone module: it needs only emscripten_notify_memory_growth
// today, but a Proxy stubs anything a future libc call may pull in (WASI calls
// answer ENOSYS) so a rebuild never breaks loading.
function makeImports(getMemory) {
  const decoder = new TextDecoder();
  const wasi = {
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      const view = new DataView(getMemory().buffer);
      let text = '', total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view.getUint32(iovs + 8 * i, true), len = view.getUint32(iovs + 8 * i + 4, true);
        text += decoder.decode(new Uint8Array(getMemory().buffer, ptr, len));
        total += len;
      }
      (fd === 2 ? console.error : console.log)(text.replace(/\n$/, ''));
      view.setUint32(nwrittenPtr, total, true);
      return 0;
    },
    proc_exit(code) { throw new LabError(`toymoe wasm called proc_exit(${code})`, { code: 'exit' }); },
    clock_time_get(id, _precision, outPtr) {
      const ms = id === 0 ? Date.now() : performance.now();
      new DataView(getMemory().buffer).setBigUint64(outPtr, BigInt(Math.round(ms * 1e6)), true);
      return 0;
    },
  };
  const env = { emscripten_notify_memory_growth() {} };  // views are re-derived lazily instead
  const stubbed = (known, fallback) => new Proxy(known, { get: (t, name) => t[name] ?? (() => fallback) });
  return new Proxy({}, {
    get: (_, mod) => (mod === 'wasi_snapshot_preview1' ? stubbed(wasi, WASI_ENOSYS) : mod === 'env' ? stubbed(env, 0) : stubbed({}, 0)),
  });
}

async function wasmSource(opts) {
  if (opts.module instanceof WebAssembly.Module || opts.bytes) return opts.module ?? opts.bytes;
  const isNode = typeof process === 'object' && !!process.versions?.node;
  if (isNode && !opts.wasmUrl) {
    const { readFile } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const path = opts.wasmPath ?? process.env.TOYMOE_WASM ?? fileURLToPath(new URL('../build/toymoe.wasm', import.meta.url));
    return readFile(path);
  }
  const url = opts.wasmUrl ?? new URL('../build/toymoe.wasm', import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new LabError(`cannot fetch ${url}: HTTP ${res.status}`, { code: 'unsupported' });
  return res.arrayBuffer();
}

/**
 * Load the wasm module and return a Lab.
 * @param {{wasmPath?: string, wasmUrl?: string|URL, bytes?: BufferSource, module?: WebAssembly.Module}} [opts]
 *   Node reads wasmPath, else env TOYMOE_WASM, else ../build/toymoe.wasm next to this file;
 *   browsers and workers fetch wasmUrl, else ../build/toymoe.wasm relative to this file.
 * @returns {Promise<Lab>}
 */
export async function loadLab(opts = {}) {
  let memory = null;
  const source = await wasmSource(opts);
  const result = await WebAssembly.instantiate(source, makeImports(() => memory));
  const instance = result.instance ?? result;  // a Module instantiates to a bare Instance
  memory = instance.exports.memory;
  if (typeof instance.exports._initialize === 'function') instance.exports._initialize();
  return new Lab(instance);
}

/** One wasm instance: schema, validation, strings and memory; creates Models. */
export class Lab {
  constructor(instance) {
    /** The raw exports, copied into a plain object (tests may wrap them). */
    this.exports = { ...instance.exports };
    /** @type {WebAssembly.Memory} */
    this.memory = instance.exports.memory;
    this._heap = null;
    this._encoder = new TextEncoder();
    this._decoder = new TextDecoder();
    /** Every config field: {name, doc, type: 'int'|'number'|'option'|'bool', default, min, max, min_open, max_open, options}. */
    this.schema = JSON.parse(this.readString(this.exports.tm_schema_json()));
    this._fields = new Map(this.schema.map((f) => [f.name, f]));
    this._bools = new Set(this.schema.filter((f) => f.type === 'bool').map((f) => f.name));
    this.version = this.readString(this.exports.tm_version());
  }

  /** Typed views of wasm memory, re-derived whenever memory growth replaced the buffer. */
  heap() {
    const buffer = this.memory.buffer;
    if (!this._heap || this._heap.buffer !== buffer) {
      this._heap = { buffer, u8: new Uint8Array(buffer), f32: new Float32Array(buffer), i32: new Int32Array(buffer) };
    }
    return this._heap;
  }

  /** A NUL-terminated UTF-8 string at ptr. */
  readString(ptr) {
    const u8 = this.heap().u8;
    let end = ptr >>> 0;
    while (u8[end]) end++;
    return this._decoder.decode(u8.subarray(ptr >>> 0, end));
  }

  /** Copy str into a fresh tm_alloc block (NUL-terminated); the caller tm_dealloc()s it. */
  writeString(str) {
    const bytes = this._encoder.encode(str);
    const ptr = this.alloc(bytes.length + 1);
    const u8 = this.heap().u8;
    u8.set(bytes, ptr);
    u8[ptr + bytes.length] = 0;
    return ptr;
  }

  /** tm_alloc that throws instead of returning 0. */
  alloc(bytes) {
    const ptr = this.exports.tm_alloc(bytes) >>> 0;
    if (!ptr) throw new LabError(this.lastError() || `alloc: could not allocate ${bytes} bytes`, { code: 'memory' });
    return ptr;
  }

  /** Run fn(ptr) with str in wasm memory, freeing it afterwards. */
  withString(str, fn) {
    const ptr = this.writeString(str);
    try { return fn(ptr); } finally { this.exports.tm_dealloc(ptr); }
  }

  lastError() { return this.readString(this.exports.tm_last_error()); }

  /** Every field at its default value. */
  defaults() { return Object.fromEntries(this.schema.map((f) => [f.name, f.default])); }

  /**
   * Check a config as C would (same messages), without creating a model.
   * @returns {{ok: boolean, errors: {field: string, message: string, code: string}[]}}
   */
  validate(config) {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      return { ok: false, errors: [{ field: 'config', code: 'arg', message: 'config: expected a JSON object starting with \'{\'' }] };
    }
    const errors = [];
    for (const [name, value] of Object.entries(config)) {
      const f = this._fields.get(name);
      if (!f) {
        // C's key buffer holds 63 bytes; a longer name is shown at 32 (config.c)
        const got = utf8.encode(name).length >= 64 ? shown(clipBytes(name, 36)) : shown(name);
        errors.push({ field: name, code: 'arg', message: `config: unknown field '${got}'` });
        continue;
      }
      const message = checkField(f, value);
      if (message) errors.push({ field: name, code: 'arg', message });
    }
    if (errors.length) return { ok: false, errors };
    // Cross-field rules and the memory cap: C's own check, so JS never drifts from it.
    const rc = this.withString(cJSON(config, this._bools), (p) => this.exports.tm_config_check(p));
    if (rc) {
      const err = this.cError(rc);
      errors.push({ field: err.field ?? 'config', code: err.code, message: err.message });
    }
    return { ok: errors.length === 0, errors };
  }

  /**
   * Create a model from a plain-JSON config (missing fields take defaults).
   * @param {object} [config]
   * @param {{validate?: boolean}} [opts] validate: false skips the JS checks (C still checks).
   * @returns {Model}
   * @throws {LabError} naming the field, with code 'arg' or 'memory'
   */
  createModel(config = {}, { validate = true } = {}) {
    if (validate) {
      const { ok, errors } = this.validate(config);
      if (!ok) throw new LabError(errors[0].message, errors[0]);
    }
    const ptr = this.withString(cJSON(config, this._bools), (s) => this.exports.tm_model_create(s)) >>> 0;
    if (!ptr) {
      const err = this.cError(null);
      // C clips long unknown names in its message; C stops at the first unknown key, so name it whole.
      if (/^config: unknown field/.test(err.message)) err.field = Object.keys(config).find((k) => !this._fields.has(k)) ?? err.field;
      throw err;
    }
    return new Model(this, ptr);
  }

  /**
   * Train several models of this lab `steps` more steps each in one call (tm_train_many):
   * the same results as model.train(steps) on each, bit for bit, but small models of one
   * shape (n <= 3, k = 1, same optimiser settings) train together, one per SIMD lane, so
   * groups of 4 such models are the fast case. Every model trains even when another fails.
   * @param {Model[]} models distinct, unfreed Models of this lab
   * @returns {{status: 'ok'|'nonfinite', error: string, step: number, loss: number}[]} one per
   *   model, as model.train returns (error: the message model.train would give; C repeats a
   *   failed model's own message when it is trained again)
   * @throws {LabError} field 'models' or 'steps' for bad arguments (nothing trains); code
   *   'state' (with `index`) if a model hit the step-counter limit (the others still trained)
   */
  trainMany(models, steps) {
    if (!Array.isArray(models)) {
      throw new LabError(`trainMany: models must be an array of Models, got ${models === null ? 'null' : typeof models}`, { field: 'models' });
    }
    if (!Number.isInteger(steps) || steps < 0 || steps > 0x7fffffff) {
      throw new LabError(`trainMany: steps must be an integer in [0, 2147483647], got ${String(steps)}`, { field: 'steps' });
    }
    if (models.length > 0x1000000) throw new LabError(`trainMany: at most 16777216 models per call, got ${models.length}`, { field: 'models' });
    const seen = new Map();
    models.forEach((m, i) => {
      if (!(m instanceof Model) || m.lab !== this) {
        throw new LabError(`trainMany: models[${i}] is not a Model of this lab (${m === null ? 'null' : typeof m})`, { field: 'models' });
      }
      if (m.freed) throw new LabError(`trainMany: models[${i}] was freed; create a new one`, { field: 'models', code: 'freed' });
      if (seen.has(m.ptr)) throw new LabError(`trainMany: models[${i}] is models[${seen.get(m.ptr)}] again; list each model once`, { field: 'models' });
      seen.set(m.ptr, i);
    });
    const ex = this.exports;
    const result = (m) => ({ status: 'ok', error: '', step: m.step, loss: m.lastLoss });
    // A module built before tm_train_many: the same results one model at a time.
    if (typeof ex.tm_train_many !== 'function') return models.map((m) => m.train(steps));
    if (!models.length) return [];
    const before = models.map((m) => m.step);
    const list = this.scratch(models.length * 4);
    const i32 = this.heap().i32;
    models.forEach((m, i) => { i32[(list >>> 2) + i] = m.ptr; });
    const rc = ex.tm_train_many(list, models.length, steps);
    if (!rc) return models.map(result);
    // C reports the first failure as "model <i>: <tm_train's message>"; the others trained on.
    const first = /^model (\d+): ([\s\S]*)$/.exec(this.lastError());
    if (!first) throw this.cError(rc);  // an argument C refused before training anything
    const index = Number(first[1]), message = first[2];
    let stateError = rc === 3 ? null : Object.assign(new LabError(message, { code: CODES[rc] ?? 'arg' }), { index });
    const out = models.map((m, i) => {
      if (i === index) return rc === 3 ? { ...result(m), status: 'nonfinite', error: message } : result(m);
      if (steps > 0 && m.step === before[i] + steps) return result(m);
      // Stopped early, or steps = 0 (a model that was already non-finite): ask tm_train with 0
      // steps, which returns the model's non-finite state without training.
      const again = ex.tm_train(m.ptr, 0);
      if (again === 3) return { ...result(m), status: 'nonfinite', error: this.lastError() };
      if (m.step !== before[i] + steps) {
        stateError ??= Object.assign(new LabError('train: step counter is at its limit', { code: 'state' }), { index: i });
      }
      return result(m);
    });
    if (stateError) throw stateError;
    return out;
  }

  /** A scratch block of at least `bytes` bytes, kept for reuse (trainMany's model list). */
  scratch(bytes) {
    if (!this._scratch || this._scratch.bytes < bytes) {
      if (this._scratch) this.exports.tm_dealloc(this._scratch.ptr);
      this._scratch = null;
      const size = Math.max(64, 2 ** Math.ceil(Math.log2(bytes)));
      this._scratch = { ptr: this.alloc(size), bytes: size };
    }
    return this._scratch.ptr;
  }

  // LabError for the C call that just failed (rc = its return code, or null for NULL returns).
  cError(rc) {
    const message = this.lastError() || `toymoe: call failed with code ${rc}`;
    const code = CODES[rc || this.exports.tm_last_error_code()] ?? 'arg';
    return new LabError(message, { field: fieldOf(message, this._fields), code });
  }

  // ---- sweeps: the paper's many-model experiments as deterministic job lists (src/sweep.c)

  /** Number of jobs (models) of a sweep. preset: 'fig3' | 'fig4' | 'table1'; fidelity: 'quick' | 'paper'.
   * @throws {LabError} field 'preset' or 'fidelity' for an unknown name */
  sweepJobs(preset, fidelity) {
    const run = this.need('tm_sweep_jobs');
    const n = this.withString(sweepName(preset, 'preset'), (p) => this.withString(sweepName(fidelity, 'fidelity'), (f) => run(p, f)));
    if (n < 0) throw this.sweepError();
    return n;
  }

  /** Job i of a sweep as the C text: {"preset","fidelity","job","cell","run","arch","x","y","seed","config":{...}}
   * ("xoshiro_layout" after "fidelity" on -xoshiro fidelities)
   * (fig3: x = 1/(1-S); fig4: x = S, y = r; table1: arch 'xavier' | 'khot'). The native CLI writes these bytes too. */
  sweepJobJSON(preset, fidelity, i) {
    const run = this.need('tm_sweep_job_json');
    if (!Number.isInteger(i) || Math.abs(i) > 0x7fffffff) {
      throw new LabError(`sweep: job must be an integer, got ${String(i)}`, { field: 'job' });
    }
    const ptr = this.withString(sweepName(preset, 'preset'), (p) => this.withString(sweepName(fidelity, 'fidelity'), (f) => run(p, f, i))) >>> 0;
    if (!ptr) throw this.sweepError();
    return this.readString(ptr);
  }

  /** Job i of a sweep, parsed: {preset, fidelity, job, cell, run, arch, x, y, seed, config}. */
  sweepJob(preset, fidelity, i) { return JSON.parse(this.sweepJobJSON(preset, fidelity, i)); }

  // LabError for a failed sweep call, naming preset / fidelity / job when C's message does.
  sweepError() {
    const message = this.lastError() || 'sweep: call failed';
    return new LabError(message, { field: /^sweep: (preset|fidelity|job)\b/.exec(message)?.[1] ?? null, code: 'arg' });
  }

  need(name) {
    if (typeof this.exports[name] !== 'function') {
      throw new LabError(`${name} is not exported by this toymoe.wasm; rebuild it`, { code: 'unsupported' });
    }
    return this.exports[name];
  }
}

/**
 * A model living in wasm memory. Views from params() alias wasm memory: call
 * params() again after anything that may allocate (create, metrics, regions).
 * Call free() when done; a freed model throws LabError code 'freed'.
 */
export class Model {
  constructor(lab, ptr) {
    this.lab = lab;
    this._ptr = ptr;
    /** The normalised config: every field, as C stored it. */
    this.config = JSON.parse(lab.readString(lab.exports.tm_model_config_json(ptr)));
    const { n, m, experts: E } = this.config;
    this._sizes = { W: E * n * m, b: E * n, router: E * n };
  }

  get ptr() {
    if (!this._ptr) throw new LabError('model: this model was freed; create a new one', { code: 'freed' });
    return this._ptr;
  }

  get freed() { return !this._ptr; }
  /** Steps trained so far. */
  get step() { return this.lab.exports.tm_steps_done(this.ptr); }
  /** Loss of the most recent step (NaN before any). */
  get lastLoss() { return this.lab.exports.tm_last_loss(this.ptr); }

  /**
   * Train `steps` more steps. A non-finite loss or weight is a result, not an exception.
   * @returns {{status: 'ok'|'nonfinite', error: string, step: number, loss: number}}
   */
  train(steps) {
    const ptr = this.ptr;
    if (!Number.isInteger(steps) || steps < 0 || steps > 0x7fffffff) {
      throw new LabError(`train: steps must be an integer in [0, 2147483647], got ${String(steps)}`, { field: 'steps' });
    }
    const rc = this.lab.exports.tm_train(ptr, steps);
    if (rc && rc !== 3) throw this.lab.cError(rc);
    return { status: rc ? 'nonfinite' : 'ok', error: rc ? this.lab.lastError() : '', step: this.step, loss: this.lastLoss };
  }

  /** Loss history: values[i] is the loss of step i*stride (a copy). */
  lossHistory() {
    const ex = this.lab.exports, ptr = this.ptr;
    const at = ex.tm_loss_history(ptr) >>> 2, len = ex.tm_loss_history_len(ptr);
    return { stride: ex.tm_loss_history_stride(ptr), values: this.lab.heap().f32.slice(at, at + len) };
  }

  /** Writable views {W [E,n,m], b [E,n], router [E,n]} onto the parameter arena. */
  params() {
    const ex = this.lab.exports, ptr = this.ptr;
    const at = ex.tm_params(ptr) >>> 2, f32 = this.lab.heap().f32, s = this._sizes;
    if (ex.tm_params_len(ptr) !== s.W + s.b + s.router) throw new LabError('params: arena size disagrees with the config', { code: 'state' });
    return {
      W: f32.subarray(at, at + s.W),
      b: f32.subarray(at + s.W, at + s.W + s.b),
      router: f32.subarray(at + s.W + s.b, at + s.W + 2 * s.b),
    };
  }

  /** Copy any of {W, b, router} (arrays of the right length) into the model. */
  setParams(values) {
    const views = this.params();
    for (const [name, src] of Object.entries(values)) {
      if (!(name in views)) throw new LabError(`setParams: unknown parameter '${name}' (W, b, router)`, { field: name });
      if (!src || src.length !== views[name].length) {
        throw new LabError(`setParams: ${name} needs ${views[name].length} values, got ${src?.length}`, { field: name });
      }
      views[name].set(src);
    }
  }

  /**
   * SPEC section 6 metrics. Routing terms use `samples` fresh inputs, rounded up
   * to whole batches by C (the count used is returned as `samples`).
   * usage.onlyMono[e] is -1 when expert e has no monosemantic feature.
   * typedRows: interference rows as Float32Array views onto one copy, not arrays of numbers
   * (E n² values: at n = 4096 that is 16.7 million, which a worker then posts as one buffer).
   * @returns {{norms: number[][], interference: number[][][], polysemanticity: number[][], superposition: number[][],
   *   phaseScore: number[][], dim: number[][], classes: string[][], capacity: number[], gateMean: number[],
   *   usage: {unchanged: number[], clamped: number[], onlyMono: number[]}, globalDim: number[],
   *   fpd: number, totalCapacity: number, samples: number, loss: number}}
   */
  metrics({ samples = 8192, typedRows = false } = {}) {
    const lab = this.lab, ptr = this.ptr;
    const lenOf = lab.need('tm_metrics_len'), offsetOf = lab.need('tm_metrics_offset'), run = lab.need('tm_metrics');
    // C checks the range; JS only keeps a non-integer from being truncated to i32.
    if (!Number.isInteger(samples) || Math.abs(samples) > 0x7fffffff) {
      throw new LabError(`metrics: samples must be an integer in [1, 1048576], got ${String(samples)}`, { field: 'samples' });
    }
    const len = lenOf(ptr), out = lab.alloc(len * 4);
    try {
      const rc = run(ptr, samples, out, len);
      if (rc) throw lab.cError(rc);
      const f32 = lab.heap().f32.slice(out >>> 2, (out >>> 2) + len);  // one copy, then plain arrays
      const { n, experts: E } = this.config;
      const at = (which) => offsetOf(ptr, which);
      const vec = (o, count) => Array.from(f32.subarray(o, o + count));
      const mat = (o, rows, cols) => Array.from({ length: rows }, (_, r) => vec(o + r * cols, cols));
      const perExpert = (which) => mat(at(which), E, n);
      const usage = at(MET.USAGE), sc = at(MET.SCALARS);
      return {
        norms: perExpert(MET.NORM),
        interference: Array.from({ length: E }, (_, e) => {
          const o = at(MET.INTERFERENCE) + e * n * n;
          return typedRows ? Array.from({ length: n }, (_, r) => f32.subarray(o + r * n, o + (r + 1) * n)) : mat(o, n, n);
        }),
        polysemanticity: perExpert(MET.POLY),
        superposition: perExpert(MET.SUPERPOSITION),
        phaseScore: perExpert(MET.PHASE_SCORE),
        dim: perExpert(MET.DIM),
        classes: perExpert(MET.CLASS).map((row) => row.map((v) => CLASSES[Math.round(v)])),
        capacity: vec(at(MET.CAPACITY), E),
        gateMean: vec(at(MET.GATE_MEAN), E),
        usage: { unchanged: vec(usage, E), clamped: vec(usage + E, E), onlyMono: vec(usage + 2 * E, E) },
        globalDim: vec(at(MET.GLOBAL_DIM), n),
        fpd: f32[sc], totalCapacity: f32[sc + 1], samples: f32[sc + 2], loss: f32[sc + 3],
      };
    } finally {
      lab.exports.tm_dealloc(out);
    }
  }

  /**
   * The sweep summary of this (trained) model for a sweep preset, as C's flat JSON members
   * without braces: "final_loss","eval_loss","steps_done","fpd","total_capacity", and per expert e
   * for fig4 norm_e{e}, score_e{e}, super_e{e}, gate_e{e}; for table1 mono_e{e}, usage_e{e},
   * clamped_e{e}, only_e{e} (-1 without a monosemantic feature) and experts_mono_ge2.
   * Routing terms use `samples` fresh inputs (the CLI's default is 1024).
   */
  sweepSummaryJSON(preset, samples = 1024) {
    const lab = this.lab, ptr = this.ptr, run = lab.need('tm_sweep_summary_json');
    if (!Number.isInteger(samples) || Math.abs(samples) > 0x7fffffff) {
      throw new LabError(`metrics: samples must be an integer in [1, 1048576], got ${String(samples)}`, { field: 'samples' });
    }
    const out = lab.withString(sweepName(preset, 'preset'), (p) => run(ptr, p, samples)) >>> 0;
    if (!out) throw lab.cError(null);
    return lab.readString(out);
  }

  /** sweepSummaryJSON parsed into an object: {final_loss, eval_loss, steps_done, fpd, total_capacity, ...}. */
  sweepSummary(preset, samples = 1024) { return JSON.parse(`{${this.sweepSummaryJSON(preset, samples)}}`); }

  /** Router regions (top-1 by router score) on a grid x grid raster, n = 2 or 3 only:
   * expert index per cell, row-major from the top; -1 outside the simplex (n = 3). */
  routerRegions(grid) {
    const lab = this.lab, ptr = this.ptr, run = lab.need('tm_router_regions');
    // Checked here too (C: same range and words) because the output is allocated first.
    if (!Number.isInteger(grid) || grid < 1 || grid > 2048) {
      throw new LabError(`regions: grid must be an integer in [1, 2048], got ${String(grid)}`, { field: 'grid' });
    }
    const len = grid * grid, out = lab.alloc(len * 4);
    try {
      const rc = run(ptr, grid, out, len);
      if (rc) throw lab.cError(rc);
      return lab.heap().i32.slice(out >>> 2, (out >>> 2) + len);
    } finally {
      lab.exports.tm_dealloc(out);
    }
  }

  /** Release the model's wasm memory. Safe to call twice. */
  free() {
    if (this._ptr) this.lab.exports.tm_model_free(this._ptr);
    this._ptr = 0;
  }
}
