package keyspace

import (
	"bytes"
	"math"
	"math/rand/v2"

	"github.com/taconite/taconite/internal/ds/kvtable"
)

// Eviction, the keyspace's half: choosing and deleting keys as Redis's
// maxmemory policies do. The server decides when (its memory figure over
// maxmemory) and how much; this file decides which key.
//
// Redis approximates LRU and LFU by sampling: each round it draws
// maxmemory-samples random keys, keeps the best candidates seen so far in
// a small pool sorted by how evictable they are, and evicts the pool's
// best. The pool outlives the round, so good candidates found earlier are
// not forgotten. Here a round samples the databases of one shard (the next
// in turn), since a shard's lock is the unit of access; over rounds every
// shard is visited, at the rate of samples per evicted key Redis has.

// EvictPolicy is a maxmemory-policy.
type EvictPolicy uint8

// The policies of Redis 7.0.
const (
	NoEviction EvictPolicy = iota
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	VolatileLRU
	VolatileLFU
	VolatileRandom
	VolatileTTL
)

var policyNames = [...]string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}

// ParseEvictPolicy maps a maxmemory-policy name to its policy; unknown
// names (the configuration has already refused them) are noeviction.
func ParseEvictPolicy(name string) EvictPolicy {
	for i, n := range policyNames {
		if n == name {
			return EvictPolicy(i)
		}
	}
	return NoEviction
}

func (p EvictPolicy) String() string { return policyNames[p] }

// Volatile reports whether the policy evicts only keys with a TTL.
func (p EvictPolicy) Volatile() bool { return p >= VolatileLRU }

// LFU reports whether the policy keeps LFU counters in the access fields.
func (p EvictPolicy) LFU() bool { return p == AllKeysLFU || p == VolatileLFU }

// EvictHooks are the server's parts of an eviction, both called with the
// key's shard locked.
type EvictHooks struct {
	// Before runs before the key of entry e (database db) is deleted: a
	// running snapshot keeps its old value, to stay point in time.
	Before func(db int, e kvtable.Entry)
	// After runs once the key is gone: keyspace event, AOF, WATCH and
	// client-side caching. key is the hook's to keep.
	After func(db int, key []byte)
}

// evictPoolSize is how many candidates the pool keeps, as Redis.
const evictPoolSize = 16

type poolEntry struct {
	score uint64 // higher is evicted first
	shard int
	db    int
	key   []byte // owned by the pool; buffers move between entries
}

// EvictPool is the pool of eviction candidates and the cursors of the
// sampling; one per evicting goroutine (the server serializes eviction).
type EvictPool struct {
	ents   [evictPoolSize + 1]poolEntry // ents[:n] sorted by score ascending; ents[n] is a spare buffer
	n      int
	cursor int // next shard to sample
	dbNext int // next database of the random policies
	rnd    func(n uint64) uint64
	// sampled holds a table's sample while populate scores it (reused).
	sampled []kvtable.Entry
}

// NewEvictPool returns an empty pool.
func NewEvictPool() *EvictPool {
	r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	return &EvictPool{rnd: func(n uint64) uint64 { return r.Uint64N(n) }}
}

// Len is the number of candidates in the pool.
func (p *EvictPool) Len() int { return p.n }

// Reset empties the pool (after maxmemory-policy changes, whose scores
// mean something else).
func (p *EvictPool) Reset() { p.n = 0 }

// insert adds a candidate, keeping the best evictPoolSize. Among equal
// scores the one sampled earlier is evicted first.
func (p *EvictPool) insert(score uint64, shard, db int, key []byte) {
	for j := 0; j < p.n; j++ {
		if e := &p.ents[j]; e.shard == shard && e.db == db && bytes.Equal(e.key, key) {
			// Sampled again: its fresher score replaces the old one.
			p.remove(j)
			break
		}
	}
	k := 0
	for k < p.n && p.ents[k].score < score {
		k++
	}
	var buf []byte
	if p.n == evictPoolSize {
		if k == 0 {
			return // less evictable than every candidate of a full pool
		}
		// Drop the least evictable, ents[0], and reuse its buffer.
		buf = p.ents[0].key
		copy(p.ents[:k-1], p.ents[1:k])
		k--
	} else {
		buf = p.ents[p.n].key
		copy(p.ents[k+1:p.n+1], p.ents[k:p.n])
		p.n++
	}
	p.ents[k] = poolEntry{score: score, shard: shard, db: db, key: append(buf[:0], key...)}
}

// remove takes entry j out; its buffer becomes the spare.
func (p *EvictPool) remove(j int) {
	buf := p.ents[j].key
	copy(p.ents[j:p.n-1], p.ents[j+1:p.n])
	p.n--
	p.ents[p.n].key = buf
}

// score is how evictable e is under policy at nowMs: the older the last
// access (LRU), the lower the counter (LFU), the nearer the expire time
// (volatile-ttl), the higher. LRU uses the access time itself, not the
// idle time, so candidates sampled at different times compare fairly.
func (ks *Keyspace) score(e kvtable.Entry, policy EvictPolicy, nowMs int64) uint64 {
	switch policy {
	case AllKeysLFU, VolatileLFU:
		return uint64(255 - ks.LFUCounter(e.Access(), nowMs))
	case VolatileTTL:
		return math.MaxUint64 - uint64(e.ExpireAt())
	}
	// The access second, unwrapped (see lruClock).
	return uint64(math.MaxInt64 - (nowMs/1000 - IdleSeconds(e.Access(), nowMs)))
}

