// Training throughput per workload: median ms per step and sample-steps/s.
// The same file is built natively (scalar, and the wasm SIMD path through SIMDe:
// bench_train_simde) and to wasm (SIMD and scalar); bench/run.sh runs them all,
// plus the same workloads in a Chromium Web Worker, and prints the ratios
// measured in one run.
//
//   bench_train [--quick] [--smoke] [--scaling] [--only ID[,ID...]] [--reps N] [--target-ms MS] [--models N]
//   bench_train --list [--scaling]      -> the workload definitions (bench/chromium.mjs reads them)
//   bench_train --peak                  -> this core's measured SIMD128 mul + add throughput
//
// One JSON line per workload on stdout. Timing: every model trains 3 warm-up steps and on, one
// step of all at a time, until the warm-up has lasted 300 ms; a
// single-model workload then doubles a timed run until it lasts a quarter of --target-ms
// and trains the steps that fill --target-ms in one tm_train call per repeat; a
// multi-model workload (phase, phase-single, fig4-*) times one step of every model per repeat.
// The median of --reps repeats is reported (and the fastest, ms_min). --quick: 5 repeats of
// ~30 ms and each multi-model workload on 100 of its 2262 models, scaled up. --smoke: the
// harness only (1 repeat of 1 step, 8 models per multi-model workload).
// Uses the public API (toymoe.h) only.
#include "kernels.h"
#include "toymoe.h"
#include <math.h>
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

// group: "main" (the workloads), "lanes" (phase without the lane trainer), "fig4" (the
// Figure-4 architectures), "xoshiro" (main and fig4 again on the vectorised data stream) --
// these run by default -- or a scaling series, run with --scaling ("n": m = n/5 dense; "E":
// k = 1, E*m = 64). xoshiro: config data_rng = xoshiro instead of the default pcg32.
typedef struct {
    const char *id, *group;
    int n, m, E, k, batch, models, load_balance, xoshiro;
    double p;  // feature density
} workload;

