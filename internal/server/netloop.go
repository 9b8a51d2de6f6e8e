package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/rerr"
	"golang.org/x/sys/unix"
)

// loop is one event loop: a goroutine waiting on its own epoll set for the
// connections it owns, reading what arrives, running the commands, and
// writing each connection's replies once per batch. The server runs one
// loop per CPU; connections are spread over them on accept. A loop's
// goroutine is the only one that reads from its connections, runs their
// commands and closes them; other goroutines reach a loop through post.
//
// Why not a goroutine per connection: Go's net package reads until EAGAIN
// before parking, one more syscall per request than Redis makes, which
// at one request per round trip decides the throughput.
type loop struct {
	// busy: the loop is serving clients from inside a long script (see
	// serveWhileBusy); loop goroutine only.
	busy bool
	// lane is the loop's keyspace lane for shared-mode commands
	// (keyspace/shared.go), -1 for none.
	lane   int
	s      *Server
	epfd   int
	wakefd int // eventfd that post uses to interrupt epoll_wait

	// Owned by the loop goroutine.
	clients  map[int]*client // by fd
	flushq   []*client       // clients with replies to write at the end of the batch
	paused   []*client       // clients held by CLIENT PAUSE
	listenFD map[int]bool
	next     int // round-robin target for accepted connections

	// serveQ holds the woken waiters of this loop that serveBlocked runs
	// before the writing command's caller goes on; serving is set while
	// it does. Loop goroutine only.
	serveQ  []*waiter
	serving bool

	mu     sync.Mutex // guards tasks and closed
	tasks  []func()
	closed bool // the loop has exited and closed its fds

	// now is read once per batch of events; mark is how far into the
	// batch the previous command ended. Commands take their instant and
	// duration from these, one monotonic clock read each.
	now   time.Time
	nowNs int64 // now.UnixNano()
	mark  time.Duration
	// yielded is when the loop last passed through the Go scheduler (see
	// yieldToScheduler).
	yielded time.Time
	// spin: the last events came quickly, poll before sleeping (see wait).
	spin bool

	stats loopStats
}

// loopStats are the counters a loop's commands update. Each loop has its
// own, so two loops never write one cache line; INFO sums them. Atomics
// because INFO and CONFIG RESETSTAT read and reset them from elsewhere.
type loopStats struct {
	commands atomic.Int64
	netIn    atomic.Int64
	netOut   atomic.Int64
	dirty    atomic.Int64
	cmd      []cmdStat // by command ID
}

func newLoop(s *Server) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	l := &loop{s: s, lane: -1, epfd: epfd, wakefd: wakefd, clients: map[int]*client{}, listenFD: map[int]bool{}}
	l.stats.cmd = make([]cmdStat, s.table.NumIDs())
	if err := l.add(wakefd); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *loop) add(fd int) error {
	return unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
}

// watch turns EPOLLOUT interest on or off for fd; safe from any goroutine.
func (l *loop) watch(fd int, out bool) {
	ev := uint32(unix.EPOLLIN)
	if out {
		ev |= unix.EPOLLOUT
	}
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Events: ev, Fd: int32(fd)})
}

// post runs fn on the loop's goroutine; safe from any goroutine.
// A task posted after the loop exited (a blocking timeout firing during
// shutdown) is dropped: the eventfd is closed and its number may already
// belong to another file.
// It reports whether fn was queued.
func (l *loop) post(fn func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.tasks = append(l.tasks, fn)
	var one = [8]byte{1}
	unix.Write(l.wakefd, one[:])
	return true
}

func (l *loop) runTasks() {
	var buf [8]byte
	unix.Read(l.wakefd, buf[:])
	l.mu.Lock()
	tasks := l.tasks
	l.tasks = nil
	l.mu.Unlock()
	for _, fn := range tasks {
		fn()
	}
}

