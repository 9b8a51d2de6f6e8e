package server_test

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/rerr"
	"github.com/taconite/taconite/internal/servertest"
)

// CONFIG SET port and bind at runtime, as checked against redis-server
// 7.0.15: the server listens on the new port or addresses at once and no
// longer on the old ones, connections already made stay, port 0 stops
// listening, and a port or address that cannot be bound is refused with
// the old value kept (and still served).

// on is host:port.
func on(host, port string) string { return net.JoinHostPort(host, port) }

// wantRefused checks that nothing listens on addr.
func wantRefused(t *testing.T, addr string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		nc.Close()
		t.Fatalf("%s accepts connections", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", addr, err)
	}
}

// wantPong checks that a new plaintext client on addr is served.
func wantPong(t *testing.T, addr string) {
	t.Helper()
	if r := plainDo(t, addr, "PING"); r != "+PONG\r\n" {
		t.Fatalf("PING on %s = %q", addr, r)
	}
}

func configSetFailed(name, reason string) string {
	return "-ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + reason + "\r\n"
}

func TestListenConfigSetPort(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	p1 := freePort(t)
	if r := c.Do("CONFIG", "SET", "port", p1); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET port = %q", r)
	}
	wantRefused(t, s.Addr)
	wantPong(t, on("127.0.0.1", p1))
	if r := c.Do("PING"); r != "+PONG\r\n" {
		t.Fatalf("existing client after CONFIG SET port: %q", r)
	}
	// The default bind is "127.0.0.1 -::1".
	if got := s.Server.Addrs(); len(got) == 0 || got[0].String() != on("127.0.0.1", p1) {
		t.Fatalf("Addrs = %v", got)
	}
	if r := c.Do("INFO", "server"); !strings.Contains(r, "\r\ntcp_port:"+p1+"\r\n") {
		t.Fatalf("INFO server: %q", r)
	}

	// A port in use: refused, the old value kept and still served.
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	bp := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	if r := c.Do("CONFIG", "SET", "port", bp); r != configSetFailed("port", rerr.ConfigListenFailed) {
		t.Fatalf("CONFIG SET port (in use) = %q", r)
	}
	if r := c.Do("CONFIG", "GET", "port"); r != "*2\r\n$4\r\nport\r\n$"+strconv.Itoa(len(p1))+"\r\n"+p1+"\r\n" {
		t.Fatalf("CONFIG GET port after a failed set = %q", r)
	}
	wantPong(t, on("127.0.0.1", p1))

	// Port 0: no more plaintext listener; the connected client stays.
	if r := c.Do("CONFIG", "SET", "port", "0"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET port 0 = %q", r)
	}
	wantRefused(t, on("127.0.0.1", p1))
	if r := c.Do("PING"); r != "+PONG\r\n" {
		t.Fatalf("existing client after port 0: %q", r)
	}
	if got := s.Server.Addrs(); len(got) != 0 {
		t.Fatalf("Addrs after port 0 = %v", got)
	}
	// And back, on the same port.
	if r := c.Do("CONFIG", "SET", "port", p1); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET port again = %q", r)
	}
	wantPong(t, on("127.0.0.1", p1))
}

func TestListenConfigSetBind(t *testing.T) {
	// 127.0.0.2 is a loopback address to the kernel but a remote client
	// to protected mode.
	s := servertest.Start(t, "--protected-mode", "no")
	c := s.Dial(t)
	p := freePort(t)
	if r := c.Do("CONFIG", "SET", "port", p); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET port = %q", r)
	}
	one, two := on("127.0.0.1", p), on("127.0.0.2", p)
	if r := c.Do("CONFIG", "SET", "bind", "127.0.0.2"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET bind = %q", r)
	}
	wantRefused(t, one)
	wantPong(t, two)
	// From one address to the wildcard, on the same port.
	if r := c.Do("CONFIG", "SET", "bind", "*"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET bind * = %q", r)
	}
	wantPong(t, one)
	wantPong(t, two)
	// And from the wildcard to one address.
	if r := c.Do("CONFIG", "SET", "bind", "127.0.0.1"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET bind 127.0.0.1 = %q", r)
	}
	wantPong(t, one)
	wantRefused(t, two)

	// An address of no interface (TEST-NET-1): refused, nothing moved.
	if r := c.Do("CONFIG", "SET", "bind", "127.0.0.2 192.0.2.1"); r != configSetFailed("bind", rerr.ConfigBindFailed) {
		t.Fatalf("CONFIG SET bind (unavailable) = %q", r)
	}
	if r := c.Do("CONFIG", "GET", "bind"); r != "*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.1\r\n" {
		t.Fatalf("CONFIG GET bind after a failed set = %q", r)
	}
	wantPong(t, one)
	wantRefused(t, two)
	// Optional, it is skipped.
	if r := c.Do("CONFIG", "SET", "bind", "127.0.0.2 -192.0.2.1"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET bind (optional) = %q", r)
	}
	wantPong(t, two)
	wantRefused(t, one)

	// port and bind together; a failing bind rolls the port back too.
	p2 := freePort(t)
	if r := c.Do("CONFIG", "SET", "port", p2, "bind", "127.0.0.1"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET port bind = %q", r)
	}
	wantPong(t, on("127.0.0.1", p2))
	wantRefused(t, two)
	// The error names the first argument whose apply failed, as in
	// Redis: port's, which already listens on the new bind addresses.
	p3 := freePort(t)
	if r := c.Do("CONFIG", "SET", "port", p3, "bind", "192.0.2.1"); r != configSetFailed("port", rerr.ConfigListenFailed) {
		t.Fatalf("CONFIG SET port bind (unavailable) = %q", r)
	}
	if r := c.Do("CONFIG", "SET", "bind", "192.0.2.1", "port", p3); r != configSetFailed("bind", rerr.ConfigBindFailed) {
		t.Fatalf("CONFIG SET bind port (unavailable) = %q", r)
	}
	wantPong(t, on("127.0.0.1", p2))
	wantRefused(t, on("127.0.0.1", p3))
	if r := c.Do("PING"); r != "+PONG\r\n" {
		t.Fatalf("existing client = %q", r)
	}
}
