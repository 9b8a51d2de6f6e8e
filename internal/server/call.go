package server

import (
	"fmt"
	"math/bits"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/rerr"
)

// handler binds a command (or subcommand) to its implementation.
type handler struct {
	name string // full name: "get", "config|get"
	fn   func(c *client, argv [][]byte)
	// shared, when set, runs the command with its one key's shard taken
	// in shared mode (see execShared); it returns false, having done
	// nothing, when the command must run exclusively through fn instead.
	shared func(c *client, argv [][]byte) bool
	// lockAll: the command sees the whole keyspace (KEYS, SCAN, FLUSHDB…)
	// and takes every shard lock instead of those of its keys.
	lockAll bool
	// noKeyspace: the command never touches data; no locks at all even if
	// the table lists keys (none today, reserved).
	cmd *command.Command
}

type cmdStat struct {
	calls    atomic.Int64
	usec     atomic.Int64
	rejected atomic.Int64
	failed   atomic.Int64
	hist     latencyHist // LATENCY HISTOGRAM, INFO latencystats
}

type errStats struct {
	mu sync.Mutex
	m  map[string]int64 // error code ("ERR", "WRONGTYPE") -> count
}

func (e *errStats) add(msg string) {
	code, _, _ := strings.Cut(msg, " ")
	e.mu.Lock()
	e.m[code]++
	e.mu.Unlock()
}

// dispatch is the one gate every command passes, in Redis's order: lookup,
// arity, authentication, then execution under the shard locks of its keys.
// It returns false, having done nothing, when CLIENT PAUSE holds the
// command back; the caller keeps it and retries when the pause ends.
func (s *Server) dispatch(c *client, argv [][]byte) bool {
	if c.replyMode == replySkipNext {
		c.replyMode = replySkipThis
	}
	// Not a defer: with this many returns the compiler does not open-code
	// a deferred call, and the runtime's defer cost 2% of a cheap
	// command's server CPU.
	done := s.dispatchCommand(c, argv)
	if c.replyMode == replySkipThis {
		c.replyMode = replyOn
	}
	return done
}

