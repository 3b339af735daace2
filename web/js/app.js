// The page: state (state.js) <-> controls, the training worker (worker.js), the view
// panels (views/*.js), sharing (URL, link, embed code, postMessage) and export/load.
// Nothing from the URL, a file or a message is inserted as HTML (dom.js uses textContent).
import { el, clear, download, downloadText, copyText, showMessage } from './dom.js';
import {
  buildTable, parseQuery, parseObject, toQuery, setField, isPresetConfig, cloneState, presetConfig, VIEW_IDS, SPEEDS,
} from './state.js';
import { presetById } from './presets.js';
import { buildControls, markInvalid } from './controls.js';
import { metricsCSV, weightsCSV, runFile, readRun, MAX_FILE_BYTES } from './exporting.js';
import { notesFor } from './notes.js';
import { loadLab } from './engine.js';

const $ = (id) => document.getElementById(id);
const READY_TIMEOUT_MS = 20000;
const MAX_RESTARTS = 3;
// A worker silent this long while it owes a reply is inside one long call (a slow step or the
// metrics of a huge model): the page says so, and new settings restart it instead of queueing
const BUSY_SHOW_MS = 1500;
const BUSY_RESTART_MS = 1000;
// (pause is left out: an idle worker ignores it; a training one answers while the page says 'training')
const ASKS_REPLY = new Set(['create', 'train', 'step', 'export', 'snapshot']);

let controls = null;    // the settings form (normal page only)

const app = {
  table: null,
  state: null,
  version: '',
  worker: null,
  gen: 0,
  snap: null,           // the latest snapshot of the current model, metrics and regions kept across snapshots
  status: 'loading',
  modules: new Map(),   // view id -> module (or an Error)
  panels: new Map(),    // view id -> {panel, body, instance}
  exports: [],          // pending export requests
  restarts: [],
  lastHeard: 0,         // performance.now() of the worker's last message
  lastAsked: 0,         // ... of the last message that the worker answers
  busyShown: false,     // the status line says 'working…'
  renderQueued: false,
  failed: false,
};

// ------------------------------------------------------------------ messages

const MAX_SHOWN = 8;

/** Show a message to the user (textContent only). kind: 'error' | 'warn' | 'info'. */
const say = (text, kind = 'error') => showMessage(text, kind, { keep: MAX_SHOWN });

function sayAll(messages, kind = 'error') {
  for (const m of messages) say(m, kind);
}

// ------------------------------------------------------------------ worker

function startWorker() {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e) => onWorkerMessage(worker, e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    onWorkerCrash(worker, e.message || 'the worker failed to start');
  };
  worker.onmessageerror = () => onWorkerCrash(worker, 'a message from the worker could not be read');
  app.worker = worker;
  app.lastHeard = app.lastAsked = performance.now();  // a new worker owes nothing yet
  if (app.state) send({ type: 'setSpeed', stepsPerSecond: SPEEDS[app.state.speed] });  // a replacement keeps the speed
  return worker;
}

function send(msg) {
  if (!app.worker) return;
  if (ASKS_REPLY.has(msg.type)) app.lastAsked = performance.now();
  app.worker.postMessage(msg);
}

/** How long the worker has been inside one call that owes the page a reply (0: not busy). */
function busyMs() {
  if (!app.worker || app.failed) return 0;
  const owed = app.lastAsked > app.lastHeard || app.status === 'training';
  return owed ? performance.now() - Math.max(app.lastHeard, app.lastAsked) : 0;
}

// A busy worker is replaced, not waited for: its model is about to be discarded anyway.
function replaceBusyWorker(ms) {
  app.worker.terminate();
  rejectExports('the worker was restarted for new settings');
  say(`The training worker spent ${(ms / 1000).toFixed(1)} s in one call for the previous settings ` +
    '(a slow step, or the metrics of a large model); it was restarted for the new ones.', 'info');
  startWorker();
}

