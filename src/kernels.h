// The hot loops, the only file with SIMD intrinsics. Each kernel has a wasm
// SIMD128 path and a scalar path that performs the same float operations in
// the same order (4 interleaved partial sums, no FMA), so native and wasm
// builds give bit-identical results.
#ifndef TM_KERNELS_H
#define TM_KERNELS_H
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "rng.h"

#if defined(__wasm_simd128__) && !defined(TM_NO_SIMD)
#include <wasm_simd128.h>
#define TM_SIMD 1
#else
#define TM_SIMD 0
#endif

// x (n,), y (n,) -> y += a*x
static inline void tm_axpy(int32_t n, float a, const float *restrict x, float *restrict y) {
    int32_t i = 0;
#if TM_SIMD
    v128_t va = wasm_f32x4_splat(a);
    for (; i + 4 <= n; i += 4)
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, wasm_v128_load(x + i))));
#endif
    for (; i < n; i++) y[i] += a * x[i];
}

// Router scores over the present features: routerT (n,Ep) padded rows (Ep a multiple of 4),
// x (n,) -> s (Ep,) = sum_t x[nz[t]] routerT[nz[t],:], each entry summed in nz order from +0
// (a dot product's bits); with SIMD up to 16 entries stay in registers over the whole sum.
static inline void tm_rows_sum(int32_t Ep, int32_t count, const int32_t *restrict nz, const float *restrict x,
                               const float *restrict routerT, float *restrict s) {
#if TM_SIMD
    for (int32_t f = 0; f < Ep; f += 16) {
        const int32_t v = Ep - f >= 16 ? 4 : (Ep - f) / 4;  // vectors in this block
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int32_t t = 0; t < count; t++) {
            const float *r = routerT + (size_t)nz[t] * Ep + f;
            v128_t xt = wasm_f32x4_splat(x[nz[t]]);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(xt, wasm_v128_load(r)));
            if (v > 1) a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(xt, wasm_v128_load(r + 4)));
            if (v > 2) a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(xt, wasm_v128_load(r + 8)));
            if (v > 3) a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(xt, wasm_v128_load(r + 12)));
        }
        wasm_v128_store(s + f, a0);
        if (v > 1) wasm_v128_store(s + f + 4, a1);
        if (v > 2) wasm_v128_store(s + f + 8, a2);
        if (v > 3) wasm_v128_store(s + f + 12, a3);
    }
#else
    for (int32_t f = 0; f < Ep; f++) s[f] = 0.0f;
    for (int32_t t = 0; t < count; t++) tm_axpy(Ep, x[nz[t]], routerT + (size_t)nz[t] * Ep, s);
#endif
}

// x (n,), y (n,) -> sum_i x_i y_i, lanes summed as ((l0+l1)+(l2+l3)) + tail
static inline float tm_dot(int32_t n, const float *restrict x, const float *restrict y) {
    int32_t i = 0;
    float tail = 0.0f;
#if TM_SIMD
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (; i + 4 <= n; i += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(x + i), wasm_v128_load(y + i)));
    float l0 = wasm_f32x4_extract_lane(acc, 0), l1 = wasm_f32x4_extract_lane(acc, 1);
    float l2 = wasm_f32x4_extract_lane(acc, 2), l3 = wasm_f32x4_extract_lane(acc, 3);
#else
    float l0 = 0.0f, l1 = 0.0f, l2 = 0.0f, l3 = 0.0f;
    for (; i + 4 <= n; i += 4) {
        l0 += x[i] * y[i]; l1 += x[i + 1] * y[i + 1];
        l2 += x[i + 2] * y[i + 2]; l3 += x[i + 3] * y[i + 3];
    }
#endif
    for (; i < n; i++) tail += x[i] * y[i];
    return ((l0 + l1) + (l2 + l3)) + tail;
}

// Four dot products sharing x: out[q] = tm_dot(n, x, y[q]) bit for bit, four add chains side by side.
static inline void tm_dot4(int32_t n, const float *restrict x, const float *const y[4], float out[4]) {
#if TM_SIMD
    v128_t acc[4] = {wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f)};
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v128_t vx = wasm_v128_load(x + i);
        for (int q = 0; q < 4; q++) acc[q] = wasm_f32x4_add(acc[q], wasm_f32x4_mul(vx, wasm_v128_load(y[q] + i)));
    }
    for (int q = 0; q < 4; q++) {
        float tail = 0.0f;
        for (int32_t t = i; t < n; t++) tail += x[t] * y[q][t];
        float l0 = wasm_f32x4_extract_lane(acc[q], 0), l1 = wasm_f32x4_extract_lane(acc[q], 1);
        float l2 = wasm_f32x4_extract_lane(acc[q], 2), l3 = wasm_f32x4_extract_lane(acc[q], 3);
        out[q] = ((l0 + l1) + (l2 + l3)) + tail;
    }
#else
    for (int q = 0; q < 4; q++) out[q] = tm_dot(n, x, y[q]);
#endif
}

// One pass over a row: d (n,), w (n,), dw (n,) -> returns d.w and does dw += a*d
static inline float tm_dot_axpy(int32_t n, const float *restrict d, const float *restrict w, float *restrict dw, float a) {
    int32_t i = 0;
    float tail = 0.0f;
#if TM_SIMD
    v128_t acc = wasm_f32x4_splat(0.0f), va = wasm_f32x4_splat(a);
    for (; i + 4 <= n; i += 4) {
        v128_t vd = wasm_v128_load(d + i);
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(vd, wasm_v128_load(w + i)));
        wasm_v128_store(dw + i, wasm_f32x4_add(wasm_v128_load(dw + i), wasm_f32x4_mul(va, vd)));
    }
    float l0 = wasm_f32x4_extract_lane(acc, 0), l1 = wasm_f32x4_extract_lane(acc, 1);
    float l2 = wasm_f32x4_extract_lane(acc, 2), l3 = wasm_f32x4_extract_lane(acc, 3);
#else
    float l0 = 0.0f, l1 = 0.0f, l2 = 0.0f, l3 = 0.0f;
    for (; i + 4 <= n; i += 4) {
        l0 += d[i] * w[i]; l1 += d[i + 1] * w[i + 1];
        l2 += d[i + 2] * w[i + 2]; l3 += d[i + 3] * w[i + 3];
        dw[i] += a * d[i]; dw[i + 1] += a * d[i + 1];
        dw[i + 2] += a * d[i + 2]; dw[i + 3] += a * d[i + 3];
    }
#endif
    for (; i < n; i++) { tail += d[i] * w[i]; dw[i] += a * d[i]; }
    return ((l0 + l1) + (l2 + l3)) + tail;
}

#if TM_SIMD
// R rows (R = 4 or 2, a constant once inlined) of tm_dot_axpy_rows in one pass over d.
static inline __attribute__((always_inline)) void tm_dot_axpy_block(int32_t n, const int R, const float *restrict d,
                                                                   const float *restrict W, float *restrict dW,
                                                                   const float *restrict a, float *restrict out) {
    v128_t c[4], va[4];
    for (int r = 0; r < R; r++) { c[r] = wasm_f32x4_splat(0.0f); va[r] = wasm_f32x4_splat(a[r]); }
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v128_t vd = wasm_v128_load(d + i);
        for (int r = 0; r < R; r++) {
            const float *w = W + (size_t)r * n;
            float *g = dW + (size_t)r * n;
            c[r] = wasm_f32x4_add(c[r], wasm_f32x4_mul(vd, wasm_v128_load(w + i)));
            wasm_v128_store(g + i, wasm_f32x4_add(wasm_v128_load(g + i), wasm_f32x4_mul(va[r], vd)));
        }
    }
    for (int r = 0; r < R; r++) {
        const float *w = W + (size_t)r * n;
        float *g = dW + (size_t)r * n, tail = 0.0f;
        for (int32_t t = i; t < n; t++) { tail += d[t] * w[t]; g[t] += a[r] * d[t]; }
        float l0 = wasm_f32x4_extract_lane(c[r], 0), l1 = wasm_f32x4_extract_lane(c[r], 1);
        float l2 = wasm_f32x4_extract_lane(c[r], 2), l3 = wasm_f32x4_extract_lane(c[r], 3);
        out[r] = ((l0 + l1) + (l2 + l3)) + tail;
    }
}
#endif

