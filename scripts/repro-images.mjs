#!/usr/bin/env node
// Images for docs/reproduction.md, made by the lab itself: each single-model
// paper preset is trained to the end in headless Chromium and its views are
// saved as element screenshots under docs/img/repro/.
//   node scripts/repro-images.mjs [--only fig1,fig5-xavier]   (build first: bash scripts/test.sh)
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from './chromium.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const OUT = path.join(ROOT, 'docs', 'img', 'repro');
const { values: args } = parseArgs({ options: { only: { type: 'string' } } });
const SHOTS = {  // preset -> views to save
  fig1: ['norms', 'interference'], 'fig1-zero-bias': ['norms'], fig2: ['norms', 'interference'],
  'fig5-zero': ['regions'], 'fig5-xavier': ['regions'], 'fig5-diagonal': ['regions'],
  fig6a: ['norms'], fig6b: ['norms'], fig6c: ['norms'],
};
const wanted = args.only ? args.only.split(',') : Object.keys(SHOTS);

fs.mkdirSync(OUT, { recursive: true });
const { context, server, close } = await launchChromium({
  root: path.join(ROOT, 'web'), viewport: { width: 1280, height: 900 }, prefix: 'toymoe-repro-',
});
try {
  for (const preset of wanted) {
    const page = await context.newPage();
    await page.goto(`${server.url}?preset=${encodeURIComponent(preset)}`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30000 });
    const t0 = Date.now();
    await page.click('#btn-train');
    await page.waitForFunction(() => window.__toymoe.snapshot?.status === 'finished', null, { timeout: 600000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const loss = await page.evaluate(() => window.__toymoe.snapshot.loss);
    for (const view of SHOTS[preset]) {
      const file = path.join(OUT, `${preset}-${view}.png`);
      await page.locator(`#view-${view}`).screenshot({ path: file });
      console.log(`${path.relative(ROOT, file)}  (trained in ${((Date.now() - t0) / 1000).toFixed(1)} s, final loss ${loss.toPrecision(3)})`);
    }
    await page.close();
  }
} finally {
  await close();
}