// While the worker is silent inside a long call, the status line says so.
function showBusy() {
  const ms = busyMs(), n = $('stat-rate');
  if (ms < BUSY_SHOW_MS) {
    if (!app.busyShown) return;
    app.busyShown = false;  // an answer that draws nothing (an export, an error) ends it too
    if (n) n.textContent = '';
    queueRender();
    return;
  }
  app.busyShown = true;
  if (n) n.textContent = `working… ${Math.floor(ms / 1000)} s in one step or metrics computation (Reset or new settings restart it)`;
}

let readyResolve = null;
const ready = new Promise((resolve) => { readyResolve = resolve; });

function rejectExports(why) {
  for (const req of app.exports.splice(0)) req.reject(new Error(`export: ${why}`));
}

function onWorkerCrash(worker, why) {
  if (worker !== app.worker || app.failed) return;
  worker.terminate();
  rejectExports('the worker stopped');  // not after the 30 s wait for an answer
  const now = Date.now();
  app.restarts = app.restarts.filter((t) => now - t < 60000);
  if (!app.table || app.restarts.length >= MAX_RESTARTS) {
    app.failed = true;
    app.worker = null;
    setStatus('failed');
    say(`The training worker keeps failing (${why}). Reload the page to try again.`);
    return;
  }
  app.restarts.push(now);
  say(`The training worker stopped unexpectedly (${why}); it was restarted and the run reset to step 0.`, 'warn');
  startWorker();
  createModel();
}

function onWorkerMessage(worker, msg) {
  if (worker !== app.worker || !msg || typeof msg !== 'object') return;
  if (msg.type !== 'ready') app.lastHeard = performance.now();  // 'ready' answers no request
  switch (msg.type) {
    case 'ready':
      app.version = msg.version;
      readyResolve(msg);
      break;
    case 'snapshot':
      if (msg.gen !== app.gen) return;
      onSnapshot(msg);
      break;
    case 'nonfinite':
      if (msg.gen !== app.gen) return;
      onNonfinite(msg);
      break;
    case 'export': {
      const req = app.exports.shift();
      if (typeof msg.error === 'string') req?.reject(new Error(msg.error));
      else req?.resolve(msg.run);
      break;
    }
    case 'error':
      if (msg.code === 'load') {
        app.failed = true;
        setStatus('failed');
        say(`${msg.message}. The lab needs a browser with WebAssembly and module workers, served over http(s).`);
        return;
      }
      say(msg.field ? `${msg.message}` : `Engine: ${msg.message}`);
      if (app.status === 'training' && !app.snap) setStatus('idle');
      break;
    default:
      break;
  }
}

function createModel({ params = null, base = null } = {}) {
  const busy = busyMs();
  if (busy >= BUSY_RESTART_MS) replaceBusyWorker(busy);
  app.gen += 1;
  app.snap = null;
  setStatus('idle');
  send({ type: 'create', gen: app.gen, config: app.state.config, params, base });
}

function requestExport() {
  return new Promise((resolve, reject) => {
    const req = { resolve, reject };
    app.exports.push(req);
    send({ type: 'export' });
    setTimeout(() => {
      const i = app.exports.indexOf(req);
      if (i >= 0) { app.exports.splice(i, 1); reject(new Error('export: the worker did not answer')); }
    }, 30000);
  });
}

// ------------------------------------------------------------------ snapshots, status

function onSnapshot(msg) {
  const prev = app.snap;
  app.snap = {
    config: msg.config, step: msg.step, steps: msg.steps, loss: msg.loss, status: msg.status,
    stepsPerSec: msg.stepsPerSec, lossHistory: msg.lossHistory, routerLoss: msg.routerLoss ?? null,
    metrics: msg.metrics ?? prev?.metrics ?? null,
    metricsSamples: msg.metricsSamples ?? prev?.metricsSamples ?? 0,
    regions: 'regions' in msg ? msg.regions : prev?.regions ?? null,
  };
  setStatus(msg.status);
  queueRender();
}