// dispatchCommand is dispatch without CLIENT REPLY SKIP's bookkeeping.
func (s *Server) dispatchCommand(c *client, argv [][]byte) bool {
	l := c.loop
	c.lastIO.Store(l.nowNs / 1e6)
	cmd := c.lookupCommand(s.table, argv[0])
	var h *handler
	if cmd != nil && cmd.Subcommands != nil && len(argv) < 2 {
		// A container alone ("CONFIG"): its own arity (-2) fails.
		c.replyRejected(cmd, rerr.WrongArity(cmd.FullName()))
		return true
	}
	if cmd != nil {
		if cmd.Subcommands != nil && len(argv) >= 2 {
			sub := cmd.Sub(argv[1])
			if sub == nil {
				c.replyRejected(nil, rerr.UnknownSubcommand(argv[1], string(argv[0])))
				return true
			}
			cmd = sub
		}
		h = s.handlers[cmd.ID]
	}
	if h == nil {
		// Unknown, or known to Redis but not implemented by Taconite: both
		// answer as Redis does for a command it does not have.
		if cmd != nil && cmd.Parent != nil {
			c.replyRejected(nil, rerr.UnknownSubcommand(argv[1], string(argv[0])))
			return true
		}
		c.replyRejected(nil, rerr.UnknownCommand(argv[0], argv[1:]))
		return true
	}
	if !cmd.ArityOK(len(argv)) {
		c.replyRejected(cmd, rerr.WrongArity(cmd.FullName()))
		return true
	}
	if !c.authed && cmd.Flags&command.FlagNoAuth == 0 {
		c.replyRejected(cmd, rerr.NoAuth)
		return true
	}
	if l.busy && cmd.Flags&command.FlagAllowBusy == 0 {
		if msg := s.scripts.busyError(s); msg != "" {
			c.replyRejected(cmd, msg)
			return true
		}
	}
	if msg := s.aclDenied(c, cmd, argv); msg != "" {
		c.replyRejected(cmd, msg)
		return true
	}
	if msg := s.evictBeforeCommand(c, cmd); msg != "" {
		c.replyRejected(cmd, msg)
		return true
	}
	if !s.persist.lastBgOK.Load() && (cmd.Flags&command.FlagWrite != 0 || cmd.Name == "ping" ||
		(cmd.Name == "exec" && c.multi != nil && c.multi.flags&command.FlagWrite != 0)) {
		// As Redis: a failed background save with save points set stops
		// writes (and, oddly but so, PING) until a save succeeds.
		if msg := s.rdbWriteRefusal(); msg != "" {
			c.replyRejected(cmd, msg)
			return true
		}
	}
	if s.persist.loading.Load() && cmd.Flags&command.FlagLoading == 0 && c.id != -1 {
		c.replyRejected(cmd, rerr.Loading)
		return true
	}
	if c.subscribed() && c.proto == 2 && !allowedSubscribed(cmd) {
		c.replyRejected(cmd, rerr.SubscribedContext(cmd.FullName()))
		return true
	}
	if c.multi != nil && cmd.Flags&command.FlagNoMulti != 0 {
		c.replyRejected(cmd, rerr.NotAllowedInMulti)
		return true
	}
	if s.pauseHolds(cmd, c.multi) {
		if c.replyMode == replySkipThis {
			c.replyMode = replySkipNext
		}
		return false
	}
	var mask uint64
	hint := -1 // the position of a single key, whose shard the Tx need not compute again
	if h.lockAll {
		mask = s.ks.AllShards()
	} else {
		idx, err := cmd.KeyIndexes(argv, c.keyIdx[:0])
		if err == nil {
			for _, i := range idx {
				mask |= 1 << uint(s.ks.ShardOf(argv[i]))
			}
			if len(idx) == 1 {
				hint = idx[0]
			}
		}
		c.keyIdx = idx[:0]
	}
	if c.multi != nil && !runsInMulti(cmd) {
		c.queue(h, cmd, argv, mask, hint)
		return true
	}
	l.stats.commands.Add(1)
	c.errored = false
	start := l.mark
	s.exec(c, h, argv, mask, hint, (l.nowNs+int64(start))/1e6)
	if len(c.tx.Ready) > 0 {
		s.wakeReady(c.tx.Ready, l)
		c.tx.Ready = c.tx.Ready[:0]
	}
	l.mark = time.Since(l.now)
	dur := l.mark - start
	s.recordCall(l, c, cmd, argv, dur)
	c.lastCmd.Store(cmd)
	return true
}

// lookupCommand is s.table.Lookup, remembering the client's last name:
// a connection mostly sends the same few commands, often the same one many
// times in a row, and comparing the bytes costs less than the lookup.
func (c *client) lookupCommand(t *command.Table, name []byte) *command.Command {
	k := &c.lastLookup
	if k.cmd != nil && string(name) == string(k.name[:k.n]) {
		return k.cmd
	}
	cmd := t.Lookup(name)
	if cmd != nil && len(name) <= len(k.name) {
		k.n = copy(k.name[:], name)
		k.cmd = cmd
	}
	return cmd
}

// recordCall accounts for one run of cmd by c that took dur: INFO
// commandstats, LATENCY HISTOGRAM, the slow log and, past
// latency-monitor-threshold, the latency monitor. As in Redis, the
// commands EXEC and scripts run pass here too, each on its own. A monitor
// that is off costs one compare.
func (s *Server) recordCall(l *loop, c *client, cmd *command.Command, argv [][]byte, dur time.Duration) {
	st := &l.stats.cmd[cmd.ID]
	st.calls.Add(1)
	st.usec.Add(dur.Microseconds())
	st.hist.record(s, dur)
	if c.errored {
		st.failed.Add(1)
	}
	if cmd.Flags&command.FlagSkipSlowlog == 0 {
		// The threshold is checked here first so that only a command the
		// slow log keeps pays for hiding its passwords.
		if limit := s.slowlogSlower.Load(); limit >= 0 && dur.Microseconds() >= limit {
			s.slowlog.maybeAdd(s, c, redactArgs(cmd, argv), dur)
		}
	}
	if int64(dur) >= s.latencyMon.threshold.Load() {
		s.latencyAdd(commandLatencyEvent(cmd), dur)
	}
}

