package server

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/aof"
	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/logging"
)

// Version is Taconite's own version; RedisVersion is what INFO and HELLO
// report as redis_version, the Redis release whose behaviour Taconite
// reproduces, for clients that gate features on it.
const (
	Version      = "0.1.0"
	RedisVersion = "7.0.15"
)

// Options are the parts of a server tests inject. The zero value is what
// the binary uses.
type Options struct {
	Clock     keyspace.Clock // the wall clock when nil
	Logger    *logging.Logger
	Listeners []net.Listener // pre-opened listeners; when set, port/bind are not used
	// TLSListeners are pre-opened TLS-port listeners (tls.go); when set,
	// tls-port is not used.
	TLSListeners []net.Listener
}

// Server is one Taconite instance.
type Server struct {
	cfg   *config.Config
	limit encodingLimits
	opts  Options
	log   *logging.Logger
	ks    *keyspace.Keyspace
	table *command.Table
	// handlers is indexed by command.Command.ID; nil means not implemented.
	handlers []*handler

	startTime time.Time
	runID     string

	loops []*loop      // fixed once Run starts
	plain *listenGroup // the plaintext port's listeners (netloop.go); set by Run

	mu       sync.Mutex // guards clients, addrs, monitors
	clients  map[int64]*client
	addrs    []net.Addr
	monitors map[int64]*client
	stopping atomic.Bool

	nextClientID atomic.Int64
	monitorCount atomic.Int32

	// Hot configuration values, refreshed by config apply hooks.
	maxBulkLen    atomic.Int64
	hllSparseMax  atomic.Int64 // hll-sparse-max-bytes, read by every PFADD
	queryBufLimit atomic.Int64
	maxClients    atomic.Int64
	requirePass   atomic.Pointer[string]
	slowlogSlower atomic.Int64
	slowlogMax    atomic.Int64
	idleTimeout   atomic.Int64
	// latencyTracking is latency-tracking, read on every call (latency_hist.go).
	latencyTracking atomic.Bool
	latencyMon      latencyMonitor // LATENCY LATEST/HISTORY/GRAPH (latency_monitor.go)

	stats    serverStats
	errStats errStats
	slowlog  slowlog
	blocked  blockRegistry
	watches  watchRegistry
	scripts  *scriptEngine
	aofLog   atomic.Pointer[aof.Log] // nil unless appendonly
	tracking trackingTable
	acl      *aclState // users, ACL LOG; see cmd_acl.go
	pubsubFields

	pauseMu    sync.Mutex // guards pauseUntil, pauseWrite and pauseTimer
	pauseUntil time.Time
	pauseWrite bool
	pauseTimer *time.Timer
	// pausing is pauseUntil != zero, kept by setPauseUntil under pauseMu:
	// every command reads it instead of taking pauseMu, a lock both loops
	// would otherwise write on each command.
	pausing atomic.Bool

	debugNoActiveExpire atomic.Bool
	persist             persistState    // RDB snapshots (persist.go)
	aofrw               aofRewriteState // AOF rewrites (aof_rewrite.go)
	clientEvict         clientEvictState
	instant             instantState // INFO instantaneous_* (instant.go)
	memRel              memRelease   // idle memory release (memrelease.go); cron only
	evict               evictState   // maxmemory and used_memory (evict.go)

	shutdownOnce sync.Once
	shutdownCh   chan struct{}
	readyOnce    sync.Once
	readyCh      chan struct{} // closed once loaded and serving, or when Run fails
	wg           sync.WaitGroup
	lastSave     time.Time
}

// serverStats are the counters not kept per loop (see loopStats).
type serverStats struct {
	connections     atomic.Int64
	rejectedConns   atomic.Int64
	unexpectedError atomic.Int64
}

// statTotals sums the loops' counters.
type statTotals struct {
	commands, netIn, netOut, dirty int64
}

func (s *Server) totals() statTotals {
	var t statTotals
	for _, l := range s.loops {
		t.commands += l.stats.commands.Load()
		t.netIn += l.stats.netIn.Load()
		t.netOut += l.stats.netOut.Load()
		t.dirty += l.stats.dirty.Load()
	}
	return t
}

// commandStat sums one command's counters over the loops.
func (s *Server) commandStat(id int) (calls, usec, rejected, failed int64) {
	for _, l := range s.loops {
		st := &l.stats.cmd[id]
		calls += st.calls.Load()
		usec += st.usec.Load()
		rejected += st.rejected.Load()
		failed += st.failed.Load()
	}
	return
}

// New builds a server from its configuration. Nothing listens until Run.
func New(cfg *config.Config) *Server { return NewWithOptions(cfg, Options{}) }

