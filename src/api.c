// The exported API's thin entries: argument checks around the modules.
#include "config.h"
#include "error.h"
#include "model.h"
#include "toymoe.h"
#include <math.h>
#include <stdlib.h>

const char *tm_version(void) { return "toymoe 0.1.0"; }

void *tm_alloc(uint32_t bytes) {
    tm_clear_error();
    void *p = bytes ? malloc(bytes) : NULL;
    if (!p) tm_fail(TM_ERR_MEMORY, "alloc: could not allocate %u bytes", bytes);
    return p;
}

void tm_dealloc(void *ptr) { free(ptr); }

tm_model *tm_model_create(const char *config_json) {
    tm_clear_error();
    tm_config c;
    tm_config_defaults(&c);
    if (tm_config_parse_json(&c, config_json)) return NULL;
    return tm_model_new(&c);
}

int tm_config_check(const char *config_json) {
    tm_clear_error();
    tm_config c;
    tm_config_defaults(&c);
    return tm_config_parse_json(&c, config_json);
}

const char *tm_model_config_json(const tm_model *m) { return m ? m->config_json : "{}"; }
int32_t tm_steps_done(const tm_model *m) { return m ? m->step : 0; }
float tm_last_loss(const tm_model *m) { return m ? m->last_loss : NAN; }
const float *tm_loss_history(const tm_model *m) { return m ? m->history : NULL; }
int32_t tm_loss_history_len(const tm_model *m) { return m ? m->history_len : 0; }
int32_t tm_loss_history_stride(const tm_model *m) { return m ? m->history_stride : 1; }
float *tm_params(tm_model *m) { return m ? m->params : NULL; }
int32_t tm_params_len(const tm_model *m) { return m ? m->nparams : 0; }