// exec runs a handler with its shard locks held, at the instant nowMs
// (Unix milliseconds); hint is the position in argv of the command's only
// key, or -1. A panic in a handler is a bug: it is logged with its stack,
// the client gets an error, the locks are released and the server keeps
// serving.
func (s *Server) exec(c *client, h *handler, argv [][]byte, mask uint64, hint int, nowMs int64) {
	if c.loop.busy {
		// The loop serves clients from inside a long script, which holds
		// every shard lock on this goroutine: only commands allowed while
		// busy get here, and they run under the script's locks.
		s.ks.BeginAt(&c.tx, c.db, s.ks.AllShards(), nowMs)
		h.fn(c, argv)
		if s.monitored(c) && feedsMonitorAfter(h.cmd) {
			s.feedMonitors(c, c.raddr, h.cmd, argv)
		}
		return
	}
	if h.shared != nil && hint >= 0 && c.loop.lane >= 0 {
		shard := bits.TrailingZeros64(mask)
		if s.ks.LockShared(c.loop.lane, shard) && s.execShared(c, h, argv, hint, shard, nowMs) {
			return
		}
	}
	if !s.lockFor(c, h, mask) {
		return
	}
	defer func() {
		s.ks.Unlock(mask)
		if r := recover(); r != nil {
			s.commandPanicked(c, h, r)
		}
	}()
	s.ks.BeginAt(&c.tx, c.db, mask, nowMs)
	if h.cmd.Flags&(command.FlagWrite|command.FlagMayReplicate) != 0 {
		// A running snapshot keeps the old values first (persist.go).
		s.snapshotBeforeCommand(c, h, argv, mask)
	}
	if hint >= 0 {
		// One key: the mask has exactly its shard's bit.
		c.tx.HintShard(argv[hint], bits.TrailingZeros64(mask))
	}
	before, outBefore := c.dirtyN, len(c.out)
	mon := s.monitored(c)
	if mon && feedsMonitorBefore(h.cmd) {
		s.feedMonitors(c, c.raddr, h.cmd, argv)
	}
	h.fn(c, argv)
	s.afterCommand(c, h, argv, before, outBefore)
	// Still under the command's locks, so that MONITOR shows commands on
	// the same keys in the order they ran. EXEC feeds its own line: it
	// runs its queue under locks of its own, released by now.
	if mon && feedsMonitorAfter(h.cmd) && h.cmd.Name != "exec" {
		s.feedMonitors(c, c.raddr, h.cmd, argv)
	}
}

// execShared runs a one-key command in shared mode (keyspace/shared.go):
// the key's shard is taken that way already; execShared gives it back.
// It reports false, having changed nothing, when the command must run
// exclusively: when h.shared says so, and whenever something must hear
// of the command while it holds its key, which shared mode does not
// order (WATCH, client tracking, keyspace events, MONITOR). Those are
// checked once the shard is taken: whoever turned one on under the
// shard's exclusive lock is then visible here.
func (s *Server) execShared(c *client, h *handler, argv [][]byte, hint, shard int, nowMs int64) (done bool) {
	s.ks.BeginShared(&c.tx, c.loop.lane, c.db, shard, nowMs)
	if s.watches.n.Load() != 0 || s.tracking.clients.Load() != 0 || s.notifyFlags.Load() != 0 || s.monitorCount.Load() != 0 {
		s.ks.UnlockShared(&c.tx)
		return false
	}
	defer func() {
		s.ks.UnlockShared(&c.tx)
		if r := recover(); r != nil {
			done = true
			s.commandPanicked(c, h, r)
		}
	}()
	c.tx.HintShard(argv[hint], shard)
	before, outBefore := c.dirtyN, len(c.out)
	if !h.shared(c, argv) {
		return false
	}
	s.afterCommand(c, h, argv, before, outBefore)
	return true
}

