#!/usr/bin/env node
// The sweeps page's own time estimate for every preset and fidelity (2 workers, Chromium,
// a fresh profile): it times a few training steps of each architecture, as a user sees it.
//   node scripts/sweep-estimates.mjs   (build first)
import path from 'node:path';
import { launchChromium } from './chromium.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { context, server, close } = await launchChromium({ root: path.join(ROOT, 'web') });
try {
  for (const fidelity of ['quick', 'paper']) {
    // fig4 as the page starts it (xoshiro) and on pcg32
    for (const [preset, stream] of [['fig3', ''], ['fig4', ''], ['fig4', 'pcg32'], ['table1', '']]) {
      const page = await context.newPage();
      await page.goto(`${server.url}sweeps.html?preset=${preset}&fidelity=${fidelity}&workers=2${stream ? `&data_rng=${stream}` : ''}`);
      await page.waitForFunction(() => /about /.test(document.getElementById('sweep-estimate')?.textContent ?? ''), null,
        { timeout: 300000, polling: 500 });
      const plan = (await page.locator('#sweep-plan').textContent()).trim().replace(/\s+/g, ' ');
      const est = (await page.locator('#sweep-estimate').textContent()).trim().replace(/\s+/g, ' ');
      const sweep = await page.evaluate(() => window.__sweeps.fidelity);
      console.log(`${preset} ${sweep}: ${plan}\n  ${est}`);
      await page.close();
    }
  }
} finally {
  await close();
}
