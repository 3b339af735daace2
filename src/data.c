#include "data.h"
#include "config.h"
#include "kernels.h"
#include "toymoe.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Parsing the draws word by word (stream_parse) pays up to about this density; above it
// the plain loop's branch is well predicted (measured in Chromium against the plain loop:
// p = 0.5, n = 3: 0.97; p = 0.9: n = 20 1.2, n = 100 1.05).
#define STREAM_MAX_P 0.6

// Draws generated per refill: a multiple of 64 (one hits word) with room for many samples.
static int64_t draw_capacity(int64_t n) {
    int64_t cap = 8 * n > 4096 ? 8 * n : 4096;
    return (cap + 63) / 64 * 64;
}

uint64_t tm_batch_bytes(int32_t batch, int32_t n) {
    uint64_t cap = (uint64_t)draw_capacity(n);
    return ((uint64_t)batch * (uint64_t)n + 3) * sizeof(float) + (uint64_t)batch * (uint64_t)n * sizeof(int32_t) +
           (uint64_t)batch * sizeof(int32_t) + cap * sizeof(uint32_t) + cap / 64 * sizeof(uint64_t);
}

int tm_batch_init(tm_batch *b, int32_t batch, int32_t n) {
    b->batch = batch;
    b->n = n;
    b->draw_cap = (int32_t)draw_capacity(n);  // n fits: the model passed the memory cap
    b->x = calloc((size_t)batch * n + 3, sizeof *b->x);  // + 3: the xoshiro sampler writes whole blocks of 4
    b->nz = malloc((size_t)batch * n * sizeof *b->nz);
    b->nz_count = calloc((size_t)batch, sizeof *b->nz_count);
    b->draws = malloc((size_t)b->draw_cap * sizeof *b->draws);
    b->hits = malloc((size_t)b->draw_cap / 64 * sizeof *b->hits);
    if (!b->x || !b->nz || !b->nz_count || !b->draws || !b->hits) { tm_batch_free(b); return TM_ERR_MEMORY; }
    return TM_OK;
}

void tm_batch_free(tm_batch *b) {
    free(b->x); free(b->nz); free(b->nz_count); free(b->draws); free(b->hits);
    b->x = NULL; b->nz = NULL; b->nz_count = NULL; b->draws = NULL; b->hits = NULL;
}

// The plain loop, one feature at a time: the definition of the data stream.
static void sample_plain(tm_batch *b, uint32_t threshold, tm_rng *rng) {
    const int32_t n = b->n;
    for (int32_t s = 0; s < b->batch; s++) {
        float *x = b->x + (size_t)s * n;
        int32_t *nz = b->nz + (size_t)s * n, count = 0;
        for (int32_t i = 0; i < n; i++) {
            if ((tm_rng_u32(rng) >> 8) < threshold) {
                x[i] = tm_rng_uniform(rng);
                nz[count++] = i;
            } else {
                x[i] = 0.0f;
            }
        }
        b->nz_count[s] = count;
    }
}

// The pcg32 stream read from draws generated ahead into b's buffers: draws[pos .. len) are
// generated and unread; base is the state of draws[0].
typedef struct {
    tm_batch *b;
    tm_rng base;
    uint32_t threshold;
    int32_t pos, len;
} reader;

// (Re)fill from the first unread draw what `features` more features are expected to read,
// (1 + p) draws each, plus `margin`, at most the buffer: a whole buffer would mostly go
// unread when the batch is short next to it (the lane trainer's, fig2's).
// Out of line: inlined into the lane trainer's parse loop (by way of stream_parse) it made
// fig4-2x1-E1 and 3x2-E1 4% slower in Chromium, the loop's registers going to the refill.
__attribute__((noinline)) static void reader_fill(reader *r, float p, int64_t features, int32_t margin, int first) {
    tm_batch *b = r->b;
    double want = (1.0 + p) * (double)features + margin;
    r->len = want < b->draw_cap ? ((int32_t)want + 63) / 64 * 64 : b->draw_cap;
    if (!first) r->base.state = tm_rng_state_ahead(&r->base, (uint64_t)r->pos);
    r->pos = 0;
    tm_rng_fill(&r->base, b->draws, r->len);
    tm_below_bits(r->len, b->draws, r->threshold, b->hits);
}

// The generator after the reads.
static void reader_end(const reader *r, tm_rng *rng) { rng->state = tm_rng_state_ahead(&r->base, (uint64_t)r->pos); }

