// Native stand-in for <wasm_simd128.h>: SIMDe's portable implementation of the wasm SIMD128
// intrinsics (Debian libsimde-dev), mapped onto SSE4.1 by the compiler flags. Used only by the
// bench_train_simde target (CMakeLists.txt), which also defines __wasm_simd128__ so src/kernels.h
// takes its SIMD path natively.
#ifndef TM_BENCH_SIMDE_WASM_SIMD128_H
#define TM_BENCH_SIMDE_WASM_SIMD128_H
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif
