package zskiplist

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

// TestAgainstModel checks every operation against a sorted slice.
func TestAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	testAgainstModel(t, r, func(r *rand.Rand) float64 { return float64(r.IntN(50)) })
}

// The same with scores spread over float64's range: infinite, huge,
// subnormal, and many within 1e-11 of each other.
func TestAgainstModelWideScores(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	testAgainstModel(t, r, func(r *rand.Rand) float64 {
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

func testAgainstModel(t *testing.T, r *rand.Rand, score func(*rand.Rand) float64) {
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
			ns := score(r)
			if r.IntN(2) == 0 && !math.IsInf(s, 0) {
				// A small move, often kept in place (see Update).
				ns = s + (r.Float64()-0.5)/4
			}
			if !l.Update(s, m, ns) {
				t.Fatalf("Update(%v, %s) not found", s, m)
			}
			present[m] = ns
		} else {
			s := score(r)
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

// Node.link finds the links at linksOff in every node type, and the
// inline member sizes fill the size classes they are meant to.
func TestNodeLayouts(t *testing.T) {
	offs := []uintptr{
		unsafe.Offsetof(nodeOf[[1]link, mem16]{}.arr), unsafe.Offsetof(nodeOf[[2]link, mem32]{}.arr),
		unsafe.Offsetof(nodeExt[[3]link]{}.arr), unsafe.Offsetof(nodeOf[[4]link, mem16]{}.arr),
		unsafe.Offsetof(nodeOf[[8]link, mem32]{}.arr), unsafe.Offsetof(nodeExt[[maxLevel]link]{}.arr),
	}
	for i, o := range offs {
		if o != linksOff {
			t.Fatalf("node type %d: links at %d, want %d", i, o, linksOff)
		}
	}
	for _, c := range []struct{ got, want uintptr }{
		{unsafe.Sizeof(nodeOf[[1]link, mem16]{}), 64},
		{unsafe.Sizeof(nodeOf[[1]link, mem32]{}), 80},
		{unsafe.Sizeof(nodeOf[[2]link, mem16]{}), 80},
		{unsafe.Sizeof(nodeExt[[1]link]{}), 48},
	} {
		if c.got != c.want {
			t.Fatalf("node of %d bytes, want %d", c.got, c.want)
		}
	}
}

// Members up to inlineMax bytes live in their node; InsertBytes does not
// keep the caller's buffer.
func TestInlineMembers(t *testing.T) {
	l := New()
	buf := []byte("0123456789abcdef0123456789abcdefXYZ")
	for _, n := range []int{0, 1, 16, 17, 32, 33, 35} {
		x := l.InsertBytes(float64(n), buf[:n])
		if x.Member != string(buf[:n]) {
			t.Fatalf("member of %d bytes: %q", n, x.Member)
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(x.Member)))
		inside := p >= uintptr(unsafe.Pointer(x)) && p < uintptr(unsafe.Pointer(x))+256
		if n > 0 && inside != (n <= inlineMax) {
			t.Fatalf("member of %d bytes inline: %v", n, inside)
		}
	}
	for i := range buf {
		buf[i] = '!'
	}
	want := "0123456789abcdef0123456789abcdefXYZ"
	for x, i := l.First(), 0; x != nil; x, i = x.Next(), i+1 {
		n := int(x.Score)
		if x.Member != want[:n] {
			t.Fatalf("member %d changed with the caller's buffer: %q", n, x.Member)
		}
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
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
