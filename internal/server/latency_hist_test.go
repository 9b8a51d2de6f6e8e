package server_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// histogramRe is one command's entry in RESP2: name, calls, then the
// steps as label/cumulative-count pairs.
var histogramRe = regexp.MustCompile(`^\$(\d+)\r\n([a-z|]+)\r\n\*4\r\n\$5\r\ncalls\r\n:(\d+)\r\n\$14\r\nhistogram_usec\r\n\*(\d+)\r\n((?::\d+\r\n)*)`)

func TestLatencyHistogram(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	if r := c.Do("LATENCY", "HISTOGRAM"); r != "*0\r\n" {
		t.Fatalf("empty: %q", r)
	}
	c.Do("SET", "k", "v")
	c.Do("SET", "k", "v")
	c.Do("GET", "k")
	c.Do("CONFIG", "GET", "port")

	r := c.Do("LATENCY", "HISTOGRAM", "set")
	if !strings.HasPrefix(r, "*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n*") {
		t.Fatalf("SET: %q", r)
	}
	m := histogramRe.FindStringSubmatch(r[4:])
	if m == nil {
		t.Fatalf("SET: %q", r)
	}
	// Steps are the labels Redis prints, cumulative counts rising to calls.
	steps := strings.Split(strings.TrimSuffix(m[5], "\r\n"), "\r\n")
	if len(steps) == 0 || len(steps)%2 != 0 || steps[len(steps)-1] != ":2" {
		t.Errorf("steps %q", steps)
	}
	labels := regexp.MustCompile(`^:(1|2|4|8|16|33|66|132|264|528|1056|2113|4227|8454|16908|33817|67635|135270|270540|541081|1082163)$`)
	for i := 0; i < len(steps); i += 2 {
		if !labels.MatchString(steps[i]) {
			t.Errorf("label %q", steps[i])
		}
	}

	// Unknown names are skipped; a container stands for its subcommands;
	// full names and any case work.
	r = c.Do("LATENCY", "HISTOGRAM", "nosuch", "config|nosuch", "CONFIG", "Get")
	if !strings.HasPrefix(r, "*4\r\n$10\r\nconfig|get\r\n") || !strings.Contains(r, "$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:1\r\n") {
		t.Errorf("names: %q", r)
	}
	if r := c.Do("LATENCY", "HISTOGRAM", "config|get"); !strings.HasPrefix(r, "*2\r\n$10\r\nconfig|get\r\n") {
		t.Errorf("full name: %q", r)
	}

	// RESP3: maps.
	c.Do("HELLO", "3")
	r = c.Do("LATENCY", "HISTOGRAM", "get")
	if !regexp.MustCompile(`^%1\r\n\$3\r\nget\r\n%2\r\n\$5\r\ncalls\r\n:1\r\n\$14\r\nhistogram_usec\r\n%1\r\n:\d+\r\n:1\r\n$`).MatchString(r) {
		t.Errorf("RESP3: %q", r)
	}
	c.Do("HELLO", "2")

	// INFO latencystats, Redis's format.
	info := c.Do("INFO", "latencystats")
	if !regexp.MustCompile(`\r\n# Latencystats\r\n(latency_percentiles_usec_[a-z|]+:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n)+\r\n$`).MatchString(info) ||
		!strings.Contains(info, "latency_percentiles_usec_set:") || !strings.Contains(info, "latency_percentiles_usec_config|get:") {
		t.Errorf("INFO latencystats: %q", info)
	}
	c.Do("CONFIG", "SET", "latency-tracking-info-percentiles", "0 12.5 100")
	info = c.Do("INFO", "latencystats")
	if !regexp.MustCompile(`latency_percentiles_usec_get:p0=\d+\.\d{3},p12\.5=\d+\.\d{3},p100=\d+\.\d{3}\r\n`).MatchString(info) {
		t.Errorf("INFO latencystats, other percentiles: %q", info)
	}

	// latency-tracking no: nothing recorded, no latencystats lines.
	c.Do("CONFIG", "SET", "latency-tracking", "no")
	c.Do("GET", "k")
	if r := c.Do("LATENCY", "HISTOGRAM", "get"); !strings.Contains(r, "calls\r\n:1\r\n") {
		t.Errorf("recorded while off: %q", r)
	}
	if info := c.Do("INFO", "latencystats"); strings.Contains(info, "latency_percentiles") {
		t.Errorf("latencystats while off: %q", info)
	}
	c.Do("CONFIG", "SET", "latency-tracking", "yes")

	// CONFIG RESETSTAT clears them (and is then recorded itself, as in
	// Redis).
	c.Do("CONFIG", "RESETSTAT")
	if r := c.Do("LATENCY", "HISTOGRAM", "get", "config"); !strings.HasPrefix(r, "*2\r\n$16\r\nconfig|resetstat\r\n") {
		t.Errorf("after RESETSTAT: %q", r)
	}
}

// BenchmarkPipelinedSetGet is SET and GET pipelined 64 at a time, with
// latency tracking on (the default) and off: what the histogram costs a
// command.
func BenchmarkPipelinedSetGet(b *testing.B) {
	for _, tracking := range []string{"yes", "no"} {
		b.Run("latency-tracking="+tracking, func(b *testing.B) {
			s := servertest.Start(b, "--latency-tracking", tracking)
			c := s.Dial(b)
			var buf []byte
			for j := 0; j < 32; j++ {
				buf = resp.AppendCommandStrings(buf, "SET", "key:"+strconv.Itoa(j), "value")
				buf = resp.AppendCommandStrings(buf, "GET", "key:"+strconv.Itoa(j))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i += 64 {
				c.Send(buf)
				for j := 0; j < 64; j++ {
					c.ReadRaw()
				}
			}
		})
	}
}
