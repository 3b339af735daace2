// Routing: ties go to the lowest index; renormalised weights sum to 1; k=1
// routers get no gradient from the reconstruction loss.
#include "check.h"
#include "kernels.h"
#include "model.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

// The rule: pass c takes the first untaken expert with the highest score (strict '>').
static void top_k_reference(int32_t E, int32_t k, const float *scores, int32_t *chosen) {
    int taken[1024] = {0};
    for (int32_t c = 0; c < k; c++) {
        int32_t best = -1;
        for (int32_t e = 0; e < E; e++)
            if (!taken[e] && (best < 0 || scores[e] > scores[best])) best = e;
        chosen[c] = best;
        taken[best] = 1;
    }
}

// tm_top_k (the SIMD passes) against the rule on scores full of ties, signed zeros and
// infinities, every E <= 32 and k <= E; a padding lane holding the top score must not win.
static void check_top_k_kernel(void) {
    tm_rng r;
    tm_rng_seed(&r, 5, 9);
    const float levels[8] = {-INFINITY, -1.0f, -0.0f, 0.0f, 0.25f, 0.5f, 2.0f, INFINITY};
    int32_t vector_runs = 0, fallbacks = 0, bad = 0;
    for (int32_t E = 1; E <= 32; E++)
        for (int32_t k = 1; k <= E; k++)
            for (int32_t trial = 0; trial < 12; trial++) {
                float scores[32];
                int kind = trial % 3;  // 0: few levels (ties), 1: all levels, 2: continuous
                for (int32_t e = 0; e < 32; e++)
                    scores[e] = kind == 2 ? tm_rng_uniform(&r) - 0.5f : levels[(kind ? 0 : 2) + tm_rng_below(&r, kind ? 8 : 4)];
                for (int32_t e = E; e < 32; e++) scores[e] = INFINITY;  // padding beats every real score
                int32_t want[32], got[32];
                top_k_reference(E, k, scores, want);
                if (!tm_top_k(E, k, scores, got)) { fallbacks++; continue; }
                vector_runs++;
                for (int32_t c = 0; c < k; c++)
                    if (got[c] != want[c] && bad++ < 5)
                        CHECK(0, "tm_top_k E=%d k=%d trial %d: pick %d is %d, want %d", E, k, trial, c, got[c], want[c]);
            }
    CHECK(bad == 0, "tm_top_k: %d wrong picks", bad);
    // Only -inf left for a pass is the one case handed back, and it is rare here.
    CHECK(!TM_SIMD || (vector_runs > 10 * fallbacks && fallbacks > 0), "tm_top_k ran %d times, handed back %d",
          vector_runs, fallbacks);
}

// Routing with E > 32 and k >= 8 (a heap) against the rule, through tm_route: n = 1 and x = 1,
// so the scores are the router's column (ties, signed zeros, infinities as above).
static void check_top_k_heap(void) {
    tm_rng r;
    tm_rng_seed(&r, 6, 9);
    const float levels[8] = {-INFINITY, -1.0f, -0.0f, 0.0f, 0.25f, 0.5f, 2.0f, INFINITY};
    const int32_t Es[] = {33, 48, 100, 257, 1024};
    int32_t bad = 0, runs = 0;
    for (int32_t i = 0; i < 5; i++) {
        int32_t E = Es[i], ks[] = {8, 9, E / 2, E - 1, E};
        for (int32_t j = 0; j < 5; j++) {
            char cfg[128];
            snprintf(cfg, sizeof cfg, "{\"n\":1,\"m\":1,\"experts\":%d,\"k\":%d,\"batch\":1}", E, ks[j]);
            tm_model *m = tm_model_create(cfg);
            CHECK(m != NULL, "create %s: %s", cfg, tm_last_error());
            if (!m) continue;
            static float scores[1024], gates[1024], w[1024];
            static int32_t want[1024], got[1024];
            float x[1] = {1.0f};
            int32_t nz[1] = {0};
            for (int32_t trial = 0; trial < 6; trial++) {
                int kind = trial % 3;
                for (int32_t e = 0; e < E; e++)
                    m->router[e] = kind == 2 ? tm_rng_uniform(&r) - 0.5f : levels[(kind ? 0 : 2) + tm_rng_below(&r, kind ? 8 : 4)];
                tm_model_sync_transpose(m);
                tm_route(m, x, nz, 1, scores, gates, got, w);
                top_k_reference(E, m->k, scores, want);
                runs++;
                for (int32_t c = 0; c < m->k; c++)
                    if (got[c] != want[c] && bad++ < 5)
                        CHECK(0, "heap E=%d k=%d trial %d: pick %d is %d, want %d", E, m->k, trial, c, got[c], want[c]);
            }
            tm_model_free(m);
        }
    }
    CHECK(bad == 0 && runs == 150, "top-k by heap: %d wrong picks in %d routings", bad, runs);
}

