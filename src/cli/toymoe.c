// toymoe: the native (and node-wasm) command line.
//   toymoe train [--n 20 --m 6 ... | --config FILE] [--history-every K] [--weights] [--quiet]
// Result as JSON on stdout, progress on stderr. Bad flags exit 2 with one line.
#include "../config.h"
#include "../model.h"
#include "../toymoe.h"
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
            "  --config FILE        JSON config (flags after it override its fields)\n"
            "  --history-every K    loss history entry every K steps (default: steps/100, at least 1)\n"
            "  --weights            include W, b and router in the JSON result\n"
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

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = len >= 0 && len < (1 << 20) ? malloc((size_t)len + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) buf[len] = 0;
    else { free(buf); buf = NULL; }
    fclose(f);
    return buf;
}

static void print_floats(const float *x, int32_t n, int32_t every) {
    printf("[");
    for (int32_t i = 0; i < n; i += every) printf("%s%.9g", i ? "," : "", x[i]);
    printf("]");
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
    int weights = 0, quiet = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--weights")) { weights = 1; continue; }
        if (!strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (strncmp(a, "--", 2) != 0) return bad_usage("unexpected argument '%s' (see toymoe train --help)", a);
        if (i + 1 >= argc) return bad_usage("%s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--config")) {
            char *text = read_file(v);
            if (!text) return bad_usage("--config: cannot read '%s'", v);
            int rc = tm_config_parse_json(&cfg, text);
            free(text);
            if (rc) return bad_usage("--config: %s", tm_last_error());
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
    printf("{\"config\":%s,\"seed\":%.0f,\"status\":\"%s\",\"error\":\"%s\",\"steps\":%d,\"final_loss\":%.9g,"
           "\"elapsed_s\":%.3f,\"history_every\":%d,\"loss_history\":",
           tm_model_config_json(m), cfg.seed, rc ? "nonfinite" : "ok", error, tm_steps_done(m),
           tm_last_loss(m), elapsed, step_every);
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
    return bad_usage("unknown command '%s' (commands: train)", argv[1]);
}
