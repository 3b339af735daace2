// The generator matches PCG32's published stream; batches have the right statistics.
#include "check.h"
#include "config.h"
#include "data.h"
#include "kernels.h"
#include "rng.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// The pcg32 data stream's definition, one feature at a time (data.c's plain loop).
static void reference_sample(float *x, int32_t *count, int32_t batch, int32_t n, float p, tm_rng *r) {
    uint32_t threshold = tm_presence_threshold(p);
    for (int32_t s = 0; s < batch; s++) {
        count[s] = 0;
        for (int32_t i = 0; i < n; i++) {
            int present = (tm_rng_u32(r) >> 8) < threshold;
            x[(size_t)s * n + i] = present ? tm_uniform_of(tm_rng_u32(r)) : 0.0f;
            count[s] += present;
        }
    }
}

// PCG32's pieces: jump-ahead and the 4-chain fill against plain stepping, the presence bits.
static void pcg_pieces(void) {
    tm_rng r, q;
    tm_rng_seed(&r, 77, 5);
    uint32_t draws[1003];
    tm_rng_fill(&r, draws, 1003);
    q = r;
    int fill_ok = 1;
    for (int t = 0; t < 1003; t++) fill_ok &= draws[t] == tm_rng_u32(&q);
    CHECK(fill_ok, "tm_rng_fill differs from tm_rng_u32");
    CHECK(tm_rng_state_ahead(&r, 1003) == q.state, "tm_rng_state_ahead(1003)");
    CHECK(tm_rng_state_ahead(&r, 0) == r.state, "tm_rng_state_ahead(0)");
    // the presence bits (SIMD builds pack them 4 at a time)
    uint32_t thresholds[] = {0u, 1u, 1677722u, 8388608u, 16777215u, 16777216u};
    for (size_t c = 0; c < sizeof thresholds / sizeof *thresholds; c++) {
        uint64_t bits[15];
        tm_below_bits(960, draws, thresholds[c], bits);
        int bits_ok = 1;
        for (int j = 0; j < 960; j++) bits_ok &= (int)((bits[j / 64] >> (j % 64)) & 1) == ((draws[j] >> 8) < thresholds[c]);
        CHECK(bits_ok, "tm_below_bits, threshold %u", thresholds[c]);
    }
}

// The xoshiro stream's definition: 4 plain xoshiro128+ generators (Blackman & Vigna's
// code) read in turn, draw i from generator i % 4.
typedef struct { uint32_t s[4][4]; int64_t read; } xo_reference;
static uint32_t xo_next(xo_reference *r) {
    uint32_t *s = r->s[r->read++ & 3];
    const uint32_t result = s[0] + s[3], t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >> 21);
    return result;
}
static xo_reference xo_from(const tm_rng4 *r) {
    xo_reference x = {.read = 0};
    for (int l = 0; l < 4; l++) for (int w = 0; w < 4; w++) x.s[l][w] = r->s[w][l];
    return x;
}
static int xo_same(const xo_reference *x, const tm_rng4 *r) {  // at a whole step, the same state
    int same = (x->read & 3) == 0;
    for (int l = 0; l < 4; l++) for (int w = 0; w < 4; w++) same &= x->s[l][w] == r->s[w][l];
    return same;
}
// The xoshiro stream's layout (rng.h): the batch's features row after row, 4 to a block; a
// block reads 8 draws of the plain generators in turn, the presence draws of its features,
// then their value draws (a last part-block's spare draws unused).
static void reference_sample4(float *x, int32_t *count, int32_t batch, int32_t n, float p, xo_reference *r) {
    const uint32_t threshold = tm_presence_threshold(p);
    const int64_t features = (int64_t)batch * n;
    for (int32_t s = 0; s < batch; s++) count[s] = 0;
    for (int64_t f = 0; f < features; f += 4) {
        uint32_t test[4], value[4];
        for (int l = 0; l < 4; l++) test[l] = xo_next(r);
        for (int l = 0; l < 4; l++) value[l] = xo_next(r);
        for (int l = 0; l < 4 && f + l < features; l++) {
            int present = (test[l] >> 8) < threshold;
            x[f + l] = present ? tm_uniform_of(value[l]) : 0.0f;
            count[(f + l) / n] += present;
        }
    }
}

