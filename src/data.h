// Sparse feature batches and importance profiles (SPEC section 1).
#ifndef TM_DATA_H
#define TM_DATA_H
#include "rng.h"
#include <stdint.h>

typedef struct {
    int32_t batch, n;
    float *x;          // (batch, n) dense values, 0 where absent
    int32_t *nz;       // (batch, n) indices of present features, first nz_count[b] valid
    int32_t *nz_count; // (batch,)
    // The pcg32 sampler's scratch: draws (draw_cap,) of the data stream generated ahead, and
    // hits (draw_cap/64,) one bit per draw, set where it passes the presence test.
    uint32_t *draws;
    uint64_t *hits;
    int32_t draw_cap;
} tm_batch;

int tm_batch_init(tm_batch *b, int32_t batch, int32_t n);  // TM_OK or TM_ERR_MEMORY
uint64_t tm_batch_bytes(int32_t batch, int32_t n);         // what tm_batch_init allocates
void tm_batch_free(tm_batch *b);
// Each feature present with probability p, value U[0,1): per feature one draw of rng for
// presence and, if present, the next for the value (the same stream as a plain loop).
void tm_batch_sample(tm_batch *b, float p, tm_rng *rng);
// The same rule on the xoshiro stream (config data_rng; rng.h has its layout): presence
// and value draws of 4 features at a time, so the whole batch is a few SIMD steps.
void tm_batch_sample4(tm_batch *b, float p, tm_rng4 *rng);
// One model's pcg32 batch as one row of `count` features (its rows end to end: the same draws
// in the same order as tm_batch_sample, so it leaves rng where that does): out[t * stride] =
// feature t's value, 0 when absent (out must hold zeros there already: only present features
// are written). b's draw buffers are the scratch. For the lane trainer, whose rows (n <= 3)
// are too short to sample one by one.
void tm_stream_values(tm_batch *b, float p, tm_rng *rng, int32_t count, float *out, int32_t stride);
// tm_rng_uniform(r) < p in integers: (tm_rng_u32(r) >> 8) < tm_presence_threshold(p).
uint32_t tm_presence_threshold(float p);

// importance (n,): kind is TM_IMP_*; base^i, permuted base^i, ones, ones with last = r.
void tm_importance(float *imp, int32_t n, int32_t kind, float base, float last, uint32_t perm_seed);
#endif
