package keyspace

import (
	"math/bits"
	"runtime"
	"sync/atomic"

	"github.com/taconite/taconite/internal/ds/kvtable"
)

// Shared mode. A command that reads one key, or rewrites one key's value
// in place (same length, nothing else about the record changing), does
// not need its shard to itself: it changes no table structure, only the
// one record, which it locks (kvtable.Entry.LockAccess). Such a command
// may take its shard in shared mode, which writes no cache line another
// core writes: the lane (event loop) marks its own slot for the shard and
// checks the shard's excl flag, a line that stays in every core's cache
// while no exclusive holder comes. With keys spread over all shards and
// every command taking its shard exclusively, each command wrote a lock
// line the other core had written last about half the time, which on the
// 2-vCPU machines here cost about as much as the command itself when two
// cores worked (see BenchmarkParallelSetGet).
//
// Exclusive holders (Lock, and every internal user of a shard) set excl
// after taking the shard's mutex and then wait for the lanes' slots of
// that shard to empty; a shared taker that finds excl set gives its slot
// back and takes the shard exclusively instead (the caller's fallback),
// so an exclusive waiter is never starved. Go's atomics are sequentially
// consistent: a taker's slot store and an exclusive holder's excl store
// cannot both miss the other's.
//
// A lane is one goroutine's: two goroutines never use one lane at once.
// With no lanes (Options.Lanes 0) LockShared always says no and exclusive
// holders skip the slots.

// laneState is one lane's slots and read counters. Only the lane's
// goroutine writes them (but ResetStats, which zeroes the counters). Each
// slot has a cache line of its own: an exclusive taker of a shard reads
// every lane's slot of that shard, and with one line per lane it would
// fetch the line back from a lane that used any shard since, with one per
// slot only from one that used this shard. The padding at both ends keeps
// two lanes off one line however the array is aligned.
type laneState struct {
	_      [64]byte
	slots  [64]laneSlot
	hits   atomic.Int64
	misses atomic.Int64
	_      [64]byte
}

type laneSlot struct {
	n atomic.Uint32
	_ [60]byte
}

// drainSpins is how often an exclusive holder re-reads a busy slot before
// it yields: a shared holder keeps its slot for one command.
const drainSpins = 200

// lockShard takes shard i exclusively.
func (ks *Keyspace) lockShard(i int) {
	sh := &ks.shards[i]
	if !ks.spin {
		sh.mu.Lock()
	} else if !sh.mu.TryLock() {
		lockContended(&sh.mu)
	}
	ks.drain(i)
}

// tryLockShard takes shard i exclusively if its mutex is free.
func (ks *Keyspace) tryLockShard(i int) bool {
	if !ks.shards[i].mu.TryLock() {
		return false
	}
	ks.drain(i)
	return true
}

// drain, shard i's mutex held, bars new shared takers and waits for the
// current ones to leave.
func (ks *Keyspace) drain(i int) {
	if ks.lanes == nil {
		return
	}
	ks.shards[i].excl.Store(1)
	for l := range ks.lanes {
		slot := &ks.lanes[l].slots[i].n
		for n := 0; slot.Load() != 0; n++ {
			if n >= drainSpins {
				runtime.Gosched()
			}
		}
	}
}

// unlockShard releases shard i taken exclusively.
func (ks *Keyspace) unlockShard(i int) {
	sh := &ks.shards[i]
	if ks.lanes != nil {
		sh.excl.Store(0)
	}
	sh.mu.Unlock()
}

// Lanes is the number of lanes (Options.Lanes).
func (ks *Keyspace) Lanes() int { return len(ks.lanes) }

// LockShared takes shard i in shared mode for lane, and reports whether
// it did: not when an exclusive holder has it or waits for it, or when
// the keyspace has no lanes. The caller then takes it with Lock.
func (ks *Keyspace) LockShared(lane, i int) bool {
	if lane < 0 || lane >= len(ks.lanes) {
		return false
	}
	slot := &ks.lanes[lane].slots[i].n
	slot.Store(1)
	if ks.shards[i].excl.Load() == 0 {
		return true
	}
	slot.Store(0)
	return false
}

// BeginShared prepares tx for a command on database db holding shard in
// shared mode for lane (LockShared succeeded). Only the Shared methods
// may be called on it; UnlockShared ends it.
func (ks *Keyspace) BeginShared(tx *Tx, lane, db, shard int, nowMs int64) {
	ks.BeginAt(tx, db, 1<<uint(shard), nowMs)
	tx.shared, tx.lane = true, lane
}

// UnlockShared ends tx's shared-mode command: it unlocks the record the
// command locked, stamping its access clock, and gives the shard back.
func (ks *Keyspace) UnlockShared(tx *Tx) {
	if tx.held.Valid() {
		tx.held.UnlockAccess(tx.heldAccess)
		tx.held = kvtable.Entry{}
	}
	ks.lanes[tx.lane].slots[bits.TrailingZeros64(tx.locked)].n.Store(0)
	tx.shared, tx.locked = false, 0
}