// The features a chunk at a time (tm_rng4_features), then the present ones' indices row by
// row from the blocks' presence bits.
void tm_batch_sample4(tm_batch *b, float p, tm_rng4 *rng) {
    enum { CHUNK = 1024 };  // features
    const int32_t n = b->n;
    const int64_t features = (int64_t)b->batch * n;
    const uint32_t threshold = tm_presence_threshold(p);
    uint8_t present[CHUNK / 4];
    int64_t row_end = n;  // the flat index where row s ends
    int32_t s = 0, c = 0;  // the row at hand and its present features so far
    for (int64_t f = 0; f < features; f += CHUNK) {
        const int32_t len = features - f >= CHUNK ? CHUNK : (int32_t)(features - f);
        tm_rng4_features(rng, threshold, len, b->x + f, present);
        for (int32_t j = 0; j < (len + 3) / 4; j++)
            for (unsigned bits = present[j]; bits; bits &= bits - 1) {
                int64_t g = f + 4 * j + __builtin_ctz(bits);
                while (g >= row_end) { b->nz_count[s++] = c; c = 0; row_end += n; }
                b->nz[(size_t)s * n + c++] = (int32_t)(g - (row_end - n));
            }
    }
    while (s < b->batch) { b->nz_count[s++] = c; c = 0; }
}

// Which tests of one 64-draw word pass, when tests and values interleave by the data: a
// passing test makes the next draw its value, whatever that draw's own presence bit says,
// so the bits parse like backslash escapes (simdjson's odd-run trick). hits: the presence bits
// of the word; value0: 1 when its first draw is a value (the word before ended in a passing
// test). A run of hits starts with a test (the draw before is a failed test or a value), and
// tests and values alternate along it: the passing tests sit at the run start's parity.
static inline uint64_t passing_tests(uint64_t hits, uint64_t value0) {
    const uint64_t even = 0x5555555555555555ull;
    uint64_t h = hits & ~value0;
    uint64_t starts = h & ~(h << 1);
    uint64_t even_runs = h & ~(h + (starts & even));  // the carry clears each run started at an even draw
    return (even_runs & even) | (h & ~even_runs & ~even);
}

// Row and column of flat feature f < 2^31 in rows of n: f / n as (f M) >> shift, exact there
// (M = ceil(2^shift / n), shift = 31 + ceil(log2 n): the error is under f / 2^shift < 1/n).
typedef struct { uint64_t mult; int32_t shift, n; } row_divider;
static row_divider row_divider_of(int32_t n) {
    int32_t bits = 0;
    while ((1ll << bits) < n) bits++;
    row_divider d = {.shift = 31 + bits, .n = n};
    d.mult = ((1ull << d.shift) + (uint64_t)n - 1) / (uint64_t)n;
    return d;
}

// The stream parsed word by word (as told inside); with nz, also each present feature's index in its
// row's list (rows of rows.n, counts in nz_count, zero on entry), with no branch per row.
static inline __attribute__((always_inline)) void stream_parse(tm_batch *b, float p, tm_rng *rng, int32_t count,
                                                               float *out, int32_t stride, int32_t *nz,
                                                               int32_t *nz_count, row_divider rows) {
    // Word by word, with no branch per feature: a word's tests (its draws that are no value) are
    // consecutive features, and each passing test's value is written at its feature's place.
    const uint32_t threshold = tm_presence_threshold(p);
    reader r = {.b = b, .base = *rng, .threshold = threshold};
    int32_t t = 0, w = 0;  // features read; the word at hand
    uint64_t lead = 0, value0 = 0;  // lead: the word's draws this call reads (after a fill, from r.pos)
    for (int first = 1; t < count; first = 0) {
        // A word reads its 64 draws and, for a test passing at its last draw, the next one.
        if (first || r.len < 64 * (w + 2)) {
            r.pos = first ? 0 : 64 * w + (int32_t)value0;  // the first unread draw: a test
            reader_fill(&r, p, count - t, 192, first);
            w = r.pos >> 6;
            lead = ~0ull << (r.pos & 63);
            value0 = 0;
        }
        const uint64_t pass = passing_tests(b->hits[w] & lead, value0);
        uint64_t tests = ~((pass << 1) | value0) & lead;
        int32_t k = __builtin_popcountll(tests);
        uint64_t take = pass;
        if (k >= count - t) {  // the batch ends in this word: keep its first count - t tests
            while (k > count - t) { tests &= ~(1ull << (63 - __builtin_clzll(tests))); k--; }
            int32_t last = 63 - __builtin_clzll(tests);
            take &= ~0ull >> (63 - last);
            r.pos = 64 * w + last + 1 + (int32_t)((pass >> last) & 1);
        }
        // The draws before a passing test j are this word's unread ones (from its first, `from`),
        // less the value draw at its start (value0), less one value per earlier passing test:
        // the rest are tests, each a feature, so the test is feature t + j - from - value0 - c.
        const uint32_t *draws = b->draws + 64 * (size_t)w + 1;  // a test's value: the draw after it
        const int32_t from = __builtin_ctzll(lead), base = t - from - (int32_t)value0;
        int32_t c = 0;
        for (uint64_t bits = take; bits; bits &= bits - 1, c++) {
            int32_t j = __builtin_ctzll(bits);
            const int32_t f = base + j - c;
            out[(size_t)f * stride] = tm_uniform_of(draws[j]);
            if (nz) {
                const int32_t row = (int32_t)(((uint64_t)f * rows.mult) >> rows.shift);
                nz[(size_t)row * rows.n + nz_count[row]++] = f - row * rows.n;
            }
        }
        t += k;
        value0 = pass >> 63;
        lead = ~0ull;
        w++;
    }
    if (count > 0) reader_end(&r, rng);
}

