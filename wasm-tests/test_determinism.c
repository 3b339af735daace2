// The same seed gives the same run; another seed another run; chunking a run
// into several tm_train calls changes nothing.
#include "check.h"
#include "toymoe.h"
#include <math.h>
#include <string.h>

static const char *configs[] = {
    "{\"n\":20,\"m\":6,\"batch\":256,\"seed\":3}",
    "{\"n\":20,\"m\":2,\"experts\":3,\"k\":1,\"batch\":256,\"seed\":3}",
    "{\"n\":30,\"m\":2,\"experts\":5,\"k\":2,\"batch\":128,\"load_balance\":true,\"loss\":\"mean\",\"seed\":3}",
    "{\"n\":100,\"m\":10,\"experts\":4,\"k\":1,\"batch\":256,\"data_rng\":\"xoshiro\",\"seed\":3}",
    "{\"n\":3,\"m\":1,\"experts\":3,\"k\":1,\"batch\":77,\"p\":0.5,\"data_rng\":\"xoshiro\",\"seed\":3}",
};
#define NCONFIGS ((int)(sizeof configs / sizeof *configs))

int main(void) {
    for (int c = 0; c < NCONFIGS; c++) {
        tm_model *a = tm_model_create(configs[c]), *b = tm_model_create(configs[c]);
        CHECK(a && b, "create: %s", tm_last_error());
        CHECK(tm_train(a, 200) == TM_OK, "train a");
        for (int i = 0; i < 4; i++) tm_train(b, 50);
        int len = tm_loss_history_len(a);
        CHECK(len == 200 && tm_loss_history_len(b) == 200, "history lengths %d %d", len, tm_loss_history_len(b));
        CHECK(!memcmp(tm_loss_history(a), tm_loss_history(b), (size_t)len * sizeof(float)), "config %d: histories differ", c);
        CHECK(!memcmp(tm_params(a), tm_params(b), (size_t)tm_params_len(a) * sizeof(float)), "config %d: weights differ", c);
        CHECK(tm_loss_history(a)[199] < tm_loss_history(a)[0], "config %d: loss fell %g -> %g", c, tm_loss_history(a)[0],
              tm_loss_history(a)[199]);
        tm_model_free(b);
        char other[256];
        strcpy(other, configs[c]);
        other[strlen(other) - 2] = '4';  // seed 3 -> 4
        b = tm_model_create(other);
        tm_train(b, 200);
        CHECK(memcmp(tm_loss_history(a), tm_loss_history(b), 200 * sizeof(float)) != 0, "config %d: another seed, same run", c);
        tm_model_free(a);
        tm_model_free(b);
    }
    // The two data streams of one seed are two runs of one distribution.
    tm_model *pcg = tm_model_create("{\"n\":100,\"m\":10,\"experts\":4,\"k\":1,\"batch\":256,\"seed\":3}");
    tm_model *xo = tm_model_create(configs[3]);
    tm_train(pcg, 200);
    tm_train(xo, 200);
    // The mean of the last 50 losses: one step's batch loss spreads by 20% (batch 256).
    float lp = 0.0f, lx = 0.0f;
    for (int i = 150; i < 200; i++) { lp += tm_loss_history(pcg)[i] / 50; lx += tm_loss_history(xo)[i] / 50; }
    CHECK(tm_last_loss(pcg) != tm_last_loss(xo) && fabsf(lp - lx) < 0.1f * lp,
          "pcg32 and xoshiro: other draws, a similar loss (mean of the last 50: %g, %g)", lp, lx);
    tm_model_free(pcg);
    tm_model_free(xo);
    // A bounded history: a long run keeps at most 65536 entries, evenly strided.
    tm_model *m = tm_model_create("{\"n\":2,\"m\":1,\"batch\":1,\"seed\":1}");
    CHECK(tm_train(m, 140000) == TM_OK, "long run");
    int32_t len = tm_loss_history_len(m), stride = tm_loss_history_stride(m);
    CHECK(stride == 4 && len == 35000, "history len %d stride %d after 140000 steps", len, stride);
    tm_model_free(m);
    return check_summary("determinism");
}
