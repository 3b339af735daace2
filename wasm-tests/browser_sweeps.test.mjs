// The sweep page (web/sweeps.html) in Debian's Chromium (playwright-core, headless): a small
// fig4 sweep in the worker pool (4 jobs per trainMany call) lands in IndexedDB with the
// CLI's result lines, exports exactly what `toymoe merge` writes for the same jobs, draws its charts and opens a model in the lab
// (by mouse and by keyboard: Figure 4 cells, Figure 3/7 points, Figure 8 boxes); a reload
// resumes without redoing finished jobs; a terminated worker is restarted and nothing is
// lost; hostile URLs and stored records are refused. Screenshots go to
// $TOYMOE_ARTIFACTS/screenshots (default build/artifacts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/static-server.mjs';
import { CLI, HAVE_CLI } from './node_helpers.mjs';
import { colouredShare, sw } from './page_helpers.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const WEB = path.join(REPO, 'web');
const CHROMIUM = process.env.TOYMOE_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.TOYMOE_ARTIFACTS || path.join(REPO, 'build', 'artifacts');
const SHOTS = path.join(ARTIFACTS, 'screenshots');
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const skip = HAVE_CHROMIUM ? false : `no Chromium at ${CHROMIUM} (set TOYMOE_CHROMIUM)`;

let server, context, profile;

before(async () => {
  if (!HAVE_CHROMIUM) return;
  assert.ok(fs.existsSync(path.join(WEB, 'build/toymoe.wasm')), 'web/build/toymoe.wasm is missing: build first');
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ root: WEB, port: 0 });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'toymoe-sweeps-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

async function open(query, { width = 1280, height = 900, ready = true } = {}) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  const log = { errors: [], dialogs: [] };
  page.on('console', (m) => { if (m.type() === 'error') log.errors.push(m.text()); });
  page.on('pageerror', (e) => log.errors.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => { log.dialogs.push(d.message()); await d.dismiss(); });
  await page.goto(`${server.url}sweeps.html${query}`);
  if (ready) await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 60000 });
  return { page, log };
}

const waitStatus = (page, status, timeout = 90000) =>
  page.waitForFunction((s) => document.body.dataset.status === s, status, { timeout });
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, name), fullPage: true });

/** Dark pixels (the keyboard's focus ring) in and around a rect {x, y, w, h} (CSS px) of a canvas. */
const darkAround = (page, selector, r) => page.evaluate(([sel, r]) => {
  const c = document.querySelector(sel), k = c.width / c.getBoundingClientRect().width, m = 6;
  const d = c.getContext('2d').getImageData(Math.round((r.x - m) * k), Math.round((r.y - m) * k),
    Math.round((r.w + 2 * m) * k), Math.round((r.h + 2 * m) * k)).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.max(d[i], d[i + 1], d[i + 2]) < 60) n++;
  return n;
}, [selector, r]);

/** The keyboard readout (status region) of chart `id` once it matches `re`. */
async function readoutOf(page, id, re) {
  const sel = `#view-${id} .sw-readout`;
  await page.waitForFunction(([s, src]) => new RegExp(src).test(document.querySelector(s).textContent), [sel, re.source], { timeout: 5000 });
  return page.locator(sel).textContent();
}

/** Press `key` on the focused element; whether the page's handler took it (preventDefault). */
const pressTaken = async (page, key) => {
  await page.evaluate(() => {
    window.__taken = null;
    window.addEventListener('keydown', (e) => { window.__taken = e.defaultPrevented; }, { once: true });
  });
  await page.keyboard.press(key);
  return page.evaluate(() => window.__taken);
};

/** The focus of a chart's canvas comes from Tab (from the chart's PNG button), as a keyboard user's. */
async function tabTo(page, id) {
  await page.focus(`#chart-${id} .panel-head button`);
  await page.keyboard.press('Tab');
  assert.ok(await page.locator(`#view-${id} canvas`).evaluate((c) => document.activeElement === c), `Tab reaches the ${id} chart`);
}

/** Records of a sweep in IndexedDB, read with the raw API (not the page's code). */
const readIDB = (page, preset, fidelity) => page.evaluate(([p, f]) => new Promise((resolve, reject) => {
  const req = indexedDB.open('toymoe-sweeps');
  req.onerror = () => reject(req.error);
  req.onsuccess = () => {
    const db = req.result;
    const get = db.transaction('results').objectStore('results').getAll(IDBKeyRange.bound([p, f, -Infinity], [p, f, Infinity]));
    get.onsuccess = () => { resolve(get.result.map((r) => ({ job: r.job, line: r.line }))); db.close(); };
    get.onerror = () => reject(get.error);
  };
}), [preset, fidelity]);

const putIDB = (page, records) => page.evaluate((recs) => new Promise((resolve, reject) => {
  const req = indexedDB.open('toymoe-sweeps');
  req.onsuccess = () => {
    const db = req.result, tx = db.transaction('results', 'readwrite');
    for (const r of recs) tx.objectStore('results').put(r);
    tx.oncomplete = () => { db.close(); resolve(); };
    tx.onerror = () => reject(tx.error);
  };
}), records);


/** `toymoe sweep` + `toymoe merge` of the first `limit` jobs: {json, csv, lines} (lines: the sweep's, by job). */
function cliMerge(preset, limit, fidelity = 'quick') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toymoe-sweeps-cli-'));
  try {
    const out = path.join(dir, 'r.jsonl');
    execFileSync(CLI, ['sweep', '--quiet', '--preset', preset, '--fidelity', fidelity, '--limit', String(limit), '--out', out]);
    execFileSync(CLI, ['merge', '--json', path.join(dir, 'm.json'), '--csv', path.join(dir, 'm.csv'), out]);
    const lines = new Map(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => [JSON.parse(l).job, l]));
    return { json: fs.readFileSync(path.join(dir, 'm.json'), 'utf8'), csv: fs.readFileSync(path.join(dir, 'm.csv'), 'utf8'), lines };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------