// encodingLimits are the parameters that decide a collection's encoding,
// read by every write to a hash, set or sorted set: handles, not lookups
// by name.
type encodingLimits struct {
	hashEntries, hashValue config.IntRef
	zsetEntries, zsetValue config.IntRef
	intsetEntries          config.IntRef
}

// hash is the pair the hash commands check.
func (e *encodingLimits) hash() hashLimits {
	return hashLimits{e.hashEntries.Load(), e.hashValue.Load()}
}

func newEncodingLimits(cfg *config.Config) encodingLimits {
	return encodingLimits{
		hashEntries:   cfg.IntRef("hash-max-listpack-entries"),
		hashValue:     cfg.IntRef("hash-max-listpack-value"),
		zsetEntries:   cfg.IntRef("zset-max-listpack-entries"),
		zsetValue:     cfg.IntRef("zset-max-listpack-value"),
		intsetEntries: cfg.IntRef("set-max-intset-entries"),
	}
}

// NewWithOptions is New with injected parts.
func NewWithOptions(cfg *config.Config, opts Options) *Server {
	s := &Server{
		cfg:        cfg,
		limit:      newEncodingLimits(cfg),
		opts:       opts,
		log:        opts.Logger,
		table:      command.Default(),
		clients:    make(map[int64]*client),
		monitors:   make(map[int64]*client),
		startTime:  time.Now(),
		shutdownCh: make(chan struct{}),
		readyCh:    make(chan struct{}),
		acl:        newACLState(cfg),
	}
	s.lastSave = s.startTime
	s.initPersist()
	s.initAOFRewrite()
	if s.log == nil {
		lvl, _ := logging.ParseLevel(cfg.String("loglevel"))
		s.log = logging.New(os.Stdout, lvl)
		if f := cfg.String("logfile"); f != "" {
			if err := s.log.SetFile(f); err != nil {
				fmt.Fprintf(os.Stderr, "Can't open the log file: %v\n", err)
			}
		}
	}
	cfg.SetWarnf(s.log.Warningf)
	var rid [20]byte
	for i := range rid {
		rid[i] = "0123456789abcdef"[rand.IntN(16)]
	}
	s.runID = string(rid[:]) + string(rid[:])
	s.ks = keyspace.New(keyspace.Options{
		Databases: int(cfg.Int("databases")),
		Clock:     opts.Clock,
		OnExpire:  s.onExpire,
		OnNew:     s.onNewKey,
		OnMiss:    s.onKeyMiss,
		Loops:     s.eventLoops(),
		Lanes:     sharedLanes(s.eventLoops()),
	})
	s.scripts = newScriptEngine()
	s.handlers = make([]*handler, s.table.NumIDs())
	for _, h := range handlerTable() {
		cmd := s.lookupFullName(h.name)
		if cmd == nil {
			panic("server: handler without command metadata: " + h.name)
		}
		hh := h
		hh.cmd = cmd
		s.handlers[cmd.ID] = &hh
	}
	s.errStats.m = make(map[string]int64)
	s.blocked.keys = make(map[blockKey][]*waiter)
	s.loadHotConfig()
	s.registerConfigHooks()
	s.initLatency()
	s.initEviction()
	return s
}

// lookupFullName finds "get" or "config|get" in the command table.
func (s *Server) lookupFullName(name string) *command.Command {
	parent, sub, hasSub := strings.Cut(name, "|")
	cmd := s.table.Lookup([]byte(parent))
	if cmd == nil || !hasSub {
		return cmd
	}
	return cmd.Sub([]byte(sub))
}

func (s *Server) loadHotConfig() {
	s.maxBulkLen.Store(s.cfg.Int("proto-max-bulk-len"))
	s.hllSparseMax.Store(min(s.cfg.Int("hll-sparse-max-bytes"), 1<<40))
	s.queryBufLimit.Store(s.cfg.Int("client-query-buffer-limit"))
	s.maxClients.Store(s.cfg.Int("maxclients"))
	s.applyRequirePass(s.cfg.String("requirepass"))
	s.slowlogSlower.Store(s.cfg.Int("slowlog-log-slower-than"))
	s.slowlogMax.Store(s.cfg.Int("slowlog-max-len"))
	s.idleTimeout.Store(s.cfg.Int("timeout"))
	s.loadPubsubConfig()
	// The keyspace calls its new-key and key-miss hooks only while those
	// events are wanted, so that otherwise they cost nothing.
	ev := s.cfg.Int("notify-keyspace-events")
	s.ks.SetNotify(ev&config.NotifyNew != 0, ev&config.NotifyKeyMiss != 0)
}

