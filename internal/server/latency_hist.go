package server

import (
	"math/bits"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
)

// Per-command latency histograms: LATENCY HISTOGRAM and INFO latencystats.
//
// Redis keeps an HDR histogram per command but only ever reports it in
// powers of two: LATENCY HISTOGRAM walks it logarithmically from 1024 ns,
// labelling each step with the highest value equivalent to 2^(10+k) ns at
// two significant digits, in microseconds: 1, 2, 4, 8, 16, 33, 66, 132,
// ... So counting calls in exactly those steps gives the same reply for
// the same durations, with one atomic add on the command's path. Like
// Redis, a call is measured in whole microseconds (a sub-microsecond call
// counts as 1 ns) and clamped to one second.
//
// The counters live in each loop's cmdStat, beside calls and usec, so
// loops never share a cache line; readers sum the loops.

// latencyBuckets is the number of counters per command: index 0 for calls
// under a microsecond, then index k+1 for the k-th power-of-two step
// (k = 0..20, the last one holding the one-second clamp).
const latencyBuckets = 22

// latencyHist is one command's counters in one loop.
type latencyHist struct {
	n [latencyBuckets]atomic.Int64
}

// latencyMaxUsec is Redis's clamp: the histograms track up to a second.
const latencyMaxUsec = 1_000_000

// latencyBucket is the counter a call of usec microseconds goes to. Step
// k ends at 2^(10+k)*129/128 ns exclusive (the power of two plus its HDR
// resolution at two significant digits), so the step of v ns is the bit
// length of floor(v*128/129), less 10.
func latencyBucket(usec int64) int {
	if usec <= 0 {
		return 0
	}
	ns := uint64(min(usec, latencyMaxUsec)) * 1000
	return max(bits.Len64(ns*128/129)-10, 0) + 1
}

// latencyLabel is the microseconds LATENCY HISTOGRAM prints for step k:
// the highest nanosecond value equivalent to 2^(10+k), truncated.
func latencyLabel(k int) int64 {
	return (129<<(3+k) - 1) / 1000
}

// record counts one call, when latency-tracking is on.
func (h *latencyHist) record(s *Server, d time.Duration) {
	if s.latencyTracking.Load() {
		h.n[latencyBucket(d.Microseconds())].Add(1)
	}
}

func (h *latencyHist) reset() {
	for i := range h.n {
		h.n[i].Store(0)
	}
}

// latencyCounts sums one command's counters over the loops.
type latencyCounts [latencyBuckets]int64

func (s *Server) latencyOf(id int) (lc latencyCounts, total int64) {
	for _, l := range s.loops {
		h := &l.stats.cmd[id].hist
		for i := range h.n {
			v := h.n[i].Load()
			lc[i] += v
			total += v
		}
	}
	return lc, total
}

// percentile is the latency under which p percent of the calls fell, in
// microseconds, as INFO latencystats prints it: the rank is Redis's
// (rounded to nearest, at least the first call), the value the upper end
// of the step holding that call, to the nanosecond (0.001 for
// sub-microsecond calls, which Redis records as 1 ns).
func (lc *latencyCounts) percentile(p float64, total int64) float64 {
	want := max(int64(p/100*float64(total)+0.5), 1)
	var seen int64
	for i, n := range lc {
		seen += n
		if seen >= want {
			if i == 0 {
				return 0.001
			}
			return latencyStepEnd(i - 1)
		}
	}
	return latencyStepEnd(latencyBuckets - 2)
}

// latencyStepEnd is the last nanosecond of step k, in microseconds.
func latencyStepEnd(k int) float64 { return float64(int64(129)<<(3+k)-1) / 1000 }

// initLatency follows latency-tracking in an atomic, read on every call,
// and latency-monitor-threshold (latency_monitor.go).
func (s *Server) initLatency() {
	apply := func(c *config.Config) error {
		s.latencyTracking.Store(c.Bool("latency-tracking"))
		return nil
	}
	apply(s.cfg)
	s.cfg.OnApply("latency-tracking", apply)
	s.initLatencyMonitor()
}

// infoLatencyStats writes INFO latencystats' lines: the configured
// percentiles of every command called since the last CONFIG RESETSTAT.
// As Redis, nothing while latency-tracking is off.
func (s *Server) infoLatencyStats(b *strings.Builder) {
	if !s.latencyTracking.Load() {
		return
	}
	names := s.cfg.Strings("latency-tracking-info-percentiles")
	ps := make([]float64, len(names))
	for i, n := range names {
		ps[i], _ = strconv.ParseFloat(n, 64)
	}
	for _, cmd := range s.allCommands() {
		lc, total := s.latencyOf(cmd.ID)
		if total == 0 {
			continue
		}
		b.WriteString("latency_percentiles_usec_")
		b.WriteString(cmd.FullName())
		b.WriteByte(':')
		for i, p := range ps {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("p" + names[i] + "=")
			b.WriteString(strconv.FormatFloat(lc.percentile(p, total), 'f', 3, 64))
		}
		b.WriteString("\r\n")
	}
}

// cmdLatencyHistogram is LATENCY HISTOGRAM [command ...]: a map from
// command full name to its calls and cumulative counts per step, steps
// without calls left out. Named commands are looked up as "get" or
// "config|get"; a container stands for its subcommands; unknown names and
// commands never called are skipped, as in Redis.
func cmdLatencyHistogram(c *client, argv [][]byte) {
	s := c.s
	var cmds []*command.Command
	if len(argv) == 2 {
		cmds = s.allCommands()
	} else {
		for _, a := range argv[2:] {
			cmd := s.table.LookupFullName(a)
			if cmd == nil {
				continue
			}
			cmds = append(cmds, cmd)
			cmds = append(cmds, cmd.SubcommandList()...)
		}
	}
	type entry struct {
		cmd   *command.Command
		lc    latencyCounts
		total int64
	}
	var out []entry
	for _, cmd := range cmds {
		if lc, total := s.latencyOf(cmd.ID); total > 0 {
			out = append(out, entry{cmd, lc, total})
		}
	}
	c.replyMapLen(len(out))
	for _, e := range out {
		c.replyBulkString(e.cmd.FullName())
		c.replyMapLen(2)
		c.replyBulkString("calls")
		c.replyInt(e.total)
		c.replyBulkString("histogram_usec")
		// Sub-microsecond calls fall in the first step, as in Redis.
		e.lc[1] += e.lc[0]
		steps := 0
		for _, n := range e.lc[1:] {
			if n > 0 {
				steps++
			}
		}
		c.replyMapLen(steps)
		var cum int64
		for k, n := range e.lc[1:] {
			cum += n
			if n > 0 {
				c.replyInt(latencyLabel(k))
				c.replyInt(cum)
			}
		}
	}
}
