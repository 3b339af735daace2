// The sweep page (sweeps.html): pick a preset and fidelity, see the planned work and an
// estimated time, run the jobs in a pool of workers (pool.js), keep every finished model
// in IndexedDB (store.js) so a reload or a crash loses nothing, draw the charts as results
// arrive, export the `toymoe merge` JSON/CSV and every chart as PNG, and load result files
// of `toymoe sweep` (CLI shards, a cluster) into the same store (load.js).
// Nothing read from the URL, IndexedDB or a worker is inserted as HTML; every stored
// result is validated (format.js checkLine) before it is used.
import { el, clear, download, showMessage } from '../dom.js';
import { loadLab } from '../engine.js';
import { viewToPNG } from '../views/colormap.js';
import { checkLine, mergeParts, wholeObject } from './format.js';
import { SweepResults } from './results.js';
import { SweepPool, defaultWorkers, MAX_WORKERS } from './pool.js';
import * as store from './store.js';
import { peekSweep, fileLines, LineReader, resultOf } from './load.js';
import { loadFig3Reference } from './reference.js';
import { Planner, plannedWork, estimateMs, jobCost, groupable, fmtDuration, fmtInt } from './plan.js';
import { createFig3, createFig7, archLabel } from './fig3.js';
import { createPhase, createFig8 } from './fig4.js';
import { createTable1 } from './table1.js';

const $ = (id) => document.getElementById(id);

const PRESETS = {
  fig3: {
    label: 'Figures 3 and 7: superposition and loss against sparsity',
    desc: 'n = 100 features of equal importance, mean loss, no load balancing. A dense model (m = 20) against 4, 10 and 20 ' +
      'experts with the same number of parameters (m = 5, 2, 1; k = 1, 2, 5), over a range of feature densities 1 − S.',
  },
  fig4: {
    label: 'Figures 4 and 8: phase diagrams of the last feature',
    desc: 'Tiny models (2 or 3 features into 1 or 2 dimensions, 1 to 3 experts, k = 1, load balancing on): for each ' +
      'sparsity S and importance r of the last feature, is that feature ignored, represented alone, or in superposition?',
  },
  table1: {
    label: 'Table 1: monosemantic features and expert usage',
    desc: 'n = 100, m = 10, E = 10, k = 1, importance 0.9^i permuted: half the models with a Xavier router, half with a ' +
      'random 10-hot router. How does an expert’s usage change when the features it represents alone are active?',
  },
};
const FIDELITIES = { quick: 'quick — a smaller grid, minutes', paper: 'paper — the paper’s protocol, hours' };
// The data stream of every job. A sweep on xoshiro is another sweep: its fidelity is the base's
// with '-xoshiro' (src/sweep.c), under which its results are stored, exported and loaded.
const STREAMS = { pcg32: 'pcg32 — the presets’ draws', xoshiro: 'xoshiro — vectorised, faster' };
// The stream a preset starts on. fig4 trains thousands of tiny models, whose steps are mostly
// drawing data: on xoshiro the full phase diagram takes about 44 min in a tab with 2 workers,
// on pcg32 about 65 (bench/RESULTS.md). fig3 and table1 train larger single models, about as
// fast on either, so they keep pcg32, the stream of the presets and of docs/reproduction.md.
const DEFAULT_STREAM = { fig3: 'pcg32', fig4: 'xoshiro', table1: 'pcg32' };
const XO = '-xoshiro';
const baseOf = (fidelity) => (fidelity.endsWith(XO) ? fidelity.slice(0, -XO.length) : fidelity);
const streamOf = (fidelity) => (fidelity.endsWith(XO) ? 'xoshiro' : 'pcg32');
const withStream = (base, stream) => (stream === 'xoshiro' ? base + XO : base);
const knownFidelity = (f) => typeof f === 'string' && Object.hasOwn(FIDELITIES, baseOf(f));

const CHARTS = {
  fig3: [
    { id: 'fig3', title: 'Figure 3 — features per dimension', make: createFig3,
      explain: 'Features per dimension = (1/k) Σ_e p_e ‖W^e‖²_F / m. Above 1 means superposition; faint lines: the paper’s run.' },
    { id: 'fig7', title: 'Figure 7 — loss against sparsity', make: createFig7,
      explain: 'ln of the mean final (last-step) loss over the runs of each density.' },
  ],
  fig4: [
    { id: 'fig4', title: 'Figure 4 — phase diagrams', make: createPhase, wide: true,
      explain: 'One panel per expert (A.e/E: architecture A, expert e of E). The colour follows the norm and the superposition score of the last feature in that expert.' },
    { id: 'fig8', title: 'Figure 8 — loss per architecture', make: createFig8, wide: true,
      explain: 'The best final loss of every cell of the phase diagram (loss includes the load-balancing term).' },
  ],
  table1: [
    { id: 'table1', title: 'Table 1 — monosemantic features and expert usage', make: createTable1, wide: true,
      explain: 'Experts grouped by how many features they represent monosemantically; ours above, the paper’s below.' },
  ],
};

const DEFAULTS = { preset: 'fig4', fidelity: withStream('quick', DEFAULT_STREAM.fig4), limit: 0, workers: defaultWorkers(), watchdog: 20 };
const DRAW_MS = 250;

