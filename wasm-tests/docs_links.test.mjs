// The documentation's links stay valid: every lab link (`index.html?…`) in docs/ and
// examples/ parses without a single message (state.js with the engine's schema, exactly
// as the page does), every sweeps-page link names a known preset and fidelity, and every
// relative Markdown link points at a file or folder of the repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { loadLab } from '../web/js/engine.js';
import { buildTable, parseQuery } from '../web/js/state.js';
import { REPO } from './node_helpers.mjs';

function markdownFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...markdownFiles(p));
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out;
}
const FILES = [join(REPO, 'README.md'), ...markdownFiles(join(REPO, 'docs')), ...markdownFiles(join(REPO, 'examples'))];
const text = Object.fromEntries(FILES.map((f) => [relative(REPO, f), readFileSync(f, 'utf8')]));

const lab = await loadLab();
const table = buildTable(lab.schema, (c) => lab.validate(c));

test('every lab link in the docs parses without messages', () => {
  let count = 0;
  for (const [file, md] of Object.entries(text)) {
    for (const m of md.matchAll(/(?:index\.html|example\.org\/toymoe\/)(\?[^\s`)"'<>|]+)/g)) {
      const query = m[1].replace(/&amp;/g, '&');
      const { messages } = parseQuery(query, table);
      assert.deepEqual(messages, [], `${file}: index.html${query}`);
      count++;
    }
  }
  assert.ok(count >= 40, `lab links found: ${count}`);
});

test('every sweeps-page link names a known preset, fidelity, limit and data generator', () => {
  for (const [file, md] of Object.entries(text)) {
    for (const m of md.matchAll(/sweeps\.html\?([^\s`)"'<>|]+)/g)) {
      assert.ok(existsSync(join(REPO, 'web', 'sweeps.html')), `${file} links the sweeps page, which does not exist`);
      for (const [k, v] of new URLSearchParams(m[1])) {
        const ok = { preset: ['fig3', 'fig4', 'table1'].includes(v), fidelity: ['quick', 'paper'].includes(v), limit: /^\d+$/.test(v),
          data_rng: ['pcg32', 'xoshiro'].includes(v) }[k];
        assert.ok(ok, `${file}: sweeps.html?${m[1]}: bad ${k}=${v}`);
      }
    }
  }
});

test('relative Markdown links point at files of the repository', () => {
  const bad = [];
  for (const [file, md] of Object.entries(text)) {
    const prose = md.replace(/```[\s\S]*?```/g, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^(https?:|mailto:|#)/.test(target)) continue;
      const path = join(REPO, dirname(file), decodeURI(target.split('#')[0]));
      if (!existsSync(path)) bad.push(`${file}: ${target}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('every image in docs/ says which command makes it (docs/architecture.md)', () => {
  const table = text[join('docs', 'architecture.md')].split('## Where the pictures in docs/ come from')[1] ?? '';
  const images = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(png|jpe?g|gif|svg|webp)$/i.test(e.name)) images.push(relative(REPO, p));
    }
  };
  walk(join(REPO, 'docs'));
  // Listed by file, or by its folder (`docs/img/repro/`) when one script makes the whole folder.
  const listed = (p) => table.includes(`\`${p}\``) || table.includes(`\`${dirname(p)}/\``);
  assert.deepEqual(images.filter((p) => !listed(p)), [], 'images without their command in docs/architecture.md');
});

// Not a doc link, but the same parser: C can refuse a value that passed the page's own range
// check (beta2 must stay below 1 as a float); only that field falls back, not the whole preset.
test('a URL value C refuses falls back alone, with one message', () => {
  const { state, messages } = parseQuery('?preset=fig2&beta2=0.99999999&n=30&lr=0.003', table);
  assert.equal(messages.length, 1, messages.join(' | '));
  assert.match(messages[0], /^beta2: .* — using 0\.999$/);
  assert.equal(state.config.beta2, 0.999);
  assert.equal(state.config.n, 30, 'the other values stay');
  assert.equal(state.config.lr, 0.003);
  // an oversized model still falls back to the preset's sizes
  const big = parseQuery('?preset=fig2&n=4096&m=4096&batch=65536&lr=0.003', table);
  assert.match(big.messages.join(' | '), /using the sizes of the preset instead/);
  assert.equal(big.state.config.lr, 0.003);
});
