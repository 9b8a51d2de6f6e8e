package hll

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
)

// Geometry of Redis's HyperLogLog: 2^14 registers of 6 bits each.
const (
	P            = 14
	Registers    = 1 << P
	q            = 64 - P // bits of the hash left after the index
	regBits      = 6
	regMax       = (1 << regBits) - 1
	HeaderSize   = 16
	DenseSize    = HeaderSize + (Registers*regBits+7)/8
	hashSeed     = 0xadc83b19
	alphaInf     = 0.721347520444481703680 // 1/(2 ln 2), the estimator's constant
	encDense     = 0
	encSparse    = 1
	maxEncoding  = encSparse
	xzeroBit     = 0x40
	valBit       = 0x80
	valMaxValue  = 32
	valMaxLen    = 4
	zeroMaxLen   = 64
	xzeroMaxLen  = 16384
	cacheByte    = 15 // last byte of the cached cardinality
	staleBit     = 0x80
	cardOffset   = 8
	encodingByte = 4
)

// ErrCorrupt means the value has a valid header but its registers cannot
// be decoded (Redis's INVALIDOBJ).
var ErrCorrupt = errors.New("hll: corrupted object")

// New returns an empty sparse HyperLogLog: a valid, zero cached
// cardinality and one XZERO opcode covering every register.
func New() []byte {
	b := make([]byte, HeaderSize, HeaderSize+2)
	copy(b, "HYLL")
	b[encodingByte] = encSparse
	n := Registers - 1
	return append(b, byte(n>>8)|xzeroBit, byte(n))
}

// Valid reports whether b is a HyperLogLog Redis would accept: the magic,
// a known encoding and, for dense values, the exact dense length. The
// registers are not checked here (that is what ErrCorrupt is for).
func Valid(b []byte) bool {
	if len(b) < HeaderSize || string(b[:4]) != "HYLL" || b[encodingByte] > maxEncoding {
		return false
	}
	return b[encodingByte] != encDense || len(b) == DenseSize
}

// IsDense reports whether a valid b uses the dense encoding.
func IsDense(b []byte) bool { return b[encodingByte] == encDense }

// CachedCount returns the cached cardinality and whether it is current.
func CachedCount(b []byte) (uint64, bool) {
	if b[cacheByte]&staleBit != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[cardOffset:]), true
}

// SetCachedCount stores a current cardinality in the header.
func SetCachedCount(b []byte, n uint64) {
	binary.LittleEndian.PutUint64(b[cardOffset:], n)
	b[cacheByte] &^= staleBit
}

// Invalidate marks the cached cardinality stale.
func Invalidate(b []byte) { b[cacheByte] |= staleBit }

