// The lane trainer: the phase-diagram models (n <= 3, k = 1) are so small that one
// model leaves a SIMD register mostly empty and the run is all per-sample overhead.
// Here lane l of every vector belongs to model l: 4 models take one pass. Every
// lane performs exactly the float operations of model.c / train.c in the same order
// (absent features add x_i * w = ±0, which changes no sum), so results match tm_train
// bit for bit; lanes.test checks that on every fig4 shape.
#include "lanes.h"
#include "kernels.h"
#include "optim.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_N = 3, MAX_M = 8, MAX_E = 8 };

typedef struct {
    int32_t n, m, E, B, P, lb;
    float scale, scale2, lb_alpha;
    tm_f4 *params, *adam_m, *adam_v, *grad, *saved;  // (P,) each (saved: 3P): W (E,n,m) | b (E,n) | router (E,n)
    tm_f4 *x;      // (B,n) the batch
    tm_f4 *gates;  // (B,E) router probabilities, when load balancing
    tm_f4 *choice; // (B,) routed expert per lane (int lanes)
    float *rows;   // (TM_LANES, B n rounded up to 4) each model's xoshiro batch before the transposes
    tm_f4 imp[MAX_N];
    // Each model's data stream (rng, or rng4 when data_rng is xoshiro), its p, and its
    // batch's draw buffers as the pcg32 sampler's scratch.
    tm_rng rng[TM_LANES];
    tm_rng4 rng4[TM_LANES];
    int xoshiro;
    float p[TM_LANES];
    tm_batch *scratch[TM_LANES];
    float loss[TM_LANES];
} pack;

static int same_shape(const tm_model *a, const tm_model *b) {
    const tm_config *x = &a->cfg, *y = &b->cfg;
    return x->n == y->n && x->m == y->m && x->experts == y->experts && x->k == y->k && x->batch == y->batch &&
           x->loss == y->loss && x->load_balance == y->load_balance && x->lb_alpha == y->lb_alpha && x->lr == y->lr &&
           x->schedule == y->schedule && x->steps == y->steps && x->weight_decay == y->weight_decay &&
           x->beta1 == y->beta1 && x->beta2 == y->beta2 && x->eps == y->eps && x->data_rng == y->data_rng &&
           a->step == b->step;
}

static int fits(const tm_model *m) {
    return m->n <= MAX_N && m->m <= MAX_M && m->E <= MAX_E && m->k == 1 && m->nonfinite_step < 0;
}

int32_t tm_lanes_group(tm_model *const *models, int32_t count) {
    if (count < 2 || !fits(models[0])) return 1;
    int32_t g = 1;
    while (g < count && g < TM_LANES && fits(models[g]) && same_shape(models[0], models[g])) g++;
    return g;
}

// The lanes' batches into x (count,), lane l of vector t model l's feature t. Spare lanes
// (l >= models) repeat lane 0.
// pcg32: each model's batch is read from its own stream as one long row (tm_stream_values:
// the draws of tm_batch_sample over its rows of n <= 3, parsed 64 at a time), straight into
// its lane. xoshiro: each model's row (tm_rng4_features), then 4x4 transposes into the lanes.
static void sample_lanes(pack *pk, int32_t models, int32_t count) {
    float *x = (float *)pk->x;  // lane l of vector t is float 4t + l (written in data.c, a call away)
    if (pk->xoshiro) {
        const int32_t blocks = (count + 3) / 4;
        const float *rows[TM_LANES];
        for (int l = 0; l < TM_LANES; l++) {
            float *row = pk->rows + (size_t)l * 4 * blocks;
            if (l < models) tm_rng4_features(&pk->rng4[l], tm_presence_threshold(pk->p[l]), count, row, NULL);
            rows[l] = l < models ? row : rows[0];
        }
        tm_interleave4(rows, count, x);
        return;
    }
    memset(pk->x, 0, (size_t)count * sizeof *pk->x);
    for (int l = 0; l < models; l++) tm_stream_values(pk->scratch[l], pk->p[l], &pk->rng[l], count, x + l, TM_LANES);
    for (int l = models; l < TM_LANES; l++)  // memcpy: lane access must not break strict aliasing
        for (int32_t t = 0; t < count; t++) memcpy((char *)&pk->x[t] + sizeof(float) * l, &pk->x[t], sizeof(float));
}

