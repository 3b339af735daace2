// Creating, training and freeing many models must not grow wasm memory without
// bound: a leak of even one small buffer per model shows over 10,000 models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLab } from '../web/js/engine.js';

test('10,000 models created, trained and freed stay within a fixed memory bound', async () => {
  const lab = await loadLab();
  // Vary the shapes so the allocator sees differently sized blocks, as a real session would.
  const configs = [
    { n: 20, m: 6, batch: 64 },
    { n: 20, m: 2, experts: 3, k: 1, batch: 32, load_balance: true },
    { n: 3, m: 1, experts: 3, k: 1, batch: 16 },
    { n: 40, m: 3, experts: 6, k: 2, batch: 48, loss: 'mean' },
  ];
  let bound = 0;
  for (let i = 0; i < 10000; i++) {
    const model = lab.createModel({ ...configs[i % configs.length], seed: i });
    const r = model.train(3);
    assert.equal(r.status, 'ok');
    if (i % 500 < configs.length) {  // now and then every other allocating call, on every shape
      model.lossHistory();
      model.metrics({ samples: 64 });
      if (model.config.n <= 3) model.routerRegions(8);
    }
    model.free();
    if (i === 99) bound = lab.memory.buffer.byteLength + (1 << 20);
  }
  const after = lab.memory.buffer.byteLength;
  assert.ok(after <= bound, `memory ${after} bytes after 10,000 models > bound ${bound}`);
});
