// The paper's experiments as named starting points (SPEC section 7). A preset is a
// partial config: fields it leaves out take the engine schema's defaults. URLs store
// the preset id plus only the fields that differ from it (see state.js).
//
// Seeds: with the reference's Xavier bias init many seeds end with dead outputs (SPEC
// section 8). Each preset's seed was picked as one whose final loss is close to the
// paper's; the description says so, and changing the seed shows the spread.

const DECAY = { importance: 'decay', importance_base: 0.7 };
const COMMON = { batch: 1024, steps: 10000, loss: 'sum', lr: 0.001, weight_decay: 0.01, load_balance: false };

/**
 * @typedef {{id: string, title: string, description: string, paperLoss: number|null,
 *   paperNote: string, config: object}} Preset
 * @type {Preset[]}
 */
export const PRESETS = [
  {
    id: 'fig1',
    title: 'Figure 1 — dense model, reference bias init',
    description: 'Dense n=20 features in m=6 dimensions, p=0.1, importance 0.7^i: important features get their own dimension, ' +
      'less important ones share dimensions in antipodal pairs, and some features die from negative initial biases.',
    paperLoss: 0.028,
    paperNote: 'final single-batch sum loss; in the paper\'s run features 2 and 4 are ignored (dead biases)',
    config: { ...COMMON, ...DECAY, n: 20, m: 6, experts: 1, k: 1, p: 0.1, bias_init: 'xavier', router_init: 'xavier', seed: 2 },
  },
  {
    id: 'fig1-zero-bias',
    title: 'Figure 1 variant — zero bias init',
    description: 'The same dense model with zero initial biases (Anthropic convention): no feature starts dead, so the ' +
      'loss is about five times lower.',
    paperLoss: 0.0057,
    paperNote: 'the reference code with zero bias init',
    config: { ...COMMON, ...DECAY, n: 20, m: 6, experts: 1, k: 1, p: 0.1, bias_init: 'zero', router_init: 'xavier', seed: 0 },
  },
  {
    id: 'fig2',
    title: 'Figure 2 — mixture of 3 experts, m=2 each',
    description: 'n=20 features, 3 experts with 2 dimensions each, top-1 routing: each expert represents its own subset ' +
      'of features, with less superposition per expert than the dense model.',
    paperLoss: null,
    paperNote: 'the paper shows per-expert norms and WᵀW; no loss is reported',
    config: { ...COMMON, ...DECAY, n: 20, m: 2, experts: 3, k: 1, p: 0.1, bias_init: 'xavier', router_init: 'xavier', seed: 1 },
  },
  {
    id: 'fig5-zero',
    title: 'Figure 5 — router regions, zero router init',
    description: 'n=2 features, 3 one-dimensional experts, p=0.5: a zero router ties on every input, so expert 0 gets ' +
      'everything (ties go to the lowest index) and the router never learns (k=1, no load balancing).',
    paperLoss: 0.08,
    paperNote: 'reached by good seeds; many seeds end at 0.333 or 0.166 with dead outputs',
    config: { ...COMMON, n: 2, m: 1, experts: 3, k: 1, p: 0.5, importance: 'uniform', batch: 100, bias_init: 'xavier', router_init: 'zero', seed: 1 },
  },
  {
    id: 'fig5-xavier',
    title: 'Figure 5 — router regions, Xavier router init',
    description: 'The same n=2 model with a random router: the input square is split into cone-shaped regions, one per ' +
      'expert, and each expert specialises on the inputs it receives.',
    paperLoss: 0.04,
    paperNote: 'reached by good seeds; many seeds end at 0.333 or 0.166 with dead outputs',
    config: { ...COMMON, n: 2, m: 1, experts: 3, k: 1, p: 0.5, importance: 'uniform', batch: 100, bias_init: 'xavier', router_init: 'xavier', seed: 1 },
  },
  {
    id: 'fig5-diagonal',
    title: 'Figure 5 — router regions, diagonal router init',
    description: 'The diagonal router sends each input to the expert of its larger feature, so each expert gets one ' +
      'feature to represent: the lowest loss of the three.',
    paperLoss: 0.025,
    paperNote: 'reached by good seeds; with zero bias init ≈ 0.0215 on every seed',
    config: { ...COMMON, n: 2, m: 1, experts: 3, k: 1, p: 0.5, importance: 'uniform', batch: 100, bias_init: 'xavier', router_init: 'diagonal', seed: 1 },
  },
  {
    id: 'fig6a',
    title: 'Figure 6a — diagonal router init',
    description: 'n=20, 4 experts with m=5, p=0.09: each expert is seeded with one feature and specialises around it.',
    paperLoss: 0.0033,
    paperNote: 'final loss, from an older version of the reference code',
    config: { ...COMMON, ...DECAY, n: 20, m: 5, experts: 4, k: 1, p: 0.09, bias_init: 'xavier', router_init: 'diagonal', seed: 0 },
  },
  {
    id: 'fig6b',
    title: 'Figure 6b — ordered 5-hot router init',
    description: 'Each expert starts routed to a contiguous block of 5 features; with decaying importance the first ' +
      'expert gets all the important ones.',
    paperLoss: 0.0083,
    paperNote: 'final loss, from an older version of the reference code',
    config: { ...COMMON, ...DECAY, n: 20, m: 5, experts: 4, k: 1, p: 0.1, bias_init: 'xavier', router_init: 'khot_ordered', seed: 2 },
  },
  {
    id: 'fig6c',
    title: 'Figure 6c — random 5-hot router init, permuted importance',
    description: 'Each expert starts routed to a random group of 5 features, and importances are a random permutation ' +
      'of 0.7^i, so important features spread over the experts.',
    paperLoss: 0.0051,
    paperNote: 'final loss, from an older version of the reference code',
    config: { ...COMMON, n: 20, m: 5, experts: 4, k: 1, p: 0.1, importance: 'decay_perm', importance_base: 0.7, bias_init: 'xavier', router_init: 'khot_random', seed: 2 },
  },
];

export const PRESET_IDS = PRESETS.map((p) => p.id);
export const DEFAULT_PRESET = 'fig1';

/** The preset with this id, or undefined. */
export function presetById(id) {
  return PRESETS.find((p) => p.id === id);
}
