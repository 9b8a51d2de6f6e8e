package server

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/aof"
	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/rerr"
)

// Transactions: MULTI queues commands, EXEC runs the queue holding the
// shard locks of every queued and watched key at once, so no other client
// observes the keyspace between two queued commands, and no write can slip
// in between the WATCH check and the first queued command.
//
// WATCH registers the client under each key in the watch registry, with
// the key's shard locked. Every command that changes a key marks the
// watchers of that key, still holding the key's shard lock (see
// keysModified), so EXEC, which takes the same locks before it checks the
// mark, sees every change made before it.

// multiState is a client's open transaction.
type multiState struct {
	cmds []queuedCmd
	// aborted: a command was refused while queueing; EXEC answers
	// EXECABORT.
	aborted bool
	// flags ORs the queued commands' flags (a write makes EXEC a write for
	// CLIENT PAUSE WRITE).
	flags   command.Flag
	mask    uint64
	lockAll bool
	// arena and args hold the queued arguments; a client's state is reused
	// by its next MULTI, so a steady stream of transactions allocates
	// nothing. When one fills up a bigger one replaces it, and the
	// arguments already queued keep pointing into the old one.
	arena []byte
	args  [][]byte
}

// reset empties the state for reuse.
func (m *multiState) reset() {
	clear(m.cmds)
	*m = multiState{cmds: m.cmds[:0], arena: m.arena[:0], args: m.args[:0]}
}

// newMulti opens a transaction, reusing the client's last one.
func (c *client) newMulti() *multiState {
	m := c.spareMulti
	if m == nil {
		return &multiState{}
	}
	c.spareMulti = nil
	m.reset()
	return m
}

// endMulti closes the transaction and keeps its state for the next one.
func (c *client) endMulti() {
	if m := c.multi; m != nil && cap(m.arena) <= 1<<20 {
		c.spareMulti = m
	}
	c.multi = nil
	c.multiShared.Store(-1)
}

type queuedCmd struct {
	h    *handler
	cmd  *command.Command
	argv [][]byte
	// hint is the position of the command's only key, or -1; shard is
	// that key's shard, computed when the command was queued: EXEC passes
	// it to the Tx instead of hashing the key again.
	hint, shard int
}

// watchEntry is one client's watch of one key.
type watchEntry struct {
	c   *client
	key blockKey
	// expired: the key was logically expired (but not yet removed) when
	// WATCH ran; its removal by expiry is then no change.
	expired bool
}

// watchRegistry maps keys to the clients watching them. mu is a leaf
// lock, taken with shard locks held.
type watchRegistry struct {
	mu   sync.Mutex
	keys map[blockKey][]*watchEntry
	n    atomic.Int64 // watched keys in total: zero lets writes skip it all
}

func txHandlers() []handler {
	return []handler{
		{name: "multi", fn: cmdMulti},
		{name: "exec", fn: cmdExec},
		{name: "discard", fn: cmdDiscard},
		{name: "watch", fn: cmdWatch},
		{name: "unwatch", fn: cmdUnwatch},
	}
}

