// Loading result files of `toymoe sweep` into the sweep page (web/sweeps.html, "Load results…"):
// the CLI's lines of a fig4 quick sweep land in IndexedDB exactly as the page's own results
// (Resume trains only what is missing, the charts draw, the export is `toymoe merge`); a
// tampered file is refused line by line with a message and nothing bad is stored; each load's
// summary is one message, not repeated in the status line. Also the
// DOM-free reader (web/js/sweeps/load.js) on jsonl, merge JSON and torn files, in Node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, NO_CHROMIUM } from '../scripts/chromium.mjs';
import { CLI, HAVE_CLI } from './node_helpers.mjs';
import { fileLines, LineReader, peekSweep, resultOf } from '../web/js/sweeps/load.js';
import { colouredShare, sw } from './page_helpers.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const WEB = path.join(REPO, 'web');
const ARTIFACTS = process.env.TOYMOE_ARTIFACTS || path.join(REPO, 'build', 'artifacts');
const skip = NO_CHROMIUM || (HAVE_CLI ? false : 'no native toymoe CLI (set TOYMOE_CLI)');

let browser, dir;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toymoe-sweeps-load-'));
  if (skip) return;
  assert.ok(fs.existsSync(path.join(WEB, 'build/toymoe.wasm')), 'web/build/toymoe.wasm is missing: build first');
  browser = await launchChromium({ root: WEB, viewport: { width: 1280, height: 900 }, acceptDownloads: true, prefix: 'toymoe-sweeps-load-' });
});

after(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** `toymoe sweep` of the first `limit` fig4 quick jobs and `toymoe merge` of them: {file, lines, json, csv}. */
function cliSweep(limit) {
  const file = path.join(dir, `fig4-${limit}.jsonl`);
  execFileSync(CLI, ['sweep', '--quiet', '--preset', 'fig4', '--fidelity', 'quick', '--limit', String(limit), '--out', file]);
  const json = path.join(dir, `m${limit}.json`), csv = path.join(dir, `m${limit}.csv`);
  execFileSync(CLI, ['merge', '--json', json, '--csv', csv, file]);
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return { file, lines, json: fs.readFileSync(json, 'utf8'), csv: fs.readFileSync(csv, 'utf8') };
}

const readIDB = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const req = indexedDB.open('toymoe-sweeps');
  req.onerror = () => reject(req.error);
  req.onsuccess = () => {
    const db = req.result;
    const get = db.transaction('results').objectStore('results').getAll();
    get.onsuccess = () => { resolve(get.result.map((r) => ({ preset: r.preset, fidelity: r.fidelity, job: r.job, line: r.line }))); db.close(); };
    get.onerror = () => reject(get.error);
  };
}));


async function load(page, files) {
  const seq = (await sw(page, 'lastLoad'))?.seq ?? 0;
  const shown = (await sw(page, 'messages')).length;
  await page.setInputFiles('#load-files', files);
  await page.waitForFunction((n) => window.__sweeps.lastLoad?.seq > n && !window.__sweeps.importing, seq, { timeout: 30000 });
  const sum = await sw(page, 'lastLoad');
  await summaryOnce(page, shown);
  return sum;
}

/** A load adds one message, its summary, and the page holds that text once: not also in the
 * status line under the button, which shows the reading progress and is empty afterwards. */
async function summaryOnce(page, shown) {
  const msgs = await sw(page, 'messages');
  assert.equal(msgs.length, Math.min(8, shown + 1), `one message per load: ${msgs.join(' | ')}`);
  const text = msgs.at(-1);
  assert.match(text, /Loaded \d+ results? from \d+ files?/);
  assert.equal(await page.locator('#load-status').textContent(), '', 'the status line is cleared when the load ends');
  const copies = await page.evaluate((t) => document.body.textContent.split(t).length - 1, text);
  assert.equal(copies, 1, 'the summary is on the page once');
}


// ------------------------------------------------------------------------------------------

