// toymoe sweep / toymoe merge: the paper's many-model experiments from the
// command line, sharded and restartable (one JSON line per finished model).
#include "sweep_cmd.h"
#include "json_scan.h"
#include "../model.h"
#include "../toymoe.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *fmt, const char *arg) {
    fprintf(stderr, "toymoe: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return 2;
}

// ---- a scanner for the flat members of one result line
typedef struct { const char *key; int key_len; const char *val; int val_len; } member;

// Top-level members of a one-line JSON object; returns the count (at most cap).
static int members(const char *line, member *out, int cap) {
    const char *s = strchr(line, '{');
    int count = 0;
    if (!s) return 0;
    s++;
    while (*s && *s != '}' && count < cap) {
        while (*s == ',' || *s == ' ') s++;
        if (*s != '"') break;
        const char *key = s + 1, *end = skip_value(s);
        member *mb = &out[count++];
        mb->key = key;
        mb->key_len = (int)(end - 1 - key);
        s = end;
        if (*s++ != ':') break;
        mb->val = s;
        s = skip_value(s);
        mb->val_len = (int)(s - mb->val);
    }
    return count;
}

static const member *find(const member *ms, int count, const char *key) {
    for (int i = 0; i < count; i++)
        if ((int)strlen(key) == ms[i].key_len && !strncmp(ms[i].key, key, (size_t)ms[i].key_len)) return &ms[i];
    return NULL;
}

static long number(const member *mb, long fallback) { return mb ? strtol(mb->val, NULL, 10) : fallback; }

// Whether mb is the JSON string "text", exactly ("paper" is not "paper-xoshiro").
static int is_string(const member *mb, const char *text) {
    size_t len = strlen(text);
    return mb && mb->val_len == (int)len + 2 && mb->val[0] == '"' && !strncmp(mb->val + 1, text, len);
}

static char *read_line(FILE *f) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int ch;
    if (!buf) return NULL;
    while ((ch = fgetc(f)) != EOF && ch != '\n') {
        if (len + 2 > cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) { free(buf); return NULL; }
            buf = bigger;
        }
        buf[len++] = (char)ch;
    }
    if (ch == EOF && len == 0) { free(buf); return NULL; }
    buf[len] = 0;
    return buf;
}

// Whether line is one whole JSON object: its outermost braces close at its last character
// (an interrupted write leaves them open).
static int whole_object(const char *line) {
    const char *s = strchr(line, '{');
    int depth = 0;
    for (; s && *s; s++) {
        if (*s == '"') { s = skip_value(s) - 1; continue; }  // an open string runs to the end: 0
        if (*s == '{' || *s == '[') depth++;
        if ((*s == '}' || *s == ']') && --depth == 0) return s[1] == 0;
    }
    return 0;
}

// The job whose result a whole line is, if it starts with that job's text in the current
// plan; OTHER_PLAN for a line an older toymoe wrote for other settings (e.g. the xoshiro
// stream's layout 1: other draws from the same seed; sweep.c).
enum { OTHER_PLAN = -2 };
static long result_job(const char *line, const char *preset, const char *fidelity) {
    member ms[8];
    int count = members(line, ms, 8);
    long job = number(find(ms, count, "job"), -1);
    const char *text = job >= 0 && job <= INT32_MAX ? tm_sweep_job_json(preset, fidelity, (int32_t)job) : NULL;
    if (!text) return OTHER_PLAN;
    size_t head = strlen(text) - 1;  // the job's text without its closing brace
    return strncmp(line, text, head) || strncmp(line + head, ",\"status\":", 10) ? OTHER_PLAN : job;
}

