// Package quicklist is the storage of Taconite's lists: a doubly linked
// chain of packed chunks. Each chunk holds its elements in one byte slice,
// every element written as its length (a uvarint), its bytes and its length
// again written backwards, so a chunk can be walked from either end. Pushes
// and pops at both ends touch only the end chunks: O(1) whatever the length.
// Work in the middle decodes and rewrites one chunk, whose size is bounded.
package quicklist

import "unsafe"

// Chunk limits: a chunk is closed when it holds maxEntries elements or its
// bytes reach maxBytes (an element bigger than that gets a chunk of its own).
const (
	maxEntries = 128
	maxBytes   = 8192
)

type node struct {
	prev, next *node
	buf        []byte
	n          int
	// mem is the array PushFront last allocated for buf, with free room
	// before buf's start so the next front pushes write in place. Other
	// writers may move buf elsewhere; headroom then reports none.
	mem []byte
}

// headroom is how many free bytes precede buf in mem: buf must still be a
// tail of mem (same array, same end), which no writer but PushFront and
// PopFront preserves.
func (n *node) headroom() int {
	if cap(n.mem) == 0 || cap(n.buf) == 0 {
		return 0
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(n.mem)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(n.buf)))
	if p < base || p+uintptr(cap(n.buf)) != base+uintptr(cap(n.mem)) {
		return 0
	}
	return int(p - base)
}

// List is a list of byte strings. The zero value is an empty list.
type List struct {
	head, tail *node
	count      int
	bytes      int // total bytes of the chunk buffers
}

// New returns an empty list.
func New() *List { return &List{} }

// Len is the number of elements.
func (l *List) Len() int { return l.count }

// encoding of one element

func uvarintLen(x int) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func appendEntry(b []byte, v []byte) []byte {
	x := len(v)
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	b = append(b, byte(x))
	b = append(b, v...)
	// backwards: the last byte holds the lowest 7 bits, earlier bytes the
	// higher ones; the high bit marks "more bytes to the left", so a reader
	// from the right knows where to stop.
	k := uvarintLen(len(v))
	start := len(b)
	for i := 0; i < k; i++ {
		b = append(b, 0)
	}
	x = len(v)
	for i := len(b) - 1; i >= start; i-- {
		c := byte(x & 0x7f)
		x >>= 7
		if i > start {
			c |= 0x80
		}
		b[i] = c
	}
	return b
}

func entrySize(v []byte) int { return 2*uvarintLen(len(v)) + len(v) }

// readFwd decodes the element at off, returning it and the offset after.
func readFwd(b []byte, off int) ([]byte, int) {
	x, shift := 0, 0
	for {
		c := b[off]
		off++
		x |= int(c&0x7f) << shift
		if c < 0x80 {
			break
		}
		shift += 7
	}
	v := b[off : off+x : off+x]
	return v, off + x + uvarintLen(x)
}

// readBack decodes the element ending at end, returning it and its start.
func readBack(b []byte, end int) ([]byte, int) {
	x, shift, i := 0, 0, end
	for {
		i--
		c := b[i]
		x |= int(c&0x7f) << shift
		if c < 0x80 {
			break
		}
		shift += 7
	}
	k := uvarintLen(x)
	vend := i
	vstart := vend - x
	return b[vstart:vend:vend], vstart - k
}

func (n *node) items() [][]byte {
	out := make([][]byte, 0, n.n)
	for off := 0; off < len(n.buf); {
		var v []byte
		v, off = readFwd(n.buf, off)
		out = append(out, v)
	}
	return out
}

func (n *node) fits(v []byte) bool {
	return n.n < maxEntries && len(n.buf)+entrySize(v) <= maxBytes
}

// chain management

func (l *List) linkFront(n *node) {
	n.next = l.head
	if l.head != nil {
		l.head.prev = n
	} else {
		l.tail = n
	}
	l.head = n
}

func (l *List) linkBack(n *node) {
	n.prev = l.tail
	if l.tail != nil {
		l.tail.next = n
	} else {
		l.head = n
	}
	l.tail = n
}

func (l *List) unlink(n *node) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		l.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		l.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

// PushBack appends v (copied).
func (l *List) PushBack(v []byte) {
	if l.tail == nil || !l.tail.fits(v) {
		l.linkBack(&node{buf: make([]byte, 0, 64)})
	}
	t := l.tail
	old := len(t.buf)
	t.buf = appendEntry(t.buf, v)
	t.n++
	l.count++
	l.bytes += len(t.buf) - old
}

