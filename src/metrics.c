#include "metrics.h"
#include "data.h"
#include "error.h"
#include "kernels.h"
#include "model.h"
#include "toymoe.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

float tm_expert_geometry(const float *W, int32_t n, int32_t m, float *norm, float *interference, float *poly,
                         float *super, float *phase, float *dim, float *cls) {
    // interference (n,n) first holds W W^T: each dot once, mirrored (W_i.W_j and W_j.W_i are the
    // same products summed in the same order), four to a pass over W_i; n^2 m/2 multiply-adds
    for (int32_t i = 0; i < n; i++) {
        const float *wi = W + (size_t)i * m;
        int32_t j = i;
        for (; j + 4 <= n; j += 4) {
            const float *y[4] = {W + (size_t)j * m, W + (size_t)(j + 1) * m, W + (size_t)(j + 2) * m, W + (size_t)(j + 3) * m};
            float d[4];
            tm_dot4(m, wi, y, d);
            for (int q = 0; q < 4; q++) interference[(size_t)i * n + j + q] = interference[(size_t)(j + q) * n + i] = d[q];
        }
        for (; j < n; j++) interference[(size_t)i * n + j] = interference[(size_t)j * n + i] = tm_dot(m, wi, W + (size_t)j * m);
    }
    for (int32_t i = 0; i < n; i++) norm[i] = sqrtf(interference[(size_t)i * n + i]);  // W_i.W_i, the diagonal
    float capacity = 0.0f;
    for (int32_t i = 0; i < n; i++) {
        float inv = 1.0f / (TM_METRIC_EPS + norm[i]), off = 0.0f, all = 0.0f;
        float *row = interference + (size_t)i * n;
        for (int32_t j = 0; j < n; j++) {
            row[j] = inv * row[j];
            float sq = row[j] * row[j];
            all += sq;
            if (j != i) off += sq;
        }
        poly[i] = sqrtf(off);
        super[i] = off;
        phase[i] = all;
        dim[i] = all > 0.0f ? norm[i] * norm[i] / all : 0.0f;  // a zero row has no dimension, not NaN
        cls[i] = norm[i] < TM_CLASS_TOL ? TM_CLASS_IGNORED
                 : fabsf(dim[i] - 1.0f) < TM_CLASS_TOL ? TM_CLASS_MONOSEMANTIC : TM_CLASS_SUPERPOSED;
        capacity += dim[i];
    }
    return capacity;
}

static const int32_t *section_sizes(const tm_model *m, int32_t *out) {
    int32_t n = m->n, E = m->E;
    int32_t sizes[TM_MET_COUNT] = {E * n, E * n * n, E * n, E * n, E * n, E * n, E * n, E, E, 3 * E, n, 4};
    memcpy(out, sizes, sizeof sizes);
    return out;
}

int32_t tm_metrics_offset(const tm_model *m, int32_t which) {
    if (!m || which < 0 || which > TM_MET_COUNT) return -1;
    int32_t sizes[TM_MET_COUNT], off = 0;
    section_sizes(m, sizes);
    for (int32_t i = 0; i < which; i++) off += sizes[i];
    return off;
}

int32_t tm_metrics_len(const tm_model *m) { return tm_metrics_offset(m, TM_MET_COUNT); }

static int params_finite(const tm_model *m) {
    for (int32_t i = 0; i < m->nparams; i++) if (!isfinite(m->params[i])) return 0;
    return 1;
}

// The top expert of scores (E,); ties to the lowest index.
static int32_t top_of(const float *scores, int32_t E) {
    int32_t best = 0;
    float best_s = -INFINITY;
    for (int32_t e = 0; e < E; e++)
        if (scores[e] > best_s) { best_s = scores[e]; best = e; }
    return best;
}

// Top-1 expert of x (n,) by router scores; ties to the lowest index.
static int32_t top1(const tm_model *m, const float *x) {
    int32_t best = 0;
    float best_s = -INFINITY;
    for (int32_t e = 0; e < m->E; e++) {
        float s = tm_dot(m->n, m->router + (size_t)e * m->n, x);
        if (s > best_s) { best_s = s; best = e; }
    }
    return best;
}