// populate samples up to samples keys of every database of shard i into
// the pool and reports how many it saw.
func (ks *Keyspace) populate(p *EvictPool, i int, policy EvictPolicy, samples int) int {
	sh := &ks.shards[i]
	seen := 0
	ks.lockShard(i)
	now := ks.clock.NowMs()
	// The sample is taken first and scored after: each sampled record is
	// a cache miss on a big table, and a sampling loop that does nothing
	// else lets the processor have several in flight, where scoring and
	// inserting between them would hold each one up.
	collect := func(e kvtable.Entry) { p.sampled = append(p.sampled, e) }
	for db, tb := range sh.tables {
		p.sampled = p.sampled[:0]
		if policy.Volatile() {
			if tb.VolatileLen() > 0 {
				tb.SampleVolatile(samples, p.rnd, collect)
			}
		} else {
			tb.SampleSome(samples, p.rnd, collect)
		}
		for _, e := range p.sampled {
			p.insert(ks.score(e, policy, now), i, db, e.Key())
		}
		seen += len(p.sampled)
	}
	clear(p.sampled[:cap(p.sampled)]) // the entries alias table memory
	ks.unlockShard(i)
	return seen
}

// EvictOne evicts one key chosen by policy, sampling samples keys per
// database of a shard, and reports the memory freed (the tables' DataBytes
// plus the estimated size of a collection value) and whether a key was
// evicted: false when no key qualifies (noeviction, or no key with a TTL
// under a volatile policy). It takes and releases shard locks one at a
// time, so the caller must hold none.
func (ks *Keyspace) EvictOne(p *EvictPool, policy EvictPolicy, samples int, h *EvictHooks) (int64, bool) {
	switch policy {
	case NoEviction:
		return 0, false
	case AllKeysRandom, VolatileRandom:
		return ks.evictRandom(p, policy.Volatile(), h)
	}
	samples = max(samples, 1)
	// Keys sampled a moment ago may be gone when their turn comes (deleted
	// by a command in between): bounded retries, then give up as Redis
	// does when its pool yields nothing.
	for round := 0; round < 4*len(ks.shards); round++ {
		found := false
		for tries := 0; tries < len(ks.shards) && !found; tries++ {
			i := p.cursor
			p.cursor = (i + 1) % len(ks.shards)
			found = ks.populate(p, i, policy, samples) > 0
		}
		for p.n > 0 {
			e := &p.ents[p.n-1]
			shard, db := e.shard, e.db
			p.remove(p.n - 1)
			// The removed entry's buffer is the spare now, untouched until
			// the next insert.
			if freed, ok := ks.evictKey(shard, db, p.ents[p.n].key, policy.Volatile(), h); ok {
				return freed, true
			}
		}
		if !found {
			return 0, false
		}
	}
	return 0, false
}

// evictRandom evicts a random key (with a TTL if volatile), visiting the
// shards in turn and each shard's databases in turn.
func (ks *Keyspace) evictRandom(p *EvictPool, volatile bool, h *EvictHooks) (int64, bool) {
	for tries := 0; tries < len(ks.shards); tries++ {
		i := p.cursor
		p.cursor = (i + 1) % len(ks.shards)
		sh := &ks.shards[i]
		ks.lockShard(i)
		for d := 0; d < ks.dbs; d++ {
			db := (p.dbNext + d) % ks.dbs
			tb := sh.tables[db]
			var e kvtable.Entry
			found := false
			if volatile {
				tb.SampleVolatile(1, p.rnd, func(v kvtable.Entry) { e, found = v, true })
			} else {
				e, found = tb.RandomEntry(p.rnd)
			}
			if !found {
				continue
			}
			// The key aliases the record: copy it before deleting.
			key := append(p.ents[p.n].key[:0], e.Key()...)
			p.ents[p.n].key = key
			p.dbNext = db + 1
			freed := ks.evictLocked(sh, i, db, tb, e, key, h)
			ks.unlockShard(i)
			return freed, true
		}
		ks.unlockShard(i)
	}
	return 0, false
}

// evictKey evicts key from database db of shard i if it is still there
// (and still has a TTL, for a volatile policy).
func (ks *Keyspace) evictKey(i, db int, key []byte, volatile bool, h *EvictHooks) (int64, bool) {
	sh := &ks.shards[i]
	ks.lockShard(i)
	tb := sh.tables[db]
	e, ok := tb.Get(key)
	if !ok || (volatile && e.ExpireAt() == 0) {
		ks.unlockShard(i)
		return 0, false
	}
	freed := ks.evictLocked(sh, i, db, tb, e, key, h)
	ks.unlockShard(i)
	return freed, true
}

// evictLocked deletes key, whose entry e is in tb, shard sh locked, counts
// it and calls the hooks. key must not alias the record.
func (ks *Keyspace) evictLocked(sh *shard, i, db int, tb *kvtable.Table, e kvtable.Entry, key []byte, h *EvictHooks) int64 {
	var obj int64
	if m, ok := e.Obj().(interface{ MemoryUsage() int }); ok {
		obj = int64(m.MemoryUsage())
	}
	if h != nil && h.Before != nil {
		// Preserving the value for a snapshot reads, and leaves e valid.
		h.Before(db, e)
	}
	before := tb.DataBytes()
	tb.Delete(key)
	freed := int64(before-tb.DataBytes()) + obj
	sh.stats.EvictedKeys++
	ks.account(sh, db, tb)
	// The server's loop stops on the total: it must see this at once.
	ks.flushAccount(sh)
	if h != nil && h.After != nil {
		h.After(db, append([]byte(nil), key...))
	}
	return freed
}
