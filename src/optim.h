// AdamW with decoupled weight decay, and learning-rate schedules (SPEC section 4).
#ifndef TM_OPTIM_H
#define TM_OPTIM_H
#include <stdint.h>

// Learning rate at step t (0-based) of a T-step schedule (TM_SCHED_*).
float tm_schedule_lr(int32_t schedule, float lr, int32_t t, int32_t T);
// One AdamW step over n params; t is the 1-based step count for bias correction.
void tm_adamw_step(int32_t n, float *p, const float *g, float *m, float *v, float lr, float wd, float beta1,
                   float beta2, float eps, int32_t t);
#endif
