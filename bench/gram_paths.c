// Times a dense model on each decoder path (model.c: the Gram path, G = W W^T, and the direct
// one) over a grid of n, m and p, and prints the ratio beside what tm_gram_path picks: the
// measurement behind its rule. Native only (the rule is one rule for every build).
//   gram_paths [--batch B] [--quick]      (build: cmake --build build --target gram_paths)
#include "model.h"
#include "toymoe.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

// ms per step, best of 5 rounds of `steps` after `warm` steps (the active share settles).
static double time_path(const tm_config *c, int gram, int warm, int steps) {
    tm_model *m = tm_model_new_on_path(c, gram);
    if (!m) { fprintf(stderr, "%s\n", tm_last_error()); exit(1); }
    tm_train(m, warm);
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t = now_ms();
        tm_train(m, steps);
        t = (now_ms() - t) / steps;
        if (t < best) best = t;
    }
    tm_model_free(m);
    return best;
}

int main(int argc, char **argv) {
    int batch = 1024, quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else { fprintf(stderr, "usage: gram_paths [--batch B] [--quick]\n"); return 2; }
    }
    const int ns[] = {20, 50, 100, 200, 400}, ms[] = {3, 5, 8, 12, 20, 40, 80, 200};
    const double ps[] = {0.02, 0.1, 0.3, 0.6};
    printf("batch %d, ms per step (best of 5), uniform importance\n", batch);
    printf("%5s %4s %5s %9s %9s %6s %s\n", "n", "m", "p", "gram", "direct", "ratio", "rule");
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
        for (size_t b = 0; b < sizeof ms / sizeof *ms; b++)
            for (size_t d = 0; d < sizeof ps / sizeof *ps; d++) {
                if (ms[b] > ns[a] || (quick && (ns[a] > 100 || ms[b] > 20))) continue;
                tm_config c;
                tm_config_defaults(&c);
                c.n = ns[a]; c.m = ms[b]; c.p = ps[d]; c.batch = batch; c.importance = TM_IMP_UNIFORM;
                int warm = quick ? 20 : 100, steps = quick ? 5 : 20;
                double g = time_path(&c, 1, warm, steps), x = time_path(&c, 0, warm, steps);
                printf("%5d %4d %5.2f %9.4f %9.4f %6.3f %s\n", c.n, c.m, c.p, g, x, g / x,
                       tm_gram_path(&c) ? "gram" : "direct");
                fflush(stdout);
            }
    return 0;
}
