package ztree

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"unsafe"
)

type pair struct {
	s float64
	m string
}

// TestAgainstModel checks every operation against a sorted slice, on a
// set small enough to live in one leaf at times and big enough for a tree
// three levels deep at others.
func TestAgainstModel(t *testing.T) {
	for _, c := range []struct {
		members, steps int
	}{{300, 20000}, {5000, 60000}} {
		t.Run(fmt.Sprint(c.members), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(c.members)))
			testAgainstModel(t, r, c.members, c.steps, func(r *rand.Rand) float64 { return float64(r.IntN(50)) })
		})
	}
}

// The same with scores spread over float64's range: infinite, huge,
// subnormal, and many within 1e-11 of each other.
func TestAgainstModelWideScores(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	testAgainstModel(t, r, 2000, 40000, func(r *rand.Rand) float64 {
		switch r.IntN(8) {
		case 0:
			return math.Inf(1 - 2*r.IntN(2))
		case 1:
			return (r.Float64() - 0.5) * math.MaxFloat64
		case 2:
			return 1 + float64(r.IntN(20))*1e-12
		case 3:
			return float64(r.IntN(10)) * 0.1
		case 4:
			return math.SmallestNonzeroFloat64 * float64(r.IntN(5))
		}
		return float64(r.IntN(30)) + r.Float64()
	})
}

func testAgainstModel(t *testing.T, r *rand.Rand, members, steps int, score func(*rand.Rand) float64) {
	tr := New()
	var model []pair
	present := map[string]float64{}
	// Phases of growth and shrinking, so that merges and rebalancing run
	// at every height, down to an empty tree.
	grow := true
	for step := 0; step < steps; step++ {
		if step%(steps/6) == 0 {
			grow = !grow
		}
		m := fmt.Sprintf("m%d", r.IntN(members))
		del := 3
		if !grow {
			del = 1
		}
		if s, ok := present[m]; ok && r.IntN(del) == 0 {
			if !tr.Delete(s, m) {
				t.Fatalf("Delete(%v, %s) not found", s, m)
			}
			delete(present, m)
		} else if ok {
			ns := score(r)
			if r.IntN(2) == 0 && !math.IsInf(s, 0) {
				// A small move, often kept in place (see Update).
				ns = s + (r.Float64()-0.5)/4
			}
			if !tr.Update(s, m, ns) {
				t.Fatalf("Update(%v, %s) not found", s, m)
			}
			present[m] = ns
		} else if grow || r.IntN(4) == 0 {
			s := score(r)
			tr.Insert(s, m)
			present[m] = s
		}
		if step%97 != 0 {
			continue
		}
		if err := tr.Check(); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		model = model[:0]
		for m, s := range present {
			model = append(model, pair{s, m})
		}
		sort.Slice(model, func(i, j int) bool { return Less(model[i].s, model[i].m, model[j].s, model[j].m) })
		if tr.Len() != len(model) {
			t.Fatalf("Len %d, want %d", tr.Len(), len(model))
		}
		i := 0
		for x := tr.First(); x.Valid(); x = x.Next() {
			if x.Score() != model[i].s || x.Member() != model[i].m {
				t.Fatalf("order at %d: %v %s", i, x.Score(), x.Member())
			}
			if got := tr.Rank(x.Score(), x.Member()); got != i {
				t.Fatalf("Rank(%s) = %d, want %d", x.Member(), got, i)
			}
			if at := tr.At(i); at != x {
				t.Fatalf("At(%d) wrong", i)
			}
			i++
		}
		if i != len(model) {
			t.Fatalf("walked %d elements, want %d", i, len(model))
		}
		i = len(model) - 1
		for x := tr.Last(); x.Valid(); x = x.Prev() {
			if x.Member() != model[i].m {
				t.Fatalf("backward order at %d", i)
			}
			i--
		}
		if i != -1 {
			t.Fatalf("backward walk stopped at %d", i)
		}
		lim := float64(r.IntN(50))
		want := sort.Search(len(model), func(i int) bool { return model[i].s >= lim })
		below := func(s float64, _ string) bool { return s < lim }
		if got := tr.CountWhile(below); got != want {
			t.Fatalf("CountWhile(< %v) = %d, want %d", lim, got, want)
		}
		if got := tr.FirstFrom(lim); got != tr.At(want) {
			t.Fatalf("FirstFrom(%v) is not the element of rank %d", lim, want)
		}
		if got := tr.FirstNot(below); got != tr.At(want) {
			t.Fatalf("FirstNot(< %v) is not the element of rank %d", lim, want)
		}
		if got := tr.LastWhile(below); got != tr.At(want-1) {
			t.Fatalf("LastWhile(< %v) is not the element of rank %d", lim, want-1)
		}
		if tr.Rank(-1, "none") != -1 || tr.At(len(model)).Valid() || tr.At(-1).Valid() {
			t.Fatal("absent lookups")
		}
		if tr.Delete(-1, "none") || tr.Update(-1, "none", 3) {
			t.Fatal("absent element deleted or updated")
		}
	}
}

