#include "optim.h"
#include "config.h"
#include "kernels.h"
#include <math.h>

float tm_schedule_lr(int32_t schedule, float lr, int32_t t, int32_t T) {
    if (schedule != TM_SCHED_CONSTANT && t >= T) return 0.0f;  // past the end of the schedule: no further updates
    double f = 1.0;  // step t of T, t < T
    if (schedule == TM_SCHED_LINEAR) f = 1.0 - (double)t / T;
    else if (schedule == TM_SCHED_COSINE) f = T > 1 ? cos(1.5707963267948966 * (double)t / (T - 1)) : 1.0;
    return f > 0.0 ? (float)(lr * f) : 0.0f;
}

void tm_adamw_step(int32_t n, float *p, const float *g, float *m, float *v, float lr, float wd, float beta1,
                   float beta2, float eps, int32_t t) {
    double bc1 = 1.0 - pow(beta1, t), bc2 = 1.0 - pow(beta2, t);
    tm_adamw_kernel(n, p, g, m, v, 1.0f - lr * wd, beta1, beta2, (float)(lr / bc1), (float)(1.0 / sqrt(bc2)), eps);
}
