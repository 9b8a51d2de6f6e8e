package hll

import (
	"bytes"
	"strconv"
	"testing"
)

// Registers Redis 7.0 shows (PFDEBUG DECODE) after PFADD h a b c: a
// known-answer test of MurmurHash64A, the seed and the index/run split.
func TestPositionLikeRedis(t *testing.T) {
	got := map[int]uint8{}
	for _, e := range []string{"a", "b", "c"} {
		i, n := position([]byte(e))
		got[i] = n
	}
	want := map[int]uint8{8436: 1, 12711: 2, 15780: 1}
	if len(got) != len(want) {
		t.Fatalf("positions %v, want %v", got, want)
	}
	for i, n := range want {
		if got[i] != n {
			t.Fatalf("positions %v, want %v", got, want)
		}
	}
}

func TestNewIsEmptySparse(t *testing.T) {
	b := New()
	want := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff")
	if !bytes.Equal(b, want) {
		t.Fatalf("New() = %q", b)
	}
	if !Valid(b) || IsDense(b) {
		t.Fatal("New() not a valid sparse HLL")
	}
	if n, ok := CachedCount(b); !ok || n != 0 {
		t.Fatalf("cached count %d %v", n, ok)
	}
	if n, err := Count(b); err != nil || n != 0 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if Decode(b) != "Z:16384" {
		t.Fatalf("Decode = %q", Decode(b))
	}
}

func TestDenseRegisterPacking(t *testing.T) {
	regs := make([]byte, DenseSize-HeaderSize)
	for i := 0; i < Registers; i++ {
		denseSet(regs, i, uint8(i*7)&regMax)
	}
	for i := 0; i < Registers; i++ {
		if got := denseGet(regs, i); got != uint8(i*7)&regMax {
			t.Fatalf("register %d = %d", i, got)
		}
	}
}

// The sparse and dense encodings must hold the same registers and
// estimate the same number whatever the order of additions.
func TestSparseMatchesDense(t *testing.T) {
	if err := SelfTest(); err != nil {
		t.Fatal(err)
	}
	sp, de := New(), New()
	de, _ = ToDense(de)
	for i := 0; i < 3000; i++ {
		e := []byte("elem:" + strconv.Itoa(i*31))
		var err error
		if sp, _, err = Add(sp, e, 1<<30); err != nil {
			t.Fatal(err)
		}
		de, _, _ = Add(de, e, 1<<30)
	}
	if IsDense(sp) {
		t.Fatal("sparse value went dense under a huge limit")
	}
	d2, err := ToDense(sp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d2[HeaderSize:], de[HeaderSize:]) {
		t.Fatal("sparse converted to dense differs from dense built directly")
	}
	a, _ := Count(sp)
	b, _ := Count(de)
	if a != b {
		t.Fatalf("sparse count %d, dense count %d", a, b)
	}
}

func TestPromotionAtSparseMax(t *testing.T) {
	b := New()
	for i := 0; i < 500; i++ {
		b, _, _ = Add(b, []byte(strconv.Itoa(i)), 200)
		if !IsDense(b) && len(b) > 200 {
			t.Fatalf("sparse value of %d bytes over a 200 byte limit", len(b))
		}
	}
	if !IsDense(b) || len(b) != DenseSize {
		t.Fatalf("not promoted: dense=%v len=%d", IsDense(b), len(b))
	}
}

func TestCountAccuracy(t *testing.T) {
	b := New()
	var u Union
	const n = 100000
	for i := 0; i < n; i++ {
		b, _, _ = Add(b, []byte(strconv.Itoa(i)), 3000)
	}
	got, err := Count(b)
	if err != nil {
		t.Fatal(err)
	}
	if got < n*98/100 || got > n*102/100 {
		t.Fatalf("estimate %d for %d elements", got, n)
	}
	if err := u.Merge(b); err != nil {
		t.Fatal(err)
	}
	if u.Count() != got {
		t.Fatalf("union of one value counts %d, value counts %d", u.Count(), got)
	}
}

func TestCacheBits(t *testing.T) {
	b := New()
	b, changed, _ := Add(b, []byte("x"), 3000)
	if !changed {
		t.Fatal("first add changed nothing")
	}
	if _, ok := CachedCount(b); ok {
		t.Fatal("cache still valid after a change")
	}
	SetCachedCount(b, 1)
	if n, ok := CachedCount(b); !ok || n != 1 {
		t.Fatalf("cache %d %v", n, ok)
	}
	if _, changed, _ = Add(b, []byte("x"), 3000); changed {
		t.Fatal("re-adding an element changed a register")
	}
}