// tm_dot_axpy over J rows: d (n,), W (J,n), dW (J,n), a (J,) -> out_j = d.W_j, dW_j += a_j d,
// each row with tm_dot_axpy's bits. Four rows (then two) share a pass over d, so their add
// chains run side by side instead of one row's chain setting the pace.
static inline void tm_dot_axpy_rows(int32_t n, int32_t J, const float *restrict d, const float *restrict W,
                                    float *restrict dW, const float *restrict a, float *restrict out) {
    int32_t j = 0;
#if TM_SIMD
    for (; j + 4 <= J; j += 4) tm_dot_axpy_block(n, 4, d, W + (size_t)j * n, dW + (size_t)j * n, a + j, out + j);
    if (j + 2 <= J) {
        tm_dot_axpy_block(n, 2, d, W + (size_t)j * n, dW + (size_t)j * n, a + j, out + j);
        j += 2;
    }
#endif
    for (; j < J; j++) out[j] = tm_dot_axpy(n, d, W + (size_t)j * n, dW + (size_t)j * n, a[j]);
}

// The encoder over the present features: x (n,) sparse at nz (count,), W (n,m) -> h (m,)
// = sum_t x_nz[t] W[nz[t],:] summed from +0 in t order; narrow m (the MoE experts) without a
// call per row. The first row is 0 + x W (not x W: a -0 product must give +0), so h needs no
// zeroing pass (a memset call per sample for m > 2).
static inline void tm_encode(int32_t m, int32_t count, const int32_t *restrict nz, const float *restrict x,
                             const float *restrict W, float *restrict h) {
    if (m == 1) {
        float a = 0.0f;
        for (int32_t t = 0; t < count; t++) a += x[nz[t]] * W[nz[t]];
        h[0] = a;
    } else if (m == 2) {
        float a0 = 0.0f, a1 = 0.0f;
        for (int32_t t = 0; t < count; t++) {
            float xt = x[nz[t]];
            const float *w = W + (size_t)nz[t] * 2;
            a0 += xt * w[0];
            a1 += xt * w[1];
        }
        h[0] = a0; h[1] = a1;
    } else if (count == 0) {
        for (int32_t j = 0; j < m; j++) h[j] = 0.0f;
    } else {
        const float x0 = x[nz[0]], *w0 = W + (size_t)nz[0] * m;
        int32_t j = 0;
#if TM_SIMD
        const v128_t zero = wasm_f32x4_splat(0.0f), vx0 = wasm_f32x4_splat(x0);
        for (; j + 4 <= m; j += 4) wasm_v128_store(h + j, wasm_f32x4_add(zero, wasm_f32x4_mul(vx0, wasm_v128_load(w0 + j))));
#endif
        for (; j < m; j++) h[j] = 0.0f + x0 * w0[j];
        for (int32_t t = 1; t < count; t++) tm_axpy(m, x[nz[t]], W + (size_t)nz[t] * m, h);
    }
}

// Its weight gradient on the present rows: dh (m,) -> gW[nz[t],:] += x_nz[t] dh
static inline void tm_encode_grad(int32_t m, int32_t count, const int32_t *restrict nz, const float *restrict x,
                                  const float *restrict dh, float *restrict gW) {
    if (m == 1) {
        for (int32_t t = 0; t < count; t++) gW[nz[t]] += x[nz[t]] * dh[0];
    } else if (m == 2) {
        for (int32_t t = 0; t < count; t++) {
            float xt = x[nz[t]], *g = gW + (size_t)nz[t] * 2;
            g[0] += xt * dh[0];
            g[1] += xt * dh[1];
        }
    } else {
        for (int32_t t = 0; t < count; t++) tm_axpy(m, x[nz[t]], dh, gW + (size_t)nz[t] * m);
    }
}

// The backward pass of a narrow expert (m = 1 or 2) at outputs i .. i+3 (_v) or output i (_s),
// shared by the two kernels below: gb += d, gWT_j += h_j d, acc_j += d WT_j (w_j: WT_j's vector).
#if TM_SIMD
static inline __attribute__((always_inline)) void narrow_grad_v(const int32_t m, int32_t i, v128_t d, v128_t w0,
                                                                v128_t w1, v128_t vh0, v128_t vh1, float *restrict gb,
                                                                float *restrict gWT, float *restrict gWT1, v128_t *acc0,
                                                                v128_t *acc1) {
    wasm_v128_store(gb + i, wasm_f32x4_add(wasm_v128_load(gb + i), d));
    *acc0 = wasm_f32x4_add(*acc0, wasm_f32x4_mul(d, w0));
    wasm_v128_store(gWT + i, wasm_f32x4_add(wasm_v128_load(gWT + i), wasm_f32x4_mul(vh0, d)));
    if (m == 2) {
        *acc1 = wasm_f32x4_add(*acc1, wasm_f32x4_mul(d, w1));
        wasm_v128_store(gWT1 + i, wasm_f32x4_add(wasm_v128_load(gWT1 + i), wasm_f32x4_mul(vh1, d)));
    }
}
#endif
static inline __attribute__((always_inline)) void narrow_grad_s(const int32_t m, int32_t i, float d,
                                                                const float *restrict WT, const float *restrict WT1,
                                                                float h0, float h1, float *restrict gb,
                                                                float *restrict gWT, float *restrict gWT1, float *acc0,
                                                                float *acc1) {
    gb[i] += d;
    *acc0 += d * WT[i];
    gWT[i] += h0 * d;
    if (m == 2) {
        *acc1 += d * WT1[i];
        gWT1[i] += h1 * d;
    }
}

