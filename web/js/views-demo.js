// Demo of every view of VIEW_IDS (web/views-demo.html): trains a few paper configurations on the
// main thread (demo only; the lab trains in a worker) and feeds the views snapshots.
// URL: ?sets=fig1,fig5,fig6,simplex,many (default: all) &steps=N (override every preset's steps)
import { loadLab } from './engine.js';
import { VIEW_IDS } from './state.js';

const VIEWS = await Promise.all(VIEW_IDS.map((id) => import(`./views/${id}.js`)));
const PRESETS = {
  fig1: { title: 'Figure 1: dense model, n = 20, m = 6', steps: 4000,
    config: { n: 20, m: 6, p: 0.1, importance: 'decay', importance_base: 0.7, batch: 1024, loss: 'sum', bias_init: 'zero', seed: 1 } },
  fig5: { title: 'Figure 5: router regions, n = 2, 3 experts, m = 1, k = 1', steps: 4000,
    config: { n: 2, experts: 3, m: 1, k: 1, p: 0.5, importance: 'uniform', batch: 100, loss: 'sum', router_init: 'xavier', seed: 3 } },
  fig6: { title: 'Figure 6a-like: 4 experts, diagonal router', steps: 3000,
    config: { n: 20, m: 5, experts: 4, k: 1, p: 0.09, importance: 'decay', batch: 1024, loss: 'sum', router_init: 'diagonal', bias_init: 'zero', seed: 2 } },
  simplex: { title: 'n = 3 simplex, 3 experts, load balancing on', steps: 3000,
    config: { n: 3, experts: 3, m: 1, k: 1, p: 0.5, importance: 'uniform', batch: 100, loss: 'sum', load_balance: true, seed: 4 } },
  many: { title: '16 experts, k = 2 (compact grids)', steps: 1500,
    config: { n: 20, m: 2, experts: 16, k: 2, p: 0.1, importance: 'decay', batch: 512, loss: 'sum', bias_init: 'zero', seed: 5 } },
};

const params = new URLSearchParams(location.search);
const sets = (params.get('sets') ?? Object.keys(PRESETS).join(',')).split(',').filter((s) => PRESETS[s]);
const stepsOverride = Number(params.get('steps')) || 0;
const statusEl = document.getElementById('demo-status');
const main = document.getElementById('demo');
document.body.style.fontFamily = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
document.body.style.margin = '0 auto';
document.body.style.padding = '12px';
document.body.style.maxWidth = '1400px';
globalThis.__demo = { views: [] };

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function card(view, section) {
  const box = document.createElement('article');
  Object.assign(box.style, { border: '1px solid #ddd', borderRadius: '8px', padding: '10px 12px', minWidth: '0' });
  const h = document.createElement('h3');
  h.textContent = view.title;
  h.style.margin = '0 0 4px';
  const p = document.createElement('p');
  p.textContent = view.explain;
  Object.assign(p.style, { margin: '0 0 8px', fontSize: '0.85rem', color: '#555' });
  const body = document.createElement('div');
  const save = document.createElement('button');
  save.type = 'button';
  save.textContent = 'PNG';
  save.style.marginTop = '8px';
  box.append(h, p, body, save);
  section.appendChild(box);
  const instance = view.create(body);
  save.addEventListener('click', () => {
    const a = document.createElement('a');
    a.href = instance.toPNG();
    a.download = `toymoe-${view.id}.png`;
    a.click();
  });
  return instance;
}

function snapshotOf(model, steps, res, metrics, regions) {
  return {
    config: model.config, step: model.step, steps, loss: res.loss, status: res.status,
    lossHistory: model.lossHistory(), metrics, regions, routerLoss: null,
  };
}

async function run(name) {
  const preset = PRESETS[name], steps = stepsOverride || preset.steps;
  const section = document.createElement('section');
  const h = document.createElement('h2');
  h.textContent = preset.title;
  const cfgLine = document.createElement('p');
  cfgLine.textContent = JSON.stringify(preset.config);
  Object.assign(cfgLine.style, { fontFamily: 'monospace', fontSize: '0.8rem', overflowWrap: 'anywhere', color: '#555' });
  const grid = document.createElement('div');
  Object.assign(grid.style, { display: 'grid', gap: '12px', gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 560px), 1fr))' });
  section.append(h, cfgLine, grid);
  section.id = `set-${name}`;
  main.appendChild(section);
  const instances = VIEWS.map((v) => card(v, grid));
  VIEWS.forEach((v, i) => globalThis.__demo.views.push({ set: name, id: v.id, view: instances[i] }));

  const model = lab.createModel(preset.config);
  const hasRegions = model.config.n === 2 || model.config.n === 3, grid2 = 200;
  const regionsNow = () => (hasRegions ? { grid: grid2, cells: model.routerRegions(grid2) } : null);
  let metrics = null, regions = regionsNow(), res = { loss: NaN, status: 'ok' };
  const push = () => { const s = snapshotOf(model, steps, res, metrics, regions); for (const v of instances) v.update(s); };
  push();
  const chunk = 100;
  while (model.step < steps && res.status === 'ok') {
    res = model.train(Math.min(chunk, steps - model.step));
    if (model.step % 1000 === 0 || model.step >= steps) {
      metrics = model.metrics({ samples: model.step >= steps ? 8192 : 2048 });
      regions = regionsNow();
    }
    push();
    statusEl.textContent = `${name}: step ${model.step} / ${steps}`;
    await tick();
  }
  model.free();
}

statusEl.textContent = 'Loading the engine…';
const lab = await loadLab();
const t0 = performance.now();
for (const name of sets) await run(name);
statusEl.textContent = `Done: ${sets.join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
document.body.dataset.done = '1';