// The xoshiro stream's pieces: the generator, the fill, the seeding.
static void xoshiro_pieces(void) {
    // xoshiro128+ from {1,2,3,4}: 1+4, then 7+rotl(6,11) (worked by hand from the definition)
    xo_reference k = {.s = {{1, 2, 3, 4}}, .read = 0};
    uint32_t k1 = xo_next(&k);
    k.read = 0;
    uint32_t k2 = xo_next(&k);
    CHECK(k1 == 5 && k2 == 12295, "xoshiro128+ known answer: %u %u", k1, k2);
    tm_rng4 r, q;
    tm_rng4_seed(&r, 77, 5);
    q = r;
    xo_reference ref = xo_from(&r);
    uint32_t draws[4 * 80];
    tm_rng4_fill(&q, draws, 80);
    int fill_ok = 1;
    for (int t = 0; t < 4 * 80; t++) fill_ok &= draws[t] == xo_next(&ref);
    CHECK(fill_ok && xo_same(&ref, &q), "tm_rng4_fill differs from 4 plain xoshiro128+ in turn");
    tm_rng4 z;
    tm_rng4_seed(&z, 0, 0);
    int nonzero = 1, distinct = 0;
    for (int l = 0; l < 4; l++) nonzero &= (z.s[0][l] | z.s[1][l] | z.s[2][l] | z.s[3][l]) != 0;
    tm_rng4_seed(&q, 77, 6);
    for (int w = 0; w < 4; w++) for (int l = 0; l < 4; l++) distinct += q.s[w][l] != r.s[w][l];
    CHECK(nonzero && distinct == 16, "xoshiro seeding: no zero generator; another stream, other states");
}

// The batch b is the reference's (x, counts) and its sparse index points at present values.
static int same_batch(const tm_batch *b, const float *x, const int32_t *count) {
    const int32_t n = b->n;
    int ok = !memcmp(b->x, x, (size_t)b->batch * n * sizeof *x) && !memcmp(b->nz_count, count, (size_t)b->batch * sizeof *count);
    for (int32_t s = 0; ok && s < b->batch; s++)
        for (int32_t t = 0; t < count[s]; t++) {
            const int32_t *nz = b->nz + (size_t)s * n;
            ok &= nz[t] >= 0 && nz[t] < n && (t == 0 || nz[t] > nz[t - 1]) && x[(size_t)s * n + nz[t]] != 0.0f;
        }
    return ok;
}

// A stream under test (r, or q on xoshiro) and its plain reference, both from one seed.
typedef struct { tm_rng r, ref; tm_rng4 q; xo_reference ref4; } stream_pair;
static stream_pair stream_pair_seeded(uint64_t seed) {
    stream_pair s;
    tm_rng_seed(&s.r, seed, 2);
    s.ref = s.r;
    tm_rng4_seed(&s.q, seed, 2);
    s.ref4 = xo_from(&s.q);
    return s;
}
// The reference's next batch (x, count) on the stream under test; whether both generators agree.
static void reference_batch(int xoshiro, stream_pair *s, float *x, int32_t *count, int32_t batch, int32_t n, float p) {
    if (xoshiro) reference_sample4(x, count, batch, n, p, &s->ref4);
    else reference_sample(x, count, batch, n, p, &s->ref);
}
static int stream_pair_same(int xoshiro, const stream_pair *s) { return xoshiro ? xo_same(&s->ref4, &s->q) : s->r.state == s->ref.state; }

// tm_batch_sample (pcg32) reads its stream ahead and parses it a word of draws at a time, and
// tm_batch_sample4 (xoshiro) fills blocks of 4 a chunk at a time: each must give its
// reference's batches and leave the generator where the reference does, across refills of
// the draw buffer, both of pcg32's paths (parsed, and plain for dense p), batches ending
// mid-block and xoshiro's chunks, over 3 consecutive batches.
static void samplers_match_reference(void) {
    const int32_t ns[] = {3, 15, 16, 17, 100, 700, 4096};
    const float ps[] = {0.0f, 0.001f, 0.05f, 0.1f, 0.37f, 0.6f, 0.61f, 0.9f, 1.0f};
    for (int xoshiro = 0; xoshiro < 2; xoshiro++) {
        int cases = 0, bad = 0;
        for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
            for (size_t c = 0; c < sizeof ps / sizeof *ps; c++) {
                int32_t n = ns[a], batch = n >= 700 ? 9 : 64 - xoshiro;  // 63: a batch ending mid-block (n odd)
                tm_batch b;
                tm_batch_init(&b, batch, n);
                float *x = malloc((size_t)batch * n * sizeof *x);
                int32_t *count = malloc((size_t)batch * sizeof *count);
                stream_pair sp = stream_pair_seeded(1000 + a);
                for (int step = 0; step < 3; step++) {
                    if (xoshiro) tm_batch_sample4(&b, ps[c], &sp.q);
                    else tm_batch_sample(&b, ps[c], &sp.r);
                    reference_batch(xoshiro, &sp, x, count, batch, n, ps[c]);
                    int ok = stream_pair_same(xoshiro, &sp) && same_batch(&b, x, count);
                    CHECK(ok, "%s sampler n=%d p=%g batch %d differs from the reference stream", xoshiro ? "xoshiro" : "pcg32", n,
                          ps[c], step);
                    bad += !ok;
                    cases++;
                }
                free(x); free(count);
                tm_batch_free(&b);
            }
        printf("  %s sampler == reference stream: %d batches, %d differ\n", xoshiro ? "xoshiro" : "pcg32", cases, bad);
    }
}

