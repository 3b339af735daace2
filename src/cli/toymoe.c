// toymoe: the native (and node-wasm) command line.
//   toymoe train [--n 20 --m 6 ... | --config FILE] [--history-every K] [--weights] [--metrics] [--quiet]
//   toymoe metrics --config FILE --weights FILE [--samples N]
// Result as JSON on stdout, progress on stderr. Bad flags exit 2 with one line.
#include "../config.h"
#include "../metrics.h"
#include "sweep_cmd.h"
#include "json_scan.h"
#include "../model.h"
#include "../toymoe.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: toymoe train [options]\n"
            "       toymoe metrics --config FILE --weights FILE [--samples N]\n"
            "       toymoe sweep --preset fig3|fig4|table1 --fidelity quick|paper [--data-rng pcg32|xoshiro]\n"
            "                    [--shard I/N] [--out FILE] [--limit N] [--jobs 0,5,10-19] [--samples N] [--quiet]\n"
            "                    (one JSON line per model; restartable: skips jobs already in --out;\n"
            "                    --data-rng xoshiro, or --fidelity quick-xoshiro|paper-xoshiro: the same jobs on the\n"
            "                    xoshiro data stream)\n"
            "       toymoe merge [--json OUT] [--csv OUT] FILE...   (best run per cell, mean loss over runs)\n"
            "         (weights: JSON with arrays W, b, router at the top level, in \"weights\" (train --weights) or \"params\" (a lab run file))\n"
            "  --config FILE        JSON config (flags after it override its fields)\n"
            "  --history-every K    loss history entry every K steps (default: steps/100, at least 1)\n"
            "  --weights            include W, b and router in the JSON result\n"
            "  --metrics            include the metrics (SPEC section 6) in the JSON result\n"
            "  --samples N          fresh samples for the routing metrics (default 8192; sweep: 1024)\n"
            "  --quiet              no progress on stderr\n"
            "config fields (flag = field name with '-' for '_'):\n");
    char help[256];
    for (int i = 0; tm_config_field_name(i); i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "%s", tm_config_field_name(i));
        for (char *c = flag; *c; c++) if (*c == '_') *c = '-';
        fprintf(out, "  --%-18s %s\n", flag, tm_config_field_help(i, help, sizeof help));
    }
}

static int bad_usage(const char *fmt, const char *arg) {
    fprintf(stderr, "toymoe: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return 2;
}

// A whole file (or pipe) as text; NULL with the reason in why (why_len bytes) when it fails.
#define READ_MAX ((size_t)1 << 30)  // 1 GiB: the largest model's train --weights output is ~200 MB
static char *read_file(const char *path, char *why, size_t why_len) {
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(why, why_len, "cannot open '%s': %s", path, strerror(errno)); return NULL; }
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap + 1);
    for (size_t got; buf && (got = fread(buf + len, 1, cap - len, f)) > 0;) {
        len += got;
        if (len < cap) continue;
        char *grown = cap < READ_MAX ? realloc(buf, 2 * cap + 1) : NULL;
        if (!grown) { snprintf(why, why_len, "'%s' is over %zu MiB, the most read", path, READ_MAX >> 20); free(buf); buf = NULL; break; }
        buf = grown;
        cap *= 2;
    }
    if (buf && ferror(f)) { snprintf(why, why_len, "cannot read '%s': %s", path, strerror(errno)); free(buf); buf = NULL; }
    else if (buf) buf[len] = 0;
    else if (!why[0]) snprintf(why, why_len, "out of memory reading '%s'", path);
    fclose(f);
    return buf;
}

// The value of member `key` of the object at p, or NULL.
static const char *json_member(const char *p, const char *key) {
    p = json_ws(p);
    if (*p++ != '{') return NULL;
    size_t klen = strlen(key);
    for (p = json_ws(p); *p == '"'; p = json_ws(p + 1)) {
        const char *name = p + 1, *end = json_ws(skip_value(p));
        if (*end != ':') return NULL;
        const char *value = json_ws(end + 1);
        if (!strncmp(name, key, klen) && name[klen] == '"' && json_ws(name + klen + 1) == end) return value;
        if (*(p = json_ws(skip_value(value))) != ',') return NULL;
    }
    return NULL;
}

