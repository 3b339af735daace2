#include "config.h"
#include "error.h"
#include "model.h"
#include "toymoe.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_INT, F_NUM, F_OPT, F_BOOL } field_kind;

typedef struct {
    const char *name;
    field_kind kind;
    size_t offset;
    double lo, hi;
    int lo_open, hi_open;
    double def;
    const char *const *options;  // F_OPT: NULL-terminated, index = stored value
    const char *doc;
} field;

static const char *const importance_opts[] = {"decay", "decay_perm", "uniform", "last", NULL};
static const char *const bias_opts[] = {"xavier", "zero", NULL};
static const char *const router_opts[] = {"xavier", "zero", "diagonal", "khot_ordered", "khot_random", NULL};
static const char *const schedule_opts[] = {"constant", "linear", "cosine", NULL};
static const char *const loss_opts[] = {"sum", "mean", NULL};
static const char *const usage_opts[] = {"dense", "sparse", NULL};
static const char *const data_rng_opts[] = {"pcg32", "xoshiro", NULL};

#define OFF(f) offsetof(tm_config, f)
static const field fields[] = {
    {"n", F_INT, OFF(n), 1, 4096, 0, 0, 20, NULL, "input features"},
    {"m", F_INT, OFF(m), 1, 4096, 0, 0, 6, NULL, "hidden dimensions per expert"},
    {"experts", F_INT, OFF(experts), 1, 1024, 0, 0, 1, NULL, "number of experts E (1 = dense)"},
    {"k", F_INT, OFF(k), 1, 1024, 0, 0, 1, NULL, "active experts per input (top-k), at most experts"},
    {"p", F_NUM, OFF(p), 0, 1, 1, 0, 0.1, NULL, "feature probability 1-S"},
    {"importance", F_OPT, OFF(importance), 0, 0, 0, 0, TM_IMP_DECAY, importance_opts,
     "importance profile: base^i, permuted base^i, all ones, ones with the last = importance_last"},
    {"importance_base", F_NUM, OFF(importance_base), 0, 1, 1, 0, 0.7, NULL, "base of the decaying importance"},
    {"importance_last", F_NUM, OFF(importance_last), 0, 1000, 0, 0, 1.0, NULL, "relative importance r of the last feature"},
    {"perm_seed", F_INT, OFF(perm_seed), 0, 2147483647, 0, 0, 0, NULL, "seed of the importance permutation (shared across models)"},
    {"bias_init", F_OPT, OFF(bias_init), 0, 0, 0, 0, TM_BIAS_XAVIER, bias_opts,
     "output bias init: xavier normal (reference) or zero (Anthropic)"},
    {"router_init", F_OPT, OFF(router_init), 0, 0, 0, 0, TM_ROUTER_XAVIER, router_opts, "router init"},
    {"steps", F_INT, OFF(steps), 0, 100000000, 0, 0, 10000, NULL, "training steps (also the schedule length)"},
    {"batch", F_INT, OFF(batch), 1, 65536, 0, 0, 1024, NULL, "samples per step"},
    {"lr", F_NUM, OFF(lr), 0, 10, 1, 0, 1e-3, NULL, "AdamW learning rate"},
    {"schedule", F_OPT, OFF(schedule), 0, 0, 0, 0, TM_SCHED_CONSTANT, schedule_opts, "learning-rate schedule"},
    {"weight_decay", F_NUM, OFF(weight_decay), 0, 10, 0, 0, 0.01, NULL, "decoupled weight decay"},
    {"beta1", F_NUM, OFF(beta1), 0, 1, 0, 1, 0.9, NULL, "AdamW beta1"},
    {"beta2", F_NUM, OFF(beta2), 0, 1, 0, 1, 0.999, NULL, "AdamW beta2"},
    {"eps", F_NUM, OFF(eps), 0, 1, 1, 0, 1e-8, NULL, "AdamW epsilon"},
    {"loss", F_OPT, OFF(loss), 0, 0, 0, 0, TM_LOSS_SUM, loss_opts,
     "sum: sum over features (single models); mean: mean over features (sweeps)"},
    {"load_balance", F_BOOL, OFF(load_balance), 0, 1, 0, 0, 0, NULL, "add the Switch load-balancing loss"},
    {"lb_alpha", F_NUM, OFF(lb_alpha), 0, 100, 0, 0, 0.01, NULL, "load-balancing weight alpha"},
    {"usage_inputs", F_OPT, OFF(usage_inputs), 0, 0, 0, 0, TM_USAGE_DENSE, usage_opts,
     "expert-usage inputs: dense (all features present, as the reference's Table 1) or sparse (the model's p)"},
    {"data_rng", F_OPT, OFF(data_rng), 0, 0, 0, 0, TM_DATA_RNG_PCG32, data_rng_opts,
     "generator of the training data: pcg32 (every preset) or xoshiro (4 xoshiro128+ side by side, "
     "vectorised: faster, the same distribution, other draws)"},
    {"seed", F_NUM, OFF(seed), 0, 4294967295.0, 0, 0, 0, NULL, "seed of every random draw (integer)"},
};
#define NFIELDS ((int)(sizeof fields / sizeof fields[0]))