// Every workload: p = 0.1 (the fig4-* ones: 0.5, below), uniform importance, AdamW (lr 1e-3,
// wd 0.01: the defaults).
#define P_DENSITY 0.1
#define FIG4_DENSITY 0.5
static const workload workloads[] = {
    {"dense100", "main", 100, 20, 1, 1, 1024, 1, 0, 0, P_DENSITY},
    {"moe4", "main", 100, 5, 4, 1, 1024, 1, 0, 0, P_DENSITY},
    {"moe10", "main", 100, 2, 10, 2, 1024, 1, 0, 0, P_DENSITY},
    {"moe20", "main", 100, 1, 20, 5, 1024, 1, 0, 0, P_DENSITY},
    {"fig2", "main", 20, 2, 3, 1, 1024, 1, 0, 0, P_DENSITY},
    {"table1", "main", 100, 10, 10, 1, 1024, 1, 0, 0, P_DENSITY},
    // One step of all 2262 phase-diagram models (n=3, m=1, E=3, k=1, load balancing, batch 512).
    {"phase", "main", 3, 1, 3, 1, 512, 2262, 1, 0, P_DENSITY},
    // The same, one model per tm_train call (no SIMD lanes): what the lane trainer gains.
    {"phase-single", "lanes", 3, 1, 3, 1, 512, 2262, 1, 0, P_DENSITY},
    // The 8 Figure-4 architectures (n x m, E experts, k = 1, load balancing, batch 512), 2262
    // models each (one architecture's cells of the paper's phase diagram), timed as phase: the
    // full-fidelity sweep estimate sums them. At p = 0.5, the mean density of the sweep's cells
    // (S = 0.025 ... 0.975): the lane trainer's compute does not depend on p, but its sampler
    // reads 1 + p draws and writes p values per feature, so its cost is linear in p and the
    // sweep's mean cost is the cost at the mean p (at p = 0.1 the estimate came out 15-40% low).
    {"fig4-2x1-E1", "fig4", 2, 1, 1, 1, 512, 2262, 1, 0, FIG4_DENSITY},
    {"fig4-2x1-E2", "fig4", 2, 1, 2, 1, 512, 2262, 1, 0, FIG4_DENSITY},
    {"fig4-3x1-E1", "fig4", 3, 1, 1, 1, 512, 2262, 1, 0, FIG4_DENSITY},
    {"fig4-3x1-E2", "fig4", 3, 1, 2, 1, 512, 2262, 1, 0, FIG4_DENSITY},
    {"fig4-3x1-E3", "fig4", 3, 1, 3, 1, 512, 2262, 1, 0, FIG4_DENSITY},
    {"fig4-3x2-E1", "fig4", 3, 2, 1, 1, 512, 2262, 1, 0, FIG4_DENSITY},
    {"fig4-3x2-E2", "fig4", 3, 2, 2, 1, 512, 2262, 1, 0, FIG4_DENSITY},
    {"fig4-3x2-E3", "fig4", 3, 2, 3, 1, 512, 2262, 1, 0, FIG4_DENSITY},
    // The same workloads on the xoshiro data stream (other draws, the same distribution).
    {"dense100-xo", "xoshiro", 100, 20, 1, 1, 1024, 1, 0, 1, P_DENSITY},
    {"moe4-xo", "xoshiro", 100, 5, 4, 1, 1024, 1, 0, 1, P_DENSITY},
    {"moe10-xo", "xoshiro", 100, 2, 10, 2, 1024, 1, 0, 1, P_DENSITY},
    {"moe20-xo", "xoshiro", 100, 1, 20, 5, 1024, 1, 0, 1, P_DENSITY},
    {"fig2-xo", "xoshiro", 20, 2, 3, 1, 1024, 1, 0, 1, P_DENSITY},
    {"table1-xo", "xoshiro", 100, 10, 10, 1, 1024, 1, 0, 1, P_DENSITY},
    {"phase-xo", "xoshiro", 3, 1, 3, 1, 512, 2262, 1, 1, P_DENSITY},
    {"fig4-2x1-E1-xo", "xoshiro", 2, 1, 1, 1, 512, 2262, 1, 1, FIG4_DENSITY},
    {"fig4-2x1-E2-xo", "xoshiro", 2, 1, 2, 1, 512, 2262, 1, 1, FIG4_DENSITY},
    {"fig4-3x1-E1-xo", "xoshiro", 3, 1, 1, 1, 512, 2262, 1, 1, FIG4_DENSITY},
    {"fig4-3x1-E2-xo", "xoshiro", 3, 1, 2, 1, 512, 2262, 1, 1, FIG4_DENSITY},
    {"fig4-3x1-E3-xo", "xoshiro", 3, 1, 3, 1, 512, 2262, 1, 1, FIG4_DENSITY},
    {"fig4-3x2-E1-xo", "xoshiro", 3, 2, 1, 1, 512, 2262, 1, 1, FIG4_DENSITY},
    {"fig4-3x2-E2-xo", "xoshiro", 3, 2, 2, 1, 512, 2262, 1, 1, FIG4_DENSITY},
    {"fig4-3x2-E3-xo", "xoshiro", 3, 2, 3, 1, 512, 2262, 1, 1, FIG4_DENSITY},
    // Scaling with n (dense, m = n/5) and with E (n = 100, k = 1, E*m = 64).
    {"n20", "n", 20, 4, 1, 1, 1024, 1, 0, 0, P_DENSITY},
    {"n100", "n", 100, 20, 1, 1, 1024, 1, 0, 0, P_DENSITY},
    {"n400", "n", 400, 80, 1, 1, 1024, 1, 0, 0, P_DENSITY},
    {"n1000", "n", 1000, 200, 1, 1, 1024, 1, 0, 0, P_DENSITY},
    {"E1", "E", 100, 64, 1, 1, 1024, 1, 0, 0, P_DENSITY},
    {"E2", "E", 100, 32, 2, 1, 1024, 1, 0, 0, P_DENSITY},
    {"E4", "E", 100, 16, 4, 1, 1024, 1, 0, 0, P_DENSITY},
    {"E8", "E", 100, 8, 8, 1, 1024, 1, 0, 0, P_DENSITY},
    {"E16", "E", 100, 4, 16, 1, 1024, 1, 0, 0, P_DENSITY},
    {"E32", "E", 100, 2, 32, 1, 1024, 1, 0, 0, P_DENSITY},
    {"E64", "E", 100, 1, 64, 1, 1024, 1, 0, 0, P_DENSITY},
};

