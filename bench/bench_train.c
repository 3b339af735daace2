// Training throughput per workload: median ms per step and sample-steps/s.
// The same file is built natively and to wasm (SIMD and scalar); bench/run.sh
// runs them all and prints the ratios measured in one run.
//   bench_train [--quick] [--only ID]   -> one JSON line per workload on stdout
#include "model.h"
#include "toymoe.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct { const char *id, *config; int models; } workload;

static const workload workloads[] = {
    {"dense100", "{\"n\":100,\"m\":20,\"p\":0.1,\"importance\":\"uniform\",\"batch\":1024}", 1},
    {"moe4", "{\"n\":100,\"m\":5,\"experts\":4,\"k\":1,\"p\":0.1,\"importance\":\"uniform\",\"batch\":1024}", 1},
    {"moe10", "{\"n\":100,\"m\":2,\"experts\":10,\"k\":2,\"p\":0.1,\"importance\":\"uniform\",\"batch\":1024}", 1},
    {"moe20", "{\"n\":100,\"m\":1,\"experts\":20,\"k\":5,\"p\":0.1,\"importance\":\"uniform\",\"batch\":1024}", 1},
    {"fig2", "{\"n\":20,\"m\":2,\"experts\":3,\"k\":1,\"p\":0.1,\"importance\":\"uniform\",\"batch\":1024}", 1},
    {"table1", "{\"n\":100,\"m\":10,\"experts\":10,\"k\":1,\"p\":0.1,\"importance\":\"uniform\",\"batch\":1024}", 1},
    // One step of all 2262 phase-diagram models (n=3, m=1, E=3, k=1, LB on, batch 512).
    {"phase", "{\"n\":3,\"m\":1,\"experts\":3,\"k\":1,\"p\":0.1,\"importance\":\"uniform\",\"batch\":512,"
              "\"load_balance\":true,\"loss\":\"mean\"}", 2262},
};

int main(int argc, char **argv) {
    int quick = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    }
    for (size_t w = 0; w < sizeof workloads / sizeof workloads[0]; w++) {
        const workload *wl = &workloads[w];
        if (only && strcmp(only, wl->id)) continue;
        int models = quick && wl->models > 1 ? 100 : wl->models;
        tm_model **ms = malloc((size_t)models * sizeof *ms);
        for (int i = 0; i < models; i++) ms[i] = tm_model_create(wl->config);
        if (!ms[0]) { fprintf(stderr, "%s: %s\n", wl->id, tm_last_error()); return 1; }
        for (int i = 0; i < models; i++) tm_train(ms[i], 3);  // warm-up
        int reps = quick ? 5 : 21, steps = models > 1 ? 1 : (quick ? 10 : 40);
        double t[64];
        for (int r = 0; r < reps; r++) {
            double t0 = now_ms();
            for (int i = 0; i < models; i++) tm_train(ms[i], steps);
            t[r] = (now_ms() - t0) / steps;
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp);
        double ms_step = t[reps / 2] * (quick && wl->models > 1 ? (double)wl->models / models : 1.0);
        // Useful multiply-adds per sample: the encoder over present features, the decoder and its two
        // gradient products over all n outputs, for each of the k active experts, plus the router.
        const tm_model *m = ms[0];
        double nnz = m->cfg.p * m->n;
        double macs = m->k * (2 * nnz * m->m + 3.0 * m->n * m->m) + m->E * nnz * (m->k > 1 || m->cfg.load_balance ? 2 : 1);
        double samples = (double)m->cfg.batch * wl->models;
        printf("{\"id\":\"%s\",\"ms_per_step\":%.4f,\"sample_steps_per_s\":%.4g,\"useful_gflops\":%.3f}\n", wl->id, ms_step,
               samples / (ms_step * 1e-3), 2.0 * macs * samples / (ms_step * 1e-3) / 1e9);
        fflush(stdout);
        for (int i = 0; i < models; i++) tm_model_free(ms[i]);
        free(ms);
    }
    return 0;
}
