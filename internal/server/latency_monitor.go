package server

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/rerr"
)

// The latency monitor: LATENCY LATEST, HISTORY, RESET, GRAPH and DOCTOR,
// as Redis 7.0 has them.
//
// With latency-monitor-threshold N (milliseconds, 0 = off), anything that
// takes N ms or more adds a sample to its event's series. The events
// Taconite reports, under Redis's names:
//
//	command        a command not flagged fast (top level, in EXEC, in a script)
//	fast-command   a command flagged fast (O(1) or O(log N))
//	expire-cycle   one run of the active expiry cycle (server cron): the
//	               time it held shard locks, not the time it waited for one
//	eviction-cycle eviction a command waited for (maxmemory)
//
// A series keeps one sample per second, the highest of that second, in a
// ring of the last 160 seconds that saw one, plus the highest latency ever
// seen, until LATENCY RESET. Sample times are Unix seconds from the
// keyspace's clock, so tests with a fake clock control them.

const (
	latencySeriesLen = 160 // samples kept per event (Redis's LATENCY_TS_LEN)
	latencyGraphCols = 80  // LATENCY GRAPH's width before it wraps
	latencyGraphRows = 4   // bar rows of LATENCY GRAPH
)

// Event names.
const (
	latencyEventCommand       = "command"
	latencyEventFastCommand   = "fast-command"
	latencyEventExpireCycle   = "expire-cycle"
	latencyEventEvictionCycle = "eviction-cycle"
)

type latencySample struct {
	at int64 // Unix seconds; 0 marks a slot never used
	ms int64
}

// latencySeries is one event's ring.
type latencySeries struct {
	ring [latencySeriesLen]latencySample
	next int   // the slot the next second's sample takes
	max  int64 // highest latency ever, in ms
}

// latencyMonitor holds every event's series. threshold is read by every
// command, the rest only when a sample is due, under mu (a leaf lock).
type latencyMonitor struct {
	// threshold is latency-monitor-threshold in nanoseconds, or
	// math.MaxInt64 while the monitor is off (no duration reaches it), so
	// that checking a command costs one compare.
	threshold atomic.Int64
	mu        sync.Mutex
	events    map[string]*latencySeries
}

// add records a latency of ms at Unix second now: a second already
// sampled keeps the higher of the two.
func (m *latencyMonitor) add(event string, ms, now int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = make(map[string]*latencySeries)
	}
	ts := m.events[event]
	if ts == nil {
		ts = &latencySeries{}
		m.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	last := &ts.ring[(ts.next+latencySeriesLen-1)%latencySeriesLen]
	if last.at == now {
		last.ms = max(last.ms, ms)
		return
	}
	ts.ring[ts.next] = latencySample{at: now, ms: ms}
	ts.next = (ts.next + 1) % latencySeriesLen
}

// samples are the series' samples, oldest first.
func (ts *latencySeries) samples() []latencySample {
	out := make([]latencySample, 0, latencySeriesLen)
	for i := range latencySeriesLen {
		if smp := ts.ring[(ts.next+i)%latencySeriesLen]; smp.at != 0 {
			out = append(out, smp)
		}
	}
	return out
}

// latest is the newest sample.
func (ts *latencySeries) latest() latencySample {
	return ts.ring[(ts.next+latencySeriesLen-1)%latencySeriesLen]
}

// snapshot copies the series of the named events, or of all of them when
// names is nil, so replies are built without the lock. Events come
// sorted by name (Redis's order is its hash table's, which varies).
func (m *latencyMonitor) snapshot(names ...string) (events []string, series []latencySeries) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if names == nil {
		for name := range m.events {
			names = append(names, name)
		}
		slices.Sort(names)
	}
	for _, name := range names {
		if ts := m.events[name]; ts != nil {
			events = append(events, name)
			series = append(series, *ts)
		}
	}
	return events, series
}

// reset drops the named events, or all when names is empty, and returns
// how many it dropped. Unlike HISTORY and GRAPH, Redis matches the names
// here ignoring case, as C strings (up to a NUL byte).
func (m *latencyMonitor) reset(names [][]byte) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(names) == 0 {
		n := int64(len(m.events))
		clear(m.events)
		return n
	}
	var n int64
	for _, name := range names {
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		for event := range m.events {
			if eq(name, event) { // event names are lower case
				delete(m.events, event)
				n++
			}
		}
	}
	return n
}

// empty reports whether no event has a sample.
func (m *latencyMonitor) empty() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events) == 0
}

// initLatencyMonitor follows latency-monitor-threshold.
func (s *Server) initLatencyMonitor() {
	apply := func(c *config.Config) error {
		ms := c.Int("latency-monitor-threshold")
		ns := int64(math.MaxInt64) // off, and thresholds past ~292 years
		if ms > 0 && ms < math.MaxInt64/int64(time.Millisecond) {
			ns = ms * int64(time.Millisecond)
		}
		s.latencyMon.threshold.Store(ns)
		return nil
	}
	apply(s.cfg)
	s.cfg.OnApply("latency-monitor-threshold", apply)
}

