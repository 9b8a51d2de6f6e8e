package config

import (
	"math"
	"sort"
)

// RedisVersion is the Redis version Taconite mimics; it appears in the fatal
// config error banner.
const RedisVersion = "7.0.15"

// kind says how a parameter's value is parsed, stored, printed and
// rewritten.
type kind uint8

const (
	kindBool        kind = iota // yes/no
	kindNum                     // integer; fMemory/fPercent/fOctal refine parsing and printing
	kindEnum                    // one name out of a list (several with fMultiArg: bit flags)
	kindString                  // free text; fEmptyIsNull: "" means unset
	kindDir                     // working directory, kept as an absolute path
	kindSave                    // save <seconds> <changes> ...
	kindObuf                    // client-output-buffer-limit <class> <hard> <soft> <seconds> ...
	kindOOMValues               // oom-score-adj-values <master> <replica> <bgchild>
	kindNotify                  // notify-keyspace-events flags
	kindBind                    // bind <addr> ...
	kindReplicaOf               // replicaof <host> <port> | no one
	kindPercentiles             // latency-tracking-info-percentiles <float> ...
)

// flag is a set of parameter properties; the first six mirror Redis's
// config flags of the same names.
type flag uint32

const (
	fImmutable   flag = 1 << iota // CONFIG SET refuses it
	fSensitive                    // its CONFIG SET value is redacted from logs
	fHidden                       // CONFIG GET only returns it for an exact name
	fProtected                    // CONFIG SET needs enable-protected-configs
	fDenyLoading                  // CONFIG SET refuses it while loading data
	fDebug                        // listed by DEBUG CONFIG-REWRITE-FORCE-ALL style dumps
	fMultiArg                     // takes several words (file: words; CONFIG SET: split on spaces)
	fEmptyIsNull                  // string: "" means unset, so REWRITE drops the line
	fMemory                       // number: accepts memory units, prints unsigned
	fPercent                      // number: accepts N%, stored as -N
	fOctal                        // number: octal in and out
	fUnsigned                     // number: bounds compared and printed as unsigned
)

// enumItem is one accepted name of an enum parameter.
type enumItem struct {
	name string
	val  int64
}

// param is one row of the table.
type param struct {
	name    string
	alias   string
	kind    kind
	flags   flag
	impl    bool   // Taconite acts on it
	lo, hi  int64  // numeric bounds (hi as uint64 bits for fUnsigned)
	defNum  int64  // default of bool/num/enum/notify
	defStr  string // default of string kinds
	enum    []enumItem
	valid   func(ctx validCtx, v value) string // extra check; returns Redis's error text
	postSet func(v *value)                     // normalisation Redis applies after setting (hz)
}

func (p *param) has(f flag) bool { return p.flags&f != 0 }

const (
	intMax   = math.MaxInt32
	intMin   = math.MinInt32
	uintMax  = math.MaxUint32
	longMax  = math.MaxInt64
	llongMax = math.MaxInt64
	ullMax   = -1 // math.MaxUint64 as int64 bits, for fUnsigned bounds
)