// dst (count,) = the array of numbers at p; 0 with the reason in why when it is not one.
static int read_array(const char *p, const char *key, float *dst, int32_t count, char *why, size_t why_len) {
    if (!p) { snprintf(why, why_len, "no array %s (at the top level, in \"weights\" or in \"params\")", key); return 0; }
    if (*(p = json_ws(p)) != '[') { snprintf(why, why_len, "%s is not an array", key); return 0; }
    p = json_ws(p + 1);
    for (int32_t i = 0; i < count; i++) {
        char *end;
        double v = strtod(p, &end);
        if (end == p) {
            snprintf(why, why_len, "%s: %s at entry %d", key, *p == ']' ? "ends" : "not a number", i);
            return 0;
        }
        dst[i] = (float)v;
        p = json_ws(end);
        if (i + 1 < count && *p == ',') p = json_ws(p + 1);
    }
    if (*p != ']') { snprintf(why, why_len, "%s: more than %d numbers", key, count); return 0; }
    return 1;
}

static void print_floats(const float *x, int32_t n, int32_t every) {
    printf("[");
    for (int32_t i = 0; i < n; i += every) printf("%s%.9g", i ? "," : "", x[i]);
    printf("]");
}

static void print_nested(const float *x, int32_t rows, int32_t cols) {
    printf("[");
    for (int32_t r = 0; r < rows; r++) {
        printf(r ? "," : "");
        print_floats(x + (size_t)r * cols, cols, 1);
    }
    printf("]");
}

// The same field names as the JS engine's model.metrics().
static int print_metrics(tm_model *m, int32_t samples) {
    int32_t len = tm_metrics_len(m), n = m->n, E = m->E;
    float *o = malloc((size_t)len * sizeof *o);
    if (!o || tm_metrics(m, samples, o, len)) { free(o); return 1; }
#define SEC(w) (o + tm_metrics_offset(m, (w)))
    static const char *const classes[] = {"ignored", "monosemantic", "superposed"};
    printf("{\"norms\":");
    print_nested(SEC(TM_MET_NORM), E, n);
    printf(",\"interference\":[");
    for (int32_t e = 0; e < E; e++) { printf(e ? "," : ""); print_nested(SEC(TM_MET_INTERFERENCE) + (size_t)e * n * n, n, n); }
    printf("],\"polysemanticity\":");
    print_nested(SEC(TM_MET_POLY), E, n);
    printf(",\"superposition\":");
    print_nested(SEC(TM_MET_SUPERPOSITION), E, n);
    printf(",\"phaseScore\":");
    print_nested(SEC(TM_MET_PHASE_SCORE), E, n);
    printf(",\"dim\":");
    print_nested(SEC(TM_MET_DIM), E, n);
    printf(",\"classes\":[");
    for (int32_t e = 0; e < E; e++) {
        printf("%s[", e ? "," : "");
        for (int32_t i = 0; i < n; i++) printf("%s\"%s\"", i ? "," : "", classes[(int)SEC(TM_MET_CLASS)[(size_t)e * n + i]]);
        printf("]");
    }
    printf("],\"capacity\":");
    print_floats(SEC(TM_MET_CAPACITY), E, 1);
    printf(",\"gateMean\":");
    print_floats(SEC(TM_MET_GATE_MEAN), E, 1);
    printf(",\"usage\":{\"unchanged\":");
    print_floats(SEC(TM_MET_USAGE), E, 1);
    printf(",\"clamped\":");
    print_floats(SEC(TM_MET_USAGE) + E, E, 1);
    printf(",\"onlyMono\":");
    print_floats(SEC(TM_MET_USAGE) + 2 * E, E, 1);
    printf("},\"globalDim\":");
    print_floats(SEC(TM_MET_GLOBAL_DIM), n, 1);
    const float *sc = SEC(TM_MET_SCALARS);
    printf(",\"fpd\":%.9g,\"totalCapacity\":%.9g,\"samples\":%.0f,\"loss\":%.9g}", sc[0], sc[1], sc[2], sc[3]);
#undef SEC
    free(o);
    return 0;
}

