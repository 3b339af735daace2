// Metrics on weights with known answers.
#include "check.h"
#include "config.h"
#include "kernels.h"
#include "metrics.h"
#include "model.h"
#include "toymoe.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NEAR(a, b, tol) (fabs((double)(a) - (double)(b)) <= (tol))

static float *metrics_of(tm_model *m, int samples) {
    float *out = malloc((size_t)tm_metrics_len(m) * sizeof(float));
    int rc = tm_metrics(m, samples, out, tm_metrics_len(m));
    CHECK(rc == TM_OK, "metrics: %s", tm_last_error());
    for (int i = 0; i < tm_metrics_len(m); i++) CHECK(isfinite(out[i]), "entry %d not finite", i);
    return out;
}
#define AT(out, m, which) ((out) + tm_metrics_offset((m), (which)))

// The usage metrics by their definition (SPEC, Table 1): every input built whole and scored
// by one dot product per expert, the metrics' own draws replayed. Reports in *near the
// samples whose top two scores of any input differ by less than 1e-4: there the fast path's other
// summation order may pick the other expert.
static int32_t top_by_dot(const tm_model *m, const float *x, int *near) {
    int32_t best = 0;
    float best_s = -INFINITY, second = -INFINITY;
    for (int32_t e = 0; e < m->E; e++) {
        float s = tm_dot(m->n, m->router + (size_t)e * m->n, x);
        if (s > best_s) { second = best_s; best_s = s; best = e; }
        else if (s > second) second = s;
    }
    if (best_s > second && best_s - second < 1e-4f) *near = 1;  // exact ties (all-zero input) are exact in both
    return best;
}

static void usage_by_definition(tm_model *m, int32_t samples, const float *poly, float *usage, int *near_samples) {
    const int32_t n = m->n, E = m->E, B = m->cfg.batch, chunks = (samples + B - 1) / B, used = chunks * B;
    tm_rng rng;
    tm_rng_seed(&rng, (uint64_t)m->cfg.seed, TM_STREAM_METRICS);
    tm_batch b;
    CHECK(tm_batch_init(&b, B, n) == TM_OK, "batch");
    for (int32_t c = 0; c < chunks; c++) tm_batch_sample(&b, (float)m->cfg.p, &rng);
    tm_batch_free(&b);
    float p_usage = m->cfg.usage_inputs == TM_USAGE_DENSE ? 1.0f : (float)m->cfg.p;
    float *x = malloc(2 * (size_t)n * sizeof *x), *xe = x + n;
    memset(usage, 0, 3 * (size_t)E * sizeof *usage);
    *near_samples = 0;
    for (int32_t s = 0; s < used; s++) {
        int near = 0;
        for (int32_t i = 0; i < n; i++) x[i] = tm_rng_uniform(&rng) < p_usage ? tm_rng_uniform(&rng) : 0.0f;
        float shared = tm_rng_uniform(&rng);
        usage[top_by_dot(m, x, &near)] += 1.0f;
        for (int32_t e = 0; e < E; e++) {
            const float *pe = poly + (size_t)e * n;
            for (int32_t i = 0; i < n; i++) xe[i] = pe[i] < TM_USAGE_POLY_MAX ? 1.0f : x[i];
            usage[E + e] += top_by_dot(m, xe, &near) == e;
            for (int32_t i = 0; i < n; i++) xe[i] = pe[i] < TM_USAGE_POLY_MAX ? shared : 0.0f;
            usage[2 * E + e] += top_by_dot(m, xe, &near) == e;
        }
        *near_samples += near;
    }
    for (int32_t i = 0; i < 3 * E; i++) usage[i] /= (float)used;
    free(x);
}