// ---- sweep
static void print_weights(FILE *out, tm_model *m) {
    const char *names[3] = {"W", "b", "router"};
    const float *parts[3] = {m->W, m->b, m->router};
    size_t lens[3] = {(size_t)m->E * m->n * m->m, (size_t)m->E * m->n, (size_t)m->E * m->n};
    fprintf(out, ",\"weights\":{");
    for (int p = 0; p < 3; p++) {
        fprintf(out, "%s\"%s\":[", p ? "," : "", names[p]);
        for (size_t i = 0; i < lens[p]; i++) fprintf(out, "%s%.7g", i ? "," : "", parts[p][i]);
        fprintf(out, "]");
    }
    fprintf(out, "}");
}

int cmd_sweep(int argc, char **argv) {
    const char *preset = NULL, *fidelity = "quick", *out_path = NULL, *data_rng = NULL;
    char fidelity_buf[64];
    long shard = 1, shards = 1, limit = -1, samples = 1024;
    const char *only = NULL;  // --jobs 0,9,20-29: train just these
    int quiet = 0;
    static const char usage[] = "toymoe sweep --preset fig3|fig4|table1 --fidelity quick|paper[-xoshiro] [--data-rng pcg32|xoshiro] "
                                "[--shard I/N] [--out FILE] [--limit N] [--jobs 0,5,10-19] [--samples N (default 1024)] [--quiet]";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--quiet")) { quiet = 1; continue; }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { printf("usage: %s\n", usage); return 0; }
        if (strncmp(a, "--", 2)) return fail("unexpected argument '%s' (every option is a --flag; see toymoe sweep --help)", a);
        if (i + 1 >= argc) return fail("%s needs a value", a);
        const char *v = argv[++i];
        char *end = NULL;
        if (!strcmp(a, "--preset")) preset = v;
        else if (!strcmp(a, "--fidelity")) fidelity = v;
        else if (!strcmp(a, "--out")) out_path = v;
        else if (!strcmp(a, "--data-rng")) {
            if (strcmp(v, "pcg32") && strcmp(v, "xoshiro")) return fail("--data-rng: must be pcg32|xoshiro, got '%s'", v);
            data_rng = v;
        }
        else if (!strcmp(a, "--shard")) {
            int used = 0;
            if (sscanf(v, "%ld/%ld%n", &shard, &shards, &used) != 2 || v[used] || shards < 1 || shard < 1 || shard > shards)
                return fail("--shard: must be I/N with 1 <= I <= N, got '%s'", v);
        } else if (!strcmp(a, "--jobs")) {
            only = v;
        } else if (!strcmp(a, "--limit")) {
            limit = strtol(v, &end, 10);
            if (*end || limit < 1) return fail("--limit: must be a positive integer, got '%s'", v);
        } else if (!strcmp(a, "--samples")) {
            samples = strtol(v, &end, 10);
            if (*end || samples < 1 || samples > 1048576) return fail("--samples: must be an integer in [1, 1048576], got '%s'", v);
        } else {
            fprintf(stderr, "toymoe: unknown flag %s (%s)\n", a, usage);
            return 2;
        }
    }
    if (!preset) return fail("%s", "sweep needs --preset fig3|fig4|table1");
    if (tm_sweep_jobs(preset, fidelity) < 0) { fprintf(stderr, "toymoe: --%s\n", tm_last_error() + 7); return 2; }
    if (data_rng) {  // the sweep of the same jobs on that stream: xoshiro's fidelity is P-xoshiro (sweep.c)
        if (strstr(fidelity, "-xoshiro")) return fail("--data-rng: the fidelity '%s' names the stream already", fidelity);
        if (!strcmp(data_rng, "xoshiro")) {
            snprintf(fidelity_buf, sizeof fidelity_buf, "%.40s-xoshiro", fidelity);
            fidelity = fidelity_buf;
        }
    }
    int32_t total = tm_sweep_jobs(preset, fidelity);
    if (total < 0) { fprintf(stderr, "toymoe: --%s\n", tm_last_error() + 7); return 2; }
    const int32_t jobs_all = total;
    if (limit > 0 && limit < total) total = (int32_t)limit;
    // Restart: skip the jobs already in the output file; a torn line (an interrupted write)
    // leaves its job to do, and the results go on from a fresh line.
    char *done = calloc((size_t)total, 1);
    int end_line = 0;  // the file ends mid-line
    if (out_path) {
        FILE *f = fopen(out_path, "r");
        char *line;
        long line_no = 0;
        while (f && (line = read_line(f))) {
            member ms[16];
            int count = members(line, ms, 16);
            const member *p = find(ms, count, "preset"), *fi = find(ms, count, "fidelity");
            line_no++;
            if (find(ms, count, "jobs_total")) {
                fprintf(stderr, "toymoe: --out: %s is the output of toymoe merge, not of toymoe sweep --out\n", out_path);
                free(line); fclose(f); free(done);
                return 2;
            }
            // a torn line, or none of a sweep's (merge skips them too): its job, if any, is to do
            if (!whole_object(line) || !p || !fi || !find(ms, count, "job")) { free(line); continue; }
            if (!is_string(p, preset) || !is_string(fi, fidelity)) {
                fprintf(stderr, "toymoe: --out: %s holds results of another sweep (%.*s %.*s, not %s %s)\n", out_path,
                        p->val_len < 40 ? p->val_len : 40, p->val, fi->val_len < 40 ? fi->val_len : 40, fi->val, preset, fidelity);
                free(line); fclose(f); free(done);
                return 2;
            }
            long job = result_job(line, preset, fidelity);
            if (job == OTHER_PLAN) {
                fprintf(stderr, "toymoe: --out: line %ld of %s is not a result of this sweep's jobs as this toymoe plans them "
                        "(an older version wrote it, e.g. on xoshiro layout 1); write to a new file\n", line_no, out_path);
                free(line); fclose(f); free(done);
                return 2;
            }
            if (job >= 0 && job < total) done[job] = 1;
            free(line);
        }
        if (f && fseek(f, -1, SEEK_END) == 0) end_line = fgetc(f) != '\n';
        if (f) fclose(f);
    }
    if (only) {  // a job not listed counts as done
        char *wanted = calloc((size_t)total, 1);
        for (const char *p = only;;) {  // items J or A-B, A <= B, jobs of the sweep (--limit may drop some)
            char *end = (char *)p;
            long a = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : -1, b = a;
            if (a >= 0 && *end == '-') b = end[1] >= '0' && end[1] <= '9' ? strtol(end + 1, &end, 10) : -1;
            if (a < 0 || b < a || b >= jobs_all || (*end && *end != ',')) {
                free(wanted); free(done);
                fprintf(stderr, "toymoe: --jobs: must be a list like 0,5,10-19 of jobs in [0, %d], got '%.40s'\n", jobs_all - 1, only);
                return 2;
            }
            for (long j = a; j <= b && j < total; j++) wanted[j] = 1;
            if (!*end) break;
            p = end + 1;
        }
        for (int32_t j = 0; j < total; j++) done[j] |= !wanted[j];
        free(wanted);
    }
    int32_t todo = 0, finished = 0;
    for (int32_t j = 0; j < total; j++) todo += (j % shards) == shard - 1 && !done[j];
    FILE *out = out_path ? fopen(out_path, "a") : stdout;
    if (!out) { free(done); return fail("--out: cannot write '%s'", out_path); }
    if (end_line) fputc('\n', out);
    if (!quiet)
        fprintf(stderr, "sweep %s/%s shard %ld/%ld: %d models to train (of %d jobs in the sweep)\n", preset, fidelity, shard,
                shards, todo, total);
    double t0 = now_s(), last = t0;
    int rc = 0;
    // Up to 4 pending jobs at a time through tm_train_many: consecutive jobs share a shape,
    // so the small fig4 models fill SIMD lanes; results are those of one tm_train each.
    enum { GROUP = 4 };
    for (int32_t j = 0; j < total && !rc;) {
        tm_model *ms[GROUP];
        char *texts[GROUP];
        int32_t g = 0;
        for (; j < total && g < GROUP; j++) {
            if ((j % shards) != shard - 1 || done[j]) continue;
            char *job_text = strdup(tm_sweep_job_json(preset, fidelity, j));
            const char *cfg_start = job_text ? strstr(job_text, "\"config\":") + 9 : NULL;
            char *cfg = cfg_start ? strndup(cfg_start, (size_t)(skip_value(cfg_start) - cfg_start)) : NULL;
            tm_model *m = cfg ? tm_model_create(cfg) : NULL;
            free(cfg);
            if (!m) { fprintf(stderr, "toymoe: job %d: %s\n", j, job_text ? tm_last_error() : "out of memory"); rc = 1; free(job_text); break; }
            ms[g] = m;
            texts[g++] = job_text;
        }
        if (g) tm_train_many(ms, g, ms[0]->cfg.steps);  // every job of a preset has the same steps
        for (int32_t i = 0; i < g; i++) {
            tm_model *m = ms[i];
            // A model that stopped early: tm_train with 0 steps repeats why.
            int status = tm_steps_done(m) == m->cfg.steps ? TM_OK : tm_train(m, 0);
            char *job_text = texts[i];
            job_text[strlen(job_text) - 1] = 0;  // reopen the object to append the results
            fprintf(out, "%s", job_text);
            const char *summary = status == TM_OK ? tm_sweep_summary_json(m, preset, (int32_t)samples) : NULL;
            if (summary) fprintf(out, ",\"status\":\"ok\",%s", summary);
            else fprintf(out, ",\"status\":\"nonfinite\",\"error\":\"%s\",\"final_loss\":null", tm_last_error());
            print_weights(out, m);
            fprintf(out, "}\n");
            tm_model_free(m);
            free(job_text);
            finished++;
        }
        fflush(out);
        double t = now_s();
        if (g && !quiet && (t - last > 2.0 || finished == todo)) {
            double eta = (t - t0) / finished * (todo - finished);
            fprintf(stderr, "  %d/%d models, %.1f s elapsed, about %.0f s left\n", finished, todo, t - t0, eta);
            last = t;
        }
    }
    if (out != stdout) fclose(out);
    free(done);
    return rc;
}

