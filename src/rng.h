// PCG32 (O'Neill): 64-bit state, 32-bit output. Caller-owned state; the same
// seed and stream give the same sequence in every build.
#ifndef TM_RNG_H
#define TM_RNG_H
#include <stdint.h>

typedef struct { uint64_t state, inc; } tm_rng;

// Independent streams of one seed: one for init, one for data, and so on.
enum { TM_STREAM_INIT = 1, TM_STREAM_DATA = 2, TM_STREAM_METRICS = 3, TM_STREAM_PERM = 4 };

void tm_rng_seed(tm_rng *r, uint64_t seed, uint64_t stream);
#define TM_PCG_MULT 6364136223846793005ULL  // the state steps s -> TM_PCG_MULT s + inc
// The output of a state (XSH RR): the one permutation every generator here uses.
static inline uint32_t tm_pcg_output(uint64_t old) {
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u), rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}
// Inline: the data sampler draws one or two of these per feature of every sample.
static inline uint32_t tm_rng_u32(tm_rng *r) {
    uint64_t old = r->state;
    r->state = old * TM_PCG_MULT + r->inc;
    return tm_pcg_output(old);
}
// A draw as a uniform in [0,1): its top 24 bits, exact in float.
static inline float tm_uniform_of(uint32_t draw) { return (float)(draw >> 8) * (1.0f / 16777216.0f); }
static inline float tm_rng_uniform(tm_rng *r) { return tm_uniform_of(tm_rng_u32(r)); }
// The state `delta` draws ahead, in O(log delta) (PCG's jump-ahead).
uint64_t tm_rng_state_ahead(const tm_rng *r, uint64_t delta);
// draws (count,) = the next `count` outputs of r, r unchanged: 4 jump-ahead chains step side
// by side, so the multiply latency overlaps (the sequential generator waits on each one).
void tm_rng_fill(const tm_rng *r, uint32_t *draws, int32_t count);
float tm_rng_normal(tm_rng *r);                // N(0,1), Box-Muller
uint32_t tm_rng_below(tm_rng *r, uint32_t n);  // [0,n), unbiased
void tm_rng_shuffle(tm_rng *r, int32_t *a, int32_t n);

// The vectorised data stream (config data_rng = xoshiro): 4 xoshiro128+ generators
// (Blackman & Vigna) side by side, s[w][l] word w of generator l, so one SIMD step gives
// 4 draws, generator l's in lane l. A batch's features, row after row, go 4 to a block, and
// block j is two steps: lane l of step 2j is feature 4j + l's presence draw, lane l of step
// 2j + 1 its value draw (used when present; a last part-block's spare lanes are unused). No
// draw's role depends on another draw, so sampling is a few SIMD operations per 4 features,
// for one model or for 4 in the lane trainer; each batch starts a block. Steps live in
// kernels.h (tm_rng4_fill, tm_rng4_features), the only file with SIMD.
// The layout's version: layout 1 (until 2026-11-24) read PCG32's way, a value draw only
// after a passing presence draw, so the same seed gave other batches. Sweep results name it.
#define TM_XOSHIRO_LAYOUT 2
typedef struct { uint32_t s[4][4]; } tm_rng4;
void tm_rng4_seed(tm_rng4 *r, uint64_t seed, uint64_t stream);
#endif
