// libFuzzer target: drives the public API (toymoe.h) with arbitrary configs and
// call sequences on up to three live models, and checks the API's contract:
// nothing crashes or leaks (ASan, LSan, UBSan), every failing call returns a
// code from the enum with a short one-line tm_last_error(), successful calls
// clear it, metrics after TM_OK are all finite, the normalised config
// round-trips, the memory cap refuses what it must, and allocations stay
// within the model's own memory estimate.
//
// Built by CMake (TOYMOE_FUZZ) into build/fuzz_api; ctest runs it for 60 s
// (fuzz_api_60s). By hand, and the 10-minute run: see docs/robustness.md.
//
// Input format: a stream of operations, each an opcode byte (low nibble: the
// operation, (byte >> 4) % 3: the model slot) and its operands; a missing byte
// reads as 0. wasm-tests/fuzz/make_seeds.py writes the seed corpus in it. Model
// sizes are drawn mostly small so runs stay fast; hostile sizes are drawn too,
// and valid configs whose model would need more than FUZZ_MODEL_BUDGET are
// checked (parse, estimate <= cap) but not allocated. FUZZ_API_TRACE=1 prints
// every call of an input with its result.
#include "config.h"
#include "model.h"
#include "toymoe.h"
#include <math.h>
#include <stdarg.h>
#include <sanitizer/allocator_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 3
#define MAX_OPS 64
#define FUZZ_MODEL_BUDGET (4u << 20)  // bytes: bigger valid models are parsed, not built
#define WORK_BUDGET 5e5               // rough float ops per train / metrics / regions call
// The estimate counts the float arrays; the struct and allocator rounding come on top.
#define ESTIMATE_SLACK ((int64_t)sizeof(tm_model) + 4096)

#define REQUIRE(cond, ...)                                                        \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "fuzz_api: invariant failed at line %d: %s: ", __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                         \
            fprintf(stderr, "\n");                                                \
            abort();                                                              \
        }                                                                         \
    } while (0)

// ---- byte source
typedef struct { const uint8_t *p; size_t n; } src;
static uint8_t u8(src *s) {
    if (!s->n) return 0;
    s->n--;
    return *s->p++;
}
static uint16_t u16(src *s) {
    uint16_t lo = u8(s);
    return (uint16_t)(lo | (u8(s) << 8));
}
static uint32_t u32(src *s) {
    uint32_t lo = u16(s);
    return lo | ((uint32_t)u16(s) << 16);
}
static uint64_t u64(src *s) {
    uint64_t lo = u32(s);
    return lo | ((uint64_t)u32(s) << 32);
}
#define PICK(s, arr) ((arr)[u8(s) % (sizeof(arr) / sizeof((arr)[0]))])

// ---- heap accounting through the sanitizer allocator's hooks
// Only the thread that runs the inputs is counted: the hooks see every thread's
// allocations, and libFuzzer's own threads once added 152 bytes inside a
// tm_config_check (a ctest run under load; not reproduced alone).
static _Thread_local int counted_thread;
static int64_t heap_now, heap_peak;
static void on_malloc(const volatile void *p, size_t size) {
    (void)p;
    if (!counted_thread) return;
    heap_now += (int64_t)size;
    if (heap_now > heap_peak) heap_peak = heap_now;
}
static void on_free(const volatile void *p) {
    if (p && counted_thread) heap_now -= (int64_t)__sanitizer_get_allocated_size((const void *)p);
}
static void heap_mark(void) { heap_peak = heap_now; }

// FUZZ_API_TRACE=1 prints every call and its outcome (to replay an input by hand).
static int trace;
#define TRACE(...) do { if (trace) { fprintf(stderr, __VA_ARGS__); fprintf(stderr, " -> '%s'\n", tm_last_error()); } } while (0)

// ---- checks shared by every call
static const char *last_error_checked(void) {
    const char *e = tm_last_error();
    REQUIRE(e != NULL, "tm_last_error() is NULL");
    size_t len = strlen(e);
    REQUIRE(len < 256, "error message is %zu chars: %s", len, e);
    REQUIRE(strchr(e, '\n') == NULL, "error message spans lines: %s", e);
    return e;
}
static void check_rc(const char *what, int rc) {
    const char *e = last_error_checked();
    REQUIRE(rc >= TM_OK && rc <= TM_ERR_STATE, "%s returned %d", what, rc);
    REQUIRE(tm_last_error_code() == rc, "%s returned %d, tm_last_error_code() %d", what, rc, tm_last_error_code());
    if (rc == TM_OK) REQUIRE(e[0] == 0, "%s succeeded but left the error '%s'", what, e);
    else REQUIRE(e[0] != 0, "%s failed with %d but tm_last_error() is empty", what, rc);
}

