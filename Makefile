GO ?= go
REDIS_SERVER ?= redis-server

.PHONY: build test race fuzz golden rdb-testdata commands bench e2e e2e-redis ci

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
	$(GO) test ./internal/rdb/ -run '^$$' -fuzz FuzzDecoder -fuzztime $(FUZZTIME)
	$(GO) test ./internal/rdb/ -run '^$$' -fuzz FuzzDecodeDump -fuzztime $(FUZZTIME)
	$(GO) test ./internal/server/ -run '^$$' -fuzz FuzzPersistRestorePayload -fuzztime $(FUZZTIME)
	$(GO) test ./internal/aof/ -run '^$$' -fuzz FuzzReplay -fuzztime $(FUZZTIME)
	$(GO) test ./internal/ds/hll/ -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./internal/ds/stream/ -run '^$$' -fuzz FuzzParseID -fuzztime $(FUZZTIME)
	$(GO) test ./internal/ds/stream/ -run '^$$' -fuzz FuzzOps -fuzztime $(FUZZTIME)
	$(GO) test ./internal/ds/geohash/ -run '^$$' -fuzz FuzzDecodeScore -fuzztime $(FUZZTIME)
	$(GO) test ./internal/ds/geohash/ -run '^$$' -fuzz FuzzEncodeDecode -fuzztime $(FUZZTIME)
	$(GO) test ./internal/acl/ -run '^$$' -fuzz FuzzSetUser -fuzztime $(FUZZTIME)
	$(GO) test ./internal/config/ -run '^$$' -fuzz FuzzLoadRewrite -fuzztime $(FUZZTIME)
	$(GO) test ./internal/server/ -run '^$$' -fuzz FuzzGeoArgs -fuzztime $(FUZZTIME)
	$(GO) test ./internal/server/ -run '^$$' -fuzz FuzzScriptRedisCall -fuzztime $(FUZZTIME)
	$(GO) test ./internal/script/ -run '^$$' -fuzz FuzzCjsonDecode -fuzztime $(FUZZTIME)
	$(GO) test ./internal/script/ -run '^$$' -fuzz FuzzMsgpackUnpack -fuzztime $(FUZZTIME)
	$(GO) test ./internal/script/ -run '^$$' -fuzz FuzzFunctionRestore -fuzztime $(FUZZTIME)

# golden re-records testdata/compat/*.golden from a real redis-server 7.0
# (apt-get install -y redis-server redis-tools), which goldenrecord starts on a
# free 127.0.0.1 port with the shared arguments and stops by PID when done.
golden:
	$(GO) run ./tools/goldenrecord -server $(REDIS_SERVER) testdata/compat/*.txt

# rdb-testdata re-records testdata/rdb/*.rdb (every type and encoding) from a
# real redis-server 7.0.
rdb-testdata:
	REDIS_SERVER=$(REDIS_SERVER) tools/rdbrecord/record.sh

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