// k = 1, m = 1 or 2: a sample's whole pass through its expert in one pass over n, with the
// bits of tm_decode, tm_relu_sq_error_grad, tm_axpy(gb) and tm_dot_axpy_rows (4 passes and
// pre and d through memory for fig2's narrow experts). WT (m,n), h (m,), b (n,), x (n,),
// imp (n,) -> gb (n,) += d, gWT (m,n) += h d^T, dh (m,) = WT d, where pre = b + WT^T h and
// d = pre > 0 ? a scale2 imp (relu(pre) - x) : 0; returns sum imp (relu(pre) - x)^2.
static inline __attribute__((always_inline)) float tm_narrow_expert_step(
    int32_t n, const int32_t m, const float *restrict WT, const float *restrict h, const float *restrict b,
    const float *restrict x, const float *restrict imp, float scale2, float a, float *restrict gb, float *restrict gWT,
    float *restrict dh) {
    const float *WT1 = WT + (m == 2 ? n : 0);
    float *gWT1 = gWT + (m == 2 ? n : 0);
    const float h0 = h[0], h1 = m == 2 ? h[1] : 0.0f;
    int32_t i = 0;
    float tail0 = 0.0f, tail1 = 0.0f, tail_loss = 0.0f;
#if TM_SIMD
    const v128_t zero = wasm_f32x4_splat(0.0f), vs = wasm_f32x4_splat(scale2), va = wasm_f32x4_splat(a);
    const v128_t vh0 = wasm_f32x4_splat(h0), vh1 = wasm_f32x4_splat(h1);
    v128_t acc0 = zero, acc1 = zero, acc_loss = zero;
    for (; i + 4 <= n; i += 4) {
        v128_t w0 = wasm_v128_load(WT + i), w1 = zero;
        v128_t pre = wasm_f32x4_add(wasm_v128_load(b + i), wasm_f32x4_mul(vh0, w0));
        if (m == 2) {
            w1 = wasm_v128_load(WT1 + i);
            pre = wasm_f32x4_add(pre, wasm_f32x4_mul(vh1, w1));
        }
        v128_t r = wasm_f32x4_sub(wasm_f32x4_pmax(pre, zero), wasm_v128_load(x + i));
        v128_t ir = wasm_f32x4_mul(wasm_v128_load(imp + i), r);
        acc_loss = wasm_f32x4_add(acc_loss, wasm_f32x4_mul(ir, r));
        v128_t d = wasm_v128_and(wasm_f32x4_gt(pre, zero), wasm_f32x4_mul(va, wasm_f32x4_mul(vs, ir)));
        narrow_grad_v(m, i, d, w0, w1, vh0, vh1, gb, gWT, gWT1, &acc0, &acc1);
    }
    float a0[4], a1[4], al[4];
    wasm_v128_store(a0, acc0); wasm_v128_store(a1, acc1); wasm_v128_store(al, acc_loss);
#else
    float a0[4] = {0.0f, 0.0f, 0.0f, 0.0f}, a1[4] = {0.0f, 0.0f, 0.0f, 0.0f}, al[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (; i + 4 <= n; i += 4)
        for (int32_t j = 0; j < 4; j++) {
            float p = b[i + j];
            p += h0 * WT[i + j];
            if (m == 2) p += h1 * WT1[i + j];
            float r = (p > 0.0f ? p : 0.0f) - x[i + j], ir = imp[i + j] * r;
            al[j] += ir * r;
            float d = p > 0.0f ? a * (scale2 * ir) : 0.0f;
            narrow_grad_s(m, i + j, d, WT, WT1, h0, h1, gb, gWT, gWT1, &a0[j], &a1[j]);
        }
#endif
    for (; i < n; i++) {
        float p = b[i];
        p += h0 * WT[i];
        if (m == 2) p += h1 * WT1[i];
        float r = (p > 0.0f ? p : 0.0f) - x[i], ir = imp[i] * r;
        tail_loss += ir * r;
        float d = p > 0.0f ? a * (scale2 * ir) : 0.0f;
        narrow_grad_s(m, i, d, WT, WT1, h0, h1, gb, gWT, gWT1, &tail0, &tail1);
    }
    dh[0] = ((a0[0] + a0[1]) + (a0[2] + a0[3])) + tail0;
    if (m == 2) dh[1] = ((a1[0] + a1[1]) + (a1[2] + a1[3])) + tail1;
    return ((al[0] + al[1]) + (al[2] + al[3])) + tail_loss;
}

// A routed expert's backward pass for m = 1 or 2: the bits of tm_relu_grad, tm_axpy(gb),
// m tm_dot_axpy and tm_dot in one pass over n instead of 3 + m.
// pre (n,), dout (n,), y (n,) = relu(pre), w = the expert's weight, WT (m,n) its decoder,
// h (m,) its hidden units -> gb (n,) += d, gWT (m,n) += h d^T, dh (m,) = WT d; returns
// dout.y; d = pre > 0 ? w dout : 0.
static inline __attribute__((always_inline)) float tm_narrow_expert_grad(
    int32_t n, const int32_t m, const float *restrict pre, const float *restrict dout, const float *restrict y, float w,
    const float *restrict WT, const float *restrict h, float *restrict gb, float *restrict gWT, float *restrict dh) {
    const float *WT1 = WT + (m == 2 ? n : 0);
    float *gWT1 = gWT + (m == 2 ? n : 0);
    const float h0 = h[0], h1 = m == 2 ? h[1] : 0.0f;
    int32_t i = 0;
    float tail0 = 0.0f, tail1 = 0.0f, tail_g = 0.0f;
#if TM_SIMD
    v128_t zero = wasm_f32x4_splat(0.0f), vw = wasm_f32x4_splat(w), vh0 = wasm_f32x4_splat(h0), vh1 = wasm_f32x4_splat(h1);
    v128_t acc0 = zero, acc1 = zero, acc_g = zero;
    for (; i + 4 <= n; i += 4) {
        v128_t g = wasm_v128_load(dout + i);
        v128_t d = wasm_v128_and(wasm_f32x4_gt(wasm_v128_load(pre + i), zero), wasm_f32x4_mul(vw, g));
        narrow_grad_v(m, i, d, wasm_v128_load(WT + i), m == 2 ? wasm_v128_load(WT1 + i) : zero, vh0, vh1, gb, gWT, gWT1,
                      &acc0, &acc1);
        acc_g = wasm_f32x4_add(acc_g, wasm_f32x4_mul(g, wasm_v128_load(y + i)));
    }
    float a0[4], a1[4], ag[4];
    wasm_v128_store(a0, acc0); wasm_v128_store(a1, acc1); wasm_v128_store(ag, acc_g);
#else
    float a0[4] = {0.0f, 0.0f, 0.0f, 0.0f}, a1[4] = {0.0f, 0.0f, 0.0f, 0.0f}, ag[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (; i + 4 <= n; i += 4)
        for (int32_t j = 0; j < 4; j++) {
            float g = dout[i + j], d = pre[i + j] > 0.0f ? w * g : 0.0f;
            narrow_grad_s(m, i + j, d, WT, WT1, h0, h1, gb, gWT, gWT1, &a0[j], &a1[j]);
            ag[j] += g * y[i + j];
        }
#endif
    for (; i < n; i++) {
        float g = dout[i], d = pre[i] > 0.0f ? w * g : 0.0f;
        narrow_grad_s(m, i, d, WT, WT1, h0, h1, gb, gWT, gWT1, &tail0, &tail1);
        tail_g += g * y[i];
    }
    dh[0] = ((a0[0] + a0[1]) + (a0[2] + a0[3])) + tail0;
    if (m == 2) dh[1] = ((a1[0] + a1[1]) + (a1[2] + a1[3])) + tail1;
    return ((ag[0] + ag[1]) + (ag[2] + ag[3])) + tail_g;
}

// The largest of scores (E,), E >= 1, without NaN: as a vector reduction, so it may differ
// from a scalar running max only in the sign of a zero maximum (the softmax's s - max
// gives the same bits for either).
static inline float tm_max(int32_t E, const float *restrict scores) {
    int32_t e = 0;
    float top = scores[0];
#if TM_SIMD
    if (E >= 4) {
        v128_t v = wasm_v128_load(scores);
        for (e = 4; e + 4 <= E; e += 4) v = wasm_f32x4_pmax(v, wasm_v128_load(scores + e));
        float lanes[4];
        wasm_v128_store(lanes, v);
        top = lanes[0];
        for (int l = 1; l < 4; l++) top = lanes[l] > top ? lanes[l] : top;
    }
#endif
    for (; e < E; e++) top = scores[e] > top ? scores[e] : top;
    return top;
}

#if TM_SIMD
// tm_top_k for V = (E+3)/4 vectors, V a constant once inlined, so the scores stay in registers.
// A pass's dependent chain is the max (a tree over the vectors, then across lanes), a compare
// and a select: when one expert alone equals the max, the pass removes every lane equal to it,
// whatever its index; the index (bits, count zeros) is computed beside the chain, not in it.
// A tie removes only its first expert, by index.
static inline __attribute__((always_inline)) int top_k_v(const int32_t V, int32_t E, int32_t k,
                                                          const float *restrict scores, int32_t *restrict chosen) {
    v128_t avail[8], eq[8], m[8];
    const v128_t minus_inf = wasm_f32x4_splat(-INFINITY), lane_index = wasm_i32x4_make(0, 1, 2, 3);
    for (int32_t t = 0; t < V; t++) avail[t] = wasm_v128_load(scores + 4 * t);
    // the padding is no expert
    avail[V - 1] = wasm_v128_bitselect(avail[V - 1], minus_inf, wasm_i32x4_lt(lane_index, wasm_i32x4_splat(E - 4 * (V - 1))));
    for (int32_t c = 0; c < k; c++) {
        for (int32_t t = 0; t < V; t++) m[t] = avail[t];
        for (int32_t w = 1; w < V; w *= 2)
            for (int32_t t = 0; t + w < V; t += 2 * w) m[t] = wasm_f32x4_pmax(m[t], m[t + w]);
        v128_t top = wasm_f32x4_pmax(m[0], wasm_i32x4_shuffle(m[0], m[0], 2, 3, 0, 1));
        top = wasm_f32x4_pmax(top, wasm_i32x4_shuffle(top, top, 1, 0, 3, 2));
        if (wasm_f32x4_extract_lane(top, 0) == -INFINITY) return 0;
        uint32_t equal = 0;  // bit e: expert e equals the max (no branch on where it is: that is data)
        for (int32_t t = 0; t < V; t++) {
            eq[t] = wasm_f32x4_eq(avail[t], top);
            equal |= (uint32_t)wasm_i32x4_bitmask(eq[t]) << (4 * t);
        }
        const int32_t e = __builtin_ctz(equal);
        chosen[c] = e;
        if (equal & (equal - 1)) {  // a tie: only the first goes
            const v128_t first = wasm_i32x4_splat(e);
            for (int32_t t = 0; t < V; t++)
                eq[t] = wasm_i32x4_eq(wasm_i32x4_add(lane_index, wasm_i32x4_splat(4 * t)), first);
        }
        for (int32_t t = 0; t < V; t++) avail[t] = wasm_v128_bitselect(minus_inf, avail[t], eq[t]);
    }
    return 1;
}
#endif

// chosen (k,) = the k best of scores (Ep,) in the order (score down, index up), as k
// selection passes give them; only scores[0..E) count (Ep: E rounded up to 4), none NaN,
// E <= 32. Each pass is a vector max and the first expert equal to it, which is then set
// to -inf: about E/2 vector operations a pass where ranking every expert took E^2/4.
// Returns 0, chosen unfinished, when a pass finds only -inf left (ties the -inf set to
// taken experts could win): the caller's scalar passes decide then.
static inline int tm_top_k(int32_t E, int32_t k, const float *restrict scores, int32_t *restrict chosen) {
#if TM_SIMD
    switch ((E + 3) / 4) {
    case 1: return top_k_v(1, E, k, scores, chosen);
    case 2: return top_k_v(2, E, k, scores, chosen);
    case 3: return top_k_v(3, E, k, scores, chosen);
    case 4: return top_k_v(4, E, k, scores, chosen);
    case 5: return top_k_v(5, E, k, scores, chosen);
    case 6: return top_k_v(6, E, k, scores, chosen);
    case 7: return top_k_v(7, E, k, scores, chosen);
    default: return top_k_v(8, E, k, scores, chosen);
    }
#else
    (void)E; (void)k; (void)scores; (void)chosen;
    return 0;  // the scalar passes cost less than the vector work done one lane at a time
#endif
}

// The data sampler's presence tests: draws (count,), count a multiple of 64 -> bits (count/64,)
// bit j set where (draws[j] >> 8) < threshold (threshold <= 2^24: signed compares suffice).
static inline void tm_below_bits(int32_t count, const uint32_t *restrict draws, uint32_t threshold,
                                 uint64_t *restrict bits) {
    for (int32_t w = 0; w < count / 64; w++) {
        const uint32_t *d = draws + (size_t)w * 64;
        uint64_t word = 0;
#if TM_SIMD
        v128_t vt = wasm_i32x4_splat((int32_t)threshold);
        for (int32_t g = 0; g < 16; g++)
            word |= (uint64_t)wasm_i32x4_bitmask(wasm_i32x4_lt(wasm_u32x4_shr(wasm_v128_load(d + 4 * g), 8), vt)) << (4 * g);
#else
        for (int32_t j = 0; j < 64; j++) word |= (uint64_t)((d[j] >> 8) < threshold) << j;
#endif
        bits[w] = word;
    }
}

// One xoshiro128+ step of the 4 generators of r (rng.h): out (4,) their outputs.
#if TM_SIMD
static inline v128_t tm_rng4_step_v(v128_t *s0, v128_t *s1, v128_t *s2, v128_t *s3) {
    v128_t out = wasm_i32x4_add(*s0, *s3), t = wasm_i32x4_shl(*s1, 9);
    *s2 = wasm_v128_xor(*s2, *s0); *s3 = wasm_v128_xor(*s3, *s1);
    *s1 = wasm_v128_xor(*s1, *s2); *s0 = wasm_v128_xor(*s0, *s3);
    *s2 = wasm_v128_xor(*s2, t);
    *s3 = wasm_v128_or(wasm_i32x4_shl(*s3, 11), wasm_u32x4_shr(*s3, 21));
    return out;
}
#endif

// draws (4*steps,) = the next 4*steps draws of r's stream; r advances by `steps`.
static inline void tm_rng4_fill(tm_rng4 *restrict r, uint32_t *restrict draws, int32_t steps) {
#if TM_SIMD
    v128_t s0 = wasm_v128_load(r->s[0]), s1 = wasm_v128_load(r->s[1]), s2 = wasm_v128_load(r->s[2]),
           s3 = wasm_v128_load(r->s[3]);
    for (int32_t j = 0; j < steps; j++) wasm_v128_store(draws + 4 * (size_t)j, tm_rng4_step_v(&s0, &s1, &s2, &s3));
    wasm_v128_store(r->s[0], s0); wasm_v128_store(r->s[1], s1);
    wasm_v128_store(r->s[2], s2); wasm_v128_store(r->s[3], s3);
#else
    for (int32_t j = 0; j < steps; j++) {
        for (int l = 0; l < 4; l++) {
            uint32_t *s0 = &r->s[0][l], *s1 = &r->s[1][l], *s2 = &r->s[2][l], *s3 = &r->s[3][l];
            uint32_t t = *s1 << 9;
            draws[4 * (size_t)j + l] = *s0 + *s3;
            *s2 ^= *s0; *s3 ^= *s1; *s1 ^= *s2; *s0 ^= *s3; *s2 ^= t;
            *s3 = (*s3 << 11) | (*s3 >> 21);
        }
    }
#endif
}

// The xoshiro data stream's features (rng.h): x (count rounded up to 4,) = feature t's value
// where present, else 0 (spare lanes of a last part-block too); present (count/4 rounded up,)
// (or NULL): bit l set when feature l of the block is present. threshold as
// tm_presence_threshold's (<= 2^24: signed compares suffice).
static inline void tm_rng4_features(tm_rng4 *restrict r, uint32_t threshold, int32_t count, float *restrict x,
                                    uint8_t *restrict present) {
    const int32_t blocks = (count + 3) / 4;
#if TM_SIMD
    v128_t s0 = wasm_v128_load(r->s[0]), s1 = wasm_v128_load(r->s[1]), s2 = wasm_v128_load(r->s[2]),
           s3 = wasm_v128_load(r->s[3]);
    const v128_t vt = wasm_i32x4_splat((int32_t)threshold), unit = wasm_f32x4_splat(1.0f / 16777216.0f);
    for (int32_t j = 0; j < blocks; j++) {
        v128_t test = tm_rng4_step_v(&s0, &s1, &s2, &s3), value = tm_rng4_step_v(&s0, &s1, &s2, &s3);
        v128_t on = wasm_i32x4_lt(wasm_u32x4_shr(test, 8), vt);
        // tm_uniform_of: the top 24 bits, converted exactly, times 2^-24
        v128_t u = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_u32x4_shr(value, 8)), unit);
        wasm_v128_store(x + 4 * (size_t)j, wasm_v128_and(u, on));
        if (present) present[j] = (uint8_t)wasm_i32x4_bitmask(on);
    }
    for (int32_t t = count; t < 4 * blocks; t++) x[t] = 0.0f;  // a last part-block's spare lanes are no features
    if (present && count < 4 * blocks) present[blocks - 1] &= (uint8_t)((1u << (count & 3)) - 1);
    wasm_v128_store(r->s[0], s0); wasm_v128_store(r->s[1], s1);
    wasm_v128_store(r->s[2], s2); wasm_v128_store(r->s[3], s3);
#else
    for (int32_t j = 0; j < blocks; j++) {
        uint32_t draws[8];
        tm_rng4_fill(r, draws, 2);
        unsigned bits = 0;
        for (int32_t l = 0; l < 4; l++) {
            unsigned on = (draws[l] >> 8) < threshold && 4 * j + l < count;
            x[4 * (size_t)j + l] = on ? tm_uniform_of(draws[4 + l]) : 0.0f;
            bits |= on << l;
        }
        if (present) present[j] = (uint8_t)bits;
    }
#endif
}

// out (count, 4): out[4t + l] = rows[l][t], the lane trainer's layout (lane l: model l).
static inline void tm_interleave4(const float *const rows[4], int32_t count, float *restrict out) {
    int32_t t = 0;
#if TM_SIMD
    for (; t + 4 <= count; t += 4) {  // a 4x4 transpose
        v128_t a = wasm_v128_load(rows[0] + t), b = wasm_v128_load(rows[1] + t), c = wasm_v128_load(rows[2] + t),
               d = wasm_v128_load(rows[3] + t);
        v128_t ab_lo = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), ab_hi = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
        v128_t cd_lo = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), cd_hi = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
        wasm_v128_store(out + 4 * (size_t)t, wasm_i32x4_shuffle(ab_lo, cd_lo, 0, 1, 4, 5));
        wasm_v128_store(out + 4 * (size_t)t + 4, wasm_i32x4_shuffle(ab_lo, cd_lo, 2, 3, 6, 7));
        wasm_v128_store(out + 4 * (size_t)t + 8, wasm_i32x4_shuffle(ab_hi, cd_hi, 0, 1, 4, 5));
        wasm_v128_store(out + 4 * (size_t)t + 12, wasm_i32x4_shuffle(ab_hi, cd_hi, 2, 3, 6, 7));
    }
#endif
    for (; t < count; t++)
        for (int l = 0; l < 4; l++) out[4 * (size_t)t + l] = rows[l][t];
}

// The decoder, 16 outputs at a time held in registers: WT (m,n), h (m,), b (n,) -> pre (n,)
// = b + sum_j h_j WT_j, added in j order (the bits of m axpy passes, without m round trips
// of pre through memory); y (n,) = max(pre, 0) too unless y is NULL. With rows (m,) (a
// constant NULL otherwise, folded away once inlined), term j is h[rows[j]] WT[rows[j],:]:
// only the rows of the present features (the Gram path).
static inline __attribute__((always_inline)) void decode_rows(int32_t n, int32_t m, const int32_t *restrict rows,
                                                               const float *restrict WT, const float *restrict h,
                                                               const float *restrict b, float *restrict pre,
                                                               float *restrict y) {
#define TM_ROW(j) (rows ? rows[j] : (j))
    int32_t i = 0;
#if TM_SIMD
    for (; i + 16 <= n; i += 16) {
        v128_t a0 = wasm_v128_load(b + i), a1 = wasm_v128_load(b + i + 4);
        v128_t a2 = wasm_v128_load(b + i + 8), a3 = wasm_v128_load(b + i + 12);
        for (int32_t j = 0; j < m; j++) {
            const int32_t r = TM_ROW(j);
            const float *w = WT + (size_t)r * n + i;
            v128_t hj = wasm_f32x4_splat(h[r]);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(hj, wasm_v128_load(w)));
            a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(hj, wasm_v128_load(w + 4)));
            a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(hj, wasm_v128_load(w + 8)));
            a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(hj, wasm_v128_load(w + 12)));
        }
        wasm_v128_store(pre + i, a0); wasm_v128_store(pre + i + 4, a1);
        wasm_v128_store(pre + i + 8, a2); wasm_v128_store(pre + i + 12, a3);
        if (y) {
            v128_t zero = wasm_f32x4_splat(0.0f);
            wasm_v128_store(y + i, wasm_f32x4_pmax(a0, zero)); wasm_v128_store(y + i + 4, wasm_f32x4_pmax(a1, zero));
            wasm_v128_store(y + i + 8, wasm_f32x4_pmax(a2, zero)); wasm_v128_store(y + i + 12, wasm_f32x4_pmax(a3, zero));
        }
    }
    for (; i + 4 <= n; i += 4) {
        v128_t a0 = wasm_v128_load(b + i);
        for (int32_t j = 0; j < m; j++) {
            const int32_t r = TM_ROW(j);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_f32x4_splat(h[r]), wasm_v128_load(WT + (size_t)r * n + i)));
        }
        wasm_v128_store(pre + i, a0);
        if (y) wasm_v128_store(y + i, wasm_f32x4_pmax(a0, wasm_f32x4_splat(0.0f)));
    }
    for (; i < n; i++) {
        float a = b[i];
        for (int32_t j = 0; j < m; j++) a += h[TM_ROW(j)] * WT[(size_t)TM_ROW(j) * n + i];
        pre[i] = a;
        if (y) y[i] = a > 0.0f ? a : 0.0f;
    }
#else
    // the same sums as row passes along n, which compilers vectorise
    memcpy(pre, b, (size_t)n * sizeof *pre);
    for (int32_t j = 0; j < m; j++) {
        const int32_t r = TM_ROW(j);
        for (i = 0; i < n; i++) pre[i] += h[r] * WT[(size_t)r * n + i];
    }
    if (y)
        for (i = 0; i < n; i++) y[i] = pre[i] > 0.0f ? pre[i] : 0.0f;
#endif
#undef TM_ROW
}

static inline void tm_decode(int32_t n, int32_t m, const float *restrict WT, const float *restrict h,
                             const float *restrict b, float *restrict pre, float *restrict y) {
    decode_rows(n, m, NULL, WT, h, b, pre, y);
}

// The Gram path's decoder: G (n,n) = W W^T, x (n,) sparse at nz (count,), b (n,) -> pre (n,)
// = b + sum_t x_nz[t] G[nz[t],:] (= b + W W^T x in other float order), added in t order.
static inline void tm_gram_decode(int32_t n, int32_t count, const int32_t *restrict nz, const float *restrict G,
                                  const float *restrict x, const float *restrict b, float *restrict pre) {
    decode_rows(n, count, nz, G, x, b, pre, NULL);
}

// k > 1: out = sum_c w_c y_c (as y_0 w_0 then + w_c y_c in c order) and the squared error on
// it in one pass. y (k,n), w (k,), x (n,), imp (n,) -> g (n,) = scale2 imp (out - x); returns
// sum imp (out - x)^2.
static inline float tm_mix_sq_error(int32_t n, int32_t k, const float *restrict y, const float *restrict w,
                                    const float *restrict x, const float *restrict imp, float scale2, float *restrict g) {
    int32_t i = 0;
    float tail = 0.0f;
#if TM_SIMD
    v128_t acc = wasm_f32x4_splat(0.0f), vs = wasm_f32x4_splat(scale2), w0 = wasm_f32x4_splat(w[0]);
    for (; i + 4 <= n; i += 4) {
        v128_t o = wasm_f32x4_mul(wasm_v128_load(y + i), w0);
        for (int32_t c = 1; c < k; c++)
            o = wasm_f32x4_add(o, wasm_f32x4_mul(wasm_f32x4_splat(w[c]), wasm_v128_load(y + (size_t)c * n + i)));
        v128_t r = wasm_f32x4_sub(o, wasm_v128_load(x + i));
        v128_t ir = wasm_f32x4_mul(wasm_v128_load(imp + i), r);
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(ir, r));
        wasm_v128_store(g + i, wasm_f32x4_mul(vs, ir));
    }
    float l0 = wasm_f32x4_extract_lane(acc, 0), l1 = wasm_f32x4_extract_lane(acc, 1);
    float l2 = wasm_f32x4_extract_lane(acc, 2), l3 = wasm_f32x4_extract_lane(acc, 3);
    for (; i < n; i++) {
        float o = y[i] * w[0];
        for (int32_t c = 1; c < k; c++) o += w[c] * y[(size_t)c * n + i];
        float r = o - x[i], ir = imp[i] * r;
        tail += ir * r;
        g[i] = scale2 * ir;
    }
