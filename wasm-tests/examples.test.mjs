// The runnable examples run and print what they promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './node_helpers.mjs';

const run = (script, args) => spawnSync(process.execPath, [join(REPO, 'examples', script), ...args], { encoding: 'utf8', env: process.env });

test('node-fig1.mjs --steps 300: final loss, features per dimension, a class per feature', () => {
  const r = run('node-fig1.mjs', ['--steps', '300']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /300\/300 steps {2}loss [\d.e+-]+/, 'progress line on stderr');
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^fig1: n=20 m=6 p=0.1 .* 300 steps, seed 0$/);
  const loss = Number(/^final loss: (\S+)$/.exec(lines[1])?.[1]);
  assert.ok(loss > 0 && loss < 1, lines[1]);
  const fpd = Number(/^features per dimension: (\S+)$/.exec(lines[2])?.[1]);
  assert.ok(fpd > 0 && fpd < 20 / 6 + 1, lines[2]);
  assert.match(lines[3], /^feature\s+class\s+norm\s+dim$/);
  const rows = lines.slice(4);
  assert.equal(rows.length, 20);
  rows.forEach((row, i) => {
    const m = /^\s*(\d+)\s+(ignored|monosemantic|superposed)\s+(\S+)\s+(\S+)$/.exec(row);
    assert.ok(m, row);
    assert.equal(Number(m[1]), i);
    assert.ok(Number.isFinite(Number(m[3])) && Number.isFinite(Number(m[4])), row);
  });
});

test('node-fig1.mjs refuses bad flags with exit code 2 and one message', () => {
  const bad = run('node-fig1.mjs', ['--steps', 'ten']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--steps: must be an integer in \[0, 100000000\], got NaN/);
  assert.equal(run('node-fig1.mjs', ['--bogus']).status, 2);
});
