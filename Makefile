GO ?= go
REDIS_SERVER ?= redis-server

.PHONY: build test race fuzz golden commands bench e2e e2e-redis ci

build:
	$(GO) build -o bin/taconite ./cmd/taconite

# test is README's test command.
test:
	$(GO) test ./...

race:
	$(GO) test -race ./internal/resp/ ./internal/keyspace/ ./internal/server/ ./internal/ds/kvtable/

# fuzz runs each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./internal/resp/ -run '^$$' -fuzz FuzzParser -fuzztime $(FUZZTIME)
	$(GO) test ./internal/resp/ -run '^$$' -fuzz FuzzReadRawReply -fuzztime $(FUZZTIME)
	$(GO) test ./internal/glob/ -run '^$$' -fuzz FuzzMatch -fuzztime $(FUZZTIME)

# golden re-records testdata/compat/*.golden from a real redis-server 7.0
# (apt-get install -y redis-server redis-tools), which goldenrecord starts on a
# free 127.0.0.1 port with the shared arguments and stops by PID when done.
golden:
	$(GO) run ./tools/goldenrecord -server $(REDIS_SERVER) testdata/compat/*.txt

# commands re-records the command table from a real redis-server 7.0.
commands:
	tools/cmdrecord/record.sh

bench:
	bench/compare.sh

# e2e drives Taconite with real clients and frameworks; e2e-redis runs the
# same suite against redis-server 7.0, where every check must pass.
e2e:
	bash e2e/setup.sh
	bash e2e/run.sh --server taconite

e2e-redis:
	bash e2e/setup.sh
	bash e2e/run.sh --server redis

ci:
	bash .ci/run
