// The paper's numbers to compare a sweep with (SPEC section 8, the paper's Table 1, and
// the reference's Figure 3 data, copied to web/data/fig3_features_per_dim.csv).

/** Figure 3 CSV columns -> the sweep's fig3 architecture names. */
const FIG3_COLUMNS = { dense_m20: 'dense', moe_E4_m5_k1: 'E4', moe_E10_m2_k2: 'E10', moe_E20_m1_k5: 'E20' };

/**
 * Parse the reference Figure 3 CSV: {arch: [[x, fpd], ...]} with x = 1/(1-S).
 * Only finite numbers in known columns are kept; anything else in the file is ignored.
 */
export function parseFig3CSV(text) {
  const out = {};
  if (typeof text !== 'string' || text.length > 100000) return out;
  const rows = text.trim().split(/\r?\n/).map((l) => l.split(','));
  const head = rows.shift() ?? [];
  const xi = head.indexOf('x_inv_density');
  if (xi < 0) return out;
  head.forEach((name, c) => {
    const arch = FIG3_COLUMNS[name];
    if (!arch) return;
    out[arch] = rows.map((r) => [Number(r[xi]), Number(r[c])]).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && a > 0)
      .sort((a, b) => a[0] - b[0]);
  });
  return out;
}

/** Fetch the reference Figure 3 data (same origin); {} when it cannot be read. */
export async function loadFig3Reference(url = new URL('../../data/fig3_features_per_dim.csv', import.meta.url)) {
  try {
    const res = await fetch(url);
    return res.ok ? parseFig3CSV(await res.text()) : {};
  } catch {
    return {};
  }
}

/** SPEC section 8, fig3: features per dimension at 1/(1-S) = 10, and mean last-step loss over the 30 densities. */
export const FIG3_AT_10 = { dense: 4.57, E4: 2.89, E10: 2.45, E20: 1.88 };
export const FIG3_MEAN_LOSS = { dense: 0.0682, E4: 0.0887, E10: 0.0827 };

/** SPEC section 8, fig7: ln(loss) at 1/(1-S) = 1 and 10 (read off the figure, ±0.02). */
export const FIG7_LN_LOSS = {
  dense: [[1, -2.68], [10, -4.12]], E4: [[1, -2.35], [10, -3.65]], E10: [[1, -2.51], [10, -3.68]], E20: [[1, -2.56], [10, -3.88]],
};

/** SPEC section 8, fig8: median per-cell best loss per phase-diagram architecture (loss includes LB). */
export const FIG8_MEDIANS = {
  '2x1-E1': 0.0383, '2x1-E2': 0.0240, '3x1-E1': 0.0600, '3x1-E2': 0.0398, '3x1-E3': 0.0346,
  '3x2-E1': 0.0257, '3x2-E2': 0.0165, '3x2-E3': 0.0139,
};

/**
 * The paper's Table 1 (100 models x 10 experts per initialisation). Rows by number of
 * monosemantic features per expert: [experts, mean usage %, usage with the feature(s)
 * active %, usage with only the feature(s) active %]; null where the paper shows '_'.
 */
export const TABLE1 = {
  xavier: {
    experts: 1000,
    rows: { 0: [461, null, null, null], 1: [387, 9.595, 17.94, 67.18], 2: [138, 9.599, 30.29, 95.65], 3: [13, 8.363, 40.19, 100.0],
      4: [1, 1.428, 14.69, 100.0], 5: [0, null, null, null] },
  },
  khot: {
    experts: 1000,
    rows: { 0: [335, null, null, null], 1: [382, 10.00, 23.94, 100.0], 2: [227, 10.02, 46.61, 100.0], 3: [47, 10.09, 62.00, 100.0],
      4: [8, 9.95, 70.30, 100.0], 5: [1, 9.62, 74.79, 100.0] },
  },
};
