// Package cuda is a gpu.Device on an NVIDIA GPU. It needs no cgo and no
// CUDA headers or toolkit at build time: the driver (libcuda), the runtime
// compiler (NVRTC) and cuBLAS are loaded when Open is called, and the
// kernels' CUDA C source (gpu.Source) is compiled then for the device's
// compute capability. Without a GPU, Open fails with an error that names
// the library it could not load.
package cuda

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/xlbench/xlbench/builtin/internal/gpu"
)

// Library names tried in order, bare (the loader's search path, which
// LD_LIBRARY_PATH extends) and in the usual toolkit folders, and in
// XLBENCH_CUDA_LIBS (a colon-separated list of folders) first.
var (
	driverNames = []string{"libcuda.so.1", "libcuda.so"}
	nvrtcNames  = []string{"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"}
	cublasNames = []string{"libcublas.so", "libcublas.so.13", "libcublas.so.12"}
	toolkitDirs = []string{"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu"}
)

func open(what string, names []string) (uintptr, error) {
	// XLBENCH_CUDA_LIBS's folders, then the bare names (the loader's
	// search path: "" joins to the name alone), then the toolkit's.
	var dirs []string
	if env := os.Getenv("XLBENCH_CUDA_LIBS"); env != "" {
		dirs = filepath.SplitList(env)
	}
	dirs = append(append(dirs, ""), toolkitDirs...)
	var tried []string
	for _, d := range dirs {
		for _, n := range names {
			path := filepath.Join(d, n)
			if h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL); err == nil {
				return h, nil
			}
			tried = append(tried, path)
		}
	}
	return 0, fmt.Errorf("cannot load %s (%s): no GPU driver or CUDA toolkit here? Tried %s; set XLBENCH_CUDA_LIBS to the folder that holds it",
		names[0], what, strings.Join(tried, ", "))
}

// The entry points, bound by bind.
type api struct {
	cuInit                    func(flags uint32) int32
	cuDeviceGet               func(dev *int32, ordinal int32) int32
	cuDeviceGetAttribute      func(v *int32, attr int32, dev int32) int32
	cuDeviceGetName           func(name *byte, n int32, dev int32) int32
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, dev int32) int32
	cuDevicePrimaryCtxRelease func(dev int32) int32
	cuCtxSetCurrent           func(ctx uintptr) int32
	cuCtxSynchronize          func() int32
	cuMemAlloc                func(p *uintptr, n uint64) int32
	cuMemFree                 func(p uintptr) int32
	cuMemsetD8                func(p uintptr, v uint8, n uint64) int32
	cuMemcpyHtoD              func(dst uintptr, src unsafe.Pointer, n uint64) int32
	cuMemcpyDtoH              func(dst unsafe.Pointer, src uintptr, n uint64) int32
	cuModuleLoadData          func(mod *uintptr, image unsafe.Pointer) int32
	cuModuleUnload            func(mod uintptr) int32
	cuModuleGetFunction       func(f *uintptr, mod uintptr, name string) int32
	cuLaunchKernel            func(f uintptr, gx, gy, gz, bx, by, bz, shared uint32, stream uintptr, params, extra unsafe.Pointer) int32
	cuGetErrorString          func(err int32, s **byte) int32
	nvrtcCreateProgram        func(prog *uintptr, src, name string, nh int32, headers, names unsafe.Pointer) int32
	nvrtcCompileProgram       func(prog uintptr, n int32, opts unsafe.Pointer) int32
	nvrtcGetProgramLogSize    func(prog uintptr, n *uint64) int32
	nvrtcGetProgramLog        func(prog uintptr, log *byte) int32
	nvrtcGetCUBINSize         func(prog uintptr, n *uint64) int32
	nvrtcGetCUBIN             func(prog uintptr, out *byte) int32
	nvrtcDestroyProgram       func(prog *uintptr) int32
	nvrtcGetErrorString       func(err int32) string
	cublasCreate              func(h *uintptr) int32
	cublasDestroy             func(h uintptr) int32
	cublasSgemm               func(h uintptr, ta, tb, m, n, k int32, alpha *float32, a uintptr, lda int32, b uintptr, ldb int32, beta *float32, c uintptr, ldc int32) int32
}

func bind(lib uintptr, fns map[string]any) (err error) {
	for name, fp := range fns {
		if _, e := purego.Dlsym(lib, name); e != nil {
			return fmt.Errorf("symbol %s: %v", name, e)
		}
		purego.RegisterLibFunc(fp, lib, name)
	}
	return nil
}

