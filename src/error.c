#include "error.h"
#include "toymoe.h"
#include <stdarg.h>
#include <stdio.h>

static char last_error[512];
static int last_code;

int tm_fail(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    last_code = code;
    return code;
}

void tm_clear_error(void) { last_error[0] = 0; last_code = TM_OK; }

const char *tm_last_error(void) { return last_error; }

int tm_last_error_code(void) { return last_code; }