// The loss of one batch in every lane (pk->loss) and the gradient (pk->grad): model.c's
// tm_model_batch for k = 1, with the chosen expert's weights picked per lane by mask.
static inline __attribute__((always_inline)) void batch(pack *pk, const int32_t n, const int32_t hm, const int32_t E) {
    const int32_t B = pk->B, P = E * n * hm + 2 * E * n;  // pk->P, as a constant of the shape
    const tm_f4 *W = pk->params, *bias = W + E * n * hm, *R = bias + E * n;
    // One expert: the gradient sums in a local copy of grad's layout, stored once at the end.
    // Unlike pk->grad, which may alias x or the weights as far as the compiler knows, it can
    // live in registers across samples (3x2-E1 0.85 of the time per step in Chromium); with
    // more experts there are too many sums, and that was slower (3x2-E2 1.12).
    tm_f4 sums[MAX_N * MAX_M + 2 * MAX_N], *grad = E == 1 ? sums : pk->grad;
    tm_f4 *gW = grad, *gb = gW + E * n * hm, *gR = gb + E * n;
    tm_f4 gWT[MAX_E * MAX_M * MAX_N];  // the decoder's gradient, (E,m,n), folded into gW at the end
    const tm_f4 zero = f4_splat(0.0f), scale = f4_splat(pk->scale), scale2 = f4_splat(pk->scale2);
    tm_f4 count[MAX_E];
    tm_d4 gate_sum[MAX_E], loss = d4_zero();
    for (int32_t i = 0; i < P; i++) grad[i] = zero;
    for (int32_t i = 0; i < E * hm * n; i++) gWT[i] = zero;
    for (int32_t e = 0; e < E; e++) { count[e] = i4_splat(0); gate_sum[e] = d4_zero(); }
    tm_f4 *choice = pk->choice;  // (B,) the routed expert per lane, as int lanes
    // Routing (and the softmax, a long latency chain) of every sample first: the samples are
    // independent, so their chains overlap, and the load-balancing gradient needs the counts
    // of the whole batch. The sums then run in sample order, as in model.c. One expert: every
    // sample goes to it, and the scores are never used.
    if (E == 1) count[0] = i4_splat(B);
    for (int32_t s = 0; s < B && E > 1; s++) {
        const tm_f4 *x = pk->x + (size_t)s * n;
        // route: scores (E,) = R x; top-1 with ties to the lowest index
        tm_f4 score[MAX_E], top, best = i4_splat(0);
        for (int32_t e = 0; e < E; e++) {
            tm_f4 acc = zero;
            for (int32_t i = 0; i < n; i++) acc = f4_add(acc, f4_mul(R[e * n + i], x[i]));
            score[e] = acc;
        }
        top = score[0];
        for (int32_t e = 1; e < E; e++) {
            tm_f4 gt = f4_gt(score[e], top);
            top = f4_select(gt, score[e], top);
            best = f4_select(gt, i4_splat(e), best);
        }
        choice[s] = best;
        for (int32_t e = 0; e < E; e++) count[e] = i4_sub(count[e], i4_eq(best, i4_splat(e)));
        if (pk->lb && E > 1) {
            // The chosen expert's exp(top - top) is 1 (NaN for a non-finite top, as tm_expf
            // gives it): only the E - 1 others need an exp, of score - top. Row s of gates holds
            // their arguments (r: the r-th expert other than best), then that 1.
            tm_f4 *row = pk->gates + (size_t)s * E;
            for (int32_t r = 0; r + 1 < E; r++) row[r] = f4_sub(f4_select(i4_gt(best, i4_splat(r)), score[r], score[r + 1]), top);
            row[E - 1] = f4_add(f4_splat(1.0f), f4_sub(top, top));
        }
    }
    // the load-balancing loss's gradient in the gates: dL/dg_e = alpha E f_e / B
    tm_f4 dgate[MAX_E];
    if (pk->lb && E > 1) {
        float alpha_e = pk->lb_alpha * (float)E;
        for (int32_t e = 0; e < E; e++) {
            float v[TM_LANES];
            for (int32_t l = 0; l < TM_LANES; l++) v[l] = alpha_e * ((float)i4_lane(count[e], l) / (float)B) / (float)B;
            memcpy(&dgate[e], v, sizeof v);
        }
    }
    // The softmax's exps and divisions in loops of their own: an exp is a long latency chain,
    // and a small loop body lets the core overlap those of many samples (1.4x faster than
    // inside the routing loop natively for fig4-3x1-E3).
    if (pk->lb && E > 1) {
        for (int32_t s = 0; s < B; s++)
            for (int32_t r = 0; r + 1 < E; r++) pk->gates[(size_t)s * E + r] = f4_exp(pk->gates[(size_t)s * E + r]);
        for (int32_t s = 0; s < B; s++) {
            tm_f4 *row = pk->gates + (size_t)s * E, best = choice[s], one = row[E - 1], g[MAX_E], total = zero;
            for (int32_t e = 0; e < E; e++) {
                tm_f4 other = e == 0 ? row[0] : e == E - 1 ? row[E - 2] : f4_select(i4_gt(best, i4_splat(e)), row[e], row[e - 1]);
                total = f4_add(total, g[e] = f4_select(i4_eq(best, i4_splat(e)), one, other));
            }
            for (int32_t e = 0; e < E; e++) row[e] = f4_div(g[e], total);
        }
    }
    // The gates' sums and the router's gradient from the load-balancing loss, ds_e = g_e (dL/dg_e
    // - g . dL/dg), in sample order, in a loop of their own whose sums stay in registers.
    if (pk->lb && E > 1) {
        tm_f4 sum_gR[MAX_E * MAX_N];
        for (int32_t t = 0; t < E * n; t++) sum_gR[t] = zero;
        for (int32_t s = 0; s < B; s++) {
            const tm_f4 *x = pk->x + (size_t)s * n, *g = pk->gates + (size_t)s * E;
            tm_f4 gdot = zero;
            for (int32_t e = 0; e < E; e++) gate_sum[e] = d4_add_f4(gate_sum[e], g[e]);
            for (int32_t e = 0; e < E; e++) gdot = f4_add(gdot, f4_mul(g[e], dgate[e]));
            for (int32_t e = 0; e < E; e++) {
                tm_f4 ds = f4_mul(g[e], f4_sub(dgate[e], gdot));
                for (int32_t i = 0; i < n; i++) sum_gR[e * n + i] = f4_add(sum_gR[e * n + i], f4_mul(ds, x[i]));
            }
        }
        for (int32_t t = 0; t < E * n; t++) gR[t] = sum_gR[t];
    }
    // One expert: g = exp(s - s) / exp(s - s) = 1 exactly, so its gates sum to B exactly (in
    // double, as model.c adds them one by one), and its router gradient is g (dL/dg - g dL/dg)
    // = +0, so the router's backward pass is skipped (same bits).
    if (pk->lb && E == 1) gate_sum[0] = d4_add_f4(gate_sum[0], f4_splat((float)B));
    for (int32_t s = 0; s < B; s++) {
        const tm_f4 *x = pk->x + (size_t)s * n, best = E == 1 ? i4_splat(0) : choice[s];
        tm_f4 mask[MAX_E];
        // the chosen expert's weights: Wc (n,m), bc (n,)
        tm_f4 Wc[MAX_N * MAX_M], bc[MAX_N];
        mask[0] = E == 1 ? i4_splat(-1) : i4_eq(best, i4_splat(0));  // (E >= 1; said so for gcc)
        for (int32_t e = 1; e < E; e++) mask[e] = i4_eq(best, i4_splat(e));
        // (masks are disjoint: and-or picks one expert's bits per lane)
        for (int32_t t = 0; t < n * hm; t++) {
            tm_f4 w = E == 1 ? W[t] : f4_and(W[t], mask[0]);
            for (int32_t e = 1; e < E; e++) w = f4_or(w, f4_and(W[e * n * hm + t], mask[e]));
            Wc[t] = w;
        }
        for (int32_t i = 0; i < n; i++) {
            tm_f4 b = E == 1 ? bias[i] : f4_and(bias[i], mask[0]);
            for (int32_t e = 1; e < E; e++) b = f4_or(b, f4_and(bias[e * n + i], mask[e]));
            bc[i] = b;
        }
        // encoder x (n,), Wc (n,m) -> h (m,); decoder -> pre (n,), y = relu(pre)
        tm_f4 h[MAX_M], pre[MAX_N], dout[MAX_N], d[MAX_N], err = zero;
        for (int32_t j = 0; j < hm; j++) {
            tm_f4 acc = zero;
            for (int32_t i = 0; i < n; i++) acc = f4_add(acc, f4_mul(x[i], Wc[i * hm + j]));
            h[j] = acc;
        }
        for (int32_t i = 0; i < n; i++) {
            tm_f4 acc = bc[i];
            for (int32_t j = 0; j < hm; j++) acc = f4_add(acc, f4_mul(h[j], Wc[i * hm + j]));
            pre[i] = acc;
            // squared error: r = y - x; err += imp r r; dL/dy = scale2 imp r
            tm_f4 r = f4_sub(f4_relu(acc), x[i]), ir = f4_mul(pk->imp[i], r);
            err = f4_add(err, f4_mul(ir, r));
            dout[i] = f4_mul(scale2, ir);
        }
        loss = d4_add_f4(loss, f4_mul(err, scale));  // model.c's ((0+0)+(0+0)) + err: err >= +0, so err
        // backward: d = dL/dpre; gb_e += d; dh = Wc^T d; gWT_e += h d^T; gW_e += x dh^T.
        // Other experts add (c & 0) = +0, which changes nothing: a gradient sum is never -0.
        for (int32_t i = 0; i < n; i++) d[i] = f4_select(f4_gt(pre[i], zero), dout[i], zero);
        for (int32_t e = 0; e < E; e++)
            for (int32_t i = 0; i < n; i++) gb[e * n + i] = f4_add(gb[e * n + i], f4_and(d[i], mask[e]));
        for (int32_t j = 0; j < hm; j++) {
            tm_f4 acc = zero;
            for (int32_t i = 0; i < n; i++) acc = f4_add(acc, f4_mul(d[i], Wc[i * hm + j]));
            tm_f4 dh = acc;  // model.c adds it to +0: a no-op, acc started at +0 so it is not -0
            for (int32_t i = 0; i < n; i++) {
                tm_f4 hd = f4_mul(h[j], d[i]), xdh = f4_mul(x[i], dh);
                for (int32_t e = 0; e < E; e++) {
                    gWT[(e * hm + j) * n + i] = f4_add(gWT[(e * hm + j) * n + i], f4_and(hd, mask[e]));
                    gW[(e * n + i) * hm + j] = f4_add(gW[(e * n + i) * hm + j], f4_and(xdh, mask[e]));
                }
            }
        }
    }
    for (int32_t l = 0; l < TM_LANES; l++) {
        double total = d4_lane(loss, l);
        if (pk->lb) {
            // L_lb = alpha E sum_e f_e P_e (f_e: fraction routed to e, no gradient)
            float alpha_e = pk->lb_alpha * (float)E;
            double lb = 0.0;
            for (int32_t e = 0; e < E; e++) {
                float frac = (float)i4_lane(count[e], l) / (float)B;
                lb += (double)frac * (d4_lane(gate_sum[e], l) / B);
            }
            total += alpha_e * lb;
        }
        pk->loss[l] = (float)total;
    }
    for (int32_t e = 0; e < E; e++)
        for (int32_t j = 0; j < hm; j++)
            for (int32_t i = 0; i < n; i++) gW[(e * n + i) * hm + j] = f4_add(gW[(e * n + i) * hm + j], gWT[(e * hm + j) * n + i]);
    if (E == 1) memcpy(pk->grad, sums, (size_t)P * sizeof *sums);
}

