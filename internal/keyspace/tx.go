package keyspace

import (
	"unsafe"

	"github.com/taconite/taconite/internal/ds/kvtable"
)

// Tx is one command's (or one transaction's) view of the keyspace: the
// database it works on, the shards it holds and the time it runs at. A
// command sees one instant: every expiry check inside it uses Now.
//
// A Tx is reused by its connection; it is only valid between Keyspace.Begin
// and the Unlock of the same mask.
type Tx struct {
	ks     *Keyspace
	DB     int
	Now    int64
	locked uint64
	access uint32 // access field for records this command writes
	lfu    bool   // access fields are LFU counters (see access.go)
	acct   bool   // keep Keyspace.data current write by write (SetAccounting)
	// Under LFU clocks, the key whose counter this command's lookup last
	// counted, so that overwriting it does not count the access twice.
	lfuKey *byte
	lfuLen int
	// The shard of the last key looked up: a command usually touches the
	// same argument several times (read, then write), and the CRC16 costs
	// more than the comparison that saves it.
	lastKey   *byte
	lastLen   int
	lastShard int
	// Shared mode (see shared.go): the lane, and the record the command
	// locked with the access clock UnlockShared will store (and the one
	// it had).
	shared     bool
	lane       int
	held       kvtable.Entry
	heldAccess uint32
	heldOld    uint32
	// NoTouch: reads leave access clocks alone (CLIENT NO-TOUCH, OBJECT).
	NoTouch bool
	// Ready lists the list, sorted set and stream keys this command
	// created while some client was blocked (Keyspace.Blocked > 0): the
	// server wakes the clients waiting on them once the command is done.
	Ready []ReadyKey
}

// Keyspace returns the keyspace the Tx works on.
func (t *Tx) Keyspace() *Keyspace { return t.ks }

// Locked is the shard mask the Tx holds.
func (t *Tx) Locked() uint64 { return t.locked }

// HintShard tells the Tx the shard of key, already computed by the caller.
func (t *Tx) HintShard(key []byte, shard int) {
	t.lastKey, t.lastLen, t.lastShard = unsafe.SliceData(key), len(key), shard
}

// heldShard returns key's shard, checking the command holds it.
func (t *Tx) heldShard(key []byte) int {
	var i int
	if p := unsafe.SliceData(key); p != nil && p == t.lastKey && len(key) == t.lastLen {
		i = t.lastShard
	} else {
		i = t.ks.ShardOf(key)
		t.lastKey, t.lastLen, t.lastShard = p, len(key), i
	}
	if t.locked&(1<<uint(i)) == 0 {
		panic("keyspace: access to a shard the command did not lock (key specs wrong?)")
	}
	return i
}

// table returns key's table in database db, checking its shard is held.
func (t *Tx) table(db int, key []byte) (*shard, *kvtable.Table) {
	if t.shared {
		panic("keyspace: exclusive access in a shared-mode command")
	}
	i := t.heldShard(key)
	sh := &t.ks.shards[i]
	tb := sh.tables[db]
	// Written only when it changes (once a second): commands on other
	// cores read this table's header, and a write per command would make
	// them fetch it again.
	if tb.Access != t.access {
		tb.Access = t.access
	}
	return sh, tb
}

// lookup finds key in db, removing it if its time has passed.
func (t *Tx) lookup(db int, key []byte) (*shard, *kvtable.Table, kvtable.Entry, bool) {
	sh, tb := t.table(db, key)
	e, ok := tb.Get(key)
	if ok && e.ExpireAt() != 0 && e.ExpireAt() <= t.Now {
		t.expire(sh, tb, db, key)
		return sh, tb, kvtable.Entry{}, false
	}
	if ok && !t.NoTouch {
		e.SetAccess(t.ks.touched(e.Access(), t.Now))
		if t.lfu {
			t.lfuKey, t.lfuLen = unsafe.SliceData(key), len(key)
		}
	}
	return sh, tb, e, ok
}

// account is Keyspace.account for a write of this command, when writes
// are accounted one by one.
func (t *Tx) account(sh *shard, db int, tb *kvtable.Table) {
	if t.acct {
		t.ks.account(sh, db, tb)
	}
}

// lfuKeep is, under LFU clocks, the access field an overwritten key must
// keep: Redis carries the old value's counter over to the new value, after
// counting the write's own lookup of the key. ok is false for a key that
// is absent (the write creates it with a fresh counter).
func (t *Tx) lfuKeep(tb *kvtable.Table, key []byte) (field uint32, ok bool) {
	e, ok := tb.Get(key)
	if !ok || t.Expired(e) {
		return 0, false
	}
	if t.NoTouch || (unsafe.SliceData(key) == t.lfuKey && len(key) == t.lfuLen) {
		return e.Access(), true
	}
	return t.ks.touched(e.Access(), t.Now), true
}

// IsExpired reports whether key is present in db but past its time (not
// yet removed). It removes nothing and touches nothing.
func (t *Tx) IsExpired(db int, key []byte) bool {
	_, tb := t.table(db, key)
	e, ok := tb.Get(key)
	return ok && e.ExpireAt() != 0 && e.ExpireAt() <= t.Now
}