test('the reader: jsonl lines, merge JSON models, torn last line, first checks', async () => {
  const line = (job, preset = 'fig4') => `{"preset":"${preset}","fidelity":"quick","job":${job},"cell":0}`;
  const read = async (text) => {
    const out = [], r = new LineReader();
    for await (const batch of fileLines(new Blob([text]))) for (const l of batch) out.push({ ...r.take(l.no, l.text), last: l.last });
    return out.filter((x) => !x.skip);
  };
  assert.deepEqual(await read(`${line(0)}\r\n\n${line(1)}\n${line(2).slice(0, 20)}`),
    [{ no: 1, text: line(0), last: false }, { no: 3, text: line(1), last: false }, { no: 4, text: line(2).slice(0, 20), last: true }]);
  const merged = `{"preset":"fig4","fidelity":"quick","jobs_total":1728,"models_done":2,"models":[\n${line(0)},\n${line(1)}\n],"cells":[\n{"runs":2}\n]}\n`;
  assert.deepEqual((await read(merged)).map((x) => x.text), [line(0), line(1)]);
  assert.deepEqual(await peekSweep(new Blob([merged])), { preset: 'fig4', fidelity: 'quick' });
  assert.equal(await peekSweep(new Blob(['garbage\n<img src=x>\n'])), null);
  const sweep = { preset: 'fig4', fidelity: 'quick', total: 1728 };
  assert.deepEqual(resultOf(line(7), sweep), { job: 7 });
  assert.match(resultOf(line(7, 'fig3'), sweep).why, /^a fig3 quick result, not fig4 quick$/);
  assert.match(resultOf(line(7, '<b>x</b>'), sweep).why, /^a result of another sweep/);
  assert.match(resultOf(line(99999), sweep).why, /not in this sweep/);
  assert.match(resultOf('<img src=x>', sweep).why, /not a JSON object/);
});