// PushFront prepends v (copied). It writes into free room kept before the
// head chunk's bytes, so pushing is amortised O(len(v)), not a copy of the
// chunk each time.
func (l *List) PushFront(v []byte) {
	if l.head == nil || !l.head.fits(v) {
		l.linkFront(&node{})
	}
	h := l.head
	need := entrySize(v)
	if room := h.headroom(); room >= need {
		start := room - need
		appendEntry(h.mem[start:start:room], v)
		h.buf = h.mem[start : room+len(h.buf)]
	} else {
		// Leave as much room again as the chunk holds, so the chunk is
		// reallocated only O(log) times while it fills.
		extra := min(max(64, len(h.buf)), maxBytes)
		extra = max(extra, need)
		total := extra + len(h.buf)
		mem := make([]byte, total)
		start := extra - need
		appendEntry(mem[start:start:extra], v)
		copy(mem[extra:], h.buf)
		h.mem = mem
		h.buf = mem[start:total]
	}
	h.n++
	l.count++
	l.bytes += need
}

// PopFront removes and returns the first element (a fresh copy).
func (l *List) PopFront() ([]byte, bool) {
	h := l.head
	if h == nil {
		return nil, false
	}
	v, next := readFwd(h.buf, 0)
	out := append([]byte(nil), v...)
	h.buf = h.buf[next:]
	h.n--
	l.count--
	l.bytes -= next
	if h.n == 0 {
		l.unlink(h)
	}
	return out, true
}

// PopBack removes and returns the last element (a fresh copy).
func (l *List) PopBack() ([]byte, bool) {
	t := l.tail
	if t == nil {
		return nil, false
	}
	v, start := readBack(t.buf, len(t.buf))
	out := append([]byte(nil), v...)
	l.bytes -= len(t.buf) - start
	t.buf = t.buf[:start]
	t.n--
	l.count--
	if t.n == 0 {
		l.unlink(t)
	}
	return out, true
}

// locate finds the node holding index i (0 <= i < Len) and i's position
// inside it, walking from the nearer end.
func (l *List) locate(i int) (*node, int) {
	if i < l.count/2 {
		for n := l.head; n != nil; n = n.next {
			if i < n.n {
				return n, i
			}
			i -= n.n
		}
		return nil, 0
	}
	j := l.count - 1 - i // index from the end
	for n := l.tail; n != nil; n = n.prev {
		if j < n.n {
			return n, n.n - 1 - j
		}
		j -= n.n
	}
	return nil, 0
}

// Index returns element i (0-based, negative from the end). The slice
// aliases the list until its next change.
func (l *List) Index(i int) ([]byte, bool) {
	if i < 0 {
		i += l.count
	}
	if i < 0 || i >= l.count {
		return nil, false
	}
	n, k := l.locate(i)
	if k <= n.n/2 {
		off := 0
		var v []byte
		for j := 0; j <= k; j++ {
			v, off = readFwd(n.buf, off)
		}
		return v, true
	}
	end := len(n.buf)
	var v []byte
	for j := n.n - 1; j >= k; j-- {
		v, end = readBack(n.buf, end)
	}
	return v, true
}

// rewrite replaces node n's contents by items, splitting it into as many
// chunks as the limits need (or removing it when items is empty).
func (l *List) rewrite(n *node, items [][]byte) {
	l.bytes -= len(n.buf)
	l.count -= n.n
	if len(items) == 0 {
		l.unlink(n)
		return
	}
	cur := n
	cur.buf = make([]byte, 0, len(n.buf)+64)
	cur.n = 0
	for _, v := range items {
		if cur.n > 0 && !cur.fits(v) {
			nn := &node{buf: make([]byte, 0, 64), prev: cur, next: cur.next}
			if cur.next != nil {
				cur.next.prev = nn
			} else {
				l.tail = nn
			}
			cur.next = nn
			l.bytes += len(cur.buf)
			cur = nn
		}
		cur.buf = appendEntry(cur.buf, v)
		cur.n++
		l.count++
	}
	l.bytes += len(cur.buf)
}

// Set replaces element i (negative from the end); false if out of range.
func (l *List) Set(i int, v []byte) bool {
	if i < 0 {
		i += l.count
	}
	if i < 0 || i >= l.count {
		return false
	}
	n, k := l.locate(i)
	items := n.items()
	items[k] = v
	l.rewrite(n, items)
	return true
}

