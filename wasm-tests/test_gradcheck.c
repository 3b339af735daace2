// Every parameter group's analytic gradient against central finite
// differences of an independent double-precision forward pass.
#include "check.h"
#include "model.h"
#include "optim.h"
#include "toymoe.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// The model's loss on a batch, recomputed in double from the float params P.
static double ref_loss(const tm_model *m, const tm_batch *bt, const double *P) {
    int n = m->n, hm = m->m, E = m->E, k = m->k, B = bt->batch;
    const double *W = P, *b = P + (size_t)E * n * hm, *R = b + (size_t)E * n;
    double scale = m->cfg.loss == TM_LOSS_MEAN ? 1.0 / ((double)B * n) : 1.0 / B;
    double loss = 0.0, Pm[64] = {0}, f[64] = {0};
    for (int s = 0; s < B; s++) {
        const float *x = bt->x + (size_t)s * n;
        double g[64], top = -INFINITY, tot = 0.0, out[64] = {0}, h[64];
        int chosen[64];
        for (int e = 0; e < E; e++) {
            g[e] = 0.0;
            for (int i = 0; i < n; i++) g[e] += R[e * n + i] * x[i];
            if (g[e] > top) top = g[e];
        }
        for (int e = 0; e < E; e++) tot += g[e] = exp(g[e] - top);
        for (int e = 0; e < E; e++) { g[e] /= tot; Pm[e] += g[e] / B; }
        double G = 0.0;
        for (int c = 0; c < k; c++) {
            int best = -1;
            for (int e = 0; e < E; e++) {
                int taken = 0;
                for (int t = 0; t < c; t++) taken |= chosen[t] == e;
                if (!taken && (best < 0 || g[e] > g[best])) best = e;
            }
            chosen[c] = best;
            G += g[best];
            f[best] += 1.0 / B;
        }
        for (int c = 0; c < k; c++) {
            int e = chosen[c];
            double w = k == 1 ? 1.0 : g[e] / G;
            for (int j = 0; j < hm; j++) {
                h[j] = 0.0;
                for (int i = 0; i < n; i++) h[j] += W[((size_t)e * n + i) * hm + j] * x[i];
            }
            for (int i = 0; i < n; i++) {
                double pre = b[e * n + i];
                for (int j = 0; j < hm; j++) pre += W[((size_t)e * n + i) * hm + j] * h[j];
                out[i] += w * (pre > 0 ? pre : 0);
            }
        }
        for (int i = 0; i < n; i++) loss += m->importance[i] * (x[i] - out[i]) * (x[i] - out[i]) * scale;
    }
    if (m->cfg.load_balance) {
        double lb = 0.0;
        for (int e = 0; e < E; e++) lb += f[e] * Pm[e];
        loss += m->cfg.lb_alpha * E * lb;
    }
    return loss;
}

static const char *group_name[3] = {"W", "b", "router"};

// A model on the Gram path (gram = 1), the direct one (0) or the one its config picks (-1).
static tm_model *create_on_path(const char *json, int gram) {
    tm_config c;
    tm_config_defaults(&c);
    if (tm_config_parse_json(&c, json)) return NULL;
    return gram < 0 ? tm_model_new(&c) : tm_model_new_on_path(&c, gram);
}