int tm_metrics(tm_model *m, int32_t samples, float *out, int32_t out_len) {
    tm_clear_error();
    if (!m || !out) return tm_fail(TM_ERR_ARG, "metrics: no model or no output buffer");
    if (out_len < tm_metrics_len(m))
        return tm_fail(TM_ERR_ARG, "metrics: output buffer holds %d floats, needs %d", out_len, tm_metrics_len(m));
    if (samples < 1 || samples > 1048576)
        return tm_fail(TM_ERR_ARG, "metrics: samples must be an integer in [1, 1048576], got %d", samples);
    if (!params_finite(m)) return tm_fail(TM_ERR_NONFINITE, "metrics: the model's weights are not finite");
    const int32_t n = m->n, hm = m->m, E = m->E, k = m->k, B = m->cfg.batch;
    float *o[TM_MET_COUNT];
    for (int32_t s = 0; s < TM_MET_COUNT; s++) o[s] = out + tm_metrics_offset(m, s);
    memset(out, 0, (size_t)tm_metrics_len(m) * sizeof *out);

    float total_capacity = 0.0f, fpd = 0.0f;
    for (int32_t e = 0; e < E; e++) {
        size_t en = (size_t)e * n;
        o[TM_MET_CAPACITY][e] = tm_expert_geometry(m->W + en * hm, n, hm, o[TM_MET_NORM] + en,
                                                   o[TM_MET_INTERFERENCE] + en * n, o[TM_MET_POLY] + en,
                                                   o[TM_MET_SUPERPOSITION] + en, o[TM_MET_PHASE_SCORE] + en,
                                                   o[TM_MET_DIM] + en, o[TM_MET_CLASS] + en);
        total_capacity += o[TM_MET_CAPACITY][e];
    }

    // Routing terms on fresh batches drawn from the model's distribution, in
    // whole training batches (the sample count is rounded up and reported).
    tm_model_sync_transpose(m);
    tm_rng rng;
    tm_rng_seed(&rng, (uint64_t)m->cfg.seed, TM_STREAM_METRICS);
    int32_t chunks = (samples + B - 1) / B, used = chunks * B;
    double loss = 0.0, *gate_sum = calloc((size_t)E, sizeof(double));
    double *alpha = calloc((size_t)E * n, sizeof(double)), *present = calloc((size_t)n, sizeof(double));
    float *x = malloc((size_t)n * sizeof(float));
    if (!gate_sum || !alpha || !present || !x) {
        free(gate_sum); free(alpha); free(present); free(x);
        return tm_fail(TM_ERR_MEMORY, "metrics: out of memory");
    }
    for (int32_t c = 0; c < chunks; c++) {
        tm_batch_sample(&m->batch, (float)m->cfg.p, &rng);
        loss += tm_model_batch(m, &m->batch, 0);  // also leaves each sample's gates and choice
        for (int32_t s = 0; s < B; s++) {
            const float *g = m->batch_gates + (size_t)s * E;
            const int32_t *ch = m->batch_choice + (size_t)s * k, *nz = m->batch.nz + (size_t)s * n;
            float picked = 0.0f;
            for (int32_t t = 0; t < k; t++) picked += g[ch[t]];
            for (int32_t t = 0; t < k; t++) {
                float w = k == 1 ? 1.0f : g[ch[t]] / picked;
                gate_sum[ch[t]] += w;
                for (int32_t q = 0; q < m->batch.nz_count[s]; q++) alpha[(size_t)ch[t] * n + nz[q]] += w;
            }
            for (int32_t q = 0; q < m->batch.nz_count[s]; q++) present[nz[q]] += 1.0;
        }
    }
    for (int32_t e = 0; e < E; e++) {
        float p_e = (float)(gate_sum[e] / used);
        o[TM_MET_GATE_MEAN][e] = p_e;
        const float *W = m->W + (size_t)e * n * hm;
        fpd += p_e * tm_dot(n * hm, W, W) / (float)hm;
    }
    fpd /= (float)k;
    for (int32_t i = 0; i < n; i++) {
        float g = 0.0f;
        for (int32_t e = 0; e < E; e++)
            if (present[i] > 0) g += (float)(alpha[(size_t)e * n + i] / present[i]) * o[TM_MET_DIM][(size_t)e * n + i];
        o[TM_MET_GLOBAL_DIM][i] = g;
    }

    // Expert usage, Table 1, on fresh inputs x: the top-1 expert of x; of x with expert e's
    // monosemantic features (polysemanticity < 0.2) clamped to 1; of those features alone, all
    // at one shared value s. Scores run along E over x's present features (routerT), so a
    // sample costs E per present feature and clamped expert, not E * n per expert: the clamped
    // input scores S[e,:] + the present features outside e's monosemantic set (or, when fewer
    // of them are inside it, x's scores less those inside + S[e,:]), where S[e,f] = sum of
    // R[f,i] over that set is summed once; S[e,:] * s keeps S[e,:]'s top expert for any
    // s > 0 (scaling by s > 0 keeps the order), and s = 0 gives all-zero scores: expert 0.
    float *usage = o[TM_MET_USAGE];
    float p_usage = m->cfg.usage_inputs == TM_USAGE_DENSE ? 1.0f : (float)m->cfg.p;
    const int32_t Ep = m->Epad;
    int32_t *mono_count = calloc((size_t)E, sizeof(int32_t)), *only_top = malloc((size_t)E * sizeof(int32_t));
    int32_t *nz = malloc((size_t)n * sizeof(int32_t));
    float *S = calloc((size_t)E * Ep, sizeof(float)), *score = malloc(2 * (size_t)Ep * sizeof(float));
    int usage_ok = mono_count && only_top && nz && S && score;
    for (int32_t e = 0; e < E && usage_ok; e++) {
        const float *poly = o[TM_MET_POLY] + (size_t)e * n;
        for (int32_t i = 0; i < n; i++)
            if (poly[i] < TM_USAGE_POLY_MAX) {
                mono_count[e]++;
                tm_axpy(Ep, 1.0f, m->routerT + (size_t)i * Ep, S + (size_t)e * Ep);
            }
        only_top[e] = top_of(S + (size_t)e * Ep, E);
    }
    for (int32_t s = 0; s < used && usage_ok; s++) {
        int32_t count = 0;
        for (int32_t i = 0; i < n; i++) {
            x[i] = tm_rng_uniform(&rng) < p_usage ? tm_rng_uniform(&rng) : 0.0f;
            if (x[i] != 0.0f) nz[count++] = i;
        }
        float shared = tm_rng_uniform(&rng), *clamped = score + Ep;
        memset(score, 0, (size_t)Ep * sizeof *score);
        for (int32_t t = 0; t < count; t++) tm_axpy(Ep, x[nz[t]], m->routerT + (size_t)nz[t] * Ep, score);
        int32_t top = top_of(score, E);
        usage[top] += 1.0f;
        for (int32_t e = 0; e < E; e++) {
            if (mono_count[e]) {  // none: the clamped input is x itself
                const float *poly = o[TM_MET_POLY] + (size_t)e * n;
                int32_t inside = 0;  // present features in e's set
                for (int32_t t = 0; t < count; t++) inside += poly[nz[t]] < TM_USAGE_POLY_MAX;
                if (2 * inside < count) {  // fewer to take out of x's scores than to add to S[e,:]
                    memcpy(clamped, score, (size_t)Ep * sizeof *clamped);
                    for (int32_t t = 0; t < count; t++)
                        if (poly[nz[t]] < TM_USAGE_POLY_MAX) tm_axpy(Ep, -x[nz[t]], m->routerT + (size_t)nz[t] * Ep, clamped);
                    tm_axpy(Ep, 1.0f, S + (size_t)e * Ep, clamped);
                } else {
                    memcpy(clamped, S + (size_t)e * Ep, (size_t)Ep * sizeof *clamped);
                    for (int32_t t = 0; t < count; t++)
                        if (!(poly[nz[t]] < TM_USAGE_POLY_MAX))
                            tm_axpy(Ep, x[nz[t]], m->routerT + (size_t)nz[t] * Ep, clamped);
                }
                usage[E + e] += top_of(clamped, E) == e;
            } else {
                usage[E + e] += top == e;
            }
            usage[2 * E + e] += (shared > 0.0f ? only_top[e] : 0) == e;
        }
    }
    for (int32_t e = 0; e < E && usage_ok; e++) {
        usage[e] /= (float)used;
        usage[E + e] /= (float)used;
        // No monosemantic features: the only-those-features input is undefined.
        usage[2 * E + e] = mono_count[e] ? usage[2 * E + e] / (float)used : -1.0f;
    }
    float *sc = o[TM_MET_SCALARS];
    sc[0] = fpd;
    sc[1] = total_capacity;
    sc[2] = (float)used;
    sc[3] = (float)(loss / chunks);
    int ok = usage_ok;
    free(mono_count); free(only_top); free(nz); free(S); free(score); free(gate_sum); free(alpha); free(present); free(x);
    if (!ok) return tm_fail(TM_ERR_MEMORY, "metrics: out of memory");
    // Finite but huge weights (written by a caller) can still overflow float.
    for (int32_t i = 0; i < tm_metrics_len(m); i++)
        if (!isfinite(out[i])) return tm_fail(TM_ERR_NONFINITE, "metrics: values overflow (weights too large)");
    return TM_OK;
}

