package quicklist

import (
	"bytes"
	"fmt"
)

// Check verifies the list's invariants and reports the first violation:
// the chain's links, the element count, every chunk within the limits and
// never empty, its free room in range, and its boundaries decoding to the
// same elements read from either end and ending exactly at its bytes'
// ends. It walks the whole list; tests and debugging use it.
func (l *List) Check() error {
	if (l.head == nil) != (l.tail == nil) {
		return fmt.Errorf("head %p tail %p", l.head, l.tail)
	}
	if l.head != nil && l.head.prev != nil {
		return fmt.Errorf("head has a prev")
	}
	if l.tail != nil && l.tail.next != nil {
		return fmt.Errorf("tail has a next")
	}
	count, i := 0, 0
	var prev *node
	for n := l.head; n != nil; prev, n, i = n, n.next, i+1 {
		if n.prev != prev {
			return fmt.Errorf("chunk %d: prev link broken", i)
		}
		if n.next == nil && n != l.tail {
			return fmt.Errorf("chunk %d: chain ends before the tail", i)
		}
		if err := n.check(); err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
		count += int(n.n)
	}
	if count != l.count {
		return fmt.Errorf("count %d, chunks hold %d", l.count, count)
	}
	return nil
}

func (n *node) check() error {
	if n.n < 1 || n.n > maxEntries {
		return fmt.Errorf("%d elements", n.n)
	}
	if n.off < 0 || int(n.off) > len(n.mem) {
		return fmt.Errorf("offset %d of %d bytes", n.off, len(n.mem))
	}
	b := n.buf()
	if n.n > 1 && len(b) > maxBytes {
		return fmt.Errorf("%d elements in %d bytes", n.n, len(b))
	}
	fwd := make([][]byte, 0, n.n)
	off, last := 0, 0
	for j := 0; j < int(n.n); j++ {
		if off >= len(b) {
			return fmt.Errorf("element %d: forward walk ran off the end", j)
		}
		x, w := getFwd(b, off)
		size := x ^ last
		if off+w+size > len(b) {
			return fmt.Errorf("element %d: %d bytes at %d overrun %d", j, size, off+w, len(b))
		}
		fwd = append(fwd, b[off+w:off+w+size])
		off, last = off+w+size, size
	}
	if off >= len(b) {
		return fmt.Errorf("no final boundary")
	}
	x, w := getFwd(b, off)
	if x != last || off+w != len(b) {
		return fmt.Errorf("final boundary %d (width %d at %d of %d), want %d", x, w, off, len(b), last)
	}
	end, next := len(b), 0
	for j := int(n.n) - 1; j >= 0; j-- {
		x, w := getBack(b, end)
		size := x ^ next
		if end-w-size < 0 {
			return fmt.Errorf("element %d: backward walk ran off the start", j)
		}
		if v := b[end-w-size : end-w]; !bytes.Equal(v, fwd[j]) {
			return fmt.Errorf("element %d: %q backwards, %q forwards", j, v, fwd[j])
		}
		end, next = end-w-size, size
	}
	if x, w := getBack(b, end); x != next || end != w {
		return fmt.Errorf("first boundary %d (width %d, ends at %d), want %d", x, w, end, next)
	}
	return nil
}
