// Config validation: every bad field gets its own message naming it, and the
// library stays usable after each error.
#include "check.h"
#include "toymoe.h"
#include <string.h>

static void expect_error(const char *json, const char *needle) {
    tm_model *m = tm_model_create(json);
    CHECK(m == NULL, "accepted %s", json);
    CHECK(strstr(tm_last_error(), needle) != NULL, "%s -> '%s' lacks '%s'", json, tm_last_error(), needle);
    tm_model_free(m);
}

int main(void) {
    tm_model *m = tm_model_create("{}");
    CHECK(m != NULL && tm_last_error()[0] == 0, "defaults: %s", tm_last_error());
    CHECK(strstr(tm_model_config_json(m), "\"n\":20,\"m\":6,\"experts\":1,\"k\":1,\"p\":0.1") != NULL, "%s",
          tm_model_config_json(m));
    // The normalised config round-trips.
    tm_model *again = tm_model_create(tm_model_config_json(m));
    CHECK(again && !strcmp(tm_model_config_json(m), tm_model_config_json(again)), "round trip");
    tm_model_free(again);
    tm_model_free(m);

    expect_error("{\"n\":0}", "n: must be an integer in [1, 4096], got 0");
    expect_error("{\"n\":-3}", "n: must be an integer in [1, 4096]");
    expect_error("{\"m\":0}", "m: must be an integer");
    expect_error("{\"experts\":0}", "experts: must be");
    expect_error("{\"n\":2.5}", "n: must be an integer");
    expect_error("{\"experts\":2,\"k\":3}", "k: must be an integer in [1, experts=2], got 3");
    expect_error("{\"p\":0}", "p: must be a number in (0, 1], got 0");
    expect_error("{\"p\":1.5}", "p: must be a number in (0, 1]");
    expect_error("{\"p\":nan}", "p: must be a number");
    expect_error("{\"lr\":inf}", "lr: must be a number");
    expect_error("{\"lr\":1e999}", "lr: must be a number");
    expect_error("{\"lr\":null}", "lr: must be a number");
    expect_error("{\"lr\":\"0.1\"}", "lr: must be a number");
    expect_error("{\"beta1\":1}", "beta1: must be a number in [0, 1)");
    expect_error("{\"batch\":0}", "batch: must be an integer");
    expect_error("{\"steps\":-1}", "steps: must be an integer");
    expect_error("{\"seed\":1.5}", "seed: must be an integer");
    expect_error("{\"router_init\":\"orthogonal\"}", "router_init: must be one of xavier|zero|diagonal|khot_ordered|khot_random");
    expect_error("{\"router_init\":3}", "router_init: must be one of");
    expect_error("{\"loss\":\"<script>alert(1)</script>\"}", "loss: must be one of sum|mean");
    expect_error("{\"load_balance\":\"yes\"}", "load_balance: must be true or false");
    // JSON values are JSON: an option is a string, a bool a bare literal, a number JSON's number.
    expect_error("{\"loss\":sum}", "loss: must be one of sum|mean as a quoted string, got 'sum'");
    expect_error("{\"load_balance\":\"true\"}", "load_balance: must be true or false (a bare literal), got '\"true\"'");
    expect_error("{\"load_balance\":1}", "load_balance: must be true or false (a bare literal), got '1'");
    expect_error("{\"n\":0x10}", "n: must be an integer in [1, 4096], got '0x10'");
    expect_error("{\"n\":+5}", "n: must be an integer in [1, 4096], got '+5'");
    expect_error("{\"n\":05}", "n: must be an integer in [1, 4096], got '05'");
    expect_error("{\"lr\":.5}", "lr: must be a number in (0, 10], got '.5'");
    expect_error("{\"lr\":1.}", "lr: must be a number in (0, 10], got '1.'");
    expect_error("{\"lr\":1e}", "lr: must be a number in (0, 10], got '1e'");
    {
        tm_model *ok = tm_model_create("{\"lr\":1E-2,\"p\":0.5e0,\"seed\":-0,\"load_balance\":false,\"loss\":\"mean\",\"n\":10}");
        CHECK(ok != NULL, "JSON numbers and literals: %s", tm_last_error());
        tm_model_free(ok);
    }
    expect_error("{\"colour\":1}", "unknown field 'colour'");
    expect_error("{\"n\":20", "expected ',' or '}'");
    expect_error("[1,2]", "expected a JSON object");
    expect_error("{\"n\":20} trailing", "unexpected text");
    expect_error("{\"n\":4096,\"m\":4096,\"experts\":64}", "over the 256 MiB limit");
    expect_error("{\"n\":1000,\"batch\":65536}", "MiB (n=1000, m=6, experts=1, batch=65536)");
    CHECK(tm_model_create(NULL) == NULL && strstr(tm_last_error(), "no JSON"), "NULL config");
    char longkey[400] = "{\"";
    memset(longkey + 2, 'a', 300);
    strcpy(longkey + 302, "\":1}");
    expect_error(longkey, "unknown field 'aaaa");
    CHECK(strlen(tm_last_error()) < 120, "message stays short: %zu", strlen(tm_last_error()));
    // a long value or name of multibyte characters is cut before a whole character, at any offset
    for (int lead = 0; lead < 3; lead++) {
        char json[512], inner[300] = "";
        for (int i = 0; i < lead; i++) strcat(inner, "a");
        for (int i = 0; i < 60; i++) strcat(inner, "\xe2\x82\xac");  // the euro sign, 3 bytes
        snprintf(json, sizeof json, lead == 1 ? "{\"%s\":1}" : "{\"bias_init\":\"%s\"}", inner);
        CHECK(tm_config_check(json) == TM_ERR_ARG, "multibyte %d: refused", lead);
        const unsigned char *e = (const unsigned char *)tm_last_error();
        int valid = 1;  // every lead byte has its continuation bytes
        for (size_t i = 0; e[i]; ) {
            int len = e[i] < 0x80 ? 1 : (e[i] & 0xE0) == 0xC0 ? 2 : (e[i] & 0xF0) == 0xE0 ? 3 : (e[i] & 0xF8) == 0xF0 ? 4 : 0;
            for (int k = 1; k < len && valid; k++) valid = (e[i + k] & 0xC0) == 0x80;
            if (!len || !valid) { valid = 0; break; }
            i += (size_t)len;
        }
        CHECK(valid && strstr((const char *)e, "..."), "multibyte %d: valid UTF-8, cut: '%s'", lead, (const char *)e);
    }
    // Found by fuzz_api (docs/robustness.md): messages stay one line; values that
    // float rounds to a NaN-making AdamW are refused; over-long numbers are not
    // silently cut; the normalised config round-trips exactly.
    expect_error("{\"p\":\"a\nb\"}", "got 'a?b'");
    expect_error("{\"beta1\":0.99999999999}", "beta1: must be below 1 in single precision");
    expect_error("{\"beta2\":0.99999999}", "beta2: must be below 1 in single precision");
    expect_error("{\"eps\":1e-300}", "eps: must be at least 1.4e-45");
    char longnum[200] = "{\"n\":5.";
    memset(longnum + 7, '0', 100);
    strcpy(longnum + 107, "x}");
    expect_error(longnum, "n: must be an integer in [1, 4096], got '5.000");
    m = tm_model_create("{\"beta2\":0.9999999,\"lr\":0.00123456789012345}");
    again = m ? tm_model_create(tm_model_config_json(m)) : NULL;
    CHECK(again && !strcmp(tm_model_config_json(m), tm_model_config_json(again)) &&
          strstr(tm_model_config_json(m), "\"lr\":0.001234567890123"),
          "exact round trip: %s", tm_model_config_json(m));
    tm_model_free(again);
    tm_model_free(m);
    // Checking without creating: the same codes and messages, nothing allocated.
    CHECK(tm_config_check("{\"n\":30}") == TM_OK && tm_last_error_code() == TM_OK, "check ok");
    CHECK(tm_config_check("{\"n\":0}") == TM_ERR_ARG && tm_last_error_code() == TM_ERR_ARG && strstr(tm_last_error(), "n:"),
          "check arg");
    CHECK(tm_config_check("{\"n\":4096,\"m\":4096}") == TM_ERR_MEMORY && tm_last_error_code() == TM_ERR_MEMORY, "check memory");
    // Still usable, and the error clears on success.
    m = tm_model_create("{\"n\":5,\"m\":2,\"experts\":2,\"k\":2,\"batch\":8}");
    CHECK(m != NULL && tm_last_error()[0] == 0, "usable after errors: %s", tm_last_error());
    CHECK(tm_train(m, -1) == TM_ERR_ARG && strstr(tm_last_error(), "steps"), "negative steps");
    CHECK(tm_train(m, 10) == TM_OK, "train after error");
    CHECK(tm_train(NULL, 10) == TM_ERR_ARG, "NULL model");
    tm_model_free(m);
    // A learning rate that blows up stops training with the step named.
    m = tm_model_create("{\"n\":20,\"m\":5,\"lr\":10,\"weight_decay\":10,\"batch\":64}");
    int rc = TM_OK;
    for (int i = 0; i < 200 && rc == TM_OK; i++) rc = tm_train(m, 10);
    printf("lr=10, wd=10: rc %d, '%s'\n", rc, tm_last_error());
    CHECK(rc == TM_ERR_NONFINITE && strstr(tm_last_error(), "non-finite at step"), "nonfinite: %s", tm_last_error());
    CHECK(tm_train(m, 1) == TM_ERR_NONFINITE, "stays stopped");
    tm_model_free(m);
    // NaN written into the arena by a caller is caught on the next step.
    m = tm_model_create("{\"n\":6,\"m\":2,\"batch\":8}");
    tm_params(m)[0] = 0.0f / 0.0f;
    CHECK(tm_train(m, 5) == TM_ERR_NONFINITE && strstr(tm_last_error(), "at step 0"), "NaN weight: %s", tm_last_error());
    tm_model_free(m);
    tm_model_free(NULL);
    return check_summary("config");
}
