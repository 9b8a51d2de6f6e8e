package server

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// TLS on the event loops. A TLS client is an ordinary client whose socket
// carries records: the loop reads ciphertext from the fd into the
// tls.Conn's record buffer and decrypts it into the query buffer, and
// replies are encrypted into c.pend and written from there, with the same
// EPOLLOUT handling as plaintext output.
//
// crypto/tls only works over a net.Conn, so tlsConn is one: during the
// handshake (on a goroutine, with deadlines) it passes through to the
// accepted net.Conn; once the client is handed to a loop it reads and
// writes the raw fd. Its Read returns errTLSWouldBlock, a temporary
// net.Error, when the socket has nothing more: crypto/tls then keeps the
// partial record it has and does not poison the connection
// (readRecordOrCCS only records non-temporary errors), so the next Read
// resumes where this one stopped. Its Write only appends the ciphertext to
// c.pend: the caller sends it once tls.Conn has produced all of it, so a
// reply split into several records still costs one write(2).
//
// Locking: every use of the tls.Conn holds c.wmu, reads included, as a
// read may write (an alert, the answer to a TLS 1.3 key update) into
// c.pend, which wmu guards. The order is c.wmu, then tls.Conn's own locks.

// tlsReadBudget bounds the bytes one readiness event takes from a socket,
// so that a client that keeps sending cannot hold its loop; the rest stays
// in the kernel and epoll reports it again.
const tlsReadBudget = 256 << 10

// errTLSWouldBlock is tlsConn's Read when the socket has no more input for
// now.
var errTLSWouldBlock net.Error = tlsWouldBlock{}

type tlsWouldBlock struct{}

func (tlsWouldBlock) Error() string   { return "tls: socket would block" }
func (tlsWouldBlock) Timeout() bool   { return true }
func (tlsWouldBlock) Temporary() bool { return true }

// tlsConn is the transport under a TLS client's tls.Conn, and the
// client's handle on it (c.tls).
type tlsConn struct {
	tc           *tls.Conn
	nc           net.Conn // the handshake's socket; nil once on a loop
	c            *client  // set on handover
	laddr, raddr net.Addr
	// budget is what the current readiness event may still read from the
	// socket; 0 once a read came back short (the socket is drained) or
	// would block.
	budget int
}

func newTLSConn(nc net.Conn, conf *tls.Config) *tlsConn {
	t := &tlsConn{nc: nc, laddr: nc.LocalAddr(), raddr: nc.RemoteAddr()}
	t.tc = tls.Server(t, conf)
	return t
}

// handover switches the transport from the handshake's net.Conn to the
// client's raw fd; the client's loop is the only user from then on.
func (t *tlsConn) handover(c *client) {
	t.nc = nil
	t.c = c
}