// sparse: -1 leaves the decoder's backward pass to the model; 0 / 1 forces dense / sparse
// (model.c picks per batch from the last batch's share of active outputs). gram: as above.
static void gradcheck_path(const char *json, const char *label, int sparse, int gram) {
    tm_model *m = create_on_path(json, gram);
    CHECK(m != NULL, "%s: create failed: %s", label, tm_last_error());
    if (!m) return;
    CHECK(tm_train(m, 5) == TM_OK, "%s: train", label);  // move biases off their init
    tm_batch bt;
    tm_batch_init(&bt, 24, m->n);
    tm_rng r;
    tm_rng_seed(&r, 7, 99);
    tm_batch_sample(&bt, (float)m->cfg.p, &r);
    if (sparse >= 0) m->active_share = sparse ? 0.0f : 1.0f;
    float floss = tm_model_batch(m, &bt, 1);
    if (sparse >= 0) CHECK(m->sparse_backward == sparse, "%s: backward path %d, wanted %d", label, m->sparse_backward, sparse);
    if (gram >= 0) CHECK((m->gram != NULL) == gram, "%s: Gram path %d, wanted %d", label, m->gram != NULL, gram);
    int np = m->nparams;
    double *P = malloc(np * sizeof *P);
    for (int i = 0; i < np; i++) P[i] = m->params[i];
    double loss = ref_loss(m, &bt, P);
    CHECK(fabs(loss - floss) <= 1e-5 * fabs(loss) + 1e-7, "%s: float loss %.9g vs double %.9g", label, floss, loss);
    size_t wsize = (size_t)m->E * m->n * m->m, bsize = (size_t)m->E * m->n;
    size_t start[3] = {0, wsize, wsize + bsize}, len[3] = {wsize, bsize, bsize};
    for (int grp = 0; grp < 3; grp++) {
        double gmax = 0.0, worst = 0.0;
        for (size_t i = 0; i < len[grp]; i++) gmax = fmax(gmax, fabs(m->grad[start[grp] + i]));
        int bad = 0, checked = 0;
        for (size_t i = 0; i < len[grp]; i++) {
            size_t idx = start[grp] + i;
            double h = 1e-5, keep = P[idx];
            P[idx] = keep + h;
            double up = ref_loss(m, &bt, P);
            P[idx] = keep - h;
            double down = ref_loss(m, &bt, P);
            P[idx] = keep;
            double fd = (up - down) / (2 * h), an = m->grad[idx];
            double err = fabs(fd - an) / fmax(fabs(fd) + fabs(an), 1e-3 * gmax + 1e-9);
            worst = fmax(worst, err);
            bad += err > 2e-3;
            checked++;
        }
        // A ReLU kink or a routing flip within h can spoil a single entry.
        CHECK(bad <= checked / 50, "%s %s: %d of %d entries off (worst rel err %.3g)", label, group_name[grp], bad, checked,
              worst);
        printf("  %-34s %-6s %4d entries, |grad|max %.3g, worst rel err %.2g\n", label, group_name[grp], checked, gmax, worst);
    }
    free(P);
    tm_batch_free(&bt);
    tm_model_free(m);
}

static void gradcheck(const char *json, const char *label) { gradcheck_path(json, label, -1, -1); }

// The sparse backward pass skips outputs whose gradient is exactly 0, keeping every sum's
// order: its gradient must equal the dense pass's bit for bit, on every training step.
static void sparse_matches_dense(const char *json, const char *label) {
    tm_model *a = create_on_path(json, 0), *b = create_on_path(json, 0);
    CHECK(a && b, "%s: create failed: %s", label, tm_last_error());
    if (!a || !b) { tm_model_free(a); tm_model_free(b); return; }
    int np = a->nparams, same = 1, steps = 0;
    for (; steps < 40 && same; steps++) {
        tm_batch_sample(&a->batch, (float)a->cfg.p, &a->data_rng);
        tm_batch_sample(&b->batch, (float)b->cfg.p, &b->data_rng);
        a->active_share = 1.0f;
        b->active_share = 0.0f;
        float la = tm_model_batch(a, &a->batch, 1), lb = tm_model_batch(b, &b->batch, 1);
        CHECK(!a->sparse_backward && b->sparse_backward, "%s: paths %d %d", label, a->sparse_backward, b->sparse_backward);
        same = la == lb && !memcmp(a->grad, b->grad, (size_t)np * sizeof(float));
        CHECK(same, "%s: step %d: sparse and dense gradients differ", label, steps);
        CHECK(b->active_share > 0.0f && b->active_share < 1.0f, "%s: active share %g", label, b->active_share);
        tm_adamw_step(np, a->params, a->grad, a->adam_m, a->adam_v, 0.01f, 0.0f, 0.9f, 0.999f, 1e-8f, steps + 1);
        tm_adamw_step(np, b->params, b->grad, b->adam_m, b->adam_v, 0.01f, 0.0f, 0.9f, 0.999f, 1e-8f, steps + 1);
        tm_model_sync_transpose(a);
        tm_model_sync_transpose(b);
    }
    printf("  %-34s sparse == dense backward, bit for bit, %d steps\n", label, steps);
    tm_model_free(a);
    tm_model_free(b);
}

