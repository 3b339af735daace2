// The native CLI and the wasm CLI (run by node) give the same loss history
// for the same seed: within 1e-4 relative after 200 steps (in practice equal,
// since every kernel rounds alike in both builds).
// usage: node native_vs_wasm.mjs <native toymoe> <wasm toymoe.js>
import { execFileSync } from 'node:child_process';

function run(cmd, args) {
  try {
    return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 }));
  } catch (e) {
    console.error(`FAIL ${cmd} ${args.join(' ')}: ${String(e.stderr || e.message).slice(-400)}`);
    process.exit(1);
  }
}

const [nativeCli, wasmCli] = process.argv.slice(2);
const configs = [
  ['--n', '20', '--m', '6', '--p', '0.1', '--batch', '256', '--seed', '5'],  // dense: the Gram path
  ['--n', '100', '--m', '20', '--p', '0.5', '--batch', '128', '--seed', '8'],  // dense: the direct path
  ['--n', '20', '--m', '2', '--experts', '3', '--k', '1', '--batch', '256', '--bias-init', 'zero', '--seed', '6'],
  ['--n', '40', '--m', '3', '--experts', '6', '--k', '2', '--load-balance', 'true', '--loss', 'mean', '--batch', '128',
    '--router-init', 'khot_random', '--schedule', 'cosine'],
  ['--n', '3', '--m', '1', '--experts', '3', '--k', '1', '--importance', 'last', '--importance-last', '2.5',
    '--load-balance', 'true', '--p', '0.6', '--batch', '512', '--loss', 'mean'],
  ['--n', '100', '--m', '5', '--experts', '4', '--k', '1', '--batch', '256', '--data-rng', 'xoshiro', '--seed', '7'],
  ['--n', '3', '--m', '2', '--experts', '2', '--k', '1', '--load-balance', 'true', '--batch', '300', '--loss', 'mean',
    '--data-rng', 'xoshiro'],
];
let failed = 0;
for (const flags of configs) {
  const args = ['train', ...flags, '--steps', '200', '--history-every', '1', '--weights', '--quiet'];
  const native = run(nativeCli, args);
  const wasm = run(process.execPath, [wasmCli, ...args]);
  let worst = 0;
  for (let i = 0; i < native.loss_history.length; i++) {
    const a = native.loss_history[i], b = wasm.loss_history[i];
    worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(a), 1e-30));
  }
  let worstW = 0;
  native.weights.W.forEach((w, i) => { worstW = Math.max(worstW, Math.abs(w - wasm.weights.W[i])); });
  const ok = native.loss_history.length === 200 && wasm.loss_history.length === 200 && worst <= 1e-4;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${flags.join(' ')}: max rel loss diff ${worst.toExponential(2)}, ` +
    `max |dW| ${worstW.toExponential(2)}, final ${native.final_loss} vs ${wasm.final_loss}`);
}
console.log(`${configs.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