// ---- merge
typedef struct { long job, cell; double loss; char *line; } result;
typedef struct { size_t best, runs; double mean; } cell;  // best: its best run in rs; mean: NaN if none finished

static int by_job(const void *a, const void *b) {
    long x = ((const result *)a)->job, y = ((const result *)b)->job;
    return (x > y) - (x < y);
}

static int is_scalar(const member *mb) { return mb->val[0] != '{' && mb->val[0] != '['; }

// A CSV field from a JSON scalar: a string without its quotes (its escapes as they are),
// quoted when it holds a comma or a quote (RFC 4180).
static void csv_field(FILE *csv, const member *mb) {
    const char *v = mb->val;
    int len = mb->val_len;
    if (v[0] != '"') { fprintf(csv, "%.*s", len, v); return; }
    v++, len -= 2;
    if (!memchr(v, ',', (size_t)len) && !memchr(v, '"', (size_t)len)) { fprintf(csv, "%.*s", len, v); return; }
    fputc('"', csv);
    for (int i = 0; i < len; i++) { if (v[i] == '"') fputc('"', csv); fputc(v[i], csv); }
    fputc('"', csv);
}

// The cells as CSV: runs, mean_final_loss and the scalar members of the best run. The columns
// are every such member of any cell, in order of first appearance: architectures with more
// experts have more per-expert members, and a failed run has others; a cell without one
// leaves it empty.
static void write_cells_csv(FILE *csv, const result *rs, const cell *cells, size_t ncells) {
    enum { MAX_COLUMNS = 1024 };
    const char *key[MAX_COLUMNS];
    int key_len[MAX_COLUMNS], ncols = 0;
    member ms[256];
    for (size_t c = 0; c < ncells; c++) {
        int n = members(rs[cells[c].best].line, ms, 256);
        for (int q = 0; q < n && ncols < MAX_COLUMNS; q++) {
            if (!is_scalar(&ms[q])) continue;
            int known = 0;
            for (int k = 0; k < ncols && !known; k++)
                known = key_len[k] == ms[q].key_len && !memcmp(key[k], ms[q].key, (size_t)key_len[k]);
            if (!known) { key[ncols] = ms[q].key; key_len[ncols++] = ms[q].key_len; }
        }
    }
    fprintf(csv, "runs,mean_final_loss");
    for (int k = 0; k < ncols; k++) fprintf(csv, ",%.*s", key_len[k], key[k]);
    fprintf(csv, "\n");
    for (size_t c = 0; c < ncells; c++) {
        int n = members(rs[cells[c].best].line, ms, 256);
        fprintf(csv, "%zu,%.9g", cells[c].runs, cells[c].mean);
        for (int k = 0; k < ncols; k++) {
            fputc(',', csv);
            for (int q = 0; q < n; q++)
                if (key_len[k] == ms[q].key_len && !memcmp(key[k], ms[q].key, (size_t)key_len[k])) { csv_field(csv, &ms[q]); break; }
        }
        fprintf(csv, "\n");
    }
}
int cmd_merge(int argc, char **argv) {
    const char *json_path = NULL, *csv_path = NULL;
    int nfiles = 0;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    for (int i = 0; i < argc; i++) {
        int file_flag = !strcmp(argv[i], "--json") || !strcmp(argv[i], "--csv");
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            free(files);
            printf("usage: toymoe merge [--json OUT] [--csv OUT] FILE...   (the .jsonl files of toymoe sweep --out)\n");
            return 0;
        }
        if (file_flag && i + 1 >= argc) { free(files); return fail("%s needs a file name", argv[i]); }
        if (!strcmp(argv[i], "--json")) json_path = argv[++i];
        else if (!strcmp(argv[i], "--csv")) csv_path = argv[++i];
        else if (!strncmp(argv[i], "--", 2)) { free(files); return fail("unknown flag %s (toymoe merge [--json OUT] [--csv OUT] FILE...)", argv[i]); }
        else files[nfiles++] = argv[i];
    }
    if (!nfiles) { free(files); return fail("%s", "merge needs result files (from toymoe sweep --out)"); }
    size_t count = 0, cap = 256;
    result *rs = malloc(cap * sizeof *rs);
    char preset[32] = "", fidelity[32] = "";
    for (int f = 0; f < nfiles; f++) {
        FILE *in = fopen(files[f], "r");
        if (!in) { fprintf(stderr, "toymoe: cannot read '%s'\n", files[f]); free(files); return 2; }
        char *line;
        while ((line = read_line(in))) {
            member ms[256];
            int n = members(line, ms, 256);
            const member *job = find(ms, n, "job"), *p = find(ms, n, "preset"), *fi = find(ms, n, "fidelity");
            char refused[256] = "";  // why this line stops the merge
            if (find(ms, n, "jobs_total")) {
                snprintf(refused, sizeof refused, "%s is the output of toymoe merge: merge the .jsonl files of toymoe sweep --out",
                         files[f]);
            } else if (!job || !p || !fi || !whole_object(line)) {  // a torn line from an interrupted run
                free(line);
                continue;
            } else if (!preset[0]) {
                snprintf(preset, sizeof preset, "%.*s", p->val_len - 2, p->val + 1);
                snprintf(fidelity, sizeof fidelity, "%.*s", fi->val_len - 2, fi->val + 1);
            } else if (!is_string(p, preset) || !is_string(fi, fidelity)) {
                // one merge is one sweep: fidelities differ in protocol or data stream
                snprintf(refused, sizeof refused, "%s holds a result of another sweep (%.*s %.*s, not %s %s)", files[f],
                         p->val_len < 40 ? p->val_len : 40, p->val, fi->val_len < 40 ? fi->val_len : 40, fi->val, preset, fidelity);
            }
            if (!refused[0] && result_job(line, preset, fidelity) == OTHER_PLAN)
                snprintf(refused, sizeof refused, "a line of %s is not a result of this sweep's jobs as this toymoe plans them "
                         "(an older version wrote it, e.g. on xoshiro layout 1)", files[f]);
            if (refused[0]) {
                fprintf(stderr, "toymoe: merge: %s\n", refused);
                free(line); fclose(in); free(files);
                for (size_t i = 0; i < count; i++) free(rs[i].line);
                free(rs);
                return 2;
            }
            const member *loss = find(ms, n, "final_loss");
            if (count == cap) rs = realloc(rs, (cap *= 2) * sizeof *rs);
            rs[count++] = (result){number(job, -1), number(find(ms, n, "cell"), -1),
                                   loss && loss->val[0] != 'n' ? strtod(loss->val, NULL) : INFINITY, line};
        }
        fclose(in);
    }
    free(files);
    if (!count) { free(rs); return fail("%s", "merge: no sweep results in the files (the lines of toymoe sweep --out)"); }
    qsort(rs, count, sizeof *rs, by_job);
    size_t unique = 0;  // a job run twice (overlapping shards) counts once
    for (size_t i = 0; i < count; i++) {
        if (unique && rs[unique - 1].job == rs[i].job) { free(rs[i].line); continue; }
        rs[unique++] = rs[i];
    }
    count = unique;
    FILE *json = json_path ? fopen(json_path, "w") : stdout;
    FILE *csv = csv_path ? fopen(csv_path, "w") : NULL;
    if (!json || (csv_path && !csv)) { fprintf(stderr, "toymoe: cannot write the merge output\n"); return 2; }
    fprintf(json, "{\"preset\":\"%s\",\"fidelity\":\"%s\",\"jobs_total\":%d,\"models_done\":%zu,\"models\":[\n", preset, fidelity,
            tm_sweep_jobs(preset, fidelity), count);
    for (size_t i = 0; i < count; i++) fprintf(json, "%s%s\n", rs[i].line, i + 1 < count ? "," : "");
    fprintf(json, "],\"cells\":[\n");
    // Best run per cell by last-step loss (the paper's best-of-N), with the mean over runs.
    cell *cells = malloc(count * sizeof *cells);
    size_t ncells = 0;
    for (size_t i = 0; i < count;) {
        size_t j = i, best = i;
        double sum = 0;
        int finite = 0;
        for (; j < count && rs[j].cell == rs[i].cell; j++) {
            if (rs[j].loss < rs[best].loss) best = j;
            if (isfinite(rs[j].loss)) { sum += rs[j].loss; finite++; }
        }
        cells[ncells++] = (cell){best, j - i, finite ? sum / finite : NAN};
        member ms[256];
        int n = members(rs[best].line, ms, 256);
        if (finite) fprintf(json, "{\"runs\":%zu,\"mean_final_loss\":%.9g", j - i, sum / finite);
        else fprintf(json, "{\"runs\":%zu,\"mean_final_loss\":null", j - i);  // every run failed; JSON has no NaN
        for (int q = 0; q < n; q++)
            if (is_scalar(&ms[q])) fprintf(json, ",\"%.*s\":%.*s", ms[q].key_len, ms[q].key, ms[q].val_len, ms[q].val);
        fprintf(json, "}%s\n", j < count ? "," : "");
        i = j;
    }
    if (csv) write_cells_csv(csv, rs, cells, ncells);
    free(cells);
    fprintf(json, "]}\n");
    if (json != stdout) fclose(json);
    if (csv) fclose(csv);
    for (size_t i = 0; i < count; i++) free(rs[i].line);
    free(rs);
    return 0;
}
