package server_test

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

// bitAt is bit i of b, bit 0 being the high bit of byte 0.
func bitAt(b []byte, i int64) int64 {
	if i>>3 >= int64(len(b)) {
		return 0
	}
	return int64(b[i>>3]>>(7-i&7)) & 1
}

// modelRange is BITCOUNT/BITPOS's range resolution over n units.
func modelRange(start, end, n int64) (int64, int64) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	return start, end
}

// Random SETBIT/BITCOUNT/BITPOS against a bit-by-bit model of the
// documented rules, in BYTE and BIT units.
func TestBitmapMatchesModel(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	rng := rand.New(rand.NewSource(1))
	var model []byte
	for step := 0; step < 3000; step++ {
		switch op := rng.Intn(10); {
		case op < 4:
			off := int64(rng.Intn(120))
			val := int64(rng.Intn(2))
			want := ":" + strconv.FormatInt(bitAt(model, off), 10) + "\r\n"
			if got := c.Do("SETBIT", "k", strconv.FormatInt(off, 10), strconv.FormatInt(val, 10)); got != want {
				t.Fatalf("SETBIT %d %d = %q want %q", off, val, got, want)
			}
			for int64(len(model)) <= off>>3 {
				model = append(model, 0)
			}
			model[off>>3] = model[off>>3]&^(1<<(7-off&7)) | byte(val)<<(7-off&7)
		case op < 7:
			isBit := rng.Intn(2) == 0
			unit, n := int64(1), int64(len(model))
			args := []string{"BITCOUNT", "k"}
			s0, e0 := int64(rng.Intn(40)-20), int64(rng.Intn(40)-20)
			if isBit {
				unit, n = 8, n*8
				s0, e0 = s0*5, e0*5
			}
			args = append(args, strconv.FormatInt(s0, 10), strconv.FormatInt(e0, 10))
			if isBit {
				args = append(args, "BIT")
			}
			var want int64
			if !(s0 < 0 && e0 < 0 && s0 > e0) {
				st, en := modelRange(s0, e0, n)
				for i := st; i <= en; i++ {
					if unit == 1 {
						for j := i * 8; j < i*8+8; j++ {
							want += bitAt(model, j)
						}
					} else {
						want += bitAt(model, i)
					}
				}
			}
			if got := c.Do(args...); got != ":"+strconv.FormatInt(want, 10)+"\r\n" {
				t.Fatalf("%v = %q want %d (model %x)", args, got, want, model)
			}
		default:
			bit := int64(rng.Intn(2))
			isBit := rng.Intn(2) == 0
			s0, e0 := int64(rng.Intn(40)-20), int64(rng.Intn(40)-20)
			n := int64(len(model))
			if isBit {
				s0, e0, n = s0*5, e0*5, n*8
			}
			args := []string{"BITPOS", "k", strconv.FormatInt(bit, 10), strconv.FormatInt(s0, 10), strconv.FormatInt(e0, 10)}
			if isBit {
				args = append(args, "BIT")
			}
			st, en := modelRange(s0, e0, n)
			if !isBit {
				st, en = st*8, en*8+7
			}
			want := int64(-1)
			for i := st; i <= en; i++ {
				if bitAt(model, i) == bit {
					want = i
					break
				}
			}
			if got := c.Do(args...); got != ":"+strconv.FormatInt(want, 10)+"\r\n" {
				t.Fatalf("%v = %q want %d (model %x)", args, got, want, model)
			}
		}
	}
}

func TestBitfieldOverflowModes(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"BITFIELD", "f", "SET", "u8", "0", "250", "INCRBY", "u8", "0", "10"}, "*2\r\n:0\r\n:4\r\n"},
		{[]string{"BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300", "INCRBY", "u8", "0", "-300"}, "*2\r\n:255\r\n:0\r\n"},
		{[]string{"BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "-1", "GET", "u8", "0"}, "*2\r\n$-1\r\n:0\r\n"},
		{[]string{"BITFIELD", "f", "SET", "i8", "#1", "-128", "INCRBY", "i8", "#1", "-1"}, "*2\r\n:0\r\n:127\r\n"},
		{[]string{"BITFIELD", "f", "OVERFLOW", "SAT", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"}, "*2\r\n:35747322042253312\r\n:9223372036854775807\r\n"},
		{[]string{"BITFIELD_RO", "f", "GET", "i64", "0", "GET", "u63", "1"}, "*2\r\n:9223372036854775807\r\n:9223372036854775807\r\n"},
		{[]string{"BITFIELD_RO", "f", "SET", "u8", "0", "1"}, "-ERR BITFIELD_RO only supports the GET subcommand\r\n"},
		{[]string{"BITFIELD", "f", "GET", "u64", "0"}, "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"},
		{[]string{"BITFIELD", "f", "GET", "u8", "4294967296"}, "-ERR bit offset is not an integer or out of range\r\n"},
	} {
		if got := c.Do(tc.args...); got != tc.want {
			t.Errorf("%v = %q want %q", tc.args, got, tc.want)
		}
	}
}

func TestBitopAliasingDestination(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("SET", "a", strings.Repeat("\x0f", 100))
	c.Do("SET", "b", "\xff")
	if got := c.Do("BITOP", "XOR", "a", "a", "b"); got != ":100\r\n" {
		t.Fatalf("BITOP = %q", got)
	}
	want := "\xf0" + strings.Repeat("\x0f", 99)
	if got := c.Do("GET", "a"); got != "$100\r\n"+want+"\r\n" {
		t.Fatalf("GET a = %q", got)
	}
	if got := c.Do("BITOP", "AND", "a", "nosuch"); got != ":0\r\n" {
		t.Fatalf("BITOP on nothing = %q", got)
	}
	if got := c.Do("EXISTS", "a"); got != ":0\r\n" {
		t.Fatal("empty BITOP result did not delete the destination")
	}
}

func BenchmarkSetBit(b *testing.B) {
	s := servertest.Start(b)
	c := s.Dial(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Do("SETBIT", "bm", strconv.Itoa(i&(1<<20-1)), "1")
	}
}

// BITCOUNT of a 1 MB string: the popcount dominates the round trip.
func BenchmarkBitCount1MB(b *testing.B) {
	s := servertest.Start(b)
	c := s.Dial(b)
	c.Do("SETBIT", "bm", strconv.Itoa(8<<20-1), "1")
	c.Do("BITOP", "NOT", "bm", "bm")
	b.SetBytes(1 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := c.Do("BITCOUNT", "bm"); got != ":8388607\r\n" {
			b.Fatal(got)
		}
	}
}

func BenchmarkBitPos1MB(b *testing.B) {
	s := servertest.Start(b)
	c := s.Dial(b)
	c.Do("SETBIT", "bm", strconv.Itoa(8<<20-1), "1")
	b.SetBytes(1 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := c.Do("BITPOS", "bm", "1"); got != ":8388607\r\n" {
			b.Fatal(got)
		}
	}
}
