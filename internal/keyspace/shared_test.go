package keyspace

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

// sharedSet runs a plain SET of key, in shard, the way the server does:
// in shared mode when it can, else exclusively; it reports which.
func sharedSet(ks *Keyspace, tx *Tx, lane, shard int, key, val []byte, nowMs int64) (sharedOK bool) {
	if ks.LockShared(lane, shard) {
		ks.BeginShared(tx, lane, 0, shard, nowMs)
		ok := tx.SetStringShared(key, val, 0)
		ks.UnlockShared(tx)
		if ok {
			return true
		}
	}
	mask := uint64(1) << uint(shard)
	ks.Lock(mask)
	ks.BeginAt(tx, 0, mask, nowMs)
	tx.HintShard(key, shard)
	tx.SetString(key, val, 0)
	ks.Unlock(mask)
	return false
}

// sharedGet runs a GET of key, in shard, the way the server does, and
// appends the value to dst, as the server copies it into the reply;
// found is false when the key is missing.
func sharedGet(ks *Keyspace, tx *Tx, lane, shard int, key []byte, nowMs int64, dst []byte) (v []byte, found bool) {
	if ks.LockShared(lane, shard) {
		ks.BeginShared(tx, lane, 0, shard, nowMs)
		e, found, retry := tx.GetShared(key)
		if found {
			dst = append(dst, e.Bytes()...)
		}
		ks.UnlockShared(tx)
		if !retry {
			return dst, found
		}
	}
	mask := uint64(1) << uint(shard)
	ks.Lock(mask)
	ks.BeginAt(tx, 0, mask, nowMs)
	e, found := tx.Get(key)
	if found {
		dst = append(dst, e.Bytes()...)
	}
	ks.Unlock(mask)
	return dst, found
}

func TestSharedModeRules(t *testing.T) {
	clock := NewFakeClock(1_700_000_000_000)
	ks := New(Options{Lanes: 2, Clock: clock})
	var tx Tx
	now := clock.NowMs()
	put := func(key, val string, exp int64) {
		m := uint64(1) << uint(ks.ShardOf([]byte(key)))
		ks.Lock(m)
		ks.BeginAt(&tx, 0, m, now)
		tx.SetString([]byte(key), []byte(val), exp)
		ks.Unlock(m)
	}
	put("s", "aaaa", 0)
	put("ttl", "aaaa", now+60_000)
	put("gone", "aaaa", now+1)
	put("n", "1234", 0)

	for _, c := range []struct {
		key, val string
		shared   bool
	}{
		{"s", "bbbb", true},    // same length and encoding: in place
		{"s", "bbbbb", false},  // another length
		{"n", "5678", true},    // int stays int
		{"n", "abcd", false},   // int to embstr: another encoding
		{"ttl", "bbbb", false}, // a plain SET drops the TTL: not in place
		{"new", "bbbb", false}, // a new key is an insert
	} {
		key := []byte(c.key)
		if got := sharedSet(ks, &tx, 0, ks.ShardOf(key), key, []byte(c.val), now); got != c.shared {
			t.Errorf("SET %s %s: shared %v, want %v", c.key, c.val, got, c.shared)
		}
		if v, _ := sharedGet(ks, &tx, 1, ks.ShardOf(key), key, now, nil); string(v) != c.val {
			t.Errorf("GET %s = %q after SET %q", c.key, v, c.val)
		}
	}

	// A SET with an expire time rewrites a key that has one in place,
	// with the new time; one in the past, or a key without a TTL, runs
	// exclusively.
	setEx := func(key, val string, at int64) bool {
		sh := ks.ShardOf([]byte(key))
		ks.LockShared(0, sh)
		ks.BeginShared(&tx, 0, 0, sh, now)
		defer ks.UnlockShared(&tx)
		return tx.SetStringShared([]byte(key), []byte(val), at)
	}
	put("ttl", "aaaa", now+60_000)
	if !setEx("ttl", "cccc", now+120_000) {
		t.Error("SET ... PXAT on a key with a TTL did not run shared")
	}
	if setEx("ttl", "dddd", now-1) || setEx("s", "eeee", now+120_000) {
		t.Error("SET with a past time, or a TTL to add, ran shared")
	}
	{
		m := uint64(1) << uint(ks.ShardOf([]byte("ttl")))
		ks.Lock(m)
		ks.BeginAt(&tx, 0, m, now)
		e, _ := tx.Peek([]byte("ttl"))
		if string(e.Bytes()) != "cccc" || e.ExpireAt() != now+120_000 {
			t.Errorf("after a shared SET PXAT: %q expiring at %d", e.Bytes(), e.ExpireAt()-now)
		}
		ks.Unlock(m)
	}

	// An expired key asks for the exclusive run, which deletes it.
	clock.Advance(time.Second)
	now = clock.NowMs()
	shard := ks.ShardOf([]byte("gone"))
	if !ks.LockShared(0, shard) {
		t.Fatal("LockShared refused with no exclusive holder")
	}
	ks.BeginShared(&tx, 0, 0, shard, now)
	if _, found, retry := tx.GetShared([]byte("gone")); found || !retry {
		t.Fatalf("expired key: found %v retry %v, want a retry", found, retry)
	}
	ks.UnlockShared(&tx)
	if v, found := sharedGet(ks, &tx, 0, shard, []byte("gone"), now, nil); found {
		t.Fatalf("expired key read as %q", v)
	}

	// Hits and misses counted in shared mode reach the totals.
	before := ks.Totals()
	sharedGet(ks, &tx, 0, ks.ShardOf([]byte("s")), []byte("s"), now, nil)
	sharedGet(ks, &tx, 1, ks.ShardOf([]byte("absent")), []byte("absent"), now, nil)
	after := ks.Totals()
	if after.KeyspaceHits-before.KeyspaceHits != 1 || after.KeyspaceMiss-before.KeyspaceMiss != 1 {
		t.Fatalf("hits/misses moved by %d/%d, want 1/1", after.KeyspaceHits-before.KeyspaceHits, after.KeyspaceMiss-before.KeyspaceMiss)
	}

	// The record lock is released and the access clock stamped.
	m := uint64(1) << uint(ks.ShardOf([]byte("s")))
	ks.Lock(m)
	ks.BeginAt(&tx, 0, m, now)
	e, _ := tx.Peek([]byte("s"))
	if got := IdleSeconds(e.Access(), now); got != 0 {
		t.Fatalf("idle %d after a shared read", got)
	}
	ks.Unlock(m)

	// A write that declines leaves the access clock as it found it: the
	// exclusive run counts the access.
	clock.Advance(10 * time.Second)
	now = clock.NowMs()
	sh := ks.ShardOf([]byte("s"))
	ks.LockShared(0, sh)
	ks.BeginShared(&tx, 0, 0, sh, now)
	if _, found, _ := tx.GetWShared([]byte("s")); !found {
		t.Fatal("GetWShared missed s")
	}
	if tx.OverwriteShared([]byte("a different length"), EncRaw) {
		t.Fatal("OverwriteShared changed the length in place")
	}
	ks.UnlockShared(&tx)
	ks.Lock(m)
	ks.BeginAt(&tx, 0, m, now)
	e, _ = tx.Peek([]byte("s"))
	if got := IdleSeconds(e.Access(), now); got != 10 {
		t.Fatalf("idle %d after a declined write, want 10", got)
	}
	ks.Unlock(m)

	// An exclusive holder bars shared takers.
	ks.Lock(m)
	if ks.LockShared(0, ks.ShardOf([]byte("s"))) {
		t.Fatal("LockShared succeeded while the shard was held exclusively")
	}
	ks.Unlock(m)

	// Exclusive Tx methods refuse to run in shared mode.
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("an exclusive method ran in shared mode")
			}
		}()
		sh := ks.ShardOf([]byte("s"))
		ks.LockShared(0, sh)
		defer ks.UnlockShared(&tx)
		ks.BeginShared(&tx, 0, 0, sh, now)
		tx.Delete([]byte("s"))
	}()
}

