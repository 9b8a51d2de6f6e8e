package quicklist

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
)

func check(t *testing.T, l *List, model [][]byte, step int) {
	t.Helper()
	if l.Len() != len(model) {
		t.Fatalf("step %d: len %d want %d", step, l.Len(), len(model))
	}
	i := 0
	l.Range(0, l.Len()-1, func(j int, v []byte) bool {
		if j != i || !bytes.Equal(v, model[i]) {
			t.Fatalf("step %d: range[%d]=%q want %q", step, j, v, model[i])
		}
		i++
		return true
	})
	if i != len(model) {
		t.Fatalf("step %d: range visited %d", step, i)
	}
	i = len(model) - 1
	l.RangeRev(0, l.Len()-1, func(j int, v []byte) bool {
		if j != i || !bytes.Equal(v, model[i]) {
			t.Fatalf("step %d: rev[%d]=%q want %q", step, j, v, model[i])
		}
		i--
		return true
	})
	for k := range model {
		v, ok := l.Index(k)
		if !ok || !bytes.Equal(v, model[k]) {
			t.Fatalf("step %d: index %d = %q want %q", step, k, v, model[k])
		}
	}
	if err := l.Check(); err != nil {
		t.Fatalf("step %d: %v", step, err)
	}
}

func TestRandomAgainstSlice(t *testing.T) {
	// Several seeds: front pushes reuse room left before a chunk's bytes,
	// and other operations move those bytes; many interleavings matter.
	for seed := int64(1); seed <= 8; seed++ {
		randomAgainstSlice(t, seed)
	}
}

func randomAgainstSlice(t *testing.T, seed int64) {
	r := rand.New(rand.NewSource(seed))
	l := New()
	var model [][]byte
	val := func() []byte {
		n := r.Intn(20)
		switch r.Intn(50) {
		case 0:
			n = 200 + r.Intn(10000)
		case 1:
			// Around the boundary encoding's width steps.
			n = []int{126, 127, 128, 129, 4094, 4095, 4096, 4097, 1 << 16}[r.Intn(9)]
		}
		return bytes.Repeat([]byte{byte('a' + r.Intn(3))}, n)
	}
	vals := func() [][]byte {
		out := make([][]byte, 1+r.Intn(300))
		for i := range out {
			out[i] = val()
		}
		return out
	}
	for step := 0; step < 20000; step++ {
		switch op := r.Intn(11); op {
		case 10:
			vs := vals()
			if r.Intn(2) == 0 {
				// Pop as many again, so the list does not grow without bound.
				for range vs {
					if len(model) == 0 {
						break
					}
					if r.Intn(2) == 0 {
						l.PopFront()
						model = model[1:]
					} else {
						l.PopBack()
						model = model[:len(model)-1]
					}
				}
			} else if r.Intn(2) == 0 {
				l.PushBackMany(vs)
				model = append(model, vs...)
			} else {
				l.PushFrontMany(vs)
				rev := make([][]byte, 0, len(vs)+len(model))
				for i := len(vs) - 1; i >= 0; i-- {
					rev = append(rev, vs[i])
				}
				model = append(rev, model...)
			}
		case 0, 1:
			v := val()
			l.PushBack(v)
			model = append(model, v)
		case 2, 3:
			v := val()
			l.PushFront(v)
			model = append([][]byte{v}, model...)
		case 4:
			v, ok := l.PopFront()
			if ok != (len(model) > 0) || (ok && !bytes.Equal(v, model[0])) {
				t.Fatalf("popfront")
			}
			if ok {
				model = model[1:]
			}
		case 5:
			v, ok := l.PopBack()
			if ok != (len(model) > 0) || (ok && !bytes.Equal(v, model[len(model)-1])) {
				t.Fatalf("popback")
			}
			if ok {
				model = model[:len(model)-1]
			}
		case 6:
			if len(model) > 0 {
				i := r.Intn(len(model))
				v := val()
				l.Set(i, v)
				model[i] = v
			}
		case 7:
			i := r.Intn(len(model) + 1)
			v := val()
			l.Insert(i, v)
			model = append(model[:i], append([][]byte{v}, model[i:]...)...)
		case 8:
			if r.Intn(20) == 0 && len(model) > 0 {
				s := r.Intn(len(model))
				e := s + r.Intn(len(model)-s)
				l.Trim(s, e)
				model = append([][]byte(nil), model[s:e+1]...)
			}
		case 9:
			if r.Intn(10) == 0 {
				target := []byte{byte('a' + r.Intn(3))}
				var kept [][]byte
				for _, v := range model {
					if !bytes.Equal(v, target) {
						kept = append(kept, v)
					}
				}
				keep := func(v []byte) bool { return !bytes.Equal(v, target) }
				var n int
				if r.Intn(2) == 0 {
					n = l.Filter(keep)
				} else {
					n = l.FilterRev(keep)
				}
				if n != len(model)-len(kept) {
					t.Fatalf("filter removed %d want %d", n, len(model)-len(kept))
				}
				model = kept
			}
		}
		if step%97 == 0 || step < 500 {
			check(t, l, model, step)
		}
	}
	check(t, l, model, -1)
	c := l.Clone()
	check(t, c, model, -2)
	_ = fmt.Sprint
}