// seed is stored as a double (it spans [0, 2^32)) but must be integral.
static int integral(const field *f) { return f->kind == F_INT || !strcmp(f->name, "seed"); }

static const field *find_field(const char *name) {
    for (int i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].name, name) == 0) return &fields[i];
    return NULL;
}

const char *tm_config_field_name(int i) { return i >= 0 && i < NFIELDS ? fields[i].name : NULL; }

static void range_text(const field *f, char *buf, size_t cap) {
    if (f->kind == F_OPT) {
        size_t used = 0;
        buf[0] = 0;
        for (int j = 0; f->options[j]; j++)
            used += (size_t)snprintf(buf + used, used < cap ? cap - used : 0, "%s%s", j ? "|" : "", f->options[j]);
    } else if (f->kind == F_BOOL) {
        snprintf(buf, cap, "true|false");
    } else {
        snprintf(buf, cap, "%s%s in %c%.10g, %.10g%c", integral(f) ? "an integer" : "a number",
                 "", f->lo_open ? '(' : '[', f->lo, f->hi, f->hi_open ? ')' : ']');
    }
}

const char *tm_config_field_help(int i, char *buf, size_t cap) {
    if (i < 0 || i >= NFIELDS) return NULL;
    char range[128];
    range_text(&fields[i], range, sizeof range);
    snprintf(buf, cap, "%s (%s)", fields[i].doc, range);
    return buf;
}

static void store(tm_config *c, const field *f, double v) {
    char *base = (char *)c + f->offset;
    if (f->kind == F_NUM) *(double *)base = v;
    else *(int32_t *)base = (int32_t)v;
}

static double load(const tm_config *c, const field *f) {
    const char *base = (const char *)c + f->offset;
    return f->kind == F_NUM ? *(const double *)base : (double)*(const int32_t *)base;
}

void tm_config_defaults(tm_config *c) {
    memset(c, 0, sizeof *c);
    for (int i = 0; i < NFIELDS; i++) store(c, &fields[i], fields[i].def);
}

// Ends s (holding at least cap - 1 bytes) with "..." within cap bytes, cut before a whole
// UTF-8 character: a message never ends in half a character.
static void clip(char *s, size_t cap) {
    size_t cut = cap - 4;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
    memcpy(s + cut, "...", 4);
}

// Shown values are clipped so hostile input cannot flood the message, and
// control characters become '?' so it stays one line.
static void shown(const char *value, char *out, size_t cap) {
    size_t n = strlen(value);
    if (n + 1 <= cap) memcpy(out, value, n + 1);
    else { memcpy(out, value, cap - 1); clip(out, cap); }
    for (char *ch = out; *ch; ch++) if ((unsigned char)*ch < 0x20 || *ch == 0x7f) *ch = '?';
}

