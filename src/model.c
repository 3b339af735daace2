#include "model.h"
#include "error.h"
#include "kernels.h"
#include "toymoe.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_CAP 65536
// The decoder's backward pass either runs dense along n or visits only the outputs with a
// non-zero gradient (ReLU on) along m; both give the same bits. Sparse pays when the share
// of active outputs is below about min(0.65, (m-4)/(m+4)) (measured, n = 100 and 400: m = 8
// and 10 lose at 0.49, m = 20 breaks even near 0.68, m = 80 gains 18% at 0.55). Each batch
// picks by the share seen in the last one, counted on its first ACTIVE_PROBE samples.
#define TM_SPARSE_MIN_M 8
#define TM_SPARSE_MAX_SHARE 0.65f
#define ACTIVE_PROBE 16

// The Gram path (model.h) does 2pn multiply-adds per output and sample where the direct one
// does about (3 + 2p) m, plus per batch 2 n^2 m (G, then (S + S^T) W) and a transposed sum
// (counted as one more n^2 m). Measured (native SIMD, B = 1024,
// n 20..400, m 3..200, p 0.02..0.6, 2026-11-25), it pays while 2pn/m + 3n/B < 3 + 100/n: the
// direct path's short loops cost more than its multiply-adds at small n. Above n = 256, G and
// S outgrow the caches and the rule no longer holds (n = 400: from 1.2x slower at pn = m).
#define TM_GRAM_MAX_N 256
static int gram_can(const tm_config *c) { return c->experts == 1 && c->k == 1 && c->m > 2; }  // m <= 2: the fused pass
int tm_gram_path(const tm_config *c) {
    if (!gram_can(c) || c->n > TM_GRAM_MAX_N) return 0;
    double n = c->n, per_output = 2.0 * c->p * n / c->m + 3.0 * n / c->batch;
    return per_output < 3.0 + 100.0 / n;
}

uint64_t tm_model_memory_bytes(const tm_config *c) {
    // 64-bit: size_t is 32 bits in wasm and hostile sizes must not wrap.
    uint64_t n = (uint64_t)c->n, m = (uint64_t)c->m, E = (uint64_t)c->experts, k = (uint64_t)c->k, B = (uint64_t)c->batch;
    uint64_t floats = 4 * (E * n * m + 2 * E * n)    // params, grad, adam m, adam v
                    + 2 * E * m * n        // WT, gWdec
                    + 2 * (E + 3) * n      // routerT, grouterT (rows padded to 4)
                    + n                    // importance
                    + (tm_batch_bytes((int32_t)B, (int32_t)n) + 3) / 4  // the batch and its sampler
                    + 2 * k * n + 2 * k * m + 2 * n + 3 * (E + 3) + 5 * m + k + B * E + B * k + n + 3  // scratch
                    + HISTORY_CAP
                    + E * n * n + 6 * E * n + 5 * E + n + 4  // the metrics a caller will ask for
                    + 2 * E * n + E * (E + 3) + 9 * E + 4 * n + 6  // and their workspace (doubles: 2 floats)
                    + (tm_gram_path(c) ? 2 * n * n : 0);  // G and its gradient
    return floats * sizeof(float);
}

void tm_model_sync_transpose(tm_model *m) {
    // W (E,n,m) -> WT (E,m,n); router (E,n) -> routerT (n,Epad), its padding left at 0
    for (int32_t e = 0; e < m->E; e++)
        for (int32_t i = 0; i < m->n; i++) {
            for (int32_t j = 0; j < m->m; j++)
                m->WT[((size_t)e * m->m + j) * m->n + i] = m->W[((size_t)e * m->n + i) * m->m + j];
            m->routerT[(size_t)i * m->Epad + e] = m->router[(size_t)e * m->n + i];
        }
}

