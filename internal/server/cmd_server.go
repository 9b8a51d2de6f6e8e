package server

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
	"github.com/taconite/taconite/internal/resp"
)

// Server commands: TIME LASTSAVE SHUTDOWN MONITOR LATENCY MEMORY DEBUG
// MODULE WAIT OBJECT COMMAND CONFIG.

func cmdTime(c *client, argv [][]byte) {
	now := time.Now()
	c.replyArrayLen(2)
	c.replyBulkInt(now.Unix())
	c.replyBulkInt(int64(now.Nanosecond() / 1000))
}

func cmdShutdown(c *client, argv [][]byte) {
	for _, a := range argv[1:] {
		if !eq(a, "nosave") && !eq(a, "save") && !eq(a, "now") && !eq(a, "force") && !eq(a, "abort") {
			c.replyError(rerr.Syntax)
			return
		}
		if eq(a, "abort") {
			c.replyError("ERR No shutdown in progress.")
			return
		}
	}
	// The final save (persist.go) runs once the loops have stopped. Like
	// Redis, a successful SHUTDOWN sends no reply; the connection closes.
	mode := int32(0)
	for _, a := range argv[1:] {
		if eq(a, "save") {
			mode |= 1
		} else if eq(a, "nosave") {
			mode |= 2
		}
	}
	if mode == 3 {
		c.replyError(rerr.Syntax)
		return
	}
	c.s.persist.shutdownMode.Store(mode)
	c.closeAfter = true
	// A script still running (SHUTDOWN NOSAVE is allowed while busy) is
	// stopped, written or not, so its loop can wind down.
	c.s.scripts.e.Abort()
	c.s.Shutdown()
}

func cmdMonitor(c *client, argv [][]byte) {
	c.mu.Lock()
	already := c.monitor
	c.monitor = true
	c.mu.Unlock()
	if !already {
		c.s.mu.Lock()
		c.s.monitors[c.id] = c
		c.s.mu.Unlock()
		c.s.monitorCount.Add(1)
	}
	c.replyOK()
}

func (s *Server) removeMonitor(c *client) {
	s.mu.Lock()
	if _, ok := s.monitors[c.id]; ok {
		delete(s.monitors, c.id)
		s.monitorCount.Add(-1)
	}
	s.mu.Unlock()
}

// feedMonitors sends one command c ran to every MONITOR client but c,
// formatted as Redis 7.0 does:
//
//	+<unix seconds>.<microseconds> [<db> <addr>] "arg" "arg"…
//
// db is c's database once the command has run (SELECT shows the one it
// selected). addr is c's address, or "lua" for a command a script ran.
// Passwords are hidden as Redis hides them (redactArgs); cmd nil shows
// argv as it is. Callers check monitored first, so that nobody pays for
// this while nobody monitors.
func (s *Server) feedMonitors(c *client, addr string, cmd *command.Command, argv [][]byte) {
	if cmd != nil {
		argv = redactArgs(cmd, argv)
	}
	now := time.Now()
	n := 32 + len(addr)
	for _, a := range argv {
		n += len(a) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := now.Nanosecond() / 1000
	for d := 100000; d > 1; d /= 10 {
		if us < d {
			b = append(b, '0')
		}
	}
	b = strconv.AppendInt(b, int64(us), 10)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(c.db), 10)
	b = append(b, ' ')
	b = append(b, addr...)
	b = append(b, ']')
	for _, a := range argv {
		b = append(b, ' ')
		b = resp.AppendRepr(b, a)
	}
	b = append(b, '\r', '\n')
	// Server.mu is a leaf lock: the monitors are collected under it and
	// written to after it is released.
	var few [8]*client
	mons := few[:0]
	s.mu.Lock()
	for _, m := range s.monitors {
		if m != c {
			mons = append(mons, m)
		}
	}
	s.mu.Unlock()
	for _, m := range mons {
		m.push(b)
	}
}

func cmdWait(c *client, argv [][]byte) {
	if _, ok := c.argInt(argv[1]); !ok {
		return
	}
	if _, ok := c.argTimeoutMs(argv[2]); !ok {
		return
	}
	c.replyInt(0) // no replicas yet
}

