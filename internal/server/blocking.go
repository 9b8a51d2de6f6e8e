package server

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// Blocking commands (BLPOP and friends). A command that finds nothing to
// pop registers its client as a waiter on its keys and replies nothing;
// its loop stops running that client's further input. A write that
// creates a list (or sorted set, or stream) key while clients wait notes
// the key in its Tx; when the command is done, the gate hands every waiter
// of the key, oldest first, back to its own loop, which runs the waiter's
// command again: it either pops now or waits again, keeping its place.
// A waiter on the writer's own loop is served at once, before the
// writer's next command, as Redis serves blocked clients right after the
// command that readied their keys: a pipelined LPOP after an RPUSH does
// not take what a blocked BLPOP was waiting for. The rest of the served
// client's input runs later, as in Redis.
// A timer, CLIENT UNBLOCK or the client's disconnection end a wait.
//
// Lock order: blockRegistry.mu is a leaf lock; it is taken with shard
// locks held (registering from a handler) and without.

type blockKey struct {
	db  int
	key string
}

// waiter is one blocked client's wait.
type waiter struct {
	c        *client
	argv     [][]byte // the command, copied: the read buffer moves on
	keys     []blockKey
	seq      uint64    // registration order: FIFO among waiters of a key
	deadline time.Time // zero: wait forever
	timer    *time.Timer
	// onTimeout replies what the command replies when the wait ends
	// without data (a null array for BLPOP, a null bulk for BLMOVE).
	onTimeout func(c *client)
}

type blockRegistry struct {
	mu    sync.Mutex // guards keys and seq
	keys  map[blockKey][]*waiter
	seq   uint64
	count atomic.Int64 // blocked clients, for INFO
}

// parseBlockTimeout reads a blocking command's timeout in seconds (a
// double; 0 waits forever) as Redis's getTimeoutFromObjectOrReply.
func (c *client) parseBlockTimeout(b []byte) (time.Duration, bool) {
	f, ok := parseFloat(b)
	if !ok {
		c.replyError(rerr.TimeoutNotFloat)
		return 0, false
	}
	if f < 0 {
		c.replyError(rerr.TimeoutNegative)
		return 0, false
	}
	// As Redis: milliseconds converted to a 64-bit integer, where a value
	// too large wraps to a negative one on x86, then added to the time.
	ms := f * 1000
	if ms >= math.MaxInt64 {
		c.replyError(rerr.TimeoutNegative)
		return 0, false
	}
	tval := int64(ms)
	if tval > 0 && tval > math.MaxInt64-c.loop.now.UnixMilli() {
		c.replyError("ERR timeout is out of range")
		return 0, false
	}
	if tval > math.MaxInt64/int64(time.Millisecond) {
		tval = math.MaxInt64 / int64(time.Millisecond) // ~292 years: forever
	}
	return time.Duration(tval) * time.Millisecond, true
}

// block makes the client wait on keys for up to timeout (0: forever).
// Called by a handler, with the command's shard locks held.
func (c *client) block(argv [][]byte, keys [][]byte, timeout time.Duration, onTimeout func(*client)) {
	if c.noBlock {
		// Inside MULTI/EXEC or a script a blocking command does not
		// block: it answers as if its timeout had passed.
		onTimeout(c)
		return
	}
	s := c.s
	w := c.retryWait
	if w == nil {
		w = &waiter{c: c, onTimeout: onTimeout}
		w.argv = make([][]byte, len(argv))
		for i, a := range argv {
			w.argv[i] = append([]byte(nil), a...)
		}
		if timeout > 0 {
			w.deadline = c.loop.now.Add(timeout)
		}
	}
	w.keys = w.keys[:0]
	for _, k := range keys {
		w.keys = append(w.keys, blockKey{db: c.db, key: string(k)})
	}
	r := &s.blocked
	r.mu.Lock()
	if w.seq == 0 {
		r.seq++
		w.seq = r.seq
	}
	for _, k := range w.keys {
		list := r.keys[k]
		// Keep each key's waiters in registration order, so a waiter that
		// was woken but found nothing keeps its place.
		i := sort.Search(len(list), func(i int) bool { return list[i].seq > w.seq })
		list = append(list, nil)
		copy(list[i+1:], list[i:])
		list[i] = w
		r.keys[k] = list
	}
	r.mu.Unlock()
	r.count.Add(1)
	s.ks.Blocked.Add(1)
	c.blocked = w
	c.blockedFlag.Store(true)
	if !w.deadline.IsZero() && w.timer == nil {
		d := time.Until(w.deadline)
		w.timer = time.AfterFunc(d, func() {
			c.loop.post(func() { c.endWait(w, w.onTimeout) })
		})
	}
}

