package server_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// floodUntilCut pipelines 100 MB worth of GET big on slow, the
// connection named "slow", without reading the replies, and waits until
// the server cuts it off, checking meanwhile (through do, another client)
// that others are served. what names the slow client in the failure.
func floodUntilCut(t *testing.T, do func(args ...string) string, slow io.Writer, what string) {
	t.Helper()
	var batch []byte
	for i := 0; i < 500; i++ { // 100 MB of replies, never read
		batch = resp.AppendCommandStrings(batch, "GET", "big")
	}
	go slow.Write(batch) // may block once the server stops reading it
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(do("CLIENT", "LIST"), "name=slow") {
		if time.Now().After(deadline) {
			t.Fatal(what + " over its output limit is still connected")
		}
		if r := do("GET", "big"); len(r) < 200<<10 {
			t.Fatalf("others not served: %q", r[:min(len(r), 40)])
		}
		time.Sleep(time.Millisecond)
	}
}

// TestNormalOutputLimit: with client-output-buffer-limit normal set, a
// client that pipelines large replies and never reads is disconnected once
// its unsent output passes the hard limit; the others are served on.
func TestNormalOutputLimit(t *testing.T) {
	s := servertest.Start(t, "--client-output-buffer-limit", "normal 1mb 0 0")
	c := s.Dial(t)
	c.Do("SET", "big", strings.Repeat("x", 200<<10))
	c.Do("CLIENT", "SETNAME", "watcher")
	slow := s.Dial(t)
	slow.Do("CLIENT", "SETNAME", "slow")
	floodUntilCut(t, c.Do, slow.Raw(), "the client")
	// Without a limit (the default, as Redis) nobody is cut off.
	s2 := servertest.Start(t)
	c2 := s2.Dial(t)
	c2.Do("SET", "v", "1")
	if r := c2.Do("CONFIG", "GET", "client-output-buffer-limit"); !strings.Contains(r, "normal 0 0 0") {
		t.Fatalf("default limits: %q", r)
	}
}

// TestClientEviction: past maxmemory-clients, the client holding the most
// buffered output is closed (evicted_clients counts it); a client with
// CLIENT NO-EVICT on is spared.
func TestClientEviction(t *testing.T) {
	s := servertest.Start(t, "--maxmemory-clients", "2mb")
	setter := s.Dial(t)
	setter.Do("SET", "big", strings.Repeat("x", 200<<10))
	setter.Close()
	c := s.Dial(t)
	gets := func(n int) []byte {
		var batch []byte
		for i := 0; i < n; i++ {
			batch = resp.AppendCommandStrings(batch, "GET", "big")
		}
		return batch
	}
	// The spared client holds about 1 MB it does not read, under the
	// limit by itself; the hog asks for 60 MB.
	spared := s.Dial(t)
	spared.Do("CLIENT", "SETNAME", "spared")
	spared.Do("CLIENT", "NO-EVICT", "on")
	go spared.Raw().Write(gets(5))
	hog := s.Dial(t)
	hog.Do("CLIENT", "SETNAME", "hog")
	go hog.Raw().Write(gets(300))
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(c.Do("CLIENT", "LIST"), "name=hog") {
		if time.Now().After(deadline) {
			t.Fatal("the biggest client was not evicted")
		}
		time.Sleep(time.Millisecond)
	}
	if list := c.Do("CLIENT", "LIST"); !strings.Contains(list, "name=spared") {
		t.Fatalf("the NO-EVICT client was evicted: %s", list)
	}
	if info := c.Do("INFO", "stats"); !strings.Contains(info, "evicted_clients:1\r\n") {
		t.Fatalf("evicted_clients: %s", info)
	}
}

// TestInstantaneousOps: INFO's instantaneous_ops_per_sec follows the load
// (sampled by the cron, as Redis does).
func TestInstantaneousOps(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		for i := 0; i < 200; i++ {
			c.Do("PING")
		}
		info := c.Do("INFO", "stats")
		if !strings.Contains(info, "instantaneous_ops_per_sec:0\r\n") && strings.Contains(info, "instantaneous_ops_per_sec:") &&
			!strings.Contains(info, "instantaneous_input_kbps:0.00\r\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rates stay at zero under load: %s", info)
		}
	}
}
