// A minimal test harness: CHECK counts, prints failures, and the test's exit
// code is nonzero if any check failed. Built natively and to wasm alike.
#ifndef TM_CHECK_H
#define TM_CHECK_H
#include <stdio.h>

static int check_count, check_failed;

#define CHECK(cond, ...)                                            \
    do {                                                            \
        check_count++;                                              \
        if (!(cond)) {                                              \
            check_failed++;                                         \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
            printf(__VA_ARGS__);                                    \
            printf("\n");                                           \
        }                                                           \
    } while (0)

static int check_summary(const char *name) {
    printf("%s: %d checks, %d passed, %d failed\n", name, check_count, check_count - check_failed, check_failed);
    return check_failed ? 1 : 0;
}
#endif
