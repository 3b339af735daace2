// tm_train_many gives what tm_train gives, bit for bit: on every fig4 shape (the
// lane trainer), with groups of 1-4 and mixed lists, chunked calls, spare lanes, a
// model that goes non-finite mid-group, and bad arguments.
#include "check.h"
#include "toymoe.h"
#include <stdio.h>
#include <string.h>

static const int shapes[][3] = {{2, 1, 1}, {2, 1, 2}, {3, 1, 1}, {3, 1, 2}, {3, 1, 3}, {3, 2, 1}, {3, 2, 2}, {3, 2, 3}};

static void config(char *out, size_t cap, int n, int m, int E, double p, double r, int seed, const char *extra) {
    snprintf(out, cap,
             "{\"n\":%d,\"m\":%d,\"experts\":%d,\"k\":1,\"p\":%g,\"importance\":\"last\",\"importance_last\":%g,\"loss\":\"mean\","
             "\"load_balance\":true,\"batch\":64,\"lr\":0.01,\"steps\":300,\"seed\":%d%s}",
             n, m, E, p, r, seed, extra);
}

// The whole observable state of two models is equal.
static int same(tm_model *a, tm_model *b) {
    int32_t len = tm_loss_history_len(a);
    float la = tm_last_loss(a), lb = tm_last_loss(b);
    return tm_steps_done(a) == tm_steps_done(b) && len == tm_loss_history_len(b) &&
           !memcmp(tm_loss_history(a), tm_loss_history(b), (size_t)len * sizeof(float)) && !memcmp(&la, &lb, sizeof la) &&
           !memcmp(tm_params(a), tm_params(b), (size_t)tm_params_len(a) * sizeof(float));
}

// Trains `count` configs alone (tm_train) and together (tm_train_many), in chunks, and
// compares. poison >= 0: after the first chunk that model's last `tail` parameters (all:
// tail = 0) become `value`, so its next step goes non-finite.
static void compare_poisoned(const char *what, char cfg[][512], int count, const int *chunks, int nchunks, int poison,
                             int32_t tail, float value) {
    tm_model *alone[8], *many[8];
    for (int i = 0; i < count; i++) {
        alone[i] = tm_model_create(cfg[i]);
        many[i] = tm_model_create(cfg[i]);
        CHECK(alone[i] && many[i], "%s: create %s", what, tm_last_error());
        if (!alone[i] || !many[i]) return;
    }
    int rc_alone = TM_OK, rc_many = TM_OK;
    for (int c = 0; c < nchunks; c++) {
        if (c == 1 && poison >= 0) {
            int32_t len = tm_params_len(many[poison]);
            for (int32_t t = tail ? len - tail : 0; t < len; t++) tm_params(many[poison])[t] = tm_params(alone[poison])[t] = value;
        }
        int rc = tm_train_many(many, count, chunks[c]);
        if (rc && !rc_many) rc_many = rc;
        for (int i = 0; i < count; i++) {
            rc = tm_train(alone[i], chunks[c]);
            if (rc && !rc_alone) rc_alone = rc;
        }
    }
    CHECK(rc_alone == rc_many, "%s: status alone %d, together %d", what, rc_alone, rc_many);
    for (int i = 0; i < count; i++) {
        CHECK(same(alone[i], many[i]), "%s: model %d differs: steps %d/%d, last loss %.9g/%.9g", what, i,
              tm_steps_done(alone[i]), tm_steps_done(many[i]), tm_last_loss(alone[i]), tm_last_loss(many[i]));
        tm_model_free(alone[i]);
        tm_model_free(many[i]);
    }
}

static void compare(const char *what, char cfg[][512], int count, const int *chunks, int nchunks) {
    compare_poisoned(what, cfg, count, chunks, nchunks, -1, 0, 0.0f);
}