function onNonfinite(msg) {
  setStatus('nonfinite');
  const { lr, weight_decay: wd } = app.state.config;
  say(`Training stopped at step ${msg.step}: the loss became non-finite (${msg.message}). ` +
    `Lower the learning rate (lr, now ${lr})${wd > 0 ? ` or the weight decay (weight_decay, now ${wd})` : ''}, then press Reset.`);
  for (const name of ['lr', 'weight_decay']) controls?.inputs.get(name)?.classList.add('attention');
}

function setStatus(status) {
  app.status = status;
  document.body.dataset.status = status;
  const train = $('btn-train');
  if (!train) return;
  const training = status === 'training';
  train.textContent = training ? 'Pause' : status === 'finished' ? 'Finished' : 'Train';
  train.setAttribute('aria-pressed', String(training));
  train.disabled = ['finished', 'nonfinite', 'failed', 'loading'].includes(status);
  train.title = status === 'finished' ? 'All steps done: raise "training steps" to train longer' : '';
  for (const id of ['btn-step', 'btn-reset']) {
    const b = $(id);
    if (b) b.disabled = status === 'failed' || status === 'loading' || (id === 'btn-step' && (training || train.disabled));
  }
}

function queueRender() {
  if (app.renderQueued) return;
  app.renderQueued = true;
  requestAnimationFrame(() => {
    app.renderQueued = false;
    render();
  });
}

const fmtInt = (v) => Math.round(v).toLocaleString('en-US');
function fmtLoss(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v >= 1e5) return v.toPrecision(4);  // 6.845e+29, not 30 digits
  return v >= 0.01 ? v.toFixed(4) : v.toPrecision(3);
}

function render() {
  const s = app.snap;
  if (!s) return;
  document.body.dataset.step = String(s.step);
  document.body.dataset.generation = String(app.gen);
  const progress = $('progress');
  if (progress) {
    progress.max = Math.max(1, s.steps);
    progress.value = Math.min(s.step, s.steps);
  }
  const text = (id, t) => { const n = $(id); if (n) n.textContent = t; };
  text('stat-step', `step ${fmtInt(s.step)} / ${fmtInt(s.steps)}`);
  text('stat-rate', s.status === 'training' && s.stepsPerSec > 0 ? `${fmtInt(s.stepsPerSec)} steps/s` : statusWord(s.status));
  text('stat-loss', Number.isNaN(s.loss) ? 'loss —' : `loss ${fmtLoss(s.loss)}`);
  const p = presetById(app.state.preset);
  text('stat-paper', p?.paperLoss != null && isPresetConfig(app.state, app.table) ? `paper ${p.paperLoss}` : '');
  for (const [, v] of app.panels) {
    if (!v.instance) continue;
    try {
      v.instance.update(s);
    } catch (err) {
      v.instance = null;
      showViewError(v, err);
    }
  }
}

function statusWord(status) {
  return { idle: 'ready', paused: 'paused', finished: 'finished', nonfinite: 'stopped: non-finite loss', training: 'training', failed: 'failed' }[status] ?? status;
}

// ------------------------------------------------------------------ views

async function loadViewModules(ids) {
  await Promise.all(ids.map(async (id) => {
    if (app.modules.has(id)) return;
    try {
      const mod = await import(`./views/${id}.js`);
      if (typeof mod.create !== 'function') throw new Error('the module exports no create()');
      app.modules.set(id, mod);
    } catch (err) {
      app.modules.set(id, err instanceof Error ? err : new Error(String(err)));
    }
  }));
}

function showViewError(v, err) {
  clear(v.body);
  v.body.append(el('p', { class: 'view-error' }, `This view failed: ${err?.message ?? err}`));
}

function buildPanels(host, ids, { embed }) {
  clear(host);
  app.panels.clear();
  for (const id of ids) {
    const mod = app.modules.get(id);
    const title = mod instanceof Error ? id : mod.title ?? id;
    const titleId = `panel-${id}-title`;
    const body = el('div', { class: 'view-body', id: `view-${id}` });
    const png = el('button', { type: 'button', class: 'small', 'aria-label': `Download ${title} as PNG`, on: { click: () => exportPNG(id) } }, 'PNG');
    const panel = el('section', { class: 'panel', id: `panel-${id}`, 'aria-labelledby': titleId, dataset: { view: id } },
      el('header', { class: 'panel-head' }, el('h2', { id: titleId }, title), embed ? null : png),
      mod instanceof Error || !mod.explain ? null : el('p', { class: 'explain' }, mod.explain),
      body);
    host.append(panel);
    const v = { id, panel, body, instance: null };
    app.panels.set(id, v);
    setPanelVisible(v, embed || app.state.views.includes(id), { embed });
  }
}