// commandPanicked handles a panic r recovered from h's handler, once its
// locks are released: a bug, logged with its stack; the client gets an
// error and the server keeps serving.
func (s *Server) commandPanicked(c *client, h *handler, r any) {
	s.stats.unexpectedError.Add(1)
	s.log.Warningf("Panic in command '%s': %v\n%s", h.name, r, debug.Stack())
	c.replyError(fmt.Sprintf("ERR internal error in '%s'", h.name))
}

// monitored reports whether what c runs now goes to MONITOR clients. As
// in Redis, nothing does while the AOF loads (its replay client, id -1),
// and a blocked command run again once its keys are ready was shown when
// it first ran. With nobody monitoring it costs one atomic load.
func (s *Server) monitored(c *client) bool {
	return s.monitorCount.Load() > 0 && c.id != -1 && c.retryWait == nil
}

// feedsMonitorBefore reports whether cmd goes to MONITOR before it runs:
// the script commands (EVAL, EVALSHA, FCALL and their _RO forms, the only
// ones flagged skip_monitor) are shown first, as in Redis, so that the
// commands the script runs follow them.
func feedsMonitorBefore(cmd *command.Command) bool {
	return cmd.Flags&command.FlagSkipMonitor != 0
}

// feedsMonitorAfter reports whether cmd goes to MONITOR once it has run:
// every command but the script commands (shown before) and the admin ones
// (CONFIG, DEBUG, MONITOR…), which Redis never shows.
func feedsMonitorAfter(cmd *command.Command) bool {
	return cmd.Flags&(command.FlagSkipMonitor|command.FlagAdmin) == 0
}

// redactArgs returns argv as MONITOR and the slow log show it: with the
// passwords (and usernames) Redis 7.0 replaces by "(redacted)" hidden, in
// a copy. Redis hides an argument once the command's own parsing reaches
// it, so an argument after a syntax error stays visible; this follows the
// same parsing. One difference: when a HELLO with several AUTH options
// fails authentication, Redis stops at the failing one and leaves the
// later ones visible, while here every AUTH pair is hidden (which one
// failed is not known after the fact).
func redactArgs(cmd *command.Command, argv [][]byte) [][]byte {
	var hide []int
	switch cmd.Name {
	case "auth":
		// AUTH [username] password: more arguments are a syntax error,
		// refused before anything is hidden.
		if len(argv) <= 3 {
			for i := 1; i < len(argv); i++ {
				hide = append(hide, i)
			}
		}
	case "hello":
		hide = helloSecrets(argv)
	case "migrate":
		hide = migrateSecrets(argv)
	case "config|set":
		// Every sensitive parameter's value, even past an unknown or
		// refused one; an odd count is refused before.
		if len(argv) >= 4 && len(argv)%2 == 0 {
			for i := 2; i+1 < len(argv); i += 2 {
				if config.IsSensitive(string(argv[i])) {
					hide = append(hide, i+1)
				}
			}
		}
	}
	if len(hide) == 0 {
		return argv
	}
	out := append([][]byte(nil), argv...)
	for _, i := range hide {
		out[i] = []byte(redacted)
	}
	return out
}

// redacted replaces a hidden argument.
const redacted = "(redacted)"

// helloSecrets lists the arguments of HELLO's AUTH options, walking the
// options as HELLO does until one is malformed.
func helloSecrets(argv [][]byte) []int {
	if len(argv) < 2 {
		return nil
	}
	if v, ok := parseInt(argv[1]); !ok || v < 2 || v > 3 {
		return nil
	}
	var hide []int
	for j := 2; j < len(argv); j++ {
		more := len(argv) - j - 1
		switch {
		case eq(argv[j], "auth") && more >= 2:
			hide = append(hide, j+1, j+2)
			j += 2
		case eq(argv[j], "setname") && more >= 1 && validClientName(argv[j+1]):
			j++
		default:
			return hide
		}
	}
	return hide
}

// migrateSecrets lists the arguments of MIGRATE's AUTH and AUTH2 options,
// walking the options as MIGRATE does until KEYS or a malformed one.
func migrateSecrets(argv [][]byte) []int {
	var hide []int
	for j := 6; j < len(argv); j++ {
		more := len(argv) - j - 1
		switch {
		case eq(argv[j], "copy"), eq(argv[j], "replace"):
		case eq(argv[j], "auth") && more >= 1:
			hide = append(hide, j+1)
			j++
		case eq(argv[j], "auth2") && more >= 2:
			hide = append(hide, j+1, j+2)
			j += 2
		default:
			return hide
		}
	}
	return hide
}

