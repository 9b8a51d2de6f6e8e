package server

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/taconite/taconite/internal/aof"
	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/resp"
)

const (
	readBufInitial = 16 * 1024
	// outShrink: a reply buffer grown past this is dropped after a flush so
	// one huge reply does not pin memory for the life of the connection.
	// It must hold a pipeline's worth of ordinary replies (16 LRANGE_100
	// replies are ~110 KB): at 64 KB the buffer was dropped and regrown on
	// every batch, which cost more CPU than the replies themselves.
	outShrink = 512 * 1024
)

// Reply modes of CLIENT REPLY.
const (
	replyOn = iota
	replyOff
	replySkipNext
	replySkipThis
)

// client is one connection. It belongs to one event loop: the fields in
// the first group are used only by that loop's goroutine. Fields under wmu
// and mu are shared with other goroutines (pushers, CLIENT LIST/KILL).
type client struct {
	s     *Server
	id    int64
	fd    int
	loop  *loop
	raddr string
	laddr string
	// tls is the TLS layer of a client of the TLS port (tls_conn.go), nil
	// for plaintext; set before the client reaches its loop.
	tls *tlsConn

	parser     resp.Parser
	rbuf       []byte
	start, end int // unparsed input is rbuf[start:end]
	out        []byte
	queued     bool // in the loop's flush queue
	paused     bool // waiting for CLIENT PAUSE to end, input kept
	proto      int
	db         int
	authed     bool
	tx         keyspace.Tx
	keyIdx     []int
	// lastLookup is the last command name this client sent, as sent, and
	// what it named (see lookupCommand).
	lastLookup struct {
		name [16]byte
		n    int
		cmd  *command.Command
	}
	scratch    []byte
	blocked    *waiter // the wait this client is in, if any
	retryWait  *waiter // the wait being retried by retryBlocked
	replyMode  int
	errored    bool // the current command replied with an error
	closeAfter bool
	// noBlock: blocking commands answer at once as if timed out (set
	// while EXEC runs its queue and while a script runs).
	noBlock bool
	multi   *multiState // the open MULTI, if any
	// spareMulti is the last transaction's state, kept for the next.
	spareMulti *multiState
	watched    []*watchEntry // WATCHed keys
	// watchDirty: a watched key changed; set by other clients' commands
	// under the key's shard lock.
	watchDirty atomic.Bool
	// dirtyN counts the client's changes (c.dirty); the gate compares it
	// around a command to learn whether the command changed data.
	dirtyN int64
	// subs are the client's channels, patterns and shard channels, by
	// subKind; touched only by the client's loop.
	subs           [3]map[string]struct{}
	subCountShared atomic.Int32    // all subscriptions, for other loops
	subKinds       [3]atomic.Int32 // by subKind, for CLIENT LIST
	multiShared    atomic.Int32    // queued commands, -1 outside MULTI, for CLIENT LIST
	// Pushed output (messages, invalidations) from other loops, guarded by
	// wmu; flushPub sends it on the client's loop.
	pubq       []byte
	pubSched   bool
	softSince  time.Time   // when the queued output first passed the soft limit
	pubPending atomic.Bool // pubq is not empty
	trk        trackingState
	acl        clientACL
	// execProp collects, while EXEC runs, what its commands propagate.
	execProp *[]aof.Cmd

	wmu       sync.Mutex // guards the socket's write side and close
	pend      []byte     // output the socket did not take yet (TLS: ciphertext)
	wantWrite bool       // EPOLLOUT armed
	closed    bool

	mu      sync.Mutex // guards the fields below
	name    string
	noEvict bool
	monitor bool

	lastCmd atomic.Pointer[command.Command] // for CLIENT LIST

	created     time.Time
	lastIO      atomic.Int64 // unix ms of the last command
	qbuf        atomic.Int64
	killed      atomic.Bool
	blockedFlag atomic.Bool  // blocked != nil, for CLIENT UNBLOCK/LIST
	dbShared    atomic.Int32 // db, for CLIENT LIST
	protoAtomic atomic.Int32 // proto, for CLIENT LIST
}

func (s *Server) newClient(fd int, raddr, laddr string) *client {
	c := &client{
		s:       s,
		id:      s.nextClientID.Add(1),
		fd:      fd,
		raddr:   raddr,
		laddr:   laddr,
		proto:   2,
		created: time.Now(),
		keyIdx:  make([]int, 0, 16),
		rbuf:    make([]byte, readBufInitial),
	}
	c.authed = *s.requirePass.Load() == ""
	c.protoAtomic.Store(2)
	c.multiShared.Store(-1)
	c.lastIO.Store(time.Now().UnixMilli())
	return c
}

