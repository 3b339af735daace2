// toymoe: toy models of superposition in mixtures of experts.
// The whole public C API. Native builds link libtoymoe; the web lab calls the
// same functions in a standalone wasm module (no Emscripten JS glue).
//
//   tm_model *m = tm_model_create("{\"n\":20,\"m\":6,\"p\":0.1}");  // NULL on error
//   tm_train(m, 1000);                       // TM_OK, or an error code
//   const float *w = tm_params(m);           // W [E,n,m] | b [E,n] | router [E,n]
//   tm_metrics(m, 8192, out, tm_metrics_len(m));
//   tm_model_free(m);
//
// Every entry validates its arguments and returns an error code (or NULL);
// tm_last_error() then holds a one-line message naming the field and its
// allowed range. Nothing aborts: after an error the library stays usable.
#ifndef TOYMOE_H
#define TOYMOE_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    TM_OK = 0,
    TM_ERR_ARG = 1,        // a bad argument or config value
    TM_ERR_MEMORY = 2,     // over the memory cap, or allocation failed
    TM_ERR_NONFINITE = 3,  // loss or weights became NaN/inf; training stopped
    TM_ERR_STATE = 4,      // call not valid for this model (e.g. regions need n = 2 or 3)
};

// Models, their batches and workspaces together may not exceed this (bytes).
#define TM_MEMORY_CAP (256u * 1024u * 1024u)

typedef struct tm_model tm_model;

const char *tm_version(void);
const char *tm_last_error(void);      // "" when the last call that can fail succeeded (getters leave it)
int tm_last_error_code(void);         // TM_OK or the TM_ERR_* of that message
const char *tm_schema_json(void);     // every config field: type, range, default, options

// Heap helpers so JavaScript can pass strings and buffers into wasm memory.
void *tm_alloc(uint32_t bytes);
void tm_dealloc(void *ptr);

// config_json: a flat JSON object; missing fields take their defaults, unknown
// fields are an error. The model is initialised from config.seed.
tm_model *tm_model_create(const char *config_json);
// The same parsing and validation (memory cap included) without allocating a model.
int tm_config_check(const char *config_json);
void tm_model_free(tm_model *m);
const char *tm_model_config_json(const tm_model *m);  // the normalised config

// Train `steps` more steps (a fresh batch each). Stops early on a non-finite
// loss or weight and returns TM_ERR_NONFINITE with the step in tm_last_error();
// every later call (0 steps too) returns the same code and message.
int tm_train(tm_model *m, int32_t steps);
// Train several models `steps` more steps each, with the same results as calling
// tm_train on each (bit for bit). Small models of one shape (n <= 3, k = 1, the same
// optimiser settings and step count) train together, one per SIMD lane. Returns
// TM_OK, or the error of the first model that failed (the others still train).
int tm_train_many(tm_model *const *models, int32_t count, int32_t steps);
int32_t tm_steps_done(const tm_model *m);
float tm_last_loss(const tm_model *m);   // loss of the most recent step (NaN before any)

// Loss history: entry i is the loss of step i*stride (stride doubles as the
// history fills, so memory stays bounded on very long runs).
const float *tm_loss_history(const tm_model *m);
int32_t tm_loss_history_len(const tm_model *m);
int32_t tm_loss_history_stride(const tm_model *m);

// The parameter arena, writable: W [E,n,m] then b [E,n] then router [E,n].
float *tm_params(tm_model *m);
int32_t tm_params_len(const tm_model *m);

// Metrics (SPEC section 6) into a caller buffer of tm_metrics_len floats; the
// layout is given by tm_metrics_offset(m, TM_MET_*). samples > 0 fresh inputs
// (drawn from a generator seeded by config.seed) estimate the routing terms.
enum {
    TM_MET_NORM,           // [E,n] ||W_i||
    TM_MET_INTERFERENCE,   // [E,n,n] W^_i . W_j
    TM_MET_POLY,           // [E,n] sqrt(sum_{j!=i} (W^_i.W_j)^2)
    TM_MET_SUPERPOSITION,  // [E,n] sum_{j!=i} (W^_i.W_j)^2
    TM_MET_PHASE_SCORE,    // [E,n] sum_j (W^_i.W_j)^2, self term included
    TM_MET_DIM,            // [E,n] feature dimensionality D_i
    TM_MET_CLASS,          // [E,n] 0 ignored, 1 monosemantic, 2 superposed
    TM_MET_CAPACITY,       // [E] sum_i D_i
    TM_MET_GATE_MEAN,      // [E] p_e: mean renormalised gate weight
    TM_MET_USAGE,          // [3,E] top-1 usage: unchanged, clamped, only-mono inputs
    TM_MET_GLOBAL_DIM,     // [n] sum_e alpha_i^e D_i^e
    TM_MET_SCALARS,        // [4] FPD, total capacity, samples used, mean loss on samples
    TM_MET_COUNT
};
int32_t tm_metrics_len(const tm_model *m);
int32_t tm_metrics_offset(const tm_model *m, int32_t which);
int tm_metrics(tm_model *m, int32_t samples, float *out, int32_t out_len);

// Router regions (the top-1 expert by router score; for k = 1 the routed expert)
// on a grid x grid raster (row-major, row 0 at the top):
// n=2 the unit square (x1 right, x2 up); n=3 the simplex x1+x2+x3=1 (corner x1
// bottom-left, x2 bottom-right, x3 top; cells outside get -1). out: expert index.
int tm_router_regions(const tm_model *m, int32_t grid, int32_t *out, int32_t out_len);

// Sweeps (the paper's many-model experiments, SPEC section 7): deterministic
// job lists, so the browser's worker pool and the CLI's shards train the same
// models. preset: fig3 | fig4 | table1; fidelity: quick | paper, or quick-xoshiro |
// paper-xoshiro: the same jobs on the data_rng xoshiro stream (other draws: another sweep).
int32_t tm_sweep_jobs(const char *preset, const char *fidelity);       // -1 on error
// {"preset","fidelity","job","cell","run","arch","x","y","seed","config":{...}}, with
// "xoshiro_layout" after "fidelity" on -xoshiro fidelities (rng.h); NULL on error.
const char *tm_sweep_job_json(const char *preset, const char *fidelity, int32_t job);
// A trained model's results for the preset as flat JSON members (no braces):
// "final_loss":..,"eval_loss":..,"fpd":..,... plus per-expert fields for fig4/table1.
const char *tm_sweep_summary_json(tm_model *m, const char *preset, int32_t samples);

#ifdef __cplusplus
}
#endif
#endif
