package server_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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
	labels := regexp.MustCompile(`^:(1|2|4|8|16|33|66|132|264|528|1056|2113|4227|8454|16908|33816|67633|135266|270532|541065|1082130)$`)
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

// infoField is one numeric field of an INFO reply.
func infoField(t *testing.T, info, field string) int64 {
	t.Helper()
	m := regexp.MustCompile(`\r\n` + regexp.QuoteMeta(field) + `[:=](\d+)`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("no %s in %q", field, info)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// The latency monitor, its sample times on a fake clock. Only DEBUG SLEEP
// is slow enough to reach the threshold on purpose; a stray slow command
// can only raise a second's sample, never add a second.
func TestLatencyMonitor(t *testing.T) {
	s := servertest.StartWithClock(t, "--enable-debug-command", "yes")
	c := s.Dial(t)
	const sec = 1_800_000_000
	s.Clock.Set(sec * 1000)

	// Off (the default): nothing is recorded.
	c.Do("DEBUG", "SLEEP", "0.01")
	if r := c.Do("LATENCY", "LATEST"); r != "*0\r\n" {
		t.Fatalf("off: %q", r)
	}
	if r := c.Do("LATENCY", "DOCTOR"); !strings.Contains(r, "Latency monitoring is disabled") {
		t.Errorf("DOCTOR off: %q", r)
	}

	if r := c.Do("CONFIG", "SET", "latency-monitor-threshold", "5"); r != "+OK\r\n" {
		t.Fatal(r)
	}
	if r := c.Do("LATENCY", "DOCTOR"); !strings.Contains(r, "no latency spike was observed") {
		t.Errorf("DOCTOR, no samples: %q", r)
	}
	c.Do("DEBUG", "SLEEP", "0.01")
	latest := regexp.MustCompile(`\*4\r\n\$7\r\ncommand\r\n:(\d+)\r\n:(\d+)\r\n:(\d+)\r\n`)
	m := latest.FindStringSubmatch(c.Do("LATENCY", "LATEST"))
	if m == nil || m[1] != strconv.Itoa(sec) {
		t.Fatalf("LATEST: %v", m)
	}
	if ms, _ := strconv.Atoi(m[2]); ms < 10 || m[3] != m[2] {
		t.Errorf("LATEST latency %s max %s", m[2], m[3])
	}

	s.Clock.Advance(time.Second)
	c.Do("DEBUG", "SLEEP", "0.02")
	h := c.Do("LATENCY", "HISTORY", "command")
	hm := regexp.MustCompile(`^\*2\r\n\*2\r\n:(\d+)\r\n:(\d+)\r\n\*2\r\n:(\d+)\r\n:(\d+)\r\n$`).FindStringSubmatch(h)
	if hm == nil || hm[1] != strconv.Itoa(sec) || hm[3] != strconv.Itoa(sec+1) {
		t.Fatalf("HISTORY: %q", h)
	}
	if ms, _ := strconv.Atoi(hm[4]); ms < 20 {
		t.Errorf("HISTORY: %q", h)
	}
	// RESP2: GRAPH and DOCTOR are bulk strings.
	if g := c.Do("LATENCY", "GRAPH", "command"); !regexp.MustCompile(`^\$\d+\r\ncommand - high \d+ ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n`).MatchString(g) ||
		!strings.HasSuffix(g, "\n #\n |\n |\n_|\n  \n10\nss\n\r\n") {
		t.Errorf("GRAPH: %q", g)
	}
	if d := c.Do("LATENCY", "DOCTOR"); !strings.Contains(d, "\n1. command: 2 latency spikes (average ") ||
		!strings.Contains(d, "period 0.50 sec)") {
		t.Errorf("DOCTOR: %q", d)
	}
	// RESP3: verbatim text.
	c.Do("HELLO", "3")
	if g := c.Do("LATENCY", "GRAPH", "command"); !strings.HasPrefix(g, "=") || !strings.Contains(g, "\r\ntxt:command - high ") {
		t.Errorf("GRAPH RESP3: %q", g)
	}
	c.Do("HELLO", "2")

	// Back to 0: samples stay, none are added.
	c.Do("CONFIG", "SET", "latency-monitor-threshold", "0")
	s.Clock.Advance(time.Second)
	c.Do("DEBUG", "SLEEP", "0.01")
	if h2 := c.Do("LATENCY", "HISTORY", "command"); h2 != h {
		t.Errorf("recorded while off: %q", h2)
	}
	if r := c.Do("LATENCY", "RESET", "command", "command", "nosuch"); r != ":1\r\n" {
		t.Errorf("RESET: %q", r)
	}
	if r := c.Do("LATENCY", "HISTORY", "command"); r != "*0\r\n" {
		t.Errorf("HISTORY after RESET: %q", r)
	}
	if r := c.Do("LATENCY", "GRAPH", "command"); r != "-ERR No samples available for event 'command'\r\n" {
		t.Errorf("GRAPH after RESET: %q", r)
	}
}

// Commands run by EXEC and by scripts count as commands of their own, as
// in Redis 7.0: calls, time, histogram, total_commands_processed, the
// slow log (a script's with Redis's "?:0" address). (They reach the
// latency monitor by the same path: TestRecordCallLatency.)
func TestInnerCommandStats(t *testing.T) {
	s := servertest.StartWithClock(t, "--enable-debug-command", "yes")
	c := s.Dial(t)
	c.Do("CONFIG", "RESETSTAT")
	before := infoField(t, c.Do("INFO", "stats"), "total_commands_processed")
	c.Do("MULTI")
	c.Do("DEBUG", "SLEEP", "0.01")
	c.Do("SET", "a", "1")
	if r := c.Do("EXEC"); r != "*2\r\n+OK\r\n+OK\r\n" {
		t.Fatalf("EXEC: %q", r)
	}
	info := c.Do("INFO", "stats")
	// MULTI, EXEC, this INFO and the two queued commands.
	if n := infoField(t, info, "total_commands_processed") - before; n != 5 {
		t.Errorf("total_commands_processed rose by %d, want 5", n)
	}
	stats := c.Do("INFO", "commandstats")
	if calls := infoField(t, stats, "cmdstat_debug:calls"); calls != 1 {
		t.Errorf("debug calls %d", calls)
	}
	if usec := infoField(t, stats, "cmdstat_debug:calls=1,usec"); usec < 10000 {
		t.Errorf("debug usec %d: %q", usec, stats)
	}
	if exec := infoField(t, stats, "cmdstat_exec:calls=1,usec"); exec < 10000 {
		t.Errorf("exec usec %d", exec)
	}
	if calls := infoField(t, stats, "cmdstat_set:calls"); calls != 1 {
		t.Errorf("set calls %d", calls)
	}
	if r := c.Do("LATENCY", "HISTOGRAM", "debug"); !strings.HasPrefix(r, "*2\r\n$5\r\ndebug\r\n*4\r\n$5\r\ncalls\r\n:1\r\n") {
		t.Errorf("histogram: %q", r)
	}

	// A script's redis.call: KEYS over some keys takes measurable time.
	c.Do("DEBUG", "POPULATE", "20000")
	before = infoField(t, c.Do("INFO", "stats"), "total_commands_processed")
	if r := c.Do("EVAL", "redis.call('set','b','2'); return #redis.call('keys','*')", "0"); r != ":20002\r\n" {
		t.Fatalf("EVAL: %q", r)
	}
	// EVAL, this INFO and the two calls.
	if n := infoField(t, c.Do("INFO", "stats"), "total_commands_processed") - before; n != 4 {
		t.Errorf("total_commands_processed rose by %d, want 4", n)
	}
	stats = c.Do("INFO", "commandstats")
	if usec := infoField(t, stats, "cmdstat_keys:calls=1,usec"); usec == 0 {
		t.Errorf("keys usec 0: %q", stats)
	}
	if calls := infoField(t, stats, "cmdstat_set:calls"); calls != 2 {
		t.Errorf("set calls %d", calls)
	}
	if r := c.Do("LATENCY", "HISTOGRAM", "keys"); !strings.HasPrefix(r, "*2\r\n$4\r\nkeys\r\n*4\r\n$5\r\ncalls\r\n:1\r\n") {
		t.Errorf("histogram: %q", r)
	}

	// The slow log, newest first, as Redis 7.0 fills it: EVAL, its call
	// (address "?:0"), the queued SET, MULTI; EXEC itself is skipped.
	c.Do("CONFIG", "SET", "slowlog-log-slower-than", "0")
	c.Do("SLOWLOG", "RESET")
	c.Do("MULTI")
	c.Do("SET", "a", "1")
	c.Do("EXEC")
	c.Do("EVAL", "return redis.call('get','a')", "0")
	log := c.Do("SLOWLOG", "GET")
	var got []string
	for _, m := range regexp.MustCompile(`(?i)\*6\r\n:\d+\r\n:\d+\r\n:\d+\r\n\*\d+\r\n\$\d+\r\n([a-z]+)\r\n(?:\$\d+\r\n[^\r]*\r\n)*?\$\d+\r\n([0-9.?]+:\d+)\r\n\$0\r\n`).FindAllStringSubmatch(log, -1) {
		addr := "client"
		if m[2] == "?:0" {
			addr = m[2]
		}
		got = append(got, strings.ToLower(m[1])+"@"+addr)
	}
	if want := "eval@client get@?:0 set@client multi@client slowlog@client"; strings.Join(got, " ") != want {
		t.Errorf("slow log %v, want %s: %q", got, want, log)
	}
}