// onReadable reads what the socket has (one read, as the poller is level
// triggered) and runs every complete command in the buffer.
func (c *client) onReadable() {
	if c.tls != nil {
		c.readTLS()
		return
	}
	if !c.roomOrClose() {
		return
	}
	n, err := rawRead(c.fd, c.rbuf[c.end:])
	if err == unix.EAGAIN || err == unix.EINTR {
		return
	}
	if n <= 0 || err != nil {
		c.close()
		return
	}
	c.loop.stats.netIn.Add(int64(n))
	c.end += n
	c.processInput()
}

// processInput parses and runs the complete commands in the buffer. It
// stops early, keeping the command, when CLIENT PAUSE holds it back.
func (c *client) processInput() {
	s := c.s
	if c.pubPending.Load() {
		// Messages published before this input arrived go first, as
		// in Redis, where PUBLISH writes into the subscriber's buffer.
		c.drainPub()
	}
	for c.start < c.end && !c.paused && c.blocked == nil {
		args, used, perr := c.parser.Parse(c.rbuf[c.start:c.end], resp.Limits{MaxBulkLen: s.maxBulkLen.Load()}, c.authed)
		if perr != nil {
			s.log.Verbosef("Protocol error (%s) from client: id=%d addr=%s", perr.Error(), c.id, c.raddr)
			c.replyError("ERR " + perr.Error())
			c.closeAfter = true
			break
		}
		if used == 0 {
			break
		}
		if len(args) == 0 {
			c.start += used
			continue
		}
		c.qbuf.Store(int64(c.end - c.start))
		if !s.dispatch(c, args) {
			// Held back by CLIENT PAUSE: parse it again when resumed.
			c.parser.Reset()
			c.paused = true
			c.loop.paused = append(c.loop.paused, c)
			break
		}
		c.start += used
		if c.pubPending.Load() {
			c.drainPub()
		}
		if len(c.out) >= outCheckAt && c.outOverLimit() {
			// Replies pile up in c.out until the batch ends: a pipeline
			// of big replies must meet the output limit as it grows, as
			// Redis checks it on every reply, not once the whole batch
			// sits in memory.
			c.out = c.out[:0]
			c.cutForOutput()
		}
		if c.closeAfter || c.killed.Load() || c.blocked != nil {
			break
		}
	}
	if c.start == c.end {
		c.start, c.end = 0, 0
	}
	if c.closeAfter || c.killed.Load() {
		c.flushOut()
		c.close()
		return
	}
	c.queueFlush()
}

// queueFlush puts the client in its loop's flush queue if it has replies
// waiting and is not there yet: they go out at the end of the batch.
func (c *client) queueFlush() {
	if len(c.out) > 0 && !c.queued {
		c.queued = true
		c.loop.flushq = append(c.loop.flushq, c)
	}
}

// roomOrClose makes room in a full read buffer (makeRoom); it reports
// false, having closed the client, when the query buffer limit refused it.
func (c *client) roomOrClose() bool {
	if c.end == len(c.rbuf) {
		c.makeRoom()
		if c.closeAfter {
			c.close()
			return false
		}
	}
	return true
}

// makeRoom frees or adds space at the end of the read buffer when it is
// full: it moves the unparsed tail to the front, and grows the buffer when
// the current command needs more, refusing past client-query-buffer-limit.
func (c *client) makeRoom() {
	if c.start > 0 {
		copy(c.rbuf, c.rbuf[c.start:c.end])
		c.end -= c.start
		c.start = 0
		if c.end < len(c.rbuf) {
			return
		}
	}
	// Grow by doubling, but never past what the command is known to need:
	// a large bulk then costs its own size plus a few copies, and a client
	// that announces a big bulk without sending it gets no more memory
	// than it actually sent (Redis allocates the announced size at once).
	size := len(c.rbuf) * 2
	if need := c.parser.Need(); need > len(c.rbuf) && need < size {
		size = need
	}
	limit := c.s.queryBufLimit.Load()
	if int64(size) > limit {
		if int64(len(c.rbuf)) >= limit {
			c.s.log.Warningf("Closing client that reached max query buffer length: id=%d addr=%s (qbuf initial bytes: %q)", c.id, c.raddr, c.rbuf[:min(64, c.end)])
			c.closeAfter = true
			return
		}
		size = int(limit)
	}
	nb := make([]byte, size)
	copy(nb, c.rbuf[:c.end])
	c.rbuf = nb
}

// flushOut writes the replies of the batch, with one write when the socket
// takes them all; what it does not take waits for EPOLLOUT.
func (c *client) flushOut() {
	c.queued = false
	if len(c.out) == 0 {
		return
	}
	c.write(c.out)
	if cap(c.out) > outShrink {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
}

// write sends b, keeping what the socket does not take in pend. Safe from
// any goroutine.
func (c *client) write(b []byte) {
	if c.writeLocked(b) {
		c.cutForOutput()
	}
}

// cutForOutput closes a client past client-output-buffer-limit (normal,
// or pubsub for a subscriber) as Redis closes it, so that a client that
// does not read cannot grow the server's memory without bound.
func (c *client) cutForOutput() {
	c.s.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.describe())
	c.kill()
}

