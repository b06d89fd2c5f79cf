// emul.h lets kernels.h compile as C++ on a CPU: a kernel becomes a plain
// function that reads its thread's coordinates from thread-local globals,
// and emul_launch runs a grid by calling it once per block and thread, in
// order. That is exact for kernels whose threads never wait for one
// another (no shared memory, no __syncthreads), which is all kernels.h
// writes. A multiply and an add must not be fused, as NVRTC is told
// (--fmad=false): GCC fuses none in an ISO mode (-std=c++17, not gnu++17),
// and the pragma below says so again for targets with FMA.
#ifndef XB_EMUL_H
#define XB_EMUL_H

#include <math.h>

#pragma GCC optimize("fp-contract=off")

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

static thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

#define XB_KERNEL extern "C" void

// emul_launch runs f over the grid g of blocks b, one call per thread.
template <class F>
static void emul_launch(dim3 g, dim3 b, F f) {
    gridDim = g;
    blockDim = b;
    for (unsigned bz = 0; bz < g.z; bz++)
        for (unsigned by = 0; by < g.y; by++)
            for (unsigned bx = 0; bx < g.x; bx++) {
                blockIdx = dim3{bx, by, bz};
                for (unsigned tz = 0; tz < b.z; tz++)
                    for (unsigned ty = 0; ty < b.y; ty++)
                        for (unsigned tx = 0; tx < b.x; tx++) {
                            threadIdx = dim3{tx, ty, tz};
                            f();
                        }
            }
}

#endif