// run is the loop's goroutine. It returns when the server shuts down and
// every connection of the loop is closed.
func (l *loop) run(done func()) {
	defer done()
	// The loop keeps one OS thread for its whole life: unpinned, the
	// runtime resumed it on whichever thread was free after a yield (or
	// after an epoll_wait whose P was taken and not free again), often
	// one that had to be woken or that last ran on the client's core.
	// Pinned, redis-benchmark -P 1 p99 fell from 0.61-0.65 to 0.44-0.53
	// ms for GET and INCR (two runs of 9 alternated rounds against the
	// unpinned build; SET 0.50 vs 0.55 and 0.57 vs 0.55), and at -P 16
	// from 1.14-1.19 to 1.01-1.03 ms, with the same throughput. The
	// thread ends with the loop.
	runtime.LockOSThread()
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := l.wait(events)
		if err != nil && err != unix.EINTR {
			l.s.log.Warningf("epoll_wait: %v", err)
			return
		}
		l.setNow(time.Now())
		l.yieldToScheduler()
		for i := 0; i < n; i++ {
			fd := int(events[i].Fd)
			ev := events[i].Events
			switch {
			case fd == l.wakefd:
				l.runTasks()
			case l.listenFD[fd]:
				l.accept(fd)
			default:
				c := l.clients[fd]
				if c == nil {
					continue
				}
				if ev&unix.EPOLLOUT != 0 {
					c.onWritable()
				}
				// A paused or blocked client's input is still read (the
				// level-triggered poller would otherwise report it again
				// and again) but not run until it resumes.
				if ev&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
					c.onReadable()
				}
			}
		}
		l.flushAOF()
		for _, c := range l.flushq {
			c.flushOut()
		}
		l.flushq = l.flushq[:0]
		if l.s.stopping.Load() {
			for _, c := range l.clients {
				c.flushOut()
				c.close()
			}
			l.closeListeners()
			l.mu.Lock()
			l.closed = true
			unix.Close(l.wakefd)
			unix.Close(l.epfd)
			l.mu.Unlock()
			return
		}
	}
}

// spinWait is how long a busy loop polls for events before it sleeps in
// epoll_wait. A loop that sleeps between every few requests must be woken
// by the sender each time, and that wakeup is paid by the client's send:
// under redis-benchmark -P 1 Taconite, faster per request than Redis,
// slept more often (37k times for 300k requests against Redis's 31k), and
// the client, the bottleneck there, spent more CPU per request against it.
// Polling for 10 us first cut the sleeps to 14k and the client's CPU per
// request below what it spends against Redis (see the commit). Spinning
// stops as soon as a wait outlasts it (see wait), so an idle or lightly
// loaded server sleeps at once.
const spinWait = 10 * time.Microsecond

// wait returns the next events, as epoll_wait(-1). If the loop's last
// sleep was shorter than spinWait, it first polls without sleeping for up
// to spinWait; it keeps doing so while events come within that time. A
// poll that runs out, or a sleep longer than spinWait, stops the
// spinning until a sleep is short again: at most one spinWait is spent
// in vain each time the traffic slows. A machine with one CPU never
// spins: the sender could not run meanwhile.
func (l *loop) wait(events []unix.EpollEvent) (int, error) {
	if l.spin {
		start := time.Now()
		for {
			n, err := unix.EpollWait(l.epfd, events, 0)
			if n != 0 || (err != nil && err != unix.EINTR) {
				return n, err
			}
			if time.Since(start) >= spinWait {
				break
			}
		}
		l.spin = false
		return unix.EpollWait(l.epfd, events, -1)
	}
	start := time.Now()
	n, err := unix.EpollWait(l.epfd, events, -1)
	l.spin = spinCPUs && time.Since(start) < spinWait
	return n, err
}

// spinCPUs: there is another CPU for the sender to run on while a loop
// spins.
var spinCPUs = runtime.NumCPU() > 1

