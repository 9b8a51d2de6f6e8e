package server_test

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/rerr"
	"github.com/taconite/taconite/internal/servertest"
)

// dialFrom connects to the server from a given local address (127.0.0.2
// is loopback to the kernel, but not "127.0.0.1", so Redis's protected
// mode treats it as a remote client) and returns everything the server
// sends before closing, or what it sent within a short wait.
func dialFrom(t *testing.T, s *servertest.Server, local string, send string) (string, bool) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	nc, err := d.Dial("tcp", s.Addr)
	if err != nil {
		t.Skipf("cannot dial from %s: %v", local, err)
	}
	defer nc.Close()
	if send != "" {
		nc.Write([]byte(send))
	}
	var got []byte
	buf := make([]byte, 4096)
	closed := false
	for {
		// A refused client is answered and closed at once; an accepted
		// one answers its PING and stays open.
		nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := nc.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			closed = true
			break
		}
		if err != nil || strings.HasSuffix(string(got), "\r\n") && send != "" {
			break
		}
	}
	return string(got), closed
}

// TestProtectedMode: with protected-mode yes (the default) and a default
// user without password, a client from another address than 127.0.0.1
// gets Redis's -DENIED text and is disconnected; a password, a disabled
// protected mode or a local address let it in (checked against
// redis-server 7.0.15 the same way).
func TestProtectedMode(t *testing.T) {
	s := servertest.Start(t)
	admin := s.Dial(t)
	want := "-" + rerr.ProtectedMode + "\r\n"
	if got, closed := dialFrom(t, s, "127.0.0.2", ""); got != want || !closed {
		t.Fatalf("remote client: %q closed=%v", got, closed)
	}
	if got, closed := dialFrom(t, s, "127.0.0.1", "PING\r\n"); got != "+PONG\r\n" || closed {
		t.Fatalf("local client: %q closed=%v", got, closed)
	}
	if got := admin.Do("INFO", "stats"); !strings.Contains(got, "rejected_connections:1\r\n") {
		t.Errorf("INFO stats: rejected_connections not 1")
	}
	admin.Do("CONFIG", "SET", "protected-mode", "no")
	if got, _ := dialFrom(t, s, "127.0.0.2", "PING\r\n"); got != "+PONG\r\n" {
		t.Fatalf("protected-mode no: %q", got)
	}
	admin.Do("CONFIG", "SET", "protected-mode", "yes")
	admin.Do("ACL", "SETUSER", "default", "resetpass", ">pw")
	if got, _ := dialFrom(t, s, "127.0.0.2", "PING\r\n"); got != "-NOAUTH Authentication required.\r\n" {
		t.Fatalf("with a password: %q", got)
	}
	// Only the nopass flag matters, not whether the user is enabled.
	admin.Do("AUTH", "pw")
	admin.Do("ACL", "SETUSER", "default", "off", "nopass")
	if got, closed := dialFrom(t, s, "127.0.0.2", ""); got != want || !closed {
		t.Fatalf("default off nopass: %q closed=%v", got, closed)
	}
}