test('sweeps.html has the strict CSP and the sweep modules use no HTML sinks', () => {
  const html = fs.readFileSync(path.join(WEB, 'sweeps.html'), 'utf8');
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.ok(csp, 'a CSP meta tag');
  for (const d of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "object-src 'none'", "base-uri 'none'"]) {
    assert.ok(csp.includes(d), `CSP has ${d}`);
  }
  assert.doesNotMatch(html, /unsafe-inline|<script(?![^>]*\bsrc=)[^>]*>|\sstyle\s*=|\son[a-z]+\s*=/i);
  for (const f of fs.readdirSync(path.join(WEB, 'js/sweeps'))) {
    const src = fs.readFileSync(path.join(WEB, 'js/sweeps', f), 'utf8');
    for (const sink of ['innerHTML', 'insertAdjacentHTML', 'outerHTML', 'document.write', 'new Function', 'eval(']) {
      assert.ok(!src.includes(sink), `${f} uses ${sink}`);
    }
  }
});

test('fig4 quick, 12 jobs: on its own stream (xoshiro), the pool trains them 4 at a time into IndexedDB (the CLI\'s lines), the export is `toymoe merge`, charts draw, a cell opens in the lab',
  { skip }, async () => {
    const { page, log } = await open('?preset=fig4&fidelity=quick&limit=12&workers=2');
    // fig4 starts on xoshiro (page.js DEFAULT_STREAM): the URL need not say so, the page does
    assert.equal(await sw(page, 'fidelity'), 'quick-xoshiro');
    assert.match(page.url(), /\?preset=fig4&fidelity=quick&limit=12$/);
    assert.equal(await page.locator('#sweep-data-rng').inputValue(), 'xoshiro');
    assert.ok(await page.locator('#sweep-stream-note').isVisible());
    assert.equal(await page.locator('#sweep-cli').textContent(), 'toymoe sweep --preset fig4 --fidelity quick --data-rng xoshiro --out f.jsonl');
    assert.match(await page.locator('#sweep-plan').textContent(), /12 models.*first 12 of 1,728.*1,500 steps × batch 512/);
    assert.match(await page.locator('#sweep-estimate').textContent(), /about \d+ s\. This is an estimate, from timing/);
    assert.ok((await sw(page, 'plan')).groups.every((g) => !g.jobs || g.msPerStep > 0), 'every planned architecture was timed');
    await page.click('#btn-start');
    await page.waitForFunction(() => window.__sweeps.workers === 2, null, { timeout: 20000 });
    await waitStatus(page, 'done');
    assert.equal(await sw(page, 'done'), 12);
    assert.deepEqual((await sw(page, 'computed')).sort((a, b) => a - b), [...Array(12).keys()]);
    const stored = await readIDB(page, 'fig4', 'quick-xoshiro');
    assert.deepEqual(stored.map((r) => r.job), [...Array(12).keys()], 'all 12 results are in IndexedDB');
    for (const r of stored) assert.equal(JSON.parse(r.line).config.data_rng, 'xoshiro');
    for (const r of stored) assert.equal(JSON.parse(r.line).status, 'ok');
    // The queue (run 0 of every cell first: jobs 0, 3, 6, 9, 1, ...) went out in 3 groups of 4
    // of the 2x1-E1 architecture, each group trained by trainMany calls.
    assert.deepEqual(await sw(page, 'sent'), { runs: 3, jobs: 12, largest: 4 });
    // Export: byte for byte the CLI's merge of the same 12 jobs (native and wasm train identically),
    // and every stored line (weights included) is the line `toymoe sweep` writes for its job alone.
    const exported = await page.evaluate(() => window.__sweeps.exportMerge());
    if (HAVE_CLI) {
      const want = cliMerge('fig4', 12, 'quick-xoshiro');
      assert.equal(exported.json, want.json, 'JSON export = toymoe merge');
      assert.equal(exported.csv, want.csv, 'CSV export = toymoe merge');
      for (const r of stored) assert.equal(r.line, want.lines.get(r.job), `job ${r.job}: the stored line = toymoe sweep's`);
    }
    const merged = JSON.parse(exported.json);
    assert.deepEqual([merged.preset, merged.jobs_total, merged.models_done, merged.cells.length], ['fig4', 1728, 12, 4]);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export-json')]);
    assert.equal(fs.readFileSync(await dl.path(), 'utf8'), exported.json, 'the JSON button downloads the same file');
    assert.equal(dl.suggestedFilename(), 'toymoe-sweep-fig4-quick-xoshiro.json');
    // Charts: coloured phase cells and a box; PNG export.
    await page.waitForFunction(() => document.body.dataset.drawn === '12', null, { timeout: 10000 });
    assert.ok(await colouredShare(page, '#view-fig4 canvas') > 0.001, 'phase cells are coloured');
    const boxShare = await colouredShare(page, '#view-fig8 canvas');
    assert.ok(boxShare > 0.0002, `a box is drawn (${boxShare})`);
    const [png] = await Promise.all([page.waitForEvent('download'), page.click('#chart-fig4 .panel-head button')]);
    assert.deepEqual([...fs.readFileSync(await png.path()).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'PNG export');
    // Hover the first cell of panel A.1/1 (S = 0.1, r = 0.1) and click it: the lab opens that model.
    await page.locator('#view-fig4 canvas').scrollIntoViewIfNeeded();
    const box = await page.locator('#view-fig4 canvas').boundingBox();
    const a11 = (await sw(page, 'panels')).find((p) => p.arch === '2x1-E1' && p.expert === 0);
    const plan = await sw(page, 'plan');
    const g = plan.groups.find((x) => x.arch === '2x1-E1');
    const first = { x: box.x + a11.x + a11.w / g.yValues.length / 2, y: box.y + a11.y + a11.h / g.xValues.length / 2 };
    await page.mouse.move(first.x, first.y);
    const tip = page.locator('#view-fig4 .tm-tooltip');
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    const text = await tip.textContent();
    assert.match(text, /2x1-E1, expert 1 of 1 · S = 0\.10, r = 0\.1/);
    assert.match(text, /best: job \d+, final loss/);
    const job = Number(/best: job (\d+)/.exec(text)[1]);
    await shot(page, 'sweeps-fig4-quick-12.png');
    const [lab] = await Promise.all([context.waitForEvent('page'), page.mouse.click(first.x, first.y)]);
    await lab.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
    await lab.waitForFunction(() => window.__toymoe.messages.some((t) => /Loaded sweep model fig4\/quick-xoshiro job/.test(t)), null, { timeout: 20000 });
    const state = await lab.evaluate(() => window.__toymoe.state);
    assert.deepEqual([state.config.n, state.config.m, state.config.experts, state.config.load_balance], [2, 1, 1, true]);
    const line = JSON.parse(stored.find((r) => r.job === job).line);
    assert.equal(state.config.seed, line.seed);
    await lab.waitForFunction(() => !!window.__toymoe.snapshot?.metrics, null, { timeout: 20000 });
    const w = await lab.evaluate(() => window.__toymoe.snapshot.step);
    assert.equal(w, 1500, 'the model is at its trained step');
    await shot(lab, 'sweeps-fig4-opened-in-lab.png');
    await lab.close();

    // The keyboard does what the mouse does. The click's focus showed no keyboard readout;
    // Tab from the chart's PNG button focuses the grid and shows its first cell.
    const canvas = page.locator('#view-fig4 canvas'), readout = page.locator('#view-fig4 .sw-readout');
    assert.equal(await canvas.getAttribute('tabindex'), '0', 'the grid is focusable');
    assert.equal(await canvas.getAttribute('role'), 'application');
    assert.match(await canvas.getAttribute('aria-label'), /^Phase diagrams of the last feature, \d+ panels\. Arrow keys move between cells, Page Up and Page Down between panels; Enter opens/);
    assert.equal(await readout.getAttribute('role'), 'status');
    assert.equal(await readout.textContent(), '', 'a click shows no keyboard readout');
    await page.mouse.move(0, 0);
    const nS = g.xValues.length, nR = g.yValues.length;
    const cell = (si, ri) => ({ x: a11.x + (ri * a11.w) / nR, y: a11.y + (si * a11.h) / nS, w: a11.w / nR, h: a11.h / nS });
    const plain = await darkAround(page, '#view-fig4 canvas', cell(0, 2));
    await page.focus('#chart-fig4 .panel-head button');
    await page.keyboard.press('Tab');
    assert.ok(await canvas.evaluate((c) => document.activeElement === c), 'Tab reaches the grid');
    const said = async (re) => {
      await page.waitForFunction(([sel, src]) => new RegExp(src).test(document.querySelector(sel).textContent),
        ['#view-fig4 .sw-readout', re.source], { timeout: 5000 });
      return readout.textContent();
    };
    const at00 = await said(/^2x1-E1, expert 1 of 1 · S = 0\.10, r = 0\.1\. /);
    assert.ok(await tip.isVisible(), 'the tooltip shows the focused cell');
    assert.equal((await tip.textContent()).split('\n').join('. '), at00, 'the screen readers\' text is the tooltip\'s');
    assert.match(at00, /best: job \d+, final loss .*Enter: open this model in the lab$/);
    // Right twice: r = 0.9 (jobs 6-8, trained); down: S's second value, not trained; up again.
    await page.keyboard.press('ArrowRight');
    await said(/S = 0\.10, r = 0\.5\. /);
    await page.keyboard.press('ArrowRight');
    const at02 = await said(/S = 0\.10, r = 0\.9\. /);
    const job2 = Number(/best: job (\d+)/.exec(at02)[1]);
    assert.ok([6, 7, 8].includes(job2), at02);
    await page.keyboard.press('ArrowDown');
    const s1 = (Math.round(g.xValues[1] * 100) / 100).toFixed(2);
    assert.match(await said(new RegExp(`S = ${s1.replace('.', '\\.')}, r = 0\\.9\\. `)), /not trained yet$/);
    await page.keyboard.press('ArrowUp');
    await said(/S = 0\.10, r = 0\.9\. /);
    // Page Down: the same cell of the next panel; Page Up: back.
    const second = (await sw(page, 'panels'))[1];
    await page.keyboard.press('PageDown');
    await said(new RegExp(`^${second.arch}, expert ${second.expert + 1} of `));
    await page.keyboard.press('PageUp');
    assert.equal(await said(/^2x1-E1, expert 1 of 1 · S = 0\.10, r = 0\.9\. /), at02);
    const ringed = await darkAround(page, '#view-fig4 canvas', cell(0, 2));
    assert.ok(ringed > plain + 20, `a ring is drawn around the focused cell (${plain} -> ${ringed} dark pixels)`);
    // Enter opens the focused cell's model in the lab, like a click; Space too.
    const [lab2] = await Promise.all([context.waitForEvent('page'), page.keyboard.press('Enter')]);
    await lab2.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
    await lab2.waitForFunction((j) => window.__toymoe.messages.some((t) => t.includes(`Loaded sweep model fig4/quick-xoshiro job ${j}`)), job2, { timeout: 20000 });
    assert.equal((await lab2.evaluate(() => window.__toymoe.state)).config.seed, JSON.parse(stored.find((r) => r.job === job2).line).seed);
    await lab2.close();
    await page.keyboard.press('ArrowLeft');
    const job1 = Number(/best: job (\d+)/.exec(await said(/S = 0\.10, r = 0\.5\. /))[1]);
    const [lab3] = await Promise.all([context.waitForEvent('page'), page.keyboard.press('Space')]);
    await lab3.waitForLoadState('domcontentloaded');
    assert.ok(lab3.url().endsWith(`#sweep=fig4/quick-xoshiro/${job1}`), lab3.url());
    await lab3.close();
    // Escape hides the tooltip (the readout stays); leaving the grid removes ring and readout.
    await page.keyboard.press('Escape');
    assert.ok(!(await tip.isVisible()), 'Escape hides the tooltip');
    assert.match(await readout.textContent(), /S = 0\.10, r = 0\.5\. /);
    await page.keyboard.press('Shift+Tab');
    assert.equal(await readout.textContent(), '');
    assert.equal(await darkAround(page, '#view-fig4 canvas', cell(0, 2)), plain, 'no ring without the focus');

    // Figure 8 by keyboard: Left/Right (Home/End) move between the boxes, the readout is the
    // hover tooltip's text (and says so for a box without results); a click does nothing there,
    // so Enter does nothing either, and Up/Down stay the page's.
    const c8 = page.locator('#view-fig8 canvas'), tip8 = page.locator('#view-fig8 .tm-tooltip');
    assert.equal(await c8.getAttribute('tabindex'), '0', 'the box plot is focusable');
    assert.equal(await c8.getAttribute('role'), 'application');
    assert.match(await c8.getAttribute('aria-label'), /^Box plots of the per-cell best final loss for \d+ architectures\. Left and Right arrow keys move between the boxes\.$/);
    assert.equal(await c8.getAttribute('aria-describedby'), await page.locator('#view-fig8 .tm-view-note').getAttribute('id'));
    assert.match(await page.locator('#view-fig8 .tm-view-note').textContent(), /focus the chart \(Tab\) and move between the boxes with the Left and Right arrow keys/);
    const boxes = (await sw(page, 'items')).fig8;
    assert.deepEqual([boxes[0].arch, boxes[0].cells], ['2x1-E1', 4], 'the 12 jobs are the 4 cells of 2x1-E1');
    assert.ok(boxes.length >= 3 && boxes.slice(1).every((b) => b.cells === 0), JSON.stringify(boxes));
    await c8.scrollIntoViewIfNeeded();
    const b8 = await c8.boundingBox();
    await page.mouse.move(b8.x + (boxes[0].x0 + boxes[0].x1) / 2, b8.y + boxes[0].rect.y + boxes[0].rect.h / 2);
    await tip8.waitFor({ state: 'visible', timeout: 5000 });
    const hover8 = await tip8.textContent();
    assert.match(hover8, /^A\/1 \(2x1-E1\) · 4 cells\nmedian \S+ \(paper [^)]+\), quartiles .*\nwhiskers .*outliers/);
    await page.mouse.move(0, 0);
    const plain8 = await darkAround(page, '#view-fig8 canvas', boxes[0].rect);
    await tabTo(page, 'fig8');
    assert.equal(await readoutOf(page, 'fig8', /^A\/1 \(2x1-E1\) · 4 cells\. median /), hover8.split('\n').join('. '), 'the readout is the tooltip\'s text');
    assert.equal(await tip8.textContent(), hover8, 'the tooltip shows the focused box');
    const ringed8 = await darkAround(page, '#view-fig8 canvas', boxes[0].rect);
    assert.ok(ringed8 > plain8 + 20, `a ring is drawn around the focused box (${plain8} -> ${ringed8} dark pixels)`);
    await page.locator('#view-fig8').screenshot({ path: path.join(SHOTS, 'sweeps-fig8-keyboard.png') });
    assert.ok(await pressTaken(page, 'ArrowRight'));
    await readoutOf(page, 'fig8', new RegExp(`^A/2 \\(${boxes[1].arch}\\) · no results yet$`));
    await page.keyboard.press('End');
    await readoutOf(page, 'fig8', new RegExp(`\\(${boxes.at(-1).arch}\\) · no results yet$`));
    await page.keyboard.press('ArrowRight');
    await readoutOf(page, 'fig8', new RegExp(`\\(${boxes.at(-1).arch}\\) · no results yet$`));
    await page.keyboard.press('Home');
    await readoutOf(page, 'fig8', /^A\/1 \(2x1-E1\) · 4 cells\. /);
    assert.equal(await pressTaken(page, 'ArrowUp'), false, 'Up is not the box plot\'s (one row of boxes)');
    const pages = context.pages().length;
    assert.equal(await pressTaken(page, 'Enter'), false, 'Enter is not taken: a click does nothing here');
    await page.waitForTimeout(300);
    assert.equal(context.pages().length, pages, 'Enter opens nothing');
    assert.equal(await page.locator('#view-fig8 .sw-readout').textContent(), hover8.split('\n').join('. '));
    await page.keyboard.press('Shift+Tab');
    assert.equal(await page.locator('#view-fig8 .sw-readout').textContent(), '');
    assert.equal(await darkAround(page, '#view-fig8 canvas', boxes[0].rect), plain8, 'no ring without the focus');
    assert.deepEqual(log.errors, []);
    assert.deepEqual(log.dialogs, []);
    await page.close();
  });