const S = {
  lab: null,
  reference: { fig3: {} },
  planner: null,
  preset: DEFAULTS.preset, fidelity: DEFAULTS.fidelity, limit: 0, workers: DEFAULTS.workers, watchdog: DEFAULTS.watchdog,
  selection: 0,
  plan: null,
  total: 0,
  results: null,
  memoryLines: new Map(),
  storeOK: true,
  status: 'loading',
  pool: null,
  sent: null,       // the last finished pool's counts of 'run' messages (test hook)
  release: null,
  session: null,
  charts: [],
  drawQueued: false, lastDraw: 0,
  restarts: 0,
  failedJobs: new Set(),
  jobTexts: new Map(),
  importing: null,  // {abort} while result files are being loaded
  lastLoad: null,   // the summary of the last load (test hook)
};

// ------------------------------------------------------------------ messages

const shown = (v) => {
  const s = String(v).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return s.length <= 40 ? s : `${s.slice(0, 37)}...`;
};

const say = (text, kind = 'error') => showMessage(text, kind, { tag: 'toymoe sweeps' });

// ------------------------------------------------------------------ URL

/** The page's URL parameters, validated: {preset, fidelity, limit, workers, watchdog, messages}.
 * fidelity carries the stream: 'quick' + data_rng=xoshiro (or fidelity=quick-xoshiro) -> 'quick-xoshiro';
 * with neither, the preset's stream (DEFAULT_STREAM). */
export function parseURL(search) {
  const out = { ...DEFAULTS, messages: [] };
  let stream = null;
  let q;
  try { q = new URLSearchParams(search); } catch { return out; }
  let count = 0;
  const int = (name, raw, lo, hi) => {
    const v = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    if (Number.isInteger(v) && v >= lo && v <= hi) return v;
    out.messages.push(`${name}: must be an integer in [${lo}, ${hi}], got '${shown(raw)}'`);
    return null;
  };
  for (const [k, raw] of q) {
    if (++count > 16) { out.messages.push('too many URL parameters; the rest were ignored'); break; }
    switch (k) {
      case 'preset':
        if (Object.hasOwn(PRESETS, raw)) out.preset = raw;
        else out.messages.push(`preset: must be one of ${Object.keys(PRESETS).join(', ')}, got '${shown(raw)}'`);
        break;
      case 'fidelity':
        if (knownFidelity(raw)) {
          out.fidelity = raw;
          if (raw.endsWith(XO)) stream ??= 'xoshiro';
        }
        else out.messages.push(`fidelity: must be one of ${Object.keys(FIDELITIES).flatMap((f) => [f, `${f}-xoshiro`]).join(', ')}, got '${shown(raw)}'`);
        break;
      case 'data_rng':
        if (Object.hasOwn(STREAMS, raw)) stream = raw;
        else out.messages.push(`data_rng: must be one of ${Object.keys(STREAMS).join(', ')}, got '${shown(raw)}'`);
        break;
      case 'limit': { const v = int('limit', raw, 1, 10_000_000); if (v !== null) out.limit = v; break; }
      case 'workers': { const v = int('workers', raw, 1, MAX_WORKERS); if (v !== null) out.workers = v; break; }
      case 'watchdog': { const v = int('watchdog', raw, 2, 600); if (v !== null) out.watchdog = v; break; }
      default:
        out.messages.push(`unknown parameter '${shown(k)}' ignored`);
    }
  }
  out.fidelity = withStream(baseOf(out.fidelity), stream ?? DEFAULT_STREAM[out.preset]);
  return out;
}

function syncURL() {
  const q = new URLSearchParams({ preset: S.preset, fidelity: baseOf(S.fidelity) });
  if (streamOf(S.fidelity) !== DEFAULT_STREAM[S.preset]) q.set('data_rng', streamOf(S.fidelity));
  if (S.limit) q.set('limit', String(S.limit));
  if (S.workers !== DEFAULTS.workers) q.set('workers', String(S.workers));
  if (S.watchdog !== DEFAULTS.watchdog) q.set('watchdog', String(S.watchdog));
  try { history.replaceState(null, '', `${location.pathname}?${q}`); } catch { /* sandboxed frames */ }
}

function showPlan() {
  const plan = S.plan;
  const table = $('plan-table');
  clear(table);
  if (!plan) return;
  $('sweep-plan').textContent = plannedWork(plan, S.limit);
  table.append(el('tr', {}, ...['architecture', 'models', 'steps', 'batch', 'ms / step (timed here)'].map((h) => el('th', { scope: 'col' }, h))));
  for (const g of plan.groups) {
    const name = S.preset === 'fig3' ? `${g.arch}: ${archLabel(g)}` : S.preset === 'fig4' ? `${g.arch} (n=${g.n}, m=${g.m}, E=${g.experts})` : `${g.arch} router`;
    table.append(el('tr', {}, el('td', {}, name), el('td', {}, fmtInt(g.jobs)), el('td', {}, fmtInt(g.steps)), el('td', {}, String(g.batch)),
      el('td', {}, g.msPerStep ? g.msPerStep.toFixed(3) : '—')));
  }
  showEstimate();
}

function showEstimate() {
  if (!S.plan) return;
  const left = S.plan.planned - doneInPlan();
  const est = estimateMs(S.plan, S.doneByArch, S.workers);
  $('sweep-estimate').textContent = left <= 0
    ? 'Every planned model is trained and stored in this browser.'
    : `Estimated time for the ${fmtInt(left)} model${left === 1 ? '' : 's'} left with ${S.workers} worker${S.workers === 1 ? '' : 's'}: ` +
      `about ${fmtDuration(est)}. This is an estimate, from timing a few training steps of each architecture in ` +
      `${S.workers} worker${S.workers === 1 ? '' : 's'} at once on this machine; other work on the computer changes it.`;
}