int tm_router_regions(const tm_model *m, int32_t grid, int32_t *out, int32_t out_len) {
    tm_clear_error();
    if (!m || !out) return tm_fail(TM_ERR_ARG, "regions: no model or no output buffer");
    if (m->n != 2 && m->n != 3) return tm_fail(TM_ERR_STATE, "regions: drawn for n = 2 or 3 only, this model has n = %d", m->n);
    if (grid < 1 || grid > 2048) return tm_fail(TM_ERR_ARG, "regions: grid must be an integer in [1, 2048], got %d", grid);
    if (out_len < grid * grid) return tm_fail(TM_ERR_ARG, "regions: output holds %d cells, needs %d", out_len, grid * grid);
    for (int32_t e = 0; e < m->E * m->n; e++)
        if (!isfinite(m->router[e])) return tm_fail(TM_ERR_NONFINITE, "regions: the router's weights are not finite");
    const float h = 0.8660254f;  // simplex height: corners (0,1) x1, (1,1) x2, (0.5,1-h) x3 in raster units
    for (int32_t r = 0; r < grid; r++)
        for (int32_t c = 0; c < grid; c++) {
            float u = (c + 0.5f) / grid, v = (r + 0.5f) / grid, x[4] = {0};
            if (m->n == 2) {
                x[0] = u; x[1] = 1.0f - v;
            } else {
                float l3 = (1.0f - v) / h, l2 = u - 0.5f * l3, l1 = 1.0f - l2 - l3;
                if (l1 < 0 || l2 < 0 || l3 < 0) { out[r * grid + c] = -1; continue; }
                x[0] = l1; x[1] = l2; x[2] = l3;
            }
            out[r * grid + c] = top1(m, x);
        }
    return TM_OK;
}
