package keyspace

import (
	"math/rand/v2"
	"sync/atomic"

	"github.com/taconite/taconite/internal/ds/kvtable"
)

// Access clocks, kept in each record's 32-bit access field and reported by
// OBJECT IDLETIME and OBJECT FREQ, as Redis keeps them in its objects' lru
// field. Under an LRU (or no) eviction policy the field is the Unix second
// of the last access. Under an LFU policy it is Redis's pair: the minute of
// the last decrement in the high 16 bits and a logarithmic access counter
// in the low 8.

// lruClock is the LRU access field for an access at nowMs: the Unix
// second, modulo 2^31, since the field's top bit is the record lock
// (kvtable.AccessLockBit). IdleSeconds undoes the wrap.
func lruClock(nowMs int64) uint32 { return uint32(nowMs/1000) &^ kvtable.AccessLockBit }

// lfuInit is the counter a new key starts with, so it is not evicted
// before it had a chance to be used.
const lfuInit = 5

// accessMode is read by every command; the server changes it when
// maxmemory-policy changes.
type accessMode struct {
	lfu         atomic.Bool
	logFactor   atomic.Int64
	decayMinute atomic.Int64
}

// SetLFU switches between LRU and LFU clocks (maxmemory-policy) and sets
// lfu-log-factor and lfu-decay-time.
func (ks *Keyspace) SetLFU(on bool, logFactor, decayTime int64) {
	ks.access.lfu.Store(on)
	ks.access.logFactor.Store(logFactor)
	ks.access.decayMinute.Store(decayTime)
}

// LFU reports whether LFU clocks are in use.
func (ks *Keyspace) LFU() bool { return ks.access.lfu.Load() }

func minutes(nowMs int64) uint32 { return uint32(nowMs/60000) & 0xFFFF }

// initialAccess is the access field of a record written at nowMs, and
// whether LFU clocks are in use.
func (ks *Keyspace) initialAccess(nowMs int64) (uint32, bool) {
	if ks.access.lfu.Load() {
		return minutes(nowMs)<<8 | lfuInit, true
	}
	return lruClock(nowMs), false
}

// touched is the access field after an access at nowMs.
func (ks *Keyspace) touched(old uint32, nowMs int64) uint32 {
	if !ks.access.lfu.Load() {
		return lruClock(nowMs)
	}
	counter := ks.LFUCounter(old, nowMs)
	if counter < 255 {
		// Logarithmic increment: the higher the counter, the less likely
		// one more access moves it.
		base := float64(counter) - lfuInit
		if base < 0 {
			base = 0
		}
		if rand.Float64() < 1.0/(base*float64(ks.access.logFactor.Load())+1) {
			counter++
		}
	}
	return minutes(nowMs)<<8 | uint32(counter)
}

// LFUCounter is the access counter of a field, decayed by the minutes
// since its last decrement (OBJECT FREQ).
func (ks *Keyspace) LFUCounter(field uint32, nowMs int64) int {
	counter := int(field & 0xFF)
	decay := ks.access.decayMinute.Load()
	if decay <= 0 {
		return counter
	}
	last := field >> 8
	now := minutes(nowMs)
	elapsed := now - last
	if now < last {
		elapsed = 0xFFFF - last + now
	}
	periods := int(int64(elapsed) / decay)
	if periods >= counter {
		return 0
	}
	return counter - periods
}

// IdleSeconds is OBJECT IDLETIME for an access field under LRU clocks.
func IdleSeconds(field uint32, nowMs int64) int64 {
	// Modulo 2^31 (see lruClock); a field set a little ahead of now (a
	// RESTORE racing the clock) reads as idle 0.
	idle := int64((lruClock(nowMs) - field) &^ kvtable.AccessLockBit)
	if idle >= 1<<30 {
		return 0
	}
	return idle
}

// RestoredAccess is the access field RESTORE ... IDLETIME or FREQ asks
// for, as Redis applies them: FREQ under an LFU policy (the counter, from
// now), IDLETIME otherwise (the last access that many seconds ago). ok is
// false when the option given does not apply to the policy in force.
func (ks *Keyspace) RestoredAccess(idle, freq, nowMs int64) (field uint32, ok bool) {
	if ks.access.lfu.Load() {
		if freq < 0 {
			return 0, false
		}
		return minutes(nowMs)<<8 | uint32(min(freq, 255)), true
	}
	if idle < 0 {
		return 0, false
	}
	return uint32(max(nowMs/1000-idle, 0)) &^ kvtable.AccessLockBit, true
}