void tm_model_init_params(tm_model *m, uint32_t seed) {
    const tm_config *c = &m->cfg;
    int32_t n = m->n, E = m->E;
    tm_rng rng;
    tm_rng_seed(&rng, seed, TM_STREAM_INIT);
    // Xavier normal of the (E,n,m) tensor: fan_in = n*m, fan_out = E*m.
    float w_std = sqrtf(2.0f / (float)(n * m->m + E * m->m));
    for (size_t i = 0; i < (size_t)E * n * m->m; i++) m->W[i] = w_std * tm_rng_normal(&rng);
    float eb_std = sqrtf(2.0f / (float)(E + n));  // Xavier of an (E,n) matrix
    for (size_t i = 0; i < (size_t)E * n; i++) m->b[i] = c->bias_init == TM_BIAS_XAVIER ? eb_std * tm_rng_normal(&rng) : 0.0f;
    float *r = m->router;
    memset(r, 0, (size_t)E * n * sizeof *r);
    switch (c->router_init) {
    case TM_ROUTER_XAVIER:
        for (size_t i = 0; i < (size_t)E * n; i++) r[i] = eb_std * tm_rng_normal(&rng);
        break;
    case TM_ROUTER_DIAGONAL:
        for (int32_t e = 0; e < E && e < n; e++) r[(size_t)e * n + e] = 1.0f;
        break;
    case TM_ROUTER_KHOT_ORDERED:
    case TM_ROUTER_KHOT_RANDOM: {
        int32_t *order = malloc((size_t)n * sizeof *order);
        if (!order) break;  // n is small; a failed malloc leaves the router at zero
        for (int32_t i = 0; i < n; i++) order[i] = i;
        if (c->router_init == TM_ROUTER_KHOT_RANDOM) tm_rng_shuffle(&rng, order, n);
        for (int32_t e = 0; e < E; e++)
            for (int32_t t = (int32_t)((int64_t)e * n / E); t < (int32_t)((int64_t)(e + 1) * n / E); t++)
                r[(size_t)e * n + order[t]] = 1.0f;
        free(order);
        break;
    }
    default:
        break;  // zero
    }
    tm_model_sync_transpose(m);
}

tm_model *tm_model_new(const tm_config *c) { return tm_model_new_on_path(c, tm_gram_path(c)); }

tm_model *tm_model_new_on_path(const tm_config *c, int gram) {
    if (tm_config_validate(c)) return NULL;
    if (gram && !gram_can(c)) {
        tm_fail(TM_ERR_ARG, "the Gram path needs one expert, k = 1 and m > 2");
        return NULL;
    }
    tm_model *m = calloc(1, sizeof *m);
    if (!m) { tm_fail(TM_ERR_MEMORY, "out of memory creating the model"); return NULL; }
    m->cfg = *c;
    tm_config_to_json(c, m->config_json, sizeof m->config_json);
    m->n = c->n; m->m = c->m; m->E = c->experts; m->k = c->k;
    size_t n = (size_t)c->n, E = (size_t)c->experts, k = (size_t)c->k, B = (size_t)c->batch;
    size_t P = E * n * (size_t)c->m + 2 * E * n;  // fits: validated against the memory cap
    m->nparams = (int32_t)P;
    m->params = calloc(4 * P, sizeof(float));
    m->WT = calloc(2 * E * c->m * n + 2 * ((E + 3) & ~(size_t)3) * n, sizeof(float));
    m->importance = calloc(n, sizeof(float));
    size_t Epad = (E + 3) & ~(size_t)3;
    m->pre = calloc(2 * k * n + 2 * k * c->m + 2 * n + 3 * Epad + 5 * (size_t)c->m, sizeof(float));
    m->chosen = calloc(k, sizeof(int32_t));
    m->active = calloc(n + 3, sizeof(int32_t));
    m->batch_gates = calloc(B * E, sizeof(float));
    m->batch_choice = calloc(B * k, sizeof(int32_t));
    m->history = calloc(HISTORY_CAP, sizeof(float));
    int batch_rc = tm_batch_init(&m->batch, c->batch, c->n);
    int gram_missing = 0;
    if (gram) {
        m->gram = calloc(2 * n * n, sizeof(float));
        gram_missing = !m->gram;
        if (m->gram) m->gram_grad = m->gram + n * n;
    }
    if (gram_missing || !m->params || !m->WT || !m->importance || !m->pre || !m->chosen || !m->active || !m->batch_gates ||
        !m->batch_choice || !m->history || batch_rc) {
        tm_model_free(m);
        tm_fail(TM_ERR_MEMORY, "out of memory: the model needs %.1f MiB", (double)tm_model_memory_bytes(c) / 1048576.0);
        return NULL;
    }
    m->grad = m->params + P; m->adam_m = m->grad + P; m->adam_v = m->adam_m + P;
    size_t wsize = E * c->m * n;
    m->W = m->params; m->b = m->W + wsize; m->router = m->b + E * n;
    m->gW = m->grad; m->gb = m->gW + wsize; m->grouter = m->gb + E * n;
    m->Epad = (int32_t)Epad;
    m->gWdec = m->WT + wsize; m->routerT = m->gWdec + wsize; m->grouterT = m->routerT + Epad * n;
    m->active_share = 1.0f;
    m->y = m->pre + k * n; m->h = m->y + k * n; m->dh = m->h + k * c->m;
    m->dout = m->dh + k * c->m; m->d = m->dout + n;
    m->scores = m->d + n; m->dgate = m->scores + Epad; m->dscore = m->dgate + Epad;
    m->partial = m->dscore + Epad;
    m->history_cap = HISTORY_CAP;
    m->history_stride = 1;
    m->nonfinite_step = -1;
    m->last_loss = NAN;
    tm_importance(m->importance, c->n, c->importance, (float)c->importance_base, (float)c->importance_last,
                  (uint32_t)c->perm_seed);
    uint32_t seed = (uint32_t)c->seed;
    tm_rng_seed(&m->data_rng, seed, TM_STREAM_DATA);
    tm_rng4_seed(&m->data_rng4, seed, TM_STREAM_DATA);
    tm_model_init_params(m, seed);
    return m;
}