// sharedLookup finds key for a shared-mode command and locks its record.
// retry is true when the command must be run exclusively instead (the
// key has expired and must be deleted first); nothing was changed then.
func (t *Tx) sharedLookup(key []byte) (e kvtable.Entry, found, retry bool) {
	if !t.shared || t.held.Valid() {
		panic("keyspace: shared lookup outside a shared-mode command, or twice")
	}
	e, found = t.ks.shards[t.heldShard(key)].tables[t.DB].Get(key)
	if !found {
		return e, false, false
	}
	old := e.LockAccess()
	if x := e.ExpireAt(); x != 0 && x <= t.Now {
		e.UnlockAccess(old)
		return kvtable.Entry{}, false, true
	}
	t.held, t.heldAccess, t.heldOld = e, old, old
	return e, true, false
}

// GetShared is Get for a shared-mode command: the entry stays locked, and
// valid, until UnlockShared. retry as in sharedLookup; a miss that
// keyspace events must hear of also asks for the exclusive run.
func (t *Tx) GetShared(key []byte) (e kvtable.Entry, found, retry bool) {
	e, found, retry = t.sharedLookup(key)
	if retry {
		return e, false, true
	}
	ln := &t.ks.lanes[t.lane]
	if !found {
		if t.ks.notifyMiss.Load() {
			return e, false, true
		}
		ln.misses.Add(1)
		return e, false, false
	}
	ln.hits.Add(1)
	if !t.NoTouch {
		t.heldAccess = t.ks.touched(t.heldAccess, t.Now)
	}
	return e, true, false
}

// GetWShared is GetW for a shared-mode command (a lookup before a
// write, not counted as a hit or miss): the entry stays locked, and
// valid, until UnlockShared. retry as in sharedLookup.
func (t *Tx) GetWShared(key []byte) (e kvtable.Entry, found, retry bool) {
	e, found, retry = t.sharedLookup(key)
	if found && !t.NoTouch {
		t.heldAccess = t.ks.touched(t.heldAccess, t.Now)
	}
	return e, found, retry
}

// OverwriteShared rewrites the value of the record a shared-mode lookup
// found (and locked) in place, with encoding enc, keeping its TTL, and
// reports true when it could: val has the old value's length, and the
// running snapshot (if any) has the record already. Otherwise it
// changes nothing, gives the record back as it found it, and the
// command must run exclusively.
func (t *Tx) OverwriteShared(val []byte, enc uint8) bool {
	e := t.held
	if !e.Captured() || !e.Overwrite(val, enc) {
		t.declineShared()
		return false
	}
	return true
}

// declineShared unlocks the record the command holds, leaving its
// access clock as it was: the command is about to run exclusively and
// will count its access then.
func (t *Tx) declineShared() {
	t.held.UnlockAccess(t.heldOld)
	t.held = kvtable.Entry{}
}

// SetStringShared is a SET for a shared-mode command, with expireAt the
// key's new expire time (Unix ms; 0 for none): it rewrites key's value,
// and expire time, in place and reports true when it could, that is
// when key holds a string whose value has val's length and encoding,
// that has a TTL exactly when expireAt asks for one (a TTL to add or
// drop changes the record's layout), with expireAt in the future, and
// that the running snapshot (if any) has already. Otherwise it changes
// nothing and the command must run exclusively.
func (t *Tx) SetStringShared(key, val []byte, expireAt int64) bool {
	e, found, _ := t.sharedLookup(key)
	if !found {
		return false
	}
	enc := StringEncoding(val)
	if e.Kind() != KindString || (e.ExpireAt() != 0) != (expireAt != 0) || (expireAt != 0 && expireAt <= t.Now) || e.Flags() != enc {
		t.declineShared()
		return false
	}
	if !t.OverwriteShared(val, enc) {
		return false
	}
	if expireAt != 0 {
		e.SetExpireAt(expireAt)
	}
	// As an exclusive overwrite stamps it (see lfuKeep): the write's time
	// under LRU, the counter after this access under LFU.
	switch {
	case !t.lfu:
		t.heldAccess = t.access
	case !t.NoTouch:
		t.heldAccess = t.ks.touched(t.heldAccess, t.Now)
	}
	return true
}

// SharedReads is how many reads ran in shared mode since the start (or
// the last ResetStats): tests check that the path they mean was taken.
func (ks *Keyspace) SharedReads() int64 {
	var n int64
	for l := range ks.lanes {
		n += ks.lanes[l].hits.Load() + ks.lanes[l].misses.Load()
	}
	return n
}