// Top-1 through tm_route (k = 1, no load balancing: no softmax) with a NaN among the scores: the
// vector pass must hand over to the selection rule, NaN or not at expert 0.
static void check_top_1_nan(void) {
    tm_model *m = tm_model_create("{\"n\":1,\"m\":1,\"experts\":7,\"k\":1,\"batch\":1}");
    CHECK(m != NULL, "create: %s", tm_last_error());
    if (!m) return;
    const float base[7] = {0.5f, 2.0f, -1.0f, 2.0f, 0.25f, 3.0f, -0.0f};
    float x[1] = {1.0f}, scores[8], gates[8], w[8];
    int32_t nz[1] = {0}, bad = 0;
    for (int32_t at = 0; at < 7; at++) {
        for (int32_t e = 0; e < 7; e++) m->router[e] = e == at ? NAN : base[e];
        tm_model_sync_transpose(m);
        int32_t got[1], want[1];
        tm_route(m, x, nz, 1, scores, gates, got, w);
        top_k_reference(7, 1, scores, want);
        if (got[0] != want[0] && bad++ < 3) CHECK(0, "top-1 with NaN at %d: chose %d, want %d", at, got[0], want[0]);
    }
    CHECK(bad == 0, "top-1 with a NaN score: %d wrong", bad);
    tm_model_free(m);
}

int main(void) {
    check_top_k_kernel();
    check_top_k_heap();
    check_top_1_nan();
    tm_model *m = tm_model_create("{\"n\":4,\"m\":2,\"experts\":4,\"k\":2,\"router_init\":\"zero\"}");
    CHECK(m != NULL, "create: %s", tm_last_error());
    float x[4] = {0.5f, 0.2f, 0.0f, 0.9f}, scores[4], gates[4], w[4];
    int32_t nz[3] = {0, 1, 3}, chosen[4];
    tm_route(m, x, nz, 3, scores, gates, chosen, w);
    CHECK(chosen[0] == 0 && chosen[1] == 1, "zero router: chose %d,%d, expected 0,1", chosen[0], chosen[1]);
    CHECK(w[0] == 0.5f && w[1] == 0.5f, "zero router weights %g %g", w[0], w[1]);
    // Experts 1 and 3 tie on the top score, 0 and 2 tie below.
    float rows[4][4] = {{0, 0, 0, 0}, {1, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}};
    memcpy(m->router, rows, sizeof rows);
    tm_model_sync_transpose(m);
    tm_route(m, x, nz, 3, scores, gates, chosen, w);
    CHECK(chosen[0] == 1 && chosen[1] == 3, "tie among the top: chose %d,%d, expected 1,3", chosen[0], chosen[1]);
    CHECK(w[0] + w[1] == 1.0f, "weights sum %.9g", w[0] + w[1]);
    // A NaN score (a diverged router) still yields k distinct valid experts.
    rows[2][0] = NAN;
    memcpy(m->router, rows, sizeof rows);
    tm_model_sync_transpose(m);
    tm_route(m, x, nz, 3, scores, gates, chosen, w);
    CHECK(chosen[0] >= 0 && chosen[0] < 4 && chosen[1] >= 0 && chosen[1] < 4 && chosen[0] != chosen[1],
          "NaN score: chose %d,%d", chosen[0], chosen[1]);
    tm_model_free(m);
    // Random routers, k=3 of 5: weights sum to 1 and follow the gate order.
    m = tm_model_create("{\"n\":6,\"m\":2,\"experts\":5,\"k\":3,\"seed\":11}");
    float x6[6] = {0.3f, 0.9f, 0.1f, 0.7f, 0.2f, 0.6f}, sc[8], g5[5], w5[5];  // scores: E padded to 4
    int32_t nz6[6] = {0, 1, 2, 3, 4, 5}, ch[5];
    for (int trial = 0; trial < 20; trial++) {
        for (int i = 0; i < 30; i++) m->router[i] = (float)((i * 37 + trial * 11) % 17) / 8.0f - 1.0f;
        tm_model_sync_transpose(m);  // routing reads the transposed copy
        tm_route(m, x6, nz6, 6, sc, g5, ch, w5);
        float sum = w5[0] + w5[1] + w5[2];
        CHECK(fabsf(sum - 1.0f) < 1e-6f, "trial %d: weights sum %.9g", trial, sum);
        CHECK(g5[ch[0]] >= g5[ch[1]] && g5[ch[1]] >= g5[ch[2]], "trial %d: order", trial);
        for (int e = 0; e < 5; e++) {
            int sel = e == ch[0] || e == ch[1] || e == ch[2];
            CHECK(sel || g5[e] <= g5[ch[2]], "trial %d: unselected expert %d beats a selected one", trial, e);
        }
    }
    tm_model_free(m);
    // k = 1 without load balancing: the router's gradient is exactly zero.
    m = tm_model_create("{\"n\":10,\"m\":2,\"experts\":3,\"k\":1,\"p\":0.5,\"batch\":64}");
    tm_batch_sample(&m->batch, 0.5f, &m->data_rng);
    tm_model_batch(m, &m->batch, 1);
    float gmax = 0.0f;
    for (int i = 0; i < 30; i++) gmax = fmaxf(gmax, fabsf(m->grouter[i]));
    CHECK(gmax == 0.0f, "k=1 router gradient %g", gmax);
    tm_model_free(m);
    return check_summary("topk");
}
