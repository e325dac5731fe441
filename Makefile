# vectorbucket — `make run` starts the server on the embedded store; `make test`
# runs every test (installing what it needs). See README.md.

GO ?= go
DATA ?= ./data
# The server is pure Go and static; nomsgpack drops gin's unused MessagePack codec.
SERVER_FLAGS ?= -trimpath -tags nomsgpack -ldflags '-s -w'
# Set BENCH_TAGS=hdf5 (cgo + Debian's libhdf5-dev) to read ann-benchmarks .hdf5 files.
BENCH_TAGS ?=

.PHONY: run build test test-short bench soak fuzz lint deps tools clean

run: ## start the server on the embedded store in ./data (127.0.0.1:8080); needs only Go
	CGO_ENABLED=0 $(GO) run ./cmd/vectorbucket serve --data $(DATA)

build: ## build vectorbucket (static, pure Go) and vectorbucket-bench into .bin/
	CGO_ENABLED=0 $(GO) build $(SERVER_FLAGS) -o .bin/vectorbucket ./cmd/vectorbucket
	$(GO) build -tags "$(BENCH_TAGS)" -o .bin/vectorbucket-bench ./cmd/vectorbucket-bench

test: ## every test: installs Debian packages, versitygw and MinIO, starts/stops them
	scripts/test.sh

test-short: ## fast unit tests only (no servers, no data sets)
	$(GO) test -short ./...

bench: ## reproduce the README's benchmark numbers (~15 min on 2 idle cores)
	scripts/bench.sh

SOAK_DURATION ?= 10m
soak: build ## a bounded soak (SOAK_DURATION, default 10m; not part of make test): writers, queriers, GC, scrub, a volume lost and restored, then a full audit; results in bench/results/soak/
	$(GO) build -o .bin/vectorbucket-soak ./cmd/vectorbucket-soak
	.bin/vectorbucket-soak --server .bin/vectorbucket --duration $(SOAK_DURATION) --out bench/results/soak

fuzz: ## a short fuzzing pass over every reader and decoder
	$(GO) test -run '^$$' -fuzz FuzzDecodeSegment -fuzztime 30s ./neighborhoods
	$(GO) test -run '^$$' -fuzz FuzzCompile -fuzztime 30s ./index/filter
	$(GO) test -run '^$$' -fuzz FuzzHandler -fuzztime 30s ./api/server

lint: ## gofmt + go vet + go mod tidy check
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) mod tidy -diff

deps: ## Debian packages for tests
	scripts/deps.sh test

tools: ## versitygw into .bin/
	scripts/versitygw.sh install
	scripts/s3server.sh minio install

clean:
	rm -rf .bin .versitygw .minio