test('data_rng=pcg32: a separate sweep (fidelity quick) stored, exported and linked apart, equal to the CLI\'s; each preset starts on its own stream',
  { skip }, async () => {
    const { page: before } = await open('?preset=fig4&fidelity=quick');
    const xoBefore = (await readIDB(before, 'fig4', 'quick-xoshiro')).map((r) => r.line);
    assert.ok(xoBefore.length >= 12);
    await before.close();
    const { page, log } = await open('?preset=fig4&fidelity=quick&data_rng=pcg32&limit=8&workers=2');
    assert.equal(await sw(page, 'fidelity'), 'quick');
    assert.match(page.url(), /\?preset=fig4&fidelity=quick&data_rng=pcg32&limit=8$/);
    assert.equal(await page.locator('#sweep-data-rng').inputValue(), 'pcg32');
    assert.equal(await page.locator('#sweep-fidelity').inputValue(), 'quick');
    assert.ok(!(await page.locator('#sweep-stream-note').isVisible()));
    assert.equal(await page.locator('#sweep-cli').textContent(), 'toymoe sweep --preset fig4 --fidelity quick --out f.jsonl');
    assert.equal(await page.locator('#btn-start').textContent(), 'Start', 'nothing of the xoshiro sweep counts as done');
    await page.click('#btn-start');
    await waitStatus(page, 'done');
    await shot(page, 'sweeps-fig4-quick-pcg32-8.png');
    const stored = await readIDB(page, 'fig4', 'quick');
    assert.deepEqual(stored.map((r) => r.job), [...Array(8).keys()]);
    for (const r of stored) assert.equal(JSON.parse(r.line).config.data_rng, undefined, 'pcg32 is not spelled out in a job');
    assert.deepEqual((await readIDB(page, 'fig4', 'quick-xoshiro')).map((r) => r.line), xoBefore, 'the xoshiro sweep is untouched');
    const exported = await page.evaluate(() => window.__sweeps.exportMerge());
    if (HAVE_CLI) {
      const want = cliMerge('fig4', 8, 'quick');
      assert.equal(exported.json, want.json, 'JSON export = toymoe merge of toymoe sweep --fidelity quick');
      for (const r of stored) assert.equal(r.line, want.lines.get(r.job), `job ${r.job}`);
    }
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export-json')]);
    assert.equal(dl.suggestedFilename(), 'toymoe-sweep-fig4-quick.json');
    assert.equal(await page.evaluate(() => window.__sweeps.labURL(2)), './#sweep=fig4/quick/2');
    const lab = await context.newPage();
    await lab.goto(`${server.url}#sweep=fig4/quick/2`);
    await lab.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
    await lab.waitForFunction(() => window.__toymoe.messages.some((t) => /Loaded sweep model fig4\/quick job 2/.test(t)), null, { timeout: 20000 });
    assert.equal((await lab.evaluate(() => window.__toymoe.state)).config.data_rng, 'pcg32');
    await lab.close();
    // back to xoshiro, fig4's own stream: the URL need not say it
    await page.selectOption('#sweep-data-rng', 'xoshiro');
    await page.waitForSelector('body[data-status="idle"]', { state: 'attached', timeout: 30000 });
    assert.equal(await sw(page, 'fidelity'), 'quick-xoshiro');
    assert.match(page.url(), /\?preset=fig4&fidelity=quick&limit=8$/);
    assert.match(await page.locator('#sweep-stream-note').textContent(), /other draws/);
    assert.ok(await page.locator('#sweep-stream-note').isVisible());
    // fig3 starts on pcg32, the stream of its presets; xoshiro there is spelled out
    await page.selectOption('#sweep-preset', 'fig3');
    await page.waitForSelector('body[data-status="idle"]', { state: 'attached', timeout: 30000 });
    assert.equal(await sw(page, 'fidelity'), 'quick');
    assert.match(page.url(), /\?preset=fig3&fidelity=quick&limit=8$/);
    await page.selectOption('#sweep-data-rng', 'xoshiro');
    await page.waitForSelector('body[data-status="idle"]', { state: 'attached', timeout: 30000 });
    assert.match(page.url(), /\?preset=fig3&fidelity=quick&data_rng=xoshiro&limit=8$/);
    assert.equal(await page.locator('#sweep-cli').textContent(), 'toymoe sweep --preset fig3 --fidelity quick --data-rng xoshiro --out f.jsonl');
    // the URL's stream: data_rng, else the fidelity's suffix, else the preset's own (the module is
    // the page's, already loaded: importing it again runs nothing)
    for (const [query, fidelity] of [['?preset=fig4&fidelity=quick-xoshiro', 'quick-xoshiro'], ['?preset=fig3&fidelity=paper-xoshiro', 'paper-xoshiro'],
      ['?preset=fig4&fidelity=quick-xoshiro&data_rng=pcg32', 'quick'], ['?data_rng=pcg32&fidelity=quick-xoshiro', 'quick'],
      ['?preset=table1&fidelity=quick', 'quick'], ['?fidelity=paper', 'paper-xoshiro'], ['', 'quick-xoshiro']]) {
      assert.equal(await page.evaluate(async (q) => (await import('./js/sweeps/page.js')).parseURL(q).fidelity, query), fidelity, query);
    }
    assert.deepEqual(log.errors, []);
    await page.close();
    const { page: bad } = await open('?preset=fig4&fidelity=quick&data_rng=<b>mt</b>');
    assert.ok((await sw(bad, 'messages')).some((t) => /^data_rng: must be one of pcg32, xoshiro, got '<b>mt<\/b>'/.test(t)));
    assert.equal(await sw(bad, 'fidelity'), 'quick-xoshiro', 'the preset\'s own stream');
    assert.equal(await bad.evaluate(() => document.querySelectorAll('b').length), 0);
    await bad.close();
  });

