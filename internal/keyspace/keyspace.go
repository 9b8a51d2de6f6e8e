package keyspace

import (
	"errors"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/resp"
)

// Kinds of value, stored as the record's kind tag.
const (
	KindString kvtable.Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

// String encodings, stored in the record's flag bits; names as OBJECT ENCODING.
const (
	EncRaw    uint8 = 0
	EncInt    uint8 = 1
	EncEmbstr uint8 = 2
)

// embstrMax is the longest value Redis stores as embstr.
const embstrMax = 44

// ErrWrongType is returned when a key holds another kind of value.
var ErrWrongType = errors.New("wrong type")

// TypeName is the TYPE reply for a kind.
func TypeName(k kvtable.Kind) string {
	switch k {
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindSet:
		return "set"
	case KindZSet:
		return "zset"
	case KindHash:
		return "hash"
	case KindStream:
		return "stream"
	}
	return "none"
}

// StringEncoding picks the encoding Redis would give a freshly stored value.
func StringEncoding(v []byte) uint8 {
	if len(v) <= 20 && len(v) > 0 {
		if _, ok := resp.ParseInt(v); ok {
			return EncInt
		}
	}
	if len(v) <= embstrMax {
		return EncEmbstr
	}
	return EncRaw
}

// EncodingName is OBJECT ENCODING's word for a string encoding.
func EncodingName(enc uint8) string {
	switch enc {
	case EncInt:
		return "int"
	case EncEmbstr:
		return "embstr"
	}
	return "raw"
}

// Options configures a Keyspace.
type Options struct {
	Databases int   // 16 by default
	Shards    int   // a power of two between 1 and 64; 16 by default
	Clock     Clock // WallClock by default
	// OnExpire is called, with the key's shard locked, for every key removed
	// because its time passed (lazily or actively). The server propagates a
	// DEL and fires keyspace events from it. It must not call back into the
	// Keyspace.
	OnExpire func(db int, key []byte)
	// OnNew is called, with the key's shard locked, when a write creates a
	// key, and OnMiss when a read lookup (Tx.Get) misses, but only while
	// SetNotify has switched them on (keyspace events "new" and "keymiss").
	// Neither may call back into the Keyspace.
	OnNew  func(db int, key []byte)
	OnMiss func(db int, key []byte)
	// Loops is how many goroutines run commands at once (the server's
	// event loops), 0 if unknown. A command waiting for a shard spins only
	// while they leave a CPU free (Loops < GOMAXPROCS): with more, the
	// holder may be off its CPU, kept off by the spinner. (With io-threads
	// 4 on two cores and one hot key, spinning or not measured the same,
	// 0.91-1.16M INCR/s; the rule is for bigger machines.)
	Loops int
	// Lanes is how many goroutines may take shards in shared mode (see
	// shared.go), each with its own lane number: the server's event
	// loops when there are two or more. 0: none may.
	Lanes int
}

// Keyspace is all databases of one server.
type Keyspace struct {
	shards   []shard
	mask     uint32
	dbs      int
	clock    Clock
	wall     bool // clock is the wall clock
	onExpire func(db int, key []byte)
	onNew    func(db int, key []byte)
	onMiss   func(db int, key []byte)
	// notifyNew and notifyMiss gate onNew and onMiss, so that while
	// keyspace events are off a creation or a miss costs one load.
	notifyNew  atomic.Bool
	notifyMiss atomic.Bool
	access     accessMode
	// expireCursor is the shard the next active expiry cycle starts at.
	expireCursor atomic.Uint32
	// Blocked counts clients blocked on keys (BLPOP…); while it is zero
	// writes skip the bookkeeping that wakes them.
	Blocked atomic.Int64
	// data is the sum of the tables' DataBytes, give or take each shard's
	// pending change (see account). Writes keep it current only while
	// accounting is on; otherwise Reaccount does when asked.
	data       atomic.Int64
	accounting atomic.Bool
	// spin: a contended shard lock is worth spinning for (see
	// lockContended and Options.Loops).
	spin bool
	// lanes are the shared-mode lanes (Options.Lanes; see shared.go).
	lanes []laneState
}

// shard is one lock domain: the slice of every database whose keys hash to
// it. All fields but excl are guarded by mu (and shared-mode commands read
// tables under their slot, see shared.go).
type shard struct {
	mu sync.Mutex
	// excl is 1 while an exclusive holder has mu (see shared.go); next
	// to mu, which such a holder writes anyway.
	excl   atomic.Uint32
	tables []*kvtable.Table
	stats  Stats
	// seen is each table's DataBytes when last accounted; pend is the
	// change not yet added to Keyspace.data (see account).
	seen []int64
	pend int64
	_    [64]byte // keep neighbouring shards' hot fields off one cache line
}

// Stats are counters INFO reports; each shard keeps its own under its lock.
type Stats struct {
	ExpiredKeys  int64
	KeyspaceHits int64
	KeyspaceMiss int64
	ExpiredStale int64
	EvictedKeys  int64
}

// New builds an empty keyspace.
func New(o Options) *Keyspace {
	if o.Databases <= 0 {
		o.Databases = 16
	}
	if o.Shards <= 0 {
		o.Shards = 16
	}
	if o.Shards > 64 || o.Shards&(o.Shards-1) != 0 {
		panic("keyspace: shard count must be a power of two <= 64")
	}
	if o.Clock == nil {
		o.Clock = WallClock{}
	}
	_, wall := o.Clock.(WallClock)
	ks := &Keyspace{shards: make([]shard, o.Shards), mask: uint32(o.Shards - 1), dbs: o.Databases, clock: o.Clock, wall: wall, onExpire: o.OnExpire, onNew: o.OnNew, onMiss: o.OnMiss, spin: max(o.Loops, 1) < runtime.GOMAXPROCS(0)}
	if o.Lanes > 0 {
		ks.lanes = make([]laneState, o.Lanes)
	}
	for i := range ks.shards {
		ks.shards[i].tables = make([]*kvtable.Table, o.Databases)
		ks.shards[i].seen = make([]int64, o.Databases)
		for d := range ks.shards[i].tables {
			ks.shards[i].tables[d] = kvtable.New()
		}
	}
	return ks
}

// Databases is the number of databases.
func (ks *Keyspace) Databases() int { return ks.dbs }

// NumShards is the number of shards.
func (ks *Keyspace) NumShards() int { return len(ks.shards) }

// Clock is the keyspace's clock.
func (ks *Keyspace) Clock() Clock { return ks.clock }

// ShardOf returns the shard index of key.
func (ks *Keyspace) ShardOf(key []byte) int { return Slot(key) & int(ks.mask) }

// AllShards is the lock mask covering every shard.
func (ks *Keyspace) AllShards() uint64 {
	if len(ks.shards) == 64 {
		return ^uint64(0)
	}
	return 1<<uint(len(ks.shards)) - 1
}

// Lock locks the shards in mask in ascending order, the one lock order of
// the keyspace (see docs/locking.md).
func (ks *Keyspace) Lock(mask uint64) {
	for m := mask; m != 0; m &= m - 1 {
		ks.lockShard(bits.TrailingZeros64(m))
	}
}

// lockSpins bounds how often lockContended retries before it queues:
// about 2-5 us here, several times the longest common critical section.
const lockSpins = 2000

// lockContended waits for a shard lock another goroutine holds. A shard
// is held for a command's length (a few hundred ns), while sync.Mutex
// spins only briefly before it parks the waiter, and waking a parked
// goroutine takes microseconds: on two cores with 16 shards a contended
// acquisition took 0.6-1.1 us on average that way, 0.2-0.35 us spinning
// first (BenchmarkLockContention). It queues after lockSpins failed tries
// (a script or KEYS can hold a shard for long). Spinning is pointless
// when the holder may not be running meanwhile, with one P or more
// goroutines taking locks than CPUs: Lock then takes the mutex as it is
// (Keyspace.spin false, see Options.Loops).
func lockContended(mu *sync.Mutex) {
	for i := 0; i < lockSpins; i++ {
		if mu.TryLock() {
			return
		}
	}
	mu.Lock()
}

// TryLock locks the shards in mask if none is held by someone else, and
// reports whether it did; it takes none otherwise. Shared-mode holders
// (one command each) are waited out, as Lock does.
func (ks *Keyspace) TryLock(mask uint64) bool {
	for m := mask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		if !ks.tryLockShard(i) {
			ks.Unlock(mask & (1<<uint(i) - 1))
			return false
		}
	}
	return true
}

