package server

// Commands of Lua scripting and functions: EVAL EVALSHA SCRIPT FUNCTION FCALL.
//
// Scripts run with every shard lock held (lockAll): they may touch keys
// they did not declare. redis.call runs the inner command's handler
// directly on a script client that shares the caller's Tx, so it neither
// takes locks again nor passes the gate.

import (
	"strings"
	"sync"
	"time"

	"github.com/taconite/taconite/internal/aof"
	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/glob"
	"github.com/taconite/taconite/internal/rerr"
	"github.com/taconite/taconite/internal/script"
)

// scriptEngine is one server's scripting state: the shared script cache
// and function libraries, and one runner per event loop.
type scriptEngine struct {
	e       *script.Engine
	mu      sync.Mutex
	runners map[*loop]*scriptRunner
}

// scriptRunner is a loop's Lua state and script client. A loop runs one
// command at a time, so a runner is never used by two scripts at once.
type scriptRunner struct {
	se     *scriptEngine
	st     *script.State
	sc     *client // the client inner commands run on
	caller *client
	ro     bool
	// oom: memory was over maxmemory when the script started (Redis's
	// pre_command_oom_state): its deny-oom calls are refused until it has
	// written something. allowOOM: the script's flags say allow-oom.
	oom, allowOOM bool
	dirtyAtStart  int64
}

func newScriptEngine() *scriptEngine {
	return &scriptEngine{e: script.NewEngine(), runners: make(map[*loop]*scriptRunner)}
}

func scriptHandlers() []handler {
	return []handler{
		{name: "eval", fn: func(c *client, argv [][]byte) { c.s.scripts.eval(c, argv, false, false) }, lockAll: true},
		{name: "evalsha", fn: func(c *client, argv [][]byte) { c.s.scripts.eval(c, argv, true, false) }, lockAll: true},
		{name: "eval_ro", fn: func(c *client, argv [][]byte) { c.s.scripts.eval(c, argv, false, true) }, lockAll: true},
		{name: "evalsha_ro", fn: func(c *client, argv [][]byte) { c.s.scripts.eval(c, argv, true, true) }, lockAll: true},
		{name: "script|load", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdScriptLoad(c, argv) }},
		{name: "script|exists", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdScriptExists(c, argv) }},
		{name: "script|flush", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdScriptFlush(c, argv) }},
		{name: "script|kill", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdScriptKill(c, argv) }},
		{name: "script|help", fn: cmdScriptHelp},
		{name: "fcall", fn: func(c *client, argv [][]byte) { c.s.scripts.fcall(c, argv, false) }, lockAll: true},
		{name: "fcall_ro", fn: func(c *client, argv [][]byte) { c.s.scripts.fcall(c, argv, true) }, lockAll: true},
		{name: "function|load", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdFunctionLoad(c, argv) }},
		{name: "function|list", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdFunctionList(c, argv) }},
		{name: "function|delete", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdFunctionDelete(c, argv) }},
		{name: "function|flush", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdFunctionFlush(c, argv) }},
		{name: "function|stats", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdFunctionStats(c, argv) }},
		{name: "function|kill", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdFunctionKill(c, argv) }},
		{name: "function|dump", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdFunctionDump(c, argv) }},
		{name: "function|restore", fn: func(c *client, argv [][]byte) { c.s.scripts.cmdFunctionRestore(c, argv) }},
		{name: "function|help", fn: cmdFunctionHelp},
	}
}

// scriptBusyError is the -BUSY text for cmd while a script has run past
// busy-reply-threshold, "" when cmd may run.
func (s *Server) scriptBusyError(cmd *command.Command) string {
	if cmd.Flags&command.FlagAllowBusy != 0 {
		return ""
	}
	return s.scripts.busyError(s)
}

// busyError is the BUSY text when the running script has passed the
// threshold.
func (se *scriptEngine) busyError(s *Server) string {
	r := se.e.Running()
	if r == nil {
		return ""
	}
	if time.Since(r.Start) < time.Duration(s.cfg.Int("busy-reply-threshold"))*time.Millisecond {
		return ""
	}
	if r.Function {
		return rerr.FunctionBusy
	}
	return rerr.ScriptBusy
}

