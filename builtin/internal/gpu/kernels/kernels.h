// The built-in trainer's GPU kernels, in CUDA C.
//
// This one source serves two compilers. On a GPU, package cuda compiles it
// at run time with NVRTC (no CUDA headers or nvcc at build time). On a CPU,
// package kernels compiles it as C++ behind emul.h, which runs a launch as
// a loop over its blocks and threads, so the kernels' logic is tested by
// `make test` on machines without a GPU.
//
// The loop emulation is exact only for kernels whose threads do not wait
// for each other, so no kernel here uses shared memory or __syncthreads:
// each thread owns its outputs. Both compilers are told not to fuse a
// multiply and an add (NVRTC --fmad=false, g++ -ffp-contract=off), so the
// gather, scatter and AdamW kernels round as the Go trainer does, operation
// by operation, and reproduce its results bit for bit. exp and log are
// each platform's own and agree within a few ulps.
//
// Every matrix is row-major. Texts' bags are given in CSR form: bag t owns
// ids[off[t]:off[t+1]] with weights w[off[t]:off[t+1]].

#if defined(__CUDACC_RTC__) || defined(__CUDACC__)
#define XB_KERNEL extern "C" __global__ void
#else
#include "emul.h"
#endif

// xb_bag_sum: out[t] = sum_k w[k] * table[ids[k]], the rows added in k order
// (package rows' BagSum). Grid: x over bags, y over column tiles of blockDim.x.
XB_KERNEL xb_bag_sum(const float *table, int d, const int *off, const unsigned *ids,
                     const float *w, int nbags, float *out) {
    int t = blockIdx.x;
    int col = blockIdx.y * blockDim.x + threadIdx.x;
    if (t >= nbags || col >= d) return;
    float s = 0.0f;
    for (int k = off[t]; k < off[t + 1]; k++) {
        s = s + w[k] * table[(long long)ids[k] * d + col];
    }
    out[(long long)t * d + col] = s;
}

// xb_row_grads: the gradient of each touched embedding row, out[r] =
// sum_k w[k] * gh[text[k]] over k in off[r]:off[r+1], in the order the host
// listed them: texts in batch order, as the Go trainer's scatter adds them.
// Grid: x over rows, y over column tiles.
XB_KERNEL xb_row_grads(const float *gh, int d, const int *off, const int *text,
                       const float *w, int nrows, float *out) {
    int r = blockIdx.x;
    int col = blockIdx.y * blockDim.x + threadIdx.x;
    if (r >= nrows || col >= d) return;
    float s = 0.0f;
    for (int k = off[r]; k < off[r + 1]; k++) {
        s = s + w[k] * gh[(long long)text[k] * d + col];
    }
    out[(long long)r * d + col] = s;
}

// One AdamW update of one element, in the Go trainer's order of operations
// (package adam's updateScalar). c holds beta1, 1-beta1, beta2, 1-beta2 and
// epsilon as the Go code rounds them to float32.
#if defined(__CUDACC_RTC__) || defined(__CUDACC__)
__device__
#else
static inline
#endif
void xb_adam_element(float *p, float *m, float *v, float g, float b1, float c1,
                     float b2, float c2, float eps, float lr, float decay) {
    float mj = b1 * *m + c1 * g;
    float vj = b2 * *v + c2 * g * g;
    *m = mj;
    *v = vj;
    *p = *p * decay - lr * mj / (sqrtf(vj) + eps);
}

// xb_adam_rows: lazy AdamW on the rows ids of table p and its moments m, v,
// row ids[r] taking gradient g[r]. Grid: x over rows, y over column tiles.
XB_KERNEL xb_adam_rows(float *p, float *m, float *v, int d, const unsigned *ids,
                       const float *g, int nrows, float b1, float c1, float b2,
                       float c2, float eps, float lr, float decay) {
    int r = blockIdx.x;
    int col = blockIdx.y * blockDim.x + threadIdx.x;
    if (r >= nrows || col >= d) return;
    long long at = (long long)ids[r] * d + col;
    xb_adam_element(&p[at], &m[at], &v[at], g[(long long)r * d + col], b1, c1, b2, c2,
                    eps, lr, decay);
}

