package server

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/logging"
)

// benchClient returns a server without listeners and a client that runs
// commands on it directly through the gate, replies kept in c.out.
func benchClient(b *testing.B) (*Server, *client) {
	b.Helper()
	cfg := config.New()
	if err := cfg.LoadArgs([]string{"--save", ""}); err != nil {
		b.Fatal(err)
	}
	s := NewWithOptions(cfg, Options{Logger: logging.Discard()})
	l, err := newLoop(s)
	if err != nil {
		b.Fatal(err)
	}
	s.loops = append(s.loops, l)
	c := s.replayClient()
	c.id = 1 // not the AOF replay client
	return s, c
}

// benchRun dispatches one command and returns its reply, valid until
// the next call.
func benchRun(s *Server, c *client, argv [][]byte) []byte {
	c.loop.now, c.loop.mark = time.Now(), 0
	c.out = c.out[:0]
	s.dispatch(c, argv)
	return c.out
}

// BenchmarkGeoSearchAny is bench/lib.sh's geosearch test on the data its
// geoadd test leaves: 100000 members m:%012d at 13.%012d 38.%012d (all in
// one 52-bit cell neighbourhood, so inside the radius), searched with
// COUNT 10 ANY.
func BenchmarkGeoSearchAny(b *testing.B) {
	s, c := benchClient(b)
	for i := 0; i < 100000; i += 1000 {
		argv := bs("GEOADD", "geo")
		for j := i; j < i+1000; j++ {
			n := fmt.Sprintf("%012d", j)
			argv = append(argv, []byte("13."+n), []byte("38."+n), []byte("m:"+n))
		}
		if r := benchRun(s, c, argv); !bytes.HasPrefix(r, []byte(":")) {
			b.Fatalf("%q", r)
		}
	}
	for _, tc := range []struct {
		name string
		argv [][]byte
	}{
		{"any", bs("GEOSEARCH", "geo", "FROMLONLAT", "13.01", "38.01", "BYRADIUS", "5", "km", "COUNT", "10", "ANY")},
		{"nearest", bs("GEOSEARCH", "geo", "FROMLONLAT", "13.01", "38.01", "BYRADIUS", "5", "km", "COUNT", "10")},
		{"any-withall", bs("GEOSEARCH", "geo", "FROMLONLAT", "13.01", "38.01", "BYRADIUS", "5", "km", "COUNT", "10", "ANY", "WITHDIST", "WITHHASH", "WITHCOORD")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if r := benchRun(s, c, tc.argv); !bytes.HasPrefix(r, []byte("*10\r\n")) {
				b.Fatalf("%q", r)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				benchRun(s, c, tc.argv)
			}
		})
	}
}
