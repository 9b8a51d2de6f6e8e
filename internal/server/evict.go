package server

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// The memory limit: maxmemory, the eviction policies, the OOM refusal, and
// the memory figure they rest on.
//
// # used_memory
//
// Redis's used_memory is its allocator's count of allocated bytes, exact
// at every instant. A Go program knows its live heap exactly only at the
// end of a garbage collection's mark, and the heap's allocated bytes
// between collections include garbage (with GOGC=100 up to as much again
// as what is live). Evicting on either figure alone goes wrong: the live
// heap does not move between collections, so eviction would overshoot,
// then evict everything while waiting for the figure to drop; the
// allocated bytes count garbage, so eviction would keep the data at half
// the limit.
//
// So used_memory is the keyspace's own count of the bytes its tables hold
// (keyspace.DataBytes: live records, bucket arrays, large values; it moves
// with every write and delete, as the allocator's count does) plus the
// rest of the live heap (connections, scripts, the values of collections),
// measured after each collection as the live heap minus the tables' bytes
// at that moment. An eviction takes what it frees off at once: the tables'
// bytes by their count, a collection by its estimated size. After a
// collection the figure is the live heap exactly.
//
// The figure counts the dead records in the arena pages (until compaction
// moves the live ones out and drops the page) as the live heap does: it
// is memory held. So an eviction frees its record for good only once its
// page is compacted, and under steady eviction the pages are about four
// fifths live (kvtable's compaction threshold); Taconite's records being
// smaller than Redis's objects, it still holds more keys in the same limit.
//
// # The Go memory limit
//
// Eviction keeps the live heap under maxmemory; the garbage on top is the
// collector's to bound. With maxmemory set, the runtime's soft memory limit
// is maxmemory, plus a thirty-second and 1 MB of room for garbage, plus
// what the runtime holds besides heap objects (stacks, GC metadata, the
// unused ends of spans). The heap then stays within maxmemory and that
// room while the collector, which has little to mark in the pointer-free
// arena pages, runs as often as it must (about every 2.5 MB allocated at a
// 50 MB limit). Should the live heap itself pass maxmemory (noeviction, or
// nothing left to evict), the limit follows it up rather than have the
// collector run without end.

// evictResult is performEvictions' outcome, as Redis's.
type evictResult int

const (
	evictOK      evictResult = iota // under the limit (again)
	evictRunning                    // over, and eviction goes on in the background
	evictFail                       // over, and nothing can be evicted
)

// memLimitSlack is the fixed part of the room for garbage above maxmemory
// in the Go memory limit, for small limits.
const memLimitSlack = 1 << 20

// evictState is the server's eviction and memory accounting state.
type evictState struct {
	// Hot configuration, followed by config hooks.
	maxmemory atomic.Int64 // 0: no limit
	policy    atomic.Uint32
	samples   atomic.Int64
	tenacity  atomic.Int64
	lazy      atomic.Bool // lazyfree-lazy-eviction: propagate UNLINK

	// mu lets one evictor at a time run, and guards pool. It is taken
	// with no shard lock held, and shard locks are taken under it.
	mu        sync.Mutex
	pool      *keyspace.EvictPool
	poolStale atomic.Bool // the policy changed: empty the pool first
	hooks     keyspace.EvictHooks
	bg        atomic.Bool // the background evictor runs

	// overhead is the live heap outside the keyspace's tables (see the
	// file comment); used_memory is DataBytes + overhead.
	calMu      sync.Mutex // serializes calibrate
	overhead   atomic.Int64
	gcSeen     uint64 // GC cycles when overhead was last measured (calMu)
	calibrated bool   // overhead was measured once (calMu)
	peak       atomic.Int64
	startup    atomic.Int64
	probe      atomic.Bool // the GC probe is armed

	// The Go memory limit as found before maxmemory set one (GOMEMLIMIT,
	// or none), and as last set (0 while maxmemory sets none). limitMu
	// serializes the cron's and CONFIG SET's changes.
	limitMu   sync.Mutex
	limitOrig int64
	limitSet  atomic.Int64

	// INFO's eviction exceeded times: since when used_memory is over
	// maxmemory (unix ms, 0 when under) and the total of closed periods.
	overSince     atomic.Int64
	exceededTotal atomic.Int64
}

