#include "data.h"
#include "config.h"
#include "kernels.h"
#include "toymoe.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Jumping from hit to hit pays for sparse features and rows long enough to skip (measured,
// n = 100: 25% faster at p = 0.1, 40% at p = 0.5, even near p = 0.65, 2.4x slower at p = 1;
// n = 3: 2x slower).
#define SAMPLE_JUMP_MAX_P 0.6
#define SAMPLE_JUMP_MIN_N 16

// Draws generated per refill: a multiple of 64 (one hits word) with room for many samples.
static int64_t draw_capacity(int64_t n) {
    int64_t cap = 8 * n > 4096 ? 8 * n : 4096;
    return (cap + 63) / 64 * 64;
}

uint64_t tm_batch_bytes(int32_t batch, int32_t n) {
    uint64_t cap = (uint64_t)draw_capacity(n);
    return ((uint64_t)batch * (uint64_t)n + 3) * sizeof(float) + (uint64_t)batch * (uint64_t)n * sizeof(int32_t) +
           (uint64_t)batch * sizeof(int32_t) + cap * sizeof(uint32_t) + (cap / 64 + 1) * sizeof(uint64_t);
}

int tm_batch_init(tm_batch *b, int32_t batch, int32_t n) {
    b->batch = batch;
    b->n = n;
    b->draw_cap = (int32_t)draw_capacity(n);  // n fits: the model passed the memory cap
    b->x = calloc((size_t)batch * n + 3, sizeof *b->x);  // + 3: the xoshiro sampler writes whole blocks of 4
    b->nz = malloc((size_t)batch * n * sizeof *b->nz);
    b->nz_count = calloc((size_t)batch, sizeof *b->nz_count);
    b->draws = malloc((size_t)b->draw_cap * sizeof *b->draws);
    b->hits = malloc(((size_t)b->draw_cap / 64 + 1) * sizeof *b->hits);
    if (!b->x || !b->nz || !b->nz_count || !b->draws || !b->hits) { tm_batch_free(b); return TM_ERR_MEMORY; }
    return TM_OK;
}

void tm_batch_free(tm_batch *b) {
    free(b->x); free(b->nz); free(b->nz_count); free(b->draws); free(b->hits);
    b->x = NULL; b->nz = NULL; b->nz_count = NULL; b->draws = NULL; b->hits = NULL;
}

// The first set bit at or after pos (the last word holds a sentinel bit, so there is one).
static inline int32_t next_hit(const uint64_t *hits, int32_t pos) {
    int32_t w = pos >> 6;
    uint64_t bits = hits[w] >> (pos & 63);
    if (bits) return pos + __builtin_ctzll(bits);
    while (!hits[++w]) {}
    return w * 64 + __builtin_ctzll(hits[w]);
}

// Sample s of b (its row of x zeroed) from the draws at pos, jumping from hit to hit: a
// present feature's value and index are written; returns the next unread draw.
static inline int32_t jump_row(tm_batch *b, int32_t s, int32_t pos) {
    const int32_t n = b->n;
    const uint64_t *hits = b->hits;
    const uint32_t *draws = b->draws;
    float *x = b->x + (size_t)s * n;
    int32_t *nz = b->nz + (size_t)s * n, i = 0, c = 0;
    while (i < n) {
        int32_t gap = next_hit(hits, pos) - pos;  // features i .. i+gap-1 are absent
        if (gap >= n - i) { pos += n - i; break; }
        i += gap;
        pos += gap;
        x[i] = tm_uniform_of(draws[pos + 1]);
        nz[c++] = i++;
        pos += 2;
    }
    b->nz_count[s] = c;
    return pos;
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
    int jump;  // jump: keep the presence tests as bits too
    uint32_t threshold;
    int32_t pos, len;
} reader;

// (Re)fill from the first unread draw what `features` more features are expected to read,
// (1 + p) draws each, plus `margin`, at most the buffer: a whole buffer would mostly go
// unread when the batch is short next to it (the lane trainer's, fig2's).
static void reader_fill(reader *r, float p, int64_t features, int32_t margin, int first) {
    tm_batch *b = r->b;
    double want = (1.0 + p) * (double)features + margin;
    r->len = want < b->draw_cap ? ((int32_t)want + 63) / 64 * 64 : b->draw_cap;
    if (!first) r->base.state = tm_rng_state_ahead(&r->base, (uint64_t)r->pos);
    r->pos = 0;
    tm_rng_fill(&r->base, b->draws, r->len);
    if (r->jump) {
        tm_below_bits(r->len, b->draws, r->threshold, b->hits);
        b->hits[r->len / 64] = 1;  // sentinel
    }
}

// The generator after the reads.
static void reader_end(const reader *r, tm_rng *rng) { rng->state = tm_rng_state_ahead(&r->base, (uint64_t)r->pos); }

// The same stream read from draws generated ahead (tm_rng_fill) with their presence tests
// as bits: a sample jumps from hit to hit instead of testing every feature, and a hit's
// next draw is its value; rng ends where the plain loop would leave it. With dense
// features each jump's dependent chain (word, shift, count zeros) costs more than a
// predicted branch, so they take the plain loop, as do short rows and builds without SIMD
// (packing the presence bits one at a time costs what it saves).
void tm_batch_sample(tm_batch *b, float p, tm_rng *rng) {
    const int32_t n = b->n;
    const uint32_t threshold = tm_presence_threshold(p);  // tm_rng_uniform(rng) < p, in integers
    if (!TM_SIMD || n < SAMPLE_JUMP_MIN_N || threshold > (uint32_t)(SAMPLE_JUMP_MAX_P * 16777216.0)) {
        sample_plain(b, threshold, rng);
        return;
    }
    reader r = {.b = b, .base = *rng, .jump = 1, .threshold = threshold};
    memset(b->x, 0, (size_t)b->batch * n * sizeof *b->x);  // one call, not one per sample
    for (int32_t s = 0; s < b->batch; s++) {
        if (!s || r.len - r.pos < 2 * n)  // a sample reads at most 2n draws
            reader_fill(&r, p, (int64_t)(b->batch - s) * n, 2 * n + 64, !s);
        r.pos = jump_row(b, s, r.pos);
    }
    if (b->batch > 0) reader_end(&r, rng);
}

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

void tm_stream_values(tm_batch *b, float p, tm_rng *rng, int32_t count, float *out, int32_t stride) {
    // Word by word, with no branch per feature: a word's tests (its draws that are no value) are
    // consecutive features, and each passing test's value is written at its feature's place.
    const uint32_t threshold = tm_presence_threshold(p);
    reader r = {.b = b, .base = *rng, .jump = 1, .threshold = threshold};
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
            out[(size_t)(base + j - c) * stride] = tm_uniform_of(draws[j]);
        }
        t += k;
        value0 = pass >> 63;
        lead = ~0ull;
        w++;
    }
    if (count > 0) reader_end(&r, rng);
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