func (t *tlsConn) Read(p []byte) (int, error) {
	if t.nc != nil {
		return t.nc.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if t.budget <= 0 {
		return 0, errTLSWouldBlock
	}
	for {
		n, err := rawRead(t.c.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			t.budget = 0
			return 0, errTLSWouldBlock
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		if n < len(p) {
			t.budget = 0
		} else {
			t.budget -= n
		}
		return n, nil
	}
}

func (t *tlsConn) Write(p []byte) (int, error) {
	if t.nc != nil {
		return t.nc.Write(p)
	}
	t.c.pend = append(t.c.pend, p...)
	return len(p), nil
}

// Close only matters during the handshake: on a loop the client closes
// its fd itself.
func (t *tlsConn) Close() error {
	if t.nc != nil {
		return t.nc.Close()
	}
	return nil
}

func (t *tlsConn) LocalAddr() net.Addr  { return t.laddr }
func (t *tlsConn) RemoteAddr() net.Addr { return t.raddr }

// Deadlines only bound the handshake: on a loop nothing blocks.
func (t *tlsConn) SetDeadline(d time.Time) error {
	if t.nc != nil {
		return t.nc.SetDeadline(d)
	}
	return nil
}

func (t *tlsConn) SetReadDeadline(d time.Time) error {
	if t.nc != nil {
		return t.nc.SetReadDeadline(d)
	}
	return nil
}

func (t *tlsConn) SetWriteDeadline(d time.Time) error {
	if t.nc != nil {
		return t.nc.SetWriteDeadline(d)
	}
	return nil
}

// takeFD duplicates a connection's socket for the event loop and closes
// the net.Conn, which takes the original off Go's poller.
func takeFD(nc net.Conn) (int, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("connection %T has no file descriptor", nc)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, derr
	}
	nc.Close()
	// O_NONBLOCK belongs to the shared open file, which Go already set;
	// made sure of, as the loop must never block on it.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// readTLS is onReadable for a TLS client: it decrypts into the query
// buffer until crypto/tls needs more from the socket than it has, running
// the complete commands whenever the buffer fills. Stopping earlier could
// strand input: what tls.Conn already holds, epoll does not report.
func (c *client) readTLS() {
	t := c.tls
	t.budget = tlsReadBudget
	got := false
	for {
		if c.end == len(c.rbuf) {
			if got {
				// Make room by running what is complete first.
				got = false
				c.processInput()
				if c.closed {
					return
				}
			}
			if !c.roomOrClose() {
				return
			}
		}
		c.wmu.Lock()
		n, err := t.tc.Read(c.rbuf[c.end:])
		c.sendPendLocked() // an alert or key update the read wrote
		c.wmu.Unlock()
		if n > 0 {
			c.loop.stats.netIn.Add(int64(n))
			c.end += n
			got = true
		}
		if err == errTLSWouldBlock {
			break
		}
		if err != nil {
			// The end of input (close_notify or the socket's), a bad
			// record, a reset: what came before still runs and is
			// answered, as when a plaintext client's input and its end
			// are read by two events.
			if got {
				c.processInput()
				if c.closed {
					return
				}
			}
			c.flushOut()
			c.close()
			return
		}
	}
	if got {
		c.processInput()
	}
}

// writeTLSLocked is writeLocked for a TLS client: b is encrypted into
// c.pend, and sent unless EPOLLOUT already waits to send earlier output.
func (c *client) writeTLSLocked(b []byte) (over bool) {
	if _, err := c.tls.tc.Write(b); err != nil {
		// The read side will see the error and close the connection.
		unix.Shutdown(c.fd, unix.SHUT_RDWR)
		return false
	}
	// Plaintext bytes, as Redis counts them over TLS.
	c.loop.stats.netOut.Add(int64(len(b)))
	c.sendPendLocked()
	if c.wantWrite {
		return c.overLimit(c.outputLimit(), uint64(len(c.pend)))
	}
	return false
}

// sendPendLocked writes the ciphertext in c.pend, arming EPOLLOUT for what
// the socket does not take. With EPOLLOUT armed it leaves c.pend to
// onWritable, which keeps the order.
func (c *client) sendPendLocked() {
	if c.wantWrite || len(c.pend) == 0 {
		return
	}
	n, err := rawWrite(c.fd, c.pend)
	for err == unix.EINTR {
		n, err = rawWrite(c.fd, c.pend)
	}
	if err != nil && err != unix.EAGAIN {
		unix.Shutdown(c.fd, unix.SHUT_RDWR)
		c.pend = c.pend[:0]
		return
	}
	n = max(n, 0)
	if n == len(c.pend) {
		if cap(c.pend) > outShrink {
			c.pend = nil
		} else {
			c.pend = c.pend[:0]
		}
		return
	}
	c.pend = c.pend[n:]
	c.wantWrite = true
	c.loop.watch(c.fd, true)
}

// closeTLSLocked sends close_notify on the way out, when nothing is
// waiting to be written before it (best effort: the fd closes next).
func (c *client) closeTLSLocked() {
	if c.wantWrite {
		return
	}
	c.tls.tc.CloseWrite()
	c.sendPendLocked()
}
