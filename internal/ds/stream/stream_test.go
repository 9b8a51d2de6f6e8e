package stream

import (
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"testing"
)

// model is the obvious reference: a sorted slice of entries.
type modelEntry struct {
	id ID
	fv []string
}

func collect(s *Stream, start, end ID, rev bool) []modelEntry {
	var out []modelEntry
	s.Range(start, end, rev, func(id ID, fv [][]byte) bool {
		e := modelEntry{id: id}
		for _, x := range fv {
			e.fv = append(e.fv, string(x))
		}
		out = append(out, e)
		return true
	})
	return out
}

func modelRange(m []modelEntry, start, end ID, rev bool) []modelEntry {
	var out []modelEntry
	for _, e := range m {
		if !e.id.Less(start) && !end.Less(e.id) {
			out = append(out, e)
		}
	}
	if rev {
		slices.Reverse(out)
	}
	return out
}

func equal(a, b []modelEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].id != b[i].id || !slices.Equal(a[i].fv, b[i].fv) {
			return false
		}
	}
	return true
}

func toBytes(fv []string) [][]byte {
	out := make([][]byte, len(fv))
	for i, x := range fv {
		out[i] = []byte(x)
	}
	return out
}

// runOps drives a stream and the model with the same random operations
// and checks they agree.
func runOps(t *testing.T, r *rand.Rand, n int) {
	s := New()
	var m []modelEntry
	lim := Limits{MaxEntries: 1 + r.Intn(8), MaxBytes: 40 + r.Intn(200)}
	next := ID{1, 0}
	check := func(what string) {
		t.Helper()
		if s.Len() != len(m) {
			t.Fatalf("%s: len %d want %d", what, s.Len(), len(m))
		}
		var a, b ID
		if len(m) > 0 {
			a, b = m[r.Intn(len(m))].id, m[r.Intn(len(m))].id
		}
		a.Seq += uint64(r.Intn(3)) - 1
		if a.Less(b) || r.Intn(2) == 0 {
			for _, rev := range []bool{false, true} {
				if got, want := collect(s, a, b, rev), modelRange(m, a, b, rev); !equal(got, want) {
					t.Fatalf("%s: range %v %v rev=%v: %v want %v", what, a, b, rev, got, want)
				}
			}
		}
		if l, ok := s.Last(); ok != (len(m) > 0) || ok && l != m[len(m)-1].id {
			t.Fatalf("%s: last %v %v", what, l, ok)
		}
		if f, ok := s.First(); ok != (len(m) > 0) || ok && f != m[0].id {
			t.Fatalf("%s: first %v %v", what, f, ok)
		}
		if got := collect(s, ID{}, MaxID(), false); !equal(got, m) {
			t.Fatalf("%s: full %v want %v", what, got, m)
		}
	}
	for i := 0; i < n; i++ {
		switch op := r.Intn(10); {
		case op < 6:
			fv := []string{"a", strconv.Itoa(i), "b", "x"}
			if r.Intn(4) == 0 {
				fv = []string{"other", "v", "f" + strconv.Itoa(r.Intn(3)), "y"}
			}
			s.Append(next, toBytes(fv), lim)
			m = append(m, modelEntry{next, fv})
			if r.Intn(2) == 0 {
				next.Ms += 1 + uint64(r.Intn(1000))
				next.Seq = uint64(r.Intn(5))
			} else {
				next.Seq++
			}
		case op < 8 && len(m) > 0:
			j := r.Intn(len(m))
			if !s.Delete(m[j].id) {
				t.Fatalf("delete %v failed", m[j].id)
			}
			if s.Delete(m[j].id) {
				t.Fatalf("double delete %v", m[j].id)
			}
			m = slices.Delete(m, j, j+1)
		case op == 8:
			tr := Trim{MaxLen: int64(r.Intn(len(m) + 2))}
			if len(m) > 0 && r.Intn(2) == 0 {
				tr = Trim{ByMinID: true, MinID: m[r.Intn(len(m))].id}
			}
			got := s.Trim(tr)
			keep := m[:0:0]
			for j, e := range m {
				if tr.ByMinID && !e.id.Less(tr.MinID) || !tr.ByMinID && int64(len(m)-j) <= tr.MaxLen {
					keep = append(keep, e)
				}
			}
			if got != int64(len(m)-len(keep)) {
				t.Fatalf("trim %+v removed %d want %d", tr, got, len(m)-len(keep))
			}
			m = keep
		default:
			before := s.Len()
			got := s.Trim(Trim{MaxLen: int64(r.Intn(len(m) + 2)), Approx: true, Limit: int64(r.Intn(20))})
			if int64(before-s.Len()) != got {
				t.Fatalf("approx trim count")
			}
			m = m[got:]
		}
		check(fmt.Sprint("op ", i))
	}
	c := s.Clone()
	if !equal(collect(c, ID{}, MaxID(), false), m) {
		t.Fatal("clone differs")
	}
}

func TestStreamAgainstModel(t *testing.T) {
	for seed := int64(0); seed < 30; seed++ {
		runOps(t, rand.New(rand.NewSource(seed)), 400)
	}
}