// outCheckAt is the size of a batch's unsent replies (c.out) from which
// processInput checks them, with the socket's backlog, against the
// output limit after each command.
const outCheckAt = 64 << 10

// outOverLimit reports whether the replies held for c (the batch's and
// the socket's backlog) are past its output limit.
func (c *client) outOverLimit() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.overLimit(c.outputLimit(), uint64(len(c.pend)+len(c.out)))
}

// writeLocked is write under c.wmu; it reports whether the client went
// over its output buffer limit.
func (c *client) writeLocked(b []byte) (over bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return false
	}
	if c.tls != nil {
		return c.writeTLSLocked(b)
	}
	if len(c.pend) > 0 {
		c.pend = append(c.pend, b...)
		return c.overLimit(c.outputLimit(), uint64(len(c.pend)))
	}
	n, err := rawWrite(c.fd, b)
	if n > 0 {
		c.loop.stats.netOut.Add(int64(n))
	}
	if n < 0 {
		n = 0
	}
	if err != nil && err != unix.EAGAIN && err != unix.EINTR {
		// The read side will see the error and close the connection.
		unix.Shutdown(c.fd, unix.SHUT_RDWR)
		return
	}
	if n < len(b) {
		c.pend = append(c.pend, b[n:]...)
		if !c.wantWrite {
			c.wantWrite = true
			c.loop.watch(c.fd, true)
		}
		return c.overLimit(c.outputLimit(), uint64(len(c.pend)))
	}
	return false
}

// outputLimit is the client-output-buffer-limit class of the client:
// pubsub while it is subscribed, normal otherwise (Taconite has no
// replicas). MONITOR clients count as normal, as in Redis.
func (c *client) outputLimit() *config.OutputBufferLimit {
	// The atomic counts, not the maps: write runs on other goroutines too.
	if c.subKinds[subChannel].Load()+c.subKinds[subPattern].Load()+c.subKinds[subShard].Load() > 0 {
		return c.s.pubsubLimit.Load()
	}
	return c.s.normalLimit.Load()
}

// onWritable sends pending output once the socket has room.
func (c *client) onWritable() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return
	}
	for len(c.pend) > 0 {
		n, err := rawWrite(c.fd, c.pend)
		if n > 0 {
			if c.tls == nil {
				// (TLS output was counted as plaintext when encrypted.)
				c.loop.stats.netOut.Add(int64(n))
			}
			c.pend = c.pend[n:]
		}
		if err == unix.EAGAIN {
			return
		}
		if err != nil {
			unix.Shutdown(c.fd, unix.SHUT_RDWR)
			return
		}
	}
	c.pend = nil
	if c.wantWrite {
		c.wantWrite = false
		c.loop.watch(c.fd, false)
	}
}

// push writes bytes from another goroutine (MONITOR feed).
func (c *client) push(b []byte) { c.write(b) }

// kill closes the connection from any goroutine: it shuts the socket down
// and the owning loop, seeing the end of input, releases it.
func (c *client) kill() {
	if c.killed.CompareAndSwap(false, true) {
		c.wmu.Lock()
		if !c.closed {
			unix.Shutdown(c.fd, unix.SHUT_RDWR)
		}
		c.wmu.Unlock()
	}
}

// close releases the connection. Only the owning loop calls it, so the fd
// cannot be reused while another goroutine still names it: they check
// closed under wmu.
func (c *client) close() {
	c.wmu.Lock()
	if c.closed {
		c.wmu.Unlock()
		return
	}
	c.closed = true
	c.dropWait()
	c.multi = nil
	c.unwatchAll()
	c.unsubscribeAll()
	c.s.disableTracking(c)
	if c.tls != nil {
		c.closeTLSLocked()
	}
	c.loop.forget(c)
	unix.Close(c.fd)
	c.wmu.Unlock()
	s := c.s
	s.mu.Lock()
	delete(s.clients, c.id)
	if _, ok := s.monitors[c.id]; ok {
		delete(s.monitors, c.id)
		s.monitorCount.Add(-1)
	}
	s.mu.Unlock()
}

// closeIdleClients enforces the timeout directive.
func (s *Server) closeIdleClients() {
	limit := s.idleTimeout.Load()
	if limit <= 0 {
		return
	}
	cutoff := time.Now().UnixMilli() - limit*1000
	s.mu.Lock()
	var idle []*client
	for _, c := range s.clients {
		c.mu.Lock()
		mon := c.monitor
		c.mu.Unlock()
		if !mon && c.lastIO.Load() < cutoff {
			idle = append(idle, c)
		}
	}
	s.mu.Unlock()
	for _, c := range idle {
		s.log.Verbosef("Closing idle client id=%d", c.id)
		c.kill()
	}
}
