// The training loop: a fresh batch per step, AdamW, a bounded loss history and
// a guard that stops on the first non-finite loss or weight.
#include "error.h"
#include "model.h"
#include "optim.h"
#include "toymoe.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int all_finite(const float *x, int32_t n) {
    uint32_t bad = 0;
    for (int32_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        bad |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    return !bad;
}

static void record(tm_model *m, float loss) {
    if (m->step % m->history_stride) return;
    if (m->history_len == m->history_cap) {  // keep every other entry, double the stride
        for (int32_t i = 0; i < m->history_cap / 2; i++) m->history[i] = m->history[2 * i];
        m->history_len = m->history_cap / 2;
        m->history_stride *= 2;
        if (m->step % m->history_stride) return;
    }
    m->history[m->history_len++] = loss;
}

// A non-finite step ends training for good; later calls repeat the message.
static int stop(tm_model *m) {
    m->nonfinite_step = m->step;
    snprintf(m->failure, sizeof m->failure, "%s", tm_last_error());
    return TM_ERR_NONFINITE;
}

void tm_record_loss(tm_model *m, float loss) {
    m->last_loss = loss;
    record(m, loss);
    m->step++;
}

int tm_train(tm_model *m, int32_t steps) {
    tm_clear_error();
    if (!m) return tm_fail(TM_ERR_ARG, "train: no model");
    if (steps < 0) return tm_fail(TM_ERR_ARG, "train: steps must be >= 0, got %d", steps);
    if (m->nonfinite_step >= 0)
        return tm_fail(TM_ERR_NONFINITE, "%s", m->failure);
    const tm_config *c = &m->cfg;
    tm_model_sync_transpose(m);  // the caller may have written the arena
    for (int32_t s = 0; s < steps; s++) {
        if (m->step == INT32_MAX) return tm_fail(TM_ERR_STATE, "train: step counter is at its limit");
        if (c->data_rng == TM_DATA_RNG_XOSHIRO) tm_batch_sample4(&m->batch, (float)c->p, &m->data_rng4);
        else tm_batch_sample(&m->batch, (float)c->p, &m->data_rng);
        float loss = tm_model_batch(m, &m->batch, 1);
        if (!isfinite(loss) || !all_finite(m->grad, m->nparams)) {
            tm_fail(TM_ERR_NONFINITE, "train: loss became non-finite at step %d; lower lr (now %g)", m->step, c->lr);
            return stop(m);
        }
        float lr = tm_schedule_lr(c->schedule, (float)c->lr, m->step, c->steps);
        tm_adamw_step(m->nparams, m->params, m->grad, m->adam_m, m->adam_v, lr, (float)c->weight_decay, (float)c->beta1,
                      (float)c->beta2, (float)c->eps, m->step + 1);
        if (!all_finite(m->params, m->nparams)) {
            tm_fail(TM_ERR_NONFINITE, "train: weights became non-finite at step %d; lower lr (now %g)", m->step, c->lr);
            return stop(m);
        }
        tm_model_sync_transpose(m);
        tm_record_loss(m, loss);
    }
    return TM_OK;
}
