package packed

import "fmt"

// Check verifies that b is a whole number of strings (of pairs when
// pairs is set) ending exactly at its end. For tests and loaders' sanity
// checks.
func Check(b []byte, pairs bool) error {
	n := 0
	for off := 0; off < len(b); n++ {
		x, shift, i := 0, 0, off
		for {
			if i >= len(b) || shift > 56 {
				return fmt.Errorf("string %d at %d: length runs past the end", n, off)
			}
			c := b[i]
			i++
			x |= int(c&0x7f) << shift
			if c < 0x80 {
				break
			}
			shift += 7
		}
		if x < 0 || i+x > len(b) {
			return fmt.Errorf("string %d at %d: %d bytes past the end", n, off, x)
		}
		off = i + x
	}
	if pairs && n%2 != 0 {
		return fmt.Errorf("%d strings: not pairs", n)
	}
	return nil
}
