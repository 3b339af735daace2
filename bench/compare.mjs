#!/usr/bin/env node
// Is a change faster? Times two builds of the lab's wasm module (say the last commit's and
// yours) in alternation in one process, in Node and/or a Chromium Web Worker, and prints the
// median of the per-pair time ratios new/old with its quartiles. On the noisy shared machines
// here two separate bench runs of one build differ by 10-30%; paired ratios hold to a few %.
//
//   node bench/compare.mjs OLD.wasm NEW.wasm [--ids ID,ID...] [--pairs N] [--in node|chromium|both] [--p P]
//
// OLD/NEW: SIMD builds of web/build/toymoe.wasm (e.g. copy it aside, change the code, rebuild).
// --ids: workloads of `build/bench_train --list` (default: the main ones and the fig4 lanes);
//   OLDID:NEWID times two workloads, one per build (dense100:dense100-xo, one file twice: a config);
// --pairs: timings per build and workload (default 30, 25-50 ms each); --in: default chromium;
// --p: every workload at density P instead of its own (0.1; fig4-*: 0.5, the sweep's mean); the data
//   sampler's cost grows with p.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadLab } from '../web/js/engine.js';
import { pairedRun } from './paired.js';
import { launchChromium, NO_CHROMIUM } from '../scripts/chromium.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BUILD = process.env.TOYMOE_BUILD || path.join(REPO, 'build');
const DEFAULT_IDS = 'dense100,moe4,moe10,moe20,fig2,table1,fig4-2x1-E1,fig4-2x1-E2,fig4-3x1-E1,fig4-3x1-E2,fig4-3x1-E3,fig4-3x2-E1,fig4-3x2-E2,fig4-3x2-E3';

function fail(message) {
  console.error(`bench/compare.mjs: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { files: [], ids: DEFAULT_IDS, pairs: 30, where: 'chromium', p: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--ids') opts.ids = argv[++i];
    else if (a === '--pairs') opts.pairs = Number(argv[++i]);
    else if (a === '--in') opts.where = argv[++i];
    else if (a === '--p') opts.p = Number(argv[++i]);
    else if (a === '-h' || a === '--help') { console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 12).join('\n')); process.exit(0); }
    else if (a.startsWith('--')) fail(`unknown option ${a} (see --help)`);
    else opts.files.push(a);
  }
  if (opts.files.length !== 2) fail('give two wasm files: OLD.wasm NEW.wasm (see --help)');
  for (const f of opts.files) if (!fs.existsSync(f)) fail(`no such file: ${f}`);
  if (!Number.isInteger(opts.pairs) || opts.pairs < 4 || opts.pairs > 1000) fail('--pairs must be an integer in [4, 1000]');
  if (!['node', 'chromium', 'both'].includes(opts.where)) fail('--in must be node, chromium or both');
  if (opts.p !== null && !(opts.p > 0 && opts.p <= 1)) fail('--p must be a number in (0, 1]');
  return opts;
}

function workloads(ids) {
  const bin = path.join(BUILD, 'bench_train');
  if (!fs.existsSync(bin)) fail(`${bin} is missing: build first (bash scripts/setup.sh)`);
  const all = execFileSync(bin, ['--list'], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l));
  const find = (id) => all.find((w) => w.id === id) ?? fail(`unknown workload ${id}; known: ${all.map((w) => w.id).join(', ')}`);
  return ids.split(',').map((spec) => {
    const [id, vs] = spec.split(':');
    return vs ? { ...find(id), vs: find(vs) } : find(id);
  });
}

function print(where, r) {
  const f = (x) => x.toFixed(3);
  console.log(`${where.padEnd(8)} ${r.id.padEnd(12)} old ${r.oldMs.toFixed(1).padStart(6)} ms  new ${r.newMs.toFixed(1).padStart(6)} ms  ` +
    `new/old ${f(r.ratio)} (quartiles ${f(r.q25)}-${f(r.q75)}, ${r.pairs} pairs)`);
}

async function inNode(files, list, pairs) {
  const labs = [await loadLab({ wasmPath: files[0] }), await loadLab({ wasmPath: files[1] })];
  for (const w of list) print('node', pairedRun(labs, w, pairs));
}

async function inChromium(files, list, pairs) {
  if (NO_CHROMIUM) fail(NO_CHROMIUM);
  // served from the repository root: the two builds go where the server can reach them
  const dir = path.join(BUILD, 'compare');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(files[0], path.join(dir, 'old.wasm'));
  fs.copyFileSync(files[1], path.join(dir, 'new.wasm'));
  const rel = path.relative(REPO, dir).split(path.sep).join('/');
  if (rel.startsWith('..')) fail(`TOYMOE_BUILD (${BUILD}) must be inside the repository for the page to load the builds`);
  const { context, server, close } = await launchChromium({ root: REPO, prefix: 'toymoe-compare-' });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}bench/compare.html`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
    for (const w of list) {
      const [r] = await page.evaluate((req) => window.toymoeCompare(req),
        { oldUrl: `/${rel}/old.wasm`, newUrl: `/${rel}/new.wasm`, workloads: [w], pairs });
      print('chromium', r);
    }
  } finally {
    await close();
  }
}

const opts = parseArgs(process.argv.slice(2));
const atP = (w) => (opts.p === null ? w : { ...w, id: `${w.id}@p${opts.p}`, config: { ...w.config, p: opts.p }, ...(w.vs ? { vs: atP(w.vs) } : {}) });
const list = workloads(opts.ids).map(atP);
if (opts.where !== 'chromium') await inNode(opts.files, list, opts.pairs);
if (opts.where !== 'node') await inChromium(opts.files, list, opts.pairs);
