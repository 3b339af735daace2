// The web lab in Debian's Chromium (playwright-core, headless): loading without console
// errors, training the paper presets, router regions, URL round trips, embed mode,
// export/load of runs, PNG export of wrapped text, hostile URLs and files, non-finite runs, worker restarts, the
// CSP, phone widths. Saves a screenshot of every preset under
// $TOYMOE_ARTIFACTS/screenshots (default build/artifacts) and two of them to docs/img/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, HAVE_CHROMIUM, NO_CHROMIUM } from '../scripts/chromium.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const WEB = path.join(REPO, 'web');
const ARTIFACTS = process.env.TOYMOE_ARTIFACTS || path.join(REPO, 'build', 'artifacts');
const SHOTS = path.join(ARTIFACTS, 'screenshots');
const DOCS_IMG = path.join(REPO, 'docs', 'img');
const VIEW_IDS = ['loss', 'norms', 'interference', 'regions', 'readouts'];
const PRESET_IDS = ['fig1', 'fig1-zero-bias', 'fig2', 'fig5-zero', 'fig5-xavier', 'fig5-diagonal', 'fig6a', 'fig6b', 'fig6c'];
const skip = NO_CHROMIUM;

let server, context, browser;

before(async () => {
  if (!HAVE_CHROMIUM) return;
  for (const f of ['build/toymoe.wasm', 'vendor/chart.umd.js']) {
    assert.ok(fs.existsSync(path.join(WEB, f)), `web/${f} is missing: build first (cmake --build build)`);
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium({ root: WEB, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  ({ context, server } = browser);
});

after(() => browser?.close());

/** A page with its console errors, page errors and dialogs recorded. */
async function open(query = '', { width = 1280, height = 900 } = {}) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  const log = { errors: [], dialogs: [] };
  page.on('console', (m) => { if (m.type() === 'error') log.errors.push(m.text()); });
  page.on('pageerror', (e) => log.errors.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => { log.dialogs.push(d.message()); await d.dismiss(); });
  await page.goto(server.url + query);
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
  await waitSnapshot(page);
  return { page, log };
}

const hook = (page, name) => page.evaluate((n) => window.__toymoe[n], name);
const waitSnapshot = (page) => page.waitForFunction(() => !!window.__toymoe.snapshot?.metrics, null, { timeout: 30000 });
const waitDone = (page, timeout = 60000) =>
  page.waitForFunction(() => ['finished', 'nonfinite'].includes(document.body.dataset.status), null, { timeout });

async function trainToEnd(page) {
  await page.click('#btn-train');
  await waitDone(page);
  // The final snapshot (metrics on 8192 samples) and one frame to draw it.
  await page.waitForFunction(() => window.__toymoe.snapshot?.status === 'finished', null, { timeout: 30000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

// Distinct colours covering at least `minShare` of a canvas's opaque, non-white pixels.
async function canvasColours(page, selector, minShare = 0.01) {
  return page.evaluate(([sel, share]) => {
    const c = document.querySelector(sel);
    if (!c) return -1;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const counts = new Map();
    let total = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] < 250 || (d[i] > 235 && d[i + 1] > 235 && d[i + 2] > 235)) continue;
      const key = (d[i] >> 4) * 256 + (d[i + 1] >> 4) * 16 + (d[i + 2] >> 4);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      total++;
    }
    return [...counts.values()].filter((v) => v >= share * total).length;
  }, [selector, minShare]);
}

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, name), fullPage: true });

// The README's images: the top of the page down to the first views, at 1280 px.
async function docShot(page, name) {
  fs.mkdirSync(DOCS_IMG, { recursive: true });
  const height = Math.min(1500, await page.evaluate(() => document.documentElement.scrollHeight));
  await page.screenshot({ path: path.join(DOCS_IMG, name), fullPage: true, clip: { x: 0, y: 0, width: 1280, height } });
}

