package zskiplist

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"unsafe"
)

type pair struct {
	s float64
	m string
}

// TestAgainstModel checks every operation against a sorted slice.
func TestAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	l := New()
	var model []pair
	present := map[string]float64{}
	for step := 0; step < 20000; step++ {
		m := fmt.Sprintf("m%d", r.IntN(300))
		if s, ok := present[m]; ok && r.IntN(3) == 0 {
			if !l.Delete(s, m) {
				t.Fatalf("Delete(%v, %s) not found", s, m)
			}
			delete(present, m)
		} else if ok {
			ns := float64(r.IntN(50))
			if !l.Update(s, m, ns) {
				t.Fatalf("Update(%v, %s) not found", s, m)
			}
			present[m] = ns
		} else {
			s := float64(r.IntN(50))
			l.Insert(s, m)
			present[m] = s
		}
		if step%97 != 0 {
			continue
		}
		if err := l.Check(); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		model = model[:0]
		for m, s := range present {
			model = append(model, pair{s, m})
		}
		sort.Slice(model, func(i, j int) bool { return Less(model[i].s, model[i].m, model[j].s, model[j].m) })
		if l.Len() != len(model) {
			t.Fatalf("Len %d, want %d", l.Len(), len(model))
		}
		i := 0
		for x := l.First(); x != nil; x = x.Next() {
			if x.Score != model[i].s || x.Member != model[i].m {
				t.Fatalf("order at %d: %v %s", i, x.Score, x.Member)
			}
			if got := l.Rank(x.Score, x.Member); got != i {
				t.Fatalf("Rank(%s) = %d, want %d", x.Member, got, i)
			}
			if at := l.At(i); at != x {
				t.Fatalf("At(%d) wrong", i)
			}
			i++
		}
		i = len(model) - 1
		for x := l.Last(); x != nil; x = x.Prev() {
			if x.Member != model[i].m {
				t.Fatalf("backward order at %d", i)
			}
			i--
		}
		lim := float64(r.IntN(50))
		want := sort.Search(len(model), func(i int) bool { return model[i].s >= lim })
		if got := l.CountWhile(func(s float64, _ string) bool { return s < lim }); got != want {
			t.Fatalf("CountWhile(< %v) = %d, want %d", lim, got, want)
		}
		if got := l.FirstFrom(lim); got != l.At(want) {
			t.Fatalf("FirstFrom(%v) is not the node of rank %d", lim, want)
		}
		if l.Rank(-1, "none") != -1 || l.At(len(model)) != nil || l.At(-1) != nil {
			t.Fatal("absent lookups")
		}
	}
}

// Node.link finds the links at linksOff in every node type.
func TestNodeLayouts(t *testing.T) {
	offs := []uintptr{
		unsafe.Offsetof(node1{}.arr), unsafe.Offsetof(node2{}.arr), unsafe.Offsetof(node3{}.arr),
		unsafe.Offsetof(node4{}.arr), unsafe.Offsetof(node8{}.arr), unsafe.Offsetof(nodeMax{}.arr),
	}
	for i, o := range offs {
		if o != linksOff {
			t.Fatalf("node type %d: links at %d, want %d", i, o, linksOff)
		}
	}
	if s := unsafe.Sizeof(node1{}); s > 56 {
		t.Fatalf("level-1 node is %d bytes", s)
	}
}

// BenchmarkUpdate100k is ZADD's work on a big set: move a random member
// of 100k to a new random score (delete, then insert).
func BenchmarkUpdate100k(b *testing.B) {
	l := New()
	const n = 100000
	scores := make([]float64, n)
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf("element:%012d", i)
		scores[i] = float64(rand.IntN(n))
		l.Insert(scores[i], members[i])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := rand.IntN(n)
		l.Delete(scores[j], members[j])
		scores[j] = float64(rand.IntN(n))
		l.Insert(scores[j], members[j])
	}
}
