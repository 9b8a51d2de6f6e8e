package keyspace

import (
	"time"

	"github.com/taconite/taconite/internal/ds/kvtable"
)

// Scan continues a SCAN over the Tx's database from cursor, calling fn for
// each live key visited, until about count keys were visited; it returns
// the next cursor (0 when done). Needs every shard.
//
// The cursor packs the shard index in its low bits and the table's own
// reverse-binary cursor above them, so Redis's guarantee carries over: a
// key present for the whole iteration is returned at least once.
func (t *Tx) Scan(cursor uint64, count int, fn func(e kvtable.Entry)) uint64 {
	n := uint64(len(t.ks.shards))
	si := cursor % n
	tc := cursor / n
	visited := 0
	steps := 0
	maxSteps := count * 10
	for {
		tb := t.Table(int(si), t.DB)
		tc = tb.Scan(tc, func(e kvtable.Entry) {
			visited++
			if !t.Expired(e) {
				fn(e)
			}
		})
		steps++
		if tc == 0 {
			si++
			if si == n {
				return 0
			}
		}
		if visited >= count || steps >= maxSteps {
			return tc*n + si
		}
	}
}

// Range calls fn for every live key of the Tx's database until fn returns
// false. Needs every shard.
func (t *Tx) Range(fn func(e kvtable.Entry) bool) {
	for i := range t.ks.shards {
		cont := true
		t.Table(i, t.DB).Range(func(e kvtable.Entry) bool {
			if t.Expired(e) {
				return true
			}
			cont = fn(e)
			return cont
		})
		if !cont {
			return
		}
	}
}

// RandomKey returns a copy of a random live key, or nil. Needs every shard.
func (t *Tx) RandomKey(rnd func(n uint64) uint64) []byte {
	total := t.DBSize()
	for tries := 0; total > 0 && tries < 100; tries++ {
		// Pick a shard weighted by its size, then a key in it.
		pick := rnd(uint64(total))
		for i := range t.ks.shards {
			tb := t.Table(i, t.DB)
			if pick >= uint64(tb.Len()) {
				pick -= uint64(tb.Len())
				continue
			}
			e, ok := tb.RandomEntry(rnd)
			if !ok {
				break
			}
			key := append([]byte(nil), e.Key()...)
			if t.Expired(e) {
				sh := &t.ks.shards[i]
				t.expire(sh, tb, t.DB, key)
				total--
				break
			}
			return key
		}
	}
	return nil
}

// ActiveExpire runs one active expiry cycle over every shard, Redis style:
// per database sample up to 20 keys with a TTL, delete the expired, and
// repeat while more than a quarter of a sample was expired, until budget
// runs out. It returns the number of keys removed and how long it held
// shard locks (the latency monitor's expire-cycle: its work, without the
// time it waited for a lock). It locks one shard at a time, so clients
// wait for at most one shard's share of the budget.
func (ks *Keyspace) ActiveExpire(budget time.Duration, rnd func(n uint64) uint64) (removed int, held time.Duration) {
	start := time.Now()
	deadline := start.Add(budget)
	var keys [][]byte
	// Start where the last cycle stopped, so when the budget runs out
	// before the last shard no shard is starved.
	first := int(ks.expireCursor.Load())
	for n := 0; n < len(ks.shards); n++ {
		i := (first + n) % len(ks.shards)
		ks.expireCursor.Store(uint32((i + 1) % len(ks.shards)))
		sh := &ks.shards[i]
		ks.lockShard(i)
		locked := time.Now()
		now := ks.clock.NowMs()
		for db, tb := range sh.tables {
			for iter := 0; tb.VolatileLen() > 0; iter++ {
				keys = keys[:0]
				sampled := 0
				tb.SampleVolatile(20, rnd, func(e kvtable.Entry) {
					sampled++
					if e.ExpireAt() <= now {
						keys = append(keys, append([]byte(nil), e.Key()...))
					}
				})
				for _, k := range keys {
					if e, ok := tb.Get(k); ok && e.ExpireAt() != 0 && e.ExpireAt() <= now {
						tb.Delete(k)
						sh.stats.ExpiredKeys++
						removed++
						if ks.onExpire != nil {
							ks.onExpire(db, k)
						}
					}
				}
				if sampled == 0 || len(keys)*4 <= sampled {
					break
				}
				if iter&15 == 15 && time.Now().After(deadline) {
					break
				}
			}
			// Incremental rehash and compaction ride along with the cycle.
			tb.Rehash(100)
			ks.account(sh, db, tb)
		}
		// The total is exact once a cycle, whatever the batching.
		ks.flushAccount(sh)
		ks.unlockShard(i)
		t := time.Now()
		held += t.Sub(locked)
		if t.After(deadline) {
			break
		}
	}
	return removed, held
}