// A phone-width page (390 px): trains, fits without horizontal scrolling, full-page screenshot.
async function phoneShot(query, name) {
  const { page, log } = await open(query, { width: 390, height: 844 });
  await trainToEnd(page);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390, `${query}: no horizontal scrolling at 390 px`);
  assert.equal(await page.locator('#settings-details').getAttribute('open'), null, 'settings start folded on phones');
  await shot(page, name);
  assert.deepEqual(log.errors, []);
  await page.close();
}

// ------------------------------------------------------------------------------------------

test('CSP: index.html has a strict policy, and web/js never uses HTML injection sinks', () => {
  const html = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.ok(csp, 'index.html has a CSP meta tag');
  for (const d of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "object-src 'none'", "base-uri 'none'"]) {
    assert.ok(csp.includes(d), `CSP has ${d}`);
  }
  assert.doesNotMatch(html, /unsafe-inline/, 'no unsafe-inline');
  assert.doesNotMatch(html, /(^|[^-])unsafe-eval/, 'no unsafe-eval (wasm-unsafe-eval is allowed)');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline scripts');
  assert.doesNotMatch(html, /\sstyle\s*=/i, 'no style attributes');
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no event-handler attributes');
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') || e.name.endsWith('.mjs')) files.push(p);
    }
  };
  walk(path.join(WEB, 'js'));
  assert.ok(files.length >= 8, 'web/js has the lab modules');
  for (const f of files) {
    const src = fs.readFileSync(f, 'utf8');
    for (const sink of ['innerHTML', 'insertAdjacentHTML', 'outerHTML', 'document.write', 'new Function', 'eval(']) {
      assert.ok(!src.includes(sink), `${path.relative(REPO, f)} uses ${sink}`);
    }
  }
});

test('the page loads with no console errors, every control labelled, every view explained', { skip }, async () => {
  const { page, log } = await open();
  assert.deepEqual(await page.locator('#preset option').count(), PRESET_IDS.length);
  // Every config field has a control with a <label for>.
  const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('#config-form input, #config-form select'))
    .filter((i) => !document.querySelector(`label[for="${i.id}"]`)).map((i) => i.id));
  assert.deepEqual(unlabelled, []);
  const fields = await page.evaluate(() => Array.from(document.querySelectorAll('#config-form [name]'), (i) => i.name));
  for (const f of ['n', 'm', 'experts', 'k', 'p', 'importance', 'bias_init', 'router_init', 'steps', 'batch', 'lr',
    'weight_decay', 'loss', 'load_balance', 'seed']) assert.ok(fields.includes(f), `control for ${f}`);
  const legends = await page.locator('#config-form legend').allTextContents();
  assert.deepEqual(legends, ['Model', 'Data', 'Initialisation', 'Optimiser', 'Loss & routing', 'Seed']);
  for (const id of VIEW_IDS) {
    const panel = page.locator(`#panel-${id}`);
    assert.ok(await panel.isVisible(), `${id} panel visible`);
    assert.ok((await panel.locator('h2').textContent()).length > 3, `${id} has a title`);
    assert.ok((await panel.locator('.explain').textContent()).length > 30, `${id} has an explanation`);
  }
  // Notes on surprising settings: fig1 uses the reference (xavier) bias init.
  assert.match(await page.locator('#notes').textContent(), /dead/);
  // Keyboard: Tab reaches the train button and Enter starts training.
  await page.focus('#btn-train');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => Number(document.body.dataset.step) > 0, null, { timeout: 20000 });
  await page.click('#btn-train');  // pause
  await page.waitForFunction(() => document.body.dataset.status === 'paused', null, { timeout: 10000 });
  assert.deepEqual(log.errors, []);
  await page.close();
});

test('fig1 trains; the norms view shows at least 6 features with norm > 0.5', { skip }, async () => {
  const { page, log } = await open('?preset=fig1');
  await trainToEnd(page);
  const snap = await hook(page, 'snapshot');
  assert.equal(snap.step, 10000);
  assert.equal(await page.getAttribute('body', 'data-step'), '10000');
  const norms = snap.metrics.norms[0];
  assert.equal(norms.length, 20);
  assert.ok(norms.filter((v) => v > 0.5).length >= 6, `norms ${norms.map((v) => v.toFixed(2))}`);
  assert.ok(snap.loss < 0.1, `loss ${snap.loss}`);
  // The view drew bars: the norms canvas holds several bar colours.
  assert.ok(await canvasColours(page, '#view-norms canvas.tm-panel', 0.005) >= 2, 'norm bars drawn');
  assert.match(await page.locator('#stat-step').textContent(), /10,000 \/ 10,000/);
  await shot(page, 'preset-fig1.png');
  await docShot(page, 'lab-fig1.png');
  assert.deepEqual(log.errors, []);
  await page.close();
  await phoneShot('?preset=fig1', 'preset-fig1-390.png');
});