test('a crashed worker (error) and a silent one (terminated) are replaced; their jobs are retried and nothing is lost', { skip }, async () => {
  // 12 more fig4 jobs on top of the 12 stored above: none of those is redone.
  const { page, log } = await open('?preset=fig4&fidelity=quick&limit=24&workers=2&watchdog=2');
  assert.deepEqual((await sw(page, 'loaded')).sort((a, b) => a - b), [...Array(12).keys()]);
  assert.equal(await page.locator('#btn-start').textContent(), 'Resume');
  await page.click('#btn-start');
  // as soon as a worker exists (its crash waits in its queue until it is ready, then lands while
  // it holds jobs): 12 quick jobs can all finish before a later look finds a worker still busy
  await page.waitForFunction(() => window.__sweeps.crashWorker(0) || window.__sweeps.crashWorker(1), null, { polling: 5, timeout: 20000 });
  await waitStatus(page, 'done');
  assert.ok(await sw(page, 'restarts') >= 1, 'the crashed worker was restarted');
  assert.ok((await sw(page, 'messages')).some((t) => /A worker stopped .*restarted/.test(t)));
  const sent = await sw(page, 'sent');
  assert.equal(sent.largest, 4, 'jobs went out in groups of 4');
  assert.ok(sent.jobs > 12, `the crashed worker's jobs were sent again (${JSON.stringify(sent)})`);
  const computed = await sw(page, 'computed');
  assert.deepEqual([...new Set(computed)].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => 12 + i), 'only the 12 new jobs were trained');
  assert.equal((await readIDB(page, 'fig4', 'quick-xoshiro')).length, 24);
  assert.deepEqual(log.errors, []);
  await page.close();
});