func cmdModuleList(c *client, argv [][]byte) { c.replyArrayLen(0) }

// --- OBJECT ---

func (c *client) objectLookup(key []byte) (e keyspaceEntry, ok bool) {
	return c.tx.Peek(key)
}

func cmdObjectEncoding(c *client, argv [][]byte) {
	e, ok := c.objectLookup(argv[2])
	if !ok {
		c.replyNull()
		return
	}
	c.replyBulkString(encodingOf(e))
}

// encodingOf is OBJECT ENCODING's word for a value.
func encodingOf(e keyspaceEntry) string {
	if e.Kind() == keyspace.KindString {
		return keyspace.EncodingName(e.Flags())
	}
	if !e.IsObj() {
		// Small hashes and sorted sets are packed inline in the record.
		return "listpack"
	}
	if en, ok := e.Obj().(interface{ Encoding() string }); ok {
		return en.Encoding()
	}
	return "unknown"
}

func cmdObjectRefcount(c *client, argv [][]byte) {
	e, ok := c.objectLookup(argv[2])
	if !ok {
		c.replyNull()
		return
	}
	// Redis shares the objects of small integers (0..9999): it reports
	// them with the "shared" refcount INT_MAX.
	if e.Kind() == keyspace.KindString && e.Flags() == keyspace.EncInt {
		if v, _ := parseInt(e.Bytes()); v >= 0 && v < 10000 && !c.s.lruOrLFU() {
			c.replyInt(2147483647)
			return
		}
	}
	c.replyInt(1)
}

// lruOrLFU reports whether values need their own access clock: Redis
// stops sharing small integers only under an LRU or LFU policy with a
// maxmemory set.
func (s *Server) lruOrLFU() bool {
	p := s.cfg.String("maxmemory-policy")
	return s.evict.maxmemory.Load() != 0 && (strings.Contains(p, "lru") || strings.Contains(p, "lfu"))
}

func cmdObjectIdletime(c *client, argv [][]byte) {
	e, ok := c.objectLookup(argv[2])
	if !ok {
		c.replyNull()
		return
	}
	if c.s.ks.LFU() {
		c.replyError(rerr.LFUNoIdle)
		return
	}
	c.replyInt(keyspace.IdleSeconds(e.Access(), c.tx.Now))
}

func cmdObjectFreq(c *client, argv [][]byte) {
	e, ok := c.objectLookup(argv[2])
	if !ok {
		c.replyNull()
		return
	}
	if !c.s.ks.LFU() {
		c.replyError(rerr.NoLFU)
		return
	}
	c.replyInt(int64(c.s.ks.LFUCounter(e.Access(), c.tx.Now)))
}

func cmdObjectHelp(c *client, argv [][]byte) {
	c.replyHelp("OBJECT",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	)
}

// --- MEMORY ---

func cmdMemoryUsage(c *client, argv [][]byte) {
	if len(argv) > 3 {
		if len(argv) != 5 || !eq(argv[3], "samples") {
			c.replyError(rerr.Syntax)
			return
		}
		if _, ok := c.argInt(argv[4]); !ok {
			return
		}
	}
	e, ok := c.tx.GetW(argv[2])
	if !ok {
		c.replyNull()
		return
	}
	// Our record: key and value bytes plus the per-record header and its
	// share of the index.
	n := len(e.Key()) + 24
	if e.Obj() == nil {
		n += len(e.Bytes())
	} else if m, ok := e.Obj().(interface{ MemoryUsage() int }); ok {
		n += m.MemoryUsage()
	}
	c.replyInt(int64(n))
}

func cmdMemoryDoctor(c *client, argv [][]byte) {
	c.replyVerbatim("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.")
}

func cmdMemoryStats(c *client, argv [][]byte) {
	var b strings.Builder
	c.s.infoSection(&b, "memory")
	var keys []string
	var vals []string
	for _, line := range strings.Split(b.String(), "\r\n")[1:] {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			keys = append(keys, k)
			vals = append(vals, v)
		}
	}
	c.replyMapLen(len(keys))
	for i := range keys {
		c.replyBulkString(keys[i])
		if n, err := strconv.ParseInt(vals[i], 10, 64); err == nil {
			c.replyInt(n)
		} else {
			c.replyBulkString(vals[i])
		}
	}
}