#else
    // the mix as row passes along n into g (which compilers vectorise), then the loss
    for (i = 0; i < n; i++) g[i] = y[i] * w[0];
    for (int32_t c = 1; c < k; c++)
        for (i = 0; i < n; i++) g[i] += w[c] * y[(size_t)c * n + i];
    float l[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (i = 0; i + 4 <= n; i += 4)
        for (int32_t j = 0; j < 4; j++) {
            float r = g[i + j] - x[i + j], ir = imp[i + j] * r;
            l[j] += ir * r;
            g[i + j] = scale2 * ir;
        }
    for (; i < n; i++) {
        float r = g[i] - x[i], ir = imp[i] * r;
        tail += ir * r;
        g[i] = scale2 * ir;
    }
    float l0 = l[0], l1 = l[1], l2 = l[2], l3 = l[3];
#endif
    return ((l0 + l1) + (l2 + l3)) + tail;
}

// d (n,) -> idx (count,) the indices of the non-zero entries, ascending; returns count.
// idx needs room for n + 3 (the SIMD path stores 4 at a time).
static inline int32_t tm_nonzero_index(int32_t n, const float *restrict d, int32_t *restrict idx) {
    int32_t i = 0, count = 0;
#if TM_SIMD
    // For each 4-bit mask: the set lanes' positions, packed to the front.
    static const int32_t pack[16][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {2, 0, 0, 0}, {0, 2, 0, 0},
                                        {1, 2, 0, 0}, {0, 1, 2, 0}, {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0},
                                        {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3}};
    static const int8_t bits[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
    v128_t zero = wasm_f32x4_splat(0.0f);
    for (; i + 4 <= n; i += 4) {
        int mask = (int)wasm_i32x4_bitmask(wasm_f32x4_ne(wasm_v128_load(d + i), zero));
        wasm_v128_store(idx + count, wasm_i32x4_add(wasm_v128_load(pack[mask]), wasm_i32x4_splat(i)));
        count += bits[mask];
    }
#endif
    for (; i < n; i++) {
        idx[count] = i;
        count += d[i] != 0.0f;
    }
    return count;
}

// d (n,) -> idx: the indices of d's non-zero entries sorted by i mod 4 below body = n & ~3
// (class l ascending at idx + l*body/4), then those from body on (at idx + body, ascending);
// counts (5,) how many in each. idx needs room for n.
static inline void tm_nonzero_by_class(int32_t n, const float *restrict d, int32_t *restrict idx, int32_t counts[5]) {
    const int32_t body = n & ~3, q = body / 4;
    int32_t c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0;
    int32_t *i0 = idx, *i1 = i0 + q, *i2 = i1 + q, *i3 = i2 + q, *i4 = idx + body;
    for (int32_t i = 0; i < body; i += 4) {  // no branch: every store lands, the count moves if it counts
#if TM_SIMD
        int mask = (int)wasm_i32x4_bitmask(wasm_f32x4_ne(wasm_v128_load(d + i), wasm_f32x4_splat(0.0f)));
#else
        int mask = (d[i] != 0.0f) | (d[i + 1] != 0.0f) << 1 | (d[i + 2] != 0.0f) << 2 | (d[i + 3] != 0.0f) << 3;
#endif
        i0[c0] = i; c0 += mask & 1;
        i1[c1] = i + 1; c1 += (mask >> 1) & 1;
        i2[c2] = i + 2; c2 += (mask >> 2) & 1;
        i3[c3] = i + 3; c3 += (mask >> 3) & 1;
    }
    for (int32_t i = body; i < n; i++) { i4[c4] = i; c4 += d[i] != 0.0f; }
    counts[0] = c0; counts[1] = c1; counts[2] = c2; counts[3] = c3; counts[4] = c4;
}

// The decoder's backward pass over some outputs: rows idx (count,) of W (n,m) and gW (n,m),
// d (n,), h (m,) -> p (m,) = sum_t d_i W[i,:] (i = idx[t]) summed from +0 in t order, and
// gW[i,:] += d_i h. With SIMD, 16 entries of p (and of h) stay in registers over the list.
static inline void tm_rows_grad(int32_t m, int32_t count, const int32_t *restrict idx, const float *restrict d,
                                const float *restrict W, const float *restrict h, float *restrict gW, float *restrict p) {
    int32_t f = 0;
#if TM_SIMD
    for (; f + 4 <= m; f += 16) {
        const int32_t v = m - f >= 16 ? 4 : (m - f) / 4;  // vectors in this block
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        v128_t h0 = wasm_v128_load(h + f), h1 = h0, h2 = h0, h3 = h0;
        if (v > 1) h1 = wasm_v128_load(h + f + 4);
        if (v > 2) h2 = wasm_v128_load(h + f + 8);
        if (v > 3) h3 = wasm_v128_load(h + f + 12);
        for (int32_t t = 0; t < count; t++) {
            const int32_t i = idx[t];
            const float *w = W + (size_t)i * m + f;
            float *g = gW + (size_t)i * m + f;
            v128_t di = wasm_f32x4_splat(d[i]);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(di, wasm_v128_load(w)));
            wasm_v128_store(g, wasm_f32x4_add(wasm_v128_load(g), wasm_f32x4_mul(di, h0)));
            if (v > 1) {
                a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(di, wasm_v128_load(w + 4)));
                wasm_v128_store(g + 4, wasm_f32x4_add(wasm_v128_load(g + 4), wasm_f32x4_mul(di, h1)));
            }
            if (v > 2) {
                a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(di, wasm_v128_load(w + 8)));
                wasm_v128_store(g + 8, wasm_f32x4_add(wasm_v128_load(g + 8), wasm_f32x4_mul(di, h2)));
            }
            if (v > 3) {
                a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(di, wasm_v128_load(w + 12)));
                wasm_v128_store(g + 12, wasm_f32x4_add(wasm_v128_load(g + 12), wasm_f32x4_mul(di, h3)));
            }
        }
        wasm_v128_store(p + f, a0);
        if (v > 1) wasm_v128_store(p + f + 4, a1);
        if (v > 2) wasm_v128_store(p + f + 8, a2);
        if (v > 3) wasm_v128_store(p + f + 12, a3);
        if (v < 4) { f += 4 * v; break; }
    }
#endif
    for (int32_t j = f; j < m; j++) p[j] = 0.0f;
    if (f < m)
        for (int32_t t = 0; t < count; t++) {
            const int32_t i = idx[t];
            const float di = d[i], *w = W + (size_t)i * m;
            float *g = gW + (size_t)i * m;
            for (int32_t j = f; j < m; j++) {
                p[j] += di * w[j];
                g[j] += di * h[j];
            }
        }
}

// pre (n,), g (n,) -> d = pre > 0 ? a*g : 0
static inline void tm_relu_grad(int32_t n, const float *restrict pre, const float *restrict g, float a, float *restrict d) {
    int32_t i = 0;
#if TM_SIMD
    v128_t zero = wasm_f32x4_splat(0.0f), va = wasm_f32x4_splat(a);
    for (; i + 4 <= n; i += 4) {
        v128_t on = wasm_f32x4_gt(wasm_v128_load(pre + i), zero);
        wasm_v128_store(d + i, wasm_v128_and(on, wasm_f32x4_mul(va, wasm_v128_load(g + i))));
    }
#endif
    for (; i < n; i++) d[i] = pre[i] > 0.0f ? a * g[i] : 0.0f;
}