func (s *Server) registerConfigHooks() {
	reload := func(*config.Config) error { s.loadHotConfig(); return nil }
	for _, name := range []string{"proto-max-bulk-len", "client-query-buffer-limit", "maxclients", "requirepass", "slowlog-log-slower-than", "slowlog-max-len", "timeout", "client-output-buffer-limit", "notify-keyspace-events", "hll-sparse-max-bytes"} {
		s.cfg.OnApply(name, reload)
	}
	s.cfg.OnApply("loglevel", func(c *config.Config) error {
		lvl, ok := logging.ParseLevel(c.String("loglevel"))
		if !ok {
			return errors.New("Invalid log level")
		}
		s.log.SetLevel(lvl)
		return nil
	})
	lfu := func(c *config.Config) error {
		s.ks.SetLFU(strings.Contains(c.String("maxmemory-policy"), "lfu"), c.Int("lfu-log-factor"), c.Int("lfu-decay-time"))
		return nil
	}
	lfu(s.cfg)
	for _, name := range []string{"maxmemory-policy", "lfu-log-factor", "lfu-decay-time"} {
		s.cfg.OnApply(name, lfu)
	}
	s.cfg.OnApply("slowlog-max-len", func(c *config.Config) error {
		s.loadHotConfig()
		s.slowlog.trim(int(c.Int("slowlog-max-len")))
		return nil
	})
}

// Keyspace exposes the data, for tests.
func (s *Server) Keyspace() *keyspace.Keyspace { return s.ks }

// Addrs returns the addresses the server listens on (after Run started).
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]net.Addr(nil), s.addrs...)
}

// Run serves until ctx is done or SHUTDOWN; it returns after every
// connection is closed.
func (s *Server) Run(ctx context.Context) error {
	ls := s.opts.Listeners
	if ls == nil {
		var err error
		ls, err = s.listen()
		if err != nil {
			return err
		}
	}
	n := s.eventLoops()
	for i := 0; i < n; i++ {
		l, err := newLoop(s)
		if err != nil {
			return err
		}
		if s.ks.Lanes() == n {
			l.lane = i
		}
		s.loops = append(s.loops, l)
	}
	defer s.readyOnce.Do(func() { close(s.readyCh) })
	// The AOF or the RDB file is loaded with the loops already serving, as
	// Redis does: until it is in, commands without the loading flag
	// (INFO, ... have it) are answered -LOADING.
	aofLoad, rdbLoad := s.cfg.Bool("appendonly"), false
	if aofLoad {
		s.persist.loadStart.Store(time.Now().Unix())
		s.persist.loading.Store(true)
	} else {
		if _, err := os.Stat(s.rdbPath()); err == nil {
			rdbLoad = true
			s.persist.loadStart.Store(time.Now().Unix())
			s.persist.loading.Store(true)
		}
	}
	// Loop 0 accepts and deals connections out to every loop.
	if err := s.startListeners(ls); err != nil {
		return err
	}
	stopTLS, err := s.startTLS()
	if err != nil {
		return err
	}
	defer stopTLS()
	stopMetrics, err := s.startMetrics() // before the load: /ready says 503 meanwhile
	if err != nil {
		return err
	}
	defer stopMetrics()
	for _, w := range s.cfg.Unimplemented() {
		s.log.Warningf("Directive '%s' is accepted but not implemented by Taconite yet; its value is stored and has no effect.", w)
	}
	s.log.Noticef("Taconite %s (Redis %s compatible) started, pid=%d, %d event loops", Version, RedisVersion, os.Getpid(), n)
	for _, a := range s.addrs {
		s.log.Noticef("Listening on %s", a)
	}
	for _, l := range s.loops {
		s.wg.Add(1)
		go l.run(s.wg.Done)
	}
	defer s.stopEviction()
	s.wg.Add(1)
	go s.cron()
	s.writePidfile()
	defer s.removePidfile()
	if aofLoad {
		err := s.startAOF()
		s.persist.loading.Store(false)
		if err != nil {
			s.log.Warningf("Fatal error loading the append only file: %v", err)
			s.stopLoops()
			return err
		}
	}
	if rdbLoad {
		err := s.loadAtStartup()
		s.persist.loading.Store(false)
		if err != nil {
			s.log.Warningf("Fatal error loading the DB: %v. Exiting.", err)
			s.stopLoops()
			return err
		}
	}
	s.log.Noticef("Ready to accept connections tcp")
	s.readyOnce.Do(func() { close(s.readyCh) })
	select {
	case <-ctx.Done():
		s.log.Warningf("Received shutdown signal, scheduling shutdown...")
	case <-s.shutdownCh:
		s.log.Warningf("User requested shutdown...")
	}
	stopTLS() // before the loops, so that none is handed a connection as it exits
	stopMetrics()
	s.stopLoops()
	// Saved once no client can write any more: nothing acknowledged is
	// left out of the final snapshot.
	if err := s.saveOnShutdown(); err != nil {
		s.log.Warningf("Error trying to save the DB: %v", err)
	}
	if l := s.aofLog.Load(); l != nil {
		if err := l.Close(); err != nil {
			s.log.Warningf("Error closing the append only file: %v", err)
		}
	}
	s.log.Noticef("Taconite is now ready to exit, bye bye...")
	return nil
}