// A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? (strtod also takes hex,
// inf, nan, .5 and +5, which JSON does not).
static int json_number(const char *s) {
    if (*s == '-') s++;
    if (*s == '0') s++;
    else if (*s >= '1' && *s <= '9') while (*s >= '0' && *s <= '9') s++;
    else return 0;
    if (*s == '.') {
        if (!(*++s >= '0' && *s <= '9')) return 0;
        while (*s >= '0' && *s <= '9') s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!(*s >= '0' && *s <= '9')) return 0;
        while (*s >= '0' && *s <= '9') s++;
    }
    return *s == 0;
}

// value as written: in JSON (json) an option is a string, a bool a bare true or false and a
// number a JSON number; a command-line value (tm_config_set) is a bare word, 1/0 for a bool.
static int set_field(tm_config *c, const field *f, const char *value, int quoted, int json) {
    char range[160], got[40];
    range_text(f, range, sizeof range);
    shown(value, got, sizeof got);
    if (f->kind == F_OPT) {
        int named = 0;
        for (int j = 0; f->options[j]; j++)
            if (strcmp(f->options[j], value) == 0) {
                if (quoted || !json) { store(c, f, j); return TM_OK; }
                named = 1;
            }
        // a bare option name gets its own words; other values the ones JS gives (engine.js)
        return tm_fail(TM_ERR_ARG, "%s: must be one of %s%s, got '%s'", f->name, range, named ? " as a quoted string" : "", got);
    }
    if (f->kind == F_BOOL) {
        int literal = !strcmp(value, "true") || !strcmp(value, "false"), digit = !strcmp(value, "1") || !strcmp(value, "0");
        if (!quoted && (literal || (digit && !json))) { store(c, f, value[0] == 't' || value[0] == '1'); return TM_OK; }
        if (json && (literal || digit))  // "true", "1", 1 and their false twins: JSON's literal only
            return tm_fail(TM_ERR_ARG, "%s: must be true or false (a bare literal), got %s%s%s", f->name,
                           quoted ? "'\"" : "'", got, quoted ? "\"'" : "'");
        return tm_fail(TM_ERR_ARG, "%s: must be true or false, got '%s'", f->name, got);
    }
    char *end = NULL;
    double v = quoted ? NAN : strtod(value, &end);
    if (quoted || end == value || *end != 0)
        return tm_fail(TM_ERR_ARG, "%s: must be %s, got '%s'", f->name, range, got);
    int bad = !isfinite(v) || v < f->lo || v > f->hi || (f->lo_open && v == f->lo) ||
              (f->hi_open && v == f->hi) || (integral(f) && v != floor(v));
    if (bad) return tm_fail(TM_ERR_ARG, "%s: must be %s, got %s", f->name, range, got);  // NaN, 1e999: as JS words them
    if (json && !json_number(value)) return tm_fail(TM_ERR_ARG, "%s: must be %s, got '%s'", f->name, range, got);
    store(c, f, v);
    return TM_OK;
}

int tm_config_set(tm_config *c, const char *name, const char *value) {
    if (!c || !name || !value) return tm_fail(TM_ERR_ARG, "config: missing field name or value");
    const field *f = find_field(name);
    if (!f) {
        char got[40];
        shown(name, got, sizeof got);
        return tm_fail(TM_ERR_ARG, "config: unknown field '%s'", got);
    }
    return set_field(c, f, value, 0, 0);
}

// ---- a small JSON reader for one flat object of numbers, strings and booleans
typedef struct { const char *s; } cursor;

static void skip_ws(cursor *q) {
    while (*q->s == ' ' || *q->s == '\t' || *q->s == '\n' || *q->s == '\r') q->s++;
}