void tm_model_free(tm_model *m) {
    if (!m) return;
    free(m->params); free(m->WT); free(m->importance); free(m->pre); free(m->chosen); free(m->active);
    free(m->batch_gates); free(m->batch_choice); free(m->history); free(m->gram);
    tm_batch_free(&m->batch);
    free(m);
}

// Is expert a ahead of b: score down, then index up (the selection passes' order).
static inline int ahead(const float *scores, int32_t a, int32_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
}

static void sift_down(const float *scores, int32_t *heap, int32_t len, int32_t i) {
    for (int32_t top = heap[i];;) {
        int32_t c = 2 * i + 1;
        if (c >= len) { heap[i] = top; return; }
        if (c + 1 < len && ahead(scores, heap[c + 1], heap[c])) c++;
        if (!ahead(scores, heap[c], top)) { heap[i] = top; return; }
        heap[i] = heap[c];
        i = c;
    }
}

// chosen (k,) = the k best of scores (E,), none NaN, in the selection passes' order, by a heap:
// E + k log E comparisons where k passes take k E (E = k = 1024: a million per sample).
static void top_k_heap(int32_t E, int32_t k, const float *scores, int32_t *chosen) {
    int32_t heap[1024];  // E <= 1024 by the schema
    for (int32_t e = 0; e < E; e++) heap[e] = e;
    for (int32_t i = E / 2 - 1; i >= 0; i--) sift_down(scores, heap, E, i);
    for (int32_t c = 0, len = E; c < k; c++) {
        chosen[c] = heap[0];
        heap[0] = heap[--len];
        sift_down(scores, heap, len, 0);
    }
}