int main(void) {
    char cfg[8][512];
    const int one[] = {300}, split[] = {1, 99, 200};
    // Every fig4 shape, 4 lanes differing in density, importance and seed.
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        for (int i = 0; i < 4; i++)
            config(cfg[i], sizeof cfg[i], shapes[s][0], shapes[s][1], shapes[s][2], 0.05 + 0.3 * i, 0.3 + 0.8 * i, 11 * (int)s + i, "");
        char what[64];
        snprintf(what, sizeof what, "shape %dx%d E%d", shapes[s][0], shapes[s][1], shapes[s][2]);
        compare(what, cfg, 4, s % 2 ? split : one, s % 2 ? 3 : 1);
    }
    // The xoshiro data stream (its own lane sampler): every shape, an odd batch, a mixed list
    // (a pcg32 model ends a group), and a lane going non-finite (its generator rolls back).
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        for (int i = 0; i < 4; i++)
            config(cfg[i], sizeof cfg[i], shapes[s][0], shapes[s][1], shapes[s][2], 0.05 + 0.3 * i, 0.3 + 0.8 * i, 7 * (int)s + i,
                   s % 3 ? ",\"data_rng\":\"xoshiro\"" : ",\"data_rng\":\"xoshiro\",\"batch\":37");
        char what[64];
        snprintf(what, sizeof what, "xoshiro, shape %dx%d E%d", shapes[s][0], shapes[s][1], shapes[s][2]);
        compare(what, cfg, 4, split, 3);
    }
    // Batches longer than a model's draw buffer (4096 draws for n <= 3): the lanes' sampler refills mid-batch.
    const int few[] = {1, 2};
    for (int i = 0; i < 4; i++) config(cfg[i], sizeof cfg[i], 3, 1, 2, 0.1 + 0.3 * i, 1.0, 95 + i, ",\"batch\":3000");
    compare("pcg32, batch 3000, 4 lanes", cfg, 4, few, 2);
    for (int i = 0; i < 4; i++) config(cfg[i], sizeof cfg[i], 3, 1, 2, 0.1 + 0.3 * i, 1.0, 95 + i, ",\"batch\":3000,\"data_rng\":\"xoshiro\"");
    compare("xoshiro, batch 3000, 4 lanes", cfg, 4, few, 2);
    for (int i = 0; i < 6; i++) config(cfg[i], sizeof cfg[i], 3, 2, 2, 0.3, 1.0, 80 + i, i == 3 ? "" : ",\"data_rng\":\"xoshiro\"");
    compare("xoshiro, mixed with pcg32", cfg, 6, split, 3);
    for (int i = 0; i < 4; i++) config(cfg[i], sizeof cfg[i], 3, 1, 3, 0.5, 1.0, 90 + i, ",\"data_rng\":\"xoshiro\"");
    compare_poisoned("xoshiro, non-finite in one lane", cfg, 4, split, 3, 2, 0, 1e30f);
    // Spare lanes (groups of 2 and 3), no load balancing, sum loss, a schedule, zero bias.
    for (int i = 0; i < 3; i++) config(cfg[i], sizeof cfg[i], 3, 2, 3, 0.2 + 0.2 * i, 1.5, 40 + i, ",\"load_balance\":false");
    compare("3 lanes, no load balancing", cfg, 3, one, 1);
    for (int i = 0; i < 2; i++)
        config(cfg[i], sizeof cfg[i], 2, 1, 2, 0.5, 0.7, 50 + i, ",\"loss\":\"sum\",\"schedule\":\"cosine\",\"bias_init\":\"zero\"");
    compare("2 lanes, sum loss, cosine", cfg, 2, split, 3);
    // Mixed list: lane groups broken by a bigger model and by a different lr.
    for (int i = 0; i < 7; i++) config(cfg[i], sizeof cfg[i], 3, 1, 3, 0.3, 1.0, 60 + i, "");
    snprintf(cfg[2], sizeof cfg[2], "{\"n\":8,\"m\":3,\"experts\":2,\"k\":1,\"batch\":64,\"seed\":9}");
    config(cfg[5], sizeof cfg[5], 3, 1, 3, 0.3, 1.0, 65, ",\"lr\":0.02");
    compare("mixed list", cfg, 7, split, 3);
    // A model that goes non-finite mid-group: the others still match, it fails as alone.
    for (int i = 0; i < 4; i++) config(cfg[i], sizeof cfg[i], 3, 1, 3, 0.5, 1.0, 70 + i, "");
    compare_poisoned("non-finite in one lane", cfg, 4, split, 3, 2, 0, 1e30f);
    compare_poisoned("non-finite in lane 0", cfg, 4, split, 3, 0, 0, 1e30f);
    // The last expert's router row near FLT_MAX: its score overflows to +inf and wins, so the
    // softmax shift is inf - inf (the lanes skip the top expert's exp; its gate must still be NaN).
    compare_poisoned("an infinite router score", cfg, 4, split, 3, 1, 3, 3e38f);
    // Bad arguments leave everything usable.
    tm_model *m = tm_model_create(cfg[0]);
    CHECK(tm_train_many(&m, 1, -1) == TM_ERR_ARG && strstr(tm_last_error(), "steps"), "negative steps: %s", tm_last_error());
    CHECK(tm_train_many(NULL, 2, 5) == TM_ERR_ARG, "no list");
    tm_model *list[2] = {m, NULL};
    CHECK(tm_train_many(list, 2, 5) == TM_ERR_ARG && strstr(tm_last_error(), "model 1"), "missing model: %s", tm_last_error());
    CHECK(tm_steps_done(m) == 0, "no step after an argument error");
    CHECK(tm_train_many(list, 0, 5) == TM_OK && tm_train_many(&m, 1, 5) == TM_OK && tm_steps_done(m) == 5, "usable after");
    tm_model_free(m);
    return check_summary("test_train_many");
}
