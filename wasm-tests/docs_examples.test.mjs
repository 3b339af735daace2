// Every whole-program example in docs/api.md runs: each ```c block with a main() is
// compiled against the native library (build/libtoymoe_core.a, next to the CLI) and run;
// each ```js block that imports the engine is run with Node from the repository root.
// A comment `// -> text` (on a line of its own or after a statement) must be a whole line of
// that program's output; in JavaScript ignoring white space (Node spaces arrays as it likes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO, CLI, withTempDir } from './node_helpers.mjs';

const DOC = join(REPO, 'docs', 'api.md');
const LIB = join(dirname(CLI), 'libtoymoe_core.a');
const CC = process.env.CC || 'cc';
const haveCC = spawnSync(CC, ['--version']).status === 0;

const blocks = [...readFileSync(DOC, 'utf8').matchAll(/```(c|js)\n([\s\S]*?)```/g)].map((m, i) => ({ lang: m[1], code: m[2], i }));
const cBlocks = blocks.filter((b) => b.lang === 'c' && /\bint main\s*\(/.test(b.code));
const jsBlocks = blocks.filter((b) => b.lang === 'js' && /from '\.\/web\/js\/engine\.js'/.test(b.code));
// The texts after `// -> ` in a block; at least one per program that prints, so a
// mistyped marker cannot leave a block unchecked unnoticed.
const expected = (b) => [...b.code.matchAll(/\/\/ -> (.+)$/gm)].map((m) => m[1].trim());
const squeeze = (s) => s.replace(/\s+/g, '');
const hasLine = (out, want, norm) => out.split('\n').some((line) => norm(line) === norm(want));
const title = (b) => b.code.split('\n').find((l) => /tm_|lab\./.test(l) && !/^#include|^import/.test(l))?.trim().slice(0, 60);

test('docs/api.md has a runnable example for every function group', () => {
  assert.ok(cBlocks.length >= 6, `C programs: ${cBlocks.length}`);
  assert.ok(jsBlocks.length >= 5, `JS programs: ${jsBlocks.length}`);
  // Every exported tm_ function appears in some C program.
  const header = readFileSync(join(REPO, 'src', 'toymoe.h'), 'utf8');
  const api = [...header.matchAll(/\b(tm_[a-z_0-9]+)\s*\(/g)].map((m) => m[1]);
  const used = cBlocks.map((b) => b.code).join('\n');
  const missing = [...new Set(api)].filter((f) => !used.includes(`${f}(`));
  assert.deepEqual(missing, [], 'tm_ functions without a runnable C example');
  // Most programs state what they print, and the test holds them to it.
  const unchecked = [...cBlocks, ...jsBlocks].filter((b) => !expected(b).length).map(title);
  assert.ok(unchecked.length <= 4, `programs with no '// -> ' output: ${unchecked.join(' | ')}`);
});

for (const b of cBlocks) {
  const skip = !haveCC ? `no C compiler (${CC})` : !existsSync(LIB) ? `no ${LIB}: build first` : false;
  test(`docs/api.md C example #${b.i}: ${title(b)}`, { skip }, () => withTempDir((dir) => {
    const src = join(dir, 'ex.c'), exe = join(dir, 'ex');
    writeFileSync(src, b.code);
    const cc = spawnSync(CC, ['-std=c11', '-Wall', '-Werror', `-I${join(REPO, 'src')}`, src, LIB, '-lm', '-o', exe], { encoding: 'utf8' });
    assert.equal(cc.status, 0, `compile failed:\n${cc.stderr}`);
    const r = spawnSync(exe, [], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, `exit ${r.status}:\n${r.stderr}`);
    assert.ok(r.stdout.trim().length > 0, 'prints something');
    for (const want of expected(b)) assert.ok(hasLine(r.stdout, want, (l) => l.trim()), `no output line "${want}":\n${r.stdout}`);
  }));
}

for (const b of jsBlocks) {
  test(`docs/api.md JS example #${b.i}: ${title(b)}`, () => {
    // A file in the repository root, as the doc says, but under a name no one else uses.
    const file = join(REPO, `.docs-example-${process.pid}-${b.i}.mjs`);
    writeFileSync(file, b.code);
    try {
      const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60000, env: process.env, cwd: REPO });
      assert.equal(r.status, 0, `exit ${r.status}:\n${r.stderr}`);
      assert.ok(r.stdout.trim().length > 0, 'prints something');
      for (const want of expected(b)) assert.ok(hasLine(r.stdout, want, squeeze), `no output line "${want}":\n${r.stdout}`);
    } finally {
      rmSync(file, { force: true });
    }
  });
}