// ------------------------------------------------------------------ results

function jobText(job) {
  let t = S.jobTexts.get(job);
  if (t === undefined) {
    t = S.lab.sweepJobJSON(S.preset, S.fidelity, job);
    if (S.jobTexts.size > 50000) S.jobTexts.clear();
    S.jobTexts.set(job, t);
  }
  return t;
}

const doneInPlan = () => (S.doneByArch ? [...S.doneByArch.values()].reduce((a, b) => a + b, 0) : 0);

function addResult(r) {
  if (!S.results.add(r)) return false;
  if (S.plan && r.job < S.plan.planned) S.doneByArch.set(r.arch, (S.doneByArch.get(r.arch) ?? 0) + 1);
  return true;
}

// Read every stored result of the current sweep, validating each; invalid ones are deleted.
async function loadStored(sel) {
  const bad = [];
  try {
    await store.readResults(S.preset, S.fidelity, async (records) => {
      if (sel !== S.selection) return;
      for (const rec of records) {
        const job = rec?.job;
        if (!Number.isInteger(job) || job < 0 || job >= S.total) { if (typeof job === 'number' || typeof job === 'string') bad.push(job); continue; }
        const v = checkLine(rec.line, jobText(job), S.preset);
        if (!v.ok || v.result.job !== job) { bad.push(job); continue; }
        addResult(v.result);
      }
      scheduleDraw();
      updateProgress();
      await new Promise((r) => setTimeout(r, 0));
    });
  } catch (err) {
    S.storeOK = false;
    say(`Stored results could not be read (${err?.message ?? err}); results of this session are kept in this tab only.`, 'warn');
  }
  if (sel !== S.selection) return;
  if (bad.length) {
    say(`${bad.length} stored result${bad.length === 1 ? ' was' : 's were'} not valid for the current plan (an older version of the sweep, or damaged) and will be trained again.`, 'warn');
    await store.deleteResults(S.preset, S.fidelity, bad).catch(() => {});
  }
  for (const [job, line] of S.memoryLines) {  // this tab's results that could not be stored
    const v = checkLine(line, jobText(job), S.preset);
    if (v.ok) addResult(v.result);
  }
}

// ------------------------------------------------------------------ charts

function buildCharts() {
  for (const c of S.charts) c.instance.destroy?.();
  S.charts = [];
  const host = $('charts');
  clear(host);
  for (const spec of CHARTS[S.preset]) {
    const titleId = `chart-${spec.id}-title`;
    const body = el('div', { class: 'view-body', id: `view-${spec.id}` });
    const png = el('button', { type: 'button', class: 'small', 'aria-label': `Download ${spec.title} as PNG`, on: { click: () => exportPNG(spec.id) } }, 'PNG');
    const panel = el('section', { class: `panel${spec.wide ? ' wide' : ''}`, id: `chart-${spec.id}`, 'aria-labelledby': titleId, dataset: { chart: spec.id } },
      el('header', { class: 'panel-head' }, el('h2', { id: titleId }, spec.title), png),
      el('p', { class: 'explain' }, spec.explain), body);
    host.append(panel);
    S.charts.push({ spec, body, instance: spec.make(body, { onOpen: openInLab }) });
  }
}

function scheduleDraw() {
  if (S.drawQueued) return;
  S.drawQueued = true;
  const wait = Math.max(0, DRAW_MS - (performance.now() - S.lastDraw));
  setTimeout(() => requestAnimationFrame(() => {
    S.drawQueued = false;
    S.lastDraw = performance.now();
    drawCharts();
  }), wait);
}

function drawCharts() {
  if (!S.plan || !S.results) return;
  const model = { results: S.results, plan: S.plan, reference: S.reference };
  for (const c of S.charts) {
    try {
      c.instance.update(model);
    } catch (err) {
      clear(c.body);
      c.body.append(el('p', { class: 'view-error' }, `This chart failed: ${err?.message ?? err}`));
      console.error(err);
    }
  }
  document.body.dataset.drawn = String(S.results.size);
}

function exportPNG(id) {
  const c = S.charts.find((x) => x.spec.id === id);
  if (!c) return;
  try {
    const url = c.instance.toPNG ? c.instance.toPNG() : viewToPNG(c.body, { title: c.spec.title });
    download(url, `toymoe-sweep-${S.preset}-${S.fidelity}-${id}.png`);
  } catch (err) {
    say(`${id}: PNG export failed: ${err?.message ?? err}`);
  }
}

function openInLab(job) {
  if (!Number.isInteger(job)) return;
  if (S.memoryLines.has(job)) {
    say('This model is only in this tab’s memory (the browser refused to store it), so the lab cannot open it.', 'warn');
    return;
  }
  window.open(labURL(job), '_blank', 'noopener');
}

const labURL = (job) => `./#sweep=${S.preset}/${S.fidelity}/${job}`;

// ------------------------------------------------------------------ export

async function allLines() {
  const lines = [];
  if (S.storeOK) {
    await store.readResults(S.preset, S.fidelity, (records) => {
      for (const rec of records) {
        if (!Number.isInteger(rec?.job) || rec.job < 0 || rec.job >= S.total) continue;
        if (checkLine(rec.line, jobText(rec.job), S.preset).ok) lines.push(rec.line);
      }
    });
  }
  for (const line of S.memoryLines.values()) lines.push(line);
  return lines;
}

