package server_test

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

func TestPipelineOneWrite(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	var req []byte
	for i := 0; i < 100; i++ {
		req = resp.AppendCommandStrings(req, "SET", fmt.Sprintf("k%d", i), "v")
		req = resp.AppendCommandStrings(req, "GET", fmt.Sprintf("k%d", i))
	}
	c.Send(req)
	for i := 0; i < 100; i++ {
		if got := c.ReadRaw(); got != "+OK\r\n" {
			t.Fatalf("SET reply %q", got)
		}
		if got := c.ReadRaw(); got != "$1\r\nv\r\n" {
			t.Fatalf("GET reply %q", got)
		}
	}
}

func TestInlineCommands(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Send([]byte("SET \"a b\" 'c d'\r\nGET \"a b\"\r\n\r\nPING\n"))
	for _, want := range []string{"+OK\r\n", "$3\r\nc d\r\n", "+PONG\r\n"} {
		if got := c.ReadRaw(); got != want {
			t.Fatalf("got %q want %q", got, want)
		}
	}
}

func TestProtocolErrorCloses(t *testing.T) {
	s := servertest.Start(t)
	for _, tc := range []struct{ in, want string }{
		{"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*1\r\n+foo\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"},
		{"SET \"a b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
	} {
		c := s.Dial(t)
		c.Send([]byte(tc.in))
		if got := c.ReadRaw(); got != tc.want {
			t.Errorf("%q: got %q want %q", tc.in, got, tc.want)
		}
		c.Raw().SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Raw().Read(make([]byte, 1)); err == nil || n != 0 {
			t.Errorf("%q: connection not closed", tc.in)
		}
	}
	// The server keeps serving others.
	if got := s.Dial(t).Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("after errors: %q", got)
	}
}

func TestHugeBulkRefusedWithoutAllocating(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Send([]byte("*2\r\n$3\r\nGET\r\n$4294967296\r\n"))
	if got := c.ReadRaw(); got != "-ERR Protocol error: invalid bulk length\r\n" {
		t.Fatalf("got %q", got)
	}
}

func TestLargeValueInPieces(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	val := strings.Repeat("x", 3<<20)
	req := resp.AppendCommandStrings(nil, "SET", "big", val)
	for i := 0; i < len(req); i += 7000 {
		c.Send(req[i:min(i+7000, len(req))])
	}
	if got := c.ReadRaw(); got != "+OK\r\n" {
		t.Fatalf("got %q", got)
	}
	if got := c.Do("STRLEN", "big"); got != ":3145728\r\n" {
		t.Fatalf("got %q", got)
	}
}

func TestExpiryWithFakeClock(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	c.Do("SET", "k", "v", "PX", "1500")
	if got := c.Do("PTTL", "k"); got != ":1500\r\n" {
		t.Fatalf("PTTL %q", got)
	}
	s.Clock.Advance(1499 * time.Millisecond)
	if got := c.Do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("before expiry %q", got)
	}
	s.Clock.Advance(time.Millisecond)
	if got := c.Do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("after expiry %q", got)
	}
	if got := c.Do("EXISTS", "k"); got != ":0\r\n" {
		t.Fatalf("exists %q", got)
	}
}

func TestActiveExpiry(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	for i := 0; i < 200; i++ {
		c.Do("SET", fmt.Sprintf("k%d", i), "v", "PX", "100")
	}
	c.Do("SET", "keep", "v")
	s.Clock.Advance(time.Second)
	// Nobody touches the keys: the cron must remove them. Poll, never sleep
	// a fixed time.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := c.Do("DBSIZE")
		if got == ":1\r\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("active expiry left %s keys", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestUnknownAndArity(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	cases := [][2][]string{
		{{"FOO", "a", "b"}, {"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n"}},
		{{"GET"}, {"-ERR wrong number of arguments for 'get' command\r\n"}},
		{{"CONFIG", "GET"}, {"-ERR wrong number of arguments for 'config|get' command\r\n"}},
		{{"CONFIG", "NOPE"}, {"-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n"}},
	}
	for _, tc := range cases {
		if got := c.Do(tc[0]...); got != tc[1][0] {
			t.Errorf("%v: got %q want %q", tc[0], got, tc[1][0])
		}
	}
}

func TestRequirePass(t *testing.T) {
	s := servertest.Start(t, "--requirepass", "secret")
	c := s.Dial(t)
	if got := c.Do("GET", "x"); got != "-NOAUTH Authentication required.\r\n" {
		t.Fatalf("got %q", got)
	}
	if got := c.Do("AUTH", "wrong"); !strings.HasPrefix(got, "-WRONGPASS") {
		t.Fatalf("got %q", got)
	}
	if got := c.Do("AUTH", "secret"); got != "+OK\r\n" {
		t.Fatalf("got %q", got)
	}
	if got := c.Do("GET", "x"); got != "$-1\r\n" {
		t.Fatalf("got %q", got)
	}
}

// TestMultiKeyAtomicity: concurrent MSETs of the same keys in different
// shards must never be observed half applied by MGET.
func TestMultiKeyAtomicity(t *testing.T) {
	s := servertest.Start(t)
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := s.Dial(t)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				args := []string{"MSET"}
				v := fmt.Sprintf("%d-%d", w, i)
				for _, k := range keys {
					args = append(args, k, v)
				}
				c.Do(args...)
			}
		}(w)
	}
	c := s.Dial(t)
	for i := 0; i < 500; i++ {
		got := c.Do(append([]string{"MGET"}, keys...)...)
		parts := strings.Split(got, "\r\n")
		// *8, then $n value pairs: all values must be equal.
		var first string
		for j := 2; j < len(parts); j += 2 {
			if parts[j] == "" {
				continue
			}
			if first == "" {
				first = parts[j]
			} else if parts[j] != first {
				t.Fatalf("torn MSET observed: %q", got)
			}
		}
	}
	close(stop)
	wg.Wait()
}

func TestManyClientsStayServed(t *testing.T) {
	s := servertest.Start(t)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			nc, err := net.Dial("tcp", s.Addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer nc.Close()
			nc.Write([]byte(fmt.Sprintf("SET key%d %d\r\nGET key%d\r\n", i, i, i)))
			buf := make([]byte, 64)
			got := ""
			for strings.Count(got, "\r\n") < 3 {
				nc.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, err := nc.Read(buf)
				if err != nil {
					t.Error(err)
					return
				}
				got += string(buf[:n])
			}
			if want := fmt.Sprintf("+OK\r\n$%d\r\n%d\r\n", len(fmt.Sprint(i)), i); got != want {
				t.Errorf("got %q want %q", got, want)
			}
		}(i)
	}
	wg.Wait()
}

// TestAnnouncedBulkDoesNotPreallocate: a client announcing a large (but
// legal) bulk and sending little of it costs the server what it sent, not
// what it announced.
func TestAnnouncedBulkDoesNotPreallocate(t *testing.T) {
	s := servertest.Start(t)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var conns []*servertest.Conn
	for i := 0; i < 4; i++ {
		c := s.Dial(t)
		c.Send([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$400000000\r\n"))
		c.Send(make([]byte, 100_000))
		conns = append(conns, c)
	}
	// A round trip on each connection's loop proves the data was read.
	if got := s.Dial(t).Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING: %q", got)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 64<<20 {
		t.Fatalf("heap grew by %d MB for 4 x 100 KB sent", grew>>20)
	}
	_ = conns
}