// Constant shapes let the compiler unroll everything: the fig4 architectures.
static void batch_any(pack *pk) {
    const int32_t n = pk->n, m = pk->m, E = pk->E;
#define SHAPE(N, M, EX) if (n == N && m == M && E == EX) { batch(pk, N, M, EX); return; }
    SHAPE(2, 1, 1) SHAPE(2, 1, 2) SHAPE(3, 1, 1) SHAPE(3, 1, 2) SHAPE(3, 1, 3) SHAPE(3, 2, 1) SHAPE(3, 2, 2) SHAPE(3, 2, 3)
#undef SHAPE
    batch(pk, n, m, E);
}

// Lanes whose floats are all finite (bit l set for lane l).
static unsigned finite_lanes(const tm_f4 *v, int32_t count) {
    const tm_f4 exponent = i4_splat(0x7f800000);
    tm_f4 bad = i4_splat(0);  // lanes with an all-ones exponent somewhere: inf or NaN
    for (int32_t t = 0; t < count; t++) bad = f4_or(bad, i4_eq(f4_and(v[t], exponent), exponent));
    unsigned ok = 0;
    for (int l = 0; l < TM_LANES; l++) ok |= (unsigned)(i4_lane(bad, l) == 0) << l;
    return ok;
}

// memcpy: lane access must not break strict aliasing of the vector type
static void lane_copy(tm_f4 *dst, const float *src, int32_t count, int l) {
    for (int32_t t = 0; t < count; t++) memcpy((char *)&dst[t] + sizeof(float) * l, &src[t], sizeof(float));
}