// Peek looks key up without touching its access clock or the hit/miss
// counters (OBJECT, DEBUG OBJECT).
func (t *Tx) Peek(key []byte) (kvtable.Entry, bool) {
	no := t.NoTouch
	t.NoTouch = true
	_, _, e, ok := t.lookup(t.DB, key)
	t.NoTouch = no
	return e, ok
}

func (t *Tx) expire(sh *shard, tb *kvtable.Table, db int, key []byte) {
	if t.ks.onExpire != nil {
		// The hook may want the key after deletion: hand it a copy since
		// key may alias the record being deleted.
		k := append([]byte(nil), key...)
		tb.Delete(key)
		sh.stats.ExpiredKeys++
		t.account(sh, db, tb)
		t.ks.onExpire(db, k)
		return
	}
	tb.Delete(key)
	sh.stats.ExpiredKeys++
	t.account(sh, db, tb)
}

// Get looks key up for reading (counted in keyspace_hits/misses).
func (t *Tx) Get(key []byte) (kvtable.Entry, bool) {
	sh, _, e, ok := t.lookup(t.DB, key)
	if ok {
		sh.stats.KeyspaceHits++
	} else {
		sh.stats.KeyspaceMiss++
		if t.ks.notifyMiss.Load() {
			t.ks.onMiss(t.DB, key)
		}
	}
	return e, ok
}

// GetW looks key up before writing it (not counted as a hit or miss).
func (t *Tx) GetW(key []byte) (kvtable.Entry, bool) {
	_, _, e, ok := t.lookup(t.DB, key)
	return e, ok
}

// GetIn is GetW in another database (MOVE, COPY).
func (t *Tx) GetIn(db int, key []byte) (kvtable.Entry, bool) {
	_, _, e, ok := t.lookup(db, key)
	return e, ok
}

// Exists reports whether key is present and not expired.
func (t *Tx) Exists(key []byte) bool {
	_, ok := t.GetW(key)
	return ok
}

// GetString returns a string value for reading. The slice aliases the
// keyspace and is valid until the next mutation under the same locks.
func (t *Tx) GetString(key []byte) ([]byte, bool, error) {
	e, ok := t.Get(key)
	if !ok {
		return nil, false, nil
	}
	if e.Kind() != KindString {
		return nil, false, ErrWrongType
	}
	return e.Bytes(), true, nil
}

// SetString stores a string with the encoding Redis would pick.
func (t *Tx) SetString(key, val []byte, expireAt int64) {
	t.SetStringEnc(key, val, StringEncoding(val), expireAt)
}

// SetStringEnc stores a string with an explicit encoding (APPEND leaves raw).
func (t *Tx) SetStringEnc(key, val []byte, enc uint8, expireAt int64) {
	t.setBytes(t.DB, key, KindString, enc, val, expireAt)
}

// setLFU is a write under LFU clocks, where an overwritten key keeps its
// counter (see lfuKeep): SetBytes of val, or SetObj of obj when isObj. It
// reports whether the key existed. Apart from the writes' fast paths, so
// that they stay as short as they were without LFU.
func (t *Tx) setLFU(sh *shard, tb *kvtable.Table, db int, key []byte, kind kvtable.Kind, flags uint8, val []byte, obj any, isObj bool, expireAt int64) bool {
	keep, kept := t.lfuKeep(tb, key)
	var existed bool
	if isObj {
		existed = tb.SetObj(key, kind, flags, obj, expireAt)
	} else {
		existed = tb.SetBytes(key, kind, flags, val, expireAt)
	}
	if kept {
		tb.Touch(key, keep)
	}
	t.account(sh, db, tb)
	return existed
}

// created tells the OnNew hook about a key a write just created.
func (t *Tx) created(db int, key []byte) {
	if t.ks.notifyNew.Load() {
		t.ks.onNew(db, key)
	}
}

// SetObj stores an object value.
func (t *Tx) SetObj(key []byte, kind kvtable.Kind, obj any, expireAt int64) {
	t.SetObjIn(t.DB, key, kind, 0, obj, expireAt)
}

// SetObjIn stores an object value in database db with flags.
func (t *Tx) SetObjIn(db int, key []byte, kind kvtable.Kind, flags uint8, obj any, expireAt int64) {
	sh, tb := t.table(db, key)
	var existed bool
	if t.lfu {
		existed = t.setLFU(sh, tb, db, key, kind, flags, nil, obj, true, expireAt)
	} else {
		existed = tb.SetObj(key, kind, flags, obj, expireAt)
		t.account(sh, db, tb)
	}
	t.stored(db, key, kind, existed)
}