static int parse_samples(const char *v, int32_t *samples) {
    char *end;
    long s = strtol(v, &end, 10);
    if (*end || s < 1 || s > 1048576) return 0;
    *samples = (int32_t)s;
    return 1;
}

static int cmd_metrics(int argc, char **argv) {
    const char *config_path = NULL, *weights_path = NULL;
    int32_t samples = 8192;
    for (int i = 0; i < argc; i++) {
        if (i + 1 >= argc) return bad_usage("%s needs a value", argv[i]);
        if (!strcmp(argv[i], "--config")) config_path = argv[++i];
        else if (!strcmp(argv[i], "--weights")) weights_path = argv[++i];
        else if (!strcmp(argv[i], "--samples")) {
            if (!parse_samples(argv[++i], &samples)) return bad_usage("--samples: must be an integer in [1, 1048576], got '%s'", argv[i]);
        } else return bad_usage("unknown flag %s (toymoe metrics --config FILE --weights FILE [--samples N])", argv[i]);
    }
    if (!config_path || !weights_path) return bad_usage("%s", "metrics needs --config FILE and --weights FILE");
    char why[512] = "";
    char *cfg_text = read_file(config_path, why, sizeof why);
    if (!cfg_text) return bad_usage("--config: %s", why);
    char *w_text = read_file(weights_path, why, sizeof why);
    if (!w_text) { free(cfg_text); return bad_usage("--weights: %s", why); }
    tm_model *m = tm_model_create(cfg_text);
    free(cfg_text);
    if (!m) { free(w_text); fprintf(stderr, "toymoe: --config: %s\n", tm_last_error()); return 2; }
    int32_t wn = m->E * m->n * m->m, bn = m->E * m->n;
    // the arrays at the top level, in "weights" (train --weights) or in "params" (the lab's run file)
    const char *top = NULL, *places[3] = {w_text, json_member(w_text, "weights"), json_member(w_text, "params")};
    for (int i = 0; i < 3 && !top; i++)
        if (places[i] && json_member(places[i], "W")) top = places[i];
    int ok = read_array(top ? json_member(top, "W") : NULL, "W", m->W, wn, why, sizeof why) &&
             read_array(top ? json_member(top, "b") : NULL, "b", m->b, bn, why, sizeof why) &&
             read_array(top ? json_member(top, "router") : NULL, "router", m->router, bn, why, sizeof why);
    free(w_text);
    if (!ok) {
        tm_model_free(m);
        fprintf(stderr, "toymoe: --weights: %s (W %d, b %d and router %d numbers for this config)\n", why, wn, bn, bn);
        return 2;
    }
    int rc = print_metrics(m, samples);
    if (rc) fprintf(stderr, "toymoe: %s\n", tm_last_error());
    else printf("\n");
    tm_model_free(m);
    return rc ? 3 : 0;
}

static void progress(int32_t done, int32_t total, float loss, double rate, int tty) {
    int width = 30, filled = total ? (int)((int64_t)done * width / total) : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "%s[%s] %d/%d steps  loss %.5g  %.0f steps/s%s", tty ? "\r" : "", bar, done, total, loss, rate,
            tty ? "" : "\n");
    fflush(stderr);
}

