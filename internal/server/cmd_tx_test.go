package server_test

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// rawClient is a connection usable from any goroutine: errors are
// returned, not reported through testing.T.
type rawClient struct {
	nc net.Conn
	r  *bufio.Reader
}

func dialRaw(addr string) (*rawClient, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &rawClient{nc: nc, r: bufio.NewReader(nc)}, nil
}

func (c *rawClient) do(args ...string) (string, error) {
	c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.nc.Write(resp.AppendCommandStrings(nil, args...)); err != nil {
		return "", err
	}
	return c.read()
}

func (c *rawClient) read() (string, error) {
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := resp.ReadRawReply(c.r)
	return string(b), err
}

// TestWatchRace increments one counter from several clients with the
// optimistic WATCH/MULTI/EXEC loop: no increment may be lost.
func TestWatchRace(t *testing.T) {
	s := servertest.Start(t)
	const clients, each = 6, 150
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dialRaw(s.Addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.nc.Close()
			for done := 0; done < each; {
				c.do("WATCH", "counter")
				v, err := c.do("GET", "counter")
				if err != nil {
					errs <- err
					return
				}
				n := bulkInt(v)
				c.do("MULTI")
				c.do("SET", "counter", strconv.Itoa(n+1))
				r, err := c.do("EXEC")
				if err != nil {
					errs <- err
					return
				}
				if r == "*1\r\n+OK\r\n" {
					done++
				} else if r != "*-1\r\n" {
					errs <- fmt.Errorf("EXEC: %q", r)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c := s.Dial(t)
	if got, want := c.Do("GET", "counter"), fmt.Sprintf("$%d\r\n%d\r\n", len(strconv.Itoa(clients*each)), clients*each); got != want {
		t.Fatalf("counter = %q, want %q", got, want)
	}
}

// bulkInt reads the integer in a bulk reply; 0 for a null.
func bulkInt(v string) int {
	if v == "$-1\r\n" {
		return 0
	}
	_, body, _ := strings.Cut(strings.TrimSuffix(v, "\r\n"), "\r\n")
	n, _ := strconv.Atoi(body)
	return n
}

// TestExecIsAtomicAcrossShards: two keys in different shards change
// together inside EXEC; a reader of both never sees them differ.
func TestExecIsAtomicAcrossShards(t *testing.T) {
	s := servertest.Start(t)
	// {a} and {b} hash to different slots, hence different shards.
	stop := make(chan struct{})
	errs := make(chan error, 2)
	go func() {
		c, err := dialRaw(s.Addr)
		if err != nil {
			errs <- err
			return
		}
		defer c.nc.Close()
		for i := 0; i < 400; i++ {
			c.do("MULTI")
			c.do("INCR", "a")
			c.do("INCR", "b")
			if r, err := c.do("EXEC"); err != nil || !strings.HasPrefix(r, "*2\r\n") {
				errs <- fmt.Errorf("EXEC: %q %v", r, err)
				return
			}
		}
		close(stop)
		errs <- nil
	}()
	c := s.Dial(t)
	for {
		select {
		case <-stop:
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			return
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
		r := c.Do("MGET", "a", "b")
		parts := strings.Split(r, "\r\n")
		if len(parts) >= 5 && parts[2] != parts[4] {
			t.Fatalf("MGET saw a half-done transaction: %q", r)
		}
	}
}

// TestWatchExpiredKey: a key that expires after WATCH aborts EXEC.
func TestWatchExpiredKey(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	c.Do("SET", "k", "v", "PX", "100")
	c.Do("WATCH", "k")
	s.Clock.Advance(200 * time.Millisecond)
	c.Do("MULTI")
	c.Do("PING")
	if got := c.Do("EXEC"); got != "*-1\r\n" {
		t.Fatalf("EXEC after the watched key expired: %q", got)
	}
}

// TestQueuedCommandsCopyArguments: queued arguments survive the read
// buffer being reused by later input.
func TestQueuedCommandsCopyArguments(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	var b []byte
	b = resp.AppendCommandStrings(b, "MULTI")
	for i := 0; i < 200; i++ {
		b = resp.AppendCommandStrings(b, "RPUSH", "l", strings.Repeat(strconv.Itoa(i%10), 100))
	}
	b = resp.AppendCommandStrings(b, "EXEC")
	c.Send(b)
	for i := 0; i < 201; i++ {
		c.ReadRaw()
	}
	c.ReadRaw()
	for i := 0; i < 200; i += 37 {
		want := strings.Repeat(strconv.Itoa(i%10), 100)
		if got := c.Do("LINDEX", "l", strconv.Itoa(i)); got != "$100\r\n"+want+"\r\n" {
			t.Fatalf("LINDEX %d = %q", i, got)
		}
	}
}

// TestPushInsideExecWakesAfterIt: a waiter sees the list as EXEC left it,
// not after the first queued push.
func TestPushInsideExecWakesAfterIt(t *testing.T) {
	s := servertest.Start(t)
	w := s.Dial(t)
	w.Send(resp.AppendCommandStrings(nil, "BLPOP", "l", "0"))
	waitBlocked(t, s, 1)
	c := s.Dial(t)
	c.Do("MULTI")
	c.Do("LPUSH", "l", "a")
	c.Do("LPUSH", "l", "b")
	c.Do("LPUSH", "other", "x")
	if got := c.Do("EXEC"); got != "*3\r\n:1\r\n:2\r\n:1\r\n" {
		t.Fatalf("EXEC: %q", got)
	}
	if got := w.ReadRaw(); got != "*2\r\n$1\r\nl\r\n$1\r\nb\r\n" {
		t.Fatalf("waiter got %q", got)
	}
}