// initEviction reads the configuration and registers the hooks that
// follow it.
func (s *Server) initEviction() {
	e := &s.evict
	e.pool = keyspace.NewEvictPool()
	e.hooks = keyspace.EvictHooks{
		Before: func(db int, e kvtable.Entry) {
			if snap := s.persist.snap.Load(); snap != nil && !e.Captured() {
				snap.preserve(db, e)
			}
		},
		After: s.onEvict,
	}
	load := func(c *config.Config) error {
		mm := maxmemoryOf(c)
		if (e.maxmemory.Swap(mm) == 0) != (mm == 0) {
			// Eviction needs the figure exact before every command;
			// without a limit, INFO's and the cron's Reaccount do.
			s.ks.SetAccounting(mm > 0)
		}
		policy := keyspace.ParseEvictPolicy(c.String("maxmemory-policy"))
		if keyspace.EvictPolicy(e.policy.Swap(uint32(policy))) != policy {
			// The pool's scores mean something else under another
			// policy. The evictor empties it: CONFIG SET may run inside
			// EXEC, holding shard locks, so it must not wait for mu.
			e.poolStale.Store(true)
		}
		e.samples.Store(c.Int("maxmemory-samples"))
		e.tenacity.Store(c.Int("maxmemory-eviction-tenacity"))
		e.lazy.Store(c.Bool("lazyfree-lazy-eviction"))
		return nil
	}
	load(s.cfg)
	if mm := e.maxmemory.Load(); mm > 0 && mm < 1<<20 {
		s.log.Warningf("WARNING: You specified a maxmemory value that is less than 1MB (current value is %d bytes). Are you sure this is what you really want?", mm)
	}
	// A first figure before the cron's: the heap's allocated bytes.
	s.calibrate()
	for _, name := range []string{"maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity", "lazyfree-lazy-eviction"} {
		s.cfg.OnApply(name, load)
	}
	s.cfg.OnApply("maxmemory", func(c *config.Config) error {
		load(c)
		mm := e.maxmemory.Load()
		if used := s.usedMemory(); mm > 0 && used > mm {
			s.log.Warningf("WARNING: the new maxmemory value set via CONFIG SET (%d) is smaller than the current memory usage (%d). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.", mm, used)
		}
		if s.loops != nil {
			// Running: the new limit applies now, not at the next tick.
			s.applyMemoryLimit()
			s.startBackgroundEviction()
		}
		return nil
	})
}

// maxmemoryOf reads maxmemory; values past int64 (it is unsigned) are as
// good as none.
func maxmemoryOf(c *config.Config) int64 {
	v := c.Uint("maxmemory")
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// overMaxmemory reports whether used memory is over a set maxmemory.
func (s *Server) overMaxmemory() bool {
	mm := s.evict.maxmemory.Load()
	return mm > 0 && s.usedMemory() > mm
}

// usedMemory is used_memory: see the file comment.
func (s *Server) usedMemory() int64 {
	return max(s.ks.DataBytes()+s.evict.overhead.Load(), 0)
}

// calibrate measures, once per garbage collection, the live heap outside
// the tables: the live heap the collection marked minus the tables' bytes
// now. What the tables gained or lost between the mark and now makes the
// figure a little off until the next collection. It reads runtime/metrics,
// which does not stop the world (ReadMemStats does).
func (s *Server) calibrate() {
	e := &s.evict
	s.ks.Reaccount()
	m := [3]metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}
	metrics.Read(m[:])
	e.calMu.Lock()
	defer e.calMu.Unlock()
	live, cycles, heap := int64(m[0].Value.Uint64()), m[1].Value.Uint64(), int64(m[2].Value.Uint64())
	data := s.ks.DataBytes()
	if !e.calibrated || cycles != e.gcSeen {
		// Only a collection tells what is live; between two, the figure
		// moves with the tables alone. (Capping it at the allocated bytes
		// in between would undo every eviction: they count the evicted
		// records until the next collection.)
		e.calibrated, e.gcSeen = true, cycles
		if cycles == 0 {
			// No collection yet: the allocated bytes bound what is live.
			live = heap
		}
		e.overhead.Store(live - data)
	}
	if u := s.usedMemory(); u > e.peak.Load() {
		e.peak.Store(u)
	}
}

// gcProbe is an object whose finalizer runs after every garbage
// collection, re-arming itself, so used_memory is recalibrated as soon as
// a new live heap figure exists rather than at the next cron tick.
type gcProbe struct{ s *Server }

func (s *Server) armGCProbe() {
	runtime.SetFinalizer(&gcProbe{s: s}, func(p *gcProbe) {
		if p.s.stopping.Load() {
			p.s.evict.probe.Store(false)
			return
		}
		p.s.calibrate()
		p.s.armGCProbe()
	})
}

