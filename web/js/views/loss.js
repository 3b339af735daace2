// Training loss against step, log-scale y (Chart.js, from the classic script vendor/chart.umd.js).
import { themeOf, viewToPNG } from './colormap.js';

export const id = 'loss';
export const title = 'Training loss';
export const explain = 'How wrong the model\'s reconstructions are at each training step, on a log scale: ' +
  'every step of the way down is a factor of ten. Plateaus followed by sudden drops are common: ' +
  'they are moments when the model finds a better way to pack its features.';

const MAX_POINTS = 1000;
const fmtLoss = (v) => (!Number.isFinite(v) ? String(v) : v >= 0.001 ? v.toFixed(4) : v.toExponential(2));

/** Bucket means of the finite positive values (log scale), at most `max` points {x: step, y}. */
function downsample(values, stride, max = MAX_POINTS) {
  const len = values.length, bucket = Math.max(1, Math.ceil(len / max)), out = [];
  for (let start = 0; start < len; start += bucket) {
    const end = Math.min(len, start + bucket);
    let sum = 0, cnt = 0;
    for (let i = start; i < end; i++) {
      const v = values[i];
      if (v > 0 && v < Infinity) { sum += v; cnt++; }
    }
    if (cnt) out.push({ x: ((start + end - 1) / 2) * stride, y: sum / cnt });
  }
  return out;
}

export function create(container, options = {}) {
  container.classList.add('tm-view', 'tm-view-loss');
  const placeholder = document.createElement('p');
  placeholder.className = 'tm-placeholder';
  placeholder.textContent = options.placeholder ?? 'Train to see the loss curve.';
  const box = document.createElement('div');
  box.className = 'tm-chart-box';
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', 'training loss against step, log scale');
  box.appendChild(canvas);
  const status = document.createElement('p');
  status.className = 'tm-view-status';
  container.append(placeholder, box, status);

  const Chart = globalThis.Chart;
  const theme = themeOf(container);
  let chart = null, lastValues = null, lastStep = -1, lastState, lastStatus = '';
  const BAD = new Set(['nonfinite', 'failed', 'error']);  // other statuses (ok, training, finished, ...) are normal
  if (Chart) {
    chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [{ label: 'loss', data: [], parsing: false, borderColor: 'rgb(31, 119, 180)', borderWidth: 1.5,
        pointRadius: 0, pointHitRadius: 6, tension: 0, fill: false }] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', min: 0, title: { display: true, text: 'step', color: theme.color },
            ticks: { maxTicksLimit: 8, callback: (v) => Number(v).toLocaleString('en-US') } },
          y: { type: 'logarithmic', title: { display: true, text: 'loss (log scale)', color: theme.color },
            ticks: { autoSkip: false, callback: (v) => {
              const m = Number(v) / 10 ** Math.floor(Math.log10(Number(v)) + 1e-9);
              return [1, 2, 5].some((k) => Math.abs(m - k) < 1e-6) ? Number(v).toPrecision(1).replace(/\.?0+e/, 'e') : '';
            } } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { title: (items) => `step ${Math.round(items[0].parsed.x).toLocaleString('en-US')}`,
            label: (item) => `loss ${fmtLoss(item.parsed.y)}` } },
        },
      },
    });
  } else {
    placeholder.textContent = 'The chart library did not load (vendor/chart.umd.js): build the project first.';
  }

  function setStatus(text, warn) {
    if (text !== lastStatus) { status.textContent = text; lastStatus = text; }
    status.classList.toggle('tm-warn', !!warn);
  }

  function render(snap) {
    const hist = snap?.lossHistory, values = hist?.values;
    const has = !!chart && !!values?.length;
    placeholder.hidden = has;
    box.hidden = !has;
    const cfg = snap?.config ?? {};
    let text = '';
    if (snap && Number.isFinite(snap.step)) {
      text = `step ${snap.step.toLocaleString('en-US')}${snap.steps ? ` of ${snap.steps.toLocaleString('en-US')}` : ''}` +
        ` · loss ${fmtLoss(snap.loss)}${snap.routerLoss != null ? ` · load-balancing ${fmtLoss(snap.routerLoss)}` : ''}`;
    }
    const bad = BAD.has(snap?.status);
    if (bad) {
      text = snap.status === 'nonfinite'
        ? 'Training stopped: the loss or a weight became non-finite (NaN or ∞). Try a smaller learning rate.'
        : `Training stopped (${snap.status}).`;
    }
    setStatus(text, bad);
    if (!has) return;
    const ds = chart.data.datasets[0];
    ds.data = downsample(values, hist.stride || 1);
    const xs = chart.options.scales.x, ys = chart.options.scales.y;
    const lastX = (values.length - 1) * (hist.stride || 1);
    xs.max = Math.max(snap.steps || 0, lastX, 1);
    ys.title.text = `loss (${cfg.loss === 'mean' ? 'mean' : 'sum'} over features)`;
    chart.update('none');
  }

  render(null);
  return {
    update(snapshot) {
      const values = snapshot?.lossHistory?.values ?? null;
      if (values === lastValues && snapshot?.step === lastStep && snapshot?.status === lastState) return;
      lastValues = values;
      lastStep = snapshot?.step;
      lastState = snapshot?.status;
      render(snapshot);
    },
    toPNG() { return viewToPNG(container, { title }); },
    destroy() {
      chart?.destroy();
      chart = null;
      container.replaceChildren();
      container.classList.remove('tm-view', 'tm-view-loss');
    },
  };
}
