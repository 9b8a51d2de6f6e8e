package resp

import (
	"bytes"
	"io"
	"math/rand"
	"net"
	"os"
	"testing"
	"time"
)

// TestParseAgainstRedis checks the parser tables against a real Redis 7.0.
// It runs only when RESP_REDIS_ADDR names a server without a password (and,
// for the unauthenticated cases, RESP_REDIS_AUTH_ADDR one with requirepass
// set), e.g.
//
//	redis-server --port 26473 --bind 127.0.0.1 --save "" &
//	redis-server --port 26474 --bind 127.0.0.1 --save "" --requirepass x &
//	RESP_REDIS_ADDR=127.0.0.1:26473 RESP_REDIS_AUTH_ADDR=127.0.0.1:26474 go test -run AgainstRedis
//
// The oracle: the replies Redis sends for an input must equal the replies
// it sends for the commands our parser extracted from that input, re-encoded
// cleanly, followed by our protocol error if we reported one. The tables
// only use commands whose replies do not depend on state changed by the
// first run.
func TestParseAgainstRedis(t *testing.T) {
	addr := os.Getenv("RESP_REDIS_ADDR")
	authAddr := os.Getenv("RESP_REDIS_AUTH_ADDR")
	if addr == "" {
		t.Skip("RESP_REDIS_ADDR not set")
	}
	var cases []parseCase
	cases = append(cases, multibulkCases()...)
	cases = append(cases, multibulkErrorCases()...)
	cases = append(cases, inlineCases()...)
	// Random protocol-ish noise. The alphabet has no letters that could
	// spell a real command, so every command is "unknown" and harmless.
	r := rand.New(rand.NewSource(1))
	const alphabet = "*$\r\n\r\n\"'\\x0123456789- \t\v\x00a"
	for i := 0; i < 2000; i++ {
		var b []byte
		if r.Intn(2) == 0 {
			b = AppendCommandStrings(b, "a1", "x")
		}
		for j := r.Intn(30); j > 0; j-- {
			b = append(b, alphabet[r.Intn(len(alphabet))])
		}
		cases = append(cases, parseCase{in: string(b), unauth: r.Intn(4) == 0})
	}
	for _, c := range cases {
		if c.lim.MaxBulkLen != 0 {
			continue // the server runs with the default limit
		}
		server := addr
		if c.unauth {
			if authAddr == "" {
				continue
			}
			server = authAddr
		}
		events, _ := feed(t, []byte(c.in), wholeChunks(len(c.in)), Limits{}, !c.unauth)
		var clean []byte
		var protoErr string
		for _, e := range events {
			switch {
			case e.Err != "":
				protoErr = e.Err
			case !e.Empty:
				clean = AppendCommandStrings(clean, e.Args...)
			}
		}
		want := redisExchange(t, server, clean)
		if protoErr != "" {
			want = AppendError(want, "ERR "+protoErr)
		}
		if got := redisExchange(t, server, []byte(c.in)); !bytes.Equal(got, want) {
			t.Errorf("input %q:\nRedis replied %q\n    expected %q", trunc([]byte(c.in)), trunc(got), trunc(want))
		}
	}
}

// redisExchange sends data, half-closes the connection and returns
// everything Redis sends until it closes its side.
func redisExchange(t *testing.T, addr string, data []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A safety net against a hung server, not a wait for anything.
	c.SetDeadline(time.Now().Add(10 * time.Second))
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Write(data) // Redis may close early on a protocol error
		c.(*net.TCPConn).CloseWrite()
	}()
	out, _ := io.ReadAll(c)
	<-done
	return out
}