// ---- config text
typedef struct { char s[2048]; size_t n; } text;
static void put(text *t, const char *s) {
    size_t k = strlen(s);
    if (t->n + k + 1 > sizeof t->s) k = sizeof t->s - 1 - t->n;
    memcpy(t->s + t->n, s, k);
    t->n += k;
    t->s[t->n] = 0;
}
static void putf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(text *t, const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(t, buf);
}

static const char *const hostile_numbers[] = {
    "0", "-0", "-1", "1", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e300", "-1e300", "1e999",
    "1e-320", "4.9e-324", "1e-46", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295",
    "4294967296", "9007199254740993", "18446744073709551616", "4096", "4097", "1024", "1025", "65536", "65537",
    "100000000", "100000001", "0.5", "1.5", "2.0000000000000001", "0x10", "0x1p3", "1e", "+1", ".5", "5.", "00012",
    "1e1", "null", "true", "false", "\"5\"", "\"\"", "[1]", "{}", "\"nan\"", "0.99999999999", "0.9999999999999999",
    "1.0000000001", "1e-300", "1e-8", "10", "10.000000001", "1000", "1000.0001", "100", "100.1",
    "5.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000abc",
    "1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
};
static const char *const bad_names[] = {
    "N", "colour", "", "n ", " n", "\\u006e", "steps\\n", "experts\\\"", "lr\\t", "__proto__", "constructor",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "k\\u0000", "seed\\",
};
static const char *const option_values[] = {
    "decay", "decay_perm", "uniform", "last", "xavier", "zero", "diagonal", "khot_ordered", "khot_random", "constant",
    "linear", "cosine", "sum", "mean", "dense", "sparse", "pcg32", "xoshiro", "Xavier", "", "<script>", "zero ", "\\u0041",
};

// A plausible value for a field, mostly inside its range.
static void sane_value(text *t, const char *name, src *s) {
    static const int ns[] = {1, 2, 3, 4, 5, 6, 8, 20}, ms[] = {1, 2, 3, 6}, es[] = {1, 2, 3, 4, 8}, ks[] = {1, 1, 2, 3};
    static const int bs[] = {1, 2, 4, 8, 16, 32}, steps[] = {0, 1, 10, 100, 1000, 100000000};
    static const double lrs[] = {1e-3, 1e-2, 0.1, 1, 10, 1e-30, 1e-300, 5};
    static const double betas[] = {0, 0.5, 0.9, 0.999, 0.9999999, 0.99999999999, 0.9999999999999999};
    static const double epss[] = {1e-8, 1, 1e-45, 1e-46, 1e-300, 4.9e-324, 1e-38};
    double f = (u16(s) + 1) / 65536.0;  // (0, 1]
    if (!strcmp(name, "n")) putf(t, "%d", PICK(s, ns));
    else if (!strcmp(name, "m")) putf(t, "%d", PICK(s, ms));
    else if (!strcmp(name, "experts")) putf(t, "%d", PICK(s, es));
    else if (!strcmp(name, "k")) putf(t, "%d", PICK(s, ks));
    else if (!strcmp(name, "batch")) putf(t, "%d", PICK(s, bs));
    else if (!strcmp(name, "steps")) putf(t, "%d", PICK(s, steps));
    else if (!strcmp(name, "perm_seed")) putf(t, "%u", u32(s) & 0x7fffffffu);
    else if (!strcmp(name, "seed")) putf(t, "%u", u32(s));
    else if (!strcmp(name, "lr")) putf(t, "%.17g", u8(s) & 1 ? PICK(s, lrs) : 10 * f);
    else if (!strcmp(name, "beta1") || !strcmp(name, "beta2")) putf(t, "%.17g", u8(s) & 1 ? PICK(s, betas) : f - 1.0 / 65536);
    else if (!strcmp(name, "eps")) putf(t, "%.17g", u8(s) & 1 ? PICK(s, epss) : f);
    else if (!strcmp(name, "weight_decay")) putf(t, "%.17g", 10 * (f - 1.0 / 65536));
    else if (!strcmp(name, "importance_last")) putf(t, "%.17g", 1000 * (f - 1.0 / 65536));
    else if (!strcmp(name, "lb_alpha")) putf(t, "%.17g", 100 * (f - 1.0 / 65536));
    else if (!strcmp(name, "load_balance")) put(t, PICK(s, ((const char *const[]){"true", "false", "1", "0"})));
    else if (!strcmp(name, "importance") || !strcmp(name, "bias_init") || !strcmp(name, "router_init") ||
             !strcmp(name, "schedule") || !strcmp(name, "loss") || !strcmp(name, "usage_inputs") ||
             !strcmp(name, "data_rng"))
        putf(t, "\"%s\"", PICK(s, option_values));
    else putf(t, "%.17g", f);  // p, importance_base
}

