package intset

import (
	"math/rand/v2"
	"testing"
)

func TestAddRemoveOrder(t *testing.T) {
	var s Set
	for _, x := range []int64{5, -3, 9, 5, 0} {
		s.Add(x)
	}
	want := []int64{-3, 0, 5, 9}
	if s.Len() != len(want) {
		t.Fatalf("len %d", s.Len())
	}
	for i, x := range want {
		if s.At(i) != x {
			t.Fatalf("at %d: %d want %d", i, s.At(i), x)
		}
	}
	if !s.Remove(5) || s.Remove(5) || s.Contains(5) || !s.Contains(9) {
		t.Fatal("remove/contains")
	}
	c := s.Clone()
	c.Add(100)
	if s.Contains(100) {
		t.Fatal("clone shares storage")
	}
	if s.Bytes() != 8+2*3 {
		t.Fatalf("bytes %d", s.Bytes())
	}
}

// TestAgainstModel runs random adds and removes against a map, checking
// the invariant and the contents as it goes.
func TestAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var s Set
	model := map[int64]bool{}
	for step := 0; step < 20000; step++ {
		x := r.Int64N(200) - 100
		if r.IntN(2) == 0 {
			if s.Add(x) == model[x] {
				t.Fatalf("Add(%d) disagrees", x)
			}
			model[x] = true
		} else {
			if s.Remove(x) != model[x] {
				t.Fatalf("Remove(%d) disagrees", x)
			}
			delete(model, x)
		}
		if err := s.Check(); err != nil {
			t.Fatal(err)
		}
		if s.Len() != len(model) {
			t.Fatalf("len %d, model %d", s.Len(), len(model))
		}
	}
}
