package packed

import (
	"encoding/binary"
	"fmt"
)

// Check verifies that b is a whole number of strings (of pairs when
// pairs is set) ending exactly at its end. For tests and loaders' sanity
// checks.
func Check(b []byte, pairs bool) error {
	n := 0
	for off := 0; off < len(b); n++ {
		x, k := binary.Uvarint(b[off:])
		if k <= 0 {
			return fmt.Errorf("string %d at %d: length runs past the end", n, off)
		}
		if x > uint64(len(b)-off-k) {
			return fmt.Errorf("string %d at %d: %d bytes past the end", n, off, x)
		}
		off += k + int(x)
	}
	if pairs && n%2 != 0 {
		return fmt.Errorf("%d strings: not pairs", n)
	}
	return nil
}