func TestCorruptValuesReportErrors(t *testing.T) {
	hdr := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
	for _, body := range []string{"", "\x7f", "\x7f\xfe", "\x7f\xff\x00", "\x7f\xfc\x8b"} {
		b := []byte(hdr + body)
		if _, err := Count(b); err == nil {
			t.Errorf("%q: Count accepted it", body)
		}
		if _, err := ToDense(b); err == nil {
			t.Errorf("%q: ToDense accepted it", body)
		}
		var u Union
		if u.Merge(b) == nil {
			t.Errorf("%q: Merge accepted it", body)
		}
	}
}

// FuzzDecode feeds arbitrary bytes behind a valid header to every decoder:
// none may panic, and whatever one accepts the others must agree on.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x7f, 0xff}, false, 3000, []byte("a"))
	f.Add([]byte{0x7f}, false, 3000, []byte("b"))
	f.Add([]byte{0x80, 0x7f, 0xfe}, false, 10, []byte("c"))
	f.Add([]byte{0x7f, 0xfc, 0x8b}, false, 3000, []byte("zz"))
	f.Add(bytes.Repeat([]byte{0xff}, 40), true, 0, []byte("d"))
	f.Fuzz(func(t *testing.T, body []byte, dense bool, sparseMax int, elem []byte) {
		b := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80")
		if dense {
			b[encodingByte] = encDense
			body = append(body, make([]byte, DenseSize)...)[:DenseSize-HeaderSize]
		}
		b = append(b, body...)
		if !Valid(b) {
			t.Fatal("valid header refused")
		}
		_ = Decode(b)
		n, err := Count(b)
		d, derr := ToDense(append([]byte(nil), b...))
		var u Union
		merr := u.Merge(b)
		if (err == nil) != (derr == nil) || (err == nil) != (merr == nil) {
			t.Fatalf("decoders disagree: count %v, dense %v, merge %v", err, derr, merr)
		}
		if err == nil {
			if n2, _ := Count(d); n2 != n {
				t.Fatalf("count %d, dense count %d", n, n2)
			}
			if u.Count() != n {
				t.Fatalf("count %d, union count %d", n, u.Count())
			}
		}
		work := append(make([]byte, 0, len(b)+8), b...)
		nb, _, aerr := Add(work, elem, sparseMax&0xffff)
		if aerr == nil && !Valid(nb) {
			t.Fatalf("Add produced an invalid value %q", nb)
		}
		if err == nil && aerr != nil {
			t.Fatalf("Add failed on a decodable value: %v", aerr)
		}
	})
}

func benchElems(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte("element:" + strconv.Itoa(i))
	}
	return out
}

func BenchmarkAddSparse(b *testing.B) {
	elems := benchElems(1000)
	b.ReportAllocs()
	b.ResetTimer()
	h := New()
	for i := 0; i < b.N; i++ {
		if i%1000 == 0 {
			h = New()
		}
		h, _, _ = Add(h, elems[i%1000], 1<<20)
	}
}

func BenchmarkAddDense(b *testing.B) {
	elems := benchElems(4096)
	h, _ := ToDense(New())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, _, _ = Add(h, elems[i&4095], 3000)
	}
}

func BenchmarkCountDense(b *testing.B) {
	h, _ := ToDense(New())
	for _, e := range benchElems(50000) {
		h, _, _ = Add(h, e, 3000)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _ = Count(h)
	}
}

func BenchmarkCountSparse(b *testing.B) {
	h := New()
	for _, e := range benchElems(1000) {
		h, _, _ = Add(h, e, 1<<20)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _ = Count(h)
	}
}

func BenchmarkUnionCount(b *testing.B) {
	h1, h2 := New(), New()
	for i, e := range benchElems(20000) {
		if i%2 == 0 {
			h1, _, _ = Add(h1, e, 3000)
		} else {
			h2, _, _ = Add(h2, e, 3000)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var u Union
		_ = u.Merge(h1)
		_ = u.Merge(h2)
		_ = u.Count()
	}
}
