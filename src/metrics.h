// Everything SPEC section 6 measures. Per-expert geometry comes from the
// weights alone; routing terms (p_e, usage, alpha) from fresh samples.
#ifndef TM_METRICS_H
#define TM_METRICS_H
#include <stdint.h>

#define TM_METRIC_EPS 1e-5f      // W^_i = W_i / (eps + ||W_i||)
#define TM_CLASS_TOL 0.1f        // ignored if ||W_i|| < tol; monosemantic if |D_i - 1| < tol
#define TM_USAGE_POLY_MAX 0.2f   // Table 1: monosemantic when polysemanticity < 0.2
enum { TM_CLASS_IGNORED = 0, TM_CLASS_MONOSEMANTIC = 1, TM_CLASS_SUPERPOSED = 2 };

// One expert's weights W (n,m) -> norm (n,), interference (n,n), poly, super,
// phase, dim, cls (n,); returns the capacity sum_i D_i.
float tm_expert_geometry(const float *W, int32_t n, int32_t m, float *norm, float *interference, float *poly,
                         float *super, float *phase, float *dim, float *cls);
#endif