// latencyNow is the sample time: the keyspace clock's Unix second.
func (s *Server) latencyNow() int64 { return s.ks.Clock().NowMs() / 1000 }

// latencyOn reports whether the monitor records samples.
func (s *Server) latencyOn() bool { return s.latencyMon.threshold.Load() != math.MaxInt64 }

// latencySample adds d to event when it reaches the threshold; while the
// monitor is off it costs a compare.
func (s *Server) latencySample(event string, d time.Duration) {
	if int64(d) >= s.latencyMon.threshold.Load() {
		s.latencyAdd(event, d)
	}
}

// latencyAdd is latencySample's slow part, kept out of line.
func (s *Server) latencyAdd(event string, d time.Duration) {
	s.latencyMon.add(event, d.Milliseconds(), s.latencyNow())
}

// commandLatencyEvent is the event a slow command adds to, by its flags
// (a subcommand's own, as in Redis).
func commandLatencyEvent(cmd *command.Command) string {
	if cmd.Flags&command.FlagFast != 0 {
		return latencyEventFastCommand
	}
	return latencyEventCommand
}

// --- LATENCY subcommands ---

// cmdLatencyLatest: for each event, its name, the time and latency of
// its newest sample, and its all-time high.
func cmdLatencyLatest(c *client, argv [][]byte) {
	names, series := c.s.latencyMon.snapshot()
	c.replyArrayLen(len(names))
	for i, name := range names {
		last := series[i].latest()
		c.replyArrayLen(4)
		c.replyBulkString(name)
		c.replyInt(last.at)
		c.replyInt(last.ms)
		c.replyInt(series[i].max)
	}
}

// cmdLatencyHistory: the event's samples, oldest first, as time/latency
// pairs; an event without samples is an empty array.
func cmdLatencyHistory(c *client, argv [][]byte) {
	_, series := c.s.latencyMon.snapshot(string(argv[2]))
	if len(series) == 0 {
		c.replyArrayLen(0)
		return
	}
	smp := series[0].samples()
	c.replyArrayLen(len(smp))
	for _, x := range smp {
		c.replyArrayLen(2)
		c.replyInt(x.at)
		c.replyInt(x.ms)
	}
}

// cmdLatencyReset drops the named events' series, or all, and replies
// how many there were.
func cmdLatencyReset(c *client, argv [][]byte) {
	c.replyInt(c.s.latencyMon.reset(argv[2:]))
}

// cmdLatencyGraph draws the event's samples as Redis's ASCII graph.
func cmdLatencyGraph(c *client, argv [][]byte) {
	names, series := c.s.latencyMon.snapshot(string(argv[2]))
	if len(series) == 0 {
		c.replyError(rerr.LatencyNoSamples(argv[2]))
		return
	}
	c.replyVerbatim(latencyGraph(names[0], &series[0], c.s.latencyNow()))
}

// cmdLatencyDoctor explains the samples in words.
func cmdLatencyDoctor(c *client, argv [][]byte) {
	s := c.s
	names, series := s.latencyMon.snapshot()
	c.replyVerbatim(latencyReport(names, series, s.latencyNow(), s.cfg.Int("latency-monitor-threshold"), s.slowlogSlower.Load()))
}