// murmur64A is MurmurHash64A over data, reading 8-byte blocks little-endian
// as Redis does on every platform.
func murmur64A(data []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(data)) * m)
	for len(data) >= 8 {
		k := binary.LittleEndian.Uint64(data)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		data = data[8:]
	}
	if n := len(data); n > 0 {
		for i := n - 1; i >= 0; i-- {
			h ^= uint64(data[i]) << (8 * uint(i))
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// position maps an element to its register and the run length it
// proposes: one plus the number of trailing zero bits of the hash above
// the index, capped at q+1 by a sentinel bit.
func position(elem []byte) (index int, count uint8) {
	h := murmur64A(elem, hashSeed)
	index = int(h & (Registers - 1))
	h = h>>P | 1<<q
	return index, uint8(bits.TrailingZeros64(h) + 1)
}

// denseGet reads register i of the packed dense registers; bits past the
// slice read as zero (only the last register's unused high bits).
func denseGet(regs []byte, i int) uint8 {
	bit := i * regBits
	byt, fb := bit/8, uint(bit&7)
	v := uint(regs[byt]) >> fb
	if byt+1 < len(regs) {
		v |= uint(regs[byt+1]) << (8 - fb)
	}
	return uint8(v & regMax)
}

// denseSet writes register i.
func denseSet(regs []byte, i int, v uint8) {
	bit := i * regBits
	byt, fb := bit/8, uint(bit&7)
	regs[byt] &^= byte(regMax << fb)
	regs[byt] |= v << fb
	if byt+1 < len(regs) {
		regs[byt+1] &^= byte(regMax >> (8 - fb))
		regs[byt+1] |= v >> (8 - fb)
	}
}

// Sparse opcodes. A byte past the end reads as the byte Redis keeps after
// its strings (the terminating NUL), so that a truncated trailing XZERO
// decodes as it does there. Values straight from the keyspace have no
// capacity beyond their length and read zero; sparseSet's working buffers
// keep that byte in their spare capacity, because Redis can leave a
// non-zero byte there while splicing a truncated opcode.
func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	if i < cap(b) {
		return b[:i+1][i]
	}
	return 0
}

func isZero(c byte) bool  { return c&0xc0 == 0 }
func isXZero(c byte) bool { return c&0xc0 == xzeroBit }
func isVal(c byte) bool   { return c&valBit != 0 }
func zeroLen(c byte) int  { return int(c&0x3f) + 1 }
func xzeroLen(b []byte, i int) int {
	return (int(b[i]&0x3f)<<8 | int(at(b, i+1))) + 1
}
func valValue(c byte) uint8 { return (c>>2)&0x1f + 1 }
func valLen(c byte) int     { return int(c&3) + 1 }
func valOp(v uint8, n int) byte {
	return byte(int(v-1)<<2|(n-1)) | valBit
}

// appendZeros appends the opcode for a run of n zero registers (n ≤
// xzeroMaxLen), ZERO when it fits in one byte.
func appendZeros(dst []byte, n int) []byte {
	if n > zeroMaxLen {
		n--
		return append(dst, byte(n>>8)|xzeroBit, byte(n))
	}
	return append(dst, byte(n-1))
}

// ToDense converts a sparse value to dense, copying the header (and so the
// cached cardinality). A dense value is returned as is.
func ToDense(b []byte) ([]byte, error) {
	if IsDense(b) {
		return b, nil
	}
	d := make([]byte, DenseSize)
	copy(d, b[:HeaderSize])
	d[encodingByte] = encDense
	regs := d[HeaderSize:]
	idx := 0
	for p := HeaderSize; p < len(b); {
		c := b[p]
		switch {
		case isZero(c):
			idx += zeroLen(c)
			p++
		case isXZero(c):
			idx += xzeroLen(b, p)
			p += 2
		default:
			n, v := valLen(c), valValue(c)
			if idx+n > Registers {
				return nil, ErrCorrupt
			}
			for ; n > 0; n-- {
				denseSet(regs, idx, v)
				idx++
			}
			p++
		}
	}
	if idx != Registers {
		return nil, ErrCorrupt
	}
	return d, nil
}

// Add adds elem and returns the (possibly reallocated or re-encoded) value
// and whether a register changed. sparseMax is hll-sparse-max-bytes: a
// sparse value that would grow past it becomes dense. The cached
// cardinality is invalidated when a register changes.
func Add(b []byte, elem []byte, sparseMax int) ([]byte, bool, error) {
	idx, cnt := position(elem)
	return Set(b, idx, cnt, sparseMax)
}

// Set raises register idx to v (never lowers it), as Add does for an
// element hashing there.
func Set(b []byte, idx int, v uint8, sparseMax int) ([]byte, bool, error) {
	if IsDense(b) {
		regs := b[HeaderSize:]
		if denseGet(regs, idx) >= v {
			return b, false, nil
		}
		denseSet(regs, idx, v)
		Invalidate(b)
		return b, true, nil
	}
	return sparseSet(b, idx, v, sparseMax)
}

// promote turns b dense and sets the register there.
func promote(b []byte, idx int, v uint8) ([]byte, bool, error) {
	d, err := ToDense(b)
	if err != nil {
		return b, false, err
	}
	regs := d[HeaderSize:]
	if denseGet(regs, idx) < v {
		denseSet(regs, idx, v)
	}
	Invalidate(d)
	return d, true, nil
}

// sparseSet raises register idx of a sparse value. It finds the opcode
// covering idx, replaces it by up to five bytes describing the run split
// around idx, then merges equal neighbouring VAL opcodes near the change,
// exactly as far as Redis looks, so the bytes come out the same.
func sparseSet(b []byte, idx int, v uint8, sparseMax int) ([]byte, bool, error) {
	if v > valMaxValue {
		return promote(b, idx, v)
	}
	// Find the opcode covering idx.
	first, span, oplen := 0, 0, 1
	p, prev := HeaderSize, -1
	for p < len(b) {
		c := b[p]
		oplen = 1
		switch {
		case isZero(c):
			span = zeroLen(c)
		case isVal(c):
			span = valLen(c)
		default:
			span = xzeroLen(b, p)
			oplen = 2
		}
		if idx <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= len(b) {
		return b, false, ErrCorrupt
	}
	c := b[p]
	runlen := span
	switch {
	case isVal(c):
		old := valValue(c)
		if old >= v {
			return b, false, nil
		}
		if runlen == 1 {
			b[p] = valOp(v, 1)
			return sparseMerge(b, prev), true, nil
		}
	case isZero(c) && runlen == 1:
		b[p] = valOp(v, 1)
		return sparseMerge(b, prev), true, nil
	}
	// General case: split the run into up to three parts.
	var seqBuf [5]byte
	seq := seqBuf[:0]
	last := first + span - 1
	if isVal(c) {
		cur := valValue(c)
		if idx != first {
			seq = append(seq, valOp(cur, idx-first))
		}
		seq = append(seq, valOp(v, 1))
		if idx != last {
			seq = append(seq, valOp(cur, last-idx))
		}
	} else {
		if idx != first {
			seq = appendZeros(seq, idx-first)
		}
		seq = append(seq, valOp(v, 1))
		if idx != last {
			seq = appendZeros(seq, last-idx)
		}
	}
	delta := len(seq) - oplen
	if delta > 0 && len(b)+delta > sparseMax {
		return promote(b, idx, v)
	}
	// Splice seq in place of the old opcode, moving the tail as Redis's
	// memmove does. The byte just past the new end is Redis's terminator:
	// zero, except when a truncated trailing XZERO (oplen running past the
	// end) is replaced, where the last seq byte lands there.
	oldLen, newLen := len(b), len(b)+delta
	if cap(b) < newLen+1 {
		nb := make([]byte, oldLen, 2*newLen+8)
		copy(nb, b)
		b = nb
	}
	ext := b[:cap(b)]
	if p+oplen < oldLen {
		copy(ext[p+len(seq):], b[p+oplen:oldLen])
	}
	copy(ext[p:], seq)
	if p+oplen <= oldLen {
		ext[newLen] = 0
	}
	return sparseMerge(ext[:newLen], prev), true, nil
}

// sparseMerge joins adjacent VAL opcodes of equal value whose lengths fit
// one opcode, scanning at most five opcodes from start (the opcode before
// the change, or the first), then invalidates the cache.
func sparseMerge(b []byte, start int) []byte {
	p := start
	if p < 0 {
		p = HeaderSize
	}
	for scan := 5; p < len(b) && scan > 0; scan-- {
		c := b[p]
		if isXZero(c) {
			p += 2
			continue
		}
		if isZero(c) {
			p++
			continue
		}
		if p+1 < len(b) && isVal(b[p+1]) && valValue(c) == valValue(b[p+1]) {
			if n := valLen(c) + valLen(b[p+1]); n <= valMaxLen {
				b[p+1] = valOp(valValue(c), n)
				b = append(b[:p], b[p+1:]...)
				// Redis re-terminates the shortened string, then tries
				// the merged opcode with its right neighbour.
				b[:len(b)+1][len(b)] = 0
				continue
			}
		}
		p++
	}
	Invalidate(b)
	return b
}

// Histogram counts the registers of each value (the estimator's input).
// It fails on a sparse value whose opcodes do not cover exactly every
// register.
func histogram(b []byte, h *[64]int) error {
	if IsDense(b) {
		regs := b[HeaderSize:]
		// Eight registers are 48 bits: six bytes at a time.
		for i := 0; i < Registers; i += 8 {
			o := i * regBits / 8
			w := uint64(regs[o]) | uint64(regs[o+1])<<8 | uint64(regs[o+2])<<16 |
				uint64(regs[o+3])<<24 | uint64(regs[o+4])<<32 | uint64(regs[o+5])<<40
			for k := 0; k < 8; k++ {
				h[w&regMax]++
				w >>= regBits
			}
		}
		return nil
	}
	idx := 0
	for p := HeaderSize; p < len(b); {
		c := b[p]
		switch {
		case isZero(c):
			n := zeroLen(c)
			idx += n
			h[0] += n
			p++
		case isXZero(c):
			n := xzeroLen(b, p)
			idx += n
			h[0] += n
			p += 2
		default:
			n := valLen(c)
			if idx+n > Registers {
				return ErrCorrupt
			}
			idx += n
			h[valValue(c)] += n
			p++
		}
	}
	if idx != Registers {
		return ErrCorrupt
	}
	return nil
}

// Count estimates the cardinality of a valid value (ignoring its cache).
func Count(b []byte) (uint64, error) {
	var h [64]int
	if err := histogram(b, &h); err != nil {
		return 0, err
	}
	return estimate(&h), nil
}

// Union is the registers of several values merged by maximum, one byte per
// register (PFCOUNT of several keys, PFMERGE).
type Union [Registers]uint8

// Merge folds b's registers into u.
func (u *Union) Merge(b []byte) error {
	if IsDense(b) {
		regs := b[HeaderSize:]
		for i := range u {
			if v := denseGet(regs, i); v > u[i] {
				u[i] = v
			}
		}
		return nil
	}
	idx := 0
	for p := HeaderSize; p < len(b); {
		c := b[p]
		switch {
		case isZero(c):
			idx += zeroLen(c)
			p++
		case isXZero(c):
			idx += xzeroLen(b, p)
			p += 2
		default:
			n, v := valLen(c), valValue(c)
			if idx+n > Registers {
				return ErrCorrupt
			}
			for ; n > 0; n-- {
				if v > u[idx] {
					u[idx] = v
				}
				idx++
			}
			p++
		}
	}
	if idx != Registers {
		return ErrCorrupt
	}
	return nil
}

// Count estimates the cardinality of the union.
func (u *Union) Count() uint64 {
	var h [64]int
	for _, v := range u {
		h[v]++
	}
	return estimate(&h)
}

// estimate is the improved estimator of Otmar Ertl ("New cardinality
// estimation algorithms for HyperLogLog sketches", 2017), which Redis 7.0
// uses: it needs no bias tables and is good over the whole range.
func estimate(h *[64]int) uint64 {
	m := float64(Registers)
	z := m * tau((m-float64(h[q+1]))/m)
	for j := q; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += m * sigma(float64(h[0])/m)
	return uint64(math.Round(alphaInf * m * m / z))
}

func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += x * y
		y += y
		if prev == z {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= d * d * y
		if prev == z {
			return z / 3
		}
	}
}

// Registers returns every register of a valid value (PFDEBUG GETREG).
func RegisterValues(b []byte) ([]uint8, error) {
	d, err := ToDense(b)
	if err != nil {
		return nil, err
	}
	out := make([]uint8, Registers)
	for i := range out {
		out[i] = denseGet(d[HeaderSize:], i)
	}
	return out, nil
}

// Decode describes a sparse value's opcodes as PFDEBUG DECODE does:
// "z:N" for ZERO, "Z:N" for XZERO, "v:V,N" for VAL, space separated.
func Decode(b []byte) string {
	out := make([]byte, 0, 4*(len(b)-HeaderSize))
	for p := HeaderSize; p < len(b); {
		c := b[p]
		if len(out) > 0 {
			out = append(out, ' ')
		}
		switch {
		case isZero(c):
			out = append(out, "z:"...)
			out = appendInt(out, zeroLen(c))
			p++
		case isXZero(c):
			out = append(out, "Z:"...)
			out = appendInt(out, xzeroLen(b, p))
			p += 2
		default:
			out = append(out, "v:"...)
			out = appendInt(out, int(valValue(c)))
			out = append(out, ',')
			out = appendInt(out, valLen(c))
			p++
		}
	}
	return string(out)
}

func appendInt(dst []byte, n int) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}

// SelfTest checks that sparse and dense encodings agree register by
// register and estimate the same cardinality on a fixed workload (PFSELFTEST).
func SelfTest() error {
	sparse, dense := New(), New()
	dense, _ = ToDense(dense)
	var elem [8]byte
	var err error
	x := uint64(0x9e3779b97f4a7c15)
	for i := 0; i < 2000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		binary.LittleEndian.PutUint64(elem[:], x)
		// 1<<30 keeps the sparse value sparse unless a run needs > 32.
		if sparse, _, err = Add(sparse, elem[:], 1<<30); err != nil {
			return err
		}
		if dense, _, err = Add(dense, elem[:], 1<<30); err != nil {
			return err
		}
	}
	a, err := RegisterValues(sparse)
	if err != nil {
		return err
	}
	b, _ := RegisterValues(dense)
	for i := range a {
		if a[i] != b[i] {
			return errors.New("TESTFAILED sparse and dense registers differ")
		}
	}
	ca, _ := Count(sparse)
	cb, _ := Count(dense)
	if ca != cb || ca < 1900 || ca > 2100 {
		return errors.New("TESTFAILED cardinality estimates disagree")
	}
	return nil
}
