// AdamW against values worked out by hand, and the learning-rate schedules.
#include "check.h"
#include "config.h"
#include "optim.h"
#include <math.h>

#define NEAR(a, b, tol) (fabs((double)(a) - (double)(b)) <= (tol))

int main(void) {
    // Step 1, lr 0.01, wd 0.1: m^ = g, v^ = g^2, so the update is lr*g/(|g|+eps):
    //   p = 1.0:  1.0*(1-0.001) - 0.01*0.1/(0.1+1e-8)  = 0.989000000
    //   p = -2.0: -2.0*0.999    + 0.01*0.2/(0.2+1e-8)  = -1.988000000
    //   p = 0.5:  0.5*0.999     - 0.01*0.3/(0.3+1e-8)  = 0.489500000
    float p[3] = {1.0f, -2.0f, 0.5f}, g[3] = {0.1f, -0.2f, 0.3f}, m[3] = {0}, v[3] = {0};
    tm_adamw_step(3, p, g, m, v, 0.01f, 0.1f, 0.9f, 0.999f, 1e-8f, 1);
    CHECK(NEAR(p[0], 0.989, 1e-6), "p0 %.9g", p[0]);
    CHECK(NEAR(p[1], -1.988, 1e-6), "p1 %.9g", p[1]);
    CHECK(NEAR(p[2], 0.4895, 1e-6), "p2 %.9g", p[2]);
    CHECK(NEAR(m[0], 0.01, 1e-8) && NEAR(v[0], 1e-5, 1e-9), "moments m %.9g v %.9g", m[0], v[0]);
    // Step 2 with g = (0.2, 0, -0.1), worked by hand for the first entry:
    //   m = 0.9*0.01 + 0.1*0.2 = 0.029; v = 0.999*1e-5 + 0.001*0.04 = 4.999e-5
    //   m^ = 0.029/0.19 = 0.152631579; v^ = 4.999e-5/0.001999 = 0.0250075038; sqrt = 0.158137610
    //   p = 0.989*0.999 - 0.01*0.152631579/0.158137610 = 0.988011 - 0.00965182 = 0.978359181
    float g2[3] = {0.2f, 0.0f, -0.1f};
    tm_adamw_step(3, p, g2, m, v, 0.01f, 0.1f, 0.9f, 0.999f, 1e-8f, 2);
    CHECK(NEAR(p[0], 0.978359181, 2e-6), "step 2 p0 %.9g", p[0]);
    // A zero gradient still moves the parameter through momentum and decays it.
    CHECK(p[1] > -1.988 * 0.999 - 1e-6 || p[1] < -1.988 * 0.999 + 0.02, "p1 %.9g", p[1]);
    // wd = 0 and g = 0 from a fresh state leaves the parameter exactly unchanged.
    float q = 3.0f, gq = 0.0f, mq = 0.0f, vq = 0.0f;
    tm_adamw_step(1, &q, &gq, &mq, &vq, 0.1f, 0.0f, 0.9f, 0.999f, 1e-8f, 1);
    CHECK(q == 3.0f, "q %.9g", q);
    // Schedules: constant, linear (1 - t/T), cosine cos(pi/2 t/(T-1)).
    CHECK(tm_schedule_lr(TM_SCHED_CONSTANT, 0.01f, 500, 1000) == 0.01f, "constant");
    CHECK(NEAR(tm_schedule_lr(TM_SCHED_LINEAR, 0.01f, 0, 1000), 0.01, 1e-9), "linear start");
    CHECK(NEAR(tm_schedule_lr(TM_SCHED_LINEAR, 0.01f, 500, 1000), 0.005, 1e-9), "linear mid");
    CHECK(NEAR(tm_schedule_lr(TM_SCHED_COSINE, 0.01f, 0, 1001), 0.01, 1e-9), "cosine start");
    CHECK(NEAR(tm_schedule_lr(TM_SCHED_COSINE, 0.01f, 500, 1001), 0.01 * cos(M_PI / 4), 1e-8), "cosine mid");
    CHECK(NEAR(tm_schedule_lr(TM_SCHED_COSINE, 0.01f, 1000, 1001), 0.0, 1e-9), "cosine end");
    CHECK(tm_schedule_lr(TM_SCHED_LINEAR, 0.01f, 2000, 1000) == 0.0f, "past the end");
    // past the end for good: cos turns positive again after 3 (T - 1) steps; T <= 1 has no curve
    for (int32_t t = 11; t < 100; t++) CHECK(tm_schedule_lr(TM_SCHED_COSINE, 0.01f, t, 11) == 0.0f, "cosine past the end");
    CHECK(tm_schedule_lr(TM_SCHED_COSINE, 0.01f, 0, 1) == 0.01f, "cosine of 1 step: its step");
    CHECK(tm_schedule_lr(TM_SCHED_COSINE, 0.01f, 1, 1) == 0.0f, "cosine of 1 step: after it");
    CHECK(tm_schedule_lr(TM_SCHED_LINEAR, 0.01f, 0, 0) == 0.0f, "linear of 0 steps");
    CHECK(tm_schedule_lr(TM_SCHED_COSINE, 0.01f, 5, 0) == 0.0f, "cosine of 0 steps");
    CHECK(tm_schedule_lr(TM_SCHED_CONSTANT, 0.01f, 5000, 1000) == 0.01f, "constant past the end");
    return check_summary("adamw");
}
