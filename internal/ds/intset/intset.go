// Package intset is a compact set of integers kept as a sorted slice, the
// small representation of sets whose members are all integers (Redis's
// intset encoding). Lookups are binary searches; inserts and removals shift
// the tail, which is cheap at the sizes this encoding is used for.
package intset

import (
	"fmt"
	"sort"
)

// Set is a sorted slice of distinct integers. The zero value is empty.
type Set struct {
	v []int64
}

// Len is the number of members.
func (s *Set) Len() int { return len(s.v) }

// At returns the i-th smallest member.
func (s *Set) At(i int) int64 { return s.v[i] }

// find returns the position of x, or where it would be inserted.
func (s *Set) find(x int64) (int, bool) {
	i := sort.Search(len(s.v), func(i int) bool { return s.v[i] >= x })
	return i, i < len(s.v) && s.v[i] == x
}

// Contains reports whether x is a member.
func (s *Set) Contains(x int64) bool {
	_, ok := s.find(x)
	return ok
}

// Add inserts x; it reports whether x was new.
func (s *Set) Add(x int64) bool {
	i, ok := s.find(x)
	if ok {
		return false
	}
	s.v = append(s.v, 0)
	copy(s.v[i+1:], s.v[i:])
	s.v[i] = x
	return true
}

// Remove deletes x; it reports whether x was a member.
func (s *Set) Remove(x int64) bool {
	i, ok := s.find(x)
	if !ok {
		return false
	}
	s.v = append(s.v[:i], s.v[i+1:]...)
	return true
}

// RemoveAt deletes the i-th smallest member.
func (s *Set) RemoveAt(i int) {
	s.v = append(s.v[:i], s.v[i+1:]...)
}

// Values returns the members in ascending order; the slice aliases the set.
func (s *Set) Values() []int64 { return s.v }

// Clone returns an independent copy.
func (s *Set) Clone() *Set {
	return &Set{v: append([]int64(nil), s.v...)}
}

// Bytes approximates the memory the set uses, as Redis's intset would with
// the narrowest width that holds every member.
func (s *Set) Bytes() int {
	w := 2
	for _, x := range s.v {
		switch {
		case x < -1<<31 || x > 1<<31-1:
			w = 8
		case (x < -1<<15 || x > 1<<15-1) && w < 4:
			w = 4
		}
		if w == 8 {
			break
		}
	}
	return 8 + w*len(s.v)
}

// Check verifies the invariant: members strictly ascending. For tests.
func (s *Set) Check() error {
	for i := 1; i < len(s.v); i++ {
		if s.v[i-1] >= s.v[i] {
			return fmt.Errorf("members %d and %d out of order: %d, %d", i-1, i, s.v[i-1], s.v[i])
		}
	}
	return nil
}