// A tree filled in order and emptied in order (the shapes bulk loads and
// ZPOPMIN make) keeps its invariants all the way, and an ordered fill packs
// its leaves.
func TestSequential(t *testing.T) {
	for _, rev := range []bool{false, true} {
		tr := New()
		const n = 20000
		for i := 0; i < n; i++ {
			k := i
			if rev {
				k = n - 1 - i
			}
			tr.Insert(float64(k), fmt.Sprint(k))
		}
		if err := tr.Check(); err != nil {
			t.Fatal(err)
		}
		// Edge splits (splitAt) leave the leaves three quarters full.
		if fill := float64(n) / float64(tr.leaves*leafMax); fill < 0.74 {
			t.Fatalf("rev %v: leaves %.0f%% full after an ordered load", rev, 100*fill)
		}
		for i := 0; i < n; i++ {
			p := tr.First()
			if rev {
				p = tr.Last()
			}
			if !tr.Delete(p.Score(), p.Member()) {
				t.Fatalf("delete %d", i)
			}
			if i%331 == 0 {
				if err := tr.Check(); err != nil {
					t.Fatalf("after %d deletions: %v", i+1, err)
				}
			}
		}
		if tr.Len() != 0 || tr.First().Valid() || tr.Last().Valid() || tr.height != 0 {
			t.Fatalf("not empty: len %d height %d", tr.Len(), tr.height)
		}
		if err := tr.Check(); err != nil {
			t.Fatal(err)
		}
	}
}

// InsertBytes, Update and Delete do not keep the caller's buffer: the
// server passes members that alias a client's query buffer.
func TestCallerBuffersNotKept(t *testing.T) {
	tr := New()
	for i := 0; i < 100; i++ {
		tr.Insert(float64(i), fmt.Sprintf("m%03d", i))
	}
	buf := []byte("member")
	tr.InsertBytes(1000, buf)
	copy(buf, "XXXXXX")
	if m := tr.Last().Member(); m != "member" {
		t.Fatalf("member changed with the caller's buffer: %q", m)
	}
	buf = []byte("m050")
	alias := unsafe.String(&buf[0], len(buf))
	tr.Update(50, alias, 500) // moves it to another leaf
	tr.Update(500, alias, 500.5)
	copy(buf, "XXXX")
	if tr.Rank(500.5, "m050") < 0 {
		t.Fatal("moved member changed with the caller's buffer")
	}
	if err := tr.Check(); err != nil {
		t.Fatal(err)
	}
}

// filled100k is a tree of 100k members "element:N" with random integral
// scores (redis-benchmark's ZADD), and the scores.
func filled100k() (*Tree, []float64, []string) {
	tr := New()
	const n = 100000
	scores := make([]float64, n)
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf("element:%012d", i)
		scores[i] = float64(rand.IntN(n))
		tr.Insert(scores[i], members[i])
	}
	return tr, scores, members
}

// BenchmarkUpdate100k is ZADD's work on a big set: move a random member
// of 100k to a new random score.
func BenchmarkUpdate100k(b *testing.B) {
	tr, scores, members := filled100k()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := rand.IntN(len(members))
		ns := float64(rand.IntN(len(members)))
		tr.Update(scores[j], members[j], ns)
		scores[j] = ns
	}
}

// BenchmarkRank100k is ZRANK's search on a big set.
func BenchmarkRank100k(b *testing.B) {
	tr, scores, members := filled100k()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := rand.IntN(len(members))
		if tr.Rank(scores[j], members[j]) < 0 {
			b.Fatal("lost")
		}
	}
}