function setPanelVisible(v, visible, { embed = false } = {}) {
  v.panel.hidden = !visible;
  if (visible && !v.instance) {
    const mod = app.modules.get(v.id);
    if (mod instanceof Error) {
      showViewError(v, mod);
      return;
    }
    try {
      clear(v.body);
      v.instance = mod.create(v.body, { embed });
      if (app.snap) v.instance.update(app.snap);
    } catch (err) {
      v.instance = null;
      showViewError(v, err);
    }
  } else if (!visible && v.instance) {
    try { v.instance.destroy(); } catch { /* a view that fails to clean up is still hidden */ }
    v.instance = null;
    clear(v.body);
  }
}

function exportPNG(id) {
  const v = app.panels.get(id);
  if (!v?.instance) return say(`${id}: this view is not shown, so there is nothing to export`, 'warn');
  try {
    download(v.instance.toPNG(), `${fileStem()}-${id}.png`);
  } catch (err) {
    say(`${id}: PNG export failed: ${err?.message ?? err}`);
  }
}

const fileStem = () => `toymoe-${app.state.preset}-seed${app.state.config.seed}-step${app.snap?.step ?? 0}`;

// ------------------------------------------------------------------ state changes

function syncURL() {
  const q = toQuery(app.state, app.table);
  try {
    history.replaceState(null, '', `${location.pathname}${q}`);
  } catch { /* some sandboxed frames refuse; the state still works */ }
  const open = $('open-full');
  if (open) open.href = `${location.pathname}${toQuery(app.state, app.table, { embed: false })}`;
}

function refreshAll() {
  $('views')?.classList.toggle('small-n', app.state.config.n <= 3);
  controls?.refresh(app.state, !isPresetConfig(app.state, app.table));
  refreshNotes();
  syncURL();
  const speed = $('speed');
  if (speed) speed.value = app.state.speed;
  for (const id of VIEW_IDS) {
    const box = $(`show-${id}`);
    if (box) box.checked = app.state.views.includes(id);
  }
}

function refreshNotes() {
  const list = $('notes-list');
  if (!list) return;
  clear(list);
  for (const n of notesFor(app.state.config)) list.append(el('li', {}, el('strong', {}, n.title), ` ${n.text}`));
  $('notes').hidden = !list.children.length;
}

function applyState(next, { keepModel = false } = {}) {
  const configChanged = JSON.stringify(next.config) !== JSON.stringify(app.state?.config);
  app.state = next;
  send({ type: 'setSpeed', stepsPerSecond: SPEEDS[next.speed] });
  refreshAll();
  if (!app.state.embed) {
    for (const [id, v] of app.panels) setPanelVisible(v, app.state.views.includes(id));
  }
  if (configChanged && !keepModel) createModel();
}

function onField(name, raw, input) {
  const next = cloneState(app.state);
  const err = setField(next, app.table, name, raw);
  if (err) {
    say(`${err} — kept ${app.state.config[name]}`);
    controls.refresh(app.state, !isPresetConfig(app.state, app.table));
    markInvalid(input);
    input.focus();
    return;
  }
  input.classList.remove('attention');
  applyState(next);
}

function onPreset(id) {
  const next = cloneState(app.state);
  if (setField(next, app.table, 'preset', id)) return;
  next.config = presetConfig(app.table, id);
  for (const n of ['lr', 'weight_decay']) controls?.inputs.get(n)?.classList.remove('attention');
  applyState(next);
}

// ------------------------------------------------------------------ run controls

function onTrain() {
  if (app.status === 'training') send({ type: 'pause' });
  else {
    send({ type: 'train' });
    setStatus('training');
  }
}