func TestBoundaryEncoding(t *testing.T) {
	xs := []int{0, 1, 127, 128, 129, 4095, 4096, 4097, 1<<16 - 1, 1 << 16, 1<<24 + 3, 1<<31 + 5, 1<<62 + 7}
	for _, x := range xs {
		b := appendB([]byte{0xff}, x)
		if len(b)-1 != bw(x) {
			t.Fatalf("%d: width %d, bw says %d", x, len(b)-1, bw(x))
		}
		if got, w := getFwd(b, 1); got != x || w != bw(x) {
			t.Fatalf("%d: forward read %d width %d", x, got, w)
		}
		if got, w := getBack(b, len(b)); got != x || w != bw(x) {
			t.Fatalf("%d: backward read %d width %d", x, got, w)
		}
	}
}

// One RPUSH of 100 short values (the memory benchmark's shape) makes one
// chunk of exactly the bytes it needs: 16 bytes and one boundary each,
// plus the final boundary.
func TestPushBackManyExactChunk(t *testing.T) {
	l := New()
	vals := make([][]byte, 100)
	for i := range vals {
		vals[i] = []byte(fmt.Sprintf("v%015d", i))
	}
	l.PushBackMany(vals)
	if l.head != l.tail || l.head == nil {
		t.Fatalf("want one chunk")
	}
	if len(l.head.mem) != 1701 || cap(l.head.mem) != 1701 || l.head.off != 0 {
		t.Fatalf("chunk: len %d cap %d off %d, want 1701 exactly", len(l.head.mem), cap(l.head.mem), l.head.off)
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	check(t, l, vals, 0)
}

// Chunks that stop being an end of the list lose their growth room: the
// slack of doubling, and the room before them front pushes left.
func TestClosedChunksAreCompact(t *testing.T) {
	for _, front := range []bool{false, true} {
		l := New()
		v := bytes.Repeat([]byte("x"), 40)
		for i := 0; i < 5000; i++ {
			if front {
				l.PushFront(v)
			} else {
				l.PushBack(v)
			}
		}
		if err := l.Check(); err != nil {
			t.Fatal(err)
		}
		for n := l.head; n != nil; n = n.next {
			if n == l.head || n == l.tail {
				continue
			}
			// Up to an eighth more is the allocator's size class anyway.
			if size := len(n.buf()); cap(n.mem)-size > max(32, size/8) {
				t.Fatalf("front %v: middle chunk of %d bytes has %d of room", front, size, cap(n.mem)-size)
			}
		}
	}
}

// Check notices a damaged chunk.
func TestCheckCatchesDamage(t *testing.T) {
	l := New()
	l.PushBackMany([][]byte{[]byte("abc"), []byte("de"), []byte("")})
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	l.head.mem[0] ^= 1 // first boundary: length 3 becomes 2
	if err := l.Check(); err == nil {
		t.Fatal("damaged first boundary not noticed")
	}
	l.head.mem[0] ^= 1
	l.head.n++
	if err := l.Check(); err == nil {
		t.Fatal("wrong element count not noticed")
	}
	l.head.n--
	l.count++
	if err := l.Check(); err == nil {
		t.Fatal("wrong list count not noticed")
	}
}

func benchVals(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Repeat([]byte{byte('a' + i%26)}, size)
	}
	return out
}

// Single pushes onto one long list (redis-benchmark's LPUSH/RPUSH).
func BenchmarkPushBack(b *testing.B) {
	v := benchVals(1, 64)[0]
	l := New()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.PushBack(v)
	}
}

func BenchmarkPushFront(b *testing.B) {
	v := benchVals(1, 64)[0]
	l := New()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.PushFront(v)
	}
}

// One RPUSH/LPUSH of 100 16-byte values into a new list.
func BenchmarkPushBackMany100(b *testing.B) {
	vals := benchVals(100, 16)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		New().PushBackMany(vals)
	}
}

func BenchmarkPushFrontMany100(b *testing.B) {
	vals := benchVals(100, 16)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		New().PushFrontMany(vals)
	}
}

// The same 100 values pushed one at a time.
func BenchmarkPushBackSingle100(b *testing.B) {
	vals := benchVals(100, 16)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l := New()
		for _, v := range vals {
			l.PushBack(v)
		}
	}
}

func BenchmarkPopPush(b *testing.B) {
	l := New()
	l.PushBackMany(benchVals(10000, 64))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v, _ := l.PopFront()
		l.PushBack(v)
		v, _ = l.PopBack()
		l.PushFront(v)
	}
}

func BenchmarkRange100(b *testing.B) {
	l := New()
	l.PushBackMany(benchVals(10000, 64))
	b.ReportAllocs()
	n := 0
	for i := 0; i < b.N; i++ {
		l.Range(0, 99, func(_ int, v []byte) bool { n += len(v); return true })
	}
}