static void any_value(text *t, const char *name, src *s) {
    uint8_t mode = u8(s);
    if (mode < 176) sane_value(t, name, s);
    else if (mode < 232) put(t, PICK(s, hostile_numbers));
    else if (mode < 240) putf(t, "%d", (int32_t)u32(s));
    else if (mode < 248) {
        uint64_t bits = u64(s);
        double d;
        memcpy(&d, &bits, sizeof d);
        putf(t, "%.17g", d);  // any double, NaNs and infinities included
    } else {  // raw bytes, quoted or not (stops at NUL)
        int quoted = mode & 1, len = u8(s) % 24;
        if (quoted) put(t, "\"");
        for (int i = 0; i < len; i++) {
            char c[2] = {(char)u8(s), 0};
            put(t, c[0] ? c : " ");
        }
        if (quoted && (u8(s) & 3)) put(t, "\"");
    }
}

// Builds a config JSON object from the fuzz bytes (mostly well formed).
static void build_config(text *t, src *s) {
    t->n = 0;
    t->s[0] = 0;
    uint8_t shape = u8(s);
    if (shape >= 250) {  // raw bytes as the whole text
        int len = u8(s);
        for (int i = 0; i < len; i++) {
            char c[2] = {(char)u8(s), 0};
            put(t, c[0] ? c : " ");
        }
        return;
    }
    if (shape % 31 == 7) put(t, "  \n\t");
    put(t, shape % 37 == 5 ? "[" : "{");
    int nfields = u8(s) % 9;
    for (int i = 0; i < nfields; i++) {
        uint8_t sep = u8(s);
        if (i) put(t, sep < 250 ? (sep & 1 ? "," : " ,\n ") : sep == 250 ? "" : sep == 251 ? ",," : ";");
        uint8_t which = u8(s);
        const char *name;
        if (which < 232) {
            int count = 0;
            while (tm_config_field_name(count)) count++;
            name = tm_config_field_name(which % count);
        } else {
            name = PICK(s, bad_names);
        }
        put(t, "\"");
        put(t, name);
        put(t, sep == 252 ? "" : "\"");
        put(t, sep == 253 ? " " : sep == 254 ? "=" : ":");
        if (sep & 2) put(t, " ");
        any_value(t, name, s);
    }
    uint8_t end = u8(s);
    put(t, end < 248 ? "}" : end == 248 ? "" : end == 249 ? "} x" : end == 250 ? "}}" : end == 251 ? "}\n " : "]");
}

// ---- the models under test
typedef struct {
    tm_model *m;
    tm_config c;      // its config as parsed
    int64_t bytes;    // heap allocated by tm_model_create
    int stopped;      // a train call returned TM_ERR_NONFINITE
    int written;      // the caller wrote into tm_params
} slot;

// Small steps from the model's own init must not blow up: AdamW moves each weight by
// about lr per step when beta1 < sqrt(beta2) keeps m / sqrt(v) bounded (beta2 = 0.0005
// with beta1 = 0.9 does blow up, or grows weights whose squares overflow in tm_metrics).
static int tame(const tm_config *c) {
    return c->lr <= 0.01 && c->weight_decay * c->lr < 0.5 && c->beta1 <= 0.9 && c->beta2 >= 0.9;
}

static double step_work(const tm_config *c) {
    double n = c->n, m = c->m, E = c->experts, k = c->k, B = c->batch;
    double P = E * n * m + 2 * E * n;
    return B * (2 * n + k * (4 * n * m + 6 * n) + 2 * E * n) + 12 * P + 3 * E * n * m + 64;
}