// Reads a JSON string into out (truncated past cap-1 and flagged); 0 on error.
static int read_string(cursor *q, char *out, size_t cap, int *too_long) {
    if (*q->s != '"') return 0;
    q->s++;
    size_t n = 0;
    *too_long = 0;
    while (*q->s && *q->s != '"') {
        char ch = *q->s++;
        if (ch == '\\') {
            ch = *q->s++;
            if (!ch) return 0;
            if (ch == 'u') {  // keep \uXXXX as '?': no field name or option needs it
                for (int i = 0; i < 4; i++) if (!*q->s++) return 0;
                ch = '?';
            } else if (ch == 'n') ch = '\n';
            else if (ch == 't') ch = '\t';
            else if (ch == 'r') ch = '\r';
            else if (ch == 'b') ch = '\b';
            else if (ch == 'f') ch = '\f';
        }
        if (n + 1 < cap) out[n++] = ch;
        else *too_long = 1;
    }
    if (*q->s != '"') return 0;
    q->s++;
    out[n] = 0;
    return 1;
}

int tm_config_parse_json(tm_config *c, const char *json) {
    if (!c || !json) return tm_fail(TM_ERR_ARG, "config: no JSON text given");
    cursor q = {json};
    char key[64], value[96];
    int too_long;
    skip_ws(&q);
    if (*q.s != '{') return tm_fail(TM_ERR_ARG, "config: expected a JSON object starting with '{'");
    q.s++;
    skip_ws(&q);
    if (*q.s == '}') { q.s++; goto done; }
    for (;;) {
        skip_ws(&q);
        if (!read_string(&q, key, sizeof key, &too_long)) return tm_fail(TM_ERR_ARG, "config: expected a quoted field name");
        if (too_long) {  // 32 bytes and "...", as web/js/engine.js shows it
            char got[36];
            shown(key, got, sizeof got);
            return tm_fail(TM_ERR_ARG, "config: unknown field '%s'", got);
        }
        const field *f = find_field(key);
        if (!f) {
            char got[40];
            shown(key, got, sizeof got);
            return tm_fail(TM_ERR_ARG, "config: unknown field '%s'", got);
        }
        skip_ws(&q);
        if (*q.s != ':') return tm_fail(TM_ERR_ARG, "config: expected ':' after '%s'", key);
        q.s++;
        skip_ws(&q);
        int quoted = *q.s == '"';
        if (quoted) {
            if (!read_string(&q, value, sizeof value, &too_long)) return tm_fail(TM_ERR_ARG, "%s: unterminated string", key);
            if (too_long) clip(value, sizeof value);
        } else {
            size_t n = 0;
            too_long = 0;
            while (*q.s && *q.s != ',' && *q.s != '}' && *q.s != ' ' && *q.s != '\n' && *q.s != '\t' && *q.s != '\r') {
                if (n + 1 < sizeof value) value[n++] = *q.s;
                else too_long = 1;
                q.s++;
            }
            value[n] = 0;
            if (too_long) clip(value, sizeof value);  // never a number: refused below
            if (n == 0) return tm_fail(TM_ERR_ARG, "%s: missing value", key);
        }
        int rc = set_field(c, f, value, quoted, 1);
        if (rc) return rc;
        skip_ws(&q);
        if (*q.s == ',') { q.s++; continue; }
        if (*q.s == '}') { q.s++; break; }
        return tm_fail(TM_ERR_ARG, "config: expected ',' or '}' after '%s'", key);
    }
done:
    skip_ws(&q);
    if (*q.s) return tm_fail(TM_ERR_ARG, "config: unexpected text after the JSON object");
    return tm_config_validate(c);
}

