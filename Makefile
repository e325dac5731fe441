# vectorbucket — `make run` starts the server on the embedded store; `make test`
# runs every test (installing what it needs). See README.md.

GO ?= go
DATA ?= ./data

.PHONY: run build test test-short bench fuzz lint deps tools clean

run: ## start the server on the embedded store in ./data (127.0.0.1:8080)
	$(GO) run ./cmd/vectorbucket serve --data $(DATA)

build: ## build the vectorbucket binary into .bin/
	$(GO) build -o .bin/vectorbucket ./cmd/vectorbucket

test: ## every test: installs Debian packages and versitygw, starts/stops versitygw
	scripts/test.sh

test-short: ## fast unit tests only (no servers, no data sets)
	$(GO) test -short ./...

bench: ## reproduce the README's benchmark numbers (~15 min on 2 idle cores)
	scripts/bench.sh

fuzz: ## a short fuzzing pass over every reader and decoder
	$(GO) test -run '^$$' -fuzz FuzzDecodeSegment -fuzztime 30s ./neighborhoods
	$(GO) test -run '^$$' -fuzz FuzzCompile -fuzztime 30s ./index/filter
	$(GO) test -run '^$$' -fuzz FuzzHandler -fuzztime 30s ./api/server

lint: ## gofmt + go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

deps: ## Debian packages for tests
	scripts/deps.sh test

tools: ## versitygw into .bin/
	scripts/versitygw.sh install

clean:
	rm -rf .bin .versitygw