static int all_finite(const float *x, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

static void op_create(slot *sl, src *s) {
    text t;
    build_config(&t, s);
    if (sl->m) { tm_model_free(sl->m); sl->m = NULL; }
    // Check first (tm_config_check: the same parsing and validation, nothing
    // allocated), then parse here too, to see what the model would cost.
    int64_t before = heap_now;
    int prc = tm_config_check(t.s);
    check_rc("config_check", prc);
    REQUIRE(heap_now == before, "tm_config_check kept %lld bytes", (long long)(heap_now - before));
    char perr[512];
    snprintf(perr, sizeof perr, "%s", tm_last_error());
    tm_config c;
    tm_config_defaults(&c);
    REQUIRE(tm_config_parse_json(&c, t.s) == prc, "tm_config_check and tm_config_parse_json disagree on %s", t.s);
    if (prc == TM_OK) {
        uint64_t bytes = tm_model_memory_bytes(&c);
        REQUIRE(bytes <= TM_MEMORY_CAP, "validated config needs %llu bytes, over the cap: %s", (unsigned long long)bytes, t.s);
        if (bytes > FUZZ_MODEL_BUDGET) {  // valid, but too slow for fuzzing
            TRACE("create(%s): valid, %llu bytes: not built", t.s, (unsigned long long)bytes);
            return;
        }
    } else if (prc == TM_ERR_MEMORY) {
        // Refused up front, naming what was asked for and the limit.
        REQUIRE(tm_model_memory_bytes(&c) > TM_MEMORY_CAP, "memory error under the cap: %s", perr);
        REQUIRE(strstr(perr, "MiB") && strstr(perr, "limit"), "cap message lacks size or limit: %s", perr);
    }
    before = heap_now;
    tm_model *m = tm_model_create(t.s);
    TRACE("create(%s) = %s", t.s, m ? "model" : "NULL");
    const char *e = last_error_checked();
    if (!m) {
        REQUIRE(prc != TM_OK, "tm_model_create failed on a config that parses: %s -> %s", t.s, e);
        REQUIRE(tm_last_error_code() == prc, "create: code %d, parse %d", tm_last_error_code(), prc);
        REQUIRE(e[0] != 0, "tm_model_create returned NULL with no message: %s", t.s);
        REQUIRE(!strcmp(e, perr), "create and parse disagree: '%s' vs '%s'", e, perr);
        return;
    }
    REQUIRE(prc == TM_OK, "tm_model_create accepted what parse refused (%s): %s", perr, t.s);
    REQUIRE(e[0] == 0 && tm_last_error_code() == TM_OK, "create succeeded but left %d '%s'", tm_last_error_code(), e);
    sl->m = m;
    sl->c = c;
    sl->bytes = heap_now - before;
    sl->stopped = sl->written = 0;
    REQUIRE((uint64_t)sl->bytes <= tm_model_memory_bytes(&c) + ESTIMATE_SLACK, "model allocated %lld bytes, estimate %llu",
            (long long)sl->bytes, (unsigned long long)tm_model_memory_bytes(&c));
    REQUIRE(tm_steps_done(m) == 0 && isnan(tm_last_loss(m)) && tm_loss_history_len(m) == 0, "fresh model state");
    // The normalised config must parse back to the same normalised config.
    const char *norm = tm_model_config_json(m);
    tm_config again;
    tm_config_defaults(&again);
    int rrc = tm_config_parse_json(&again, norm);
    REQUIRE(rrc == TM_OK, "normalised config does not parse back: %s -> %s (input %s)", norm, tm_last_error(), t.s);
    REQUIRE(!memcmp(&again, &c, sizeof c), "normalised config %s is not the config of %s", norm, t.s);
}

static void op_train(slot *sl, src *s) {
    static const int32_t hostile[] = {-1, INT32_MIN, -2147483647, INT32_MAX, 1000000000};
    uint8_t mode = u8(s);
    int32_t steps;
    if (!sl->m) {  // NULL model
        steps = mode & 1 ? -1 : (int32_t)(u8(s) % 4);
        int rc = tm_train(NULL, steps);
        TRACE("train(NULL, %d) = %d", steps, rc);
        check_rc("train(NULL)", rc);
        REQUIRE(rc == TM_ERR_ARG, "train(NULL) -> %d", rc);
        return;
    }
    double w = step_work(&sl->c);
    int32_t before = tm_steps_done(sl->m);
    if (mode < 200) steps = (int32_t)(u8(s) % 9);
    else if (mode < 216) steps = (int32_t)(u16(s) % 70000);
    else steps = PICK(s, hostile);
    // Tiny models may run up to 70000 steps (about 30 ms): past the 65536-entry loss history.
    double budget = w <= 256 ? 2e7 : WORK_BUDGET;
    if (steps > 0 && steps * w > budget && !sl->stopped) steps = (int32_t)(budget / w);
    int rc = tm_train(sl->m, steps);
    TRACE("train(%d) = %d, steps done %d", steps, rc, tm_steps_done(sl->m));
    check_rc("train", rc);
    int32_t after = tm_steps_done(sl->m);
    if (steps < 0) {
        REQUIRE(rc == TM_ERR_ARG || rc == TM_ERR_NONFINITE, "train(%d) -> %d", steps, rc);
    } else if (rc == TM_OK) {
        REQUIRE(!sl->stopped, "train succeeded after a non-finite stop");
        REQUIRE((int64_t)after == (int64_t)before + steps, "steps %d + %d -> %d", before, steps, after);
    } else {
        REQUIRE(rc == TM_ERR_NONFINITE, "train(%d) -> %d: %s", steps, rc, tm_last_error());
        REQUIRE(strstr(tm_last_error(), "step ") != NULL, "non-finite stop does not name the step: %s", tm_last_error());
        REQUIRE(after >= before && (int64_t)after < (int64_t)before + (steps ? steps : 1), "steps %d -> %d on a stop", before, after);
        if (!sl->written) {
            REQUIRE(!(tame(&sl->c) && after < 100),
                    "training blew up at step %d with a tame config: %s (%s)", after, tm_model_config_json(sl->m),
                    tm_last_error());
        }
        sl->stopped = 1;
    }
    if (after > 0 && !sl->stopped) REQUIRE(isfinite(tm_last_loss(sl->m)), "last loss %g", tm_last_loss(sl->m));
}

static void op_history(slot *sl) {
    tm_model *m = sl->m;
    int32_t len = tm_loss_history_len(m), stride = tm_loss_history_stride(m), done = tm_steps_done(m);
    const float *h = tm_loss_history(m);
    if (!m) {
        REQUIRE(h == NULL && len == 0 && stride == 1 && done == 0 && isnan(tm_last_loss(NULL)), "NULL model getters");
        REQUIRE(tm_params(NULL) == NULL && tm_params_len(NULL) == 0, "NULL params");
        REQUIRE(!strcmp(tm_model_config_json(NULL), "{}"), "NULL config json");
        return;
    }
    REQUIRE(stride >= 1 && (stride & (stride - 1)) == 0, "stride %d", stride);
    REQUIRE(len >= 0 && len <= 65536, "history len %d", len);
    REQUIRE(len == (done + stride - 1) / stride, "history len %d for %d steps at stride %d", len, done, stride);
    REQUIRE(h != NULL, "history pointer");
    REQUIRE(all_finite(h, len), "non-finite loss in the history");
    if (trace) fprintf(stderr, "history: %d steps, %d entries, stride %d\n", done, len, stride);
}

static void op_metrics(slot *sl, src *s) {
    static const int32_t hostile[] = {0, -1, INT32_MIN, 1048577, INT32_MAX, 1048576};
    tm_model *m = sl->m;
    uint8_t mode = u8(s);
    int32_t len = tm_metrics_len(m);
    if (!m) {
        float out[4];
        REQUIRE(len == -1, "metrics_len(NULL) %d", len);
        int rc = tm_metrics(NULL, 16, mode & 1 ? out : NULL, 4);
        TRACE("metrics(NULL) = %d", rc);
        check_rc("metrics(NULL)", rc);
        REQUIRE(rc == TM_ERR_ARG, "metrics(NULL) -> %d", rc);
        return;
    }
    // Offsets: monotone, inside the buffer, -1 outside the enum.
    REQUIRE(len > 0, "metrics len %d", len);
    for (int32_t w = 0, prev = 0; w <= TM_MET_COUNT; w++) {
        int32_t off = tm_metrics_offset(m, w);
        REQUIRE(off >= prev && off <= len, "offset(%d) = %d", w, off);
        prev = off;
    }
    int32_t bad_which = (int32_t)u32(s);
    if (bad_which < 0 || bad_which > TM_MET_COUNT) REQUIRE(tm_metrics_offset(m, bad_which) == -1, "offset(%d)", bad_which);
    int32_t samples = mode < 200 ? 1 + (int32_t)(u16(s) % 4096) : PICK(s, hostile);
    const tm_config *c = &sl->c;
    double per_sample = 3.0 * c->n * c->k * c->m + 2.0 * c->experts * c->experts * c->n + 4 * c->n;
    if (samples >= 1 && samples <= 1048576) {
        double used = ((double)samples + c->batch - 1) / c->batch * c->batch;
        if (used * per_sample > WORK_BUDGET) samples = (int32_t)fmax(1, WORK_BUDGET / per_sample);
    }
    uint8_t lm = u8(s);
    int32_t out_len = lm < 200 ? len : lm < 220 ? len - 1 - (lm & 7) : lm < 240 ? len + (lm & 15) : lm & 1 ? 0 : INT32_MIN;
    int null_out = lm == 255;
    size_t cap = out_len > 0 ? (size_t)out_len : 1;
    float *out = malloc((cap + 1) * sizeof *out);
    REQUIRE(out, "malloc");
    for (size_t i = 0; i <= cap; i++) out[i] = -12345.0f;
    heap_mark();
    int64_t base = heap_now;
    int rc = tm_metrics(m, samples, null_out ? NULL : out, out_len);
    TRACE("metrics(samples %d, out %s, out_len %d of %d) = %d", samples, null_out ? "NULL" : "buf", out_len, len, rc);
    check_rc("metrics", rc);
    // The model, its metrics output and their workspace stay within the estimate.
    int64_t peak = sl->bytes + (int64_t)(len * sizeof(float)) + (heap_peak - base);
    REQUIRE((uint64_t)peak <= tm_model_memory_bytes(c) + ESTIMATE_SLACK, "metrics peak %lld bytes, estimate %llu", (long long)peak,
            (unsigned long long)tm_model_memory_bytes(c));
    if (rc == TM_OK) {
        REQUIRE(!null_out && out_len >= len && samples >= 1 && samples <= 1048576, "metrics accepted bad arguments");
        REQUIRE(all_finite(out, len), "metrics returned TM_OK with non-finite values (%s)", tm_model_config_json(m));
        for (size_t i = (size_t)len; i <= cap; i++) REQUIRE(out[i] == -12345.0f, "metrics wrote past its length");
        const float *sc = out + tm_metrics_offset(m, TM_MET_SCALARS);
        REQUIRE(sc[2] >= samples && sc[2] < samples + c->batch, "samples used %g for %d", sc[2], samples);
        const float *cls = out + tm_metrics_offset(m, TM_MET_CLASS);
        for (int32_t i = 0; i < c->experts * c->n; i++) REQUIRE(cls[i] == 0 || cls[i] == 1 || cls[i] == 2, "class %g", cls[i]);
        const float *usage = out + tm_metrics_offset(m, TM_MET_USAGE);
        for (int32_t i = 0; i < 3 * c->experts; i++)
            REQUIRE((usage[i] >= 0 && usage[i] <= 1) || usage[i] == -1, "usage %g", usage[i]);
    } else if (rc == TM_ERR_NONFINITE) {
        REQUIRE(sl->written || sl->stopped || !tame(c), "metrics: non-finite on a model trained with a tame config: %s",
                tm_last_error());
    } else {
        REQUIRE(rc == TM_ERR_ARG, "metrics -> %d: %s", rc, tm_last_error());
        REQUIRE(null_out || out_len < len || samples < 1 || samples > 1048576, "metrics refused good arguments: %s",
                tm_last_error());
    }
    free(out);
}

static void op_regions(slot *sl, src *s) {
    static const int32_t hostile[] = {0, -1, INT32_MIN, 2049, INT32_MAX, 65536, 46341};
    tm_model *m = sl->m;
    uint8_t mode = u8(s);
    int32_t grid = mode < 200 ? 1 + (int32_t)(u8(s) % 64) : PICK(s, hostile);
    uint8_t lm = u8(s);
    int64_t cells = grid > 0 && grid <= 2048 ? (int64_t)grid * grid : 1;
    int32_t out_len = lm < 220 ? (int32_t)cells : lm < 250 ? (int32_t)cells - 1 - (lm & 3) : lm & 1 ? 0 : INT32_MIN;
    size_t cap = out_len > 0 ? (size_t)out_len : 1;
    int32_t *out = malloc(cap * sizeof *out);
    REQUIRE(out, "malloc");
    int rc = tm_router_regions(m, grid, lm == 255 ? NULL : out, out_len);
    TRACE("regions(%s, grid %d, out_len %d) = %d", m ? "model" : "NULL", grid, out_len, rc);
    check_rc("regions", rc);
    if (rc == TM_OK) {
        REQUIRE(m && (m->n == 2 || m->n == 3) && grid >= 1 && grid <= 2048 && out_len >= grid * grid, "regions accepted bad input");
        for (int32_t i = 0; i < grid * grid; i++)
            REQUIRE(out[i] >= (m->n == 3 ? -1 : 0) && out[i] < m->E, "region cell %d = %d", i, out[i]);
    }
    free(out);
}

static void op_write_params(slot *sl, src *s) {
    static const float specials[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e30f, -1e30f, 3.4028235e38f,
                                     1e-45f, 1e-38f, 1e10f, 1e19f, 1.0f, -1.0f, 1e5f};
    if (!sl->m) return;
    float *p = tm_params(sl->m);
    int32_t len = tm_params_len(sl->m);
    REQUIRE(p && len > 0, "params %p len %d", (void *)p, len);
    int count = 1 + u8(s) % 4;
    for (int i = 0; i < count; i++) {
        uint32_t at = u16(s) % (uint32_t)len;
        uint8_t mode = u8(s);
        float v;
        if (mode < 128) v = specials[mode % (sizeof specials / sizeof specials[0])];
        else {
            uint32_t bits = u32(s);
            memcpy(&v, &bits, sizeof v);
        }
        if (mode == 255) for (int32_t j = 0; j < len; j++) p[j] = v;  // fill the whole arena
        else p[at] = v;
        if (trace) fprintf(stderr, "params[%s] = %g\n", mode == 255 ? "all" : "i", v);
    }
    sl->written = 1;
}

static void op_misc(src *s) {
    uint8_t mode = u8(s);
    if (mode < 64) {
        uint32_t bytes = u16(s) % 4096;
        void *p = tm_alloc(bytes);
        if (bytes) {
            REQUIRE(p != NULL, "tm_alloc(%u)", bytes);
            memset(p, 0xab, bytes);
        } else {
            REQUIRE(p == NULL && tm_last_error()[0], "tm_alloc(0)");
        }
        tm_dealloc(p);
    } else if (mode < 128) {
        const char *schema = tm_schema_json();
        REQUIRE(schema && schema[0] == '[' && schema[strlen(schema) - 1] == ']', "schema");
        REQUIRE(tm_version() && tm_version()[0], "version");
    } else {
        tm_dealloc(NULL);
        tm_model_free(NULL);
        int rc = tm_model_create(NULL) == NULL ? TM_ERR_ARG : TM_OK;
        check_rc("create(NULL)", rc);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    trace = getenv("FUZZ_API_TRACE") != NULL;
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    counted_thread = 1;
    src s = {data, size};
    slot slots[SLOTS];
    memset(slots, 0, sizeof slots);
    for (int op = 0; op < MAX_OPS && s.n; op++) {
        uint8_t code = u8(&s);
        slot *sl = &slots[(code >> 4) % SLOTS];
        switch (code & 15) {
        case 0: case 1: case 2: op_create(sl, &s); break;
        case 3: case 4: op_train(sl, &s); break;
        case 5: op_metrics(sl, &s); break;
        case 6: op_regions(sl, &s); break;
        case 7: case 8: op_write_params(sl, &s); break;
        case 9: op_history(sl); break;
        case 10: if (trace) fprintf(stderr, "free\n"); tm_model_free(sl->m); sl->m = NULL; break;
        case 11: op_misc(&s); break;
        default: op_history(sl); break;
        }
        if (sl->m && !trace) op_history(sl);
    }
    for (int i = 0; i < SLOTS; i++) tm_model_free(slots[i].m);
    return 0;
}