static int cmd_train(int argc, char **argv) {
    tm_config cfg;
    tm_config_defaults(&cfg);
    int32_t every = 0;
    int weights = 0, quiet = 0, metrics = 0;
    int32_t samples = 8192;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--weights")) { weights = 1; continue; }
        if (!strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (!strcmp(a, "--metrics")) { metrics = 1; continue; }
        if (strncmp(a, "--", 2) != 0) return bad_usage("unexpected argument '%s' (see toymoe train --help)", a);
        if (i + 1 >= argc) return bad_usage("%s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--config")) {
            char why[512] = "";
            char *text = read_file(v, why, sizeof why);
            if (!text) return bad_usage("--config: %s", why);
            int rc = tm_config_parse_json(&cfg, text);
            free(text);
            if (rc) return bad_usage("--config: %s", tm_last_error());
            continue;
        }
        if (!strcmp(a, "--samples")) {
            if (!parse_samples(v, &samples)) return bad_usage("--samples: must be an integer in [1, 1048576], got '%s'", v);
            continue;
        }
        if (!strcmp(a, "--history-every")) {
            char *end;
            long k = strtol(v, &end, 10);
            if (*end || k < 1 || k > 100000000) return bad_usage("--history-every: must be an integer in [1, 100000000], got '%s'", v);
            every = (int32_t)k;
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "%s", a + 2);
        for (char *c = name; *c; c++) if (*c == '-') *c = '_';
        if (tm_config_set(&cfg, name, v)) {
            if (!strncmp(tm_last_error(), "config: unknown field", 21)) return bad_usage("unknown flag %s (see toymoe train --help)", a);
            const char *why = strstr(tm_last_error(), ": ");
            fprintf(stderr, "toymoe: %s%s\n", a, why ? why : tm_last_error());
            return 2;
        }
    }
    if (tm_config_validate(&cfg)) {
        fprintf(stderr, "toymoe: --%s\n", tm_last_error());
        return 2;
    }
    tm_model *m = tm_model_new(&cfg);
    if (!m) { fprintf(stderr, "toymoe: %s\n", tm_last_error()); return 2; }
    if (!every) every = cfg.steps >= 100 ? cfg.steps / 100 : 1;

    int tty = isatty(2), rc = TM_OK;
    double t0 = now_s(), last_print = t0;
    int32_t chunk = 50;
    char error[512] = "";
    while (tm_steps_done(m) < cfg.steps) {
        int32_t todo = cfg.steps - tm_steps_done(m);
        rc = tm_train(m, todo < chunk ? todo : chunk);
        if (rc) { snprintf(error, sizeof error, "%s", tm_last_error()); break; }
        double t = now_s();
        if (!quiet && (t - last_print > (tty ? 0.2 : 5.0))) {
            progress(tm_steps_done(m), cfg.steps, tm_last_loss(m), tm_steps_done(m) / (t - t0), tty);
            last_print = t;
        }
    }
    double elapsed = now_s() - t0;
    if (!quiet && elapsed > 0.2) {
        progress(tm_steps_done(m), cfg.steps, tm_last_loss(m), tm_steps_done(m) / elapsed, tty);
        if (tty) fprintf(stderr, "\n");
    }
    if (rc) fprintf(stderr, "toymoe: %s\n", error);

    // History entries are every `stride` steps; print every `every` steps of it.
    int32_t stride = tm_loss_history_stride(m), step_every = every < stride ? stride : every;
    char final_loss[32] = "null";  // JSON has no NaN: no step yet, or a non-finite stop
    if (isfinite(tm_last_loss(m))) snprintf(final_loss, sizeof final_loss, "%.9g", tm_last_loss(m));
    printf("{\"config\":%s,\"seed\":%.0f,\"status\":\"%s\",\"error\":\"%s\",\"steps\":%d,\"final_loss\":%s,"
           "\"elapsed_s\":%.3f,\"history_every\":%d,\"loss_history\":",
           tm_model_config_json(m), cfg.seed, rc ? "nonfinite" : "ok", error, tm_steps_done(m),
           final_loss, elapsed, step_every);
    print_floats(tm_loss_history(m), tm_loss_history_len(m), step_every / stride);
    if (weights) {
        size_t wn = (size_t)m->E * m->n * m->m, bn = (size_t)m->E * m->n;
        printf(",\"weights\":{\"W\":");
        print_floats(m->W, (int32_t)wn, 1);
        printf(",\"b\":");
        print_floats(m->b, (int32_t)bn, 1);
        printf(",\"router\":");
        print_floats(m->router, (int32_t)bn, 1);
        printf("}");
    }
    if (metrics && !rc) {
        printf(",\"metrics\":");
        if (print_metrics(m, samples)) printf("null");
    }
    printf("}\n");
    tm_model_free(m);
    return rc ? 3 : 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "train")) return cmd_train(argc - 2, argv + 2);
    if (!strcmp(argv[1], "metrics")) return cmd_metrics(argc - 2, argv + 2);
    if (!strcmp(argv[1], "sweep")) return cmd_sweep(argc - 2, argv + 2);
    if (!strcmp(argv[1], "merge")) return cmd_merge(argc - 2, argv + 2);
    return bad_usage("unknown command '%s' (commands: train, metrics, sweep, merge)", argv[1]);
}