// runner returns (creating it) the runner of c's loop.
func (se *scriptEngine) runner(c *client) *scriptRunner {
	se.mu.Lock()
	defer se.mu.Unlock()
	r := se.runners[c.loop]
	if r == nil {
		r = &scriptRunner{se: se, st: se.e.NewState()}
		// "?:0" is the address Redis gives its script client, which the
		// slow log shows for a script's slow redis.call.
		r.sc = &client{s: c.s, fd: -1, loop: c.loop, proto: 2, authed: true, noBlock: true, raddr: "?:0"}
		se.runners[c.loop] = r
	}
	return r
}

// parseNumKeys checks EVAL's numkeys against the arguments after it.
func parseNumKeys(c *client, arg []byte, rest int) (int, bool) {
	n, ok := parseInt(arg)
	if !ok {
		c.replyError(rerr.NotInt)
		return 0, false
	}
	if n < 0 {
		c.replyError(rerr.ScriptNumKeysNeg)
		return 0, false
	}
	if n > int64(rest) {
		c.replyError(rerr.ScriptNumKeysBig)
		return 0, false
	}
	return int(n), true
}

func (se *scriptEngine) eval(c *client, argv [][]byte, bySHA, ro bool) {
	nk, ok := parseNumKeys(c, argv[2], len(argv)-3)
	if !ok {
		return
	}
	var sc *script.Script
	if bySHA {
		sc = se.e.Lookup(argv[1])
		if sc == nil {
			c.replyError(rerr.NoScript)
			return
		}
	} else {
		var msg string
		sc, msg = se.e.Load(argv[1])
		if sc == nil {
			c.replyError(msg)
			return
		}
	}
	if sc.Flags&script.FlagNoWrites == 0 && sc.Flags&script.FlagShebang != 0 && ro {
		c.replyError(rerr.ScriptROWithWrite)
		return
	}
	if sc.Flags&script.FlagShebang != 0 && c.s.scriptOOMRefused(sc.Flags) {
		c.replyError(rerr.OOM)
		return
	}
	if sc.Flags&script.FlagNoWrites != 0 {
		ro = true
	}
	se.run(c, script.Call{Script: sc, Argv: argv, Keys: argv[3 : 3+nk], Args: argv[3+nk:], Proto: c.proto}, ro)
}

// run executes a script or function call for c and replies.
func (se *scriptEngine) run(c *client, call script.Call, ro bool) {
	r := se.runner(c)
	r.caller = c
	r.ro = ro
	r.oom = c.s.overMaxmemory()
	r.allowOOM = false
	if call.Script != nil {
		r.allowOOM = call.Script.Flags&script.FlagAllowOOM != 0
	} else if call.Function != nil {
		r.allowOOM = call.Function.Flags&script.FlagAllowOOM != 0
	}
	r.dirtyAtStart = r.sc.dirtyN
	// As in Redis, the client's current command is the script's while it
	// runs (ACL LOG's client info for a denied redis.call names it).
	if cmd := c.s.table.Lookup(call.Argv[0]); cmd != nil {
		c.lastCmd.Store(cmd)
	}
	sc := r.sc
	sc.db = c.db
	sc.authed = c.authed
	// The script's effects reach the AOF as one unit: into the caller's
	// transaction when EVAL runs inside EXEC, else as a MULTI/EXEC block.
	var props []aof.Cmd
	switch {
	case c.execProp != nil:
		sc.execProp = c.execProp
	case c.s.aofLog.Load() != nil:
		sc.execProp = &props
	}
	out, isErr := r.st.Run(c.scratch[:0], r, call)
	sc.execProp = nil
	if l := c.s.aofLog.Load(); l != nil && len(props) > 0 {
		l.AppendBlock(props[0].DB, props)
	}
	r.caller = nil
	if isErr {
		msg := string(out[1 : len(out)-2])
		c.replyError(msg)
	} else {
		c.replyRaw(out)
	}
	if cap(out) <= 64*1024 {
		c.scratch = out[:0]
	}
}