// Device is one GPU with the kernels compiled and a cuBLAS handle.
type Device struct {
	a      api
	dev    int32
	ctx    uintptr
	mod    uintptr
	blas   uintptr
	fns    map[string]uintptr
	name   string
	cc     [2]int32
	allocs map[gpu.Ptr]bool
}

func (d *Device) check(what string, rc int32) error {
	if rc == 0 {
		return nil
	}
	msg := "unknown error"
	if d.a.cuGetErrorString != nil {
		var s *byte
		if d.a.cuGetErrorString(rc, &s) == 0 && s != nil {
			msg = cString(s)
		}
	}
	return fmt.Errorf("cuda: %s: error %d (%s)", what, rc, msg)
}

func cString(p *byte) string {
	var b []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		b = append(b, *(*byte)(q))
	}
	return string(b)
}

// Open loads the libraries, takes GPU ordinal's primary context, compiles
// the kernels and creates a cuBLAS handle.
func Open(ordinal int) (*Device, error) {
	d := &Device{fns: map[string]uintptr{}, allocs: map[gpu.Ptr]bool{}}
	a := &d.a
	libcuda, err := open("the CUDA driver", driverNames)
	if err != nil {
		return nil, err
	}
	if err := bind(libcuda, map[string]any{
		"cuInit": &a.cuInit, "cuDeviceGet": &a.cuDeviceGet, "cuDeviceGetAttribute": &a.cuDeviceGetAttribute,
		"cuDeviceGetName": &a.cuDeviceGetName, "cuDevicePrimaryCtxRetain": &a.cuDevicePrimaryCtxRetain,
		"cuDevicePrimaryCtxRelease_v2": &a.cuDevicePrimaryCtxRelease,
		"cuCtxSetCurrent":              &a.cuCtxSetCurrent, "cuCtxSynchronize": &a.cuCtxSynchronize,
		"cuMemAlloc_v2": &a.cuMemAlloc, "cuMemFree_v2": &a.cuMemFree, "cuMemsetD8_v2": &a.cuMemsetD8,
		"cuMemcpyHtoD_v2": &a.cuMemcpyHtoD, "cuMemcpyDtoH_v2": &a.cuMemcpyDtoH,
		"cuModuleLoadData": &a.cuModuleLoadData, "cuModuleUnload": &a.cuModuleUnload,
		"cuModuleGetFunction": &a.cuModuleGetFunction, "cuLaunchKernel": &a.cuLaunchKernel,
		"cuGetErrorString": &a.cuGetErrorString,
	}); err != nil {
		return nil, fmt.Errorf("cuda: libcuda: %w", err)
	}
	libnvrtc, err := open("NVRTC, the CUDA runtime compiler", nvrtcNames)
	if err != nil {
		return nil, err
	}
	if err := bind(libnvrtc, map[string]any{
		"nvrtcCreateProgram": &a.nvrtcCreateProgram, "nvrtcCompileProgram": &a.nvrtcCompileProgram,
		"nvrtcGetProgramLogSize": &a.nvrtcGetProgramLogSize, "nvrtcGetProgramLog": &a.nvrtcGetProgramLog,
		"nvrtcGetCUBINSize": &a.nvrtcGetCUBINSize, "nvrtcGetCUBIN": &a.nvrtcGetCUBIN,
		"nvrtcDestroyProgram": &a.nvrtcDestroyProgram, "nvrtcGetErrorString": &a.nvrtcGetErrorString,
	}); err != nil {
		return nil, fmt.Errorf("cuda: libnvrtc: %w", err)
	}
	libcublas, err := open("cuBLAS", cublasNames)
	if err != nil {
		return nil, err
	}
	if err := bind(libcublas, map[string]any{
		"cublasCreate_v2": &a.cublasCreate, "cublasDestroy_v2": &a.cublasDestroy, "cublasSgemm_v2": &a.cublasSgemm,
	}); err != nil {
		return nil, fmt.Errorf("cuda: libcublas: %w", err)
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := d.check("cuInit", a.cuInit(0)); err != nil {
		return nil, err
	}
	if err := d.check(fmt.Sprintf("cuDeviceGet(%d)", ordinal), a.cuDeviceGet(&d.dev, int32(ordinal))); err != nil {
		return nil, err
	}
	var name [256]byte
	if err := d.check("cuDeviceGetName", a.cuDeviceGetName(&name[0], int32(len(name)), d.dev)); err != nil {
		return nil, err
	}
	d.name = cString(&name[0])
	for i, attr := range []int32{75, 76} { // compute capability major, minor
		if err := d.check("cuDeviceGetAttribute", a.cuDeviceGetAttribute(&d.cc[i], attr, d.dev)); err != nil {
			return nil, err
		}
	}
	if err := d.check("cuDevicePrimaryCtxRetain", a.cuDevicePrimaryCtxRetain(&d.ctx, d.dev)); err != nil {
		return nil, err
	}
	if err := d.check("cuCtxSetCurrent", a.cuCtxSetCurrent(d.ctx)); err != nil {
		return nil, err
	}
	cubin, err := d.compile()
	if err != nil {
		return nil, err
	}
	if err := d.check("cuModuleLoadData", a.cuModuleLoadData(&d.mod, unsafe.Pointer(&cubin[0]))); err != nil {
		return nil, err
	}
	for _, k := range gpu.Kernels {
		var f uintptr
		if err := d.check("cuModuleGetFunction "+k, a.cuModuleGetFunction(&f, d.mod, k)); err != nil {
			return nil, err
		}
		d.fns[k] = f
	}
	if rc := a.cublasCreate(&d.blas); rc != 0 {
		return nil, fmt.Errorf("cuda: cublasCreate: status %d", rc)
	}
	return d, nil
}

// compile turns gpu.Source into machine code for this device: no fused
// multiply-adds (the kernels round as the CPU trainer does), IEEE division
// and square root.
func (d *Device) compile() ([]byte, error) {
	a := &d.a
	var prog uintptr
	if rc := a.nvrtcCreateProgram(&prog, gpu.Source, "kernels.cu", 0, nil, nil); rc != 0 {
		return nil, fmt.Errorf("cuda: nvrtcCreateProgram: %s", a.nvrtcGetErrorString(rc))
	}
	defer a.nvrtcDestroyProgram(&prog)
	opts := []string{fmt.Sprintf("--gpu-architecture=sm_%d%d", d.cc[0], d.cc[1]), "--fmad=false", "--prec-div=true", "--prec-sqrt=true"}
	cs := make([][]byte, len(opts))
	ps := make([]*byte, len(opts))
	for i, o := range opts {
		cs[i] = append([]byte(o), 0)
		ps[i] = &cs[i][0]
	}
	rc := a.nvrtcCompileProgram(prog, int32(len(ps)), unsafe.Pointer(&ps[0]))
	runtime.KeepAlive(cs)
	if rc != 0 {
		var n uint64
		a.nvrtcGetProgramLogSize(prog, &n)
		log := make([]byte, n+1)
		a.nvrtcGetProgramLog(prog, &log[0])
		return nil, fmt.Errorf("cuda: compiling the kernels for sm_%d%d: %s\n%s", d.cc[0], d.cc[1], a.nvrtcGetErrorString(rc), strings.TrimRight(string(log), "\x00"))
	}
	var n uint64
	if rc := a.nvrtcGetCUBINSize(prog, &n); rc != 0 || n == 0 {
		return nil, fmt.Errorf("cuda: nvrtcGetCUBINSize: %s", a.nvrtcGetErrorString(rc))
	}
	out := make([]byte, n)
	if rc := a.nvrtcGetCUBIN(prog, &out[0]); rc != 0 {
		return nil, fmt.Errorf("cuda: nvrtcGetCUBIN: %s", a.nvrtcGetErrorString(rc))
	}
	return out, nil
}

// enter makes the device's context current on this goroutine's thread, held
// until leave: CUDA's current context is per OS thread.
func (d *Device) enter() error {
	runtime.LockOSThread()
	if err := d.check("cuCtxSetCurrent", d.a.cuCtxSetCurrent(d.ctx)); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	return nil
}

func (d *Device) leave() { runtime.UnlockOSThread() }

// Name implements gpu.Device.
func (d *Device) Name() string {
	return fmt.Sprintf("%s (compute capability %d.%d)", d.name, d.cc[0], d.cc[1])
}

// Alloc implements gpu.Device.
func (d *Device) Alloc(n int) (gpu.Ptr, error) {
	if err := d.enter(); err != nil {
		return 0, err
	}
	defer d.leave()
	var p uintptr
	if err := d.check(fmt.Sprintf("allocating %d bytes", n), d.a.cuMemAlloc(&p, uint64(max(n, 4)))); err != nil {
		return 0, err
	}
	if err := d.check("cuMemsetD8", d.a.cuMemsetD8(p, 0, uint64(max(n, 4)))); err != nil {
		return 0, err
	}
	d.allocs[gpu.Ptr(p)] = true
	return gpu.Ptr(p), nil
}

// Free implements gpu.Device.
func (d *Device) Free(p gpu.Ptr) {
	if !d.allocs[p] {
		panic(fmt.Sprintf("cuda: free of %#x, which was not allocated", uintptr(p)))
	}
	if d.enter() == nil {
		d.a.cuMemFree(uintptr(p))
		d.leave()
	}
	delete(d.allocs, p)
}

// CopyIn implements gpu.Device.
func (d *Device) CopyIn(dst gpu.Ptr, src unsafe.Pointer, n int) error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	return d.check("copy to the device", d.a.cuMemcpyHtoD(uintptr(dst), src, uint64(n)))
}

