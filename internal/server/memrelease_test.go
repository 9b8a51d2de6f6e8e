package server

import "testing"

func TestMemReleaseWorth(t *testing.T) {
	for _, c := range []struct {
		live, excess uint64
		want         bool
	}{
		{100 << 20, 10 << 20, false}, // small excess
		{100 << 20, 40 << 20, true},  // over 32 MB and a quarter of live
		{400 << 20, 40 << 20, false}, // under a quarter of a big heap
		{0, 31 << 20, false},
		{0, 33 << 20, true},
	} {
		if got := memReleaseWorth(c.live, c.excess); got != c.want {
			t.Errorf("live %d excess %d: %v, want %v", c.live>>20, c.excess>>20, got, c.want)
		}
	}
}