// Call runs one redis.call from the script: the checks Redis makes, then
// the handler on the script client.
func (r *scriptRunner) Call(dst []byte, argv [][]byte, proto int) []byte {
	c := r.caller
	s := c.s
	cmd := s.table.Lookup(argv[0])
	if cmd != nil && cmd.Subcommands != nil {
		if len(argv) < 2 {
			return appendErr(dst, rerr.ScriptWrongArgs)
		}
		cmd = cmd.Sub(argv[1])
	}
	if cmd == nil || s.handlers[cmd.ID] == nil {
		return appendErr(dst, rerr.ScriptUnknownCmd)
	}
	if !cmd.ArityOK(len(argv)) {
		return appendErr(dst, rerr.ScriptWrongArgs)
	}
	if cmd.Flags&command.FlagNoScript != 0 {
		return appendErr(dst, rerr.ScriptNotAllowed)
	}
	if msg := s.aclScriptDenied(c, cmd, argv); msg != "" {
		return appendErr(dst, msg)
	}
	write := cmd.Flags&command.FlagWrite != 0
	if write && r.ro {
		return appendErr(dst, rerr.ScriptROWrite)
	}
	// As Redis: over maxmemory when the script began, a deny-oom command
	// is refused until the script has written something.
	if r.oom && !r.allowOOM && cmd.Flags&command.FlagDenyOOM != 0 && r.sc.dirtyN == r.dirtyAtStart {
		return appendErr(dst, rerr.OOM)
	}
	sc := r.sc
	sc.tx = c.tx
	sc.tx.DB = sc.db
	sc.tx.Ready = nil
	sc.proto = proto
	sc.replyMode = replyOn
	sc.errored = false
	sc.out = dst
	if write {
		r.st.Wrote()
	}
	h := s.handlers[cmd.ID]
	if write || cmd.Flags&command.FlagMayReplicate != 0 {
		// A running snapshot keeps the old values of this call's keys
		// (the script itself asked for none: EVAL holds every shard).
		s.snapshotBeforeCommand(sc, h, argv, s.ks.AllShards())
	}
	before, outBefore := sc.dirtyN, len(sc.out)
	start := time.Now()
	h.fn(sc, argv)
	// WATCH, tracking and the AOF learn of the inner command's changes.
	s.afterCommand(sc, h, argv, before, outBefore)
	// As in Redis, the inner command counts as a command of its own
	// (commandstats, histogram, slow log, latency monitor).
	c.loop.stats.commands.Add(1)
	s.recordCall(c.loop, sc, cmd, argv, time.Since(start))
	// MONITOR shows it after the script's own line, as "[db lua]".
	if s.monitored(c) && feedsMonitorAfter(cmd) {
		s.feedMonitors(sc, "lua", cmd, argv)
	}
	c.tx.Ready = append(c.tx.Ready, sc.tx.Ready...)
	out := sc.out
	sc.out = nil
	return out
}

// ACLCheck is redis.acl_check_cmd, for the script's user.
func (r *scriptRunner) ACLCheck(argv [][]byte) (bool, string) {
	return r.caller.s.aclScriptCheck(r.caller, argv)
}

// Tick runs during a long script on the caller's loop: once the script
// has run past busy-reply-threshold, the loop's other clients are served
// (-BUSY, or the few commands allowed while busy) instead of waiting.
func (r *scriptRunner) Tick() {
	c := r.caller
	if c == nil || c.s.scripts.busyError(c.s) == "" {
		return
	}
	c.loop.serveWhileBusy(c)
}

// Log is redis.log.
func (r *scriptRunner) Log(level int, msg string) {
	s := r.sc.s
	switch level {
	case script.LogDebug:
		s.log.Debugf("%s", msg)
	case script.LogVerbose:
		s.log.Verbosef("%s", msg)
	case script.LogNotice:
		s.log.Noticef("%s", msg)
	default:
		s.log.Warningf("%s", msg)
	}
}

func appendErr(dst []byte, msg string) []byte {
	dst = append(dst, '-')
	dst = append(dst, msg...)
	return append(dst, '\r', '\n')
}

