package packed

import "bytes"

// Pair operations, for hashes: b holds field, value, field, value, ….
// Offsets name the start of a pair (its field).

// FindPair returns the offset of field's pair, or -1.
func FindPair(b, field []byte) int {
	for off := 0; off < len(b); {
		f, next := Next(b, off)
		if bytes.Equal(f, field) {
			return off
		}
		off = Skip(b, next)
	}
	return -1
}

// PairAt decodes the pair at off and returns the offset of the next one.
func PairAt(b []byte, off int) (field, value []byte, next int) {
	field, off = Next(b, off)
	value, off = Next(b, off)
	return field, value, off
}

// SetValue replaces the value of the pair at off (see Replace).
func SetValue(b []byte, off int, value []byte) []byte {
	return Replace(b, Skip(b, off), value)
}

// AppendPair adds field and value at the end.
func AppendPair(b, field, value []byte) []byte { return Append(Append(b, field), value) }

// DeletePair removes the pair at off, keeping the order of the others.
func DeletePair(b []byte, off int) []byte { return Delete(b, off, Skip(b, Skip(b, off))) }