// afterCommand does, still under the command's shard locks, what must
// not be separated from the command by another client's: tell WATCHers
// and tracking clients of the keys it changed (a concurrent EXEC must see
// the change), remember the keys a tracking client read.
func (s *Server) afterCommand(c *client, h *handler, argv [][]byte, dirtyBefore int64, outBefore int) {
	if c.dirtyN != dirtyBefore {
		s.keysModified(c, h.cmd, argv)
		if s.aofLog.Load() != nil && h.cmd.Name != "exec" {
			s.propagate(c, h.cmd, argv, outBefore)
		}
	}
	if c.trk.on {
		if h.cmd.Flags&command.FlagReadonly != 0 {
			s.trackRead(c, h.cmd, argv)
		}
		// As Redis, CLIENT CACHING's effect survives CLIENT commands and
		// the commands queued inside MULTI.
		if c.trk.caching && c.multi == nil && !c.noBlock && (h.cmd.Parent == nil || h.cmd.Parent.Name != "client") {
			c.endCaching()
		}
	}
}

// lockFor takes the shard locks of a command. While a script runs (holding
// every lock) it polls instead of waiting, so that once the script passes
// busy-reply-threshold the command is answered -BUSY; it then returns
// false, having replied.
func (s *Server) lockFor(c *client, h *handler, mask uint64) bool {
	if s.ks.TryLock(mask) {
		return true
	}
	for {
		if s.scripts.e.Running() == nil {
			s.ks.Lock(mask)
			return true
		}
		if msg := s.scriptBusyError(h.cmd); msg != "" {
			c.replyRejected(h.cmd, msg)
			return false
		}
		time.Sleep(100 * time.Microsecond)
		if s.ks.TryLock(mask) {
			return true
		}
	}
}

// replyRejected answers a command refused before execution. Inside MULTI
// the refusal dooms the transaction.
func (c *client) replyRejected(cmd *command.Command, msg string) {
	if cmd != nil {
		c.loop.stats.cmd[cmd.ID].rejected.Add(1)
	}
	if c.multi != nil && cmd != nil && cmd.Name == "exec" {
		// A refused EXEC (OOM, MISCONF) discards the transaction, as
		// Redis does, saying why.
		c.endMulti()
		c.unwatchAll()
		c.replyError(rerr.ExecAbortBecause(msg))
		return
	}
	if c.multi != nil {
		c.multi.aborted = true
	}
	c.replyError(msg)
}

// pauseHolds reports whether CLIENT PAUSE is in force for cmd.
func (s *Server) pauseHolds(cmd *command.Command, m *multiState) bool {
	if !s.pausing.Load() {
		return false
	}
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	if !s.pauseInForce() {
		return false
	}
	flags := cmd.Flags
	if m != nil && cmd.Name == "exec" {
		// EXEC writes if what it runs writes.
		flags |= m.flags
	}
	if s.pauseWrite && flags&(command.FlagWrite|command.FlagMayReplicate) == 0 {
		return false
	}
	return true
}

// setPauseUntil sets the end of CLIENT PAUSE (zero: none) and the flag
// commands read instead of pauseMu. s.pauseMu held.
func (s *Server) setPauseUntil(t time.Time) {
	s.pauseUntil = t
	s.pausing.Store(!t.IsZero())
}

// pauseInForce reports whether CLIENT PAUSE is in force, clearing a pause
// that has run out. s.pauseMu held.
func (s *Server) pauseInForce() bool {
	if s.pauseUntil.IsZero() {
		return false
	}
	if !time.Now().Before(s.pauseUntil) {
		s.setPauseUntil(time.Time{})
		return false
	}
	return true
}

// resumePaused lets every loop re-run the commands a pause held back.
func (s *Server) resumePaused() {
	for _, l := range s.loops {
		l := l
		l.post(l.resumePaused)
	}
}
