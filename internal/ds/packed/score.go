package packed

import (
	"encoding/binary"
	"math"
)

// Sorted sets store each score as a string after its member. An integral
// score of magnitude below 2^53 (exact in a float64) is its shortest
// two's complement little-endian form, 0 to 7 bytes: 0 takes none and
// small ranks and counters one or two, as a listpack's integer encodings
// do. Any other score is its 8 IEEE 754 bytes; the length tells the two
// forms apart. -0 is stored as 0 (a listpack keeps scores as text, where
// Redis loses the sign the same way).

// maxExact is the largest integer every smaller one of which a float64
// holds exactly.
const maxExact = 1 << 53

// AppendScore adds s as a string.
func AppendScore(b []byte, s float64) []byte {
	var buf [8]byte
	return Append(b, ScoreBytes(&buf, s))
}

// ScoreSize is the number of bytes AppendScore adds for s.
func ScoreSize(s float64) int {
	var buf [8]byte
	return 1 + len(ScoreBytes(&buf, s))
}

// ScoreBytes is the string AppendScore writes for s, in buf.
func ScoreBytes(buf *[8]byte, s float64) []byte {
	if s == math.Trunc(s) && s > -maxExact && s < maxExact {
		x := int64(s)
		n := 0
		for n < 7 && !fitsSigned(x, n) {
			n++
		}
		binary.LittleEndian.PutUint64(buf[:], uint64(x))
		return buf[:n]
	}
	binary.LittleEndian.PutUint64(buf[:], math.Float64bits(s))
	return buf[:8]
}

// fitsSigned reports whether x is representable in n bytes of two's
// complement.
func fitsSigned(x int64, n int) bool {
	if n == 0 {
		return x == 0
	}
	lim := int64(1) << (8*n - 1)
	return x >= -lim && x < lim
}

// Score decodes a score string.
func Score(v []byte) float64 {
	if len(v) == 8 {
		return math.Float64frombits(binary.LittleEndian.Uint64(v))
	}
	var x uint64
	for i := len(v) - 1; i >= 0; i-- {
		x = x<<8 | uint64(v[i])
	}
	if n := len(v); n > 0 && v[n-1]&0x80 != 0 {
		x |= ^uint64(0) << (8 * n) // sign-extend
	}
	return float64(int64(x))
}
