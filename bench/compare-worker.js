// Worker side of bench/compare.mjs in Chromium: loads both wasm builds into one worker and
// times them in alternation (bench/paired.js).
import { loadLab } from '../web/js/engine.js';
import { pairedRun } from './paired.js';

self.onmessage = async ({ data }) => {
  try {
    const labs = [await loadLab({ wasmUrl: data.oldUrl }), await loadLab({ wasmUrl: data.newUrl })];
    const results = data.workloads.map((w) => pairedRun(labs, w, data.pairs));
    self.postMessage({ type: 'done', results });
  } catch (e) {
    self.postMessage({ type: 'error', message: String(e?.message ?? e) });
  }
};
