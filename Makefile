# Flotilla — see README.md. Everything works offline once modules are cached.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/flotilla-gitops/flotilla/internal/version.Version=$(VERSION)
BUF := $(GO) tool -modfile=tools/buf/go.mod buf
export BUF_CACHE_DIR ?= $(shell $(GO) env GOCACHE)/buf

.PHONY: all build proto lint proto-check test test-unit fuzz bench run clean k8s-bins cluster-up cluster-down images

all: build

build:
	@mkdir -p bin
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/flotilla ./cli/cmd/flotilla
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/flotilla-hub ./hub/cmd/flotilla-hub
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/flotilla-spoke ./spoke/cmd/flotilla-spoke
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/flotilla-dev ./e2e/cmd/flotilla-dev

# Container images without a Docker engine (internal/images): static
# binaries for amd64 and arm64, bin/images/flotilla-{hub,spoke}.tar (this
# machine's architecture, for docker load or crane push) with their SPDX
# SBOMs beside them, and the OCI layout bin/images/oci/ with one
# multi-platform index per binary. Reproducible: same tree, same digests.
images:
	$(GO) run ./internal/images/cmd/mkimages -go '$(GO)' -ldflags '$(LDFLAGS)' -version '$(VERSION)' \
		-revision "$$(git rev-parse HEAD 2>/dev/null)" -out bin/images

# Binaries for e2e/localcluster (etcd, kube-apiserver, controller-manager,
# scheduler, kwok), built from Go modules and cached in
# ~/.cache/flotilla/k8s/<version>/: ~8 min once, 0.1 s after.
k8s-bins:
	e2e/k8sbin/build.sh

CLUSTER_DIR ?= /tmp/flotilla-dev
CLUSTERS ?= 2
cluster-up: build k8s-bins
	bin/flotilla-dev cluster up --dir $(CLUSTER_DIR) --count $(CLUSTERS)
cluster-down:
	bin/flotilla-dev cluster down --dir $(CLUSTER_DIR)

proto:
	$(BUF) generate

# proto-check: buf lint, generated code up to date, no breaking change
# against the previous commit (when there is one).
proto-check:
	$(BUF) lint
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(BUF) generate -o $$tmp && \
	{ diff -r -x '*.proto' -x '*.yaml' $$tmp/proto/flotilla proto/flotilla && \
	  diff $$tmp/hub/api/openapi.swagger.json hub/api/openapi.swagger.json; } || { echo "generated code is stale: run make proto"; exit 1; }
	@if git rev-parse -q --verify HEAD~1 >/dev/null 2>&1 && git ls-tree -d HEAD~1 proto/flotilla >/dev/null 2>&1 && [ -n "$$(git ls-tree HEAD~1 proto/flotilla)" ]; then \
		$(BUF) breaking --against '.git#ref=HEAD~1'; \
	else echo "buf breaking: no previous commit with protos; skipped"; fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test-unit: k8s-bins
	$(GO) test -timeout 20m ./...

# Every fuzz target of the module (func FuzzXxx, found by tools/fuzz.sh)
# for FUZZTIME each; their seed corpora also run in test-unit.
FUZZTIME ?= 10s
fuzz:
	FUZZTIME=$(FUZZTIME) tools/fuzz.sh

# The test command of README.md: lint, proto checks, every test and a
# short fixed time of fuzzing.
test: lint proto-check test-unit fuzz

bench:
	bench/run.sh

# Flotilla's main job: two local clusters, a Git server with demo apps, the
# hub and one spoke per cluster; runs until Ctrl-C.
run: build k8s-bins
	bin/flotilla-dev demo $(DEMO_FLAGS)

clean:
	rm -rf bin