// The Gram path computes pre = b + (W W^T) x and dL/dW = (S + S^T) W: the same function and
// gradient as the direct path in another float order. Along 30 steps (b takes a's weights
// after each), losses and gradients agree to float rounding.
static void gram_matches_direct(const char *json, const char *label) {
    tm_model *a = create_on_path(json, 1), *b = create_on_path(json, 0);
    CHECK(a && b && a->gram && !b->gram, "%s: create failed: %s", label, tm_last_error());
    if (!a || !b || !a->gram || b->gram) { tm_model_free(a); tm_model_free(b); return; }
    int np = a->nparams;
    double worst_loss = 0.0, worst_grad = 0.0;
    for (int step = 0; step < 30; step++) {
        tm_batch_sample(&a->batch, (float)a->cfg.p, &a->data_rng);
        float la = tm_model_batch(a, &a->batch, 1), lb = tm_model_batch(b, &a->batch, 1);
        double gmax = 0.0, diff = 0.0;
        for (int i = 0; i < np; i++) {
            gmax = fmax(gmax, fabs(b->grad[i]));
            diff = fmax(diff, fabs((double)a->grad[i] - b->grad[i]));
        }
        worst_loss = fmax(worst_loss, fabs((double)la - lb) / fabs(lb));
        worst_grad = fmax(worst_grad, diff / gmax);
        tm_adamw_step(np, a->params, a->grad, a->adam_m, a->adam_v, 0.01f, 0.01f, 0.9f, 0.999f, 1e-8f, step + 1);
        memcpy(b->params, a->params, (size_t)np * sizeof(float));
        tm_model_sync_transpose(a);
        tm_model_sync_transpose(b);
    }
    CHECK(worst_loss < 1e-5 && worst_grad < 1e-4, "%s: Gram vs direct: loss rel %.3g, gradient rel %.3g", label,
          worst_loss, worst_grad);
    printf("  %-34s Gram == direct to loss rel %.2g, gradient rel %.2g (of its max), 30 steps\n", label, worst_loss,
           worst_grad);
    tm_model_free(a);
    tm_model_free(b);
}

// The paths the configs below take (the rule, model.c: tm_gram_path).
static void gram_rule(void) {
    const struct { const char *json; int gram; } cases[] = {
        {"{\"n\":100,\"m\":20,\"p\":0.1}", 1},                  // bench dense100 (batch 1024)
        {"{\"n\":20,\"m\":6,\"p\":0.1}", 1},                    // Figure 1
        {"{\"n\":100,\"m\":20,\"p\":0.5}", 0},                  // denser: 10.3 > 4
        {"{\"n\":100,\"m\":20,\"p\":0.1,\"batch\":32}", 0},   // G per batch of 32: 11.4 > 4
        {"{\"n\":400,\"m\":200,\"p\":0.02}", 0},                // n above 256
        {"{\"n\":100,\"m\":2,\"p\":0.1}", 0},                   // narrow: the fused pass
        {"{\"n\":100,\"m\":20,\"experts\":2,\"p\":0.1}", 0},  // an MoE
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tm_model *m = tm_model_create(cases[i].json);
        CHECK(m && (m->gram != NULL) == cases[i].gram, "%s: Gram path %d, wanted %d", cases[i].json, m && m->gram,
              cases[i].gram);
        tm_model_free(m);
    }
}

