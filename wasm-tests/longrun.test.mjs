// A long run through the JS engine: 1,000,000 training steps keep the wasm
// heap flat (the loss history thins itself out) and the loss finite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLab } from '../web/js/engine.js';

test('1,000,000 steps: flat heap, finite loss, bounded history', async () => {
  const lab = await loadLab();
  const model = lab.createModel({ n: 4, m: 2, experts: 2, k: 1, batch: 4, p: 0.5, steps: 1000000, seed: 3 });
  model.train(1000);
  const heapAfterWarmup = lab.memory.buffer.byteLength;
  for (let done = 1000; done < 1000000; done += 99900) {
    const r = model.train(Math.min(99900, 1000000 - done));
    assert.equal(r.status, 'ok', r.error);
    assert.ok(Number.isFinite(r.loss), `loss ${r.loss} at step ${r.step}`);
    assert.equal(lab.memory.buffer.byteLength, heapAfterWarmup, `heap grew by step ${r.step}`);
  }
  assert.equal(model.step, 1000000);
  const { stride, values } = model.lossHistory();
  assert.ok(values.length <= 65536 && values.length * stride >= 1000000 - stride, `history ${values.length} x ${stride}`);
  assert.ok(values.every(Number.isFinite));
  model.free();
});