// unregister removes w from the registry; false if it was not there
// (already handed to its loop by a wake-up).
func (s *Server) unregister(w *waiter) bool {
	r := &s.blocked
	r.mu.Lock()
	found := false
	for _, k := range w.keys {
		list := r.keys[k]
		for i, x := range list {
			if x == w {
				list = append(list[:i], list[i+1:]...)
				found = true
				break
			}
		}
		if len(list) == 0 {
			delete(r.keys, k)
		} else {
			r.keys[k] = list
		}
	}
	r.mu.Unlock()
	if found {
		r.count.Add(-1)
		s.ks.Blocked.Add(-1)
	}
	return found
}

// wakeReady hands waiters of keys that became ready to their loops. For
// the commands that consume what they find (the pops, XREADGROUP), only
// the oldest waiter of each key is handed over; when its command has run
// (served or not, or gone), retryBlocked passes the key on to the next
// (wakeNext). So waiters are served first-in first-out even when they
// live on different loops, where handing them all over at once would let
// the loops race. XREAD consumes nothing: all its waiters go at once.
// Waiters on cur, the loop running the caller (nil if none), are served
// before wakeReady returns (see serveBlocked); the others are posted to
// their loops.
// Called by the gate after the writing command, with no shard lock held.
func (s *Server) wakeReady(ready []keyspace.ReadyKey, cur *loop) {
	r := &s.blocked
	var woken []*waiter
	r.mu.Lock()
	for _, rk := range ready {
		k := blockKey{db: rk.DB, key: rk.Key}
		for _, w := range r.keys[k] {
			woken = append(woken, w)
			if !w.shares() {
				break
			}
		}
	}
	// A waiter on several ready keys is woken once; each is removed from
	// all its keys.
	seen := map[*waiter]bool{}
	out := woken[:0]
	for _, w := range woken {
		if seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
		for _, k := range w.keys {
			list := r.keys[k]
			for i, x := range list {
				if x == w {
					list = append(list[:i], list[i+1:]...)
					break
				}
			}
			if len(list) == 0 {
				delete(r.keys, k)
			} else {
				r.keys[k] = list
			}
		}
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	for _, w := range out {
		r.count.Add(-1)
		s.ks.Blocked.Add(-1)
		if w.c.loop == cur {
			cur.serveQ = append(cur.serveQ, w)
			continue
		}
		w := w
		w.c.loop.post(func() { w.c.retryBlocked(w, false) })
	}
	if cur != nil && !cur.serving && len(cur.serveQ) > 0 {
		cur.serveBlocked()
	}
}

// serveBlocked runs the commands of the loop's woken waiters, oldest
// first, including those that serving them wakes in turn (a BLMOVE that
// pushes to a list another client waits on): they join serveQ, and this
// loop, not a deeper call, runs them. The batch's clock, which the
// writer's accounting goes on using, is kept.
func (l *loop) serveBlocked() {
	l.serving = true
	now, nowNs, mark := l.now, l.nowNs, l.mark
	for i := 0; i < len(l.serveQ); i++ {
		w := l.serveQ[i]
		l.serveQ[i] = nil
		w.c.retryBlocked(w, true)
	}
	l.serveQ = l.serveQ[:0]
	l.now, l.nowNs, l.mark = now, nowNs, mark
	l.serving = false
}

// shares reports whether the waiter's command leaves what it finds for
// the others (XREAD), so that all its key's waiters can be woken at once.
func (w *waiter) shares() bool { return len(w.argv) > 0 && eq(w.argv[0], "xread") }

// wakeNext passes w's keys on to their next waiters, once w's woken
// command has run: any data it left is theirs, in order. A waiter that
// finds nothing blocks again, keeping its place.
func (s *Server) wakeNext(w *waiter) {
	if w.shares() {
		return
	}
	ready := make([]keyspace.ReadyKey, len(w.keys))
	for i, k := range w.keys {
		ready[i] = keyspace.ReadyKey{DB: k.db, Key: k.key}
	}
	s.wakeReady(ready, w.c.loop)
}

// retryBlocked runs a woken waiter's command again on its loop. inline:
// it runs inside another client's command processing (serveBlocked), so
// the input that arrived during the wait runs from a task instead of
// here.
func (c *client) retryBlocked(w *waiter, inline bool) {
	if c.blocked != w || c.closed {
		// Gone meanwhile (timeout, CLIENT UNBLOCK, disconnection): the
		// key goes to the next waiter.
		c.s.wakeNext(w)
		return
	}
	c.blocked = nil
	c.blockedFlag.Store(false)
	c.loop.setNow(time.Now())
	c.retryWait = w
	c.s.dispatch(c, w.argv)
	c.retryWait = nil
	if c.blocked == nil {
		// Served: the wait is over, and what is left goes on.
		if w.timer != nil {
			w.timer.Stop()
		}
		c.s.wakeNext(w)
		if !inline {
			c.resumeAfterWait()
			return
		}
		// The reply goes out with the batch's others; the rest of the
		// client's input waits for the writer's command to finish.
		c.queueFlush()
		c.loop.post(func() {
			if !c.closed && c.blocked == nil {
				c.resumeAfterWait()
			}
		})
	}
}

// endWait ends a wait without data: timeout, CLIENT UNBLOCK or shutdown.
// reply answers the blocked command. Runs on the client's loop.
func (c *client) endWait(w *waiter, reply func(*client)) bool {
	if c.blocked != w || c.closed {
		return false
	}
	c.s.unregister(w)
	if w.timer != nil {
		w.timer.Stop()
	}
	c.blocked = nil
	c.blockedFlag.Store(false)
	reply(c)
	c.resumeAfterWait()
	return true
}

// resumeAfterWait runs the input that arrived during the wait and sends
// the replies.
func (c *client) resumeAfterWait() {
	c.processInput()
	c.loop.flushAOF()
	for _, x := range c.loop.flushq {
		x.flushOut()
	}
	c.loop.flushq = c.loop.flushq[:0]
	c.flushOut()
}

// dropWait forgets a closing client's wait.
func (c *client) dropWait() {
	if w := c.blocked; w != nil {
		c.s.unregister(w)
		if w.timer != nil {
			w.timer.Stop()
		}
		c.blocked = nil
		c.blockedFlag.Store(false)
	}
}

func nullArrayReply(c *client) { c.replyNullArray() }

// --- blocking list commands ---

func cmdBLPop(c *client, argv [][]byte) { c.blockingPop(argv, listHead) }
func cmdBRPop(c *client, argv [][]byte) { c.blockingPop(argv, listTail) }

// blockingPop is BLPOP/BRPOP key [key ...] timeout.
func (c *client) blockingPop(argv [][]byte, end listEnd) {
	timeout, ok := c.parseBlockTimeout(argv[len(argv)-1])
	if !ok {
		return
	}
	keys := argv[1 : len(argv)-1]
	for _, k := range keys {
		lv, ok := c.lookupList(k, true)
		if !ok {
			return
		}
		if lv == nil {
			continue
		}
		c.replyArrayLen(2)
		c.replyBulk(k)
		c.replyBulk(lv.pop(end))
		c.notify(config.NotifyList, end.popEvent(), k)
		c.deleteIfEmpty(k, lv)
		c.dirty()
		return
	}
	c.block(argv, keys, timeout, nullArrayReply)
}

func cmdBLMove(c *client, argv [][]byte) {
	from, ok1 := parseListEnd(argv[3])
	to, ok2 := parseListEnd(argv[4])
	if !ok1 || !ok2 {
		c.replyError(rerr.Syntax)
		return
	}
	c.blockingMove(argv, argv[1], argv[2], from, to, argv[5])
}

func cmdBRPopLPush(c *client, argv [][]byte) {
	c.blockingMove(argv, argv[1], argv[2], listTail, listHead, argv[3])
}

func (c *client) blockingMove(argv [][]byte, src, dst []byte, from, to listEnd, timeoutArg []byte) {
	timeout, ok := c.parseBlockTimeout(timeoutArg)
	if !ok {
		return
	}
	sv, ok := c.lookupList(src, true)
	if !ok {
		return
	}
	if sv == nil {
		if c.noBlock {
			// Inside MULTI or a script BLMOVE answers as LMOVE would.
			c.replyNull()
			return
		}
		// Redis answers a timed-out BLMOVE with a null array, not a
		// null bulk.
		c.block(argv, [][]byte{src}, timeout, nullArrayReply)
		return
	}
	c.moveGeneric(src, dst, from, to)
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
func cmdBLMPop(c *client, argv [][]byte) {
	timeout, ok := c.parseBlockTimeout(argv[1])
	if !ok {
		return
	}
	keys, end, count, ok := c.parseLMPop(argv[2:])
	if !ok {
		return
	}
	if !c.lmpopFirst(keys, end, count) {
		c.block(argv, keys, timeout, nullArrayReply)
	}
}

// --- blocking sorted set commands ---

func cmdBZPopMin(c *client, argv [][]byte) { c.blockingZPop(argv, false) }
func cmdBZPopMax(c *client, argv [][]byte) { c.blockingZPop(argv, true) }

// blockingZPop is BZPOPMIN/BZPOPMAX key [key ...] timeout, replying
// [key, member, score].
func (c *client) blockingZPop(argv [][]byte, fromMax bool) {
	timeout, ok := c.parseBlockTimeout(argv[len(argv)-1])
	if !ok {
		return
	}
	keys := argv[1 : len(argv)-1]
	for _, k := range keys {
		z, ok := c.zsetLookup(k, true)
		if !ok {
			return
		}
		if z == nil {
			continue
		}
		es := c.zpop(k, z, fromMax, 1)
		c.replyArrayLen(3)
		c.replyBulk(k)
		c.replyBulkString(es[0].member)
		c.replyDouble(es[0].score)
		return
	}
	c.block(argv, keys, timeout, nullArrayReply)
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
func cmdBZMPop(c *client, argv [][]byte) {
	timeout, ok := c.parseBlockTimeout(argv[1])
	if !ok {
		return
	}
	keys, fromMax, count, ok := c.parseZMPop(argv[2:])
	if !ok {
		return
	}
	if !c.zmpopFirst(keys, fromMax, count) {
		c.block(argv, keys, timeout, nullArrayReply)
	}
}

// blockingHandlers are the blocking commands whose data types exist.
func blockingHandlers() []handler {
	return []handler{
		{name: "bzpopmin", fn: cmdBZPopMin},
		{name: "bzpopmax", fn: cmdBZPopMax},
		{name: "bzmpop", fn: cmdBZMPop},
		{name: "blpop", fn: cmdBLPop},
		{name: "brpop", fn: cmdBRPop},
		{name: "blmove", fn: cmdBLMove},
		{name: "brpoplpush", fn: cmdBRPopLPush},
		{name: "blmpop", fn: cmdBLMPop},
	}
}