async function exportMerge() {
  const lines = await allLines();
  return mergeParts(lines, { jobsTotal: S.total });
}

async function onExport(kind) {
  try {
    const parts = await exportMerge();
    const blob = new Blob(kind === 'json' ? parts.json : parts.csv, { type: kind === 'json' ? 'application/json' : 'text/csv' });
    const url = URL.createObjectURL(blob);
    download(url, `toymoe-sweep-${S.preset}-${S.fidelity}.${kind}`);
    setTimeout(() => URL.revokeObjectURL(url), 30000);
  } catch (err) {
    say(`Export failed: ${err?.message ?? err}`);
  }
}

// ------------------------------------------------------------------ loading result files

const STORE_BATCH = 1000;
const SLICE_MS = 30;
const yieldToPage = () => new Promise((r) => setTimeout(r, 0));
const MB = (bytes) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/** Which sweep to load into: the page's when some file is of it, else the first file's. */
function targetSweep(peeked) {
  const known = (s) => s && Object.hasOwn(PRESETS, s.preset) && knownFidelity(s.fidelity);
  const same = (s, t) => s && s.preset === t.preset && s.fidelity === t.fidelity;
  const page = { preset: S.preset, fidelity: S.fidelity };
  if (peeked.some((s) => same(s, page)) || !peeked.some(known)) return page;
  return peeked.find(known);
}

async function onLoadFiles(fileList) {
  const files = Array.from(fileList ?? []);
  if (!files.length) return;
  if (S.status === 'running' || S.importing || !S.plan || S.status === 'loading') {
    say('Result files can be loaded when no sweep is running or loading.', 'warn');
    return;
  }
  S.importing = { abort: false };
  document.body.dataset.load = 'busy';
  refreshButtons();
  S.loads = (S.loads ?? 0) + 1;
  const sum = { seq: S.loads, files: files.length, lines: 0, added: 0, duplicates: 0, invalid: 0, torn: 0, beyondLimit: 0, errors: [], skipped: [], switched: null, cancelled: false };
  const status = $('load-status'), bar = $('load-progress');
  try {
    const peeked = await Promise.all(files.map((f) => peekSweep(f).catch(() => null)));
    const target = targetSweep(peeked);
    if (target.preset !== S.preset || target.fidelity !== S.fidelity) {
      S.preset = target.preset;
      S.fidelity = target.fidelity;
      sum.switched = `${target.preset} ${target.fidelity}`;
      status.textContent = `Switching to the ${target.preset} ${target.fidelity} sweep of ${shown(files[0].name)}…`;
      S.importing.switching = true;
      await select({ autoResume: false });
      S.importing.switching = false;
      refreshButtons();
      if (!S.plan) throw new Error('the sweep of the files could not be prepared');
    }
    const sweep = { preset: S.preset, fidelity: S.fidelity, total: S.total };
    const sel = S.selection;
    const totalBytes = files.reduce((a, f) => a + f.size, 0);
    let doneBytes = 0;
    bar.max = Math.max(1, totalBytes);
    bar.value = 0;
    bar.hidden = false;
    const seen = new Set();
    for (const [fi, file] of files.entries()) {
      const p = peeked[fi];
      if (p && (p.preset !== sweep.preset || p.fidelity !== sweep.fidelity)) { sum.skipped.push(file.name); doneBytes += file.size; continue; }
      const lines = new LineReader();
      let pending = [], lastSlice = performance.now();
      const flush = async () => {
        if (!pending.length) return;
        const recs = pending;
        pending = [];
        await storeLoaded(recs, sum);
      };
      for await (const batch of fileLines(file, (bytes) => {
        bar.value = doneBytes + bytes;
        status.textContent = `Reading ${shown(file.name)}${files.length > 1 ? ` (file ${fi + 1} of ${files.length})` : ''}: ` +
          `${fmtInt(sum.lines)} lines, ${MB(doneBytes + bytes)} of ${MB(totalBytes)}…`;
      })) {
        if (S.importing.abort || sel !== S.selection) break;
        for (const raw of batch) {
          const c = lines.take(raw.no, raw.text);
          if (c.skip) continue;
          sum.lines++;
          const refuse = (why) => {
            // a shard killed mid-write: its last line, or one before the lines of its restart
            if (c.text.startsWith('{') && !wholeObject(c.text)) { sum.torn++; return; }  // c: without a CR
            sum.invalid++;
            if (sum.errors.length < 5) sum.errors.push({ file: file.name, line: raw.no, why });
          };
          const r = resultOf(c.text, sweep);
          if (r.why) { refuse(r.why); continue; }
          const v = checkLine(c.text, jobText(r.job), sweep.preset);
          if (!v.ok) { refuse(v.why); continue; }
          if (v.result.job !== r.job) { refuse('job is not the job\'s'); continue; }
          if (seen.has(r.job) || S.results.jobs.has(r.job)) { sum.duplicates++; continue; }
          seen.add(r.job);
          pending.push({ job: r.job, line: c.text, result: v.result });
          if (pending.length >= STORE_BATCH) await flush();
        }
        if (performance.now() - lastSlice > SLICE_MS) {
          await flush();
          updateProgress();
          scheduleDraw();
          await yieldToPage();
          lastSlice = performance.now();
        }
      }
      await flush();
      doneBytes += file.size;
      if (S.importing.abort || sel !== S.selection) { sum.cancelled = true; break; }
    }
    bar.value = bar.max;
  } catch (err) {
    sum.failed = err?.message ?? String(err);
  } finally {
    S.importing = null;
    bar.hidden = true;
    status.textContent = '';  // the line is the load's live progress; its summary is a message (reportLoad)
    document.body.dataset.load = 'done';
  }
  S.lastLoad = sum;
  reportLoad(sum);
  updateProgress();
  scheduleDraw();
}