// The core's peak for this build's SIMD128 code, measured rather than assumed from a clock and
// a pipe count: 6 independent chains of 4-lane multiplies and 6 of 4-lane adds (enough in
// flight to cover 2 pipes of each at a 3-cycle latency), by 1 and +0 read from volatiles so
// no compiler can fold them, for ~target_ms; the best of 5 runs. GFLOP/s counts one flop per
// lane of each mul or add, as the workloads' useful GFLOP/s do. 0 without SIMD.
#if TM_SIMD
// The chains live in registers for the whole loop: v (12,) in, v out.
static __attribute__((noinline)) void peak_loop(v128_t *v, int64_t iters, float one_f, float zero_f) {
    const v128_t one = wasm_f32x4_splat(one_f), zero = wasm_f32x4_splat(zero_f);
    v128_t m0 = v[0], m1 = v[1], m2 = v[2], m3 = v[3], m4 = v[4], m5 = v[5];
    v128_t a0 = v[6], a1 = v[7], a2 = v[8], a3 = v[9], a4 = v[10], a5 = v[11];
    for (int64_t it = 0; it < iters; it++) {
        m0 = wasm_f32x4_mul(m0, one); m1 = wasm_f32x4_mul(m1, one); m2 = wasm_f32x4_mul(m2, one);
        m3 = wasm_f32x4_mul(m3, one); m4 = wasm_f32x4_mul(m4, one); m5 = wasm_f32x4_mul(m5, one);
        a0 = wasm_f32x4_add(a0, zero); a1 = wasm_f32x4_add(a1, zero); a2 = wasm_f32x4_add(a2, zero);
        a3 = wasm_f32x4_add(a3, zero); a4 = wasm_f32x4_add(a4, zero); a5 = wasm_f32x4_add(a5, zero);
    }
    v[0] = m0; v[1] = m1; v[2] = m2; v[3] = m3; v[4] = m4; v[5] = m5;
    v[6] = a0; v[7] = a1; v[8] = a2; v[9] = a3; v[10] = a4; v[11] = a5;
}
#endif

static double simd_peak_gflops(double target_ms) {
#if TM_SIMD
    volatile float one = 1.0f, zero = 0.0f;
    v128_t v[12];
    for (int i = 0; i < 12; i++) v[i] = wasm_f32x4_splat((float)(i + 1));
    int64_t iters = 1 << 14;
    for (;;) {  // size the runs: double until one lasts an eighth of target_ms
        double t0 = now_ms();
        peak_loop(v, iters, one, zero);
        double el = now_ms() - t0;
        if (el >= target_ms / 8 || iters >= ((int64_t)1 << 40)) {
            iters = (int64_t)((double)iters * target_ms / (el > 0 ? el : target_ms)) + 1;
            break;
        }
        iters *= 2;
    }
    double best = 0.0;
    for (int run = 0; run < 5; run++) {
        double t0 = now_ms();
        peak_loop(v, iters, one, zero);
        double el = now_ms() - t0, gflops = 12.0 * 4.0 * (double)iters / (el * 1e-3) / 1e9;
        if (gflops > best) best = gflops;
    }
    volatile float keep = wasm_f32x4_extract_lane(v[0], 0) + wasm_f32x4_extract_lane(v[11], 0);  // the chains' results are used
    (void)keep;
    return best;
#else
    (void)target_ms;
    return 0.0;
#endif
}

#define WARMUP_MS 300.0