function wireRunControls() {
  $('btn-train')?.addEventListener('click', onTrain);
  $('btn-step')?.addEventListener('click', () => send({ type: 'step', count: 1 }));
  $('btn-reset')?.addEventListener('click', () => {
    for (const n of ['lr', 'weight_decay']) controls?.inputs.get(n)?.classList.remove('attention');
    createModel();
  });
  const speed = $('speed');
  if (speed) {
    clear(speed);
    const label = { slow: 'slow (20 steps/s)', medium: 'medium (200 steps/s)', fast: 'fast (2000 steps/s)', max: 'as fast as possible' };
    for (const k of Object.keys(SPEEDS)) speed.append(el('option', { value: k }, label[k] ?? k));
    speed.value = app.state.speed;
    speed.addEventListener('change', () => {
      const next = cloneState(app.state);
      const err = setField(next, app.table, 'speed', speed.value);
      if (err) return say(err);
      applyState(next);
    });
  }
}

// ------------------------------------------------------------------ sharing

const attr = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function absoluteURL(query) {
  return `${location.origin}${location.pathname}${query}`;
}

/** The iframe snippet for one view. */
export function embedSnippet(state, table, viewId, title) {
  const src = absoluteURL(toQuery(state, table, { embed: true, view: viewId }));
  return `<iframe src="${attr(src)}" width="640" height="480" title="${attr(`toymoe: ${title}`)}" loading="lazy"></iframe>`;
}

async function share(text, what) {
  const out = $('share-output');
  out.value = text;
  const ok = await copyText(text);
  $('share-status').textContent = ok ? `${what} copied to the clipboard.` : `${what} is in the box below: select it and copy.`;
  if (!ok) out.select();
}

function wireShare() {
  const pick = $('embed-view');
  for (const id of VIEW_IDS) {
    const mod = app.modules.get(id);
    pick.append(el('option', { value: id }, mod instanceof Error || !mod ? id : mod.title));
  }
  pick.value = app.state.views[0] ?? VIEW_IDS[0];
  $('btn-copy-link').addEventListener('click', () => share(absoluteURL(toQuery(app.state, app.table)), 'Link'));
  $('btn-copy-embed').addEventListener('click', () => {
    const mod = app.modules.get(pick.value);
    share(embedSnippet(app.state, app.table, pick.value, mod instanceof Error || !mod ? pick.value : mod.title), 'Embed code');
  });
}

// postMessage API: {toymoe: 1, action: 'train'|'pause'|'step'|'reset'|'set', state?: {...}} from the parent frame.
// A host may send on the iframe's load event, before the lab is ready: those messages wait
// here (from the module's first run) and are handled once the first model exists.
const earlyMessages = [];
const keepEarly = (e) => { if (earlyMessages.length < 64) earlyMessages.push(e); };
window.addEventListener('message', keepEarly);

function wireMessages() {
  window.removeEventListener('message', keepEarly);
  window.addEventListener('message', onMessage);
}

function replayEarlyMessages() {
  for (const e of earlyMessages.splice(0)) onMessage(e);
}

function onMessage(e) {
  if (window.parent === window || e.source !== window.parent) return;
  const d = e.data;
  if (!d || typeof d !== 'object' || d.toymoe !== 1) return;
  switch (d.action) {
    // as the Train button, which is disabled after a non-finite stop or a failed start
    case 'train': if (!['training', 'nonfinite', 'failed'].includes(app.status)) onTrain(); break;
    case 'pause': if (app.status === 'training') onTrain(); break;
    case 'step': send({ type: 'step', count: 1 }); break;
    case 'reset': createModel(); break;
    case 'set': {
      const { state, messages } = parseObject(d.state, app.table, 'message', app.state);
      sayAll(messages);
      applyState({ ...state, embed: app.state.embed, view: app.state.view });
      break;
    }
    default:
      say(`message: unknown action '${String(d.action).slice(0, 40)}' ignored`);
  }
}

// ------------------------------------------------------------------ export / load