// stored is what every write of a whole value owes after it: the OnNew
// hook for a created key, and the key's blocked clients. A new list,
// sorted set (small ones are bytes) or stream may serve a waiter; a
// replaced value may be one a waiter must give up on (a stream replaced
// by a string: XREADGROUP answers UNBLOCKED).
func (t *Tx) stored(db int, key []byte, kind kvtable.Kind, existed bool) {
	if !existed {
		t.created(db, key)
	}
	if t.ks.Blocked.Load() > 0 && (existed || kind == KindList || kind == KindZSet || kind == KindStream) {
		t.Ready = append(t.Ready, ReadyKey{DB: db, Key: string(key)})
	}
}

// SignalReady notes that key, which already existed, got data blocked
// clients may wait for (XADD to an existing stream). Creations are noted
// by SetObjIn.
func (t *Tx) SignalReady(key []byte) {
	if t.ks.Blocked.Load() > 0 {
		t.Ready = append(t.Ready, ReadyKey{DB: t.DB, Key: string(key)})
	}
}

// ReadyKey is a key that may now serve blocked clients.
type ReadyKey struct {
	DB  int
	Key string
}

// SetBytesIn stores a byte value in database db.
func (t *Tx) SetBytesIn(db int, key []byte, kind kvtable.Kind, flags uint8, val []byte, expireAt int64) {
	t.setBytes(db, key, kind, flags, val, expireAt)
}

// setBytes is SetBytesIn; SET's path calls it directly, one call shorter.
func (t *Tx) setBytes(db int, key []byte, kind kvtable.Kind, flags uint8, val []byte, expireAt int64) {
	sh, tb := t.table(db, key)
	var existed bool
	if t.lfu {
		existed = t.setLFU(sh, tb, db, key, kind, flags, val, nil, false, expireAt)
	} else {
		existed = tb.SetBytes(key, kind, flags, val, expireAt)
		t.account(sh, db, tb)
	}
	t.stored(db, key, kind, existed)
}

// Delete removes key; it reports whether a live key was removed.
func (t *Tx) Delete(key []byte) bool { return t.DeleteIn(t.DB, key) }

// DeleteIn removes key from database db.
func (t *Tx) DeleteIn(db int, key []byte) bool {
	sh, tb, _, ok := t.lookup(db, key)
	if !ok {
		return false
	}
	if t.ks.Blocked.Load() > 0 {
		// A client blocked on the key may have to learn it is gone
		// (XREADGROUP answers so); the others wait again.
		t.Ready = append(t.Ready, ReadyKey{DB: db, Key: string(key)})
	}
	ok = tb.Delete(key)
	t.account(sh, db, tb)
	return ok
}

// SetExpire sets key's absolute expire time in ms (0 = persist). The key
// must exist; it reports whether it did.
func (t *Tx) SetExpire(key []byte, at int64) bool {
	sh, tb, _, ok := t.lookup(t.DB, key)
	if !ok {
		return false
	}
	ok = tb.SetExpire(key, at)
	t.account(sh, t.DB, tb)
	return ok
}

// Append appends to a string value (creating it) and returns the new length.
func (t *Tx) Append(key, data []byte) int {
	sh, tb := t.table(t.DB, key)
	n := tb.AppendBytes(key, KindString, EncRaw, data)
	t.account(sh, t.DB, tb)
	return n
}

// MutableString returns key's string value extended to n bytes, for
// in-place edits until the next mutation; the value becomes raw.
func (t *Tx) MutableString(key []byte, n int) []byte {
	sh, tb := t.table(t.DB, key)
	tb.SetFlags(key, EncRaw)
	b := tb.MutableBytes(key, n)
	t.account(sh, t.DB, tb)
	return b
}

// Table exposes the table of database db in shard i for whole-keyspace
// commands holding every shard (KEYS, SCAN, RANDOMKEY, DBSIZE).
func (t *Tx) Table(i, db int) *kvtable.Table {
	if t.locked&(1<<uint(i)) == 0 {
		panic("keyspace: access to a shard the command did not lock")
	}
	return t.ks.shards[i].tables[db]
}

// Expired reports whether an entry's time has passed at the Tx's instant.
func (t *Tx) Expired(e kvtable.Entry) bool {
	return e.ExpireAt() != 0 && e.ExpireAt() <= t.Now
}

// DBSize counts the keys of the Tx's database (expired-but-not-yet-removed
// keys included, as in Redis). Needs every shard.
func (t *Tx) DBSize() int {
	n := 0
	for i := range t.ks.shards {
		n += t.Table(i, t.DB).Len()
	}
	return n
}

// FlushDB empties database db. Needs every shard.
func (t *Tx) FlushDB(db int) {
	for i := range t.ks.shards {
		tb := t.Table(i, db)
		tb.Clear()
		t.account(&t.ks.shards[i], db, tb)
	}
}

// SwapDB exchanges two databases. Needs every shard.
func (t *Tx) SwapDB(a, b int) {
	for i := range t.ks.shards {
		t.Table(i, a)
		sh := &t.ks.shards[i]
		sh.tables[a], sh.tables[b] = sh.tables[b], sh.tables[a]
		sh.seen[a], sh.seen[b] = sh.seen[b], sh.seen[a]
	}
}
