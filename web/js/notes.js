// Notes on settings that behave surprisingly, shown next to the controls.

/**
 * @param {object} c a valid config
 * @returns {{id: string, title: string, text: string}[]}
 */
export function notesFor(c) {
  const notes = [];
  if (c.experts > 1 && c.k === 1 && !c.load_balance) {
    notes.push({ id: 'frozen-router', title: 'The router will not learn.',
      text: 'With k = 1 the reconstruction loss gives the router exactly zero gradient, so the routing regions stay ' +
        'as initialised (weight decay only shrinks the router, which keeps every argmax). Turn on load balancing, ' +
        'or use k ≥ 2, to let the router move.' });
  }
  if (c.experts > 1 && c.k === 1 && c.load_balance) {
    notes.push({ id: 'lb-router', title: 'Only load balancing trains the router.',
      text: 'With k = 1 the router gets no gradient from the reconstruction loss; everything it learns comes from the ' +
        'load-balancing term (weight α).' });
  }
  if (c.experts > 1 && c.router_init === 'zero') {
    notes.push({ id: 'zero-router', title: 'A zero router ties on every input.',
      text: 'Ties go to the lowest expert index, so expert 0 receives every input and the other experts never train.' });
  }
  if (c.bias_init === 'xavier') {
    notes.push({ id: 'dead-bias', title: 'Some features may be dead.',
      text: 'The reference initialises output biases with random normals; a feature whose bias starts negative can ' +
        'stay at norm 0 ("ignored") whatever its importance, and results vary a lot between seeds. Set bias init = zero to compare.' });
  }
  if (c.experts === 1 && (c.router_init !== 'xavier' || c.load_balance)) {
    notes.push({ id: 'dense', title: 'E = 1 is the dense model.',
      text: 'Router init and load balancing have no effect with a single expert.' });
  }
  if (c.loss === 'mean') {
    notes.push({ id: 'mean-loss', title: 'Mean loss is n times smaller.',
      text: 'It averages over features instead of summing. AdamW rescales gradients, so training barely changes, ' +
        'but with load balancing on the balancing term weighs n times more against the reconstruction.' });
  }
  if (c.importance === 'last' && c.importance_last === 1) {
    notes.push({ id: 'last', title: 'importance = last with r = 1 is uniform.', text: 'Change "last feature importance r" to see its effect.' });
  }
  if (c.data_rng === 'xoshiro') {
    notes.push({ id: 'xoshiro', title: 'Other draws than the presets.',
      text: 'The xoshiro data generator is vectorised: it trains the small phase-diagram models about 1.5× faster (larger models about as fast as pcg32). Its batches come from the same distribution, ' +
        'but a seed gives other batches than with pcg32, so this run will not repeat a pcg32 run, link or figure of the same seed.' });
  }
  if (c.experts * c.n * c.m > 2e6 || c.batch * c.n * Math.max(c.m, c.experts) * c.k > 5e7) {
    notes.push({ id: 'large', title: 'This model is large.',
      text: 'Training and metrics in the browser will be slow; the command-line toymoe is faster for big runs.' });
  }
  return notes;
}
