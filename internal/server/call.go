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
	"github.com/taconite/taconite/internal/rerr"
)

// handler binds a command (or subcommand) to its implementation.
type handler struct {
	name string // full name: "get", "config|get"
	fn   func(c *client, argv [][]byte)
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
	defer func() {
		if c.replyMode == replySkipThis {
			c.replyMode = replyOn
		}
	}()
	l := c.loop
	c.lastIO.Store(l.now.UnixMilli())
	cmd := s.table.Lookup(argv[0])
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
	var hintKey []byte // a single key, whose shard the Tx need not compute again
	if h.lockAll {
		mask = s.ks.AllShards()
	} else {
		idx, err := cmd.KeyIndexes(argv, c.keyIdx[:0])
		if err == nil {
			for _, i := range idx {
				mask |= 1 << uint(s.ks.ShardOf(argv[i]))
			}
		}
		if len(idx) == 1 {
			hintKey = argv[idx[0]]
		}
		c.keyIdx = idx[:0]
	}
	if c.multi != nil && !runsInMulti(cmd) {
		c.queue(h, cmd, argv, mask)
		return true
	}
	l.stats.commands.Add(1)
	c.errored = false
	start := l.mark
	s.exec(c, h, argv, mask, hintKey, l.now.Add(start))
	if len(c.tx.Ready) > 0 {
		s.wakeReady(c.tx.Ready)
		c.tx.Ready = c.tx.Ready[:0]
	}
	l.mark = time.Since(l.now)
	dur := l.mark - start
	s.recordCall(l, c, cmd, argv, dur)
	if s.monitorCount.Load() > 0 && cmd.Flags&(command.FlagSkipMonitor|command.FlagAdmin) == 0 {
		s.feedMonitors(c, argv)
	}
	c.lastCmd.Store(cmd)
	return true
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
		s.slowlog.maybeAdd(s, c, argv, dur)
	}
	if int64(dur) >= s.latencyMon.threshold.Load() {
		s.latencyAdd(commandLatencyEvent(cmd), dur)
	}
}

// exec runs a handler with its shard locks held. A panic in a handler is a
// bug: it is logged with its stack, the client gets an error, the locks are
// released and the server keeps serving.
func (s *Server) exec(c *client, h *handler, argv [][]byte, mask uint64, hintKey []byte, now time.Time) {
	if c.loop.busy {
		// The loop serves clients from inside a long script, which holds
		// every shard lock on this goroutine: only commands allowed while
		// busy get here, and they run under the script's locks.
		s.ks.Begin(&c.tx, c.db, s.ks.AllShards(), now)
		h.fn(c, argv)
		return
	}
	if !s.lockFor(c, h, mask) {
		return
	}
	defer func() {
		s.ks.Unlock(mask)
		if r := recover(); r != nil {
			s.stats.unexpectedError.Add(1)
			s.log.Warningf("Panic in command '%s': %v\n%s", h.name, r, debug.Stack())
			c.replyError(fmt.Sprintf("ERR internal error in '%s'", h.name))
		}
	}()
	s.ks.Begin(&c.tx, c.db, mask, now)
	if h.cmd.Flags&(command.FlagWrite|command.FlagMayReplicate) != 0 {
		// A running snapshot keeps the old values first (persist.go).
		s.snapshotBeforeCommand(c, h, argv, mask)
	}
	if hintKey != nil {
		// One key: the mask has exactly its shard's bit.
		c.tx.HintShard(hintKey, bits.TrailingZeros64(mask))
	}
	before, outBefore := c.dirtyN, len(c.out)
	h.fn(c, argv)
	s.afterCommand(c, h, argv, before, outBefore)
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
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	if s.pauseUntil.IsZero() {
		return false
	}
	if !time.Now().Before(s.pauseUntil) {
		s.pauseUntil = time.Time{}
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

// resumePaused lets every loop re-run the commands a pause held back.
func (s *Server) resumePaused() {
	for _, l := range s.loops {
		l := l
		l.post(l.resumePaused)
	}
}