async function withRun(fn) {
  try {
    const run = await requestExport();
    fn(run);
  } catch (err) {
    say(`Export failed: ${err?.message ?? err}`);
  }
}

function wireExport() {
  $('btn-export-run').addEventListener('click', () => withRun((run) => {
    downloadText(JSON.stringify(runFile(run, app.state, app.version)), `${fileStem()}.json`, 'application/json');
  }));
  // a diverged run has weights and a history but no metrics: say why instead of an empty file
  const metricsOf = (run) => {
    if (!run.metrics) throw new Error(run.metricsError ?? 'metrics: none');  // C's message starts 'metrics: '
    return run.metrics;
  };
  $('btn-export-metrics-json').addEventListener('click', () => withRun((run) => {
    downloadText(JSON.stringify({ config: run.config, step: run.step, metrics: metricsOf(run) }, null, 1), `${fileStem()}-metrics.json`, 'application/json');
  }));
  $('btn-export-metrics-csv').addEventListener('click', () => withRun((run) => {
    downloadText(metricsCSV(metricsOf(run), run.config), `${fileStem()}-metrics.csv`, 'text/csv');
  }));
  $('btn-export-weights-csv').addEventListener('click', () => withRun((run) => {
    downloadText(weightsCSV(run.params, run.config), `${fileStem()}-weights.csv`, 'text/csv');
  }));
  const input = $('load-run');
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    await loadRunFile(file);
  });
}

async function loadRunFile(file) {
  if (file.size > MAX_FILE_BYTES) return say(`file: ${file.size} bytes is over the ${MAX_FILE_BYTES / 1048576} MiB limit`);
  let obj;
  try {
    obj = JSON.parse(await file.text());
  } catch (err) {
    return say(`file: not valid JSON (${String(err?.message ?? err).slice(0, 80)})`);
  }
  loadRunObject(obj);
}

// A parsed run (from a file, or a sweep model) through the same validation as a file.
function loadRunObject(obj, what = 'a run') {
  const { state, params, base, messages } = readRun(obj, app.table);
  sayAll(messages, params ? 'warn' : 'error');
  applyState({ ...state, embed: false, view: app.state.view, speed: app.state.speed }, { keepModel: true });
  createModel({ params, base });
  say(params
    ? `Loaded ${what} at step ${base?.step ?? 0}: config, weights${base?.lossHistory.values.length ? ' and loss history' : ''}. Training continues from these weights with a fresh optimiser state; the link reproduces the config, not the loaded weights.`
    : 'Loaded the settings of the file; the model starts from its initialisation.', 'info');
}

// '#sweep=<preset>/<fidelity>/<job>' (from the sweep page): that model's config and weights,
// read from this browser's stored sweep results and validated like a file.
async function openSweepModel(lab, hash) {
  const m = /^#sweep=(fig3|fig4|table1)\/((?:quick|paper)(?:-xoshiro)?)\/(\d{1,7})$/.exec(hash);
  if (!m) return say(`link: '${hash.slice(0, 40)}' is not a sweep model (#sweep=<preset>/<fidelity>/<job>)`);
  const [, preset, fidelity, jobText] = m, job = Number(jobText);
  try {
    const [{ getResult }, { checkLine }] = await Promise.all([import('./sweeps/store.js'), import('./sweeps/format.js')]);
    const rec = await getResult(preset, fidelity, job);
    if (!rec) return say(`Sweep model ${preset}/${fidelity}/${job} is not stored in this browser (run the sweep on the sweeps page first).`);
    const v = checkLine(rec.line, lab.sweepJobJSON(preset, fidelity, job), preset);
    if (!v.ok) return say(`Sweep model ${preset}/${fidelity}/${job} was not loaded: ${v.why}.`);
    const r = v.result, model = lab.createModel(r.config);
    const config = model.config;  // every field, as C normalises it
    model.free();
    const ok = r.status === 'ok';
    loadRunObject({
      format: 'toymoe-run', config, params: r.weights, step: ok ? r.steps_done : 0,
      lossHistory: { stride: 1, values: [] },
    }, `sweep model ${preset}/${fidelity} job ${job} (${r.arch}${preset === 'fig4' ? `, S = ${r.x}, r = ${r.y}` : preset === 'fig3' ? `, 1/(1−S) = ${Number(r.x.toPrecision(4))}` : ''}, final loss ${ok ? r.final_loss : 'non-finite'})`);
  } catch (err) {
    say(`Sweep model ${preset}/${fidelity}/${job} could not be opened: ${err?.message ?? err}`);
  }
}

