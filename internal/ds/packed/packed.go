// Package packed owns the compact form of small hashes and sorted sets
// (Redis's listpack): a sequence of byte strings in one contiguous []byte,
// each written as its length (a uvarint) and then its bytes. It holds no
// pointers, so a packed value can live inside a keyspace record, where the
// garbage collector never looks, and costs one or two bytes of overhead per
// string.
//
// Hashes store field, value, field, value, …; sorted sets store member,
// score, … with the score in the form of EncodeScore. Every operation is a
// linear walk, as in a listpack: the encodings are only used up to the
// configured entry counts (128 by default), where a walk over a few KB of
// contiguous memory beats any pointer structure.
//
// The functions trust their input: packed values are only ever written by
// this package (RDB and DUMP payloads are decoded and re-packed, never
// stored as they come).
package packed

import "encoding/binary"

// Size is the number of bytes Append adds for a string of length n.
func Size(n int) int { return uvarintLen(n) + n }

// EntrySize is the number of bytes Append adds for v.
func EntrySize(v []byte) int { return uvarintLen(len(v)) + len(v) }

func uvarintLen(x int) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// Append adds v at the end of b. The length prefix is a standard uvarint.
func Append(b, v []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

// AppendString adds s at the end of b.
func AppendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// Next decodes the string at off and returns it (aliasing b) and the
// offset of the one after.
func Next(b []byte, off int) (v []byte, next int) {
	x, off := length(b, off)
	return b[off : off+x : off+x], off + x
}

// Skip returns the offset after the string at off.
func Skip(b []byte, off int) int {
	x, off := length(b, off)
	return off + x
}

// length decodes the length prefix at off and returns it and the offset
// of the string's bytes.
func length(b []byte, off int) (x, start int) {
	shift := 0
	for {
		c := b[off]
		off++
		x |= int(c&0x7f) << shift
		if c < 0x80 {
			return x, off
		}
		shift += 7
	}
}

// Count is the number of strings in b.
func Count(b []byte) int {
	n := 0
	for off := 0; off < len(b); off = Skip(b, off) {
		n++
	}
	return n
}

// put writes v as an entry at b[off:], which has exactly EntrySize(v)
// bytes of room.
func put(b []byte, off int, v []byte) {
	off += binary.PutUvarint(b[off:], uint64(len(v)))
	copy(b[off:], v)
}

// resize makes the bytes [i, j) of b n bytes long, moving what follows,
// and returns the new slice (b's array when it has the capacity). The
// bytes of the resized gap are left as they were or unset.
func resize(b []byte, i, j, n int) []byte {
	d := n - (j - i)
	switch {
	case d > 0:
		old := len(b)
		if cap(b)-old < d {
			nb := make([]byte, old+d, (old+d)*5/4+16)
			copy(nb, b[:i])
			copy(nb[j+d:], b[j:])
			return nb
		}
		b = b[:old+d]
		copy(b[j+d:], b[j:old])
	case d < 0:
		copy(b[j+d:], b[j:])
		b = b[:len(b)+d]
	}
	return b
}

// Replace puts v in place of the string at off and returns the new
// slice. b must be the caller's own copy (it is changed in place) and v
// must not alias it.
func Replace(b []byte, off int, v []byte) []byte {
	end := Skip(b, off)
	b = resize(b, off, end, EntrySize(v))
	put(b, off, v)
	return b
}

// Insert puts v before the string at off (off == len(b) appends) and
// returns the new slice, with the same rules as Replace.
func Insert(b []byte, off int, v []byte) []byte {
	b = resize(b, off, off, EntrySize(v))
	put(b, off, v)
	return b
}

// Delete removes the bytes [off, end), whole strings, and returns the new
// slice, changing b in place.
func Delete(b []byte, off, end int) []byte { return resize(b, off, end, 0) }