// evictCron is the eviction's share of the server cron: keep used_memory
// calibrated, the Go memory limit in step with maxmemory, the exceeded
// time counted, and evict in the background when over the limit with no
// command arriving to do it.
func (s *Server) evictCron() {
	e := &s.evict
	if e.probe.CompareAndSwap(false, true) {
		s.calibrate()
		e.startup.Store(s.usedMemory())
		s.armGCProbe()
	}
	s.calibrate()
	s.applyMemoryLimit()
	mm := e.maxmemory.Load()
	over := mm > 0 && s.usedMemory() > mm
	s.noteExceeded(over)
	if over && keyspace.EvictPolicy(e.policy.Load()) != keyspace.NoEviction {
		s.startBackgroundEviction()
	}
}

// noteExceeded keeps INFO's total_ and current_eviction_exceeded_time.
func (s *Server) noteExceeded(over bool) {
	e := &s.evict
	now := time.Now().UnixMilli()
	since := e.overSince.Load()
	switch {
	case over && since == 0:
		e.overSince.Store(now)
	case !over && since != 0:
		if e.overSince.CompareAndSwap(since, 0) {
			e.exceededTotal.Add(now - since)
		}
	}
}

// exceededTimes are INFO's total_ and current_eviction_exceeded_time, ms.
func (s *Server) exceededTimes() (total, current int64) {
	e := &s.evict
	if since := e.overSince.Load(); since != 0 {
		current = time.Now().UnixMilli() - since
	}
	return e.exceededTotal.Load() + current, current
}

// applyMemoryLimit sets the Go memory limit from maxmemory, or gives the
// original back when maxmemory is 0.
func (s *Server) applyMemoryLimit() {
	e := &s.evict
	e.limitMu.Lock()
	defer e.limitMu.Unlock()
	mm := e.maxmemory.Load()
	if mm <= 0 || mm == math.MaxInt64 {
		s.restoreMemoryLimit()
		return
	}
	// The runtime counts its own structures (stacks, GC metadata, the
	// unused tails of spans) against the limit too: they come on top,
	// or the collector would find no room for garbage and run without
	// end.
	m := [4]metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(m[:])
	runtimeOwn := int64(m[0].Value.Uint64() - m[1].Value.Uint64() - m[2].Value.Uint64() - m[3].Value.Uint64())
	old := e.limitSet.Load()
	if old == 0 {
		e.limitOrig = debug.SetMemoryLimit(-1)
	}
	base := max(mm, s.usedMemory())
	limit := min(base+base/32+memLimitSlack+max(runtimeOwn, 0), e.limitOrig)
	// Small moves of the live heap need no new limit.
	if old == 0 || limit < old-old/64 || limit > old+old/64 {
		e.limitSet.Store(limit)
		debug.SetMemoryLimit(limit)
	}
}

// restoreMemoryLimit gives back the Go memory limit maxmemory replaced,
// unless someone changed it since (tests run many servers in one
// process). Called with limitMu held.
func (s *Server) restoreMemoryLimit() {
	e := &s.evict
	if set := e.limitSet.Swap(0); set != 0 && debug.SetMemoryLimit(-1) == set {
		debug.SetMemoryLimit(e.limitOrig)
	}
}

// stopEviction gives the Go memory limit back when the server stops.
func (s *Server) stopEviction() {
	s.evict.limitMu.Lock()
	s.restoreMemoryLimit()
	s.evict.limitMu.Unlock()
}

// evictBeforeCommand is the gate's maxmemory check, where Redis makes it:
// over the limit, evict; when nothing can be evicted, refuse the commands
// Redis refuses (deny-oom ones, and any command queued in MULTI). It
// returns the error to reply, or "". With no maxmemory it costs one
// atomic load.
func (s *Server) evictBeforeCommand(c *client, cmd *command.Command) string {
	mm := s.evict.maxmemory.Load()
	if mm == 0 {
		return ""
	}
	return s.evictOrRefuse(c, cmd, mm)
}

func (s *Server) evictOrRefuse(c *client, cmd *command.Command, mm int64) string {
	// Not while replaying the AOF (Redis does not evict while loading),
	// nor from inside a script that serves clients while busy (its
	// goroutine holds every shard lock).
	if c.id == -1 || c.loop.busy || s.usedMemory() <= mm {
		return ""
	}
	if s.scripts.e.Running() != nil {
		// A script on another loop holds every shard: evicting would
		// wait for it, where the gate answers -BUSY past the threshold.
		return ""
	}
	if s.clientsPaused() {
		// While clients are paused the data set stays as it is: no
		// eviction, and so no refusal either (as Redis).
		return ""
	}
	if s.performEvictions(false) != evictFail || !oomRefuses(c, cmd) {
		return ""
	}
	return rerr.OOM
}

