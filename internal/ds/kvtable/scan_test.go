package kvtable

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestScanGuarantee checks Redis's SCAN promise: a key present for the
// whole iteration is returned at least once, while other keys come and go
// between calls and the table grows, shrinks, and compacts underneath.
func TestScanGuarantee(t *testing.T) {
	type plan struct {
		name        string
		churnBefore int // churn keys present when the scan starts
		addPerCall  int
		delPerCall  int
	}
	plans := []plan{
		{"grow", 0, 12, 0},
		{"shrink", 40000, 0, 6},
		{"mixed", 5000, 10, 8},
	}
	for _, p := range plans {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/%d", p.name, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 7))
				tb := New()
				const perm = 400
				for i := 0; i < perm; i++ {
					tb.SetBytes(fmt.Appendf(nil, "p:%d", i), 0, 0, []byte("v"), NoExpire)
				}
				var churn [][]byte
				nextChurn := 0
				add := func() {
					k := fmt.Appendf(nil, "c:%d", nextChurn)
					nextChurn++
					tb.SetBytes(k, 0, 0, make([]byte, rng.IntN(64)), NoExpire)
					churn = append(churn, k)
				}
				del := func() {
					if len(churn) == 0 {
						return
					}
					i := rng.IntN(len(churn))
					tb.Delete(churn[i])
					churn[i] = churn[len(churn)-1]
					churn = churn[:len(churn)-1]
				}
				for i := 0; i < p.churnBefore; i++ {
					add()
				}
				for tb.Rehash(1000) {
				}
				seen := make(map[string]bool)
				resizes, calls := 0, 0
				cursor := uint64(0)
				for {
					cursor = tb.Scan(cursor, func(e Entry) { seen[string(e.Key())] = true })
					calls++
					if cursor == 0 {
						break
					}
					wasResizing := tb.rehashIdx >= 0
					// Adding stops at a cap, or the table would outgrow
					// the cursor forever.
					for i := 0; i < p.addPerCall && len(churn) < 25000; i++ {
						add()
					}
					for i := 0; i < p.delPerCall; i++ {
						del()
					}
					// Move permanent records around: relocation must not
					// affect the guarantee.
					k := fmt.Appendf(nil, "p:%d", rng.IntN(perm))
					switch rng.IntN(3) {
					case 0:
						tb.SetBytes(k, 0, 0, make([]byte, rng.IntN(100)), KeepExpire)
					case 1:
						tb.SetExpire(k, int64(rng.IntN(2))*1e12)
					}
					if rng.IntN(50) == 0 {
						tb.Rehash(rng.IntN(500))
					}
					if !wasResizing && tb.rehashIdx >= 0 {
						resizes++
					}
				}
				for i := 0; i < perm; i++ {
					if !seen[fmt.Sprintf("p:%d", i)] {
						t.Fatalf("key p:%d never returned (%d calls, %d resizes)", i, calls, resizes)
					}
				}
				if resizes == 0 {
					t.Fatalf("no resize happened during the scan")
				}
				if err := tb.Check(); err != nil {
					t.Fatal(err)
				}
				t.Logf("%d calls, %d resizes started, %d keys at end", calls, resizes, tb.Len())
			})
		}
	}
}

// TestScanComplete checks that on a quiet table a full scan returns every
// key exactly once.
func TestScanComplete(t *testing.T) {
	tb := New()
	for i := 0; i < 10000; i++ {
		tb.SetBytes(fmt.Appendf(nil, "k%d", i), 0, 0, nil, NoExpire)
	}
	for tb.Rehash(1000) {
	}
	counts := make(map[string]int)
	for c := tb.Scan(0, func(e Entry) { counts[string(e.Key())]++ }); c != 0; {
		c = tb.Scan(c, func(e Entry) { counts[string(e.Key())]++ })
	}
	if len(counts) != 10000 {
		t.Fatalf("scan returned %d distinct keys", len(counts))
	}
	for k, n := range counts {
		if n != 1 {
			t.Fatalf("%s returned %d times", k, n)
		}
	}
	if New().Scan(0, func(Entry) { t.Fatal("entry in empty table") }) != 0 {
		t.Fatal("empty table scan cursor not 0")
	}
}