func cmdMemoryMallocStats(c *client, argv [][]byte) {
	c.replyVerbatim("Stats not supported for the current allocator")
}

func cmdMemoryPurge(c *client, argv [][]byte) { c.replyOK() }

func cmdMemoryHelp(c *client, argv [][]byte) {
	c.replyHelp("MEMORY",
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	)
}

// --- LATENCY --- (the monitor's subcommands are in latency_monitor.go)

func cmdLatencyHelp(c *client, argv [][]byte) {
	c.replyHelp("LATENCY",
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	)
}

// --- DEBUG ---

// debugAllowed applies enable-debug-command: no, yes, or local (loopback
// connections only).
func (c *client) debugAllowed() bool {
	switch c.s.cfg.String("enable-debug-command") {
	case "yes":
		return true
	case "local":
		if host, _, err := net.SplitHostPort(c.raddr); err == nil {
			if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
				return true
			}
		}
	}
	c.replyError(rerr.DebugDisabled)
	return false
}

func cmdDebug(c *client, argv [][]byte) {
	if !c.debugAllowed() {
		return
	}
	sub := argv[1]
	switch {
	case eq(sub, "sleep") && len(argv) == 3:
		f, ok := parseFloat(argv[2])
		if !ok {
			c.replyError(rerr.NotFloat)
			return
		}
		time.Sleep(time.Duration(f * float64(time.Second)))
		c.replyOK()
	case eq(sub, "set-active-expire") && len(argv) == 3:
		n, ok := c.argInt(argv[2])
		if !ok {
			return
		}
		c.s.debugNoActiveExpire.Store(n == 0)
		c.replyOK()
	case eq(sub, "object") && len(argv) == 3:
		e, ok := c.tx.Peek(argv[2])
		if !ok {
			c.replyError(rerr.NoSuchKey)
			return
		}
		enc := encodingOf(e)
		ser := len(e.Bytes())
		idle := keyspace.IdleSeconds(e.Access(), c.tx.Now)
		c.replyStatus(fmt.Sprintf("Value at:0x0 refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d", enc, ser, e.Access()&(1<<24-1), idle))
	case eq(sub, "reload"):
		c.debugReload() // persist.go / cmd_persist.go
	case eq(sub, "populate") && len(argv) >= 3 && len(argv) <= 5:
		c.debugPopulate(argv[2:])
	case eq(sub, "help"):
		c.replyHelp("DEBUG",
			"OBJECT <key>",
			"    Show low level info about the `key` and associated value.",
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
			"    default.",
			"SLEEP <seconds>",
			"    Stop the server for <seconds>. Decimals allowed.",
		)
	default:
		c.replyError(rerr.Clean(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP.", sub)))
	}
}

// --- COMMAND ---

// allCommands lists the implemented commands, top level and subcommands.
func (s *Server) allCommands() []*command.Command {
	var out []*command.Command
	for _, h := range s.handlers {
		if h != nil {
			out = append(out, h.cmd)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FullName() < out[j].FullName() })
	return out
}

// implemented reports whether a top-level command has a handler (itself or
// any subcommand).
func (s *Server) implemented(cmd *command.Command) bool {
	if s.handlers[cmd.ID] != nil {
		return true
	}
	for _, sub := range cmd.Subcommands {
		if s.handlers[sub.ID] != nil {
			return true
		}
	}
	return false
}

func (s *Server) topCommands() []*command.Command {
	var out []*command.Command
	for _, cmd := range s.table.All() {
		if s.implemented(cmd) {
			out = append(out, cmd)
		}
	}
	return out
}

func cmdCommand(c *client, argv [][]byte) {
	cmds := c.s.topCommands()
	c.replyArrayLen(len(cmds))
	for _, cmd := range cmds {
		c.appendInfo(cmd)
	}
}

func (c *client) appendInfo(cmd *command.Command) {
	if !c.muted() {
		c.out = command.AppendInfo(c.out, cmd, c.proto)
	}
}

func cmdCommandHelp(c *client, argv [][]byte) {
	c.replyHelp("COMMAND",
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
	)
}

func cmdCommandCount(c *client, argv [][]byte) { c.replyInt(int64(len(c.s.topCommands()))) }

func cmdCommandList(c *client, argv [][]byte) {
	var pattern, acl, module []byte
	if len(argv) > 2 {
		if len(argv) != 5 || !eq(argv[2], "filterby") {
			c.replyError(rerr.Syntax)
			return
		}
		switch {
		case eq(argv[3], "pattern"):
			pattern = argv[4]
		case eq(argv[3], "aclcat"):
			acl = argv[4]
		case eq(argv[3], "module"):
			module = argv[4]
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	var names []string
	for _, cmd := range c.s.topCommands() {
		cands := []*command.Command{cmd}
		for _, sub := range cmd.Subcommands {
			if c.s.handlers[sub.ID] != nil {
				cands = append(cands, sub)
			}
		}
		for _, x := range cands {
			switch {
			case module != nil:
				continue
			case pattern != nil && !globMatchFold(pattern, []byte(x.FullName())):
				continue
			case acl != nil && !hasCategory(x, string(acl)):
				continue
			}
			names = append(names, x.FullName())
		}
	}
	c.replyStrings(names)
}

func cmdCommandInfo(c *client, argv [][]byte) {
	if len(argv) == 2 {
		cmdCommand(c, argv)
		return
	}
	c.replyArrayLen(len(argv) - 2)
	for _, name := range argv[2:] {
		cmd := c.s.lookupByFullName(name)
		if cmd == nil {
			c.replyNull()
			continue
		}
		c.appendInfo(cmd)
	}
}

// lookupByFullName finds "get" or "config|get" (as COMMAND INFO takes).
func (s *Server) lookupByFullName(name []byte) *command.Command {
	cmd := s.lookupFullName(strings.ToLower(string(name)))
	if cmd == nil || !s.implemented(cmd) {
		return nil
	}
	return cmd
}

func cmdCommandDocs(c *client, argv [][]byte) {
	var cmds []*command.Command
	if len(argv) == 2 {
		cmds = c.s.topCommands()
	} else {
		for _, name := range argv[2:] {
			if cmd := c.s.lookupByFullName(name); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.replyMapLen(len(cmds))
	for _, cmd := range cmds {
		c.replyBulkString(cmd.FullName())
		if !c.muted() {
			c.out = command.AppendDocs(c.out, cmd, c.proto)
		}
	}
}

func cmdCommandGetKeys(c *client, argv [][]byte)         { c.commandGetKeys(argv, false) }
func cmdCommandGetKeysAndFlags(c *client, argv [][]byte) { c.commandGetKeys(argv, true) }

func (c *client) commandGetKeys(argv [][]byte, withFlags bool) {
	args := argv[2:]
	cmd := c.s.table.Lookup(args[0])
	if cmd != nil && cmd.Subcommands != nil && len(args) >= 2 {
		cmd = cmd.Sub(args[1])
	}
	if cmd == nil {
		c.replyError(rerr.GetKeysInvalid)
		return
	}
	if !cmd.ArityOK(len(args)) {
		c.replyError(rerr.GetKeysArgs)
		return
	}
	if withFlags {
		refs, err := cmd.KeyIndexesWithFlags(args, nil)
		if err != nil || len(refs) == 0 {
			if err != nil {
				c.replyError(rerr.GetKeysArgs)
			} else {
				c.replyError(rerr.GetKeysNoKeys)
			}
			return
		}
		c.replyArrayLen(len(refs))
		for _, r := range refs {
			c.replyArrayLen(2)
			c.replyBulk(args[r.Index])
			c.replySetLen(len(r.Flags))
			for _, f := range r.Flags {
				c.replyStatus(f)
			}
		}
		return
	}
	idx, err := cmd.KeyIndexes(args, nil)
	if err != nil {
		c.replyError(rerr.GetKeysArgs)
		return
	}
	if len(idx) == 0 {
		c.replyError(rerr.GetKeysNoKeys)
		return
	}
	c.replyArrayLen(len(idx))
	for _, i := range idx {
		c.replyBulk(args[i])
	}
}

// --- CONFIG ---

func cmdConfigGet(c *client, argv [][]byte) {
	pats := make([]string, 0, len(argv)-2)
	for _, a := range argv[2:] {
		pats = append(pats, string(a))
	}
	kv := c.s.cfg.Get(pats...)
	c.replyMapLen(len(kv) / 2)
	for _, s := range kv {
		c.replyBulkString(s)
	}
}

func cmdConfigSet(c *client, argv [][]byte) {
	if len(argv)%2 != 0 {
		c.replyError(rerr.Syntax)
		return
	}
	pairs := make([]string, 0, len(argv)-2)
	for _, a := range argv[2:] {
		pairs = append(pairs, string(a))
	}
	if err := c.s.cfg.Set(pairs...); err != nil {
		c.replyError(err.Error())
		return
	}
	for i := 0; i < len(pairs); i += 2 {
		if !configImplemented(pairs[i]) {
			c.s.log.Warningf("CONFIG SET %s: accepted, but Taconite does not implement this parameter yet", pairs[i])
		}
	}
	c.replyOK()
}

func cmdConfigResetStat(c *client, argv [][]byte) {
	s := c.s
	for _, l := range s.loops {
		for i := range l.stats.cmd {
			st := &l.stats.cmd[i]
			st.calls.Store(0)
			st.usec.Store(0)
			st.rejected.Store(0)
			st.failed.Store(0)
			st.hist.reset()
		}
		l.stats.commands.Store(0)
		l.stats.netIn.Store(0)
		l.stats.netOut.Store(0)
	}
	s.errStats.mu.Lock()
	s.errStats.m = make(map[string]int64)
	s.errStats.mu.Unlock()
	s.stats.connections.Store(0)
	s.stats.rejectedConns.Store(0)
	s.stats.unexpectedError.Store(0)
	s.ks.ResetStats()
	c.replyOK()
}

func cmdConfigRewrite(c *client, argv [][]byte) {
	if err := c.s.cfg.Rewrite(); err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "ERR ") {
			msg = "ERR Rewriting config file: " + msg
		}
		c.replyError(rerr.Clean(msg))
		return
	}
	c.s.log.Noticef("CONFIG REWRITE executed with success.")
	c.replyOK()
}

func cmdConfigHelp(c *client, argv [][]byte) {
	c.replyHelp("CONFIG",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	)
}

// randN is a uniform random number below n, for RANDOMKEY and sampling.
func (s *Server) randN(n uint64) uint64 { return rand.Uint64N(n) }

// debugPopulate is DEBUG POPULATE count [prefix] [size]: keys prefix:N
// (prefix "key") holding "value:N", or that cut or zero-padded to size
// bytes, skipping keys that exist, as Redis. DEBUG holds every shard.
func (c *client) debugPopulate(args [][]byte) {
	count, err := strconv.ParseInt(string(args[0]), 10, 64)
	if err != nil || count < 0 {
		c.replyError(rerr.SetNotPositive)
		return
	}
	prefix := []byte("key")
	if len(args) >= 2 {
		prefix = args[1]
	}
	size := int64(-1)
	if len(args) == 3 {
		if size, err = strconv.ParseInt(string(args[2]), 10, 64); err != nil || size < 0 || size > 512<<20 {
			c.replyError(rerr.SetNotPositive)
			return
		}
	}
	for j := int64(0); j < count; j++ {
		// A fresh key each time: the keyspace keeps the slice it is given.
		key := strconv.AppendInt(append(append(make([]byte, 0, len(prefix)+21), prefix...), ':'), j, 10)
		if c.tx.Exists(key) {
			continue
		}
		v := strconv.AppendInt([]byte("value:"), j, 10)
		if size >= 0 {
			val := make([]byte, size)
			copy(val, v)
			v = val
		}
		c.tx.SetString(key, v, 0)
		c.dirty()
	}
	c.replyOK()
}
