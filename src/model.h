// A toy model (dense = 1 expert): the parameter arena, its initialisation and
// the hand-written forward/backward pass over one batch (SPEC sections 2, 3, 5).
#ifndef TM_MODEL_H
#define TM_MODEL_H
#include "config.h"
#include "data.h"
#include "rng.h"
#include "toymoe.h"
#include <stddef.h>
#include <stdint.h>

struct tm_model {
    tm_config cfg;
    char config_json[1024];
    int32_t n, m, E, k;
    // Arena: W (E,n,m) | b (E,n) | router (E,n). grad, adam_m, adam_v: same layout.
    float *params, *grad, *adam_m, *adam_v;
    int32_t nparams;
    float *W, *b, *router, *gW, *gb, *grouter;  // views into the arenas
    // W transposed, (E,m,n), so the decoder runs along n in SIMD lanes. The decoder's share
    // of gW is summed apart and folded in after the batch, as (E,m,n) or, with the sparse
    // backward pass (chosen per batch, model.c), as (E,n,m).
    float *WT, *gWdec;
    int sparse_backward;  // the path the last batch took (derived from active_share)
    float active_share;  // share of outputs with a non-zero gradient in the last batch
    // The router transposed, (n,Epad), so routing and its gradient run along E for each
    // present feature; and the router's gradient in that layout, folded into grouter after
    // the batch. Epad = E rounded up to 4: whole SIMD vectors, zeros in the padding.
    float *routerT, *grouterT;
    int32_t Epad;
    // The Gram path (dense models, m > 2, sparse enough inputs: tm_gram_path): G = W W^T (n,n),
    // made once per batch, so pre = b + G x costs n per present feature where h = W^T x, then
    // W h cost m (present + n); its gradient S = sum d x^T (n,n, stored transposed) becomes
    // gW = (S + S^T) W after the batch. The same function in another float order, so other
    // bits than the direct path. NULL on the other paths.
    float *gram, *gram_grad;
    float *importance;  // (n,)
    tm_batch batch;
    // Per-sample scratch
    float *pre, *y;     // (k,n) expert pre-activations and outputs
    float *h, *dh;      // (k,m)
    float *dout, *d;    // (n,) dL/dout, dL/dpre
    float *scores, *dgate, *dscore;  // (Epad,)
    float *partial;     // (5,m) the sparse backward pass's partial sums of dh
    int32_t *active;    // (n+3,) outputs with a non-zero gradient (the sparse pass: by class i mod 4)
    int32_t *chosen;    // (k,)
    float *batch_gates; // (batch,E) router probabilities, kept for load balancing
    int32_t *batch_choice; // (batch,k) selected experts, kept for metrics
    tm_rng data_rng;     // the data stream when cfg.data_rng is pcg32
    tm_rng4 data_rng4;   // ... and when it is xoshiro
    int32_t step, nonfinite_step;
    char failure[200];  // why training stopped (nonfinite_step >= 0), repeated by later tm_train calls
    float last_loss;
    float *history;
    int32_t history_len, history_cap, history_stride;
};

uint64_t tm_model_memory_bytes(const tm_config *c);
int tm_gram_path(const tm_config *c);  // does this config train through G = W W^T (dense, wide m)
tm_model *tm_model_new(const tm_config *c);   // NULL + tm_last_error on failure
tm_model *tm_model_new_on_path(const tm_config *c, int gram);  // tests: the decoder path forced
void tm_model_init_params(tm_model *m, uint32_t seed);
void tm_model_sync_transpose(tm_model *m);    // WT, routerT <- W, router after params change

// Routing for one input: x (n,) with nonzero indices nz (count,) -> scores (Epad,: +0 past E),
// chosen (k,) top-k by score (ties to the lowest index), weights (k,) renormalised
// gates; gates (E,) softmax probabilities, filled when k > 1 or load balancing is on.
void tm_route(const tm_model *m, const float *x, const int32_t *nz, int32_t count, float *scores, float *gates,
              int32_t *chosen, float *weights);

// Loss of the batch (reconstruction + load balancing if on). With grad != 0
// the gradient is written to m->grad (overwritten, not accumulated).
float tm_model_batch(tm_model *m, const tm_batch *batch, int grad);
// End of a training step: last loss, the bounded history, the step counter (train.c).
void tm_record_loss(tm_model *m, float loss);
#endif