// latencyGraph renders an event's series: a title line, a rule, then the
// samples as columns of bars, 80 to a block, each labelled vertically
// with how long ago it was seen. Bars are scaled between the lowest and
// highest sample shown: each of the 4 rows has three heights, '_', 'o'
// and '#', and a full row below a bar's top is '|'.
func latencyGraph(event string, ts *latencySeries, now int64) string {
	smp := ts.samples()
	lo, hi := int64(0), int64(0)
	for i, x := range smp {
		if i == 0 || x.ms < lo {
			lo = x.ms
		}
		if i == 0 || x.ms > hi {
			hi = x.ms
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, ts.max)
	b.WriteString(strings.Repeat("-", latencyGraphCols))
	b.WriteByte('\n')
	const levels = 3 // heights per row: "_o#"
	steps := int64(latencyGraphRows * levels)
	span := max(hi-lo, 1)
	heights := make([]int64, len(smp))
	labels := make([]string, len(smp))
	for i, x := range smp {
		heights[i] = min((x.ms-lo)*steps/span, steps-1)
		labels[i] = agoLabel(now - x.at)
	}
	row := make([]byte, 0, latencyGraphCols)
	for start := 0; start < len(smp); start += latencyGraphCols {
		if start > 0 {
			b.WriteByte('\n')
		}
		end := min(start+latencyGraphCols, len(smp))
		for r := range latencyGraphRows {
			row = row[:0]
			floor := int64(latencyGraphRows-1-r) * levels // height where this row begins
			for _, h := range heights[start:end] {
				switch {
				case h < floor:
					row = append(row, ' ')
				case h < floor+levels:
					row = append(row, "_o#"[h-floor])
				default:
					row = append(row, '|')
				}
			}
			b.Write(row)
			b.WriteByte('\n')
		}
		// A blank row, then the labels top to bottom.
		b.WriteString(strings.Repeat(" ", end-start))
		b.WriteByte('\n')
		longest := 0
		for _, l := range labels[start:end] {
			longest = max(longest, len(l))
		}
		for k := range longest {
			row = row[:0]
			for _, l := range labels[start:end] {
				if k < len(l) {
					row = append(row, l[k])
				} else {
					row = append(row, ' ')
				}
			}
			b.Write(row)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// agoLabel says how long ago, in the largest whole unit: 5s, 3m, 2h, 1d.
func agoLabel(sec int64) string {
	switch {
	case sec < 60:
		return strconv.FormatInt(sec, 10) + "s"
	case sec < 3600:
		return strconv.FormatInt(sec/60, 10) + "m"
	case sec < 86400:
		return strconv.FormatInt(sec/3600, 10) + "h"
	}
	return strconv.FormatInt(sec/86400, 10) + "d"
}

// latencyStats summarises a series for LATENCY DOCTOR.
type latencyStats struct {
	samples  int
	avg, mad int64   // mean and mean absolute deviation, in ms (truncated)
	period   float64 // seconds per sample since the oldest
}

func (ts *latencySeries) stats(now int64) latencyStats {
	smp := ts.samples()
	st := latencyStats{samples: len(smp)}
	if len(smp) == 0 {
		return st
	}
	var sum int64
	oldest := smp[0].at
	for _, x := range smp {
		sum += x.ms
		oldest = min(oldest, x.at)
	}
	st.avg = sum / int64(len(smp))
	var dev int64
	for _, x := range smp {
		d := x.ms - st.avg
		if d < 0 {
			d = -d
		}
		dev += d
	}
	st.mad = dev / int64(len(smp))
	elapsed := now - oldest
	if elapsed == 0 {
		elapsed = 1
	}
	st.period = float64(elapsed) / float64(len(smp))
	return st
}

// latencyReport is LATENCY DOCTOR's text. Its first part is Redis's, to
// the byte: the no-data answers, then one line of figures per event. The
// advice after it is Taconite's own, shorter than Redis's and about what
// Taconite can do something about. thresholdMs is the monitor's
// threshold, slowlogUsec slowlog-log-slower-than.
func latencyReport(names []string, series []latencySeries, now, thresholdMs, slowlogUsec int64) string {
	if len(names) == 0 {
		if thresholdMs == 0 {
			return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
		}
		return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
	}
	var b strings.Builder
	b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
	seen := map[string]bool{}
	for i, name := range names {
		st := series[i].stats(now)
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.\n",
			i+1, name, st.samples, st.avg, st.mad, st.period, series[i].max)
		seen[name] = true
	}
	var advice []string
	if seen[latencyEventCommand] {
		switch {
		case slowlogUsec < 0:
			advice = append(advice, fmt.Sprintf("The slow log is off: 'CONFIG SET slowlog-log-slower-than %d' makes it keep the commands behind these spikes.", thresholdMs*1000))
		case slowlogUsec/1000 > thresholdMs:
			advice = append(advice, fmt.Sprintf("The slow log keeps only commands slower than %d ms, more than the latency threshold: 'CONFIG SET slowlog-log-slower-than %d' makes it keep the commands behind these spikes.", slowlogUsec/1000, thresholdMs*1000))
		}
		advice = append(advice,
			"SLOWLOG GET names the slow commands. Commands that visit a whole key or keyspace (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1, SORT, ZUNIONSTORE) take time in proportion to its size; SCAN and its kin do the same work in small steps.",
			"Large values cost time in proportion to their size whenever they are read whole, copied, saved or deleted: split them into several smaller keys.")
	}
	if seen[latencyEventFastCommand] {
		advice = append(advice, "Commands flagged fast (O(1) or O(log N)) were slow: the server was likely short of CPU (other busy processes on the host, a constrained container or VM, or garbage collection under memory pressure).")
	}
	if seen[latencyEventExpireCycle] {
		advice = append(advice, "The active expiry cycle was slow: many keys expire at about the same time, or expiring keys hold large values. Spread their expire times.")
	}
	if seen[latencyEventEvictionCycle] {
		advice = append(advice, "Evicting keys to stay under maxmemory was slow: writes outpace eviction, or evicted values are large. Raise maxmemory, or lower maxmemory-eviction-tenacity to bound the time spent per command.")
	}
	if len(advice) > 0 {
		b.WriteString("\nI have a few advices for you:\n\n")
		for _, a := range advice {
			b.WriteString("- " + a + "\n")
		}
	}
	return b.String()
}
