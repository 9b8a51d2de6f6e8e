// Package servertest starts in-process Taconite servers for tests: each on
// its own 127.0.0.1 port chosen by the kernel, stopped at test cleanup.
package servertest

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/logging"
	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/server"
)

// Server is a running test server.
type Server struct {
	Addr   string
	Server *server.Server
	Clock  *keyspace.FakeClock // nil unless started with StartWithClock
	stop   func()
}

// Stop shuts the server down and waits until Run returned (as SIGTERM
// would); persistence tests then start another on the same directory.
func (s *Server) Stop() { s.stop() }

// Start runs a server configured with redis-server style args
// ("--enable-debug-command", "yes") and returns once it accepts
// connections.
func Start(tb testing.TB, args ...string) *Server { return start(tb, nil, args, true) }

// StartLoading is Start without waiting for the data to be loaded: its
// clients may still get -LOADING.
func StartLoading(tb testing.TB, args ...string) *Server { return start(tb, nil, args, false) }

// StartWithClock is Start with a fake clock, for expiry tests that must
// not sleep.
func StartWithClock(tb testing.TB, args ...string) *Server {
	return start(tb, keyspace.NewFakeClock(time.Now().UnixMilli()), args, true)
}

func start(tb testing.TB, clock *keyspace.FakeClock, args []string, waitReady bool) *Server {
	tb.Helper()
	cfg := config.New()
	if err := cfg.LoadArgs(append([]string{"--save", "", "--appendonly", "no"}, args...)); err != nil {
		tb.Fatalf("servertest: config: %v", err)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("servertest: listen: %v", err)
	}
	opts := server.Options{Logger: logging.Discard(), Listeners: []net.Listener{l}}
	if clock != nil {
		opts.Clock = clock
	}
	srv := server.NewWithOptions(cfg, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Run(ctx)
	}()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			tb.Errorf("servertest: server did not stop")
		}
	}
	tb.Cleanup(stop)
	if !waitReady {
		return &Server{Addr: l.Addr().String(), Server: srv, Clock: clock, stop: stop}
	}
	// Wait for the data to be loaded (an RDB loads while clients get
	// -LOADING) or for Run to fail.
	select {
	case <-srv.Ready():
	case <-done:
	case <-time.After(30 * time.Second):
		tb.Fatalf("servertest: server not ready after 30s")
	}
	return &Server{Addr: l.Addr().String(), Server: srv, Clock: clock, stop: stop}
}

// Conn is a raw client connection for wire-level tests.
type Conn struct {
	tb testing.TB
	nc net.Conn
	r  *bufio.Reader
}

// Dial connects to the server.
func (s *Server) Dial(tb testing.TB) *Conn {
	tb.Helper()
	nc, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		tb.Fatalf("servertest: dial: %v", err)
	}
	tb.Cleanup(func() { nc.Close() })
	return &Conn{tb: tb, nc: nc, r: bufio.NewReader(nc)}
}

// Do sends one command and returns the raw bytes of its reply.
func (c *Conn) Do(args ...string) string {
	c.tb.Helper()
	c.Send(resp.AppendCommandStrings(nil, args...))
	return c.ReadRaw()
}

// Send writes raw bytes.
func (c *Conn) Send(b []byte) {
	c.tb.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.tb.Fatalf("servertest: write: %v", err)
	}
}

// ReadRaw reads one reply and returns its exact bytes.
func (c *Conn) ReadRaw() string {
	c.tb.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := resp.ReadRawReply(c.r)
	if err != nil {
		c.tb.Fatalf("servertest: read: %v", err)
	}
	return string(b)
}

// Close closes the connection.
func (c *Conn) Close() { c.nc.Close() }

// Raw returns the underlying connection.
func (c *Conn) Raw() net.Conn { return c.nc }