func (se *scriptEngine) cmdScriptLoad(c *client, argv [][]byte) {
	sc, msg := se.e.Load(argv[2])
	if sc == nil {
		c.replyError(msg)
		return
	}
	c.replyBulkString(sc.SHA)
}

func (se *scriptEngine) cmdScriptExists(c *client, argv [][]byte) {
	c.replyArrayLen(len(argv) - 2)
	for _, sha := range argv[2:] {
		if se.e.Exists(sha) {
			c.replyInt(1)
		} else {
			c.replyInt(0)
		}
	}
}

// flushMode checks the optional ASYNC|SYNC argument of the FLUSH
// subcommands.
func flushMode(argv [][]byte) bool {
	if len(argv) == 2 {
		return true
	}
	if len(argv) == 3 {
		m := strings.ToLower(string(argv[2]))
		return m == "async" || m == "sync"
	}
	return false
}

func (se *scriptEngine) cmdScriptFlush(c *client, argv [][]byte) {
	if !flushMode(argv) {
		c.replyError(rerr.ScriptFlushOption)
		return
	}
	se.e.Flush()
	c.replyOK()
}

// untilBusy waits, on a loop other than the script's, while a running
// script has not yet passed busy-reply-threshold: Redis, single-threaded,
// reads SCRIPT KILL and FUNCTION KILL only once the script is busy (or
// over), so a kill sent just after the script started must not find it
// before its first write. It polls as lockFor does.
func (se *scriptEngine) untilBusy(s *Server) {
	for se.e.Running() != nil && se.busyError(s) == "" {
		time.Sleep(100 * time.Microsecond)
	}
}

func (se *scriptEngine) cmdScriptKill(c *client, argv [][]byte) {
	se.untilBusy(c.s)
	if msg := se.e.Kill(false); msg != "" {
		c.replyError(msg)
		return
	}
	c.replyOK()
}

func cmdScriptHelp(c *client, argv [][]byte) {
	c.replyHelp("SCRIPT",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	)
}

func (se *scriptEngine) fcall(c *client, argv [][]byte, ro bool) {
	f := se.e.LookupFunction(argv[1])
	if f == nil {
		c.replyError(rerr.FunctionNotFound)
		return
	}
	n, ok := parseInt(argv[2])
	if !ok {
		c.replyError(rerr.FunctionBadNumKeys)
		return
	}
	if n > int64(len(argv)-3) {
		c.replyError(rerr.ScriptNumKeysBig)
		return
	}
	if n < 0 {
		c.replyError(rerr.ScriptNumKeysNeg)
		return
	}
	nk := int(n)
	if ro && f.Flags&script.FlagNoWrites == 0 {
		c.replyError(rerr.ScriptROWithWrite)
		return
	}
	if c.s.scriptOOMRefused(f.Flags) {
		c.replyError(rerr.OOM)
		return
	}
	if f.Flags&script.FlagNoWrites != 0 {
		ro = true
	}
	se.run(c, script.Call{Function: f, Argv: argv, Keys: argv[3 : 3+nk], Args: argv[3+nk:], Proto: c.proto}, ro)
}

func (se *scriptEngine) cmdFunctionLoad(c *client, argv [][]byte) {
	replace := false
	i := 2
	for ; i < len(argv)-1; i++ {
		if strings.EqualFold(string(argv[i]), "replace") {
			replace = true
			continue
		}
		c.replyError("ERR Unknown option given: " + string(argv[i]))
		return
	}
	if i != len(argv)-1 {
		c.replyError("ERR Function code is missing")
		return
	}
	name, msg := se.e.LoadLibrary(string(argv[i]), replace)
	if msg != "" {
		c.replyError(msg)
		return
	}
	c.dirty()
	c.replyBulkString(name)
}

