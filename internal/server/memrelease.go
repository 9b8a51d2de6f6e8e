package server

import (
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// Giving memory back when idle. The Go heap grows to about twice what is
// live before a collection, and the runtime returns freed pages to the
// operating system slowly, so after a burst of writes (a bulk load, say)
// the process can hold far more RSS than its data: 1M sorted-set members
// left 198 MB of RSS for 122 MB of used_memory. Redis's allocator gives
// pages back as it frees them. Once the server has been idle for a second
// and what the heap holds beyond its live data is large, the cron asks
// the runtime for a collection and an immediate release
// (debug.FreeOSMemory), on a goroutine of its own, at most every
// memReleaseEvery. An idle server pays nothing; a busy one is never
// interrupted by it.

const (
	memReleaseIdle  = time.Second
	memReleaseEvery = 10 * time.Second
	// memReleaseMin is the excess (garbage not collected yet plus free
	// pages kept) below which nothing is done, and memReleaseFrac the
	// fraction of the live heap it must also exceed.
	memReleaseMin  = 32 << 20
	memReleaseFrac = 4
)

type memRelease struct {
	lastCmds  int64
	idleSince time.Time
	lastRun   time.Time
	running   atomic.Bool
}

// memReleaseCron runs at every cron tick.
func (s *Server) memReleaseCron(now time.Time) {
	r := &s.memRel
	if cmds := s.totals().commands; cmds != r.lastCmds || r.idleSince.IsZero() {
		r.lastCmds, r.idleSince = cmds, now
		return
	}
	if now.Sub(r.idleSince) < memReleaseIdle || now.Sub(r.lastRun) < memReleaseEvery || r.running.Load() {
		return
	}
	m := [4]metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}
	metrics.Read(m[:])
	live, objects := m[0].Value.Uint64(), m[1].Value.Uint64()
	excess := m[2].Value.Uint64() + m[3].Value.Uint64()
	if objects > live {
		excess += objects - live
	}
	if !memReleaseWorth(live, excess) {
		return
	}
	r.lastRun = now
	r.running.Store(true)
	go func() {
		defer r.running.Store(false)
		debug.FreeOSMemory()
	}()
}

// memReleaseWorth decides whether excess bytes held beyond live ones are
// worth a collection and a release.
func memReleaseWorth(live, excess uint64) bool {
	return excess >= memReleaseMin && excess >= live/memReleaseFrac
}