func TestTrimApproxWholeBlocks(t *testing.T) {
	s := New()
	for i := 0; i < 250; i++ {
		s.Append(ID{uint64(i + 1), 0}, toBytes([]string{"f", "v"}), Limits{MaxEntries: 100})
	}
	if s.Blocks() != 3 {
		t.Fatalf("blocks %d", s.Blocks())
	}
	if n := s.Trim(Trim{MaxLen: 120, Approx: true}); n != 100 || s.Len() != 150 {
		t.Fatalf("approx trim removed %d, len %d", n, s.Len())
	}
	if n := s.Trim(Trim{MaxLen: 0, Approx: true, Limit: 60}); n != 0 {
		t.Fatalf("limit ignored: %d", n)
	}
	if n := s.Trim(Trim{ByMinID: true, MinID: ID{240, 0}}); n != 139 || s.Len() != 11 {
		t.Fatalf("minid trim removed %d len %d", n, s.Len())
	}
	if f, _ := s.First(); f != (ID{240, 0}) {
		t.Fatalf("first %v", f)
	}
	if l, _ := s.Last(); l != (ID{250, 0}) {
		t.Fatalf("last %v", l)
	}
}

func TestBlockBytesLimit(t *testing.T) {
	s := New()
	big := make([]byte, 3000)
	for i := 0; i < 4; i++ {
		s.Append(ID{uint64(i + 1), 0}, [][]byte{[]byte("f"), big}, Limits{MaxEntries: 100, MaxBytes: 4096})
	}
	if s.Blocks() != 4 {
		t.Fatalf("blocks %d", s.Blocks())
	}
}

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		in     string
		strict bool
		star   bool
		want   ID
		seq    bool
		ok     bool
	}{
		{"1-2", true, false, ID{1, 2}, true, true},
		{"5", false, false, ID{5, 7}, true, true},
		{"-", false, false, ID{}, true, true},
		{"+", false, false, MaxID(), true, true},
		{"-", true, false, ID{}, false, false},
		{"18446744073709551615-18446744073709551615", true, false, MaxID(), true, true},
		{"18446744073709551616-0", true, false, ID{}, false, false},
		{"1-*", true, true, ID{1, 0}, false, true},
		{"1-*", true, false, ID{}, false, false},
		{"-1", true, false, ID{}, false, false},
		{"a-1", true, false, ID{}, false, false},
		{"1-", true, false, ID{}, false, false},
		{"+5-0", true, false, ID{5, 0}, true, true},
	} {
		id, seq, ok := ParseID([]byte(tc.in), tc.strict, 7, tc.star)
		if ok != tc.ok || ok && (id != tc.want || seq != tc.seq) {
			t.Errorf("%q: %v %v %v", tc.in, id, seq, ok)
		}
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1-2", "-", "+", "0", "1-*", "18446744073709551615-18446744073709551615", " +3-4", "-18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, seqGiven, ok := ParseID([]byte(s), false, 0, true)
		if !ok || !seqGiven || s == "-" || s == "+" {
			return
		}
		// A parsed canonical ID prints back to an ID that parses the same.
		again, _, ok2 := ParseID([]byte(id.String()), true, 0, false)
		if !ok2 || again != id {
			t.Fatalf("%q -> %v -> %v %v", s, id, again, ok2)
		}
		if canon := strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10); canon == s && id.String() != s {
			t.Fatalf("canonical %q printed %q", s, id)
		}
	})
}

// FuzzOps runs random operation sequences chosen by the fuzzer against
// the model.
func FuzzOps(f *testing.F) {
	f.Add(int64(1), uint16(100))
	f.Fuzz(func(t *testing.T, seed int64, n uint16) {
		runOps(t, rand.New(rand.NewSource(seed)), int(n%300))
	})
}

func benchStream(n int) *Stream {
	s := New()
	fv := toBytes([]string{"name", "alice", "age", "42", "city", "paris"})
	for i := 0; i < n; i++ {
		s.Append(ID{uint64(1700000000000 + i/3), uint64(i % 3)}, fv, Limits{MaxEntries: 100, MaxBytes: 4096})
	}
	return s
}

func BenchmarkAppend(b *testing.B) {
	fv := toBytes([]string{"name", "alice", "age", "42", "city", "paris"})
	s := New()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Append(ID{uint64(1700000000000 + i/3), uint64(i % 3)}, fv, Limits{MaxEntries: 100, MaxBytes: 4096})
	}
	b.ReportMetric(float64(s.MemoryUsage())/float64(b.N), "mem-bytes/entry")
}

func BenchmarkRange100(b *testing.B) {
	s := benchStream(100000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := ID{uint64(1700000000000 + (i*37)%33000), 0}
		n := 0
		s.Range(start, MaxID(), false, func(ID, [][]byte) bool { n++; return n < 100 })
	}
}

func BenchmarkRevRange100(b *testing.B) {
	s := benchStream(100000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		end := ID{uint64(1700000000000 + (i*37)%33000), 0}
		n := 0
		s.Range(ID{}, end, true, func(ID, [][]byte) bool { n++; return n < 100 })
	}
}

func BenchmarkTrimMaxLen(b *testing.B) {
	fv := toBytes([]string{"name", "alice", "age", "42", "city", "paris"})
	s := benchStream(10000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Append(ID{uint64(1800000000000 + i), 0}, fv, Limits{MaxEntries: 100, MaxBytes: 4096})
		s.Trim(Trim{MaxLen: 10000})
	}
}

func BenchmarkTrimApprox(b *testing.B) {
	fv := toBytes([]string{"name", "alice", "age", "42", "city", "paris"})
	s := benchStream(10000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Append(ID{uint64(1800000000000 + i), 0}, fv, Limits{MaxEntries: 100, MaxBytes: 4096})
		s.Trim(Trim{MaxLen: 10000, Approx: true, Limit: 10000})
	}
}