// oomRefuses reports whether cmd is refused when memory cannot be freed:
// deny-oom commands, EXEC of a transaction holding one, and anything
// queued inside MULTI except what ends it.
func oomRefuses(c *client, cmd *command.Command) bool {
	if cmd.Flags&command.FlagDenyOOM != 0 {
		return true
	}
	if c.multi == nil {
		return false
	}
	switch cmd.Name {
	case "exec":
		return c.multi.flags&command.FlagDenyOOM != 0
	case "discard", "quit", "reset":
		return false
	}
	return true
}

// clientsPaused reports whether CLIENT PAUSE is in force.
func (s *Server) clientsPaused() bool {
	if !s.pausing.Load() {
		return false
	}
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	return s.pauseInForce()
}

// evictionTimeLimit is how long one call evicts before leaving the rest
// to the background, from maxmemory-eviction-tenacity as Redis: 50 µs a
// step up to 10 (500 µs, the default), then 15% more a step, unlimited at
// 100.
func evictionTimeLimit(tenacity int64) time.Duration {
	switch {
	case tenacity <= 10:
		return time.Duration(50*tenacity) * time.Microsecond
	case tenacity < 100:
		return time.Duration(500*math.Pow(1.15, float64(tenacity-10))) * time.Microsecond
	}
	return math.MaxInt64
}

// performEvictions evicts keys until used_memory is back under maxmemory,
// for at most the tenacity's time; past it the background evictor carries
// on and the command proceeds, as Redis lets commands run while its
// eviction timer works. Evictors take turns: a command that finds another
// evicting waits for its turn (at most the time limit), then evicts only
// what is still over, so writers cannot outrun eviction.
func (s *Server) performEvictions(bg bool) evictResult {
	e := &s.evict
	e.mu.Lock()
	defer e.mu.Unlock()
	mm := e.maxmemory.Load()
	used := s.usedMemory()
	if mm == 0 || used <= mm {
		return evictOK
	}
	s.noteExceeded(true)
	if e.poolStale.Swap(false) {
		e.pool.Reset()
	}
	policy := keyspace.EvictPolicy(e.policy.Load())
	toFree := used - mm
	samples := int(e.samples.Load())
	limit := evictionTimeLimit(e.tenacity.Load())
	start := time.Now()
	if !bg && s.latencyOn() {
		// The latency monitor's eviction-cycle: the time a command waited
		// for eviction (the background evictor keeps no one waiting).
		defer func() { s.latencySample(latencyEventEvictionCycle, time.Since(start)) }()
	}
	var freed int64
	for n := 1; freed < toFree; n++ {
		f, ok := s.ks.EvictOne(e.pool, policy, samples, &e.hooks)
		if !ok {
			return evictFail
		}
		freed += f
		if n%16 == 0 && time.Since(start) > limit {
			if !bg {
				s.startBackgroundEviction()
			}
			return evictRunning
		}
	}
	return evictOK
}

// startBackgroundEviction runs performEvictions until it is done, yielding
// between rounds, unless it already runs (Redis's eviction timer).
func (s *Server) startBackgroundEviction() {
	e := &s.evict
	if s.stopping.Load() || !e.bg.CompareAndSwap(false, true) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer e.bg.Store(false)
		for !s.stopping.Load() {
			if s.scripts.e.Running() != nil || s.clientsPaused() {
				// A script holds every shard, or the data set must stay
				// put: try again at the next tick.
				return
			}
			if s.performEvictions(true) != evictRunning {
				return
			}
			runtime.Gosched()
		}
	}()
}

// onEvict is called, with the key's shard locked, for every evicted key:
// what Redis does for one (WATCH and client-side caching see a change,
// the AOF a DEL, subscribers the "evicted" event).
func (s *Server) onEvict(db int, key []byte) {
	if s.watches.n.Load() > 0 {
		// As for expiry: a key already expired at WATCH was logically
		// gone, and its removal changes nothing.
		s.touchWatched(db, key, true)
	}
	if s.tracking.clients.Load() > 0 {
		s.invalidateKeys(nil, [][]byte{key})
	}
	if l := s.aofLog.Load(); l != nil {
		del := "DEL"
		if s.evict.lazy.Load() {
			del = "UNLINK"
		}
		l.Append(db, [][]byte{[]byte(del), key})
	}
	s.notify(config.NotifyEvicted, "evicted", key, db)
}
