package kvtable

import (
	"fmt"
	"sync"
	"testing"
)

// Record locks: LockAccess hands out the access clock without the lock
// bit, holds other lockers off until UnlockAccess, which stores the new
// clock; lookups of other keys and of the same key go on meanwhile.
func TestRecordLock(t *testing.T) {
	tb := New()
	tb.Access = 1234
	for i := 0; i < 100; i++ {
		tb.SetBytes([]byte(fmt.Sprint("k", i)), 0, 0, []byte("00000000"), NoExpire)
	}
	e, _ := tb.Get([]byte("k7"))
	if got := e.LockAccess(); got != 1234 {
		t.Fatalf("LockAccess = %d, want 1234", got)
	}
	if _, ok := tb.Get([]byte("k7")); !ok {
		t.Fatal("a locked record is not found")
	}
	e.UnlockAccess(99)
	if got := e.Access(); got != 99 {
		t.Fatalf("access %d after UnlockAccess(99)", got)
	}

	// Goroutines count in the records' values under their locks while
	// others look keys up: no count is lost (and -race sees the order).
	const workers, rounds = 4, 2000
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				e, ok := tb.Get([]byte(fmt.Sprint("k", i%10)))
				if !ok {
					panic("lost key")
				}
				acc := e.LockAccess()
				v := e.Bytes()
				n := 0
				fmt.Sscanf(string(v), "%d", &n)
				e.Overwrite([]byte(fmt.Sprintf("%08d", n+1)), 0)
				e.UnlockAccess(acc + 1)
			}
		}(w)
	}
	wg.Wait()
	total := 0
	for i := 0; i < 10; i++ {
		e, _ := tb.Get([]byte(fmt.Sprint("k", i)))
		n := 0
		fmt.Sscanf(string(e.Bytes()), "%d", &n)
		total += n
		if e.Access()&AccessLockBit != 0 {
			t.Fatal("a record left locked")
		}
	}
	if total != workers*rounds {
		t.Fatalf("counted %d, want %d", total, workers*rounds)
	}
}