// Insert puts v at index i (0 <= i <= Len), shifting later elements.
func (l *List) Insert(i int, v []byte) {
	switch {
	case i <= 0:
		l.PushFront(v)
		return
	case i >= l.count:
		l.PushBack(v)
		return
	}
	n, k := l.locate(i)
	items := n.items()
	items = append(items, nil)
	copy(items[k+1:], items[k:])
	items[k] = v
	l.rewrite(n, items)
}

// Range calls fn for elements start..end (inclusive, already clamped to
// the list) in order, until fn returns false. Values alias the list.
func (l *List) Range(start, end int, fn func(i int, v []byte) bool) {
	if start < 0 || end >= l.count || start > end {
		return
	}
	n, k := l.locate(start)
	i := start
	for ; n != nil; n, k = n.next, 0 {
		off := 0
		for j := 0; j < n.n; j++ {
			var v []byte
			v, off = readFwd(n.buf, off)
			if j < k {
				continue
			}
			if i > end || !fn(i, v) {
				return
			}
			i++
		}
	}
}

// RangeRev calls fn for elements from end down to start (inclusive), until
// fn returns false. Values alias the list.
func (l *List) RangeRev(start, end int, fn func(i int, v []byte) bool) {
	if start < 0 || end >= l.count || start > end {
		return
	}
	n, k := l.locate(end)
	i := end
	for ; n != nil; n = n.prev {
		if k < 0 {
			k = n.n - 1
		}
		pos := len(n.buf)
		for j := n.n - 1; j >= 0; j-- {
			var v []byte
			v, pos = readBack(n.buf, pos)
			if j > k {
				continue
			}
			if i < start || !fn(i, v) {
				return
			}
			i--
		}
		k = -1
	}
}

// Filter keeps the elements for which keep returns true (in order) and
// reports how many it removed. keep sees elements front to back.
func (l *List) Filter(keep func(v []byte) bool) int {
	removed := 0
	for n := l.head; n != nil; {
		next := n.next
		items := n.items()
		kept := items[:0:0]
		for _, v := range items {
			if keep(v) {
				kept = append(kept, v)
			}
		}
		if len(kept) != len(items) {
			removed += len(items) - len(kept)
			l.rewrite(n, kept)
		}
		n = next
	}
	return removed
}

// FilterRev is Filter walking from back to front.
func (l *List) FilterRev(keep func(v []byte) bool) int {
	removed := 0
	for n := l.tail; n != nil; {
		prev := n.prev
		items := n.items()
		drop := make([]bool, len(items))
		changed := false
		for j := len(items) - 1; j >= 0; j-- {
			if !keep(items[j]) {
				drop[j] = true
				changed = true
			}
		}
		if changed {
			kept := make([][]byte, 0, len(items))
			for j, v := range items {
				if !drop[j] {
					kept = append(kept, v)
				}
			}
			removed += len(items) - len(kept)
			l.rewrite(n, kept)
		}
		n = prev
	}
	return removed
}

// Trim keeps only elements start..end (inclusive, clamped by the caller);
// start > end empties the list.
func (l *List) Trim(start, end int) {
	if start > end || start >= l.count || end < 0 {
		l.head, l.tail, l.count, l.bytes = nil, nil, 0, 0
		return
	}
	back := l.count - 1 - end
	for back > 0 {
		t := l.tail
		if t.n <= back {
			back -= t.n
			l.count -= t.n
			l.bytes -= len(t.buf)
			l.unlink(t)
			continue
		}
		l.PopBack()
		back--
	}
	for start > 0 {
		h := l.head
		if h.n <= start {
			start -= h.n
			l.count -= h.n
			l.bytes -= len(h.buf)
			l.unlink(h)
			continue
		}
		l.PopFront()
		start--
	}
}

// Clone returns a deep copy.
func (l *List) Clone() *List {
	c := &List{count: l.count, bytes: l.bytes}
	for n := l.head; n != nil; n = n.next {
		c.linkBack(&node{buf: append([]byte(nil), n.buf...), n: n.n})
	}
	return c
}

// MemoryUsage approximates the bytes the list takes.
func (l *List) MemoryUsage() int {
	chunks := 0
	for n := l.head; n != nil; n = n.next {
		chunks += 48 + cap(n.buf)
	}
	return 40 + chunks
}