test('a large n fits the interference view: the whole matrix within the panel, pooled to its pixels', { skip }, async () => {
  const { page, log } = await open('?preset=fig1&n=1200&m=10&steps=1');
  await page.waitForFunction(() => (window.__toymoe.snapshot?.metrics?.interference?.[0]?.length ?? 0) === 1200, null, { timeout: 30000 });
  const r = await page.evaluate(() => {
    const panel = document.querySelector('#panel-interference').getBoundingClientRect();
    const canvas = [...document.querySelectorAll('#panel-interference canvas')].pop().getBoundingClientRect();
    return { panelW: panel.width, w: canvas.width, h: canvas.height };
  });
  // before: one pixel per cell, a 1236 px tall panel cut at its width (columns past ~400 hidden)
  assert.ok(r.w <= r.panelW && r.h < 600, JSON.stringify(r));
  assert.deepEqual(log.errors, []);
  await page.close();
});

test('PNG export draws a word the browser broke across lines where each part shows', { skip }, async () => {
  const { page, log } = await open();
  const drawn = await page.evaluate(async () => {
    const { viewToPNG } = await import('./js/views/colormap.js');
    const box = document.createElement('div');
    // narrow enough that "(0–100" breaks after its dash, as Table 1's header did
    box.style.cssText = 'position:absolute;left:0;top:0;width:2em;font:16px sans-serif;background:#fff';
    box.textContent = 'share (0–100 %)';
    document.body.append(box);
    const calls = [], fillText = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (s, x, y) { calls.push({ s, x, y }); return fillText.call(this, s, x, y); };
    try { viewToPNG(box); } finally { CanvasRenderingContext2D.prototype.fillText = fillText; box.remove(); }
    return calls;
  });
  const texts = drawn.map((c) => c.s);
  assert.ok(texts.includes('share') && texts.includes('%)'), JSON.stringify(texts));
  // before: the broken word was drawn whole at the middle of both its lines' box
  assert.ok(!texts.includes('(0–100'), JSON.stringify(texts));
  const chars = drawn.filter((c) => c.s.length === 1);
  assert.equal(chars.map((c) => c.s).join(''), '(0–100');
  const lineOf = (ch) => chars.find((c) => c.s === ch).y;
  assert.ok(lineOf('1') > lineOf('('), `the part after the dash is on a lower line: ${JSON.stringify(chars)}`);
  assert.deepEqual(log.errors, []);
  await page.close();
});

test('fig5 xavier draws at least two router regions; Step trains one step', { skip }, async () => {
  const { page, log } = await open('?preset=fig5-xavier');
  const regions = await hook(page, 'regions');
  assert.ok(regions && regions.grid > 10, 'regions sent for n = 2');
  assert.ok(new Set(regions.cells.filter((c) => c >= 0)).size >= 2, 'at least two experts own a region');
  await page.click('#btn-step');
  await page.waitForFunction(() => document.body.dataset.step === '1', null, { timeout: 10000 });
  await trainToEnd(page);
  assert.ok(await canvasColours(page, '#view-regions canvas.tm-regions-canvas', 0.02) >= 2, 'two region colours drawn');
  assert.match(await page.locator('#notes').textContent(), /router will not learn/i);
  await shot(page, 'preset-fig5-xavier.png');
  await docShot(page, 'lab-fig5.png');
  assert.deepEqual(log.errors, []);
  await page.close();
  await phoneShot('?preset=fig5-xavier', 'preset-fig5-xavier-390.png');
});