// eventLoops is how many event loops to run: io-threads, or half the
// CPUs if that is more. Half, because a loop that shares its core with
// the clients, the kernel's network work and the garbage collector loses
// more to preemption and wake-ups than it gains: on 2 cores with the
// client on the same host, two loops served pipelined traffic faster but
// single requests with twice Redis's p99 latency, one loop matched it.
func (s *Server) eventLoops() int {
	return max(int(s.cfg.Int("io-threads")), runtime.GOMAXPROCS(0)/2, 1)
}

// sharedLanes is the keyspace's lane count for loops event loops: one
// each when there are two or more, so that their single-key reads and
// in-place writes take shards in shared mode (keyspace/shared.go); none
// for a single loop, which no other loop contends with.
func sharedLanes(loops int) int {
	if loops < 2 {
		return 0
	}
	return loops
}

// writePidfile writes the pidfile directive's file, as redis-server does
// (only when daemonized or when a pidfile is configured).
func (s *Server) writePidfile() {
	if p := s.cfg.String("pidfile"); p != "" {
		if err := os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			s.log.Warningf("Failed to write PID file: %v", err)
		}
	}
}

func (s *Server) removePidfile() {
	if p := s.cfg.String("pidfile"); p != "" {
		os.Remove(p)
	}
}

// Ready is closed once the server has loaded its data and serves
// normally, or once Run failed.
func (s *Server) Ready() <-chan struct{} { return s.readyCh }

// stopLoops stops the event loops and the cron and waits for them.
func (s *Server) stopLoops() {
	s.Shutdown()
	s.stopping.Store(true)
	for _, l := range s.loops {
		l.post(func() {})
	}
	s.wg.Wait()
}

// Shutdown asks Run to stop.
func (s *Server) Shutdown() {
	s.shutdownOnce.Do(func() { close(s.shutdownCh) })
}

// cron runs the periodic work at hz: active expiry and incremental
// rehashing, client idle timeouts.
func (s *Server) cron() {
	defer s.wg.Done()
	hz := s.cfg.Int("hz")
	if hz <= 0 {
		hz = 10
	}
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	rn := func(n uint64) uint64 { return rnd.Uint64N(n) }
	for {
		select {
		case <-s.shutdownCh:
			return
		case <-t.C:
		}
		if s.activeExpireEnabled() {
			// Redis's slow cycle: 25% of the tick's CPU time, scaled by effort.
			effort := s.cfg.Int("active-expire-effort")
			budget := time.Second / time.Duration(hz) * time.Duration(25+(effort-1)*2) / 100
			// expire-cycle is the time the cycle held shard locks: a
			// wait for a lock (a long script's) delays no one.
			_, held := s.ks.ActiveExpire(budget, rn)
			s.latencySample(latencyEventExpireCycle, held)
		}
		s.evictCron()
		s.closeIdleClients()
		s.clientEvictCron()
		s.instantCron()
		s.memReleaseCron(time.Now())
		s.saveCron()
		s.aofRewriteCron()
		if l := s.aofLog.Load(); l != nil {
			l.SyncIfDue()
		}
	}
}

// onExpire is called with the key's shard locked for every key removed
// because its time passed.
func (s *Server) onExpire(db int, key []byte) {
	// Propagation (AOF, replicas) and keyspace events hook in here.
	if s.watches.n.Load() > 0 {
		s.touchWatched(db, key, true)
	}
	if s.tracking.clients.Load() > 0 {
		s.invalidateKeys(nil, [][]byte{key})
	}
	if l := s.aofLog.Load(); l != nil {
		l.Append(db, [][]byte{[]byte("DEL"), key})
	}
	s.notify(config.NotifyExpired, "expired", key, db)
}

// onNewKey is the keyspace's hook for a key a write created: the "new"
// keyspace event, which Redis fires before the command's own event.
func (s *Server) onNewKey(db int, key []byte) { s.notify(config.NotifyNew, "new", key, db) }

// onKeyMiss is the keyspace's hook for a read lookup that missed.
func (s *Server) onKeyMiss(db int, key []byte) { s.notify(config.NotifyKeyMiss, "keymiss", key, db) }

func (s *Server) activeExpireEnabled() bool { return !s.debugNoActiveExpire.Load() }