// runsInMulti reports whether cmd runs at once inside MULTI rather than
// being queued.
func runsInMulti(cmd *command.Command) bool {
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// queue adds a command to the open transaction. argv is copied: the read
// buffer it points into moves on.
func (c *client) queue(h *handler, cmd *command.Command, argv [][]byte, mask uint64, hint int) {
	m := c.multi
	n := 0
	for _, a := range argv {
		n += len(a)
	}
	if cap(m.arena)-len(m.arena) < n {
		m.arena = make([]byte, 0, max(2*cap(m.arena), n, 512))
	}
	if cap(m.args)-len(m.args) < len(argv) {
		m.args = make([][]byte, 0, max(2*cap(m.args), len(argv), 32))
	}
	first := len(m.args)
	for _, a := range argv {
		start := len(m.arena)
		m.arena = append(m.arena, a...)
		m.args = append(m.args, m.arena[start:len(m.arena):len(m.arena)])
	}
	m.cmds = append(m.cmds, queuedCmd{h: h, cmd: cmd, argv: m.args[first:len(m.args):len(m.args)], hint: hint, shard: bits.TrailingZeros64(mask)})
	m.flags |= cmd.Flags
	m.mask |= mask
	m.lockAll = m.lockAll || h.lockAll
	c.multiShared.Store(int32(len(m.cmds)))
	c.replyStatus("QUEUED")
}

func cmdMulti(c *client, argv [][]byte) {
	if c.multi != nil {
		c.replyError(rerr.MultiNested)
		return
	}
	c.multi = c.newMulti()
	c.multiShared.Store(0)
	c.replyOK()
}

func cmdDiscard(c *client, argv [][]byte) {
	if c.multi == nil {
		c.replyError(rerr.DiscardNoMulti)
		return
	}
	c.endMulti()
	c.unwatchAll()
	c.replyOK()
}

func cmdWatch(c *client, argv [][]byte) {
	if c.multi != nil {
		c.replyError(rerr.WatchInsideMulti)
		return
	}
	for _, k := range argv[1:] {
		c.watch(k)
	}
	c.replyOK()
}

func cmdUnwatch(c *client, argv [][]byte) {
	c.unwatchAll()
	c.replyOK()
}

// cmdExec runs the queue. The gate took no lock for EXEC (it has no keys):
// it locks here the union of the queued commands' and the watched keys'
// shards, for the whole queue.
func cmdExec(c *client, argv [][]byte) {
	s := c.s
	// MONITOR shows EXEC after the commands it ran (the gate leaves EXEC
	// to feed its own line, under the queue's locks).
	mon := s.monitored(c)
	m := c.multi
	if m == nil {
		c.replyError(rerr.ExecWithoutMulti)
		if mon {
			s.feedMonitors(c, c.raddr, nil, argv)
		}
		return
	}
	defer c.endMultiAfterExec(m)
	c.multi = nil
	c.multiShared.Store(-1)
	if m.aborted {
		c.unwatchAll()
		c.replyError(rerr.ExecAbort)
		if mon {
			s.feedMonitors(c, c.raddr, nil, argv)
		}
		return
	}
	mask := m.mask
	for _, w := range c.watched {
		mask |= 1 << uint(s.ks.ShardOf([]byte(w.key.key)))
	}
	if m.lockAll {
		mask = s.ks.AllShards()
	}
	now := c.loop.now.Add(c.loop.mark)
	s.ks.Lock(mask)
	defer func() {
		if mon {
			s.feedMonitors(c, c.raddr, nil, argv)
		}
		c.noBlock = false
		s.ks.Unlock(mask)
	}()
	s.ks.Begin(&c.tx, c.db, mask, now)
	if c.watchBroken() {
		c.unwatchAll()
		c.replyNullArray()
		return
	}
	c.unwatchAll()
	c.replyArrayLen(len(m.cmds))
	if l := s.aofLog.Load(); l != nil {
		// The queue's effects reach the log together, as one MULTI/EXEC.
		var props []aof.Cmd
		c.execProp = &props
		defer func() {
			c.execProp = nil
			if len(props) > 0 {
				l.AppendBlock(props[0].DB, props)
			}
		}()
	}
	c.noBlock = true
	// One clock read per queued command: each one's time runs from the
	// end of the one before (what lies between is a few compares). Only
	// the monotonic clock: time.Since reads it alone, where time.Now also
	// reads the wall clock (6.5% of the server's CPU under MULTI + 10 SET
	// + EXEC when each command took a time.Now).
	base := time.Now()
	var prev time.Duration
	for _, q := range m.cmds {
		c.tx.DB = c.db
		c.errored = false
		// As Redis 7, permissions are checked again: rules may have
		// changed since the command was queued.
		if msg := s.aclExecDenied(c, q.cmd, q.argv); msg != "" {
			c.replyError(msg)
			continue
		}
		if q.cmd.Flags&(command.FlagWrite|command.FlagMayReplicate) != 0 {
			s.snapshotBeforeCommand(c, q.h, q.argv, mask) // a running BGSAVE keeps its instant
		}
		before, outBefore := c.dirtyN, len(c.out)
		if mon && feedsMonitorBefore(q.cmd) {
			s.feedMonitors(c, c.raddr, q.cmd, q.argv)
		}
		if q.hint >= 0 {
			c.tx.HintShard(q.argv[q.hint], q.shard)
		}
		q.h.fn(c, q.argv)
		s.afterCommand(c, q.h, q.argv, before, outBefore)
		// Each queued command counts as a command of its own, as in
		// Redis: commandstats, histogram, slow log, latency monitor.
		el := time.Since(base)
		c.loop.stats.commands.Add(1)
		s.recordCall(c.loop, c, q.cmd, q.argv, el-prev)
		prev = el
		// As in Redis, MONITOR shows each queued command as it runs,
		// with this client's address, and EXEC after them.
		if mon && feedsMonitorAfter(q.cmd) {
			s.feedMonitors(c, c.raddr, q.cmd, q.argv)
		}
	}
	c.errored = false
}

// endMultiAfterExec keeps the executed transaction's state for reuse.
func (c *client) endMultiAfterExec(m *multiState) {
	if c.multi == nil && c.spareMulti == nil && cap(m.arena) <= 1<<20 {
		c.spareMulti = m
	}
}

// watch adds key (in the client's database) to its watched keys. Runs with
// the key's shard locked.
func (c *client) watch(key []byte) {
	bk := blockKey{db: c.db, key: string(key)}
	for _, w := range c.watched {
		if w.key == bk {
			return
		}
	}
	w := &watchEntry{c: c, key: bk, expired: c.tx.IsExpired(c.db, key)}
	r := &c.s.watches
	r.mu.Lock()
	if r.keys == nil {
		r.keys = map[blockKey][]*watchEntry{}
	}
	r.keys[bk] = append(r.keys[bk], w)
	r.mu.Unlock()
	r.n.Add(1)
	c.watched = append(c.watched, w)
}

// unwatchAll forgets the client's watched keys and its dirty mark.
func (c *client) unwatchAll() {
	if len(c.watched) > 0 {
		r := &c.s.watches
		r.mu.Lock()
		for _, w := range c.watched {
			list := r.keys[w.key]
			for i, x := range list {
				if x == w {
					list = append(list[:i], list[i+1:]...)
					break
				}
			}
			if len(list) == 0 {
				delete(r.keys, w.key)
			} else {
				r.keys[w.key] = list
			}
		}
		r.mu.Unlock()
		r.n.Add(-int64(len(c.watched)))
		clear(c.watched)
		c.watched = c.watched[:0]
	}
	c.watchDirty.Store(false)
}

// watchBroken reports whether EXEC must fail: a watched key changed, or
// expired since WATCH. Runs with the watched keys' shards locked.
func (c *client) watchBroken() bool {
	if c.watchDirty.Load() {
		return true
	}
	for _, w := range c.watched {
		if !w.expired && c.tx.IsExpired(w.key.db, []byte(w.key.key)) {
			return true
		}
	}
	return false
}

// touchWatched marks the watchers of key in db. byExpiry: the key was
// removed because its time passed. Called with the key's shard locked.
func (s *Server) touchWatched(db int, key []byte, byExpiry bool) {
	r := &s.watches
	r.mu.Lock()
	for _, w := range r.keys[blockKey{db: db, key: string(key)}] {
		if byExpiry && w.expired {
			// Already logically gone at WATCH: its removal changes
			// nothing, but a later write does.
			w.expired = false
			continue
		}
		w.c.watchDirty.Store(true)
	}
	r.mu.Unlock()
}

// touchWatchedDB marks the watchers of every key of db that exists in db
// or, for SWAPDB, in other (other < 0: none): FLUSHDB, FLUSHALL, SWAPDB.
// Called with every shard locked.
func (s *Server) touchWatchedDB(c *client, db, other int) {
	if s.watches.n.Load() == 0 {
		return
	}
	r := &s.watches
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, list := range r.keys {
		if k.db != db {
			continue
		}
		key := []byte(k.key)
		_, ok := c.tx.GetIn(db, key)
		if !ok && other >= 0 {
			_, ok = c.tx.GetIn(other, key)
		}
		if ok {
			for _, w := range list {
				w.c.watchDirty.Store(true)
			}
		}
	}
}

// keysModified is called, with the command's shard locks still held,
// after a command that changed data (c.dirty was called): the watchers of
// its keys learn of the change. A command that changed only some of its
// keys marks them all, which can only make an EXEC fail that Redis would
// have let through (DEL of two keys where one is missing).
func (s *Server) keysModified(c *client, cmd *command.Command, argv [][]byte) {
	watching, tracking := s.watches.n.Load() > 0, s.tracking.clients.Load() > 0
	if !watching && !tracking {
		return
	}
	idx, err := cmd.KeyIndexes(argv, nil)
	if err != nil {
		return
	}
	if tracking && len(idx) > 0 {
		keys := make([][]byte, len(idx))
		for j, i := range idx {
			keys[j] = argv[i]
		}
		s.invalidateKeys(c, keys)
	}
	if !watching {
		return
	}
	for _, i := range idx {
		s.touchWatched(c.db, argv[i], false)
	}
	// MOVE and COPY ... DB n also change the key in the other database.
	var other []byte
	var key []byte
	switch cmd.Name {
	case "move":
		key, other = argv[1], argv[2]
	case "copy":
		for i := 3; i+1 < len(argv); i++ {
			if eq(argv[i], "db") {
				key, other = argv[2], argv[i+1]
			}
		}
	}
	if other != nil {
		if db, ok := parseInt(other); ok && db >= 0 && db < int64(s.ks.Databases()) {
			s.touchWatched(int(db), key, false)
		}
	}
}