test('every other preset trains (screenshots)', { skip }, async () => {
  for (const id of PRESET_IDS.filter((p) => p !== 'fig1' && p !== 'fig5-xavier')) {
    const fig5 = id.startsWith('fig5');
    const { page, log } = await open(`?preset=${id}${fig5 ? '' : '&steps=2500'}`);
    await trainToEnd(page);
    const snap = await hook(page, 'snapshot');
    assert.ok(Number.isFinite(snap.loss) && snap.loss < 0.5, `${id}: loss ${snap.loss}`);
    assert.equal(snap.metrics.norms.length, snap.config.experts);
    await shot(page, `preset-${id}.png`);
    assert.deepEqual(log.errors, [], id);
    await page.close();
  }
});

test('a URL round trip restores the state, and the same seed gives the same run', { skip }, async () => {
  const q = '?preset=fig2&batch=256&steps=60&lr=0.002&seed=7&data_rng=xoshiro&views=loss,norms&speed=fast';
  const a = await open(q);
  const stateA = await hook(a.page, 'state');
  assert.equal(stateA.preset, 'fig2');
  assert.equal(stateA.config.seed, 7);
  assert.equal(stateA.config.data_rng, 'xoshiro');
  assert.equal(await a.page.locator('#f-data_rng').inputValue(), 'xoshiro');
  assert.match(await a.page.locator('body').innerText(), /Other draws than the presets/);
  assert.equal(stateA.config.lr, 0.002);
  assert.deepEqual(stateA.views, ['loss', 'norms']);
  assert.equal(await a.page.locator('#panel-interference').isVisible(), false);
  // A control change lands in the URL (history.replaceState).
  await a.page.fill('#f-seed', '11');
  await a.page.press('#f-seed', 'Enter');
  await a.page.waitForFunction(() => new URLSearchParams(location.search).get('seed') === '11');
  await a.page.click('#btn-copy-link');
  const link = await a.page.inputValue('#share-output');
  assert.ok(link.startsWith(server.url), link);
  await trainToEnd(a.page);
  const runA = await hook(a.page, 'snapshot');

  const b = await open(link.slice(server.url.length));
  const stateB = await hook(b.page, 'state');
  assert.deepEqual(stateB, { ...stateA, config: { ...stateA.config, seed: 11 } });
  assert.deepEqual(await b.page.locator('#f-lr').inputValue(), '0.002');
  assert.equal(await b.page.locator('#f-data_rng').inputValue(), 'xoshiro');
  await trainToEnd(b.page);
  const runB = await hook(b.page, 'snapshot');
  assert.deepEqual(Array.from(runB.lossHistory.values), Array.from(runA.lossHistory.values), 'same seed, same losses');
  assert.deepEqual(a.log.errors, []);
  assert.deepEqual(b.log.errors, []);
  await a.page.close();
  await b.page.close();
});

test('embed mode shows only the chosen view; the embed code points at it', { skip }, async () => {
  for (const id of VIEW_IDS) {
    const { page, log } = await open(`?preset=fig5-xavier&steps=300&embed=1&view=${id}`, { width: 640, height: 480 });
    const visible = await page.evaluate(() => Array.from(document.querySelectorAll('.panel'))
      .filter((p) => p.offsetParent !== null).map((p) => p.dataset.view));
    assert.deepEqual(visible, [id]);
    for (const sel of ['#config-form', '#preset', '#btn-reset', '#btn-export-run', '.topbar']) {
      assert.equal(await page.locator(sel).isVisible(), false, `${sel} hidden in embed mode`);
    }
    assert.ok(await page.locator('#btn-train').isVisible());
    const href = await page.getAttribute('#open-full', 'href');
    assert.ok(!href.includes('embed=1') && href.includes('preset=fig5-xavier'), href);
    if (id === 'regions') {
      await trainToEnd(page);
      await page.screenshot({ path: path.join(SHOTS, 'embed-regions.png') });
    }
    assert.deepEqual(log.errors, [], id);
    await page.close();
  }
  const { page } = await open('?preset=fig1&seed=3');
  await page.selectOption('#embed-view', 'interference');
  await page.click('#btn-copy-embed');
  const snippet = await page.inputValue('#share-output');
  const m = /^<iframe src="([^"]+)" width="\d+" height="\d+" title="[^"<>]+" loading="lazy"><\/iframe>$/.exec(snippet);
  assert.ok(m, snippet);
  const src = new URL(m[1].replace(/&amp;/g, '&'));
  assert.equal(src.searchParams.get('embed'), '1');
  assert.equal(src.searchParams.get('view'), 'interference');
  assert.equal(src.searchParams.get('seed'), '3');
  await page.close();
});

