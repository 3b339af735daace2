// toymoe sweep / merge: sharding under GNU parallel gives the same merged
// results as one process, a sweep restarts where it stopped, and the paper's
// qualitative findings hold at quick fidelity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, HAVE_CLI, withTempDir } from './node_helpers.mjs';

const sweep = (args) => execFileSync(CLI, ['sweep', '--quiet', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
const merge = (dir, name, files) => {
  execFileSync(CLI, ['merge', '--json', join(dir, `${name}.json`), '--csv', join(dir, `${name}.csv`), ...files]);
  return { json: readFileSync(join(dir, `${name}.json`), 'utf8'), csv: readFileSync(join(dir, `${name}.csv`), 'utf8') };
};
const lines = (file) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const skip = !HAVE_CLI && 'no native CLI';

test('3 shards under GNU parallel merge to exactly the unsharded result', { skip }, () => withTempDir((dir) => {
  const common = ['--preset', 'fig4', '--fidelity', 'quick', '--limit', '24'];
  sweep([...common, '--out', join(dir, 'all.jsonl')]);
  execFileSync('parallel', ['--will-cite', '-j3', CLI, 'sweep', '--quiet', ...common, '--shard', '{}/3',
    '--out', join(dir, 'shard{}.jsonl'), ':::', '1', '2', '3']);
  const shards = [1, 2, 3].map((i) => join(dir, `shard${i}.jsonl`));
  shards.forEach((f, i) => assert.equal(lines(f).length, 8, `shard ${i + 1} holds its 8 jobs`));
  const one = merge(dir, 'one', [join(dir, 'all.jsonl')]), three = merge(dir, 'three', shards);
  assert.equal(three.json, one.json);
  assert.equal(three.csv, one.csv);
  const merged = JSON.parse(one.json);
  assert.equal(merged.models_done, 24);
  assert.equal(merged.cells.length, 8);  // 3 runs per cell, best kept
  for (const cell of merged.cells) {
    const runs = merged.models.filter((m) => m.cell === cell.cell).map((m) => m.final_loss);
    assert.equal(cell.final_loss, Math.min(...runs));
  }
}));

test('a sweep restarts where it stopped and refuses another sweep\'s file', { skip }, () => withTempDir((dir) => {
  const out = join(dir, 'r.jsonl'), common = ['--preset', 'fig3', '--fidelity', 'quick', '--jobs', '9,19,29,39'];
  sweep([...common, '--limit', '20', '--out', out]);  // jobs 9 and 19 only
  assert.deepEqual(lines(out).map((l) => l.job), [9, 19]);
  sweep([...common, '--out', out]);                    // then the rest, without redoing 9 and 19
  assert.deepEqual(lines(out).map((l) => l.job), [9, 19, 29, 39]);
  assert.throws(() => sweep(['--preset', 'fig4', '--fidelity', 'quick', '--limit', '1', '--out', out]),
    (e) => /holds results of another sweep/.test(String(e.stderr)));
}));

test('a torn last line is redone; results of xoshiro layout 1 are refused, not mixed in', { skip }, () => withTempDir((dir) => {
  const whole = join(dir, 'whole.jsonl'), torn = join(dir, 'torn.jsonl'), old = join(dir, 'old.jsonl');
  const args = ['--preset', 'fig4', '--fidelity', 'quick', '--data-rng', 'xoshiro', '--jobs', '0-1'];
  sweep([...args, '--out', whole]);
  const text = readFileSync(whole, 'utf8'), [first, second] = text.trim().split('\n');
  assert.equal(JSON.parse(first).xoshiro_layout, 2);
  // an interrupted write: job 1's line cut short, no newline after it
  writeFileSync(torn, `${first}\n${second.slice(0, 300)}`);
  sweep([...args, '--out', torn]);
  const after = readFileSync(torn, 'utf8').split('\n');
  assert.equal(after.length, 4, 'the torn line stays, job 1 is trained again on a line of its own');
  assert.equal(after[2], second, 'the same seed, the same result');
  assert.equal(merge(dir, 'torn', [torn]).json, merge(dir, 'whole', [whole]).json, 'merge skips the torn line');
  // the lines layout 1 wrote: the same jobs without the layout
  writeFileSync(old, text.replaceAll('"xoshiro_layout":2,', ''));
  const older = (e) => /older version wrote it, e\.g\. on xoshiro layout 1/.test(String(e.stderr));
  assert.throws(() => sweep([...args, '--out', old]), older);
  assert.throws(() => merge(dir, 'old', [old]), older);
  assert.throws(() => merge(dir, 'mixed', [whole, old]), older);
  // cut inside its "fidelity" value, a line is torn, not of another sweep
  writeFileSync(torn, `${first}\n${second.slice(0, 30)}`);
  sweep([...args, '--out', torn]);
  assert.equal(readFileSync(torn, 'utf8').split('\n')[2], second);
}));

test('bad arguments: one line naming the problem, exit 2; --help: the usage, exit 0', { skip }, () => withTempDir((dir) => {
  const fails = (args, re) => {
    const r = spawnSync(CLI, args, { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  };
  const base = ['sweep', '--preset', 'fig4', '--limit', '1'];
  for (const jobs of ['5-3', '1-', '-3', '', '1,,2', '1728', '3x']) fails([...base, '--jobs', jobs], /--jobs: must be a list like 0,5,10-19 of jobs in \[0, 1727\]/);
  for (const shard of ['1/2junk', '1/2/3', '0/2', '3/2']) fails([...base, '--shard', shard], /--shard: must be I\/N/);
  fails([...base, 'fig4'], /unexpected argument 'fig4'/);
  fails([...base, '--fidelity', 'junk', '--data-rng', 'xoshiro'], /got 'junk'/);
  fails(['merge', '--json'], /--json needs a file name/);
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  fails(['merge', empty], /no sweep results in the files/);
  const out = join(dir, 'r.jsonl');
  sweep(['--preset', 'fig4', '--fidelity', 'quick', '--jobs', '0-1', '--out', out]);
  merge(dir, 'm', [out]);
  fails(['merge', join(dir, 'm.json')], /is the output of toymoe merge/);
  fails([...base, '--out', join(dir, 'm.json')], /is the output of toymoe merge/);
  for (const cmd of ['sweep', 'merge']) {
    const r = spawnSync(CLI, [cmd, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`^usage: toymoe ${cmd} `));
  }
}));

test('fig3 quick: about 1 feature per dimension at S = 0, dense > E4 > E10 > E20 at 1/(1-S) = 10', { skip }, () =>
  withTempDir((dir) => {
    const out = join(dir, 'fig3.jsonl');
    sweep(['--preset', 'fig3', '--fidelity', 'quick', '--jobs', '0,9,10,19,20,29,30,39', '--out', out]);
    const at = (x) => Object.fromEntries(lines(out).filter((l) => Math.abs(l.x - x) < 1e-9).map((l) => [l.arch, l.fpd]));
    const dense = at(1), sparse = at(10);
    for (const [arch, fpd] of Object.entries(dense)) assert.ok(Math.abs(fpd - 1) < 0.1, `${arch} at S=0: ${fpd}`);
    assert.ok(sparse.dense > sparse.E4 && sparse.E4 > sparse.E10 && sparse.E10 > sparse.E20, JSON.stringify(sparse));
  }));

// On both data streams: xoshiro's other draws must give the same phase diagram.
for (const fidelity of ['quick', 'quick-xoshiro']) test(`fig4 ${fidelity}, dense 2x1: ignored at low S and r < 1, alone at low S and r > 1, superposed at high S`, { skip }, () =>
  withTempDir((dir) => {
    const out = join(dir, 'fig4.jsonl');
    sweep(['--preset', 'fig4', '--fidelity', fidelity, '--jobs', '0-215', '--out', out]);  // architecture 2x1-E1
    const cells = JSON.parse(merge(dir, 'fig4', [out]).json).cells;
    assert.equal(cells.length, 72);
    // Single quick runs are noisy near the boundaries: most cells of each region must agree.
    const share = (pick, ok) => { const c = cells.filter(pick); return c.filter(ok).length / c.length; };
    // Regions keep clear of the r = 1 boundary, where the two representations cost about the same.
    const ignored = share((c) => c.x <= 0.3 && c.y <= 0.5, (c) => c.norm_e0 < 0.1);
    const alone = share((c) => c.x <= 0.3 && c.y >= 1.3, (c) => c.norm_e0 > 0.9 && c.super_e0 < 0.1);
    const superposed = share((c) => c.x >= 0.7 && c.y >= 0.5, (c) => c.norm_e0 > 0.5 && c.super_e0 > 0.5);
    assert.ok(ignored >= 0.8, `ignored share ${ignored}`);
    assert.ok(alone >= 0.8, `alone share ${alone}`);
    assert.ok(superposed >= 2 / 3, `superposed share ${superposed}`);
  }));

// Table 1's contrast, at quick fidelity: the paper's protocol on 10 + 10 models (two shards,
// one per core: about a minute and a half). Zero output bias, as the published table.
test('table1 quick: k-hot routers give more experts with >= 2 monosemantic features than xavier ones', { skip }, () =>
  withTempDir((dir) => {
    execFileSync('parallel', ['--will-cite', '-j2', CLI, 'sweep', '--quiet', '--preset', 'table1', '--fidelity', 'quick',
      '--shard', '{}/2', '--out', join(dir, 't1.{}.jsonl'), ':::', '1', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const rows = [...lines(join(dir, 't1.1.jsonl')), ...lines(join(dir, 't1.2.jsonl'))];
    assert.equal(rows.length, 20);
    assert.ok(rows.every((r) => r.status === 'ok' && r.config.bias_init === 'zero'));
    const mean = (arch) => {
      const r = rows.filter((x) => x.arch === arch);
      assert.equal(r.length, 10);
      return r.reduce((a, x) => a + x.experts_mono_ge2, 0) / r.length;
    };
    const xavier = mean('xavier'), khot = mean('khot');
    assert.ok(khot > xavier, `experts with >= 2 monosemantic features per model: k-hot ${khot}, xavier ${xavier}`);
  }));
