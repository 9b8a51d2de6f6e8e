package packed

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestPairsModel runs random sets and deletes against a packed pair list
// and a model (ordered slice of pairs), comparing after every step.
func TestPairsModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		var b []byte
		var model [][2]string
		for step := 0; step < 200; step++ {
			f := strconv.Itoa(r.IntN(40))
			switch r.IntN(3) {
			case 0, 1:
				v := string(bytes.Repeat([]byte{'x'}, r.IntN(300)))
				off := FindPair(b, []byte(f))
				i := -1
				for j := range model {
					if model[j][0] == f {
						i = j
					}
				}
				if (off >= 0) != (i >= 0) {
					t.Fatalf("find %q: packed %d model %d", f, off, i)
				}
				if off >= 0 {
					b = SetValue(b, off, []byte(v))
					model[i][1] = v
				} else {
					b = AppendPair(b, []byte(f), []byte(v))
					model = append(model, [2]string{f, v})
				}
			case 2:
				off := FindPair(b, []byte(f))
				if off >= 0 {
					b = DeletePair(b, off)
					for j := range model {
						if model[j][0] == f {
							model = append(model[:j], model[j+1:]...)
							break
						}
					}
				}
			}
			check(t, b, model)
		}
	}
}

func check(t *testing.T, b []byte, model [][2]string) {
	t.Helper()
	if err := Check(b, true); err != nil {
		t.Fatal(err)
	}
	if Count(b) != 2*len(model) {
		t.Fatalf("count %d, model %d pairs", Count(b), len(model))
	}
	i := 0
	for off := 0; off < len(b); i++ {
		f, v, next := PairAt(b, off)
		if string(f) != model[i][0] || string(v) != model[i][1] {
			t.Fatalf("pair %d: %q=%q, model %q=%q", i, f, v, model[i][0], model[i][1])
		}
		off = next
	}
}

func TestEntrySizes(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 16383, 16384, 1 << 21} {
		v := make([]byte, n)
		b := Append(nil, v)
		if len(b) != Size(n) || len(b) != EntrySize(v) {
			t.Fatalf("n=%d: appended %d, Size %d", n, len(b), Size(n))
		}
		got, next := Next(b, 0)
		if len(got) != n || next != len(b) || Skip(b, 0) != len(b) {
			t.Fatalf("n=%d: decoded %d, next %d", n, len(got), next)
		}
		if s := AppendString(nil, string(v)); !bytes.Equal(s, b) {
			t.Fatalf("n=%d: AppendString differs", n)
		}
	}
}

func TestScores(t *testing.T) {
	cases := []float64{0, 1, -1, 127, 128, -128, -129, 255, 32767, 1e6, -1e6, 1 << 40, -(1 << 40),
		1<<53 - 1, -(1<<53 - 1), 1 << 53, 1 << 60, 0.5, -2.25, 1e300, math.Inf(1), math.Inf(-1),
		math.SmallestNonzeroFloat64, math.MaxFloat64, 3.141592653589793}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10000; i++ {
		cases = append(cases, float64(r.Int64N(1<<54)-1<<53), r.NormFloat64()*1e6, float64(int32(r.Uint32())))
	}
	for _, s := range cases {
		b := AppendScore(nil, s)
		if len(b) != ScoreSize(s) {
			t.Fatalf("%v: size %d, ScoreSize %d", s, len(b), ScoreSize(s))
		}
		v, _ := Next(b, 0)
		if got := Score(v); got != s {
			t.Fatalf("%v: decoded %v (%x)", s, got, v)
		}
	}
	if v, _ := Next(AppendScore(nil, math.Copysign(0, -1)), 0); math.Signbit(Score(v)) {
		t.Fatal("-0 kept its sign")
	}
	if n := ScoreSize(99); n != 2 {
		t.Fatalf("99 takes %d bytes", n)
	}
}

func TestCheckFindsDamage(t *testing.T) {
	b := AppendPair(nil, []byte("field"), []byte("value"))
	if err := Check(b, true); err != nil {
		t.Fatal(err)
	}
	if Check(b[:len(b)-1], true) == nil || Check(Append(b, []byte("x")), true) == nil || Check([]byte{0x80}, false) == nil {
		t.Fatal("damage not found")
	}
}