test('an embedded lab obeys postMessage commands and validates them', { skip }, async () => {
  const page = await context.newPage();
  const hostURL = `${server.url}__host.html`;
  await page.route(hostURL, (r) => r.fulfill({ contentType: 'text/html',
    body: '<!doctype html><iframe id="lab" src="/?preset=fig5-xavier&steps=200&embed=1&view=loss" width="600" height="400"></iframe>' }));
  await page.goto(hostURL);
  const frame = page.frame({ url: /embed=1/ });
  await frame.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
  await page.evaluate(() => document.getElementById('lab').contentWindow.postMessage(
    { toymoe: 1, action: 'set', state: { config: { seed: 4, n: -1, k: '<script>alert(1)</script>' }, evil: 1 } }, '*'));
  await frame.waitForFunction(() => window.__toymoe.state.config.seed === 4);
  const msgs = await frame.evaluate(() => window.__toymoe.messages);
  assert.ok(msgs.some((t) => t.startsWith('n:')) && msgs.some((t) => t.startsWith('k:')), msgs.join(' | '));
  assert.ok(msgs.some((t) => t === "message: unknown parameter 'evil' ignored"), msgs.join(' | '));
  const state = await frame.evaluate(() => window.__toymoe.state);
  assert.equal(state.preset, 'fig5-xavier', 'set changes only what it names');
  assert.equal(state.config.n, 2);
  assert.equal(state.config.steps, 200);
  assert.equal(await frame.evaluate(() => document.querySelectorAll('script').length), 2);
  await page.evaluate(() => document.getElementById('lab').contentWindow.postMessage({ toymoe: 1, action: 'train' }, '*'));
  await frame.waitForFunction(() => document.body.dataset.status === 'finished', null, { timeout: 30000 });
  await page.close();
});

test('messages a host sends on the iframe\'s load event, before the lab is ready, are carried out', { skip }, async () => {
  const page = await context.newPage();
  const hostURL = `${server.url}__host-early.html`;
  await page.route(hostURL, (r) => r.fulfill({ contentType: 'text/html',
    body: '<!doctype html><iframe id="lab" src="/?preset=fig5-xavier&steps=100&embed=1&view=loss" width="600" height="400" ' +
      'onload="this.contentWindow.postMessage({toymoe: 1, action: \'set\', state: {config: {seed: 7}}}, \'*\'); ' +
      'this.contentWindow.postMessage({toymoe: 1, action: \'train\'}, \'*\')"></iframe>' }));
  await page.goto(hostURL);
  const frame = page.frame({ url: /embed=1/ });
  await frame.waitForFunction(() => document.body.dataset.status === 'finished', null, { timeout: 30000 });
  assert.equal(await frame.evaluate(() => window.__toymoe.state.config.seed), 7);
  // a train message after a non-finite stop is refused like the disabled button: still usable
  await page.evaluate(() => document.getElementById('lab').contentWindow.postMessage(
    { toymoe: 1, action: 'set', state: { config: { lr: 10, weight_decay: 10 } } }, '*'));
  await frame.waitForFunction(() => window.__toymoe.state.config.lr === 10 && document.body.dataset.status === 'idle');
  await page.evaluate(() => document.getElementById('lab').contentWindow.postMessage({ toymoe: 1, action: 'train' }, '*'));
  await frame.waitForFunction(() => document.body.dataset.status === 'nonfinite', null, { timeout: 30000 });
  await page.evaluate(() => document.getElementById('lab').contentWindow.postMessage({ toymoe: 1, action: 'train' }, '*'));
  await page.waitForTimeout(300);
  assert.equal(await frame.evaluate(() => document.body.dataset.status), 'nonfinite');
  await page.evaluate(() => document.getElementById('lab').contentWindow.postMessage({ toymoe: 1, action: 'reset' }, '*'));
  await frame.waitForFunction(() => document.body.dataset.status === 'idle', null, { timeout: 30000 });
  await page.close();
});