func (se *scriptEngine) cmdFunctionList(c *client, argv [][]byte) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(argv); i++ {
		switch strings.ToLower(string(argv[i])) {
		case "withcode":
			withCode = true
		case "libraryname":
			if i+1 >= len(argv) {
				c.replyError("ERR library name argument was not given")
				return
			}
			i++
			pattern = argv[i]
		default:
			c.replyError("ERR Unknown argument " + string(argv[i]))
			return
		}
	}
	var libs []*script.Library
	for _, l := range se.e.Libraries() {
		if pattern == nil || glob.Match(pattern, []byte(l.Name)) {
			libs = append(libs, l)
		}
	}
	c.replyArrayLen(len(libs))
	for _, l := range libs {
		n := 3
		if withCode {
			n = 4
		}
		c.replyMapLen(n)
		c.replyBulkString("library_name")
		c.replyBulkString(l.Name)
		c.replyBulkString("engine")
		c.replyBulkString("LUA")
		c.replyBulkString("functions")
		c.replyArrayLen(len(l.Funcs))
		for _, f := range l.Funcs {
			c.replyMapLen(3)
			c.replyBulkString("name")
			c.replyBulkString(f.Name)
			c.replyBulkString("description")
			if f.HasDesc {
				c.replyBulkString(f.Desc)
			} else {
				c.replyNull()
			}
			c.replyBulkString("flags")
			flags := f.FlagNames()
			c.replySetLen(len(flags))
			for _, fl := range flags {
				c.replyStatus(fl)
			}
		}
		if withCode {
			c.replyBulkString("library_code")
			c.replyBulkString(l.Code)
		}
	}
}

func (se *scriptEngine) cmdFunctionDelete(c *client, argv [][]byte) {
	if !se.e.DeleteLibrary(string(argv[2])) {
		c.replyError(rerr.FunctionLibNotFound)
		return
	}
	c.dirty()
	c.replyOK()
}

func (se *scriptEngine) cmdFunctionFlush(c *client, argv [][]byte) {
	if !flushMode(argv) {
		c.replyError(rerr.FunctionFlushOption)
		return
	}
	se.e.FlushLibraries()
	c.dirty()
	c.replyOK()
}

func (se *scriptEngine) cmdFunctionStats(c *client, argv [][]byte) {
	c.replyMapLen(2)
	c.replyBulkString("running_script")
	if r := se.e.Running(); r != nil && r.Function {
		c.replyMapLen(3)
		c.replyBulkString("name")
		c.replyBulkString(r.Name)
		c.replyBulkString("command")
		c.replyArrayLen(len(r.Argv))
		for _, a := range r.Argv {
			c.replyBulkString(a)
		}
		c.replyBulkString("duration_ms")
		c.replyInt(time.Since(r.Start).Milliseconds())
	} else {
		c.replyNull()
	}
	c.replyBulkString("engines")
	c.replyMapLen(1)
	c.replyBulkString("LUA")
	c.replyMapLen(2)
	c.replyBulkString("libraries_count")
	c.replyInt(int64(len(se.e.Libraries())))
	c.replyBulkString("functions_count")
	c.replyInt(int64(se.e.FunctionCount()))
}

func (se *scriptEngine) cmdFunctionDump(c *client, argv [][]byte) {
	c.replyBulk(se.e.Dump())
}

func (se *scriptEngine) cmdFunctionRestore(c *client, argv [][]byte) {
	policy := "APPEND"
	if len(argv) > 4 {
		c.replyError(rerr.StreamSubcommandSyntax(argv[1], "FUNCTION"))
		return
	}
	if len(argv) == 4 {
		policy = string(argv[3])
	}
	if msg := se.e.Restore(argv[2], policy); msg != "" {
		c.replyError(msg)
		return
	}
	c.dirty()
	c.replyOK()
}

func (se *scriptEngine) cmdFunctionKill(c *client, argv [][]byte) {
	se.untilBusy(c.s)
	if msg := se.e.Kill(true); msg != "" {
		c.replyError(msg)
		return
	}
	c.replyOK()
}

func cmdFunctionHelp(c *client, argv [][]byte) {
	c.replyHelp("FUNCTION",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
	)
}

// scriptOOMRefused: a script or function with flags (a shebang, or
// registered ones) that may write and does not say allow-oom is refused
// as a whole while memory is over maxmemory, as Redis refuses a deny-oom
// command.
func (s *Server) scriptOOMRefused(flags int) bool {
	return flags&(script.FlagAllowOOM|script.FlagNoWrites) == 0 && s.overMaxmemory()
}
