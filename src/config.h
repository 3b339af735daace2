// The one config schema shared by the CLI, the wasm API, the JS engine and the
// URL state: defaults, ranges, option names and every validation message.
#ifndef TM_CONFIG_H
#define TM_CONFIG_H
#include <stdint.h>
#include <stddef.h>

enum { TM_IMP_DECAY, TM_IMP_DECAY_PERM, TM_IMP_UNIFORM, TM_IMP_LAST };
enum { TM_BIAS_XAVIER, TM_BIAS_ZERO };
enum { TM_ROUTER_XAVIER, TM_ROUTER_ZERO, TM_ROUTER_DIAGONAL, TM_ROUTER_KHOT_ORDERED, TM_ROUTER_KHOT_RANDOM };
enum { TM_SCHED_CONSTANT, TM_SCHED_LINEAR, TM_SCHED_COSINE };
enum { TM_LOSS_SUM, TM_LOSS_MEAN };
enum { TM_USAGE_DENSE, TM_USAGE_SPARSE };
enum { TM_DATA_RNG_PCG32, TM_DATA_RNG_XOSHIRO };

typedef struct {
    int32_t n, m, experts, k;
    double p;
    int32_t importance;
    double importance_base, importance_last;
    int32_t perm_seed;
    int32_t bias_init, router_init;
    int32_t steps, batch;
    double lr;
    int32_t schedule;
    double weight_decay, beta1, beta2, eps;
    int32_t loss;
    int32_t load_balance;
    double lb_alpha;
    int32_t usage_inputs;
    int32_t data_rng;
    double seed;  // an integer in [0, 2^32); double so JSON/JS round-trip exactly
} tm_config;

void tm_config_defaults(tm_config *c);
// Set one field from its text form ("20", "0.1", "xavier", "true"); validates range.
int tm_config_set(tm_config *c, const char *name, const char *value);
// Parse a flat JSON object over the defaults, then check cross-field rules.
int tm_config_parse_json(tm_config *c, const char *json);
int tm_config_validate(const tm_config *c);  // cross-field rules and memory cap
int tm_config_to_json(const tm_config *c, char *out, size_t cap);
// Field names in schema order (NULL-terminated) and a one-line range text for help.
const char *tm_config_field_name(int i);
const char *tm_config_field_help(int i, char *buf, size_t cap);
#endif