// tm_stream_values (the lane trainer's pcg32 sampler) parses a model's batch as one long row, word
// by word: its values must be the reference's for that row (batch = count rows of 1 feature),
// written at the stride and nowhere else, and the generator must end where the reference's
// does, over buffer refills, every density (passing tests in long runs at p = 1), and batches
// ending anywhere in a word.
static void stream_values_match_reference(void) {
    const int32_t counts[] = {1, 2, 3, 63, 64, 65, 127, 129, 1536, 3001, 9000};
    const float ps[] = {0.0f, 0.001f, 0.05f, 0.1f, 0.37f, 0.5f, 0.61f, 0.9f, 0.999f, 1.0f};
    int cases = 0, bad = 0;
    for (size_t a = 0; a < sizeof counts / sizeof *counts; a++)
        for (size_t c = 0; c < sizeof ps / sizeof *ps; c++) {
            const int32_t count = counts[a], stride = a % 2 ? 4 : 1;
            tm_batch b;
            tm_batch_init(&b, 512, 3);  // the lane trainer's scratch: its models' own batch buffers
            float *want = malloc((size_t)count * sizeof *want), *got = malloc((size_t)count * stride * sizeof *got);
            int32_t *present = malloc((size_t)count * sizeof *present);
            stream_pair sp = stream_pair_seeded(2000 + a);
            for (int call = 0; call < 2; call++) {
                for (int32_t t = 0; t < count * stride; t++) got[t] = t % stride ? -1.0f : 0.0f;
                tm_stream_values(&b, ps[c], &sp.r, count, got, stride);
                reference_sample(want, present, count, 1, ps[c], &sp.ref);
                int ok = sp.r.state == sp.ref.state;
                for (int32_t t = 0; t < count * stride; t++) ok &= got[t] == (t % stride ? -1.0f : want[t / stride]);
                CHECK(ok, "tm_stream_values count=%d p=%g call %d differs from the reference stream", count, ps[c], call);
                bad += !ok;
                cases++;
            }
            free(want); free(got); free(present);
            tm_batch_free(&b);
        }
    printf("  pcg32 tm_stream_values == reference stream: %d calls, %d differ\n", cases, bad);
}

