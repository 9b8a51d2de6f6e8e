package compat

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/taconite/taconite/internal/resp"
)

// ReplyTimeout bounds the wait for one reply, so that a server that never
// answers fails the step instead of hanging the run.
const ReplyTimeout = 10 * time.Second

// PushTimeout bounds a !read step: a push the server owes arrives at once,
// and a missing one should fail the script quickly rather than stall it.
const PushTimeout = 2 * time.Second

// Session runs script steps against one server over named connections.
type Session struct {
	addr  string
	conns map[string]*clientConn
}

type clientConn struct {
	nc net.Conn
	r  *bufio.Reader
}

// NewSession prepares a session; connections are opened lazily, on the
// first step that uses each name.
func NewSession(addr string) *Session {
	return &Session{addr: addr, conns: make(map[string]*clientConn)}
}

// Close closes every open connection.
func (s *Session) Close() {
	for name, c := range s.conns {
		c.nc.Close()
		delete(s.conns, name)
	}
}

func (s *Session) conn(name string) (*clientConn, error) {
	if c, ok := s.conns[name]; ok {
		return c, nil
	}
	nc, err := net.DialTimeout("tcp", s.addr, ReplyTimeout)
	if err != nil {
		return nil, err
	}
	c := &clientConn{nc: nc, r: bufio.NewReader(nc)}
	s.conns[name] = c
	return c, nil
}

func (s *Session) drop(name string) {
	if c, ok := s.conns[name]; ok {
		c.nc.Close()
		delete(s.conns, name)
	}
}

// Do sends one step and returns the raw bytes of its reply (nothing for a
// !noreply step). After a raw write, after QUIT and after any I/O error the
// connection is dropped, and the next step on that name opens a new one:
// the server may have closed it, and its stream can no longer be trusted.
func (s *Session) Do(step Step) ([]byte, error) {
	c, err := s.conn(step.Conn)
	if err != nil {
		return nil, err
	}
	if step.ReadOnly {
		if err := c.nc.SetDeadline(time.Now().Add(PushTimeout)); err != nil {
			s.drop(step.Conn)
			return nil, err
		}
		reply, err := resp.ReadRawReply(c.r)
		if err != nil {
			s.drop(step.Conn)
			return reply, fmt.Errorf("read reply: %w", err)
		}
		return reply, nil
	}
	out := step.Raw
	if !step.IsRaw() {
		out = resp.AppendCommand(nil, step.Args...)
	}
	if err := c.nc.SetDeadline(time.Now().Add(ReplyTimeout)); err != nil {
		s.drop(step.Conn)
		return nil, err
	}
	if _, err := c.nc.Write(out); err != nil {
		s.drop(step.Conn)
		return nil, fmt.Errorf("write: %w", err)
	}
	if step.Check.Kind == CheckNoReply {
		return nil, nil
	}
	reply, err := resp.ReadRawReply(c.r)
	if err != nil {
		s.drop(step.Conn)
		return reply, fmt.Errorf("read reply: %w", err)
	}
	if step.IsRaw() || strings.EqualFold(string(step.Args[0]), "quit") {
		s.drop(step.Conn)
	}
	return reply, nil
}

// ResetServer brings a shared external server to the state a fresh one
// would have for the parts scripts can observe: every database empty. The
// connection it uses is closed, so the script starts on new connections.
func ResetServer(addr string) error {
	s := NewSession(addr)
	defer s.Close()
	reply, err := s.Do(Step{Text: "FLUSHALL", Args: [][]byte{[]byte("FLUSHALL")}, Conn: MainConn})
	if err != nil {
		return err
	}
	if string(reply) != "+OK\r\n" {
		return fmt.Errorf("FLUSHALL replied %q", reply)
	}
	return nil
}

// Run executes all steps of a script on one session and returns the replies
// and errors, index for index. It keeps going after an error so that one
// failure does not hide the others.
func Run(addr string, steps []Step) (replies [][]byte, errs []error) {
	s := NewSession(addr)
	defer s.Close()
	replies = make([][]byte, len(steps))
	errs = make([]error, len(steps))
	// A connection whose awaited push never came has lost its place in the
	// stream: its later !read steps fail at once instead of each waiting.
	lost := map[string]bool{}
	for i, st := range steps {
		if st.ReadOnly && lost[st.Conn] {
			errs[i] = fmt.Errorf("skipped: an earlier !read on %q failed", st.Conn)
			continue
		}
		replies[i], errs[i] = s.Do(st)
		if errs[i] != nil && st.ReadOnly {
			lost[st.Conn] = true
		}
	}
	return replies, errs
}