// Write validated lines to IndexedDB (the tab's memory when the browser refuses) and count them.
async function storeLoaded(recs, sum) {
  let added = null;
  if (S.storeOK) {
    try {
      added = await store.addResults(S.preset, S.fidelity, recs.map(({ job, line }) => ({ job, line })));
    } catch (err) {
      S.storeOK = false;
      say(`Results cannot be stored in this browser (${shown(err?.message ?? err)}); the loaded ones are kept in this tab only and are lost on reload.`, 'warn');
    }
  }
  recs.forEach((rec, i) => {
    if (added && !added[i]) { sum.duplicates++; return; }  // stored meanwhile (another tab): that record stays
    if (!added) S.memoryLines.set(rec.job, rec.line);
    if (addResult(rec.result)) {
      sum.added++;
      if (S.plan && rec.job >= S.plan.planned) sum.beyondLimit++;
    }
  });
}

function reportLoad(sum) {
  const names = sum.files === 1 ? '1 file' : `${sum.files} files`;
  const parts = [];
  if (sum.switched) parts.push(`Switched to the ${sum.switched} sweep (the sweep of the loaded files).`);
  parts.push(`${sum.cancelled ? 'Loading was cancelled: ' : ''}Loaded ${fmtInt(sum.added)} result${sum.added === 1 ? '' : 's'} from ${names} into the ` +
    `${S.preset} ${S.fidelity} sweep, stored in this browser like results trained here (Resume trains only the jobs still missing).`);
  if (sum.duplicates) parts.push(`${fmtInt(sum.duplicates)} line${sum.duplicates === 1 ? ' was a job' : 's were jobs'} already stored or given twice: the stored (first) result was kept.`);
  if (sum.beyondLimit) parts.push(`${fmtInt(sum.beyondLimit)} loaded result${sum.beyondLimit === 1 ? ' lies' : 's lie'} beyond this page's limit of ${fmtInt(S.plan.planned)} models: charted and exported, not counted in the progress.`);
  if (sum.torn) parts.push(`${sum.torn === 1 ? 'An unfinished line was' : `${fmtInt(sum.torn)} unfinished lines were`} ignored (a shard stopped mid-write).`);
  if (sum.skipped.length) parts.push(`Skipped ${sum.skipped.length} file${sum.skipped.length === 1 ? '' : 's'} of another sweep (${sum.skipped.slice(0, 3).map(shown).join(', ')}${sum.skipped.length > 3 ? ', …' : ''}): select that sweep and load ${sum.skipped.length === 1 ? 'it' : 'them'} there.`);
  if (sum.invalid) {
    const where = sum.errors.map((e) => `${sum.files > 1 ? `${shown(e.file)} ` : ''}line ${e.line}: ${e.why}`).join('; ');
    parts.push(`${fmtInt(sum.invalid)} line${sum.invalid === 1 ? ' was' : 's were'} refused and not stored (${where}${sum.invalid > sum.errors.length ? '; …' : ''}).`);
  }
  if (sum.failed) parts.push(`Reading stopped: ${shown(sum.failed)}.`);
  // Once, in the message list: an event like a finished run, with its severity and a
  // dismiss button (#load-status, the live progress, is cleared when the load ends).
  const text = parts.join(' ');
  say(text, sum.failed || (sum.invalid && !sum.added) ? 'error' : sum.invalid || sum.skipped.length || sum.cancelled ? 'warn' : 'info');
}

// ------------------------------------------------------------------ running

function acquireLock(name) {
  if (!navigator.locks?.request) return Promise.resolve(() => {});
  return new Promise((resolve) => {
    navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      if (!lock) { resolve(null); return undefined; }
      return new Promise((release) => resolve(release));
    }).catch(() => resolve(() => {}));
  });
}

async function start({ auto = false } = {}) {
  if (S.status === 'running' || !S.plan) return;
  const sel = S.selection;
  const todo = [];
  for (let j = 0; j < S.plan.planned; j++) if (!S.results.jobs.has(j) && !S.failedJobs.has(j)) todo.push(j);
  if (!todo.length) { say('Every planned model of this sweep is already trained and stored.', 'info'); return; }
  // Interleave the runs: every cell gets its first run before any gets its second, so the
  // charts cover the whole grid early and sharpen as the remaining runs arrive.
  const runs = Math.max(1, ...S.plan.groups.map((g) => g.runs || 1));
  todo.sort((a, b) => (a % runs) - (b % runs) || a - b);
  let release = null;
  for (let attempt = 0; attempt < (auto ? 5 : 1) && !release; attempt++) {
    if (attempt) await new Promise((r) => setTimeout(r, 1000));
    release = await acquireLock(`toymoe-sweep/${S.preset}/${S.fidelity}`);
  }
  if (sel !== S.selection || S.status === 'running') { release?.(); return; }
  if (!release) {
    say('This sweep is running in another tab of this browser. Its results are stored as they finish: reload this page to see them.', 'warn');
    return;
  }
  S.release = release;
  // A long sweep asks the browser not to evict its stored results under storage pressure.
  if (todo.length > 1000) navigator.storage?.persist?.().catch(() => {});
  const workers = Math.min(S.workers, todo.length);
  S.session = { t0: performance.now(), computed: [], predicted: 0, workers, before: doneInPlan(), workerMs: 0, storeMs: 0 };
  // Consecutive queued jobs of one small architecture train together (up to 4 per trainMany
  // call, one per SIMD lane); the results are the same bits as one job at a time.
  const lanes = new Set(S.plan.groups.filter(groupable).map((g) => g.arch));
  const groupKey = (job) => {
    try {
      const arch = JSON.parse(jobText(job)).arch;
      return lanes.has(arch) ? arch : null;
    } catch {
      return null;
    }
  };
  S.sent = null;
  S.pool = new SweepPool({
    size: workers, preset: S.preset, fidelity: S.fidelity, watchdogMs: S.watchdog * 1000, groupKey,
    onResult, onProgress: () => updateProgress(), onEvent,
  });
  setStatus('running');
  store.putMeta(S.preset, S.fidelity, { running: true, limit: S.limit }).catch(() => {});
  if (auto) say(`Resumed the ${S.preset} ${S.fidelity} sweep where it stopped: ${fmtInt(doneInPlan())} of ${fmtInt(S.plan.planned)} models were already stored.`, 'info');
  S.pool.start(todo);
}