// k = 1: ReLU, squared error and the gradient through the ReLU in one pass, the same
// float operations as three passes (y = max(pre,0); r = y-x, loss and dL/dy; tm_relu_grad)
// in turn, so the same bits, without storing y or dL/dy. pre (n,), x (n,), imp (n,) ->
// d = pre > 0 ? a*scale2*imp*(y-x) : 0 (n,); returns sum imp*(y-x)^2, y = relu(pre)
static inline float tm_relu_sq_error_grad(int32_t n, const float *restrict pre, const float *restrict x,
                                          const float *restrict imp, float scale2, float a, float *restrict d) {
    int32_t i = 0;
    float tail = 0.0f;
#if TM_SIMD
    v128_t acc = wasm_f32x4_splat(0.0f), vs = wasm_f32x4_splat(scale2), va = wasm_f32x4_splat(a), zero = wasm_f32x4_splat(0.0f);
    for (; i + 4 <= n; i += 4) {
        v128_t vp = wasm_v128_load(pre + i);
        v128_t r = wasm_f32x4_sub(wasm_f32x4_pmax(vp, zero), wasm_v128_load(x + i));
        v128_t ir = wasm_f32x4_mul(wasm_v128_load(imp + i), r);
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(ir, r));
        wasm_v128_store(d + i, wasm_v128_and(wasm_f32x4_gt(vp, zero), wasm_f32x4_mul(va, wasm_f32x4_mul(vs, ir))));
    }
    float l0 = wasm_f32x4_extract_lane(acc, 0), l1 = wasm_f32x4_extract_lane(acc, 1);
    float l2 = wasm_f32x4_extract_lane(acc, 2), l3 = wasm_f32x4_extract_lane(acc, 3);
#else
    float l[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (; i + 4 <= n; i += 4)
        for (int32_t j = 0; j < 4; j++) {
            float p = pre[i + j], r = (p > 0.0f ? p : 0.0f) - x[i + j], ir = imp[i + j] * r;
            l[j] += ir * r;
            d[i + j] = p > 0.0f ? a * (scale2 * ir) : 0.0f;
        }
    float l0 = l[0], l1 = l[1], l2 = l[2], l3 = l[3];
#endif
    for (; i < n; i++) {
        float p = pre[i], r = (p > 0.0f ? p : 0.0f) - x[i], ir = imp[i] * r;
        tail += ir * r;
        d[i] = p > 0.0f ? a * (scale2 * ir) : 0.0f;
    }
    return ((l0 + l1) + (l2 + l3)) + tail;
}

// AdamW on a flat arena, PyTorch's operation order:
// p *= 1-lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// p -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps)
static inline void tm_adamw_kernel(int32_t n, float *restrict p, const float *restrict g, float *restrict m,
                                   float *restrict v, float decay, float b1, float b2, float step, float inv_sqrt_bc2,
                                   float eps) {
    int32_t i = 0;
    float c1 = 1.0f - b1, c2 = 1.0f - b2;
#if TM_SIMD
    v128_t vdecay = wasm_f32x4_splat(decay), vb1 = wasm_f32x4_splat(b1), vb2 = wasm_f32x4_splat(b2);
    v128_t vc1 = wasm_f32x4_splat(c1), vc2 = wasm_f32x4_splat(c2), vstep = wasm_f32x4_splat(step);
    v128_t vbc2 = wasm_f32x4_splat(inv_sqrt_bc2), veps = wasm_f32x4_splat(eps);
    for (; i + 4 <= n; i += 4) {
        v128_t vg = wasm_v128_load(g + i);
        v128_t vm = wasm_f32x4_add(wasm_f32x4_mul(vb1, wasm_v128_load(m + i)), wasm_f32x4_mul(vc1, vg));
        v128_t vv = wasm_f32x4_add(wasm_f32x4_mul(vb2, wasm_v128_load(v + i)), wasm_f32x4_mul(vc2, wasm_f32x4_mul(vg, vg)));
        v128_t denom = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sqrt(vv), vbc2), veps);
        v128_t vp = wasm_f32x4_mul(wasm_v128_load(p + i), vdecay);
        vp = wasm_f32x4_sub(vp, wasm_f32x4_mul(vstep, wasm_f32x4_div(vm, denom)));
        wasm_v128_store(m + i, vm);
        wasm_v128_store(v + i, vv);
        wasm_v128_store(p + i, vp);
    }
#endif
    for (; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + c1 * gi;
        float vi = b2 * v[i] + c2 * (gi * gi);
        float denom = sqrtf(vi) * inv_sqrt_bc2 + eps;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - step * (mi / denom);
    }
}

// exp in float (Cephes' expf: Cody-Waite reduction, degree-6 polynomial, about 1 ULP),
// one definition so every build and the lane trainer's vector version (f4_exp) round
// alike (libm's differ: glibc's uses FMA). Results below 2^-124 (x < -86) flush to 0:
// a router gate that small is 0 for every purpose here.
#define TM_EXP_MIN -86.0f
#define TM_EXP_MAX 88.0f
#define TM_EXP_LOG2E 1.44269504088896341f
#define TM_EXP_ROUND 12582912.0f  // 1.5 * 2^23: adding and subtracting it rounds to an integer
#define TM_EXP_LN2_HI 0.693359375f
#define TM_EXP_LN2_LO -2.12194440e-4f
#define TM_EXP_P0 1.9875691500e-4f
#define TM_EXP_P1 1.3981999507e-3f
#define TM_EXP_P2 8.3334519073e-3f
#define TM_EXP_P3 4.1665795894e-2f
#define TM_EXP_P4 1.6666665459e-1f
#define TM_EXP_P5 5.0000001201e-1f

static inline float tm_expf(float x) {
    if (!(x >= TM_EXP_MIN)) return x != x ? x : 0.0f;
    if (x > TM_EXP_MAX) return INFINITY;
    float n = (x * TM_EXP_LOG2E + TM_EXP_ROUND) - TM_EXP_ROUND;
    float r = (x - n * TM_EXP_LN2_HI) - n * TM_EXP_LN2_LO;
    float p = TM_EXP_P0 * r + TM_EXP_P1;
    p = p * r + TM_EXP_P2;
    p = p * r + TM_EXP_P3;
    p = p * r + TM_EXP_P4;
    p = p * r + TM_EXP_P5;
    p = (p * (r * r) + r) + 1.0f;
    uint32_t bits;
    memcpy(&bits, &p, sizeof bits);
    bits += (uint32_t)(int32_t)n << 23;  // times 2^n: p is in [0.7, 1.5], so the result stays normal
    memcpy(&p, &bits, sizeof p);
    return p;
}