test('a run exported as JSON (and CSV) loads back with its weights; bad files are refused', { skip }, async () => {
  const { page, log } = await open('?preset=fig2&steps=400');
  await trainToEnd(page);
  const before = await hook(page, 'snapshot');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toymoe-run-'));
  const save = async (button) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    const file = path.join(dir, dl.suggestedFilename());
    await dl.saveAs(file);
    return file;
  };
  const runPath = await save('#btn-export-run');
  const run = JSON.parse(fs.readFileSync(runPath, 'utf8'));
  assert.equal(run.format, 'toymoe-run');
  assert.equal(run.step, 400);
  assert.equal(run.seed, run.config.seed);
  assert.equal(run.params.W.length, 3 * 20 * 2);
  assert.equal(run.params.router.length, 3 * 20);
  assert.equal(run.lossHistory.values.length, 400);
  const metricsCsv = fs.readFileSync(await save('#btn-export-metrics-csv'), 'utf8').trim().split('\n');
  assert.match(metricsCsv[0], /^expert,feature,norm,polysemanticity/);
  assert.equal(metricsCsv.length, 1 + 60 + 3);
  const weightsCsv = fs.readFileSync(await save('#btn-export-weights-csv'), 'utf8').trim().split('\n');
  assert.equal(weightsCsv[0], 'expert,feature,W_0,W_1,b,router');
  assert.equal(weightsCsv.length, 61);
  const metricsJson = JSON.parse(fs.readFileSync(await save('#btn-export-metrics-json'), 'utf8'));
  assert.equal(metricsJson.metrics.norms.length, 3);
  await page.close();

  // Load into a fresh page on another preset.
  const b = await open('?preset=fig1');
  await b.page.setInputFiles('#load-run', runPath);
  await b.page.waitForFunction(() => window.__toymoe.state.preset === 'fig2' && window.__toymoe.snapshot?.step === 400);
  const loaded = await hook(b.page, 'snapshot');
  assert.deepEqual(loaded.config, run.config);
  for (let e = 0; e < 3; e++) {
    for (let i = 0; i < 20; i++) assert.ok(Math.abs(loaded.metrics.norms[e][i] - before.metrics.norms[e][i]) < 1e-6);
  }
  assert.equal(loaded.status, 'finished');
  assert.equal(loaded.lossHistory.values.length, 400);
  assert.match(new URL(b.page.url()).search, /preset=fig2/);

  // Losses a float32 sum of squares cannot be: refused, the weights still load.
  const oddHistory = path.join(dir, 'odd-history.json');
  fs.writeFileSync(oddHistory, JSON.stringify({ ...run, lossHistory: { stride: 1, values: [0.5, 1e308, -5] } }));
  await b.page.setInputFiles('#load-run', oddHistory);
  await b.page.waitForFunction(() => window.__toymoe.messages.some((t) => t.startsWith('file: lossHistory must be')));

  // A hostile file: bad sizes, markup in fields, weights of the wrong length.
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ format: 'toymoe-run', preset: '<img src=x onerror=alert(1)>',
    config: { n: -4, k: 99, experts: 2, importance: '<script>alert(1)</script>', bogus: 'javascript:alert(1)' },
    params: { W: [1, 2, 3], b: 'x', router: null }, step: -1 }));
  await b.page.setInputFiles('#load-run', bad);
  await b.page.waitForFunction(() => window.__toymoe.messages.some((t) => t.startsWith('file: unknown parameter')));
  const msgs = await hook(b.page, 'messages');
  for (const needle of ['preset:', 'n:', 'importance:', 'k:']) assert.ok(msgs.some((t) => t.includes(needle)), `${needle} in ${msgs.join(' | ')}`);
  const state = await hook(b.page, 'state');
  assert.equal(state.preset, 'fig1');
  assert.ok(state.config.k <= state.config.experts);
  assert.equal(await b.page.evaluate(() => document.querySelectorAll('script, img, iframe').length), 2);
  assert.equal(await b.page.evaluate(() => document.documentElement.outerHTML.includes('<img src=x')), false);
  const notJson = path.join(dir, 'not.json');
  fs.writeFileSync(notJson, '{"format": "toymoe-run", ');
  await b.page.setInputFiles('#load-run', notJson);
  await b.page.waitForFunction(() => window.__toymoe.messages.some((t) => t.startsWith('file: not valid JSON')));
  assert.deepEqual(log.errors, []);
  assert.deepEqual(b.log.errors, []);
  assert.deepEqual(b.log.dialogs, []);
  await b.page.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('hostile URLs produce a message naming the field, fall back to a valid state, inject nothing', { skip }, async () => {
  const cases = [
    ['?n=-3', 'n:'],
    ['?experts=2&k=5', 'k:'],
    ['?n=100000', 'n:'],
    ['?n=4096&m=4096&batch=65536', 'config:'],
    ['?importance=%3Cscript%3Ealert(1)%3C%2Fscript%3E', 'importance:'],
    ['?%3Cscript%3Ealert(1)%3C%2Fscript%3E=1', 'unknown parameter'],
    ['?x=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E', 'unknown parameter'],
    ['?preset=javascript:alert(1)', 'preset:'],
    ['?embed=1&view=javascript:alert(document.cookie)', 'view:'],
    ['?views=loss,%3Cscript%3E', 'views:'],
    ['?embed=%22%3E%3Cscript%3E', 'embed:'],
    ['?seed=1e400&lr=NaN', 'seed:'],
    ['?p=0&bias_init=%00', 'p:'],
  ];
  const page = await context.newPage();
  const dialogs = [];
  const errors = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.on('pageerror', (e) => errors.push(e.message));
  for (const [q, needle] of cases) {
    await page.goto(server.url + q);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
    const msgs = await hook(page, 'messages');
    assert.ok(msgs.some((t) => t.includes(needle)), `${q}: expected '${needle}' in ${msgs.join(' | ')}`);
    const r = await page.evaluate(() => ({
      scripts: document.querySelectorAll('script').length,
      injected: document.querySelectorAll('img, iframe, object, embed, a[href^="javascript"]').length,
      raw: /<script>alert|<img src=x/i.test(document.documentElement.outerHTML),
      search: location.search,
      config: window.__toymoe.state.config,
    }));
    assert.equal(r.scripts, 2, `${q}: only the page's two script elements`);
    assert.equal(r.injected, 0, `${q}: no injected elements`);
    assert.equal(r.raw, false, `${q}: the value is text, not markup`);
    assert.doesNotMatch(decodeURIComponent(r.search), /script|javascript|onerror/, `${q}: the URL was cleaned`);
    assert.ok(r.config.n >= 1 && r.config.n <= 4096 && r.config.k <= r.config.experts, `${q}: valid config`);
    await page.waitForFunction(() => window.__toymoe.snapshot !== null, null, { timeout: 30000 });
  }
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a non-finite loss pauses training and names lr and weight_decay', { skip }, async () => {
  const { page } = await open('?preset=fig1&lr=10&weight_decay=10');
  await page.click('#btn-train');
  await page.waitForFunction(() => document.body.dataset.status === 'nonfinite', null, { timeout: 30000 });
  const msgs = await hook(page, 'messages');
  assert.ok(msgs.some((t) => /non-finite/.test(t) && /\blr\b/.test(t) && /weight_decay/.test(t)), msgs.join(' | '));
  assert.ok(await page.locator('#btn-train').isDisabled());
  assert.match(await page.getAttribute('#f-lr', 'class'), /attention/);
  // the diverged run exports without metrics: its weights and loss history can be looked at
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.click('#btn-export-run')]);
  const runPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'toymoe-diverged-')), dl.suggestedFilename());
  await dl.saveAs(runPath);
  const run = JSON.parse(fs.readFileSync(runPath, 'utf8'));
  assert.equal(run.status, 'nonfinite');
  assert.equal(run.metrics, null);
  assert.match(run.metricsError, /^metrics: /);
  assert.ok(run.step > 0 && run.lossHistory.values.length > 0, `step ${run.step}`);
  assert.equal(run.params.W.length, run.config.experts * run.config.n * run.config.m);
  // the metrics exports say why they cannot, at once (not after the 30 s wait for an answer)
  await page.click('#btn-export-metrics-csv');
  let failed = [];
  for (let i = 0; i < 50 && !failed.length; i++) {
    await page.waitForTimeout(100);
    failed = (await hook(page, 'messages')).filter((t) => /^Export failed: metrics: /.test(t));
  }
  assert.equal(failed.length, 1, (await hook(page, 'messages')).join(' | '));
  assert.doesNotMatch(failed[0], /metrics: metrics:/);
  assert.match(await page.locator('#stat-loss').textContent(), /^loss (\d+\.\d{4}|\d\.\d{3}e[+-]\d+|NaN|Infinity|—)$/);
  await page.fill('#f-lr', '0.001');
  await page.press('#f-lr', 'Enter');
  await page.waitForFunction(() => document.body.dataset.status === 'idle');
  assert.ok(await page.locator('#btn-train').isEnabled());
  await page.close();
});