int main(void) {
    pcg_pieces();
    xoshiro_pieces();
    samplers_match_reference();
    stream_values_match_reference();
    // The lane trainer's presence test in integers is u < p exactly, also next to the threshold.
    const float dens[] = {0.0f, 1e-7f, 0.01f, 0.1f, 0.3f, 0.5f, 0.9f, 0.999f, 1.0f, 0.5f + 0x1p-25f, 0x1p-24f,
                          3 * 0x1p-24f + 0x1p-30f, 1.5f, -0.5f};
    int wrong = 0;
    for (size_t d = 0; d < sizeof dens / sizeof dens[0]; d++) {
        uint32_t thr = tm_presence_threshold(dens[d]);
        uint32_t probe[] = {0, 1, 2, 3, 4, thr - 2, thr - 1, thr, thr + 1, thr + 2, 16777214, 16777215};
        for (size_t t = 0; t < sizeof probe / sizeof probe[0]; t++) {
            uint32_t top = probe[t] > 16777215 ? 16777215 : probe[t];
            wrong += ((float)top * (1.0f / 16777216.0f) < dens[d]) != (top < thr);
        }
    }
    CHECK(wrong == 0, "presence threshold disagrees with u < p in %d probes", wrong);
    // pcg32-demo: seed 42, stream 54.
    const uint32_t expect[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    tm_rng r;
    tm_rng_seed(&r, 42, 54);
    for (int i = 0; i < 6; i++) {
        uint32_t got = tm_rng_u32(&r);
        CHECK(got == expect[i], "output %d: %08x, expected %08x", i, got, expect[i]);
    }
    tm_rng a, b, c;
    tm_rng_seed(&a, 5, TM_STREAM_DATA);
    tm_rng_seed(&b, 5, TM_STREAM_DATA);
    tm_rng_seed(&c, 5, TM_STREAM_INIT);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = tm_rng_u32(&a);
        same &= x == tm_rng_u32(&b);
        differ += x != tm_rng_u32(&c);
    }
    CHECK(same, "same seed and stream, same sequence");
    CHECK(differ > 990, "another stream is another sequence (%d of 1000 differ)", differ);
    // Normals: mean 0, variance 1 (N = 200000: sd of the mean 0.0022, of the variance 0.0032).
    double s1 = 0, s2 = 0;
    int N = 200000;
    for (int i = 0; i < N; i++) { double z = tm_rng_normal(&a); s1 += z; s2 += z * z; }
    CHECK(fabs(s1 / N) < 0.01, "normal mean %.4f", s1 / N);
    CHECK(fabs(s2 / N - 1.0) < 0.015, "normal variance %.4f", s2 / N);
    // Batches: present fraction ~ p, present value mean ~ 0.5 and in [0,1).
    // Both data streams; adjacent features present together at p^2 (no correlation).
    float ps[3] = {0.1f, 0.5f, 1.0f};
    tm_rng4 a4;
    tm_rng4_seed(&a4, 42, 2);
    for (int t = 0; t < 6; t++) {
        tm_batch bt;
        tm_batch_init(&bt, 2048, 50);
        const char *stream = t < 3 ? "pcg32" : "xoshiro";
        if (t < 3) tm_batch_sample(&bt, ps[t], &a);
        else tm_batch_sample4(&bt, ps[t - 3], &a4);
        const float p = ps[t % 3];
        long present = 0, index_ok = 1, pairs = 0;
        double sum = 0;
        int range_ok = 1;
        for (int s = 0; s < bt.batch; s++) {
            int cnt = 0;
            for (int i = 0; i < bt.n; i++) {
                float x = bt.x[s * bt.n + i];
                if (x != 0.0f) { present++; sum += x; range_ok &= x > 0.0f && x < 1.0f; cnt++; }
                pairs += i > 0 && x != 0.0f && bt.x[s * bt.n + i - 1] != 0.0f;
            }
            for (int q = 0; q < bt.nz_count[s]; q++) index_ok &= bt.x[s * bt.n + bt.nz[s * bt.n + q]] != 0.0f;
            index_ok &= cnt == bt.nz_count[s];
        }
        double total = (double)bt.batch * bt.n, frac = present / total;
        double sd = sqrt(p * (1 - p) / total) + 1e-9;
        CHECK(fabs(frac - p) < 4 * sd + 1e-6, "%s p=%.2f: present fraction %.5f (4 sd = %.5f)", stream, p, frac, 4 * sd);
        double mean = sum / present, sd_mean = sqrt(1.0 / 12.0 / present);
        CHECK(fabs(mean - 0.5) < 4 * sd_mean, "%s p=%.2f: mean present value %.5f", stream, p, mean);
        CHECK(range_ok && index_ok, "%s p=%.2f: values in (0,1) and sparse index consistent", stream, p);
        double npairs = (double)bt.batch * (bt.n - 1), pp = (double)p * p, sd_pair = sqrt(pp * (1 - pp) / npairs) + 1e-9;
        CHECK(fabs(pairs / npairs - pp) < 4 * sd_pair + 1e-6, "%s p=%.2f: adjacent pairs present %.5f, p^2 %.5f", stream, p,
              pairs / npairs, pp);
        tm_batch_free(&bt);
    }
    // Importance profiles.
    float imp[10];
    tm_importance(imp, 10, TM_IMP_DECAY, 0.7f, 1.0f, 0);
    CHECK(imp[0] == 1.0f && fabs(imp[3] - 0.343) < 1e-6, "0.7^i: %g %g", imp[0], imp[3]);
    tm_importance(imp, 10, TM_IMP_LAST, 0.7f, 2.5f, 0);
    CHECK(imp[0] == 1.0f && imp[8] == 1.0f && imp[9] == 2.5f, "last = r");
    float perm[10], perm2[10];
    tm_importance(perm, 10, TM_IMP_DECAY_PERM, 0.9f, 1.0f, 3);
    tm_importance(perm2, 10, TM_IMP_DECAY_PERM, 0.9f, 1.0f, 3);
    tm_importance(imp, 10, TM_IMP_DECAY, 0.9f, 1.0f, 0);
    double sp = 0, si = 0;
    int moved = 0, repeat = 1;
    for (int i = 0; i < 10; i++) { sp += perm[i]; si += imp[i]; moved += perm[i] != imp[i]; repeat &= perm[i] == perm2[i]; }
    CHECK(fabs(sp - si) < 1e-5 && moved > 0 && repeat, "permutation: same values, reordered, reproducible");
    return check_summary("rng_data");
}