// CopyOut implements gpu.Device.
func (d *Device) CopyOut(dst unsafe.Pointer, src gpu.Ptr, n int) error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	return d.check("copy from the device", d.a.cuMemcpyDtoH(dst, uintptr(src), uint64(n)))
}

// Launch implements gpu.Device on the default stream.
func (d *Device) Launch(name string, grid, block gpu.Dim, args ...gpu.Arg) error {
	f, ok := d.fns[name]
	if !ok {
		return fmt.Errorf("cuda: no kernel %q", name)
	}
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	// Each parameter points at its 8-byte slot; the driver copies them at
	// launch.
	slots := make([]gpu.Arg, len(args))
	copy(slots, args)
	params := make([]unsafe.Pointer, len(args))
	for i := range slots {
		params[i] = unsafe.Pointer(&slots[i])
	}
	one := func(v uint32) uint32 { return max(v, 1) }
	rc := d.a.cuLaunchKernel(f, one(grid.X), one(grid.Y), one(grid.Z), one(block.X), one(block.Y), one(block.Z), 0, 0, unsafe.Pointer(&params[0]), nil)
	runtime.KeepAlive(slots)
	runtime.KeepAlive(params)
	return d.check("launching "+name, rc)
}

// Gemm implements gpu.Device with cuBLAS, which is column-major: a
// row-major C = op(A)·op(B) is the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so the
// operands swap.
func (d *Device) Gemm(transA, transB bool, m, n, k int, alpha float32, a gpu.Ptr, lda int, b gpu.Ptr, ldb int, beta float32, c gpu.Ptr, ldc int) error {
	op := func(t bool) int32 {
		if t {
			return 1 // CUBLAS_OP_T
		}
		return 0
	}
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	al, be := alpha, beta
	if rc := d.a.cublasSgemm(d.blas, op(transB), op(transA), int32(n), int32(m), int32(k), &al, uintptr(b), int32(ldb), uintptr(a), int32(lda), &be, uintptr(c), int32(ldc)); rc != 0 {
		return fmt.Errorf("cuda: cublasSgemm (%d×%d×%d): status %d", m, n, k, rc)
	}
	return nil
}

// Sync waits for the work queued on the device.
func (d *Device) Sync() error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	return d.check("cuCtxSynchronize", d.a.cuCtxSynchronize())
}

// Close implements gpu.Device.
func (d *Device) Close() error {
	if err := d.enter(); err != nil {
		return err
	}
	defer d.leave()
	var errs []error
	for p := range d.allocs {
		d.a.cuMemFree(uintptr(p))
	}
	d.allocs = map[gpu.Ptr]bool{}
	if d.blas != 0 {
		if rc := d.a.cublasDestroy(d.blas); rc != 0 {
			errs = append(errs, fmt.Errorf("cuda: cublasDestroy: status %d", rc))
		}
		d.blas = 0
	}
	if d.mod != 0 {
		errs = append(errs, d.check("cuModuleUnload", d.a.cuModuleUnload(d.mod)))
		d.mod = 0
	}
	errs = append(errs, d.check("cuDevicePrimaryCtxRelease", d.a.cuDevicePrimaryCtxRelease(d.dev)))
	return errors.Join(errs...)
}

var _ gpu.Device = (*Device)(nil)