void tm_stream_values(tm_batch *b, float p, tm_rng *rng, int32_t count, float *out, int32_t stride) {
    stream_parse(b, p, rng, count, out, stride, NULL, NULL, (row_divider){0});
}

// The same stream read from draws generated ahead (tm_rng_fill), their presence tests packed
// as bits and parsed a word at a time (stream_parse): each present feature's value goes to its
// place in x and its index to its row's list, with no branch per feature or per row (jumping
// from hit to hit, row by row, mispredicted each row's end: fig2 0.904, n = 100 1.00 of the
// time per step in Chromium; at p = 0.5 fig2 0.92, dense100 0.96). Dense features take the
// plain loop, as do builds without SIMD (packing the presence bits one at a time costs what
// it saves); rng ends where the plain loop would leave it.
void tm_batch_sample(tm_batch *b, float p, tm_rng *rng) {
    const int32_t n = b->n;
    const uint32_t threshold = tm_presence_threshold(p);  // tm_rng_uniform(rng) < p, in integers
    if (!TM_SIMD || threshold > (uint32_t)(STREAM_MAX_P * 16777216.0)) {
        sample_plain(b, threshold, rng);
        return;
    }
    memset(b->x, 0, (size_t)b->batch * n * sizeof *b->x);  // one call, not one per sample
    memset(b->nz_count, 0, (size_t)b->batch * sizeof *b->nz_count);
    stream_parse(b, p, rng, b->batch * n, b->x, 1, b->nz, b->nz_count, row_divider_of(n));
}

uint32_t tm_presence_threshold(float p) {
    // u = top24 / 2^24 exactly, so u < p <=> top24 < p 2^24 <=> top24 < ceil(p 2^24)
    float scaled = p * 16777216.0f;
    return !(p > 0.0f) ? 0u : p >= 1.0f ? 16777216u : (uint32_t)scaled + ((float)(uint32_t)scaled < scaled);
}

void tm_importance(float *imp, int32_t n, int32_t kind, float base, float last, uint32_t perm_seed) {
    for (int32_t i = 0; i < n; i++) imp[i] = kind == TM_IMP_DECAY || kind == TM_IMP_DECAY_PERM ? (float)pow(base, i) : 1.0f;
    if (kind == TM_IMP_LAST) imp[n - 1] = last;
    if (kind == TM_IMP_DECAY_PERM) {
        int32_t *order = malloc((size_t)n * sizeof *order);
        float *copy = malloc((size_t)n * sizeof *copy);
        if (order && copy) {
            tm_rng r;
            tm_rng_seed(&r, perm_seed, TM_STREAM_PERM);
            for (int32_t i = 0; i < n; i++) { order[i] = i; copy[i] = imp[i]; }
            tm_rng_shuffle(&r, order, n);
            for (int32_t i = 0; i < n; i++) imp[i] = copy[order[i]];
        }
        free(order); free(copy);
    }
}
