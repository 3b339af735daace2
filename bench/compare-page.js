// Page side of bench/compare.mjs: one module worker per call (bench/compare-worker.js).
window.toymoeCompare = (request) => new Promise((resolve, reject) => {
  const worker = new Worker(new URL('compare-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    worker.terminate();
    if (data.type === 'error') reject(new Error(data.message));
    else resolve(data.results);
  };
  worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message || 'worker error')); };
  worker.postMessage(request);
});
document.body.dataset.ready = '1';
