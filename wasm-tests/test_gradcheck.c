// Every parameter group's analytic gradient against central finite
// differences of an independent double-precision forward pass.
#include "check.h"
#include "model.h"
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

static void gradcheck(const char *json, const char *label) {
    tm_model *m = tm_model_create(json);
    CHECK(m != NULL, "%s: create failed: %s", label, tm_last_error());
    if (!m) return;
    CHECK(tm_train(m, 5) == TM_OK, "%s: train", label);  // move biases off their init
    tm_batch bt;
    tm_batch_init(&bt, 24, m->n);
    tm_rng r;
    tm_rng_seed(&r, 7, 99);
    tm_batch_sample(&bt, (float)m->cfg.p, &r);
    float floss = tm_model_batch(m, &bt, 1);
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
    return check_summary("gradcheck");
}