// ---- Lane vectors for the lane trainer (lanes.c): tm_f4 holds one float of each of
// 4 models; masks are all-ones/all-zero lanes; tm_d4 is 4 double accumulators.
#if TM_SIMD
typedef v128_t tm_f4;
typedef struct { v128_t lo, hi; } tm_d4;
static inline tm_f4 f4_splat(float a) { return wasm_f32x4_splat(a); }
static inline tm_f4 f4_add(tm_f4 a, tm_f4 b) { return wasm_f32x4_add(a, b); }
static inline tm_f4 f4_sub(tm_f4 a, tm_f4 b) { return wasm_f32x4_sub(a, b); }
static inline tm_f4 f4_mul(tm_f4 a, tm_f4 b) { return wasm_f32x4_mul(a, b); }
static inline tm_f4 f4_div(tm_f4 a, tm_f4 b) { return wasm_f32x4_div(a, b); }
static inline tm_f4 f4_gt(tm_f4 a, tm_f4 b) { return wasm_f32x4_gt(a, b); }
static inline tm_f4 f4_select(tm_f4 mask, tm_f4 a, tm_f4 b) { return wasm_v128_bitselect(a, b, mask); }
static inline tm_f4 f4_and(tm_f4 a, tm_f4 mask) { return wasm_v128_and(a, mask); }
static inline tm_f4 f4_or(tm_f4 a, tm_f4 b) { return wasm_v128_or(a, b); }
static inline tm_f4 i4_splat(int32_t a) { return wasm_i32x4_splat(a); }
static inline tm_f4 i4_eq(tm_f4 a, tm_f4 b) { return wasm_i32x4_eq(a, b); }
static inline tm_f4 i4_gt(tm_f4 a, tm_f4 b) { return wasm_i32x4_gt(a, b); }
static inline tm_f4 i4_sub(tm_f4 a, tm_f4 b) { return wasm_i32x4_sub(a, b); }
static inline tm_d4 d4_zero(void) { return (tm_d4){wasm_f64x2_splat(0.0), wasm_f64x2_splat(0.0)}; }
// acc += (double)a, lane by lane
static inline tm_d4 d4_add_f4(tm_d4 acc, tm_f4 a) {
    v128_t hi = wasm_i32x4_shuffle(a, a, 2, 3, 2, 3);
    return (tm_d4){wasm_f64x2_add(acc.lo, wasm_f64x2_promote_low_f32x4(a)), wasm_f64x2_add(acc.hi, wasm_f64x2_promote_low_f32x4(hi))};
}
static inline double d4_lane(tm_d4 a, int l) {
    return l < 2 ? (l ? wasm_f64x2_extract_lane(a.lo, 1) : wasm_f64x2_extract_lane(a.lo, 0))
                 : (l == 3 ? wasm_f64x2_extract_lane(a.hi, 1) : wasm_f64x2_extract_lane(a.hi, 0));
}
// tm_expf of each lane, for x <= TM_EXP_MAX (the softmax's x - max <= 0)
static inline tm_f4 f4_exp(tm_f4 x) {
    v128_t lo = wasm_f32x4_splat(TM_EXP_MIN), under = wasm_f32x4_lt(x, lo), round = wasm_f32x4_splat(TM_EXP_ROUND);
    x = wasm_f32x4_pmax(x, lo);  // lanes below give 0
    v128_t n = wasm_f32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(TM_EXP_LOG2E)), round), round);
    v128_t r = wasm_f32x4_sub(wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(TM_EXP_LN2_HI))),
                              wasm_f32x4_mul(n, wasm_f32x4_splat(TM_EXP_LN2_LO)));
    v128_t p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_splat(TM_EXP_P0), r), wasm_f32x4_splat(TM_EXP_P1));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(TM_EXP_P2));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(TM_EXP_P3));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(TM_EXP_P4));
    p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(TM_EXP_P5));
    p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), r), wasm_f32x4_splat(1.0f));
    p = wasm_i32x4_add(p, wasm_i32x4_shl(wasm_i32x4_trunc_sat_f32x4(n), 23));
    return wasm_v128_andnot(p, under);
}
// lane l's bits as int (also float masks and int lanes)
static inline float f4_lane(tm_f4 a, int l) {
    float out[4];
    wasm_v128_store(out, a);
    return out[l];
}
static inline int32_t i4_lane(tm_f4 a, int l) {
    int32_t out[4];
    wasm_v128_store(out, a);
    return out[l];
}
#else
typedef union { float f[4]; uint32_t u[4]; int32_t i[4]; } tm_f4;
typedef struct { double d[4]; } tm_d4;
#define TM_F4_MAP(expr) do { for (int l = 0; l < 4; l++) { expr; } } while (0)
static inline tm_f4 f4_splat(float a) { tm_f4 r; TM_F4_MAP(r.f[l] = a); return r; }
static inline tm_f4 f4_add(tm_f4 a, tm_f4 b) { tm_f4 r; TM_F4_MAP(r.f[l] = a.f[l] + b.f[l]); return r; }
static inline tm_f4 f4_sub(tm_f4 a, tm_f4 b) { tm_f4 r; TM_F4_MAP(r.f[l] = a.f[l] - b.f[l]); return r; }
static inline tm_f4 f4_mul(tm_f4 a, tm_f4 b) { tm_f4 r; TM_F4_MAP(r.f[l] = a.f[l] * b.f[l]); return r; }
static inline tm_f4 f4_div(tm_f4 a, tm_f4 b) { tm_f4 r; TM_F4_MAP(r.f[l] = a.f[l] / b.f[l]); return r; }
static inline tm_f4 f4_gt(tm_f4 a, tm_f4 b) { tm_f4 r; TM_F4_MAP(r.u[l] = a.f[l] > b.f[l] ? ~0u : 0u); return r; }
static inline tm_f4 f4_select(tm_f4 mask, tm_f4 a, tm_f4 b) { tm_f4 r; TM_F4_MAP(r.u[l] = (a.u[l] & mask.u[l]) | (b.u[l] & ~mask.u[l])); return r; }
static inline tm_f4 f4_and(tm_f4 a, tm_f4 mask) { tm_f4 r; TM_F4_MAP(r.u[l] = a.u[l] & mask.u[l]); return r; }
static inline tm_f4 f4_or(tm_f4 a, tm_f4 b) { tm_f4 r; TM_F4_MAP(r.u[l] = a.u[l] | b.u[l]); return r; }
static inline tm_f4 i4_splat(int32_t a) { tm_f4 r; TM_F4_MAP(r.i[l] = a); return r; }
static inline tm_f4 i4_eq(tm_f4 a, tm_f4 b) { tm_f4 r; TM_F4_MAP(r.u[l] = a.i[l] == b.i[l] ? ~0u : 0u); return r; }
static inline tm_f4 i4_gt(tm_f4 a, tm_f4 b) { tm_f4 r; TM_F4_MAP(r.u[l] = a.i[l] > b.i[l] ? ~0u : 0u); return r; }
static inline tm_f4 i4_sub(tm_f4 a, tm_f4 b) { tm_f4 r; TM_F4_MAP(r.u[l] = a.u[l] - b.u[l]); return r; }
static inline tm_d4 d4_zero(void) { tm_d4 r; TM_F4_MAP(r.d[l] = 0.0); return r; }
static inline tm_d4 d4_add_f4(tm_d4 acc, tm_f4 a) { TM_F4_MAP(acc.d[l] += (double)a.f[l]); return acc; }
static inline double d4_lane(tm_d4 a, int l) { return a.d[l]; }
static inline tm_f4 f4_exp(tm_f4 x) { tm_f4 r; TM_F4_MAP(r.f[l] = tm_expf(x.f[l])); return r; }
static inline float f4_lane(tm_f4 a, int l) { return a.f[l]; }
static inline int32_t i4_lane(tm_f4 a, int l) { return a.i[l]; }
#undef TM_F4_MAP
#endif
// max(pre, 0) as model.c's scalar tail computes it (pre > 0 ? pre : 0)
static inline tm_f4 f4_relu(tm_f4 pre) { return f4_select(f4_gt(pre, f4_splat(0.0f)), pre, f4_splat(0.0f)); }

// The router's softmax: scores (E,), top = max score -> gates (E,) = exp(s - top) / sum, the
// exps 4 at a time (f4_exp has tm_expf's bits), the sum in expert order as a scalar loop.
// scores is readable up to E rounded up to 4: a last part-vector costs one vector exp.
static inline void tm_softmax(int32_t E, const float *restrict scores, float top, float *restrict gates) {
    int32_t e = 0;
    float total = 0.0f;
#if TM_SIMD
    for (; e + 4 <= E; e += 4)
        wasm_v128_store(gates + e, f4_exp(wasm_f32x4_sub(wasm_v128_load(scores + e), wasm_f32x4_splat(top))));
    if (e < E) {
        float last[4];
        wasm_v128_store(last, f4_exp(wasm_f32x4_sub(wasm_v128_load(scores + e), wasm_f32x4_splat(top))));
        for (int32_t l = 0; e < E; e++, l++) gates[e] = last[l];
    }
#endif
    for (; e < E; e++) gates[e] = tm_expf(scores[e] - top);
    for (e = 0; e < E; e++) total += gates[e];
    for (e = 0; e < E; e++) gates[e] /= total;
}

#endif