// Enum name lists, in Redis's order: that order is what the "must be one
// of the following" error lists and which name wins for shared values.
var (
	enumYesNoLocal = []enumItem{{"no", 0}, {"yes", 1}, {"local", 2}}
	enumShutdown   = []enumItem{{"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}}
)

func seq(names ...string) []enumItem {
	items := make([]enumItem, len(names))
	for i, n := range names {
		items[i] = enumItem{n, int64(i)}
	}
	return items
}

func boolP(name, alias string, flags flag, def bool) param {
	p := param{name: name, alias: alias, kind: kindBool, flags: flags}
	if def {
		p.defNum = 1
	}
	return p
}

func numP(name, alias string, flags flag, lo, hi, def int64) param {
	return param{name: name, alias: alias, kind: kindNum, flags: flags, lo: lo, hi: hi, defNum: def}
}

func strP(name, alias string, flags flag, def string) param {
	return param{name: name, alias: alias, kind: kindString, flags: flags, defStr: def}
}

func enumP(name, alias string, flags flag, items []enumItem, def int64) param {
	return param{name: name, alias: alias, kind: kindEnum, flags: flags, enum: items, defNum: def}
}

func specialP(name, alias string, k kind, flags flag) param {
	return param{name: name, alias: alias, kind: k, flags: flags}
}

// implemented lists the parameters Taconite acts upon today.
var implemented = map[string]bool{
	"port": true, "bind": true, "databases": true, "dir": true, "loglevel": true,
	"logfile": true, "requirepass": true, "maxclients": true, "timeout": true,
	"tcp-keepalive": true, "proto-max-bulk-len": true, "client-query-buffer-limit": true,
	"hz": true, "pidfile": true, "io-threads": true,
	"slowlog-log-slower-than": true, "slowlog-max-len": true,
	"active-expire-effort":   true,
	"lazyfree-lazy-user-del": true, "lazyfree-lazy-user-flush": true,
	"lazyfree-lazy-expire": true, "lazyfree-lazy-server-del": true,
	"hash-max-listpack-entries": true, "hash-max-listpack-value": true,
	"set-max-intset-entries": true, "zset-max-listpack-entries": true,
	"zset-max-listpack-value": true, "hll-sparse-max-bytes": true,
	"notify-keyspace-events": true, "client-output-buffer-limit": true,
	"enable-debug-command": true,
	"aclfile":              true, "acllog-max-len": true, "acl-pubsub-default": true,
	"protected-mode": true,

	// RDB persistence
	"dbfilename": true, "rdbcompression": true, "rdbchecksum": true, "save": true,
	"stop-writes-on-bgsave-error": true, "rdb-key-save-delay": true, "maxmemory-clients": true,

	// AOF
	"appendonly": true, "appendfilename": true, "appenddirname": true, "appendfsync": true,
	"aof-load-truncated": true, "auto-aof-rewrite-percentage": true, "auto-aof-rewrite-min-size": true,
	"aof-use-rdb-preamble": true,

	// Memory limit and eviction
	"maxmemory": true, "maxmemory-policy": true, "maxmemory-samples": true,
	"maxmemory-eviction-tenacity": true, "lfu-log-factor": true, "lfu-decay-time": true,

	// TLS (internal/server/tls.go). tls-ciphersuites is validated, but Go
	// keeps every TLS 1.3 suite on; Go's server always picks the suite
	// itself, as tls-prefer-server-ciphers yes.
	"tls-port": true, "tls-cert-file": true, "tls-key-file": true,
	"tls-ca-cert-file": true, "tls-ca-cert-dir": true, "tls-auth-clients": true,
	"tls-protocols": true, "tls-ciphers": true, "tls-ciphersuites": true,
	"tls-prefer-server-ciphers": true,

	// Latency tracking (internal/server/latency_hist.go) and the latency
	// monitor (internal/server/latency_monitor.go).
	"latency-tracking": true, "latency-tracking-info-percentiles": true,
	"latency-monitor-threshold": true,

	// Taconite extensions.
	"metrics-port": true, "metrics-bind": true,
}

// extensions are Taconite's own parameters, which Redis does not have:
// the built-in metrics listener (internal/server/metrics.go). They sit at
// the end of the table, so CONFIG REWRITE appends them after Redis's own,
// and only when they differ from their defaults, as any parameter.
var extensions = map[string]bool{"metrics-port": true, "metrics-bind": true}

// IsExtension reports whether the named parameter is Taconite's own
// rather than one of Redis 7.0's.
func IsExtension(name string) bool {
	e, ok := lookup(name)
	return ok && extensions[params[e.idx].name]
}

// params is the table: every parameter of Redis 7.0.15 (as built by
// Debian, i.e. with TLS), in the order of Redis's own table, then
// Taconite's extensions. The order is the one CONFIG REWRITE appends new
// lines in.
var params = buildParams()

func buildParams() []param {
	const (
		imm  = fImmutable
		dbg  = fDebug
		hid  = fHidden
		mem  = fMemory
		null = fEmptyIsNull
		uns  = fUnsigned
	)
	ps := []param{
		// Booleans.
		boolP("rdbchecksum", "", imm, true),
		boolP("daemonize", "", imm, false),
		boolP("io-threads-do-reads", "", dbg|imm, false),
		boolP("always-show-logo", "", imm, false),
		boolP("protected-mode", "", 0, true),
		boolP("rdbcompression", "", 0, true),
		boolP("rdb-del-sync-files", "", 0, false),
		boolP("activerehashing", "", 0, true),
		boolP("stop-writes-on-bgsave-error", "", 0, true),
		boolP("set-proc-title", "", imm, true),
		boolP("dynamic-hz", "", 0, true),
		boolP("lazyfree-lazy-eviction", "", dbg, false),
		boolP("lazyfree-lazy-expire", "", dbg, false),
		boolP("lazyfree-lazy-server-del", "", dbg, false),
		boolP("lazyfree-lazy-user-del", "", dbg, false),
		boolP("lazyfree-lazy-user-flush", "", dbg, false),
		boolP("repl-disable-tcp-nodelay", "", 0, false),
		boolP("repl-diskless-sync", "", dbg, true),
		boolP("aof-rewrite-incremental-fsync", "", 0, true),
		boolP("no-appendfsync-on-rewrite", "", 0, false),
		boolP("cluster-require-full-coverage", "", 0, true),
		boolP("rdb-save-incremental-fsync", "", 0, true),
		boolP("aof-load-truncated", "", 0, true),
		boolP("aof-use-rdb-preamble", "", 0, true),
		boolP("aof-timestamp-enabled", "", 0, false),
		boolP("cluster-replica-no-failover", "cluster-slave-no-failover", 0, false),
		boolP("replica-lazy-flush", "slave-lazy-flush", 0, false),
		boolP("replica-serve-stale-data", "slave-serve-stale-data", 0, true),
		boolP("replica-read-only", "slave-read-only", dbg, true),
		boolP("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, true),
		boolP("jemalloc-bg-thread", "", 0, true),
		withValid(boolP("activedefrag", "", dbg, false), validActiveDefrag),
		boolP("syslog-enabled", "", imm, false),
		boolP("cluster-enabled", "", imm, false),
		boolP("appendonly", "", fDenyLoading, false),
		boolP("cluster-allow-reads-when-down", "", 0, false),
		boolP("cluster-allow-pubsubshard-when-down", "", 0, true),
		boolP("crash-log-enabled", "", 0, true),
		boolP("crash-memcheck-enabled", "", 0, true),
		boolP("use-exit-on-panic", "", hid, false),
		boolP("disable-thp", "", imm, true),
		boolP("cluster-allow-replica-migration", "", 0, true),
		boolP("replica-announced", "", 0, true),
		boolP("latency-tracking", "", 0, true),
		boolP("aof-disable-auto-gc", "", 0, false),
		boolP("replica-ignore-disk-write-errors", "", 0, false),
		// Debian's 7.0.15 carries the Lua hardening backport.
		boolP("lua-enable-deprecated-api", "", imm|hid, false),

		// Strings.
		strP("aclfile", "", imm, ""),
		strP("unixsocket", "", imm|null, ""),
		strP("pidfile", "", imm|null, ""),
		strP("replica-announce-ip", "slave-announce-ip", null, ""),
		strP("masteruser", "", fSensitive|null, ""),
		strP("cluster-announce-ip", "", null, ""),
		strP("cluster-config-file", "", imm, "nodes.conf"),
		withValid(strP("cluster-announce-hostname", "", null, ""), validHostname),
		strP("syslog-ident", "", imm, "redis"),
		withValid(strP("dbfilename", "", fProtected, "dump.rdb"), validDBFilename),
		withValid(strP("appendfilename", "", imm, "appendonly.aof"), validAOFFilename),
		withValid(strP("appenddirname", "", imm, "appendonlydir"), validAOFDirname),
		strP("server_cpulist", "", imm|null, ""),
		strP("bio_cpulist", "", imm|null, ""),
		strP("aof_rewrite_cpulist", "", imm|null, ""),
		strP("bgsave_cpulist", "", imm|null, ""),
		strP("ignore-warnings", "", 0, ""),
		withValid(strP("proc-title-template", "", 0, "{title} {listen-addr} {server-mode}"), validProcTitle),
		strP("bind-source-addr", "", null, ""),
		strP("logfile", "", imm, ""),
		strP("masterauth", "", fSensitive|null, ""),
		strP("requirepass", "", fSensitive|null, ""),

		// Enums.
		enumP("supervised", "", imm, seq("upstart", "systemd", "auto", "no"), 3),
		enumP("syslog-facility", "", imm, seq("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"), 1),
		enumP("repl-diskless-load", "", dbg|fDenyLoading, seq("disabled", "on-empty-db", "swapdb"), 0),
		enumP("loglevel", "", 0, seq("debug", "verbose", "notice", "warning"), 2),
		enumP("maxmemory-policy", "", 0, seq("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"), 7),
		enumP("appendfsync", "", 0, seq("everysec", "always", "no"), 0),
		enumP("oom-score-adj", "", 0, []enumItem{{"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}}, 0),
		enumP("acl-pubsub-default", "", 0, seq("allchannels", "resetchannels"), 1),
		enumP("sanitize-dump-payload", "", dbg, seq("no", "yes", "clients"), 0),
		enumP("enable-protected-configs", "", imm, enumYesNoLocal, 0),
		enumP("enable-debug-command", "", imm, enumYesNoLocal, 0),
		enumP("enable-module-command", "", imm, enumYesNoLocal, 0),
		enumP("cluster-preferred-endpoint-type", "", 0, seq("ip", "hostname", "unknown-endpoint"), 0),
		enumP("propagation-error-behavior", "", 0, seq("ignore", "panic", "panic-on-replicas"), 0),
		withValid(enumP("shutdown-on-sigint", "", fMultiArg, enumShutdown, 0), validShutdownFlags),
		withValid(enumP("shutdown-on-sigterm", "", fMultiArg, enumShutdown, 0), validShutdownFlags),

		// Integers (C int).
		numP("databases", "", imm, 1, intMax, 16),
		numP("port", "", 0, 0, 65535, 6379),
		numP("io-threads", "", dbg|imm, 1, 128, 1),
		numP("auto-aof-rewrite-percentage", "", 0, 0, intMax, 100),
		numP("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, 0, intMax, 10),
		numP("list-max-listpack-size", "list-max-ziplist-size", 0, intMin, intMax, -2),
		numP("tcp-keepalive", "", 0, 0, intMax, 300),
		numP("cluster-migration-barrier", "", 0, 0, intMax, 1),
		numP("active-defrag-cycle-min", "", 0, 1, 99, 1),
		numP("active-defrag-cycle-max", "", 0, 1, 99, 25),
		numP("active-defrag-threshold-lower", "", 0, 0, 1000, 10),
		numP("active-defrag-threshold-upper", "", 0, 0, 1000, 100),
		numP("lfu-log-factor", "", 0, 0, intMax, 10),
		numP("lfu-decay-time", "", 0, 0, intMax, 1),
		numP("replica-priority", "slave-priority", 0, 0, intMax, 100),
		numP("repl-diskless-sync-delay", "", 0, 0, intMax, 5),
		numP("maxmemory-samples", "", 0, 1, intMax, 5),
		numP("maxmemory-eviction-tenacity", "", 0, 0, 100, 10),
		numP("timeout", "", 0, 0, intMax, 0),
		numP("replica-announce-port", "slave-announce-port", 0, 0, 65535, 0),
		numP("tcp-backlog", "", imm, 0, intMax, 511),
		numP("cluster-port", "", imm, 0, 65535, 0),
		numP("cluster-announce-bus-port", "", 0, 0, 65535, 0),
		numP("cluster-announce-port", "", 0, 0, 65535, 0),
		numP("cluster-announce-tls-port", "", 0, 0, 65535, 0),
		numP("repl-timeout", "", 0, 1, intMax, 60),
		numP("repl-ping-replica-period", "repl-ping-slave-period", 0, 1, intMax, 10),
		numP("list-compress-depth", "", dbg, 0, intMax, 0),
		numP("rdb-key-save-delay", "", hid, intMin, intMax, 0),
		numP("key-load-delay", "", hid, intMin, intMax, 0),
		numP("active-expire-effort", "", 0, 1, 10, 1),
		withPostSet(numP("hz", "", 0, 0, intMax, 10), clampHZ),
		numP("min-replicas-to-write", "min-slaves-to-write", 0, 0, intMax, 0),
		numP("min-replicas-max-lag", "min-slaves-max-lag", 0, 0, intMax, 10),
		numP("watchdog-period", "", hid, 0, intMax, 0),
		numP("shutdown-timeout", "", 0, 0, intMax, 10),
		numP("repl-diskless-sync-max-replicas", "", 0, 0, intMax, 0),

		// Unsigned int.
		numP("maxclients", "", uns, 1, uintMax, 10000),
		numP("unixsocketperm", "", imm|uns|fOctal, 0, 0o777, 0),
		numP("socket-mark-id", "", imm|uns, 0, uintMax, 0),

		// Unsigned long (Redis checks these bounds as signed).
		numP("active-defrag-max-scan-fields", "", 0, 1, longMax, 1000),
		numP("slowlog-max-len", "", 0, 0, longMax, 128),
		numP("acllog-max-len", "", 0, 0, longMax, 128),

		// Long long.
		numP("busy-reply-threshold", "lua-time-limit", 0, 0, longMax, 5000),
		numP("cluster-node-timeout", "", 0, 0, llongMax, 15000),
		numP("slowlog-log-slower-than", "", 0, -1, llongMax, 10000),
		numP("latency-monitor-threshold", "", 0, 0, llongMax, 0),
		numP("proto-max-bulk-len", "", dbg|mem, 1024*1024, longMax, 512*1024*1024),
		numP("stream-node-max-entries", "", 0, 0, llongMax, 100),
		numP("repl-backlog-size", "", mem, 1, llongMax, 1024*1024),

		// Unsigned long long.
		numP("maxmemory", "", mem|uns, 0, ullMax, 0),
		numP("cluster-link-sendbuf-limit", "", mem|uns, 0, ullMax, 0),

		// size_t (unsigned) and ssize_t.
		numP("hash-max-listpack-entries", "hash-max-ziplist-entries", uns, 0, longMax, 512),
		numP("set-max-intset-entries", "", uns, 0, longMax, 512),
		numP("zset-max-listpack-entries", "zset-max-ziplist-entries", uns, 0, longMax, 128),
		numP("active-defrag-ignore-bytes", "", uns|mem, 1, llongMax, 100<<20),
		numP("hash-max-listpack-value", "hash-max-ziplist-value", uns|mem, 0, longMax, 64),
		numP("stream-node-max-bytes", "", uns|mem, 0, longMax, 4096),
		numP("zset-max-listpack-value", "zset-max-ziplist-value", uns|mem, 0, longMax, 64),
		numP("hll-sparse-max-bytes", "", uns|mem, 0, longMax, 3000),
		numP("tracking-table-max-keys", "", uns, 0, longMax, 1000000),
		numP("client-query-buffer-limit", "", dbg|uns|mem, 1024*1024, longMax, 1024*1024*1024),
		numP("maxmemory-clients", "", mem|fPercent, -100, math.MaxInt64, 0),

		// time_t and off_t.
		numP("repl-backlog-ttl", "", 0, 0, longMax, 3600),
		numP("auto-aof-rewrite-min-size", "", mem, 0, llongMax, 64*1024*1024),
		numP("loading-process-events-interval-bytes", "", hid, 1024, intMax, 2*1024*1024),

		// TLS.
		numP("tls-port", "", 0, 0, 65535, 0),
		numP("tls-session-cache-size", "", 0, 0, intMax, 20*1024),
		numP("tls-session-cache-timeout", "", 0, 0, intMax, 300),
		boolP("tls-cluster", "", 0, false),
		boolP("tls-replication", "", 0, false),
		enumP("tls-auth-clients", "", 0, seq("no", "yes", "optional"), 1),
		boolP("tls-prefer-server-ciphers", "", 0, false),
		boolP("tls-session-caching", "", 0, true),
		strP("tls-cert-file", "", null, ""),
		strP("tls-key-file", "", null, ""),
		strP("tls-key-file-pass", "", null, ""),
		strP("tls-client-cert-file", "", null, ""),
		strP("tls-client-key-file", "", null, ""),
		strP("tls-client-key-file-pass", "", null, ""),
		strP("tls-dh-params-file", "", null, ""),
		strP("tls-ca-cert-file", "", null, ""),
		strP("tls-ca-cert-dir", "", null, ""),
		strP("tls-protocols", "", null, ""),
		strP("tls-ciphers", "", null, ""),
		strP("tls-ciphersuites", "", null, ""),

		// Parameters with their own syntax.
		specialP("dir", "", kindDir, fProtected|fDenyLoading),
		specialP("save", "", kindSave, fMultiArg),
		specialP("client-output-buffer-limit", "", kindObuf, fMultiArg),
		specialP("oom-score-adj-values", "", kindOOMValues, fMultiArg),
		specialP("notify-keyspace-events", "", kindNotify, 0),
		specialP("bind", "", kindBind, fMultiArg),
		specialP("replicaof", "slaveof", kindReplicaOf, imm|fMultiArg),
		specialP("latency-tracking-info-percentiles", "", kindPercentiles, fMultiArg),

		// Taconite extensions, not Redis parameters (see extensions): the
		// HTTP listener for /metrics, /ready and /health; port 0 is off,
		// and it listens on loopback unless told otherwise. Fixed at
		// startup, like the listeners of port and bind.
		numP("metrics-port", "", imm, 0, 65535, 0),
		strP("metrics-bind", "", imm, "127.0.0.1"),
	}
	for i := range ps {
		ps[i].impl = implemented[ps[i].name]
	}
	return ps
}

func withValid(p param, fn func(ctx validCtx, v value) string) param {
	p.valid = fn
	return p
}

func withPostSet(p param, fn func(v *value)) param {
	p.postSet = fn
	return p
}

// entry is one name CONFIG GET/SET accept: a primary name or an alias.
type entry struct {
	name  string
	idx   int // index into params
	alias bool
}

// byName maps lower-case names and aliases to their entry; sortedEntries
// is the same set in name order, the order glob matches are returned in.
var byName, sortedEntries = buildIndex()

func buildIndex() (map[string]entry, []entry) {
	m := make(map[string]entry, 2*len(params))
	var list []entry
	for i := range params {
		e := entry{name: params[i].name, idx: i}
		m[e.name] = e
		list = append(list, e)
		if a := params[i].alias; a != "" {
			e := entry{name: a, idx: i, alias: true}
			m[a] = e
			list = append(list, e)
		}
	}
	sort.Slice(list, func(a, b int) bool { return list[a].name < list[b].name })
	return m, list
}

// lookup finds a parameter by name or alias, case-insensitively.
func lookup(name string) (entry, bool) {
	if e, ok := byName[name]; ok {
		return e, true // the server's own lookups: lower case already
	}
	e, ok := byName[asciiLower(name)]
	return e, ok
}

// IsImplemented reports whether Taconite acts on the named parameter (name
// or alias, any case). Unknown names are not implemented.
func IsImplemented(name string) bool {
	e, ok := lookup(name)
	return ok && params[e.idx].impl
}

// IsSensitive reports whether the value of the named parameter must be
// redacted wherever a CONFIG SET is logged (slowlog, MONITOR, ...).
func IsSensitive(name string) bool {
	e, ok := lookup(name)
	return ok && params[e.idx].has(fSensitive)
}