// TestSharedModeConcurrent runs shared-mode SETs and GETs on a few keys
// from several lanes while another goroutine changes the same shards'
// structure (inserts, deletes, resizes, longer values, TTLs) exclusively.
// A reader must never see a torn value (each value is one byte repeated)
// and, with -race, no access may be unordered.
func TestSharedModeConcurrent(t *testing.T) {
	const lanes = 3
	ks := New(Options{Lanes: lanes, Shards: 4})
	keys := make([][]byte, 8)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("k%d", i))
	}
	nowMs := time.Now().UnixMilli()
	var setup Tx
	for _, k := range keys {
		sharedSet(ks, &setup, 0, ks.ShardOf(k), k, bytes.Repeat([]byte{'a'}, 16), nowMs)
	}
	const rounds = 4000
	var wg sync.WaitGroup
	errs := make(chan string, lanes)
	for lane := 0; lane < lanes; lane++ {
		wg.Add(1)
		go func(lane int) {
			defer wg.Done()
			var tx Tx
			for i := 0; i < rounds; i++ {
				k := keys[(i*7+lane)%len(keys)]
				if i%2 == 0 {
					sharedSet(ks, &tx, lane, ks.ShardOf(k), k, bytes.Repeat([]byte{byte('b' + lane)}, 16), nowMs)
					continue
				}
				v, _ := sharedGet(ks, &tx, lane, ks.ShardOf(k), k, nowMs, nil)
				if len(v) > 0 && !bytes.Equal(v, bytes.Repeat(v[:1], len(v))) {
					errs <- fmt.Sprintf("torn value %q", v)
					return
				}
			}
		}(lane)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var tx Tx
		for i := 0; i < rounds/4; i++ {
			k := keys[i%len(keys)]
			extra := []byte(fmt.Sprintf("extra:%d", i))
			mask := uint64(1)<<uint(ks.ShardOf(k)) | uint64(1)<<uint(ks.ShardOf(extra))
			ks.Lock(mask)
			ks.BeginAt(&tx, 0, mask, nowMs)
			switch i % 4 {
			case 0:
				tx.SetString(k, bytes.Repeat([]byte{'x'}, 40), 0)
			case 1:
				tx.SetString(k, bytes.Repeat([]byte{'y'}, 16), nowMs+60_000)
			case 2:
				tx.Delete(k)
			case 3:
				tx.SetString(k, bytes.Repeat([]byte{'z'}, 16), 0)
			}
			tx.SetString(extra, []byte("v"), 0)
			if i%3 == 0 {
				tx.Delete(extra)
			}
			ks.Unlock(mask)
		}
	}()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	st := ks.Totals()
	if st.KeyspaceHits == 0 {
		t.Fatal("no reads hit")
	}
}