// yieldMinInterval is how long the loop goroutine runs between passes
// through the Go scheduler: below the runtime's 10 ms preemption limit,
// and not much below it, since each yield hands the loop's P to another
// thread and back (the loop is pinned to its thread, see run).
const yieldMinInterval = 5 * time.Millisecond

// yieldToScheduler passes through the Go scheduler every few milliseconds.
// The loop blocks in epoll_wait, never in the scheduler, so without this
// the runtime sees one goroutine running for ever: every 10 ms its monitor
// thread preempts it and takes its P while it sits in epoll_wait, which
// moves the loop to another OS thread and resets the monitor to polling
// every 20 us (1,500 wakeups a second measured under redis-benchmark -P 1,
// each one taking the CPU from whatever runs on that core, such as the
// client). A yield every 5 ms keeps the monitor asleep for 10 ms at a time.
func (l *loop) yieldToScheduler() {
	if l.now.Sub(l.yielded) >= yieldMinInterval {
		l.yielded = l.now
		runtime.Gosched()
	}
}

// flushAOF writes what this loop's commands appended to the AOF before
// their replies go out.
func (l *loop) flushAOF() {
	if a := l.s.aofLog.Load(); a != nil {
		if err := a.Flush(); err != nil {
			l.s.log.Warningf("Error writing to the AOF file: %v", err)
		}
	}
}

// serveWhileBusy serves the loop's other clients from inside a long
// script run by caller: what they send is answered -BUSY, except the
// commands Redis allows while busy (SCRIPT KILL, FUNCTION KILL, SHUTDOWN
// NOSAVE...). Tasks, accepts and the caller's own input wait for the
// script to end.
func (l *loop) serveWhileBusy(caller *client) {
	if l.busy {
		return
	}
	l.busy = true
	defer func() { l.busy = false }()
	var events [64]unix.EpollEvent
	n, err := unix.EpollWait(l.epfd, events[:], 0)
	if err != nil {
		return
	}
	for i := 0; i < n; i++ {
		fd := int(events[i].Fd)
		if fd == l.wakefd || l.listenFD[fd] {
			continue
		}
		c := l.clients[fd]
		if c == nil || c == caller || c.blocked != nil || c.paused {
			continue
		}
		if events[i].Events&unix.EPOLLOUT != 0 {
			c.onWritable()
		}
		if events[i].Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			c.onReadable()
		}
	}
	for _, c := range l.flushq {
		if c != caller {
			c.flushOut()
		}
	}
	q := l.flushq[:0]
	for _, c := range l.flushq {
		if c == caller {
			q = append(q, c)
		}
	}
	l.flushq = q
}

// forget drops a closing client from the loop (called by client.close on
// the loop goroutine).
func (l *loop) forget(c *client) {
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	delete(l.clients, c.fd)
}

// setNow starts a batch of commands at t (see loop.now).
func (l *loop) setNow(t time.Time) {
	l.now, l.nowNs, l.mark = t, t.UnixNano(), 0
}

// resumePaused re-runs the input of clients CLIENT PAUSE held back.
func (l *loop) resumePaused() {
	l.setNow(time.Now())
	ps := l.paused
	l.paused = nil
	for _, c := range ps {
		if c.closed {
			continue
		}
		c.paused = false
		c.processInput()
	}
	for _, c := range l.flushq {
		c.flushOut()
	}
	l.flushq = l.flushq[:0]
}

