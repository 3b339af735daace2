#include "rng.h"
#include <math.h>

void tm_rng_seed(tm_rng *r, uint64_t seed, uint64_t stream) {
    r->state = 0;
    r->inc = (stream << 1u) | 1u;
    tm_rng_u32(r);
    r->state += seed;
    tm_rng_u32(r);
}

float tm_rng_normal(tm_rng *r) {
    // Double precision so that libm differences between builds vanish in the
    // final rounding to float.
    double u1 = ((double)tm_rng_u32(r) + 1.0) * (1.0 / 4294967296.0);  // (0,1]
    double u2 = (double)tm_rng_u32(r) * (1.0 / 4294967296.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint32_t tm_rng_below(tm_rng *r, uint32_t n) {
    uint32_t threshold = (uint32_t)(-n) % n;  // rejection removes modulo bias
    for (;;) {
        uint32_t x = tm_rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

void tm_rng_shuffle(tm_rng *r, int32_t *a, int32_t n) {
    for (int32_t i = n - 1; i > 0; i--) {
        int32_t j = (int32_t)tm_rng_below(r, (uint32_t)i + 1);
        int32_t t = a[i]; a[i] = a[j]; a[j] = t;
    }
}

uint64_t tm_rng_state_ahead(const tm_rng *r, uint64_t delta) {
    uint64_t mult = 1, plus = 0, step_mult = TM_PCG_MULT, step_plus = r->inc;
    for (; delta; delta >>= 1) {  // compose s -> a s + c with itself by squaring
        if (delta & 1) { mult *= step_mult; plus = plus * step_mult + step_plus; }
        step_plus = (step_mult + 1) * step_plus;
        step_mult *= step_mult;
    }
    return mult * r->state + plus;
}

void tm_rng_fill(const tm_rng *r, uint32_t *draws, int32_t count) {
    const uint64_t a = TM_PCG_MULT, a4 = a * a * a * a;
    const uint64_t c4 = ((a * a * a + a * a) + (a + 1)) * r->inc;  // 4 steps: a^4 s + (a^3+a^2+a+1) c
    uint64_t s0 = r->state, s1 = s0 * a + r->inc, s2 = s1 * a + r->inc, s3 = s2 * a + r->inc;
    int32_t t = 0;
    // a moving pointer: wasm stores then take constant offsets (V8 folds them into the address)
    // where draws[t + 1] was an or and an add per draw
    uint32_t *out = draws;
    for (; t + 4 <= count; t += 4, out += 4) {
        out[0] = tm_pcg_output(s0); out[1] = tm_pcg_output(s1);
        out[2] = tm_pcg_output(s2); out[3] = tm_pcg_output(s3);
        s0 = s0 * a4 + c4; s1 = s1 * a4 + c4; s2 = s2 * a4 + c4; s3 = s3 * a4 + c4;
    }
    uint64_t rest[3] = {s0, s1, s2};
    for (int32_t j = 0; t < count; t++, j++) draws[t] = tm_pcg_output(rest[j]);
}

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void tm_rng4_seed(tm_rng4 *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream << 32);  // seed < 2^32: distinct (seed, stream) pairs, distinct starts
    for (int w = 0; w < 4; w++)
        for (int l = 0; l < 4; l += 2) {
            uint64_t z = splitmix64(&x);
            r->s[w][l] = (uint32_t)z;
            r->s[w][l + 1] = (uint32_t)(z >> 32);
        }
    for (int l = 0; l < 4; l++)  // the all-zero state is xoshiro's one fixed point
        if (!(r->s[0][l] | r->s[1][l] | r->s[2][l] | r->s[3][l])) r->s[0][l] = 1;
}
