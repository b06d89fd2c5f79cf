// The CPU emulation of kernels.h: each kernel is reached by name, with its
// arguments packed as a CUDA launch packs them (one 8-byte slot each, read
// at the width of the parameter's type), so the Go side drives the emulated
// and the real device the same way.
#include <cstdint>
#include <cstring>
#include <utility>

#include "kernels.h"

namespace {

template <class T>
T slot(const uint64_t *a, int i) {
    T v;
    std::memcpy(&v, &a[i], sizeof(T));
    return v;
}

template <class... A, std::size_t... I>
void call(void (*f)(A...), const uint64_t *a, std::index_sequence<I...>) {
    f(slot<A>(a, I)...);
}

template <class... A>
int run(void (*f)(A...), int nargs, dim3 g, dim3 b, const uint64_t *a) {
    if (nargs != (int)sizeof...(A)) return -2;
    emul_launch(g, b, [&] { call(f, a, std::index_sequence_for<A...>{}); });
    return 0;
}

}  // namespace

// xb_emul_launch runs the kernel called name over the grid; it returns 0,
// -1 for an unknown kernel, -2 for the wrong number of arguments.
extern "C" int xb_emul_launch(const char *name, unsigned gx, unsigned gy, unsigned gz,
                              unsigned bx, unsigned by, unsigned bz, int nargs,
                              const uint64_t *args) {
    dim3 g{gx, gy, gz}, b{bx, by, bz};
#define XB_RUN(k) \
    if (std::strcmp(name, #k) == 0) return run(k, nargs, g, b, args);
    XB_RUN(xb_bag_sum)
    XB_RUN(xb_row_grads)
    XB_RUN(xb_adam_rows)
    XB_RUN(xb_adam)
    XB_RUN(xb_normalize)
    XB_RUN(xb_lse)
    XB_RUN(xb_infonce_grad)
    XB_RUN(xb_norm_backward)
    XB_RUN(xb_relu)
    XB_RUN(xb_relu_backward)
    XB_RUN(xb_add)
#undef XB_RUN
    return -1;
}