// accept takes every pending connection of a listening socket and hands
// each to a loop, round robin.
func (l *loop) accept(lfd int) {
	s := l.s
	for {
		nfd, sa, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			// EINVAL: a CONFIG SET of port or bind shut the socket down,
			// and loop 0 closes it with its next tasks.
			if err != unix.EAGAIN && err != unix.EINTR && err != unix.ECONNABORTED && err != unix.EINVAL {
				s.log.Warningf("Accepting client connection: %v", err)
			}
			return
		}
		unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		if ka := s.cfg.Int("tcp-keepalive"); ka > 0 {
			unix.SetsockoptInt(nfd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
			unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, int(ka))
			unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, max(int(ka)/3, 1))
			unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 3)
		}
		laddr := ""
		if lsa, err := unix.Getsockname(nfd); err == nil {
			laddr = sockaddrString(lsa)
		}
		c := s.newClient(nfd, sockaddrString(sa), laddr)
		if msg := s.admit(c, sa); msg != "" {
			unix.Write(nfd, []byte(msg))
			unix.Close(nfd)
			continue
		}
		target := s.loops[l.next%len(s.loops)]
		l.next++
		c.loop = target
		if target == l {
			l.register(c)
		} else {
			target.post(func() { target.register(c) })
		}
	}
}

// admit counts a new client in, or returns the error line it is refused
// with (maxclients, protected mode); accept and the TLS handshake share it.
func (s *Server) admit(c *client, peer unix.Sockaddr) string {
	denied := s.protectedDenied(peer)
	s.mu.Lock()
	full := int64(len(s.clients)) >= s.maxClients.Load()
	if !full && !denied {
		s.clients[c.id] = c
	}
	s.mu.Unlock()
	if full {
		s.stats.rejectedConns.Add(1)
		return "-ERR max number of clients reached\r\n"
	}
	if denied {
		// Checked after maxclients, as Redis does.
		s.stats.rejectedConns.Add(1)
		return "-" + rerr.ProtectedMode + "\r\n"
	}
	// As Redis, refused connections are not counted as received.
	s.stats.connections.Add(1)
	return ""
}

func (l *loop) register(c *client) {
	l.clients[c.fd] = c
	if err := l.add(c.fd); err != nil {
		l.s.log.Warningf("Registering client: %v", err)
		c.close()
	}
}

func sockaddrString(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	case *unix.SockaddrInet6:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	case *unix.SockaddrUnix:
		return a.Name + ":0"
	}
	return "?:0"
}

