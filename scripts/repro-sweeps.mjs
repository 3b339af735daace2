#!/usr/bin/env node
// Images for docs/reproduction.md from the browser's own sweeps: each preset is run in
// web/sweeps.html (a fresh profile, the worker pool, quick fidelity by default) and its
// charts are saved under docs/img/sweeps/, with the wall time printed.
//   node scripts/repro-sweeps.mjs [--presets fig3,fig4,table1] [--fidelity quick]   (build first)
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from './chromium.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const OUT = path.join(ROOT, 'docs', 'img', 'sweeps');
const { values: args } = parseArgs({ options: { presets: { type: 'string', default: 'fig3,fig4,table1' },
  fidelity: { type: 'string', default: 'quick' } } });

fs.mkdirSync(OUT, { recursive: true });
const { context, server, close } = await launchChromium({ root: path.join(ROOT, 'web'), viewport: { width: 1280, height: 900 } });
try {
  for (const preset of args.presets.split(',')) {
    const page = await context.newPage();
    await page.goto(`${server.url}sweeps.html?preset=${preset}&fidelity=${args.fidelity}`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 60000 });
    await page.waitForSelector('#btn-start:not([disabled])', { timeout: 120000 });
    const t0 = Date.now();
    await page.click('#btn-start');
    await page.waitForFunction(() => document.body.dataset.status === 'done', null, { timeout: 3600000, polling: 1000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    // The sticky run bar would cover the top of a scrolled-to panel in the screenshots.
    await page.evaluate(() => document.querySelectorAll('*').forEach((e) => {
      if (getComputedStyle(e).position === 'sticky') e.style.position = 'static';
    }));
    const charts = page.locator('#charts > section[data-chart]');  // one panel per chart, with its title
    const count = await charts.count();
    for (let i = 0; i < count; i++) {
      const file = path.join(OUT, `${preset}-${args.fidelity}-${i + 1}.png`);
      await charts.nth(i).screenshot({ path: file });
      console.log(path.relative(ROOT, file));
    }
    console.log(`${preset} ${args.fidelity}: ${((Date.now() - t0) / 1000).toFixed(1)} s wall in the page`);
    await page.close();
  }
} finally {
  await close();
}