void tm_route(const tm_model *m, const float *x, const int32_t *nz, int32_t count, float *scores, float *gates,
              int32_t *chosen, float *weights) {
    int32_t E = m->E, k = m->k;
    const int softmax = k > 1 || m->cfg.load_balance;  // else nothing needs g
    if (E == 1 && !softmax) {  // a dense model: nothing to choose, no gate (scores unused)
        chosen[0] = 0;
        weights[0] = 1.0f;
        return;
    }
    // scores (E,) = router (E,n) . x over the nonzero entries only: a row of routerT (n,Epad)
    // per present feature, each score adding its terms in the order of a dot product along nz;
    // scores has room for Epad, so the vector passes below read whole vectors (+0 past E)
    tm_rows_sum(m->Epad, count, nz, x, m->routerT, scores);
    int no_nan = 1;  // read by the softmax's max, the vector passes (E <= 32) and the heap (k >= 8)
    if (softmax || E <= 32 || k >= 8)
        for (int32_t e = 0; e < E; e++) no_nan &= scores[e] == scores[e];
    // top-k on the scores: softmax is monotone, so this is top-k on g without
    // float-rounding ties; strict '>' gives real ties to the lowest index
    int32_t passes = k;  // selection passes still to run
    // without NaN, instead of k scalar passes whose selects chain: k vector passes over the
    // padded scores (E <= 32, k = 1 too; handed back in a rare -inf case), or a heap (many of many)
    if (no_nan && E <= 32) {
        if (tm_top_k(E, k, scores, chosen)) passes = 0;
    } else if (k >= 8 && no_nan) {
        top_k_heap(E, k, scores, chosen);
        passes = 0;
    }
    uint8_t taken[1024];  // E <= 1024 by the schema
    if (passes > 1)
        for (int32_t e = 0; e < E; e++) taken[e] = 0;
    for (int32_t c = 0; c < passes; c++) {
        int32_t best = -1;
        float best_score = 0.0f;
        for (int32_t e = 0; e < E; e++) {  // selects, no branches: which expert wins is data
            int wins = (k == 1 || !taken[e]) & ((best < 0) | (scores[e] > best_score));
            best = wins ? e : best;
            best_score = wins ? scores[e] : best_score;
        }
        chosen[c] = best;
        if (k > 1) taken[best] = 1;
    }
    weights[0] = 1.0f;
    if (!softmax) return;
    float top = -INFINITY;  // the softmax's shift
    if (no_nan)
        top = tm_max(E, scores);
    else
        for (int32_t e = 0; e < E; e++)
            if (scores[e] > top) top = scores[e];
    tm_softmax(E, scores, top, gates);  // whole vectors of scores
    if (k == 1) return;
    float picked = 0.0f;
    for (int32_t c = 0; c < k; c++) picked += gates[chosen[c]];
    for (int32_t c = 0; c < k; c++) weights[c] = gates[chosen[c]] / picked;
}

// The decoder's backward pass for expert e over the outputs with d_i != 0 only (an output
// whose ReLU is off has d_i = 0 and adds exactly +-0 to every sum, so skipping it changes
// no bit). dh_j = sum_i d_i W_e[i,j] keeps tm_dot's order: four partial sums over i mod 4,
// then the tail, combined as ((p0+p1)+(p2+p3))+tail; each partial sum is one class of
// outputs, so its m entries stay in registers over the class instead of going through
// memory for every output. d (n,), h (m,) -> dh (m,); gb_e += d; gWdec_e (n,m) += d h^T.
static int32_t sparse_decoder_grad(tm_model *m, int32_t e, const float *h, float *dh) {
    const int32_t n = m->n, hm = m->m, body = n & ~3;
    const float *d = m->d, *W = m->W + (size_t)e * n * hm;
    float *gb = m->gb + (size_t)e * n, *gW = m->gWdec + (size_t)e * n * hm, *partial = m->partial;
    int32_t counts[5], count = 0;
    tm_nonzero_by_class(n, d, m->active, counts);
    for (int32_t l = 0; l < 5; l++) {
        const int32_t *idx = m->active + (l < 4 ? l * (body / 4) : body);
        tm_rows_grad(hm, counts[l], idx, d, W, h, gW, partial + (size_t)l * hm);
        for (int32_t t = 0; t < counts[l]; t++) gb[idx[t]] += d[idx[t]];
        count += counts[l];
    }
    const float *p0 = partial, *p1 = p0 + hm, *p2 = p1 + hm, *p3 = p2 + hm, *tail = p3 + hm;
    for (int32_t j = 0; j < hm; j++) dh[j] = ((p0[j] + p1[j]) + (p2[j] + p3[j])) + tail[j];
    return count;
}