static void lane_get(float *dst, const tm_f4 *src, int32_t count, int l) {
    for (int32_t t = 0; t < count; t++) memcpy(&dst[t], (const char *)&src[t] + sizeof(float) * l, sizeof(float));
}

int32_t tm_lanes_train(tm_model *const *models, int32_t count, int32_t steps) {
    const tm_model *m0 = models[0];
    const tm_config *c = &m0->cfg;
    pack pk = {.n = m0->n, .m = m0->m, .E = m0->E, .B = c->batch, .P = m0->nparams, .lb = c->load_balance,
               .lb_alpha = (float)c->lb_alpha};
    pk.scale = c->loss == TM_LOSS_MEAN ? 1.0f / ((float)pk.B * (float)pk.n) : 1.0f / (float)pk.B;
    pk.scale2 = 2.0f * pk.scale;
    if (steps <= 0 || count < 1 || count > TM_LANES || m0->step > INT32_MAX - steps) return 0;
    size_t P = (size_t)pk.P;
    size_t rows = ((size_t)pk.B * pk.n + 3) / 4 * TM_LANES;  // in vectors
    tm_f4 *arena = malloc((7 * P + (size_t)pk.B * (pk.n + pk.E + 1) + rows) * sizeof *arena);
    if (!arena) return 0;  // tm_train then does the work
    pk.xoshiro = c->data_rng == TM_DATA_RNG_XOSHIRO;
    pk.params = arena; pk.adam_m = arena + P; pk.adam_v = arena + 2 * P; pk.grad = arena + 3 * P; pk.saved = arena + 4 * P;
    pk.x = arena + 7 * P; pk.gates = pk.x + (size_t)pk.B * pk.n; pk.choice = pk.gates + (size_t)pk.B * pk.E;
    pk.rows = (float *)(pk.choice + pk.B);
    // Spare lanes repeat model 0; their results are dropped.
    for (int l = 0; l < TM_LANES; l++) {
        const tm_model *m = models[l < count ? l : 0];
        lane_copy(pk.params, m->params, pk.P, l);
        lane_copy(pk.adam_m, m->adam_m, pk.P, l);
        lane_copy(pk.adam_v, m->adam_v, pk.P, l);
        lane_copy(pk.imp, m->importance, pk.n < MAX_N ? pk.n : MAX_N, l);  // n <= MAX_N (fits); said so for gcc
        pk.rng[l] = m->data_rng;
        pk.rng4[l] = m->data_rng4;
        pk.p[l] = (float)m->cfg.p;
        pk.scratch[l] = &models[l < count ? l : 0]->batch;
    }
    int32_t done = 0;
    for (; done < steps; done++) {
        tm_rng rng_before[TM_LANES];
        tm_rng4 rng4_before[TM_LANES];
        memcpy(rng_before, pk.rng, sizeof rng_before);
        memcpy(rng4_before, pk.rng4, sizeof rng4_before);
        sample_lanes(&pk, count, pk.B * pk.n);
        batch_any(&pk);
        unsigned ok = finite_lanes(pk.grad, pk.P);
        for (int l = 0; l < TM_LANES; l++) if (!isfinite(pk.loss[l])) ok &= ~(1u << l);
        if (ok != (1u << TM_LANES) - 1) {
            memcpy(pk.rng, rng_before, sizeof rng_before);
            memcpy(pk.rng4, rng4_before, sizeof rng4_before);
            break;
        }
        float lr = tm_schedule_lr(c->schedule, (float)c->lr, m0->step, c->steps);
        memcpy(pk.saved, pk.params, 3 * P * sizeof *pk.params);  // params | adam_m | adam_v
        tm_adamw_step(pk.P * TM_LANES, (float *)pk.params, (const float *)pk.grad, (float *)pk.adam_m, (float *)pk.adam_v, lr,
                      (float)c->weight_decay, (float)c->beta1, (float)c->beta2, (float)c->eps, m0->step + 1);
        if (finite_lanes(pk.params, pk.P) != (1u << TM_LANES) - 1) {
            memcpy(pk.params, pk.saved, 3 * P * sizeof *pk.params);
            memcpy(pk.rng, rng_before, sizeof rng_before);
            memcpy(pk.rng4, rng4_before, sizeof rng4_before);
            break;
        }
        for (int32_t l = 0; l < count; l++) tm_record_loss(models[l], pk.loss[l]);
    }
    for (int32_t l = 0; l < count; l++) {
        tm_model *m = models[l];
        lane_get(m->params, pk.params, pk.P, l);
        lane_get(m->grad, pk.grad, pk.P, l);
        lane_get(m->adam_m, pk.adam_m, pk.P, l);
        lane_get(m->adam_v, pk.adam_v, pk.P, l);
        m->data_rng = pk.rng[l];
        m->data_rng4 = pk.rng4[l];
        tm_model_sync_transpose(m);
    }
    free(arena);
    return done;
}
