package server_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// TestPubSubManyPublishers: every subscriber gets every message exactly
// once, and each publisher's messages in the order sent.
func TestPubSubManyPublishers(t *testing.T) {
	s := servertest.Start(t)
	const pubs, subs, each = 4, 5, 300
	var subConns []*rawClient
	for i := 0; i < subs; i++ {
		c, err := dialRaw(s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.nc.Close()
		if i%2 == 0 {
			_, err = c.do("SUBSCRIBE", "ch")
		} else {
			_, err = c.do("PSUBSCRIBE", "c*")
		}
		if err != nil {
			t.Fatal(err)
		}
		subConns = append(subConns, c)
	}
	var wg sync.WaitGroup
	errs := make(chan error, pubs+subs)
	for p := 0; p < pubs; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			c, err := dialRaw(s.Addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.nc.Close()
			var b []byte
			for i := 0; i < each; i++ {
				b = resp.AppendCommandStrings(b, "PUBLISH", "ch", fmt.Sprintf("%d:%d", p, i))
			}
			c.nc.Write(b)
			for i := 0; i < each; i++ {
				r, err := c.read()
				if err != nil {
					errs <- err
					return
				}
				if r != ":"+strconv.Itoa(subs)+"\r\n" {
					errs <- fmt.Errorf("PUBLISH: %q", r)
					return
				}
			}
		}(p)
	}
	for _, c := range subConns {
		wg.Add(1)
		go func(c *rawClient) {
			defer wg.Done()
			next := make([]int, pubs)
			for n := 0; n < pubs*each; n++ {
				r, err := c.read()
				if err != nil {
					errs <- err
					return
				}
				parts := strings.Split(r, "\r\n")
				payload := parts[len(parts)-2]
				var p, i int
				fmt.Sscanf(payload, "%d:%d", &p, &i)
				if i != next[p] {
					errs <- fmt.Errorf("publisher %d: got message %d, want %d", p, i, next[p])
					return
				}
				next[p]++
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestSlowSubscriberDisconnected: a subscriber that does not read is cut
// off at the pubsub output buffer limit while another keeps receiving.
func TestSlowSubscriberDisconnected(t *testing.T) {
	s := servertest.Start(t, "--client-output-buffer-limit", "pubsub 256kb 0 0")
	slow := s.Dial(t)
	slow.Do("SUBSCRIBE", "ch")
	fast, err := dialRaw(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.nc.Close()
	fast.do("SUBSCRIBE", "ch")
	received := make(chan int, 1)
	go func() {
		n := 0
		for {
			if _, err := fast.read(); err != nil {
				break
			}
			n++
			if n == 2000 {
				break
			}
		}
		received <- n
	}()
	p := s.Dial(t)
	msg := strings.Repeat("x", 4096)
	for i := 0; i < 2000; i++ {
		p.Do("PUBLISH", "ch", msg)
	}
	if n := <-received; n != 2000 {
		t.Fatalf("the reading subscriber got %d of 2000 messages", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Do("PUBSUB", "NUMSUB", "ch") != "*2\r\n$2\r\nch\r\n:1\r\n" {
		if time.Now().After(deadline) {
			t.Fatalf("slow subscriber still subscribed: %q", p.Do("PUBSUB", "NUMSUB", "ch"))
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSubscribeConfirmationPrecedesMessages: a message published right
// after SUBSCRIBE is answered never overtakes the confirmation.
func TestSubscribeConfirmationPrecedesMessages(t *testing.T) {
	s := servertest.Start(t)
	p := s.Dial(t)
	for i := 0; i < 50; i++ {
		c := s.Dial(t)
		ch := "x" + strconv.Itoa(i)
		c.Send(resp.AppendCommandStrings(nil, "SUBSCRIBE", ch))
		for p.Do("PUBLISH", ch, "m") == ":0\r\n" {
		}
		if got := c.ReadRaw(); !strings.Contains(got, "subscribe") {
			t.Fatalf("first reply %q", got)
		}
		c.Close()
	}
}