// ------------------------------------------------------------------ test hooks (read-only)

function exposeHooks() {
  const copy = (v) => (v === null || v === undefined ? v : structuredClone(v));
  Object.defineProperty(window, '__toymoe', {
    value: Object.freeze({
      get state() { return copy(app.state); },
      get status() { return app.status; },
      get snapshot() { return copy(app.snap); },
      get metrics() { return copy(app.snap?.metrics ?? null); },
      get regions() { return app.snap?.regions ? { grid: app.snap.regions.grid, cells: Array.from(app.snap.regions.cells) } : null; },
      get messages() { return Array.from(document.querySelectorAll('#messages .msg-text'), (n) => n.textContent); },
      get query() { return toQuery(app.state, app.table); },
      get version() { return app.version; },
    }),
  });
}

// ------------------------------------------------------------------ start

async function main() {
  const hash = location.hash;  // read before the URL is rewritten to the state
  exposeHooks();
  setStatus('loading');
  startWorker();
  // A second, idle engine instance on the page: the schema for the controls and C's own
  // config check (cross-field rules, memory cap) for validating every incoming value.
  const lab = await loadLab().catch((err) => {
    if (!(err instanceof WebAssembly.CompileError)) throw err;
    return loadLab({ wasmUrl: new URL('../build/toymoe-scalar.wasm', import.meta.url) });
  });
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), READY_TIMEOUT_MS));
  const msg = await Promise.race([ready, timeout]);
  if (!msg) {
    if (!app.failed) say('The engine did not start within 20 s. Reload the page; the lab needs WebAssembly and module workers.');
    setStatus('failed');
    return;
  }
  app.table = buildTable(lab.schema, (config) => lab.validate(config));
  const { state, messages } = parseQuery(location.search, app.table);
  app.state = state;
  if (messages.length) {
    say('Some settings in the link were not valid and were replaced by defaults:', 'warn');
    sayAll(messages);
  }
  const embed = state.embed;
  document.body.classList.toggle('embed', embed);
  const ids = embed ? [state.view] : VIEW_IDS;
  await loadViewModules(ids);
  if (embed) {
    const mod = app.modules.get(state.view);
    document.title = `toymoe — ${mod instanceof Error ? state.view : mod.title}`;
  } else {
    const details = $('settings-details');
    if (details && window.matchMedia('(max-width: 900px)').matches) details.open = false;
    controls = buildControls({ presetHost: $('preset-host'), formHost: $('config-form'), table: app.table, onPreset, onField });
    const toggles = $('view-toggles');
    for (const id of VIEW_IDS) {
      const mod = app.modules.get(id);
      const box = el('input', { type: 'checkbox', id: `show-${id}`, name: 'views', value: id });
      box.addEventListener('change', () => {
        const next = cloneState(app.state);
        const views = VIEW_IDS.filter((v) => (v === id ? box.checked : next.views.includes(v)));
        const err = setField(next, app.table, 'views', views);
        if (err) return say(err);
        applyState(next);
      });
      toggles.append(el('label', { class: 'toggle', for: `show-${id}` }, box, ` ${mod instanceof Error ? id : mod.title}`));
    }
    wireShare();
    wireExport();
  }
  buildPanels($('views'), ids, { embed });
  wireRunControls();
  wireMessages();
  applyState(state, { keepModel: true });
  createModel();
  setInterval(showBusy, 500);
  replayEarlyMessages();
  if (!embed && hash.startsWith('#sweep=')) await openSweepModel(lab, hash);
  document.body.dataset.ready = '1';
}

main().catch((err) => {
  setStatus('failed');
  say(`The lab failed to start: ${err?.message ?? err}`);
});
