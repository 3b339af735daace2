// The library's last error message (one line). Single-threaded by design:
// each wasm instance and each native worker thread owns one model at a time.
#ifndef TM_ERROR_H
#define TM_ERROR_H
int tm_fail(int code, const char *fmt, ...);  // sets the message, returns code
void tm_clear_error(void);
#endif