// listenerFD takes over a listener's socket as a raw non-blocking fd for
// the event loop, and closes the net.Listener.
func listenerFD(ln net.Listener) (int, error) {
	type filer interface{ File() (*os.File, error) }
	fl, ok := ln.(filer)
	if !ok {
		return -1, fmt.Errorf("listener %T has no file descriptor", ln)
	}
	f, err := fl.File()
	if err != nil {
		return -1, err
	}
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	ln.Close()
	if err != nil {
		return -1, err
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// ---- Listening sockets: the plaintext and the TLS port ----

// bindAddr is one address of the bind directive, with the port.
type bindAddr struct {
	network  string // tcp4 or tcp6
	host     string
	hostport string
	optional bool // a leading '-': failing to bind it is not an error
}

// bindAddrs resolves the bind directive's addresses for port: "*" is
// every IPv4 address, "::*" every IPv6 one.
func bindAddrs(bind []string, port int64) []bindAddr {
	var as []bindAddr
	for _, addr := range bind {
		optional := strings.HasPrefix(addr, "-")
		addr = strings.TrimPrefix(addr, "-")
		switch addr {
		case "*":
			addr = "0.0.0.0"
		case "::*":
			addr = "::"
		}
		network := "tcp4"
		if strings.Contains(addr, ":") {
			network = "tcp6"
		}
		as = append(as, bindAddr{network: network, host: addr, optional: optional,
			hostport: net.JoinHostPort(addr, strconv.FormatInt(port, 10))})
	}
	return as
}

// openAddr listens on one bind address. Its error is Redis's log line;
// what names the socket in it ("TCP", "TLS").
func (s *Server) openAddr(lc net.ListenConfig, a bindAddr, what string) (net.Listener, error) {
	l, err := lc.Listen(context.Background(), a.network, a.hostport)
	if err != nil {
		return nil, fmt.Errorf("Warning: Could not create server %s listening socket %s: %w", what, a.hostport, err)
	}
	return l, nil
}

// listen opens the TCP listeners of the bind and port directives.
func (s *Server) listen() ([]net.Listener, error) {
	port := s.cfg.Int("port")
	if port == 0 {
		return nil, nil
	}
	return s.listenBind(net.ListenConfig{}, port, "TCP")
}

// listenBind opens port on every bind address at startup (the plaintext
// port and the TLS port alike). An optional address that fails is
// skipped (Redis's "-::1"); listening on none is an error.
func (s *Server) listenBind(lc net.ListenConfig, port int64, what string) ([]net.Listener, error) {
	var ls []net.Listener
	for _, a := range bindAddrs(s.cfg.Strings("bind"), port) {
		l, err := s.openAddr(lc, a, what)
		if err != nil {
			if a.optional {
				s.log.Verbosef("Skipping optional bind address %s: %v", a.host, err)
				continue
			}
			for _, o := range ls {
				o.Close()
			}
			return nil, err
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return nil, errors.New("Failed listening on any bind address")
	}
	return ls, nil
}

// listenGroup is the set of sockets listening on one port (the plaintext
// or the TLS one) on the bind addresses. CONFIG SET of port, tls-port or
// bind re-opens it through apply, as Redis does: the sockets no longer
// wanted stop listening at once, the new ones are opened, and existing
// connections stay as they are.
type listenGroup struct {
	s    *Server
	what string // "TCP" or "TLS", for the log
	lc   func() net.ListenConfig
	// serve starts accepting on a new listener; stop ends a socket that
	// serve started.
	serve func(net.Listener) (listenSock, error)
	stop  func(listenSock)

	mu     sync.Mutex // guards socks and closed; held while re-opening
	socks  []listenSock
	closed bool // the server is stopping: apply does nothing
}

// listenSock is one listening socket of a group.
type listenSock struct {
	key  string // the host:port it listens on
	addr net.Addr
	fd   int          // plaintext: the raw fd loop 0 accepts on
	ln   net.Listener // TLS: the listener its goroutine accepts on
}

// adopt serves a listener opened at startup (or injected by a test).
func (g *listenGroup) adopt(ln net.Listener) error {
	addr := ln.Addr()
	sk, err := g.serve(ln)
	if err != nil {
		return err
	}
	sk.key, sk.addr = addr.String(), addr
	g.mu.Lock()
	g.socks = append(g.socks, sk)
	g.mu.Unlock()
	return nil
}

// apply makes the group listen on port (none for 0) on the bind
// addresses. A socket whose address stays is kept, so that re-applying
// the same values changes nothing. The others are stopped first, so that
// a new socket may take the same port on an overlapping address (from
// "*" to "127.0.0.1"). If a required address cannot be bound, the sockets
// opened here are closed again and the error (already logged) returned:
// CONFIG SET then restores the old values and applies them again.
// Listening nowhere is allowed, as in Redis.
func (g *listenGroup) apply(bind []string, port int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	var want []bindAddr
	if port != 0 {
		want = bindAddrs(bind, port)
	}
	wanted := map[string]bool{}
	for _, a := range want {
		wanted[a.hostport] = true
	}
	have := map[string]listenSock{}
	for _, sk := range g.socks {
		if _, dup := have[sk.key]; wanted[sk.key] && !dup {
			have[sk.key] = sk
		} else {
			g.stop(sk)
		}
	}
	var opened []listenSock
	var err error
	for _, a := range want {
		if _, ok := have[a.hostport]; ok {
			continue
		}
		ln, e := g.s.openAddr(g.lc(), a, g.what)
		if e != nil && a.optional {
			g.s.log.Verbosef("Skipping optional bind address %s: %v", a.host, e)
			continue
		}
		var sk listenSock
		if e == nil {
			addr := ln.Addr()
			if sk, e = g.serve(ln); e == nil {
				sk.key, sk.addr = a.hostport, addr
			} else {
				ln.Close()
			}
		}
		if e != nil {
			g.s.log.Warningf("%v", e)
			err = e
			break
		}
		have[a.hostport] = sk
		opened = append(opened, sk)
	}
	if err != nil {
		for _, sk := range opened {
			g.stop(sk)
			delete(have, sk.key)
		}
	}
	g.socks = g.socks[:0]
	for _, a := range want {
		if sk, ok := have[a.hostport]; ok {
			g.socks = append(g.socks, sk)
			delete(have, a.hostport)
		}
	}
	return err
}

// listening reports whether the group has a socket open.
func (g *listenGroup) listening() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.socks) > 0
}

func (g *listenGroup) addrs() []net.Addr {
	g.mu.Lock()
	defer g.mu.Unlock()
	as := make([]net.Addr, 0, len(g.socks))
	for _, sk := range g.socks {
		as = append(as, sk.addr)
	}
	return as
}

// close freezes the group as the server stops and returns its sockets,
// which the caller closes.
func (g *listenGroup) close() []listenSock {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	socks := g.socks
	g.socks = nil
	return socks
}

// startListeners hands the plaintext port's listeners to loop 0 and
// makes CONFIG SET port re-open them.
func (s *Server) startListeners(ls []net.Listener) error {
	g := &listenGroup{s: s, what: "TCP", lc: func() net.ListenConfig { return net.ListenConfig{} },
		serve: s.servePlain, stop: s.stopPlain}
	s.plain = g
	for _, ln := range ls {
		if err := g.adopt(ln); err != nil {
			return err
		}
	}
	s.setAddrs()
	s.cfg.OnApply("port", func(c *config.Config) error {
		err := g.apply(c.Strings("bind"), c.Int("port"))
		s.setAddrs()
		if err != nil {
			return errors.New(rerr.ConfigListenFailed)
		}
		return nil
	})
	return nil
}

// setAddrs records the plaintext port's addresses for Addrs.
func (s *Server) setAddrs() {
	as := s.plain.addrs()
	s.mu.Lock()
	s.addrs = as
	s.mu.Unlock()
}

// servePlain registers a plaintext listener with loop 0, which accepts on
// it. Loop 0's goroutine owns listenFD, so the registration is one of its
// tasks (before Run starts the loops, the first it runs).
func (s *Server) servePlain(ln net.Listener) (listenSock, error) {
	fd, err := listenerFD(ln)
	if err != nil {
		return listenSock{}, err
	}
	l0 := s.loops[0]
	if !l0.post(func() {
		l0.listenFD[fd] = true
		if err := l0.add(fd); err != nil {
			s.log.Warningf("Registering a listening socket: %v", err)
		}
	}) {
		unix.Close(fd)
		return listenSock{}, errors.New("the server is stopping")
	}
	return listenSock{fd: fd}, nil
}

// stopPlain ends a plaintext listener. shutdown(2) refuses new
// connections at once and frees the port for another socket; the fd
// itself is closed by loop 0, after it forgot it, so that its number
// cannot be reused while an event of the listener may still be pending
// there. (The group is frozen before loop 0 exits, so the fd and the
// epoll set are still open here.)
func (s *Server) stopPlain(sk listenSock) {
	l0, fd := s.loops[0], sk.fd
	unix.EpollCtl(l0.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	unix.Shutdown(fd, unix.SHUT_RDWR)
	l0.post(func() {
		unix.EpollCtl(l0.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		delete(l0.listenFD, fd)
		unix.Close(fd)
	})
}

// closeListeners closes the listening sockets as the loop exits: those it
// accepts on, and on loop 0 those a CONFIG SET opened whose registration
// task will not run any more.
func (l *loop) closeListeners() {
	fds := l.listenFD
	if g := l.s.plain; g != nil && l == l.s.loops[0] {
		for _, sk := range g.close() {
			fds[sk.fd] = true
		}
	}
	for fd := range fds {
		unix.Close(fd)
	}
}
