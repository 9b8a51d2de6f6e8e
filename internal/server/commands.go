package server

// handlerTable binds every implemented command to its handler. The command
// table (internal/command) holds the metadata; a test checks each name here
// exists there. lockAll marks commands that see the whole keyspace.
func handlerTable() []handler {
	h := coreHandlers()
	h = append(h, hashHandlers()...)
	h = append(h, setHandlers()...)
	h = append(h, listHandlers()...)
	h = append(h, zsetHandlers()...)
	h = append(h, blockingHandlers()...)
	h = append(h, sortHandlers()...)
	h = append(h, bitmapHandlers()...)
	h = append(h, hllHandlers()...)
	h = append(h, geoHandlers()...)
	h = append(h, streamHandlers()...)
	h = append(h, scriptHandlers()...)
	h = append(h, txHandlers()...)
	h = append(h, pubsubHandlers()...)
	h = append(h, aclHandlers()...)
	h = append(h, persistHandlers()...)
	h = append(h, handler{name: "bgrewriteaof", fn: cmdBGRewriteAOF, lockAll: true})
	h = append(h, handler{name: "migrate", fn: cmdMigrate})
	return h
}

// coreHandlers are the commands of strings, keys, connections and the
// server.
func coreHandlers() []handler {
	return []handler{
		// connection
		{name: "ping", fn: cmdPing},
		{name: "echo", fn: cmdEcho},
		{name: "quit", fn: cmdQuit},
		{name: "reset", fn: cmdReset},
		{name: "hello", fn: cmdHello},
		{name: "auth", fn: cmdAuth},
		{name: "select", fn: cmdSelect},
		{name: "client|id", fn: cmdClientID},
		{name: "client|setname", fn: cmdClientSetName},
		{name: "client|getname", fn: cmdClientGetName},
		{name: "client|list", fn: cmdClientList},
		{name: "client|info", fn: cmdClientInfo},
		{name: "client|kill", fn: cmdClientKill},
		{name: "client|pause", fn: cmdClientPause},
		{name: "client|unpause", fn: cmdClientUnpause},
		{name: "client|reply", fn: cmdClientReply},
		{name: "client|no-evict", fn: cmdClientNoEvict},
		{name: "client|getredir", fn: cmdClientGetRedir},
		{name: "client|tracking", fn: cmdClientTracking},
		{name: "client|caching", fn: cmdClientCaching},
		{name: "client|trackinginfo", fn: cmdClientTrackingInfo},
		{name: "client|unblock", fn: cmdClientUnblock},
		{name: "client|help", fn: cmdClientHelp},

		// strings
		{name: "get", fn: cmdGet, shared: cmdGetShared},
		{name: "set", fn: cmdSet, shared: cmdSetShared},
		{name: "setnx", fn: cmdSetNX},
		{name: "setex", fn: cmdSetEX, shared: cmdSetEXShared},
		{name: "psetex", fn: cmdPSetEX, shared: cmdPSetEXShared},
		{name: "getset", fn: cmdGetSet},
		{name: "getdel", fn: cmdGetDel},
		{name: "getex", fn: cmdGetEx},
		{name: "mget", fn: cmdMGet},
		{name: "mset", fn: cmdMSet},
		{name: "msetnx", fn: cmdMSetNX},
		{name: "incr", fn: cmdIncr, shared: cmdIncrShared},
		{name: "decr", fn: cmdDecr, shared: cmdDecrShared},
		{name: "incrby", fn: cmdIncrBy, shared: cmdIncrByShared},
		{name: "decrby", fn: cmdDecrBy, shared: cmdDecrByShared},
		{name: "incrbyfloat", fn: cmdIncrByFloat},
		{name: "append", fn: cmdAppend},
		{name: "strlen", fn: cmdStrlen, shared: cmdStrlenShared},
		{name: "getrange", fn: cmdGetRange},
		{name: "substr", fn: cmdGetRange},
		{name: "setrange", fn: cmdSetRange},
		{name: "lcs", fn: cmdLCS},

		// generic keys and databases
		{name: "del", fn: cmdDel},
		{name: "unlink", fn: cmdDel},
		{name: "exists", fn: cmdExists, shared: cmdExistsShared},
		{name: "type", fn: cmdType, shared: cmdTypeShared},
		{name: "touch", fn: cmdTouch},
		{name: "rename", fn: cmdRename},
		{name: "renamenx", fn: cmdRenameNX},
		{name: "copy", fn: cmdCopy},
		{name: "move", fn: cmdMove},
		{name: "keys", fn: cmdKeys, lockAll: true},
		{name: "scan", fn: cmdScan, lockAll: true},
		{name: "randomkey", fn: cmdRandomKey, lockAll: true},
		{name: "dbsize", fn: cmdDBSize, lockAll: true},
		{name: "flushdb", fn: cmdFlushDB, lockAll: true},
		{name: "flushall", fn: cmdFlushAll, lockAll: true},
		{name: "swapdb", fn: cmdSwapDB, lockAll: true},
		{name: "expire", fn: cmdExpire},
		{name: "pexpire", fn: cmdPExpire},
		{name: "expireat", fn: cmdExpireAt},
		{name: "pexpireat", fn: cmdPExpireAt},
		{name: "ttl", fn: cmdTTL, shared: cmdTTLShared},
		{name: "pttl", fn: cmdPTTL, shared: cmdPTTLShared},
		{name: "expiretime", fn: cmdExpireTime, shared: cmdExpireTimeShared},
		{name: "pexpiretime", fn: cmdPExpireTime, shared: cmdPExpireTimeShared},
		{name: "persist", fn: cmdPersist},
		{name: "object|encoding", fn: cmdObjectEncoding},
		{name: "object|refcount", fn: cmdObjectRefcount},
		{name: "object|idletime", fn: cmdObjectIdletime},
		{name: "object|freq", fn: cmdObjectFreq},
		{name: "object|help", fn: cmdObjectHelp},

		// server
		{name: "info", fn: cmdInfo},
		{name: "time", fn: cmdTime},
		{name: "shutdown", fn: cmdShutdown},
		{name: "monitor", fn: cmdMonitor},
		{name: "wait", fn: cmdWait},
		{name: "module|list", fn: cmdModuleList},
		{name: "slowlog|get", fn: cmdSlowlogGet},
		{name: "slowlog|len", fn: cmdSlowlogLen},
		{name: "slowlog|reset", fn: cmdSlowlogReset},
		{name: "slowlog|help", fn: cmdSlowlogHelp},
		{name: "latency|latest", fn: cmdLatencyLatest},
		{name: "latency|history", fn: cmdLatencyHistory},
		{name: "latency|reset", fn: cmdLatencyReset},
		{name: "latency|doctor", fn: cmdLatencyDoctor},
		{name: "latency|graph", fn: cmdLatencyGraph},
		{name: "latency|help", fn: cmdLatencyHelp},
		{name: "latency|histogram", fn: cmdLatencyHistogram},
		{name: "memory|usage", fn: cmdMemoryUsage},
		{name: "memory|stats", fn: cmdMemoryStats},
		{name: "memory|doctor", fn: cmdMemoryDoctor},
		{name: "memory|malloc-stats", fn: cmdMemoryMallocStats},
		{name: "memory|purge", fn: cmdMemoryPurge},
		{name: "memory|help", fn: cmdMemoryHelp},
		{name: "debug", fn: cmdDebug, lockAll: true}, // DEBUG OBJECT has no key spec
		{name: "command", fn: cmdCommand},
		{name: "command|count", fn: cmdCommandCount},
		{name: "command|list", fn: cmdCommandList},
		{name: "command|info", fn: cmdCommandInfo},
		{name: "command|docs", fn: cmdCommandDocs},
		{name: "command|getkeys", fn: cmdCommandGetKeys},
		{name: "command|getkeysandflags", fn: cmdCommandGetKeysAndFlags},
		{name: "command|help", fn: cmdCommandHelp},
		{name: "config|get", fn: cmdConfigGet},
		{name: "config|set", fn: cmdConfigSet},
		{name: "config|resetstat", fn: cmdConfigResetStat},
		{name: "config|rewrite", fn: cmdConfigRewrite},
		{name: "config|help", fn: cmdConfigHelp},
	}
}