test('fig3: a reload resumes without redoing stored jobs; a terminated worker is replaced by the watchdog', { skip }, async () => {
  const query = '?preset=fig3&fidelity=quick&limit=6&workers=2&watchdog=3';
  const first = await open(query);
  await first.page.click('#btn-start');
  await first.page.waitForFunction(() => window.__sweeps.done >= 2, null, { timeout: 60000 });
  const before = (await readIDB(first.page, 'fig3', 'quick')).map((r) => r.job);
  assert.ok(before.length >= 2 && before.length < 6, `reloading mid-sweep with ${before.length} stored`);
  // Reopened from a link without its limit: it resumes the sweep that was running, limit 6.
  const unlimited = new URL(first.page.url());
  unlimited.searchParams.delete('limit');
  await first.page.goto(unlimited.href);
  await first.page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 60000 });
  const page = first.page;
  await page.waitForFunction(() => window.__sweeps.messages.some((t) => /was running with limit=6; resuming it so/.test(t)), null, { timeout: 20000 });
  // The page resumes by itself (the sweep was running when it was reloaded).
  await page.waitForFunction(() => window.__sweeps.status === 'running' || window.__sweeps.status === 'done', null, { timeout: 20000 });
  assert.equal(new URL(page.url()).searchParams.get('limit'), '6', 'the URL names the limit again');
  const loaded = await sw(page, 'loaded');
  assert.ok(before.every((j) => loaded.includes(j)), `stored before the reload ${before} are loaded after it (${loaded})`);
  assert.ok((await sw(page, 'messages')).some((t) => /Resumed the fig3 quick sweep/.test(t)));
  // Terminate a worker in the middle of a job, without telling the pool.
  const killed = await page.evaluate(async () => {
    for (let i = 0; i < 400; i++) {
      if (window.__sweeps.status !== 'running') return false;
      const slot = window.__sweeps.slots[0];
      if (slot && slot.job !== null && slot.step > 0 && window.__sweeps.killWorker(0)) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return false;
  });
  await waitStatus(page, 'done');
  if (killed) {
    assert.ok(await sw(page, 'restarts') >= 1, 'the silent worker was replaced');
    assert.ok((await sw(page, 'messages')).some((t) => /no word from the worker/.test(t)));
  }
  const computed = await sw(page, 'computed');
  assert.deepEqual(computed.filter((j) => loaded.includes(j)), [], 'no stored job was trained again');
  assert.deepEqual([...new Set([...loaded, ...computed])].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
  const stored = await readIDB(page, 'fig3', 'quick');
  assert.deepEqual(stored.map((r) => r.job), [0, 1, 2, 3, 4, 5]);
  assert.ok(killed, 'a worker was terminated mid-job');
  await page.waitForFunction(() => document.body.dataset.drawn === '6', null, { timeout: 10000 });
  assert.ok(await colouredShare(page, '#view-fig3 canvas') > 0.002, 'fig3 lines drawn');
  assert.ok(await colouredShare(page, '#view-fig7 canvas') > 0.002, 'fig7 lines drawn');
  await shot(page, 'sweeps-fig3-quick-6.png');
  assert.deepEqual(first.log.errors, []);
  await page.close();
});