int tm_config_validate(const tm_config *c) {
    if (c->k > c->experts)
        return tm_fail(TM_ERR_ARG, "k: must be an integer in [1, experts=%d], got %d", c->experts, c->k);
    // AdamW runs in float: a beta that rounds to 1 or an eps that rounds to 0 gives NaN at step 0.
    if ((float)c->beta1 >= 1.0f || (float)c->beta2 >= 1.0f)
        return tm_fail(TM_ERR_ARG, "%s: must be below 1 in single precision (at most 0.99999994), got %.16g",
                       (float)c->beta1 >= 1.0f ? "beta1" : "beta2", (float)c->beta1 >= 1.0f ? c->beta1 : c->beta2);
    if ((float)c->eps == 0.0f)
        return tm_fail(TM_ERR_ARG, "eps: must be at least 1.4e-45 (the smallest float), got %g", c->eps);
    uint64_t bytes = tm_model_memory_bytes(c);
    if (bytes > TM_MEMORY_CAP)
        return tm_fail(TM_ERR_MEMORY,
                       "config: model and batch need %.1f MiB (n=%d, m=%d, experts=%d, batch=%d), over the %u MiB limit",
                       (double)bytes / 1048576.0, c->n, c->m, c->experts, c->batch, TM_MEMORY_CAP >> 20);
    return TM_OK;
}

int tm_config_to_json(const tm_config *c, char *out, size_t cap) {
    size_t used = 0;
    used += (size_t)snprintf(out, cap, "{");
    for (int i = 0; i < NFIELDS; i++) {
        const field *f = &fields[i];
        double v = load(c, f);
        const char *sep = i ? "," : "";
        char *dst = out + (used < cap ? used : cap);
        size_t left = used < cap ? cap - used : 0;
        if (f->kind == F_OPT) used += (size_t)snprintf(dst, left, "%s\"%s\":\"%s\"", sep, f->name, f->options[(int)v]);
        else if (f->kind == F_BOOL) used += (size_t)snprintf(dst, left, "%s\"%s\":%s", sep, f->name, v ? "true" : "false");
        else {  // 10 digits when they read back exactly (they do for typed-in values), else 17
            char num[32];
            snprintf(num, sizeof num, "%.10g", v);
            if (strtod(num, NULL) != v) snprintf(num, sizeof num, "%.17g", v);
            used += (size_t)snprintf(dst, left, "%s\"%s\":%s", sep, f->name, num);
        }
    }
    used += (size_t)snprintf(out + (used < cap ? used : cap), used < cap ? cap - used : 0, "}");
    return used < cap ? TM_OK : tm_fail(TM_ERR_ARG, "config: JSON buffer too small");
}

const char *tm_schema_json(void) {
    static char buf[6144];
    if (buf[0]) return buf;
    size_t used = (size_t)snprintf(buf, sizeof buf, "[");
    for (int i = 0; i < NFIELDS; i++) {
        const field *f = &fields[i];
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s{\"name\":\"%s\",\"doc\":\"%s\",", i ? "," : "", f->name, f->doc);
        if (f->kind == F_OPT) {
            used += (size_t)snprintf(buf + used, sizeof buf - used, "\"type\":\"option\",\"default\":\"%s\",\"options\":[",
                                     f->options[(int)f->def]);
            for (int j = 0; f->options[j]; j++)
                used += (size_t)snprintf(buf + used, sizeof buf - used, "%s\"%s\"", j ? "," : "", f->options[j]);
            used += (size_t)snprintf(buf + used, sizeof buf - used, "]}");
        } else if (f->kind == F_BOOL) {
            used += (size_t)snprintf(buf + used, sizeof buf - used, "\"type\":\"bool\",\"default\":%s}", f->def ? "true" : "false");
        } else {
            used += (size_t)snprintf(buf + used, sizeof buf - used,
                                     "\"type\":\"%s\",\"default\":%.10g,\"min\":%.10g,\"max\":%.10g,\"min_open\":%s,\"max_open\":%s}",
                                     integral(f) ? "int" : "number", f->def, f->lo, f->hi,
                                     f->lo_open ? "true" : "false", f->hi_open ? "true" : "false");
        }
    }
    snprintf(buf + used, sizeof buf - used, "]");
    return buf;
}