static void config_json(const workload *w, int seed, char *buf, size_t size) {
    snprintf(buf, size,
             "{\"n\":%d,\"m\":%d,\"experts\":%d,\"k\":%d,\"p\":%g,\"importance\":\"uniform\",\"batch\":%d%s%s,\"seed\":%d}", w->n,
             w->m, w->E, w->k, w->p, w->batch, w->load_balance ? ",\"load_balance\":true,\"loss\":\"mean\"" : "",
             w->xoshiro ? ",\"data_rng\":\"xoshiro\"" : "", seed);
}

// Useful multiply-adds per sample: for each of the k active experts the encoder over the
// present (non-zero, p*n on average) inputs, the decoder and its two gradient products over
// all n outputs, and the encoder's weight gradient over the present inputs; plus the router
// scores over the present inputs and, when the router gets a gradient (k > 1 or load
// balancing), their backward pass.
static double macs_per_sample(const workload *w) {
    double nnz = w->p * w->n;
    return w->k * (2.0 * nnz * w->m + 3.0 * w->n * w->m) + w->E * nnz * (w->k > 1 || w->load_balance ? 2 : 1);
}

// `steps` steps of every model: tm_train_many on consecutive groups of `group` (the last may be
// smaller), or tm_train each when group is 1. The warm-up goes through it too, so the timed
// code has run (and, in wasm, tiered up) before the timing, as in bench-worker.js.
static int train_all(const workload *w, tm_model **ms, int models, int group, int steps) {
    // Called through pointers: binaryen would inline a single-call-site function into
    // main, which V8 runs once and so never tiers up from its baseline compiler.
    int (*volatile train_many)(tm_model *const *, int32_t, int32_t) = tm_train_many;
    int (*volatile train_one)(tm_model *, int32_t) = tm_train;
    for (int i = 0; i < models; i += group) {
        int g = models - i < group ? models - i : group;
        if (g > 1 ? train_many(ms + i, g, steps) : train_one(ms[i], steps)) {
            fprintf(stderr, "%s: %s\n", w->id, tm_last_error());
            return 1;
        }
    }
    return 0;
}

static int selected(const char *only, const char *id) {
    if (!only) return 1;
    size_t len = strlen(id);
    for (const char *s = only; (s = strstr(s, id)); s += len)
        if ((s == only || s[-1] == ',') && (s[len] == ',' || s[len] == 0)) return 1;
    return 0;
}

int main(int argc, char **argv) {
    int quick = 0, smoke = 0, scaling = 0, list = 0, reps = 0, models_override = 0, peak = 0;
    double target_ms = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--quick")) quick = 1;
        else if (!strcmp(a, "--smoke")) smoke = 1;
        else if (!strcmp(a, "--scaling")) scaling = 1;
        else if (!strcmp(a, "--list")) list = 1;
        else if (!strcmp(a, "--peak")) peak = 1;
        else if (!strcmp(a, "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(a, "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(a, "--target-ms") && i + 1 < argc) target_ms = atof(argv[++i]);
        else if (!strcmp(a, "--models") && i + 1 < argc) models_override = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_train [--quick] [--smoke] [--scaling] [--only ID[,ID...]] [--reps N] "
                            "[--target-ms MS] [--models N] [--list] [--peak]\n");
            return 2;
        }
    }
    if (reps <= 0) reps = smoke ? 1 : quick ? 5 : 11;
    if (reps > 101) reps = 101;
    if (target_ms <= 0) target_ms = smoke ? 0 : quick ? 30 : 150;
    int warmup = smoke ? 1 : 3;
#ifdef __EMSCRIPTEN__
    const char *target = "wasm";
#else
    const char *target = "native";
