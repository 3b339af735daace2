#!/usr/bin/env node
// Images for docs/reproduction.md from the browser's own sweeps: each preset is run in
// web/sweeps.html (a fresh profile, the worker pool, quick fidelity by default) and its
// charts are saved under docs/img/sweeps/, with the wall time printed.
//   node scripts/repro-sweeps.mjs [--presets fig3,fig4,table1] [--fidelity quick]   (build first)
// --fidelity names the stream too: quick or paper train on PCG32 (the docs' images), quick-xoshiro
// or paper-xoshiro on xoshiro (where the sweeps page starts fig4).
// With --load, nothing is trained: result files of `toymoe sweep` (CLI shards, a cluster) or
// `toymoe merge` are loaded into the page ("Load results…") and its charts are saved:
//   node scripts/repro-sweeps.mjs [--presets fig4] [--fidelity paper] --load a.jsonl,b.jsonl [--out DIR]
// Every sweep (preset and fidelity) named by the files is drawn, from the files of that sweep;
// --presets and --fidelity, when given, keep only those. Files that name no sweep are an error.
// Loaded files' images go to build/sweep-images unless --out says otherwise (docs/img/sweeps
// holds the docs' own: drawing someone's files there would replace them by surprise).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from './chromium.mjs';
import { peekSweep } from '../web/js/sweeps/load.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: args } = parseArgs({ options: { presets: { type: 'string' }, fidelity: { type: 'string' },
  load: { type: 'string' }, out: { type: 'string' } } });
const LOAD = args.load ? args.load.split(',').filter(Boolean).map((f) => path.resolve(f)) : null;
const OUT = path.resolve(args.out ?? (LOAD ? path.join(ROOT, 'build', 'sweep-images') : path.join(ROOT, 'docs', 'img', 'sweeps')));
for (const f of LOAD ?? []) if (!fs.statSync(f, { throwIfNoEntry: false })?.isFile()) throw new Error(`--load: no file ${f}`);
const show = (file) => (file.startsWith(ROOT + path.sep) ? path.relative(ROOT, file) : file);

// The sweeps to draw: [{preset, fidelity, files}].
const jobs = [];
if (LOAD) {
  for (const f of LOAD) {
    const s = await peekSweep(await fs.openAsBlob(f));
    if (!s) throw new Error(`--load: ${f} has no result line of toymoe sweep in its first 256 KiB`);
    if (args.presets && !args.presets.split(',').includes(s.preset)) continue;
    if (args.fidelity && args.fidelity !== s.fidelity) continue;
    let j = jobs.find((x) => x.preset === s.preset && x.fidelity === s.fidelity);
    if (!j) jobs.push(j = { ...s, files: [] });
    j.files.push(f);
  }
  if (!jobs.length) throw new Error('--load: no file of the chosen presets and fidelity');
} else {
  for (const preset of (args.presets ?? 'fig3,fig4,table1').split(',')) jobs.push({ preset, fidelity: args.fidelity ?? 'quick' });
}

fs.mkdirSync(OUT, { recursive: true });
const { context, server, close } = await launchChromium({ root: path.join(ROOT, 'web'), viewport: { width: 1280, height: 900 } });
try {
  for (const { preset, fidelity, files } of jobs) {
    const page = await context.newPage();
    // the fidelity names its stream ('quick' is pcg32, 'quick-xoshiro' xoshiro): said outright,
    // since the page starts fig4 on xoshiro when the URL does not
    const stream = fidelity.endsWith('-xoshiro') ? 'xoshiro' : 'pcg32';
    await page.goto(`${server.url}sweeps.html?preset=${preset}&fidelity=${fidelity.replace(/-xoshiro$/, '')}&data_rng=${stream}`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 60000 });
    const t0 = Date.now();
    if (files) {
      await page.waitForSelector('#btn-load:not([disabled])', { timeout: 120000 });
      await page.setInputFiles('#load-files', files);
      await page.waitForFunction(() => window.__sweeps.lastLoad && !window.__sweeps.importing, null, { timeout: 3600000, polling: 1000 });
      console.log(`${preset} ${fidelity}: ${(await page.evaluate(() => window.__sweeps.messages)).at(-1)}`);
      await page.waitForFunction(() => document.body.dataset.drawn === String(window.__sweeps.results), null, { timeout: 600000, polling: 500 });
    } else {
      await page.waitForSelector('#btn-start:not([disabled])', { timeout: 120000 });
      await page.click('#btn-start');
      await page.waitForFunction(() => document.body.dataset.status === 'done', null, { timeout: 3600000, polling: 1000 });
    }
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    // The sticky run bar would cover the top of a scrolled-to panel in the screenshots.
    await page.evaluate(() => document.querySelectorAll('*').forEach((e) => {
      if (getComputedStyle(e).position === 'sticky') e.style.position = 'static';
    }));
    const charts = page.locator('#charts > section[data-chart]');  // one panel per chart, with its title
    const count = await charts.count();
    for (let i = 0; i < count; i++) {
      const file = path.join(OUT, `${preset}-${fidelity}-${i + 1}.png`);
      await charts.nth(i).screenshot({ path: file });
      console.log(show(file));
    }
    console.log(`${preset} ${fidelity}: ${((Date.now() - t0) / 1000).toFixed(1)} s wall in the page${files ? ' (loading the files)' : ''}`);
    await page.close();
  }
} finally {
  await close();
}