function onResult({ job, line, stored, storeError, ms, storeMs }) {
  S.session.workerMs += ms;
  S.session.storeMs += storeMs;
  const v = checkLine(line, jobText(job), S.preset);
  if (!v.ok) { say(`job ${job}: the worker's result was refused (${v.why})`); return; }
  if (!stored) {
    S.memoryLines.set(job, line);
    if (S.storeOK) say(`Results cannot be stored in this browser (${shown(storeError)}); they are kept in this tab only and are lost on reload.`, 'warn');
    S.storeOK = false;
  }
  if (addResult(v.result)) {
    S.session.computed.push(job);
    const g = S.plan.groups.find((x) => x.arch === v.result.arch);
    S.session.predicted += g ? jobCost(g) : 0;
  }
  updateProgress();
  scheduleDraw();
}

function onEvent(ev) {
  switch (ev.kind) {
    case 'restart':
      S.restarts++;
      say(`A worker stopped (${shown(ev.message)}); it was restarted${ev.jobs?.length ? ` and job${ev.jobs.length === 1 ? '' : 's'} ${ev.jobs.join(', ')} queued again` : ''}.`, 'warn');
      break;
    case 'failed':
      S.failedJobs.add(ev.job);
      say(`Job ${ev.job} was given up: ${shown(ev.message)}`);
      break;
    case 'error':
      say(`Sweep: ${ev.message}`);
      if (!S.pool?.active) finishRun('cancelled');
      break;
    case 'done':
      finishRun('done');
      break;
    default:
      break;
  }
}

function finishRun(status) {
  S.sent = S.pool ? { ...S.pool.sent } : S.sent;
  S.pool = null;
  S.release?.();
  S.release = null;
  store.putMeta(S.preset, S.fidelity, { running: false, limit: S.limit }).catch(() => {});
  setStatus(status);
  updateProgress();
  scheduleDraw();
  if (status === 'done') {
    const secs = S.session ? (performance.now() - S.session.t0) / 1000 : 0;
    document.body.dataset.wallSeconds = secs.toFixed(1);
    say(`Finished: ${fmtInt(doneInPlan())} of ${fmtInt(S.plan.planned)} models in this browser` +
      `${S.session?.computed.length ? ` (${S.session.computed.length} trained now in ${fmtDuration(secs * 1000)})` : ''}` +
      `${S.failedJobs.size ? `; ${S.failedJobs.size} job(s) failed` : ''}.`, 'info');
  }
}

function cancel() {
  if (S.importing) { S.importing.abort = true; return; }
  if (S.status !== 'running') return;
  S.pool?.cancel();
  finishRun('cancelled');
  say(`Cancelled. The ${fmtInt(doneInPlan())} finished models are stored; Resume continues with the rest.`, 'info');
}

// ------------------------------------------------------------------ progress and status

// The jobs under way, each by the share of its steps done.
const inflightJobs = () => S.pool?.running.reduce((s, r) => s + (r.steps ? r.step / r.steps : 0), 0) ?? 0;

function remainingMs() {
  const sess = S.session;
  if (S.status !== 'running' || !sess) return estimateMs(S.plan, S.doneByArch, S.workers);
  const elapsed = performance.now() - sess.t0;
  let factor = 1;
  if (sess.computed.length >= 2 && elapsed > 2000 && sess.predicted > 0) {
    factor = Math.min(10, Math.max(0.1, (elapsed * sess.workers) / sess.predicted));
  }
  return estimateMs(S.plan, S.doneByArch, sess.workers, { factor, inflight: inflightJobs() });
}

function updateProgress() {
  if (!S.plan || !S.results) return;
  const done = doneInPlan();
  const inflight = inflightJobs();
  const bar = $('sweep-progress');
  bar.max = Math.max(1, S.plan.planned);
  bar.value = Math.min(S.plan.planned, done + inflight);
  $('stat-models').textContent = `${fmtInt(done)} / ${fmtInt(S.plan.planned)} models`;
  const running = S.status === 'running';
  const elapsed = running && S.session ? ` · ${fmtDuration(performance.now() - S.session.t0)} elapsed` : '';
  $('stat-time').textContent = done >= S.plan.planned ? 'all trained' : running ? `about ${fmtDuration(remainingMs())} left (estimate)${elapsed}` : statusWord();
  $('stat-workers').textContent = running ? `${S.session.workers} worker${S.session.workers === 1 ? '' : 's'}` : '';
  if (!running) showEstimate();
  $('sweep-stored').textContent = `Stored in this browser: ${fmtInt(S.results.size)} result${S.results.size === 1 ? '' : 's'} of this sweep` +
    `${S.memoryLines.size ? ` (${S.memoryLines.size} only in this tab)` : ''}.`;
  document.body.dataset.done = String(done);
  refreshButtons();
}