// Unlock releases the shards in mask.
func (ks *Keyspace) Unlock(mask uint64) {
	for m := mask; m != 0; m &= m - 1 {
		ks.unlockShard(bits.TrailingZeros64(m))
	}
}

// Begin prepares tx for a command on database db that holds the shards in
// mask. The caller has already called Lock(mask). now is the time the
// command started, which it reads anyway: with the wall clock it becomes
// the command's instant, saving a clock read per command (~60 ns here);
// an injected clock is asked instead.
func (ks *Keyspace) Begin(tx *Tx, db int, mask uint64, now time.Time) {
	ks.BeginAt(tx, db, mask, now.UnixMilli())
}

// BeginAt is Begin with the wall-clock instant in Unix milliseconds.
func (ks *Keyspace) BeginAt(tx *Tx, db int, mask uint64, nowMs int64) {
	tx.ks = ks
	tx.DB = db
	tx.locked = mask
	if ks.wall {
		tx.Now = nowMs
	} else {
		tx.Now = ks.clock.NowMs()
	}
	tx.access, tx.lfu = ks.initialAccess(tx.Now)
	tx.acct = ks.accounting.Load()
	tx.lastKey = nil
	tx.lfuKey = nil
	tx.Ready = tx.Ready[:0]
}

// Totals sums the shard counters; it locks each shard in turn.
func (ks *Keyspace) Totals() Stats {
	var s Stats
	for i := range ks.shards {
		sh := &ks.shards[i]
		ks.lockShard(i)
		s.ExpiredKeys += sh.stats.ExpiredKeys
		s.KeyspaceHits += sh.stats.KeyspaceHits
		s.KeyspaceMiss += sh.stats.KeyspaceMiss
		s.ExpiredStale += sh.stats.ExpiredStale
		s.EvictedKeys += sh.stats.EvictedKeys
		ks.unlockShard(i)
	}
	for l := range ks.lanes {
		s.KeyspaceHits += ks.lanes[l].hits.Load()
		s.KeyspaceMiss += ks.lanes[l].misses.Load()
	}
	return s
}

