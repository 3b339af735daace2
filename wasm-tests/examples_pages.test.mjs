// The two example pages (examples/embed-iframe.html, examples/engine-module.html), served
// from the repository root as the examples say, in Debian's Chromium (playwright-core):
// the iframe shows the lab's norms view and obeys the host page's buttons (postMessage);
// the module page imports web/js/engine.js, trains and prints a finite loss and features
// per dimension. Neither page may log a console error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium, NO_CHROMIUM } from '../scripts/chromium.mjs';
import { REPO } from './node_helpers.mjs';

const skip = NO_CHROMIUM;
let server, context, browser;

before(async () => {
  if (skip) return;
  for (const f of ['web/build/toymoe.wasm', 'web/vendor/chart.umd.js']) {
    assert.ok(fs.existsSync(path.join(REPO, f)), `${f} is missing: build first (cmake --build build)`);
  }
  browser = await launchChromium({ root: REPO, viewport: { width: 900, height: 800 }, prefix: 'toymoe-examples-' });
  ({ context, server } = browser);
});

after(() => browser?.close());

/** A page with console errors and page errors (of every frame) recorded. */
async function open(rel) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(new URL(rel, server.url).href);
  return { page, errors };
}

// Opaque, non-white pixels of every canvas in the frame's norms view.
const inkedPixels = (frame) => frame.evaluate(() => {
  let ink = 0;
  for (const c of document.querySelectorAll('#view-norms canvas')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) ink++;
  }
  return ink;
});

test('embed-iframe.html: the norms view renders in the iframe and the host buttons drive it', { skip, timeout: 60000 }, async () => {
  const { page, errors } = await open('examples/embed-iframe.html');
  await page.waitForSelector('#lab');
  const handle = await page.$('#lab');
  const frame = await handle.contentFrame();
  assert.ok(frame, 'the iframe has a frame');
  await frame.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
  await frame.waitForFunction(() => !!window.__toymoe.snapshot?.metrics, null, { timeout: 30000 });
  const s = await frame.evaluate(() => ({ state: window.__toymoe.state, embed: document.body.classList.contains('embed') }));
  assert.equal(s.embed, true, 'the lab is in embed mode');
  assert.equal(s.state.preset, 'fig1');
  assert.equal(s.state.view, 'norms');
  assert.equal(await frame.locator('#panel-norms').isVisible(), true, 'the norms panel is shown');
  assert.equal(await frame.locator('#panel-loss').count(), 0, 'no other view in embed mode');
  await frame.waitForFunction(() => document.querySelector('#view-norms .tm-placeholder')?.hidden === true, null, { timeout: 10000 });
  assert.ok(await inkedPixels(frame) > 500, 'the norms canvas has bars drawn');

  // Host buttons -> postMessage -> the embedded lab trains, pauses, takes a new seed.
  await page.click('#train');
  await frame.waitForFunction(() => window.__toymoe.snapshot?.step >= 200, null, { timeout: 30000 });
  await page.click('#pause');
  await frame.waitForFunction(() => window.__toymoe.status === 'paused', null, { timeout: 10000 });
  await page.click('#seed');
  await frame.waitForFunction(() => window.__toymoe.state.config.seed === 3 && window.__toymoe.snapshot?.step === 0,
    null, { timeout: 10000 });
  assert.deepEqual(await frame.evaluate(() => window.__toymoe.messages), [], 'no messages in the lab');
  assert.deepEqual(errors, []);
  await page.close();
});

test('engine-module.html: imports the engine, trains, prints a finite loss and FPD', { skip, timeout: 60000 }, async () => {
  const { page, errors } = await open('examples/engine-module.html?steps=400');
  await page.waitForSelector('body[data-done]', { state: 'attached', timeout: 45000 });
  const out = await page.evaluate(() => ({
    done: document.body.dataset.done,
    status: document.getElementById('status').textContent,
    steps: document.getElementById('steps').textContent,
    loss: document.getElementById('loss').textContent,
    fpd: document.getElementById('fpd').textContent,
    classes: document.getElementById('classes').textContent,
  }));
  assert.equal(out.done, '1', out.status);
  assert.match(out.status, /^done \(toymoe /);
  assert.equal(out.steps, '400');
  const loss = Number(out.loss), fpd = Number(out.fpd);
  assert.ok(Number.isFinite(loss) && loss > 0 && loss < 1, `loss ${out.loss}`);
  assert.ok(Number.isFinite(fpd) && fpd > 0 && fpd < 20 / 6 + 1, `fpd ${out.fpd}`);
  assert.equal(out.classes.split(' ').length, 20);
  assert.ok(out.classes.split(' ').every((c) => ['i', 'm', 's'].includes(c)), out.classes);
  assert.deepEqual(errors, []);
  await page.close();
});