// xb_adam: dense AdamW on n elements. Grid: x over tiles of blockDim.x.
XB_KERNEL xb_adam(float *p, float *m, float *v, const float *g, int n, float b1,
                  float c1, float b2, float c2, float eps, float lr, float decay) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    xb_adam_element(&p[i], &m[i], &v[i], g[i], b1, c1, b2, c2, eps, lr, decay);
}

// xb_normalize: u[i] = z[i] / sqrt(|z[i]|^2 + 1e-12) for each of n rows of
// width d, keeping inv[i] = 1 / sqrt(...) for the backward pass. One thread
// a row. Grid: x over tiles of rows.
XB_KERNEL xb_normalize(const float *z, int n, int d, float *u, float *inv) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float *zi = z + (long long)i * d;
    float s = 0.0f;
    for (int k = 0; k < d; k++) s = s + zi[k] * zi[k];
    float r = 1.0f / sqrtf(s + 1e-12f);
    inv[i] = r;
    float *ui = u + (long long)i * d;
    for (int k = 0; k < d; k++) ui[k] = zi[k] * r;
}

// xb_lse: the log-sum-exp of each row and each column of the logits
// S = invT * c (b x b), shifted by the row's (column's) largest logit so
// exp cannot overflow. Threads 0..b-1 take rows, b..2b-1 columns.
XB_KERNEL xb_lse(const float *c, int b, float invT, float *rowlse, float *collse) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= 2 * b) return;
    int row = t < b;
    int i = row ? t : t - b;
    long long step = row ? 1 : b;
    const float *x = row ? c + (long long)i * b : c + i;
    float mx = x[0] * invT;
    for (int j = 1; j < b; j++) mx = fmaxf(mx, x[j * step] * invT);
    float s = 0.0f;
    for (int j = 0; j < b; j++) s = s + expf(x[j * step] * invT - mx);
    float l = mx + logf(s);
    if (row) rowlse[i] = l; else collse[i] = l;
}

// xb_infonce_grad: the symmetric InfoNCE loss's gradient with respect to
// the cosines c (b x b), dc = invT/(2b) * (softmax_row + softmax_col - 2I),
// and each pair's loss (rowlse[i] + collse[i] - 2 S_ii) / 2, the loss being
// their mean. Grid: x over tiles of the b*b elements.
XB_KERNEL xb_infonce_grad(const float *c, int b, float invT, const float *rowlse,
                          const float *collse, float *dc, float *pairloss) {
    int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= b * b) return;
    int i = e / b, j = e % b;
    float s = c[e] * invT;
    float g = expf(s - rowlse[i]) + expf(s - collse[j]);
    if (i == j) {
        g = g - 2.0f;
        pairloss[i] = (rowlse[i] + collse[i] - 2.0f * s) / 2.0f;
    }
    dc[e] = g * (invT / (2.0f * (float)b));
}

// xb_norm_backward: the gradient through u = z * inv for each row,
// dz = (du - u (u . du)) * inv. One thread a row.
XB_KERNEL xb_norm_backward(const float *u, const float *du, const float *inv, int n,
                           int d, float *dz) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float *ui = u + (long long)i * d, *gi = du + (long long)i * d;
    float dot = 0.0f;
    for (int k = 0; k < d; k++) dot = dot + ui[k] * gi[k];
    float *o = dz + (long long)i * d;
    for (int k = 0; k < d; k++) o[k] = (gi[k] - ui[k] * dot) * inv[i];
}

// The residual feed-forward block y = h + relu(h W1) W2 (param hidden):
// xb_relu sets r = max(a, 0); xb_relu_backward da = dr where a > 0, else 0;
// xb_add y += x. n elements each. Grid: x over tiles of blockDim.x.
XB_KERNEL xb_relu(const float *a, float *r, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    r[i] = a[i] > 0.0f ? a[i] : 0.0f;
}

XB_KERNEL xb_relu_backward(const float *a, const float *dr, float *da, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    da[i] = a[i] > 0.0f ? dr[i] : 0.0f;
}

XB_KERNEL xb_add(const float *x, float *y, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    y[i] = y[i] + x[i];
}
