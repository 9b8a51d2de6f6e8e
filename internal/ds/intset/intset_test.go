package intset

import "testing"

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