test('fig3 and fig7 by keyboard: Left/Right along a line, Up/Down to the line above or below; Enter opens what a click opens', { skip }, async () => {
  // The 6 dense jobs stored above and 7 more: the dense line's 10 points and the first 3 of 4 experts.
  const { page, log } = await open('?preset=fig3&fidelity=quick&limit=13&workers=2');
  await page.click('#btn-start');
  await waitStatus(page, 'done');
  await page.waitForFunction(() => document.body.dataset.drawn === '13', null, { timeout: 10000 });
  const seeds = new Map((await readIDB(page, 'fig3', 'quick')).map((r) => [r.job, JSON.parse(r.line).seed]));
  const pts = (await sw(page, 'items')).fig3;
  const dense = pts.filter((p) => p.line === 0), e4 = pts.filter((p) => p.line === 1);
  assert.deepEqual(dense.map((p) => p.job), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'one run per density: job = best run');
  assert.deepEqual(e4.map((p) => p.job), [10, 11, 12]);
  assert.deepEqual(e4.map((p) => p.x), dense.slice(0, 3).map((p) => p.x), 'the same densities');
  const canvas = page.locator('#view-fig3 canvas'), tip = page.locator('#view-fig3 .tm-tooltip');
  assert.equal(await canvas.getAttribute('tabindex'), '0', 'the chart is focusable');
  assert.equal(await canvas.getAttribute('role'), 'application');
  assert.match(await canvas.getAttribute('aria-label'), /^Features per dimension against 1\/\(1-S\), one line per architecture \(4\)\. Left and Right arrow keys move along a line, Up and Down to the line above or below; Enter opens the point’s best run in the lab\.$/);
  assert.equal(await canvas.getAttribute('aria-describedby'), await page.locator('#view-fig3 .tm-view-note').getAttribute('id'));
  assert.match(await page.locator('#view-fig3 .tm-view-note').textContent(), / 13 models\. Hover a point .* or focus the chart \(Tab\), move with the arrow keys/);
  await canvas.scrollIntoViewIfNeeded();
  const plain = await darkAround(page, '#view-fig3 canvas', dense[2].rect);
  const point = (job) => new RegExp(`best run: job ${job}, final loss \\S+, FPD \\S+\\. Enter: open the best run in the lab$`);

  // Tab: the first point of the first line; the readout is also the tooltip.
  await tabTo(page, 'fig3');
  const at0 = await readoutOf(page, 'fig3', /^Dense \(m=20\) · 1\/\(1−S\) = 1 \(S = 0\)\. features per dimension \S+ \(mean of 1 run\)\. best run: job 0, /);
  assert.match(at0, point(0));
  assert.ok(await tip.isVisible(), 'the tooltip shows the focused point');
  assert.equal((await tip.textContent()).split('\n').join('. '), at0);
  // Left/Right along the line (by x), Home/End to its ends.
  await page.keyboard.press('ArrowRight');
  await readoutOf(page, 'fig3', /^Dense \(m=20\) · 1\/\(1−S\) = 1\.11 \(S = 0\.1\)\. .*job 1, /);
  await page.keyboard.press('End');
  await readoutOf(page, 'fig3', /^Dense \(m=20\) · 1\/\(1−S\) = 10 \(S = 0\.9\)\. .*job 9, /);
  await page.keyboard.press('ArrowRight');
  await readoutOf(page, 'fig3', point(9));
  await page.keyboard.press('Home');
  await readoutOf(page, 'fig3', point(0));
  // Up/Down: to the other line's point at the same density, whichever way it is drawn;
  // on from there the same way: no other line, it stays.
  const toE4 = e4[0].rect.y < dense[0].rect.y ? 'ArrowUp' : 'ArrowDown';
  await page.keyboard.press(toE4);
  await readoutOf(page, 'fig3', /^4 experts, k=1 \(m=5\) · 1\/\(1−S\) = 1 \(S = 0\)\. .*job 10, /);
  await page.keyboard.press(toE4);
  await readoutOf(page, 'fig3', point(10));
  await page.keyboard.press('End');
  await readoutOf(page, 'fig3', /^4 experts, k=1 \(m=5\) · 1\/\(1−S\) = 1\.25 \(S = 0\.2\)\. .*job 12, /);
  await page.keyboard.press(dense[2].rect.y < e4[2].rect.y ? 'ArrowUp' : 'ArrowDown');
  await readoutOf(page, 'fig3', /^Dense \(m=20\) · 1\/\(1−S\) = 1\.25 \(S = 0\.2\)\. .*job 2, /);
  const ringed = await darkAround(page, '#view-fig3 canvas', dense[2].rect);
  assert.ok(ringed > plain + 20, `a ring is drawn around the focused point (${plain} -> ${ringed} dark pixels)`);
  await page.locator('#view-fig3').screenshot({ path: path.join(SHOTS, 'sweeps-fig3-keyboard.png') });
  // Enter opens the focused point's best run in the lab; Space too.
  const [lab] = await Promise.all([context.waitForEvent('page'), page.keyboard.press('Enter')]);
  await lab.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
  await lab.waitForFunction(() => window.__toymoe.messages.some((t) => t.includes('Loaded sweep model fig3/quick job 2')), null, { timeout: 20000 });
  assert.equal((await lab.evaluate(() => window.__toymoe.state)).config.seed, seeds.get(2));
  await lab.close();
  await page.keyboard.press('ArrowLeft');
  await readoutOf(page, 'fig3', point(1));
  const [lab2] = await Promise.all([context.waitForEvent('page'), page.keyboard.press('Space')]);
  await lab2.waitForLoadState('domcontentloaded');
  assert.ok(lab2.url().endsWith('#sweep=fig3/quick/1'), lab2.url());
  await lab2.close();
  await page.keyboard.press('Escape');
  assert.ok(!(await tip.isVisible()), 'Escape hides the tooltip');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.locator('#view-fig3 .sw-readout').textContent(), '');
  assert.equal(await darkAround(page, '#view-fig3 canvas', dense[2].rect), plain, 'no ring without the focus');

  // The mouse: hover and click a point (job 3); the click's focus shows nothing, the next key
  // shows the clicked point with the hover's text, and Enter opens the model the click opened.
  const box = await canvas.boundingBox(), r3 = dense[3].rect;
  const at3 = { x: box.x + r3.x + r3.w / 2, y: box.y + r3.y + r3.h / 2 };
  await page.mouse.move(at3.x, at3.y);
  await tip.waitFor({ state: 'visible', timeout: 5000 });
  const hover3 = await tip.textContent();
  assert.match(hover3, /job 3, .*\nclick: open the best run in the lab$/);
  const [lab3] = await Promise.all([context.waitForEvent('page'), page.mouse.click(at3.x, at3.y)]);
  await lab3.waitForLoadState('domcontentloaded');
  const clicked = lab3.url();
  assert.ok(clicked.endsWith('#sweep=fig3/quick/3'), clicked);
  await lab3.close();
  assert.equal(await page.locator('#view-fig3 .sw-readout').textContent(), '', 'a click shows no keyboard readout');
  await page.mouse.move(0, 0);
  await page.keyboard.press('ArrowRight');  // the first key shows the cursor, at the clicked point
  assert.equal(await readoutOf(page, 'fig3', point(3)), hover3.replace('click:', 'Enter:').split('\n').join('. '));
  const [lab4] = await Promise.all([context.waitForEvent('page'), page.keyboard.press('Enter')]);
  await lab4.waitForLoadState('domcontentloaded');
  assert.equal(lab4.url(), clicked, 'Enter opens what the click opened');
  await lab4.close();

  // Figure 7, the same chart code: its label, a move and Enter.
  const c7 = page.locator('#view-fig7 canvas');
  assert.match(await c7.getAttribute('aria-label'), /^Log of the mean final loss against 1\/\(1-S\), one line per architecture \(4\)\. Left and Right arrow keys/);
  await tabTo(page, 'fig7');
  await readoutOf(page, 'fig7', /^Dense \(m=20\) · 1\/\(1−S\) = 1 \(S = 0\)\. ln\(mean final loss\) \S+, mean loss \S+\. best run: job 0, /);
  await page.keyboard.press('ArrowRight');
  await readoutOf(page, 'fig7', /^Dense \(m=20\) · 1\/\(1−S\) = 1\.11 \(S = 0\.1\)\. .*job 1, .*Enter: open the best run in the lab$/);
  const [lab5] = await Promise.all([context.waitForEvent('page'), page.keyboard.press('Enter')]);
  await lab5.waitForLoadState('domcontentloaded');
  assert.ok(lab5.url().endsWith('#sweep=fig3/quick/1'), lab5.url());
  await lab5.close();
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.dialogs, []);
  await page.close();
});