const statusWord = () => ({ idle: 'ready', loading: 'loading…', done: 'finished', cancelled: 'cancelled', failed: 'failed' }[S.status] ?? S.status);

function setStatus(status) {
  S.status = status;
  document.body.dataset.status = status;
  refreshButtons();
}

function refreshButtons() {
  const importing = !!S.importing, running = S.status === 'running' || importing;
  const ready = !!S.plan && S.status !== 'loading' && S.status !== 'failed';
  const done = S.plan ? doneInPlan() : 0, all = S.plan && done >= S.plan.planned;
  const startBtn = $('btn-start');
  startBtn.disabled = !ready || running || all;
  startBtn.textContent = all ? 'Finished' : done > 0 ? 'Resume' : 'Start';
  $('btn-cancel').disabled = !running || !!S.importing?.switching;
  $('btn-load').disabled = running || !ready;
  $('sweep-preset').disabled = running;
  $('sweep-fidelity').disabled = running;
  $('sweep-data-rng').disabled = running;
  const have = !!S.results?.size;
  $('btn-export-json').disabled = !have;
  $('btn-export-csv').disabled = !have;
  $('btn-delete').disabled = running || !have;
}

// ------------------------------------------------------------------ selecting a sweep

async function select({ autoResume = true } = {}) {
  const sel = ++S.selection;
  setStatus('loading');
  S.plan = null;
  S.results = new SweepResults(S.preset, S.fidelity);
  S.doneByArch = new Map();
  S.memoryLines = new Map();
  S.failedJobs = new Set();
  S.jobTexts = new Map();
  S.loaded = [];
  syncURL();
  $('sweep-preset').value = S.preset;
  $('sweep-fidelity').value = baseOf(S.fidelity);
  $('sweep-data-rng').value = streamOf(S.fidelity);
  $('sweep-stream-note').hidden = streamOf(S.fidelity) === 'pcg32';
  // the CLI's stream is always pcg32 unless told (src/cli/sweep_cmd.c)
  $('sweep-cli').textContent = `toymoe sweep --preset ${S.preset} --fidelity ${baseOf(S.fidelity)}` +
    `${streamOf(S.fidelity) === 'pcg32' ? '' : ` --data-rng ${streamOf(S.fidelity)}`} --out f.jsonl`;
  $('sweep-desc').textContent = PRESETS[S.preset].desc;
  $('sweep-plan').textContent = 'Planning…';
  $('sweep-estimate').textContent = 'Timing a few training steps of each architecture in a worker…';
  buildCharts();
  try {
    S.total = S.lab.sweepJobs(S.preset, S.fidelity);
    const plan = await S.planner.plan(S.preset, S.fidelity, S.limit, S.workers);
    if (sel !== S.selection) return;
    S.plan = plan;
    await loadStored(sel);
    if (sel !== S.selection) return;
    S.loaded = [...S.results.jobs];
  } catch (err) {
    if (sel !== S.selection) return;
    setStatus('failed');
    say(`Could not prepare the sweep: ${err?.message ?? err}`);
    return;
  }
  setStatus('idle');
  showPlan();
  updateProgress();
  drawCharts();
  document.body.dataset.ready = '1';
  let meta = null;
  try { meta = await store.getMeta(S.preset, S.fidelity); } catch { /* no storage: nothing to resume */ }
  if (sel !== S.selection) return;
  if (!autoResume || meta?.running !== true) return;
  // resume the sweep that was running: with its own limit, not the one of the URL opened now
  const limit = meta.limit;
  if (Number.isInteger(limit) && limit >= 0 && limit <= 10_000_000 && limit !== S.limit) {
    say(`The ${S.preset} ${S.fidelity} sweep was running with ${limit ? `limit=${fmtInt(limit)}` : 'no limit'}; resuming it so.`, 'info');
    S.limit = limit;
    select({ autoResume: true });
    return;
  }
  if (doneInPlan() < S.plan.planned) start({ auto: true });
}

async function onDelete(btn) {
  if (!btn.classList.contains('armed')) {
    btn.classList.add('armed');
    btn.textContent = `Delete ${fmtInt(S.results.size)} results?`;
    setTimeout(() => { btn.classList.remove('armed'); btn.textContent = 'Delete stored results'; }, 4000);
    return;
  }
  btn.classList.remove('armed');
  btn.textContent = 'Delete stored results';
  try {
    await store.deleteResults(S.preset, S.fidelity);
    await store.putMeta(S.preset, S.fidelity, { running: false, limit: S.limit });
  } catch (err) {
    say(`Could not delete: ${err?.message ?? err}`);
  }
  S.memoryLines.clear();
  await select({ autoResume: false });
  say('Deleted the stored results of this sweep.', 'info');
}

// ------------------------------------------------------------------ test hooks (read-only, plus worker faults)