int main(void) {
    // Orthonormal rows: n = m = 4, W = I. FPD = 1, D = 1, polysemanticity 0.
    tm_model *m = tm_model_create("{\"n\":4,\"m\":4,\"batch\":256}");
    memset(m->W, 0, 16 * sizeof(float));
    for (int i = 0; i < 4; i++) m->W[i * 4 + i] = 1.0f;
    float *o = metrics_of(m, 1000);
    for (int i = 0; i < 4; i++) {
        CHECK(NEAR(AT(o, m, TM_MET_NORM)[i], 1, 1e-6), "norm %g", AT(o, m, TM_MET_NORM)[i]);
        CHECK(NEAR(AT(o, m, TM_MET_DIM)[i], 1, 1e-4), "D %g", AT(o, m, TM_MET_DIM)[i]);
        CHECK(AT(o, m, TM_MET_POLY)[i] == 0.0f, "poly %g", AT(o, m, TM_MET_POLY)[i]);
        CHECK(AT(o, m, TM_MET_CLASS)[i] == TM_CLASS_MONOSEMANTIC, "class");
    }
    CHECK(NEAR(AT(o, m, TM_MET_SCALARS)[0], 1, 1e-6), "FPD %g", AT(o, m, TM_MET_SCALARS)[0]);
    CHECK(AT(o, m, TM_MET_SCALARS)[2] == 1024, "samples rounded up to whole batches: %g", AT(o, m, TM_MET_SCALARS)[2]);
    CHECK(NEAR(AT(o, m, TM_MET_INTERFERENCE)[5], 1, 1e-4) && AT(o, m, TM_MET_INTERFERENCE)[1] == 0, "W^TW = I");
    free(o);
    tm_model_free(m);

    // Antipodal pair in one dimension, a zero row, and a lone feature.
    m = tm_model_create("{\"n\":4,\"m\":2,\"batch\":64}");
    float W[8] = {0.8f, 0, -0.8f, 0, 0, 0, 0, 1.0f};
    memcpy(m->W, W, sizeof W);
    o = metrics_of(m, 64);
    CHECK(NEAR(AT(o, m, TM_MET_DIM)[0], 0.5, 1e-4) && NEAR(AT(o, m, TM_MET_DIM)[1], 0.5, 1e-4), "antipodal D %g %g",
          AT(o, m, TM_MET_DIM)[0], AT(o, m, TM_MET_DIM)[1]);
    CHECK(NEAR(AT(o, m, TM_MET_POLY)[0], 0.8, 1e-4), "antipodal polysemanticity %g", AT(o, m, TM_MET_POLY)[0]);
    CHECK(NEAR(AT(o, m, TM_MET_SUPERPOSITION)[0], 0.64, 1e-4), "superposition %g", AT(o, m, TM_MET_SUPERPOSITION)[0]);
    CHECK(NEAR(AT(o, m, TM_MET_PHASE_SCORE)[0], 1.28, 1e-4), "phase score %g", AT(o, m, TM_MET_PHASE_SCORE)[0]);
    CHECK(AT(o, m, TM_MET_CLASS)[0] == TM_CLASS_SUPERPOSED, "antipodal class");
    CHECK(AT(o, m, TM_MET_NORM)[2] == 0 && AT(o, m, TM_MET_DIM)[2] == 0 && AT(o, m, TM_MET_CLASS)[2] == TM_CLASS_IGNORED,
          "zero row ignored");
    CHECK(NEAR(AT(o, m, TM_MET_DIM)[3], 1, 1e-4) && AT(o, m, TM_MET_CLASS)[3] == TM_CLASS_MONOSEMANTIC, "lone feature");
    CHECK(NEAR(AT(o, m, TM_MET_CAPACITY)[0], 2, 1e-3), "capacity %g", AT(o, m, TM_MET_CAPACITY)[0]);
    // Dense FPD is exactly ||W||_F^2 / m.
    CHECK(NEAR(AT(o, m, TM_MET_SCALARS)[0], (0.64 + 0.64 + 1.0) / 2, 1e-6), "dense FPD %g", AT(o, m, TM_MET_SCALARS)[0]);
    free(o);
    tm_model_free(m);

    // Five features evenly spaced in two dimensions: D = 0.4 each.
    m = tm_model_create("{\"n\":5,\"m\":2,\"batch\":64}");
    for (int i = 0; i < 5; i++) {
        m->W[2 * i] = (float)cos(2 * M_PI * i / 5);
        m->W[2 * i + 1] = (float)sin(2 * M_PI * i / 5);
    }
    o = metrics_of(m, 64);
    for (int i = 0; i < 5; i++) CHECK(NEAR(AT(o, m, TM_MET_DIM)[i], 0.4, 1e-4), "pentagon D %g", AT(o, m, TM_MET_DIM)[i]);
    CHECK(NEAR(AT(o, m, TM_MET_SCALARS)[1], 2.0, 1e-3), "total capacity %g = m", AT(o, m, TM_MET_SCALARS)[1]);
    free(o);
    tm_model_free(m);

    // A MoE: usage fractions sum to 1; p_e sum to 1; FPD follows the formula.
    m = tm_model_create("{\"n\":12,\"m\":2,\"experts\":4,\"k\":2,\"batch\":512,\"seed\":2}");
    tm_train(m, 50);
    o = metrics_of(m, 2048);
    float usum = 0, psum = 0, fpd = 0;
    for (int e = 0; e < 4; e++) {
        usum += AT(o, m, TM_MET_USAGE)[e];
        psum += AT(o, m, TM_MET_GATE_MEAN)[e];
        const float *We = m->W + e * 24;
        float fro = 0;
        for (int i = 0; i < 24; i++) fro += We[i] * We[i];
        fpd += AT(o, m, TM_MET_GATE_MEAN)[e] * fro / 2;
    }
    CHECK(NEAR(usum, 1, 1e-5), "usage sums to %g", usum);
    CHECK(NEAR(psum, 1, 1e-4), "p_e sum to %g", psum);
    CHECK(NEAR(AT(o, m, TM_MET_SCALARS)[0], fpd / 2, 1e-4 * fpd), "FPD %g vs %g", AT(o, m, TM_MET_SCALARS)[0], fpd / 2);
    CHECK(AT(o, m, TM_MET_SCALARS)[3] > 0, "loss on samples %g", AT(o, m, TM_MET_SCALARS)[3]);
    // Same call twice gives the same numbers (seeded sampling).
    float *o2 = metrics_of(m, 2048);
    CHECK(!memcmp(o, o2, (size_t)tm_metrics_len(m) * sizeof(float)), "metrics are deterministic");
    free(o); free(o2);
    tm_model_free(m);

    // Usage against its definition on a model whose experts have no, some or all features
    // monosemantic (zeroed rows are: polysemanticity 0), dense and sparse inputs.
    for (int sparse = 0; sparse < 2; sparse++) {
        m = tm_model_create(sparse ? "{\"n\":12,\"m\":3,\"experts\":6,\"k\":2,\"batch\":100,\"seed\":4,\"usage_inputs\":\"sparse\",\"p\":0.3}"
                                   : "{\"n\":12,\"m\":3,\"experts\":6,\"k\":2,\"batch\":100,\"seed\":4}");
        CHECK(m != NULL, "usage model: %s", tm_last_error());
        for (int e = 0; e < 6; e++)
            for (int i = 0; i < 12; i++)
                if ((e == 5) || (e > 0 && (i * 7 + e) % 5 < e)) memset(m->W + ((size_t)e * 12 + i) * 3, 0, 3 * sizeof(float));
        o = metrics_of(m, 3000);
        float ref[18];
        int near = 0, mono_experts = 0, partial_experts = 0;
        usage_by_definition(m, 3000, AT(o, m, TM_MET_POLY), ref, &near);
        for (int e = 0; e < 6; e++) {
            int mono = 0;
            for (int i = 0; i < 12; i++) mono += AT(o, m, TM_MET_POLY)[e * 12 + i] < TM_USAGE_POLY_MAX;
            mono_experts += mono == 12;
            partial_experts += mono > 0 && mono < 12;
            if (!mono) ref[12 + e] = -1.0f;
        }
        CHECK(mono_experts >= 1 && partial_experts >= 2, "the model has %d all-mono and %d partly mono experts", mono_experts, partial_experts);
        const float *u = AT(o, m, TM_MET_USAGE);
        for (int i = 0; i < 18; i++)
            CHECK(fabsf(u[i] - ref[i]) <= (float)near / 3000.0f + 1e-6f, "usage[%d] %g, by definition %g (%d near ties)", i, u[i], ref[i], near);
        CHECK(near < 30, "%d samples with near ties", near);
        free(o);
        tm_model_free(m);
    }

    // Usage: expert 0 owns feature 0 through the router. Clamping feature 0 to 1
    // moves every input to expert 0; feature 0 alone always routes there.
    m = tm_model_create("{\"n\":3,\"m\":1,\"experts\":3,\"k\":1,\"batch\":100,\"router_init\":\"diagonal\"}");
    float Wm[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};  // each expert holds one feature alone (poly 0)
    memcpy(m->W, Wm, sizeof Wm);
    float R[9] = {5, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(m->router, R, sizeof R);
    o = metrics_of(m, 1000);
    float *u = AT(o, m, TM_MET_USAGE);
    CHECK(u[3 + 0] == 1.0f && u[6 + 0] == 1.0f, "clamped %g, only %g", u[3], u[6]);
    CHECK(u[0] > 0.6f, "dense inputs mostly to expert 0: %g", u[0]);
    free(o);

    // Router regions with known boundaries: n = 2, scores x1, x2 and 0.75(x1+x2).
    // x1 > x2 -> expert 0 unless 0.75(x1+x2) > x1, i.e. x2 > x1/3 -> expert 2.
    tm_model *r2 = tm_model_create("{\"n\":2,\"m\":1,\"experts\":3,\"k\":1}");
    float R2[6] = {1, 0, 0, 1, 0.75f, 0.75f};
    memcpy(r2->router, R2, sizeof R2);
    int grid = 40, cells[1600], wrong = 0;
    CHECK(tm_router_regions(r2, grid, cells, 1600) == TM_OK, "regions: %s", tm_last_error());
    for (int r = 0; r < grid; r++)
        for (int c = 0; c < grid; c++) {
            float x1 = (c + 0.5f) / grid, x2 = 1 - (r + 0.5f) / grid;
            int want = x2 < x1 / 3 ? 0 : x1 < x2 / 3 ? 1 : 2;
            int on_boundary = fabsf(x2 - x1 / 3) < 1e-5f || fabsf(x1 - x2 / 3) < 1e-5f;  // float rounding decides
            wrong += cells[r * grid + c] != want && !on_boundary;
        }
    CHECK(wrong == 0, "%d cells off the analytic regions", wrong);
    tm_model_free(r2);
    // n = 3: the diagonal router splits the simplex into three corner regions.
    int tri[400], outside = 0, counts[3] = {0};
    CHECK(tm_router_regions(m, 20, tri, 400) == TM_OK, "simplex");
    for (int i = 0; i < 400; i++) { if (tri[i] < 0) outside++; else counts[tri[i]]++; }
    CHECK(outside > 100 && outside < 250 && counts[0] > 0, "simplex: %d outside, %d/%d/%d", outside, counts[0], counts[1],
          counts[2]);
    CHECK(tm_router_regions(m, 0, tri, 400) == TM_ERR_ARG && tm_router_regions(m, 30, tri, 400) == TM_ERR_ARG, "bad grid");
    tm_model_free(m);
    m = tm_model_create("{\"n\":5}");
    CHECK(tm_router_regions(m, 10, tri, 400) == TM_ERR_STATE, "n=5 has no region map");
    float small[4];
    CHECK(tm_metrics(m, 100, small, 4) == TM_ERR_ARG, "short buffer");
    float *buf = malloc((size_t)tm_metrics_len(m) * sizeof(float));
    CHECK(tm_metrics(m, 0, buf, tm_metrics_len(m)) == TM_ERR_ARG, "zero samples");
    m->W[3] = INFINITY;
    CHECK(tm_metrics(m, 100, buf, tm_metrics_len(m)) == TM_ERR_NONFINITE, "non-finite weights: error, not NaN");
    // Finite but huge weights overflow float inside the metrics (found by fuzz_api).
    m->W[3] = 1e30f;
    CHECK(tm_metrics(m, 100, buf, tm_metrics_len(m)) == TM_ERR_NONFINITE && strstr(tm_last_error(), "overflow"),
          "huge weights: error, not NaN: %s", tm_last_error());
    free(buf);
    tm_model_free(m);
    return check_summary("metrics");
}