// G (n,n) = W W^T, row i = sum_j W[i,j] WT[j,:] (symmetric bit for bit: G[i][l] and G[l][i]
// add the same products in the same order).
static void gram_of(tm_model *m) {
    const int32_t n = m->n, hm = m->m;
    float *zero = m->dout;  // unused for k = 1
    memset(zero, 0, (size_t)n * sizeof *zero);
    for (int32_t i = 0; i < n; i++) tm_decode(n, hm, m->WT, m->W + (size_t)i * hm, zero, m->gram + (size_t)i * n, NULL);
}

// With pre = W W^T x + b, dL/dW = (S + S^T) W for S = sum over the batch of d x^T (gram_grad
// holds S^T). T = S + S^T overwrites G (no longer needed); gWdec (m,n) row j = sum_i W[i,j]
// T[i,:] (T symmetric), folded into gW after the batch like the dense decoder's share.
static void gram_grad_to_decoder(tm_model *m) {
    const int32_t n = m->n, hm = m->m;
    float *T = m->gram, *S = m->gram_grad, *zero = m->dout;
    for (int32_t i = 0; i < n; i++)
        for (int32_t l = 0; l < n; l++) T[(size_t)i * n + l] = S[(size_t)i * n + l] + S[(size_t)l * n + i];
    memset(zero, 0, (size_t)n * sizeof *zero);
    for (int32_t j = 0; j < hm; j++) tm_decode(n, n, T, m->WT + (size_t)j * n, zero, m->gWdec + (size_t)j * n, NULL);
}