function exposeHooks() {
  Object.defineProperty(window, '__sweeps', {
    value: Object.freeze({
      get status() { return S.status; },
      get preset() { return S.preset; },
      get fidelity() { return S.fidelity; },
      get total() { return S.total; },
      get planned() { return S.plan?.planned ?? 0; },
      get plan() { return S.plan ? structuredClone(S.plan) : null; },
      get done() { return S.plan ? doneInPlan() : 0; },
      get results() { return S.results?.size ?? 0; },
      get computed() { return S.session ? S.session.computed.slice() : []; },
      get loaded() { return S.loaded?.slice() ?? []; },
      /** Whether result files are being read, and the summary of the last load ({added, duplicates, invalid, errors, ...}). */
      get importing() { return !!S.importing; },
      get lastLoad() { return S.lastLoad ? structuredClone(S.lastLoad) : null; },
      /** This session: wall ms, summed worker ms per job (training + storing) and storing ms. */
      get timing() { return S.session ? { wallMs: performance.now() - S.session.t0, workerMs: S.session.workerMs, storeMs: S.session.storeMs } : null; },
      get restarts() { return S.restarts; },
      /** The pool's 'run' messages of this session: {runs, jobs, largest} (largest: most jobs trained together). */
      get sent() { return S.pool ? { ...S.pool.sent } : S.sent ?? null; },
      get workers() { return S.pool?.slots.length ?? 0; },
      get estimateMs() { return S.plan ? estimateMs(S.plan, S.doneByArch, S.workers) : null; },
      get messages() { return Array.from(document.querySelectorAll('#messages .msg-text'), (n) => n.textContent); },
      get slots() { return S.pool?.slots.map((x) => ({ job: x.job, jobs: x.jobs.slice(), step: x.step, steps: x.steps, done: !!x.done })) ?? []; },
      /** Phase panels of Figure 4 in CSS px of its canvas: [{arch, expert, x, y, w, h, cells}]. */
      get panels() { return S.charts.find((c) => c.spec.id === 'fig4')?.instance.panels?.() ?? []; },
      /** What the keys visit in the other charts, by chart id: {fig3, fig7: points; fig8: boxes} (see their items()). */
      get items() { return Object.fromEntries(S.charts.filter((c) => c.instance.items).map((c) => [c.spec.id, c.instance.items()])); },
      killWorker: (i) => S.pool?.kill(i) ?? false,
      crashWorker: (i) => S.pool?.crashWorker(i) ?? false,
      exportMerge: async () => { const p = await exportMerge(); return { json: p.json.join(''), csv: p.csv.join('') }; },
      labURL,
    }),
  });
}

// ------------------------------------------------------------------ start

async function main() {
  exposeHooks();
  setStatus('loading');
  const url = parseURL(location.search);
  Object.assign(S, { preset: url.preset, fidelity: url.fidelity, limit: url.limit, workers: url.workers, watchdog: url.watchdog });
  for (const m of url.messages) say(m);
  const presetSel = $('sweep-preset'), fidSel = $('sweep-fidelity'), rngSel = $('sweep-data-rng');
  for (const [id, p] of Object.entries(PRESETS)) presetSel.append(el('option', { value: id }, p.label));
  for (const [id, t] of Object.entries(FIDELITIES)) fidSel.append(el('option', { value: id }, t));
  for (const [id, t] of Object.entries(STREAMS)) rngSel.append(el('option', { value: id }, t));
  presetSel.addEventListener('change', () => {
    if (!Object.hasOwn(PRESETS, presetSel.value)) return;
    S.preset = presetSel.value;
    S.fidelity = withStream(baseOf(S.fidelity), DEFAULT_STREAM[S.preset]);  // each preset starts on its own stream
    select();
  });
  fidSel.addEventListener('change', () => {
    if (Object.hasOwn(FIDELITIES, fidSel.value)) { S.fidelity = withStream(fidSel.value, streamOf(S.fidelity)); select(); }
  });
  rngSel.addEventListener('change', () => {
    if (Object.hasOwn(STREAMS, rngSel.value)) { S.fidelity = withStream(baseOf(S.fidelity), rngSel.value); select(); }
  });
  $('btn-start').addEventListener('click', () => start());
  $('btn-cancel').addEventListener('click', cancel);
  $('btn-export-json').addEventListener('click', () => onExport('json'));
  $('btn-export-csv').addEventListener('click', () => onExport('csv'));
  $('btn-delete').addEventListener('click', (e) => onDelete(e.currentTarget));
  const fileInput = $('load-files');
  $('btn-load').addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    const files = Array.from(fileInput.files ?? []);
    fileInput.value = '';  // the same file can be chosen again
    onLoadFiles(files).catch((err) => say(`Loading failed: ${err?.message ?? err}`));
  });
  let resizeTimer = 0;
  window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawCharts, 150); });
  setInterval(() => { if (S.status === 'running') updateProgress(); }, 1000);
  S.planner = new Planner({ onWarn: (t) => say(t, 'warn') });
  S.planner.start();  // loads its engine while the page loads its own
  [S.lab, S.reference.fig3] = await Promise.all([
    loadLab().catch((err) => {
      if (!(err instanceof WebAssembly.CompileError)) throw err;
      return loadLab({ wasmUrl: new URL('../../build/toymoe-scalar.wasm', import.meta.url) });
    }),
    loadFig3Reference(),
  ]);
  await select();
}

main().catch((err) => {
  setStatus('failed');
  say(`The sweep page failed to start: ${err?.message ?? err}. It needs WebAssembly and module workers, served over http(s).`);
});
