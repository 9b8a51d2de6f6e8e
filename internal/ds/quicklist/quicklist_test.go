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
	var sum int
	for n := l.head; n != nil; n = n.next {
		sum += len(n.buf)
		if n.n == 0 {
			t.Fatalf("step %d: empty chunk", step)
		}
	}
	if sum != l.bytes {
		t.Fatalf("step %d: bytes %d want %d", step, l.bytes, sum)
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
		if r.Intn(50) == 0 {
			n = 200 + r.Intn(10000)
		}
		return bytes.Repeat([]byte{byte('a' + r.Intn(3))}, n)
	}
	for step := 0; step < 20000; step++ {
		switch op := r.Intn(10); op {
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