#endif
    if (peak) {
        printf("{\"id\":\"peak\",\"target\":\"%s\",\"simd\":%d,\"gflops\":%.4g}\n", target, TM_SIMD,
               simd_peak_gflops(smoke ? 5.0 : 200.0));
        return 0;
    }
    char cfg[512];
    for (size_t wi = 0; wi < sizeof workloads / sizeof workloads[0]; wi++) {
        const workload *w = &workloads[wi];
        int scaling_group = !strcmp(w->group, "n") || !strcmp(w->group, "E");
        if (scaling_group && !scaling && !(only && selected(only, w->id))) continue;
        if (!selected(only, w->id)) continue;
        double macs = macs_per_sample(w);
        int nparams = w->E * w->n * (w->m + 2);
        if (list) {
            config_json(w, 0, cfg, sizeof cfg);
            printf("{\"id\":\"%s\",\"group\":\"%s\",\"n\":%d,\"m\":%d,\"E\":%d,\"k\":%d,\"batch\":%d,\"models\":%d,"
                   "\"load_balance\":%d,\"params\":%d,\"macs_per_sample\":%.6g,\"config\":%s}\n",
                   w->id, w->group, w->n, w->m, w->E, w->k, w->batch, w->models, w->load_balance, nparams, macs, cfg);
            continue;
        }
        int models = w->models;
        if (models > 1) models = models_override > 0 ? (models_override < models ? models_override : models)
                                 : smoke ? 8 : quick ? 100 : models;
        tm_model **ms = malloc((size_t)models * sizeof *ms);
        if (!ms) return 1;
        for (int i = 0; i < models; i++) {
            config_json(w, i, cfg, sizeof cfg);
            if (!(ms[i] = tm_model_create(cfg))) { fprintf(stderr, "%s: %s\n", w->id, tm_last_error()); return 1; }
        }
        // Multi-model workloads: tm_train_many on groups of 4 (one model per SIMD lane), one
        // step per call as a sweep's progress chunks would never be shorter; "-single": tm_train each.
        int group = models > 1 && !strstr(w->id, "-single") ? 4 : 1;
        // Every workload warms up for at least WARMUP_MS (not with --smoke): V8 moves the training
        // loop to its optimised tier only after a few hundred ms of calls, and the warm-up
        // steps of 100 models (--quick) are over sooner (the timed repeats would catch it midway).
        double warm0 = now_ms();
        if (train_all(w, ms, models, group, warmup)) return 1;
        while (target_ms > 0 && now_ms() - warm0 < WARMUP_MS)
            if (train_all(w, ms, models, group, 1)) return 1;
        // Size the repeats: single-model workloads double a timed run until it lasts a quarter of
        // target_ms (one preempted step cannot skew it); multi-model ones time one step of all.
        int steps = 1;
        if (models == 1) {
            for (int s = 1;; s *= 2) {
                double t0 = now_ms();
                tm_train(ms[0], s);
                double el = now_ms() - t0;
                if (el >= target_ms / 4 || s >= 1024) {
                    double want = el > 0 ? ceil(target_ms * s / el) : 1;
                    steps = want < 1 ? 1 : want > 2000 ? 2000 : (int)want;
                    break;
                }
            }
        } else {
            if (train_all(w, ms, models, group, 1)) return 1;
        }
        double t[101];
        for (int r = 0; r < reps; r++) {
            double t0 = now_ms();
            if (train_all(w, ms, models, group, steps)) return 1;
            t[r] = (now_ms() - t0) / steps;
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp);
        double scale = (double)w->models / models;  // fewer models timed: scale to all of them
        double ms_step = t[reps / 2] * scale, ms_min = t[0] * scale;
        double samples = (double)w->batch * w->models;
        printf("{\"id\":\"%s\",\"group\":\"%s\",\"target\":\"%s\",\"simd\":%d,\"n\":%d,\"m\":%d,\"E\":%d,\"k\":%d,\"batch\":%d,"
               "\"models\":%d,\"models_timed\":%d,\"params\":%d,\"reps\":%d,\"steps_per_rep\":%d,\"ms_per_step\":%.5g,"
               "\"ms_min\":%.5g,\"sample_steps_per_s\":%.5g,\"macs_per_sample\":%.6g,\"useful_gflops\":%.4g}\n",
               w->id, w->group, target, TM_SIMD, w->n, w->m, w->E, w->k, w->batch, w->models, models, nparams, reps, steps,
               ms_step, ms_min, samples / (ms_step * 1e-3), macs, 2.0 * macs * samples / (ms_step * 1e-3) / 1e9);
        fflush(stdout);
        for (int i = 0; i < models; i++) tm_model_free(ms[i]);
        free(ms);
    }
    return 0;
}
