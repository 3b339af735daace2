// Import the DOM-free engine as an ES module, train a small model on the page's main
// thread in chunks (yielding between them so the page stays responsive), print results.
// Everything the page shows is set with textContent. For long runs, move this into a
// Web Worker as the lab does (web/js/worker.js).
import { loadLab } from '../web/js/engine.js';

const $ = (id) => document.getElementById(id);
const stepsParam = new URLSearchParams(location.search).get('steps');
const requested = stepsParam === null || stepsParam.trim() === '' ? 2000 : Number(stepsParam);  // '' is no value, not 0

async function main() {
  const lab = await loadLab();   // fetches ../build/toymoe.wasm relative to engine.js
  const config = { n: 20, m: 6, experts: 1, k: 1, p: 0.1, importance: 'decay', importance_base: 0.7,
    batch: 1024, loss: 'sum', bias_init: 'zero', steps: requested, seed: 0 };
  const check = lab.validate(config);   // the C core's own rules, same messages as the CLI
  if (!check.ok) throw new Error(check.errors.map((e) => e.message).join('; '));
  const model = lab.createModel(config);
  try {
    while (model.step < config.steps) {
      const r = model.train(Math.min(100, config.steps - model.step));
      if (r.status !== 'ok') throw new Error(r.error);
      $('status').textContent = `training… step ${r.step} / ${config.steps}, loss ${r.loss.toPrecision(4)}`;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const met = model.metrics({ samples: 8192 });
    $('steps').textContent = String(model.step);
    $('loss').textContent = model.lastLoss.toPrecision(5);
    $('fpd').textContent = met.fpd.toFixed(3);
    $('classes').textContent = met.classes[0].map((c) => c[0]).join(' ');   // i(gnored), m(onosemantic), s(uperposed)
    $('status').textContent = `done (toymoe ${lab.version})`;
    document.body.dataset.done = '1';
  } finally {
    model.free();
  }
}

main().catch((err) => {
  $('status').textContent = `failed: ${err?.message ?? err}`;
  document.body.dataset.done = 'error';
});
