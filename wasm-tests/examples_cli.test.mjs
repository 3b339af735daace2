// The command-line examples: examples/cli/train.sh runs every single-model preset with
// exactly the config of the lab's preset (web/js/presets.js), summarize.mjs reads its
// output, and sweep.sh runs and merges a small sweep. Steps are cut down with a trailing
// --steps flag (flags after the preset name override the preset's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, CLI, HAVE_CLI, withTempDir } from './node_helpers.mjs';
import { PRESETS } from '../web/js/presets.js';

const skip = HAVE_CLI ? false : `no CLI at ${CLI}: build first`;
const env = { ...process.env, TOYMOE_CLI: CLI };
const sh = (script, args, opts = {}) => spawnSync('bash', [join(REPO, 'examples', 'cli', script), ...args],
  { encoding: 'utf8', env, maxBuffer: 1 << 26, ...opts });
const STEPS = 150;

test('train.sh --list names exactly the lab presets', { skip }, () => {
  const r = sh('train.sh', ['--list']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split(/\s+/), PRESETS.map((p) => p.id));
});

for (const preset of PRESETS) {
  test(`train.sh ${preset.id} --steps ${STEPS}: the lab preset's config, finite loss, metrics, summary`, { skip }, () => {
    const r = sh('train.sh', [preset.id, '--steps', String(STEPS), '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    for (const [name, value] of Object.entries(preset.config)) {
      if (name === 'steps') continue;
      assert.equal(out.config[name], value, `${preset.id}: ${name} is the preset's`);
    }
    assert.equal(preset.config.steps, 10000, 'presets train 10,000 steps');
    assert.equal(out.config.steps, STEPS, 'a trailing flag overrides the preset');
    assert.equal(out.status, 'ok');
    assert.equal(out.steps, STEPS);
    assert.ok(Number.isFinite(out.final_loss) && out.final_loss > 0, `final loss ${out.final_loss}`);
    const { n, experts: E } = out.config, met = out.metrics;
    assert.equal(met.norms.length, E);
    assert.equal(met.classes[0].length, n);
    assert.ok(Number.isFinite(met.fpd) && met.fpd > 0, `fpd ${met.fpd}`);
    const sum = spawnSync(process.execPath, [join(REPO, 'examples', 'cli', 'summarize.mjs')], { input: r.stdout, encoding: 'utf8' });
    assert.equal(sum.status, 0, sum.stderr);
    const lines = sum.stdout.trimEnd().split('\n');
    assert.match(lines[1], new RegExp(`^status ok, ${STEPS} steps, final loss `));
    assert.match(lines[2], /^features per dimension \d+\.\d{3}, total capacity/);
    assert.equal(lines.length, 4 + E, 'one line per expert');
    for (const line of lines.slice(4)) assert.match(line, new RegExp(`[.MS]{${n}}$`));
  });
}

test('train.sh refuses an unknown preset and a bad flag (exit 2)', { skip }, () => {
  const bad = sh('train.sh', ['fig9']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown preset 'fig9'/);
  const flag = sh('train.sh', ['fig1', '--steps', '-1']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /steps/);
});

test('sweep.sh fig3 2: two models, merged cells in CSV and JSON', { skip }, () => {
  withTempDir((dir) => {
    const r = sh('sweep.sh', ['fig3', '2', dir]);
    assert.equal(r.status, 0, r.stderr);
    const lines = readFileSync(join(dir, 'fig3.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.job), [0, 1]);
    for (const l of lines) assert.ok(l.status === 'ok' && Number.isFinite(l.final_loss) && Number.isFinite(l.fpd), JSON.stringify(l).slice(0, 200));
    const csv = r.stdout.trim().split('\n');
    assert.equal(csv.length, 3, 'header + 2 cells on stdout');
    assert.match(csv[0], /(^|,)fpd(,|$)/);
    assert.deepEqual(csv, readFileSync(join(dir, 'fig3.csv'), 'utf8').trim().split('\n'));
    const merged = JSON.parse(readFileSync(join(dir, 'fig3.json'), 'utf8'));
    assert.equal(merged.cells.length, 2);
    // Restartable: the same command again trains nothing new.
    const again = sh('sweep.sh', ['fig3', '2', dir]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(readFileSync(join(dir, 'fig3.jsonl'), 'utf8').trim().split('\n').length, 2);
  });
});
