// Package crash kills a real Taconite process with SIGKILL under a write
// load and checks, after each restart, that what was acknowledged
// survived: with appendfsync always every acknowledged write, with
// everysec all but about the last two seconds.
package crash

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/resp"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "taconite-crash")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "taconite")
	out, err := exec.Command("go", "build", "-o", binary, "github.com/taconite/taconite/cmd/taconite").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs taconite on dir with the AOF on and returns once it answers
// PING (the AOF loads while clients get -LOADING).
func start(t *testing.T, dir string, port int, fsync string) *exec.Cmd {
	return startWith(t, dir, port, "--appendonly", "yes", "--appendfsync", fsync)
}

// TestCrashAlways: 50 cycles of writes and SIGKILL with appendfsync
// always; every acknowledged INCR is in the counter after restart, and the
// counter never exceeds what was sent.
func TestCrashAlways(t *testing.T) {
	cycles := 50
	if testing.Short() {
		cycles = 10
	}
	dir := t.TempDir()
	port := freePort(t)
	acked, sent := 0, 0
	for cycle := 0; cycle < cycles; cycle++ {
		srv := start(t, dir, port, "always")
		nc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(nc)
		got := readInt(t, nc, r, "GET", "counter")
		if got < acked || got > sent {
			srv.Process.Kill()
			t.Fatalf("cycle %d: counter %d after restart, acknowledged %d, sent %d", cycle, got, acked, sent)
		}
		acked, sent = got, got
		// Kill at a random moment while INCRs are in flight (pipelined
		// by 4, so some are sent but not yet acknowledged).
		killAt := time.Now().Add(time.Duration(5+rand.IntN(40)) * time.Millisecond)
		done := make(chan struct{})
		go func() {
			time.Sleep(time.Until(killAt))
			srv.Process.Signal(syscall.SIGKILL)
			close(done)
		}()
		for {
			var b []byte
			for i := 0; i < 4; i++ {
				b = resp.AppendCommandStrings(b, "INCR", "counter")
			}
			nc.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := nc.Write(b); err != nil {
				break
			}
			sent += 4
			ok := true
			for i := 0; i < 4; i++ {
				line, err := resp.ReadReply(r)
				if err != nil {
					ok = false
					break
				}
				if line.Type != ':' || line.Int != int64(acked+1) {
					t.Fatalf("INCR replied %+v after %d acknowledged", line, acked)
				}
				acked++
			}
			if !ok {
				break
			}
		}
		<-done
		srv.Wait()
		nc.Close()
	}
	t.Logf("%d crash cycles, %d increments acknowledged", cycles, acked)
}

// TestCrashEverySec: with everysec, a SIGKILL loses at most about two
// seconds of acknowledged writes.
func TestCrashEverySec(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	for cycle := 0; cycle < 3; cycle++ {
		srv := start(t, dir, port, "everysec")
		nc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(nc)
		base := readInt(t, nc, r, "GET", "counter")
		type mark struct {
			at time.Time
			n  int
		}
		var marks []mark
		n := base
		stop := time.Now().Add(2500 * time.Millisecond)
		for time.Now().Before(stop) {
			if v := readInt(t, nc, r, "INCR", "counter"); v != n+1 {
				t.Fatalf("INCR %d after %d", v, n)
			}
			n++
			marks = append(marks, mark{time.Now(), n})
		}
		killed := time.Now()
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		nc.Close()
		srv = start(t, dir, port, "everysec")
		nc, _ = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		got := readInt(t, nc, bufio.NewReader(nc), "GET", "counter")
		nc.Close()
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		// Everything acknowledged more than two seconds before the kill
		// must be there.
		need := base
		for _, m := range marks {
			if killed.Sub(m.at) > 2*time.Second {
				need = m.n
			}
		}
		if got < need || got > n {
			t.Fatalf("cycle %d: counter %d, want between %d and %d", cycle, got, need, n)
		}
	}
}

func readInt(t *testing.T, nc net.Conn, r *bufio.Reader, args ...string) int {
	t.Helper()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Write(resp.AppendCommandStrings(nil, args...)); err != nil {
		t.Fatal(err)
	}
	v, err := resp.ReadReply(r)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case v.Null:
		return 0
	case v.Type == ':':
		return int(v.Int)
	case v.Type == '$':
		n, err := strconv.Atoi(strings.TrimSpace(string(v.Str)))
		if err != nil {
			t.Fatalf("%v: %q", args, v.Str)
		}
		return n
	}
	t.Fatalf("%v: unexpected %+v", args, v)
	return 0
}
