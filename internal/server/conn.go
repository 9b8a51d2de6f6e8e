package server

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/resp"
)

const (
	readBufInitial = 16 * 1024
	// bigArg is the argument size above which the read buffer is grown to
	// exactly what the parser says it needs, not doubled, so a large bulk
	// costs its own size and no more (Redis's PROTO_MBULK_BIG_ARG idea).
	bigArg = 32 * 1024
	// outShrink: a reply buffer grown past this is dropped after a flush so
	// one huge reply does not pin memory for the life of the connection.
	outShrink = 64 * 1024
)

// Reply modes of CLIENT REPLY.
const (
	replyOn = iota
	replyOff
	replySkipNext
	replySkipThis
)

// client is one connection. Fields below mu are read by other goroutines
// (CLIENT LIST, CLIENT KILL, INFO); the rest belong to the connection's own
// goroutine.
type client struct {
	s  *Server
	id int64
	nc net.Conn

	parser  resp.Parser
	rbuf    []byte
	out     []byte
	proto   int
	db      int
	authed  bool
	tx      keyspace.Tx
	keyIdx  []int
	scratch []byte

	replyMode  int
	errored    bool // the current command replied with an error
	closeAfter bool
	curCmd     string

	wmu sync.Mutex // serialises writes to nc between the owner and pushers (MONITOR)

	mu       sync.Mutex // guards the fields below
	name     string
	lastCmd  string
	noEvict  bool
	monitor  bool
	flagsExt string

	created     time.Time
	lastIO      atomic.Int64 // unix ms of the last command
	qbuf        atomic.Int64
	killed      atomic.Bool
	dbShared    atomic.Int32 // db, for CLIENT LIST
	protoAtomic atomic.Int32 // proto, for CLIENT LIST
}

func (s *Server) newClient(nc net.Conn) *client {
	c := &client{
		s:       s,
		id:      s.nextClientID.Add(1),
		nc:      nc,
		proto:   2,
		created: time.Now(),
		keyIdx:  make([]int, 0, 16),
	}
	c.authed = *s.requirePass.Load() == ""
	c.protoAtomic.Store(2)
	c.lastIO.Store(time.Now().UnixMilli())
	return c
}

// serve is the connection's goroutine: read what is there, run every
// complete command in it, write all their replies with one write.
func (c *client) serve() {
	s := c.s
	defer s.wg.Done()
	defer c.cleanup()
	c.rbuf = make([]byte, readBufInitial)
	start, end := 0, 0
	for {
		if end == len(c.rbuf) {
			start, end = c.makeRoom(start, end)
			if c.closeAfter {
				return
			}
		}
		n, err := c.nc.Read(c.rbuf[end:])
		if n > 0 {
			s.stats.netInput.Add(int64(n))
			end += n
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !c.killed.Load() {
				s.log.Verbosef("Client id=%d closed: %v", c.id, err)
			}
			return
		}
		for start < end {
			args, used, perr := c.parser.Parse(c.rbuf[start:end], resp.Limits{MaxBulkLen: s.maxBulkLen.Load()}, c.authed)
			if perr != nil {
				c.replyError("ERR " + perr.Error())
				c.flush()
				s.log.Verbosef("Protocol error (%s) from client: id=%d addr=%s", perr.Error(), c.id, c.nc.RemoteAddr())
				return
			}
			if used == 0 {
				break
			}
			start += used
			if len(args) == 0 {
				continue
			}
			c.qbuf.Store(int64(end - start))
			s.dispatch(c, args)
			if c.closeAfter || c.killed.Load() {
				c.flush()
				return
			}
		}
		if start == end {
			start, end = 0, 0
			c.parser.Reset()
		}
		if len(c.out) > 0 {
			if !c.flush() {
				return
			}
		}
	}
}

// makeRoom frees or adds space at the end of the read buffer when it is
// full: it moves the unparsed tail to the front, and grows the buffer when
// the current command needs more, refusing past client-query-buffer-limit.
func (c *client) makeRoom(start, end int) (int, int) {
	if start > 0 {
		copy(c.rbuf, c.rbuf[start:end])
		end -= start
		start = 0
		if end < len(c.rbuf) {
			return start, end
		}
	}
	size := len(c.rbuf) * 2
	if need := c.parser.Need(); need > bigArg && need > len(c.rbuf) {
		size = need
	}
	if int64(size) > c.s.queryBufLimit.Load() {
		if int64(len(c.rbuf)) >= c.s.queryBufLimit.Load() {
			c.s.log.Warningf("Closing client that reached max query buffer length: id=%d addr=%s (qbuf initial bytes: %q)", c.id, c.nc.RemoteAddr(), c.rbuf[:min(64, end)])
			c.closeAfter = true
			return start, end
		}
		size = int(c.s.queryBufLimit.Load())
	}
	nb := make([]byte, size)
	copy(nb, c.rbuf[:end])
	c.rbuf = nb
	return start, end
}

// flush writes the pending replies; false when the connection failed.
func (c *client) flush() bool {
	if len(c.out) == 0 {
		return true
	}
	c.wmu.Lock()
	n, err := c.nc.Write(c.out)
	c.wmu.Unlock()
	c.s.stats.netOutput.Add(int64(n))
	if cap(c.out) > outShrink {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
	return err == nil
}

// push writes bytes from another goroutine (MONITOR feed).
func (c *client) push(b []byte) {
	c.wmu.Lock()
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	n, err := c.nc.Write(b)
	c.nc.SetWriteDeadline(time.Time{})
	c.wmu.Unlock()
	c.s.stats.netOutput.Add(int64(n))
	if err != nil {
		c.kill()
	}
}

// kill closes the connection from any goroutine.
func (c *client) kill() {
	if c.killed.CompareAndSwap(false, true) {
		c.nc.Close()
	}
}

func (c *client) cleanup() {
	c.nc.Close()
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