// ResetStats zeroes the counters (CONFIG RESETSTAT).
func (ks *Keyspace) ResetStats() {
	for i := range ks.shards {
		sh := &ks.shards[i]
		ks.lockShard(i)
		sh.stats = Stats{}
		ks.unlockShard(i)
	}
	for l := range ks.lanes {
		ks.lanes[l].hits.Store(0)
		ks.lanes[l].misses.Store(0)
	}
}

// DBInfo is one database's line of INFO keyspace.
type DBInfo struct {
	Keys, Expires int
}

// Info counts keys and volatile keys per database; it locks each shard in
// turn, so the figures are not one snapshot, as in Redis they need not be.
func (ks *Keyspace) Info() []DBInfo {
	out := make([]DBInfo, ks.dbs)
	for i := range ks.shards {
		sh := &ks.shards[i]
		ks.lockShard(i)
		for d, t := range sh.tables {
			out[d].Keys += t.Len()
			out[d].Expires += t.VolatileLen()
		}
		ks.unlockShard(i)
	}
	return out
}

// accountBatch bounds how far a shard's change in DataBytes may run ahead
// of Keyspace.data: adding every write's few bytes to one atomic counter
// would have every core write the same cache line.
const accountBatch = 8 << 10

// account brings the data counters up to date with table tb of database
// db in shard sh, which the caller holds, after a change to it.
func (ks *Keyspace) account(sh *shard, db int, tb *kvtable.Table) {
	n := int64(tb.DataBytes())
	d := n - sh.seen[db]
	if d == 0 {
		return
	}
	sh.seen[db] = n
	sh.pend += d
	if sh.pend >= accountBatch || sh.pend <= -accountBatch {
		ks.data.Add(sh.pend)
		sh.pend = 0
	}
}

// flushAccount adds shard sh's pending change to the total (sh held).
func (ks *Keyspace) flushAccount(sh *shard) {
	if sh.pend != 0 {
		ks.data.Add(sh.pend)
		sh.pend = 0
	}
}

// SetAccounting switches on or off keeping DataBytes current with every
// write (the server does while maxmemory is set, and eviction needs the
// figure before each command); off, a write costs nothing more and
// DataBytes is as of the last Reaccount.
func (ks *Keyspace) SetAccounting(on bool) {
	ks.accounting.Store(on)
	ks.Reaccount()
}

// Reaccount brings the data total exactly up to date with every table:
// it adds up the shards' pending changes, and catches writes made straight
// into a table (loading an RDB file goes through Tx.Table). It takes each
// shard in turn, skipping one someone holds (a running script holds them
// all, maybe on the caller's own goroutine): the next call catches up.
func (ks *Keyspace) Reaccount() {
	for i := range ks.shards {
		sh := &ks.shards[i]
		if !ks.tryLockShard(i) {
			continue
		}
		for db, tb := range sh.tables {
			ks.account(sh, db, tb)
		}
		ks.flushAccount(sh)
		ks.unlockShard(i)
	}
}

// DataBytes is the memory the keyspace's tables need (kvtable's
// DataBytes summed): while accounting is on, give or take a few kilobytes
// per shard of changes not yet added up; otherwise as of the last
// Reaccount. It leaves out the objects behind collection values. It is one
// atomic load, cheap enough to read before every command.
func (ks *Keyspace) DataBytes() int64 { return ks.data.Load() }

// SetNotify switches the OnNew and OnMiss hooks on or off (the server
// follows notify-keyspace-events).
func (k *Keyspace) SetNotify(newKeys, misses bool) {
	k.notifyNew.Store(newKeys && k.onNew != nil)
	k.notifyMiss.Store(misses && k.onMiss != nil)
}