test('CLI lines load into the page like its own results; a tampered file is refused line by line', { skip }, async () => {
  const cli = cliSweep(14);
  const first = path.join(dir, 'first12.jsonl');
  fs.writeFileSync(first, `${cli.lines.slice(0, 12).join('\n')}\n`);
  const page = await browser.context.newPage();
  const errors = [], dialogs = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  // The page shows fig3: the file's sweep (fig4 quick) is selected by the load.
  await page.goto(`${browser.server.url}sweeps.html?preset=fig3&fidelity=quick&limit=13&workers=1`);
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 60000 });
  const sum = await load(page, first);
  assert.equal(sum.switched, 'fig4 quick');
  assert.deepEqual([sum.added, sum.duplicates, sum.invalid, sum.torn], [12, 0, 0, 0]);
  assert.deepEqual([await sw(page, 'preset'), await sw(page, 'fidelity'), await sw(page, 'done')], ['fig4', 'quick', 12]);
  // the CLI's default stream is pcg32, not fig4's own on this page: the URL says it
  assert.match(page.url(), /\?preset=fig4&fidelity=quick&data_rng=pcg32&limit=13&workers=1$/);
  assert.ok((await sw(page, 'messages')).some((t) => /^Switched to the fig4 quick sweep.*Loaded 12 results from 1 file/.test(t)));
  const stored = await readIDB(page);
  assert.deepEqual(stored.map((r) => [r.preset, r.fidelity, r.job]), cli.lines.slice(0, 12).map((_, j) => ['fig4', 'quick', j]));
  stored.forEach((r) => assert.equal(r.line, cli.lines[r.job], `job ${r.job} stored as the CLI wrote it`));
  await page.waitForFunction(() => document.body.dataset.drawn === '12', null, { timeout: 10000 });
  assert.ok(await colouredShare(page, '#view-fig4 canvas') > 0.001, 'phase cells are coloured');
  assert.ok(await colouredShare(page, '#view-fig8 canvas') > 0.0002, 'a box is drawn');
  const m12 = cliSweep(12);
  assert.deepEqual(await page.evaluate(() => window.__sweeps.exportMerge()), { json: m12.json, csv: m12.csv }, 'export = toymoe merge of the file');
  // Resume trains only the job still missing (13 planned).
  assert.equal(await page.locator('#btn-start').textContent(), 'Resume');
  await page.click('#btn-start');
  await page.waitForFunction(() => document.body.dataset.status === 'done', null, { timeout: 60000 });
  assert.deepEqual(await sw(page, 'computed'), [12]);

  // Tampered lines of jobs 0..4 and junk; job 12 again (the page trained it: a duplicate);
  // job 13, valid (beyond the page's limit); a torn last line.
  const t = (j, from, to) => { const s = cli.lines[j].replace(from, to); assert.notEqual(s, cli.lines[j]); return s; };
  const tampered = [
    cli.lines[0].slice(0, 60),                                                     // 1: torn (before a restart's lines)
    `${t(0, '"preset":"fig4"', '"preset":"fig3"')}\r`,                            // 2: another preset (a CRLF line)
    t(1, '"arch":"2x1-E1"', '"arch":"<img src=x onerror=alert(1)>"'),              // 3: HTML in a string field
    t(2, /"final_loss":[^,]+/, '"final_loss":"<b>0.1</b>"'),                       // 4: HTML / wrong type
    t(3, '"steps_done":1500', '"steps_done":"1500"'),                              // 5: wrong type
    t(4, /"W":\[[^\]]*\]/, '"W":["1","2"]'),                                       // 6: wrong types in weights
    '<script>alert(1)</script>',                                                   // 7
    cli.lines[12],                                                                 // 8: duplicate of a stored job
    cli.lines[13],                                                                 // 9: new
    cli.lines[13].slice(0, 200),                                                   // 10: torn (last, no newline)
  ].join('\n');
  const bad = path.join(dir, 'tampered.jsonl');
  fs.writeFileSync(bad, tampered);
  const sum2 = await load(page, bad);
  assert.deepEqual([sum2.added, sum2.duplicates, sum2.invalid, sum2.torn, sum2.beyondLimit], [1, 1, 6, 2, 1], JSON.stringify(sum2));
  const msg = (await sw(page, 'messages')).at(-1);
  assert.match(msg, /Loaded 1 result from 1 file/);
  assert.match(msg, /1 line was a job already stored or given twice: the stored \(first\) result was kept/);
  assert.match(msg, /6 lines were refused and not stored \(line 2: a fig3 quick result, not fig4 quick; line 3: not a result of this job in the current plan; line 4: final_loss missing or not finite; line 5: steps_done missing or not finite; line 6: [^;]+; …\)/);
  assert.match(msg, /2 unfinished lines were ignored \(a shard stopped mid-write\)/);
  const after = await readIDB(page);
  assert.deepEqual(after.map((r) => r.job), [...Array(14).keys()]);
  after.forEach((r) => assert.equal(r.line, cli.lines[r.job], `job ${r.job}: nothing tampered was stored`));
  assert.equal(await page.evaluate(() => document.querySelectorAll('img, b, script:not([src])').length), 0);
  // Still usable: the export is the CLI's merge of all 14 jobs, and loading again only finds duplicates.
  assert.deepEqual(await page.evaluate(() => window.__sweeps.exportMerge()), { json: cli.json, csv: cli.csv });
  await page.waitForFunction(() => document.body.dataset.drawn === '14', null, { timeout: 10000 });
  const sum3 = await load(page, cli.file);
  assert.deepEqual([sum3.added, sum3.duplicates, sum3.invalid], [0, 14, 0]);
  assert.equal(await page.locator('#btn-start').textContent(), 'Finished');
  assert.ok(!(await page.locator('#btn-load').isDisabled()));
  fs.mkdirSync(path.join(ARTIFACTS, 'screenshots'), { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'screenshots', 'sweeps-load-fig4-quick.png'), fullPage: true });
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.close();
});