int main(void) {
    gradcheck("{\"n\":8,\"m\":3,\"p\":0.4,\"batch\":32,\"loss\":\"sum\"}", "dense sum xavier-bias");
    gradcheck("{\"n\":8,\"m\":3,\"p\":0.4,\"batch\":32,\"loss\":\"mean\",\"bias_init\":\"zero\"}", "dense mean zero-bias");
    gradcheck("{\"n\":7,\"m\":2,\"experts\":3,\"k\":1,\"p\":0.5,\"batch\":32}", "moe k=1 sum");
    gradcheck("{\"n\":7,\"m\":2,\"experts\":3,\"k\":1,\"p\":0.5,\"batch\":32,\"load_balance\":true,\"lb_alpha\":0.5,"
              "\"loss\":\"mean\"}", "moe k=1 lb mean");
    gradcheck("{\"n\":7,\"m\":3,\"experts\":4,\"k\":2,\"p\":0.5,\"batch\":32,\"bias_init\":\"zero\"}", "moe k=2 sum zero-bias");
    gradcheck("{\"n\":7,\"m\":3,\"experts\":4,\"k\":2,\"p\":0.5,\"batch\":32,\"load_balance\":true,\"lb_alpha\":0.3,"
              "\"loss\":\"mean\"}", "moe k=2 lb mean");
    gradcheck("{\"n\":9,\"m\":2,\"experts\":5,\"k\":3,\"p\":0.5,\"batch\":32,\"importance\":\"decay\","
              "\"importance_base\":0.8}", "moe k=3 sum");
    gradcheck("{\"n\":9,\"m\":2,\"experts\":5,\"k\":3,\"p\":0.5,\"batch\":32,\"load_balance\":true,\"lb_alpha\":0.2,"
              "\"bias_init\":\"zero\",\"loss\":\"mean\"}", "moe k=3 lb mean zero-bias");
    gradcheck("{\"n\":5,\"m\":1,\"experts\":5,\"k\":1,\"p\":0.5,\"batch\":32,\"router_init\":\"diagonal\","
              "\"load_balance\":true,\"lb_alpha\":0.5}", "moe k=1 diagonal lb");
    // The sparse backward pass (m >= 8), forced both ways.
    gradcheck_path("{\"n\":20,\"m\":8,\"p\":0.3,\"batch\":32}", "dense m=8 sparse backward", 1, 0);
    // Dense models on both decoder paths, whatever the rule would pick.
    gradcheck_path("{\"n\":8,\"m\":3,\"p\":0.4,\"batch\":32,\"loss\":\"sum\"}", "dense m=3 Gram", -1, 1);
    gradcheck_path("{\"n\":8,\"m\":3,\"p\":0.4,\"batch\":32,\"loss\":\"sum\"}", "dense m=3 direct", -1, 0);
    gradcheck_path("{\"n\":21,\"m\":9,\"p\":0.2,\"batch\":32,\"loss\":\"mean\",\"importance\":\"decay\"}",
                   "dense n=21 m=9 Gram", -1, 1);
    gradcheck_path("{\"n\":21,\"m\":9,\"p\":0.2,\"batch\":32,\"loss\":\"mean\",\"bias_init\":\"zero\","
                   "\"load_balance\":true}", "dense n=21 m=9 Gram lb zero-bias", -1, 1);
    gradcheck_path("{\"n\":23,\"m\":9,\"experts\":3,\"k\":2,\"p\":0.3,\"batch\":32,\"load_balance\":true,"
                   "\"lb_alpha\":0.3}", "moe k=2 lb sparse backward", 1, -1);
    gradcheck_path("{\"n\":23,\"m\":9,\"experts\":3,\"k\":2,\"p\":0.3,\"batch\":32}", "moe k=2 dense backward", 0, -1);
    sparse_matches_dense("{\"n\":100,\"m\":20,\"p\":0.1,\"batch\":256}", "dense n=100 m=20");
    sparse_matches_dense("{\"n\":37,\"m\":11,\"experts\":4,\"k\":1,\"p\":0.2,\"batch\":128,\"load_balance\":true,"
                         "\"loss\":\"mean\"}", "moe n=37 m=11 E=4 k=1 lb");
    sparse_matches_dense("{\"n\":45,\"m\":8,\"experts\":5,\"k\":3,\"p\":0.2,\"batch\":64,\"importance\":\"decay\"}",
                         "moe n=45 m=8 E=5 k=3");
    gram_matches_direct("{\"n\":100,\"m\":20,\"p\":0.1,\"batch\":256}", "dense n=100 m=20");
    gram_matches_direct("{\"n\":37,\"m\":5,\"p\":0.3,\"batch\":64,\"importance\":\"decay\",\"bias_init\":\"zero\"}",
                        "dense n=37 m=5 decay zero-bias");
    gram_matches_direct("{\"n\":19,\"m\":3,\"p\":0.05,\"batch\":128,\"loss\":\"mean\"}", "dense n=19 m=3 mean");
    gram_rule();
    return check_summary("gradcheck");
}
