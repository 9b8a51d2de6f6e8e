package kvtable

import (
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Record locks, for owners that let several goroutines work on one table
// at once as long as none changes its structure (the keyspace's shared
// shard mode, see internal/keyspace/doc.go). In that mode a goroutine may
// call Get, then lock the record it found with LockAccess, read it, change
// its value in place with Overwrite, set its access clock with
// UnlockAccess. Lookups of other keys run meanwhile: they read the
// records' hdr, tag, next and key fields, which none of these calls
// writes, and never the value or the access field.
//
// The lock is the top bit of the record's access field, which is why the
// access clocks a caller stores must leave it clear (AccessLockBit). Taken
// and released with atomic operations on the field's aligned 4 bytes
// (records start at multiples of 8 in 8-aligned pages); the exclusive
// owner's plain reads and writes of the field are ordered after them by
// the owner's own lock handoff.

// AccessLockBit is the bit of the access field that locks the record; an
// access clock must never set it.
const AccessLockBit = 1 << 31

// lockBitNative is AccessLockBit as the machine sees the field's word.
var lockBitNative = swapLE(AccessLockBit)

// swapLE converts between the access field's value (stored little-endian,
// as get32 and put32 read it) and the machine's view of its word, both
// ways: the identity on little-endian machines.
func swapLE(x uint32) uint32 {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], x)
	return binary.NativeEndian.Uint32(b[:])
}

func (e Entry) accessWord() *uint32 { return (*uint32)(unsafe.Pointer(&e.rec[oAccess])) }

// LockAccess locks the record, waiting (spinning) while another goroutine
// holds it, and returns its access clock. Holders keep it for one command
// on one key, so the wait is short.
func (e Entry) LockAccess() uint32 {
	w := e.accessWord()
	for n := 0; ; n++ {
		old := atomic.LoadUint32(w)
		if old&lockBitNative == 0 && atomic.CompareAndSwapUint32(w, old, old|lockBitNative) {
			return swapLE(old)
		}
		if n >= lockSpins {
			// The holder may be off its CPU (more loops than CPUs).
			runtime.Gosched()
		}
	}
}

// lockSpins is how often LockAccess retries before it yields.
const lockSpins = 100

// UnlockAccess sets the access clock to v (lock bit clear) and unlocks
// the record.
func (e Entry) UnlockAccess(v uint32) {
	atomic.StoreUint32(e.accessWord(), swapLE(v&^AccessLockBit))
}

// Valid reports whether e refers to a record (the zero Entry does not).
func (e Entry) Valid() bool { return e.rec != nil }

// SetExpireAt changes the expire time (Unix ms) of a record that has one,
// in place, and reports whether it had one; the volatile index holds the
// record, not its time, so nothing else changes.
func (e Entry) SetExpireAt(at int64) bool {
	if e.rec[oHdr]&hExpire == 0 {
		return false
	}
	put64(e.rec[oExpire:], uint64(at))
	return true
}