test('hostile URLs and stored records are refused with messages; nothing is injected', { skip }, async () => {
  const { page: setup } = await open('?preset=fig4&fidelity=quick&limit=24');
  const good = (await readIDB(setup, 'fig4', 'quick-xoshiro')).find((r) => r.job === 3).line;
  await putIDB(setup, [
    { preset: 'fig4', fidelity: 'quick-xoshiro', job: 3, line: good.replace(/"final_loss":[^,]+/, '"final_loss":"<img src=x>"') },
    { preset: 'fig4', fidelity: 'quick-xoshiro', job: 30, line: '<img src=x onerror=alert(1)>' },
    { preset: 'fig4', fidelity: 'quick-xoshiro', job: 31, line: good },  // job 3's line under job 31
    { preset: 'fig4', fidelity: 'quick-xoshiro', job: 99999, line: good },
  ]);
  await setup.close();
  const { page, log } = await open('?preset=<script>alert(1)</script>&fidelity=paper&limit=-4&workers=99&watchdog=x&extra=1');
  const msgs = await sw(page, 'messages');
  for (const re of [/^preset: must be one of fig3, fig4, table1/, /^limit: must be an integer/, /^workers: must be an integer in \[1, 8\]/,
    /^watchdog: must be/, /unknown parameter 'extra'/]) {
    assert.ok(msgs.some((t) => re.test(t)), `a message matching ${re}: ${msgs.join(' | ')}`);
  }
  assert.equal(await sw(page, 'preset'), 'fig4');
  assert.equal(await sw(page, 'fidelity'), 'paper-xoshiro');
  assert.match(page.url(), /\?preset=fig4&fidelity=paper$/);
  await page.selectOption('#sweep-fidelity', 'quick');
  await page.waitForSelector('body[data-status="idle"]', { state: 'attached', timeout: 30000 });
  const after = await sw(page, 'messages');
  assert.ok(after.some((t) => /^4 stored results were not valid/.test(t)), after.join(' | '));
  const jobs = (await readIDB(page, 'fig4', 'quick-xoshiro')).map((r) => r.job);
  assert.deepEqual(jobs.filter((j) => [3, 30, 31, 99999].includes(j)), [], 'invalid records were deleted');
  assert.equal(await sw(page, 'results'), 23, 'the 23 valid results remain');
  assert.equal(await page.locator('#btn-start').textContent(), 'Resume', 'job 3 is to be trained again');
  assert.equal(await page.evaluate(() => document.querySelectorAll('img, script:not([src])').length), 0);
  assert.deepEqual(log.dialogs, []);
  assert.deepEqual(log.errors, []);
  await page.close();
});

test('the lab refuses sweep links it cannot honour; the sweep page fits a phone', { skip }, async () => {
  for (const [hash, re] of [['#sweep=<img src=x>', /is not a sweep model/], ['#sweep=fig4/quick/9999999', /is not stored in this browser/],
    ['#sweep=table1/paper/5', /is not stored in this browser/]]) {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}${hash}`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
    const msgs = await page.evaluate(() => window.__toymoe.messages);
    assert.ok(msgs.some((t) => re.test(t)), `${hash}: ${msgs.join(' | ')}`);
    assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0);
    assert.deepEqual(errors, []);
    await page.close();
  }
  const { page, log } = await open('?preset=fig4&fidelity=quick&limit=24', { width: 390, height: 844 });
  await page.waitForFunction(() => Number(document.body.dataset.drawn) >= 20, null, { timeout: 10000 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390, 'no horizontal scrolling at 390 px');
  await shot(page, 'sweeps-fig4-390.png');
  assert.deepEqual(log.errors, []);
  await page.close();
});