float tm_model_batch(tm_model *m, const tm_batch *bt, int grad) {
    const int32_t n = m->n, hm = m->m, E = m->E, k = m->k, B = bt->batch;
    const float scale = m->cfg.loss == TM_LOSS_MEAN ? 1.0f / ((float)B * (float)n) : 1.0f / (float)B;
    float weights[1024];  // k <= 1024 by the schema
    float *dgate = m->dgate;
    double loss = 0.0;
    const int router_grad = k > 1 || m->cfg.load_balance;
    float sparse_below = fminf(TM_SPARSE_MAX_SHARE, (float)(hm - 4) / (float)(hm + 4));
    m->sparse_backward = !m->gram && hm >= TM_SPARSE_MIN_M && m->active_share < sparse_below;
    int32_t probed = 0, probed_active = 0;
    if (grad) {
        memset(m->grad, 0, (size_t)m->nparams * sizeof(float));
        if (!m->gram) memset(m->gWdec, 0, (size_t)E * hm * n * sizeof(float));  // the Gram path writes it whole
        if (router_grad) memset(m->grouterT, 0, (size_t)m->Epad * n * sizeof(float));
        if (m->gram) memset(m->gram_grad, 0, (size_t)n * n * sizeof(float));
    }
    if (m->gram) gram_of(m);
    float *sel_frac = m->scores;  // after the batch, scores hold f_e
    int32_t sel_count[1024];
    memset(sel_count, 0, (size_t)E * sizeof *sel_count);
    for (int32_t s = 0; s < B; s++) {
        const float *x = bt->x + (size_t)s * n;
        const int32_t *nz = bt->nz + (size_t)s * n, cnt = bt->nz_count[s];
        float *gates = m->batch_gates + (size_t)s * E;
        int32_t *chosen = m->batch_choice + (size_t)s * k;
        tm_route(m, x, nz, cnt, m->scores, gates, chosen, weights);
        if (m->gram) {  // pre = b + G x; d = dL/dpre; gb += d; S^T += x d^T (the present rows)
            sel_count[0]++;
            tm_gram_decode(n, cnt, nz, m->gram, x, m->b, m->pre);
            loss += tm_relu_sq_error_grad(n, m->pre, x, m->importance, 2.0f * scale, 1.0f, m->d) * scale;
            if (grad) {
                tm_axpy(n, 1.0f, m->d, m->gb);
                tm_encode_grad(n, cnt, nz, x, m->d, m->gram_grad);
            }
            continue;
        }
        if (k == 1 && hm <= 2 && grad) {  // narrow experts of top-1: the whole pass at once
            int32_t e = chosen[0];
            float *h = m->h, *dh = m->dh;
            sel_count[e]++;
            tm_encode(hm, cnt, nz, x, m->W + (size_t)e * n * hm, h);
            const float *WTe = m->WT + (size_t)e * hm * n, *be = m->b + (size_t)e * n;
            float *gb = m->gb + (size_t)e * n, *gWT = m->gWdec + (size_t)e * hm * n;
            loss += (hm == 1 ? tm_narrow_expert_step(n, 1, WTe, h, be, x, m->importance, 2.0f * scale, weights[0], gb, gWT, dh)
                             : tm_narrow_expert_step(n, 2, WTe, h, be, x, m->importance, 2.0f * scale, weights[0], gb, gWT, dh)) *
                    scale;
            tm_encode_grad(hm, cnt, nz, x, dh, m->gW + (size_t)e * n * hm);
            continue;
        }
        if (hm == 1 && k > 1) {
            // m = 1: the k encoders are single dot products; run their add chains side by side
            float *hk = m->h;  // h of choice c is hk[c]
            for (int32_t c = 0; c < k; c++) hk[c] = 0.0f;
            for (int32_t t = 0; t < cnt; t++) {
                float xt = x[nz[t]];
                for (int32_t c = 0; c < k; c++) hk[c] += xt * m->W[(size_t)chosen[c] * n + nz[t]];
            }
        }
        for (int32_t c = 0; c < k; c++) {
            int32_t e = chosen[c];
            sel_count[e]++;
            float *h = m->h + (size_t)c * hm, *pre = m->pre + (size_t)c * n;
            // encoder over present features: x (n,) sparse, W_e (n,m) -> h (m,)
            if (hm > 1 || k == 1) tm_encode(hm, cnt, nz, x, m->W + (size_t)e * n * hm, h);
            // decoder: WT_e (m,n), h (m,), b_e (n,) -> pre (n,)
            tm_decode(n, hm, m->WT + (size_t)e * hm * n, h, m->b + (size_t)e * n, pre, k > 1 ? m->y + (size_t)c * n : NULL);
        }
        if (k == 1) {
            // one expert, weight 1: out = y, so ReLU, loss and d = dL/dpre go in one pass
            loss += tm_relu_sq_error_grad(n, m->pre, x, m->importance, 2.0f * scale, weights[0], m->d) * scale;
        } else {
            // out (n,) = sum_c w_c y_c
            loss += tm_mix_sq_error(n, k, m->y, weights, x, m->importance, 2.0f * scale, m->dout) * scale;
        }
        if (!grad) continue;
        for (int32_t c = 0; c < k; c++) {
            int32_t e = chosen[c];
            const float *h = m->h + (size_t)c * hm, *pre = m->pre + (size_t)c * n;
            float *dh = m->dh + (size_t)c * hm;
            if (k > 1 && hm <= 2) {  // the MoE's narrow experts: one fused pass
                const float *WTe = m->WT + (size_t)e * hm * n;
                float *gb = m->gb + (size_t)e * n, *gWT = m->gWdec + (size_t)e * hm * n, *yc = m->y + (size_t)c * n;
                dgate[c] = hm == 1 ? tm_narrow_expert_grad(n, 1, pre, m->dout, yc, weights[c], WTe, h, gb, gWT, dh)
                                   : tm_narrow_expert_grad(n, 2, pre, m->dout, yc, weights[c], WTe, h, gb, gWT, dh);
                tm_encode_grad(hm, cnt, nz, x, dh, m->gW + (size_t)e * n * hm);
                continue;
            }
            // d (n,) = dL/dpre; dh (m,) = WT_e d; gWdec_e += h d^T; gb_e += d
            if (k > 1) tm_relu_grad(n, pre, m->dout, weights[c], m->d);  // k = 1: d is already there
            if (s < ACTIVE_PROBE && hm >= TM_SPARSE_MIN_M) {
                probed += n;
                probed_active += m->sparse_backward ? 0 : tm_nonzero_index(n, m->d, m->active);
            }
            if (m->sparse_backward)
                probed_active += sparse_decoder_grad(m, e, h, dh) * (s < ACTIVE_PROBE);
            else {
                tm_axpy(n, 1.0f, m->d, m->gb + (size_t)e * n);
                tm_dot_axpy_rows(n, hm, m->d, m->WT + (size_t)e * hm * n, m->gWdec + (size_t)e * hm * n, h, dh);
            }
            // encoder gradient on present rows: gW_e[i,:] += x_i dh
            tm_encode_grad(hm, cnt, nz, x, dh, m->gW + (size_t)e * n * hm);
            if (k > 1) dgate[c] = tm_dot(n, m->dout, m->y + (size_t)c * n);  // dL/dw_c
        }
        if (k > 1) {
            // w_c = g_c / G over the chosen: dL/dg_c = (dL/dw_c - sum_j w_j dL/dw_j) / G
            float picked = 0.0f, mean = 0.0f, gdot = 0.0f;
            for (int32_t c = 0; c < k; c++) { picked += gates[chosen[c]]; mean += weights[c] * dgate[c]; }
            for (int32_t c = 0; c < k; c++) { dgate[c] = (dgate[c] - mean) / picked; gdot += gates[chosen[c]] * dgate[c]; }
            // softmax: ds_e = g_e (dg_e - g.dg); the router sees only present features
            for (int32_t e = 0; e < E; e++) m->dscore[e] = gates[e] * (0.0f - gdot);
            for (int32_t c = 0; c < k; c++) m->dscore[chosen[c]] = gates[chosen[c]] * (dgate[c] - gdot);
            for (int32_t t = 0; t < cnt; t++) tm_axpy(m->Epad, x[nz[t]], m->dscore, m->grouterT + (size_t)nz[t] * m->Epad);
        }
    }
    for (int32_t e = 0; e < E; e++) sel_frac[e] = (float)sel_count[e] / (float)B;
    if (m->cfg.load_balance) {
        // L_lb = alpha E sum_e f_e P_e, P_e = batch mean of g_e; f_e has no gradient
        float alpha_e = (float)m->cfg.lb_alpha * (float)E;
        double lb = 0.0;
        for (int32_t e = 0; e < E; e++) {
            double P = 0.0;
            for (int32_t s = 0; s < B; s++) P += m->batch_gates[(size_t)s * E + e];
            lb += (double)sel_frac[e] * (P / B);
        }
        loss += alpha_e * lb;
        if (grad) {
            for (int32_t e = 0; e < E; e++) dgate[e] = alpha_e * sel_frac[e] / (float)B;  // dL/dg_e per sample
            for (int32_t s = 0; s < B; s++) {
                const float *x = bt->x + (size_t)s * n, *gates = m->batch_gates + (size_t)s * E;
                const int32_t *nz = bt->nz + (size_t)s * n, cnt = bt->nz_count[s];
                float gdot = 0.0f;
                for (int32_t e = 0; e < E; e++) gdot += gates[e] * dgate[e];
                for (int32_t e = 0; e < E; e++) m->dscore[e] = gates[e] * (dgate[e] - gdot);
                for (int32_t t = 0; t < cnt; t++) tm_axpy(m->Epad, x[nz[t]], m->dscore, m->grouterT + (size_t)nz[t] * m->Epad);
            }
        }
    }
    if (!grad) return (float)loss;
    if (probed) m->active_share = (float)probed_active / (float)probed;
    if (m->gram) gram_grad_to_decoder(m);
    // fold the parts summed apart: the decoder's share into gW (E,n,m), routerT's into grouter (E,n)
    if (m->sparse_backward)
        tm_axpy(E * n * hm, 1.0f, m->gWdec, m->gW);
    else
        for (int32_t e = 0; e < E; e++)
            for (int32_t j = 0; j < hm; j++) {
                const float *src = m->gWdec + ((size_t)e * hm + j) * n;
                float *dst = m->gW + (size_t)e * n * hm + j;
                for (int32_t i = 0; i < n; i++) dst[(size_t)i * hm] += src[i];
            }
    if (router_grad)
        for (int32_t e = 0; e < E; e++)
            for (int32_t i = 0; i < n; i++) m->grouter[(size_t)e * n + i] += m->grouterT[(size_t)i * m->Epad + e];
    return (float)loss;
}
