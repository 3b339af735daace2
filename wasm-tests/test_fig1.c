// Learning end to end: the fig1 configuration with zero bias init reaches a
// loss below 0.01 (the reference reaches about 0.0057).
#include "check.h"
#include "toymoe.h"

int main(void) {
    tm_model *m = tm_model_create("{\"n\":20,\"m\":6,\"experts\":1,\"p\":0.1,\"importance\":\"decay\","
                                  "\"importance_base\":0.7,\"batch\":1024,\"steps\":10000,\"loss\":\"sum\","
                                  "\"bias_init\":\"zero\",\"seed\":0}");
    CHECK(m != NULL, "create: %s", tm_last_error());
    CHECK(tm_train(m, 10000) == TM_OK, "train: %s", tm_last_error());
    const float *h = tm_loss_history(m);
    int len = tm_loss_history_len(m);
    double tail = 0;
    for (int i = len - 100; i < len; i++) tail += h[i];
    tail /= 100;
    printf("fig1 zero-bias: first loss %.4f, mean of the last 100 steps %.5f, last %.5f\n", h[0], tail, tm_last_loss(m));
    CHECK(tail < 0.01, "mean final loss %.5f", tail);
    CHECK(h[0] > 0.05, "the initial loss %.4f should be far above the final one", h[0]);
    tm_model_free(m);
    return check_summary("fig1");
}
