package crash

import (
	"bufio"
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

// startWith runs taconite on dir with extra arguments and returns once it
// answers PING with PONG (an RDB file loads while clients get -LOADING).
func startWith(t *testing.T, dir string, port int, args ...string) *exec.Cmd {
	t.Helper()
	all := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--logfile", filepath.Join(dir, "log.txt")}, args...)
	cmd := exec.Command(binary, all...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			c.Write(resp.AppendCommandStrings(nil, "PING"))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if line == "+PONG\r\n" {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			b, _ := os.ReadFile(filepath.Join(dir, "log.txt"))
			t.Fatalf("server did not start: %s", b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// conn is a client for these tests.
type conn struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dial(t *testing.T, port int) *conn {
	nc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	return &conn{t, nc, bufio.NewReader(nc)}
}

// do sends one command and returns its reply's text (status, error,
// integer or bulk).
func (c *conn) do(args ...string) string {
	c.t.Helper()
	c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.nc.Write(resp.AppendCommandStrings(nil, args...)); err != nil {
		c.t.Fatal(err)
	}
	v, err := resp.ReadReply(c.r)
	if err != nil {
		c.t.Fatal(err)
	}
	if v.Type == ':' {
		return strconv.FormatInt(v.Int, 10)
	}
	return string(v.Str)
}

// fill sets n keys k0..k(n-1) to val, pipelined.
func (c *conn) fill(n int, val string) {
	c.t.Helper()
	var b []byte
	for i := 0; i < n; i++ {
		b = resp.AppendCommandStrings(b, "SET", "k"+strconv.Itoa(i), val)
	}
	c.nc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := resp.ReadReply(c.r); err != nil {
			c.t.Fatal(err)
		}
	}
}

// waitInfo polls INFO persistence until it contains want.
func (c *conn) waitInfo(want string) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(c.do("INFO", "persistence"), want) {
		if time.Now().After(deadline) {
			c.t.Fatalf("INFO persistence never showed %q", want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestCrashDuringBGSave: SIGKILL in the middle of a (slowed) BGSAVE leaves
// the last good dump.rdb, which loads whole.
func TestCrashDuringBGSave(t *testing.T) {
	cycles := 5
	if testing.Short() {
		cycles = 2
	}
	dir := t.TempDir()
	port := freePort(t)
	const n = 20000
	srv := startWith(t, dir, port)
	c := dial(t, port)
	c.fill(n, "good")
	if r := c.do("SAVE"); r != "OK" {
		t.Fatalf("SAVE: %q", r)
	}
	srv.Process.Kill()
	srv.Wait()
	for cycle := 0; cycle < cycles; cycle++ {
		srv := startWith(t, dir, port)
		c := dial(t, port)
		if got := c.do("DBSIZE"); got != strconv.Itoa(n) {
			t.Fatalf("cycle %d: DBSIZE %s after restart", cycle, got)
		}
		for i := 0; i < n; i += 997 {
			if v := c.do("GET", "k"+strconv.Itoa(i)); v != "good" {
				t.Fatalf("cycle %d: k%d = %q", cycle, i, v)
			}
		}
		c.fill(n, "unsaved")
		c.do("CONFIG", "SET", "rdb-key-save-delay", "100") // ~2 s for the save
		c.do("BGSAVE")
		c.waitInfo("rdb_bgsave_in_progress:1")
		time.Sleep(time.Duration(50+rand.IntN(800)) * time.Millisecond)
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		c.nc.Close()
	}
}

// TestCrashDuringAOFRewrite: SIGKILL in the middle of a (slowed)
// BGREWRITEAOF, with appendfsync always and writes going on, loses no
// acknowledged write: the manifest still names the old base and every
// incremental file.
func TestCrashDuringAOFRewrite(t *testing.T) {
	cycles := 5
	if testing.Short() {
		cycles = 2
	}
	dir := t.TempDir()
	port := freePort(t)
	const n = 20000
	acked := 0
	for cycle := 0; cycle < cycles; cycle++ {
		srv := startWith(t, dir, port, "--appendonly", "yes", "--appendfsync", "always")
		c := dial(t, port)
		if cycle == 0 {
			c.fill(n, "v")
		}
		if got := c.do("DBSIZE"); cycle > 0 && got != strconv.Itoa(n+1) {
			t.Fatalf("cycle %d: DBSIZE %s after restart", cycle, got)
		}
		got, _ := strconv.Atoi(c.do("GET", "counter"))
		if got < acked {
			t.Fatalf("cycle %d: counter %d after restart, %d acknowledged", cycle, got, acked)
		}
		acked = got
		c.do("CONFIG", "SET", "rdb-key-save-delay", "100")
		c.do("BGREWRITEAOF")
		c.waitInfo("aof_rewrite_in_progress:1")
		killAt := time.Now().Add(time.Duration(50+rand.IntN(800)) * time.Millisecond)
		for time.Now().Before(killAt) {
			if v := c.do("INCR", "counter"); v != strconv.Itoa(acked+1) {
				t.Fatalf("INCR replied %s after %d acknowledged", v, acked)
			}
			acked++
		}
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		c.nc.Close()
	}
	// A last start: the interrupted rewrites left a loadable AOF, and a
	// rewrite that completes now cleans it up.
	srv := startWith(t, dir, port, "--appendonly", "yes")
	c := dial(t, port)
	if got, _ := strconv.Atoi(c.do("GET", "counter")); got != acked {
		t.Fatalf("counter %d, %d acknowledged", got, acked)
	}
	c.do("BGREWRITEAOF")
	c.waitInfo("aof_rewrites:1")
	srv.Process.Kill()
	srv.Wait()
}