test('a crashed worker is restarted and the user is told', { skip }, async () => {
  const { page } = await open('?preset=fig5-diagonal&steps=200');
  const worker = page.workers()[0];
  assert.ok(worker, 'the training worker is running');
  await worker.evaluate(() => { setTimeout(() => { throw new Error('simulated crash'); }, 0); });
  await page.waitForFunction(() => window.__toymoe.messages.some((t) => /restarted/.test(t)), null, { timeout: 20000 });
  await waitSnapshot(page);
  await trainToEnd(page);
  assert.equal((await hook(page, 'snapshot')).step, 200);
  await page.close();
});

test('a worker stuck in one long call says so, and new settings replace it at once', { skip }, async () => {
  // n = 4096, m = 2000: its first metrics take about 9 s (they took 2 minutes on 8192 samples)
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}?n=4096&m=2000&batch=1&steps=5`);
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
  await page.waitForFunction(() => /^working… \d+ s/.test(document.getElementById('stat-rate').textContent), null, { timeout: 20000 });
  const t = Date.now();
  await page.selectOption('#preset', 'fig2');
  await page.waitForFunction(() => window.__toymoe.snapshot?.config?.n === 20 && !!window.__toymoe.snapshot?.metrics, null, { timeout: 20000 });
  // before: the create queued behind the old model's metrics
  assert.ok(Date.now() - t < 15000, `the new model came after ${Date.now() - t} ms`);
  assert.ok((await hook(page, 'messages')).some((m) => /restarted for the new ones/.test(m)));
  await page.fill('#f-steps', '300');
  await page.dispatchEvent('#f-steps', 'change');
  await waitSnapshot(page);
  await trainToEnd(page);
  assert.equal((await hook(page, 'snapshot')).step, 300);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the busy status ends with the long call, also when its answer draws nothing (an export)', { skip }, async () => {
  const page = await context.newPage();
  await page.goto(`${server.url}?n=4096&m=2000&batch=1&steps=5`);
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
  await waitSnapshot(page);
  const rate = () => page.locator('#stat-rate').textContent();
  assert.doesNotMatch(await rate(), /working/);
  // the metrics export recomputes this model's metrics: seconds without a snapshot
  const download = page.waitForEvent('download', { timeout: 60000 });
  await page.click('#btn-export-metrics-json');
  await page.waitForFunction(() => /^working…/.test(document.getElementById('stat-rate').textContent), null, { timeout: 20000 });
  await download;
  // before: 'working… N s' stayed until the next snapshot, which an idle model never sends
  await page.waitForFunction(() => !/working/.test(document.getElementById('stat-rate').textContent), null, { timeout: 3000 });
  assert.equal(await rate(), 'ready');
  await page.close();
});
