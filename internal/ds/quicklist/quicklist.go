// Package quicklist is the storage of Taconite's lists: a doubly linked
// chain of packed chunks. Pushes and pops at both ends touch only the end
// chunks: O(1) whatever the length. Work in the middle decodes and
// rewrites one chunk, whose size is bounded.
//
// A chunk is one byte slice holding its n elements' bytes separated by
// n+1 "boundaries":
//
//	B0 v1 B1 v2 B2 ... vn Bn    with Bi = len(vi) XOR len(vi+1)
//
// where len(v0) = len(vn+1) = 0, so B0 = len(v1) and Bn = len(vn). A
// reader from the front knows the previous length and gets the next one
// from the boundary; a reader from the back does the same the other way.
// That costs one byte per element (plus one) for elements shorter than 128
// bytes, where storing each length at both ends would cost two. A
// boundary's encoding reads the same from either end:
//
//	0xxxxxxx                          x < 128
//	10xxxxxx 10xxxxxx                 x < 4096, high 6 bits first
//	1100kkkk [k bytes little-endian] 1100kkkk   otherwise
//
// The XOR of two lengths under 128 (or 4096) is under 128 (4096), and
// XOR with a small length keeps the higher bits, so replacing an end
// boundary never needs more room than the element it goes with freed.
package quicklist

import "slices"

// Chunk limits: a chunk is closed when it holds maxEntries elements or its
// bytes reach maxBytes (an element bigger than that gets a chunk of its own).
const (
	maxEntries = 128
	maxBytes   = 8192
)

// node is one chunk. Its bytes are mem[off:]; mem[:off] is free room that
// front pushes write into, and cap(mem)-len(mem) room for back pushes.
type node struct {
	prev, next *node
	mem        []byte
	off        int32
	n          int32
}

func (n *node) buf() []byte { return n.mem[n.off:] }

// compact drops the free room around a chunk that is no longer an end of
// its list (a chunk was linked beyond it), so long lists built by single
// pushes keep no growth slack in their middle chunks. Small slack is not
// worth a copy.
func (n *node) compact() {
	size := len(n.mem) - int(n.off)
	if waste := cap(n.mem) - size; waste > 32 && waste*8 > size {
		n.mem = append(make([]byte, 0, size), n.mem[n.off:]...)
		n.off = 0
	}
}

// List is a list of byte strings. The zero value is an empty list.
type List struct {
	head, tail *node
	count      int
}

// New returns an empty list.
func New() *List { return &List{} }

// Len is the number of elements.
func (l *List) Len() int { return l.count }

// boundary encoding

// bw is the width of x's boundary encoding.
func bw(x int) int {
	if x < 0x80 {
		return 1
	}
	if x < 1<<12 {
		return 2
	}
	k := 0
	for ; x > 0; x >>= 8 {
		k++
	}
	return k + 2
}

// appendB appends x's boundary encoding.
func appendB(b []byte, x int) []byte {
	if x < 0x80 {
		return append(b, byte(x))
	}
	if x < 1<<12 {
		return append(b, 0x80|byte(x>>6), 0x80|byte(x&0x3f))
	}
	k := bw(x) - 2
	b = append(b, 0xc0|byte(k))
	for i := 0; i < k; i++ {
		b = append(b, byte(x>>(8*i)))
	}
	return append(b, 0xc0|byte(k))
}

// putB writes x's boundary encoding at the start of b (which has room).
func putB(b []byte, x int) {
	appendB(b[:0], x)
}

// getFwd decodes the boundary starting at off: its value and width.
// Element walks test for the one-byte form themselves before calling it
// (or getBack, which is too big to inline): that is the common case.
func getFwd(b []byte, off int) (x, w int) {
	c := b[off]
	if c < 0x80 {
		return int(c), 1
	}
	if c < 0xc0 {
		return int(c&0x3f)<<6 | int(b[off+1]&0x3f), 2
	}
	k := int(c & 0x0f)
	for i := k - 1; i >= 0; i-- {
		x = x<<8 | int(b[off+1+i])
	}
	return x, k + 2
}

// getBack decodes the boundary ending at end: its value and width.
func getBack(b []byte, end int) (x, w int) {
	c := b[end-1]
	if c < 0x80 {
		return int(c), 1
	}
	if c < 0xc0 {
		return int(b[end-2]&0x3f)<<6 | int(c&0x3f), 2
	}
	k := int(c & 0x0f)
	for i := k - 1; i >= 0; i-- {
		x = x<<8 | int(b[end-1-k+i])
	}
	return x, k + 2
}

// fwdIter walks a chunk's elements front to back.
type fwdIter struct {
	b         []byte
	off, prev int
}

func (it *fwdIter) next() []byte {
	x, w := int(it.b[it.off]), 1
	if x >= 0x80 {
		x, w = getFwd(it.b, it.off)
	}
	n := x ^ it.prev
	s := it.off + w
	it.off, it.prev = s+n, n
	return it.b[s : s+n : s+n]
}

// backIter walks a chunk's elements back to front.
type backIter struct {
	b         []byte
	end, next int
}

func (it *backIter) prev() []byte {
	x, w := int(it.b[it.end-1]), 1
	if x >= 0x80 {
		x, w = getBack(it.b, it.end)
	}
	n := x ^ it.next
	e := it.end - w
	it.end, it.next = e-n, n
	return it.b[e-n : e : e]
}

// chunkFill is how many of vals (at least one) a fresh chunk takes, and
// that chunk's size in bytes. The size does not depend on the order the
// values are laid out in, so it serves front pushes too.
func chunkFill(vals [][]byte) (k, size int) {
	size = 1 // the lone boundary of an empty chunk
	last := 0
	for k < len(vals) {
		n := len(vals[k])
		grown := size - bw(last) + bw(last^n) + n + bw(n)
		if k > 0 && (k == maxEntries || grown > maxBytes) {
			break
		}
		size, last = grown, n
		k++
	}
	return k, size
}

// appendChunk lays out vals as a chunk at the end of b.
func appendChunk(b []byte, vals [][]byte) []byte {
	prev := 0
	for _, v := range vals {
		b = appendB(b, prev^len(v))
		b = append(b, v...)
		prev = len(v)
	}
	return appendB(b, prev)
}

// appendChunkRev lays out vals last to first as a chunk at the end of b.
func appendChunkRev(b []byte, vals [][]byte) []byte {
	prev := 0
	for i := len(vals) - 1; i >= 0; i-- {
		v := vals[i]
		b = appendB(b, prev^len(v))
		b = append(b, v...)
		prev = len(v)
	}
	return appendB(b, prev)
}

func (n *node) items() [][]byte {
	out := make([][]byte, n.n)
	it := fwdIter{b: n.buf()}
	for i := range out {
		out[i] = it.next()
	}
	return out
}

// chain management

func (l *List) linkFront(n *node) {
	n.next = l.head
	if l.head != nil {
		l.head.prev = n
		l.head.compact()
	} else {
		l.tail = n
	}
	l.head = n
}

func (l *List) linkBack(n *node) {
	n.prev = l.tail
	if l.tail != nil {
		l.tail.next = n
		l.tail.compact()
	} else {
		l.head = n
	}
	l.tail = n
}

// linkAfter puts nn right after n.
func (l *List) linkAfter(n, nn *node) {
	nn.prev, nn.next = n, n.next
	if n.next != nil {
		n.next.prev = nn
	} else {
		l.tail = nn
	}
	n.next = nn
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
	if t := l.tail; t != nil && l.pushBackInto(t, v) {
		return
	}
	mem := appendChunk(make([]byte, 0, 2*bw(len(v))+len(v)), [][]byte{v})
	l.linkBack(&node{mem: mem, n: 1})
	l.count++
}

// growRoom is the free room a chunk of size bytes, outgrowing its array,
// gets in the new one: half its size again, so single pushes cost
// amortised O(len(v)) while an end chunk keeps a third of its array free
// at most; at least 64, and never past maxBytes, which no chunk of several
// elements exceeds (a chunk closed by its byte limit has little slack).
func growRoom(size int) int {
	return max(0, min(max(size/2, 64), maxBytes-size))
}

// allocClass returns an empty slice with room for at least n bytes: all
// of the allocator's size class that n rounds up to, which is taken
// anyway.
func allocClass(n int) []byte {
	return slices.Grow([]byte(nil), n)
}

// pushBackInto appends v to chunk t if the limits allow.
func (l *List) pushBackInto(t *node, v []byte) bool {
	if t.n >= maxEntries {
		return false
	}
	last, w := getBack(t.mem, len(t.mem))
	n := len(v)
	x := last ^ n
	size := len(t.mem) - int(t.off)
	grown := size + bw(x) + n + bw(n) - w
	if grown > maxBytes {
		return false
	}
	if int(t.off)+grown > cap(t.mem) {
		t.mem = append(allocClass(int(t.off)+grown+growRoom(grown)), t.mem...)
	}
	b := appendB(t.mem[:len(t.mem)-w], x)
	b = append(b, v...)
	t.mem = appendB(b, n)
	t.n++
	l.count++
	return true
}

// PushBackMany appends vals in order (copied), as one RPUSH. Chunks it
// starts get exactly the room their elements need.
func (l *List) PushBackMany(vals [][]byte) {
	for len(vals) > 0 && l.tail != nil && l.pushBackInto(l.tail, vals[0]) {
		vals = vals[1:]
	}
	for len(vals) > 0 {
		k, size := chunkFill(vals)
		l.linkBack(&node{mem: appendChunk(make([]byte, 0, size), vals[:k]), n: int32(k)})
		l.count += k
		vals = vals[k:]
	}
}

// PushFront prepends v (copied). It writes into free room kept before the
// head chunk's bytes, so pushing is amortised O(len(v)), not a copy of the
// chunk each time.
func (l *List) PushFront(v []byte) {
	if h := l.head; h != nil && l.pushFrontInto(h, v) {
		return
	}
	size := 2*bw(len(v)) + len(v)
	var mem []byte
	if l.head != nil {
		// A list growing at the front: room for the next pushes.
		mem = allocClass(size + growRoom(size))
		mem = mem[:cap(mem)-size]
	} else {
		mem = make([]byte, 0, size)
	}
	room := len(mem)
	mem = appendChunk(mem, [][]byte{v})
	l.linkFront(&node{mem: mem, off: int32(room), n: 1})
	l.count++
}

// pushFrontInto prepends v to chunk h if the limits allow.
func (l *List) pushFrontInto(h *node, v []byte) bool {
	if h.n >= maxEntries {
		return false
	}
	off := int(h.off)
	first, w := getFwd(h.mem, off)
	n := len(v)
	x := n ^ first
	need := bw(n) + n + bw(x) // replaces the w bytes of B0
	size := len(h.mem) - off
	if size-w+need > maxBytes {
		return false
	}
	start := off + w - need
	if start < 0 {
		grown := size - w + need
		mem := allocClass(grown + growRoom(grown))
		mem = mem[:cap(mem)]
		start = len(mem) - grown
		copy(mem[start+need:], h.mem[off+w:])
		h.mem = mem
	}
	b := appendB(h.mem[start:start], n)
	b = append(b, v...)
	appendB(b, x)
	h.off = int32(start)
	h.n++
	l.count++
	return true
}

// PushFrontMany pushes vals to the front one after the other (copied), as
// one LPUSH: the last one ends up first. Chunks it starts get exactly the
// room their elements need.
func (l *List) PushFrontMany(vals [][]byte) {
	for len(vals) > 0 && l.head != nil && l.pushFrontInto(l.head, vals[0]) {
		vals = vals[1:]
	}
	for len(vals) > 0 {
		k, size := chunkFill(vals)
		l.linkFront(&node{mem: appendChunkRev(make([]byte, 0, size), vals[:k]), n: int32(k)})
		l.count += k
		vals = vals[k:]
	}
}

// PopFront removes and returns the first element (a fresh copy).
func (l *List) PopFront() ([]byte, bool) {
	h := l.head
	if h == nil {
		return nil, false
	}
	b, off := h.mem, int(h.off)
	first, w := getFwd(b, off)
	s := off + w
	e := s + first
	out := append([]byte(nil), b[s:e]...)
	l.count--
	if h.n == 1 {
		l.unlink(h)
		return out, true
	}
	x, w2 := getFwd(b, e)
	second := x ^ first
	start := e + w2 - bw(second)
	putB(b[start:], second)
	h.off = int32(start)
	h.n--
	return out, true
}

// PopBack removes and returns the last element (a fresh copy).
func (l *List) PopBack() ([]byte, bool) {
	t := l.tail
	if t == nil {
		return nil, false
	}
	b := t.mem
	last, w := getBack(b, len(b))
	e := len(b) - w
	s := e - last
	out := append([]byte(nil), b[s:e]...)
	l.count--
	if t.n == 1 {
		l.unlink(t)
		return out, true
	}
	x, w2 := getBack(b, s)
	t.mem = appendB(b[:s-w2], x^last)
	t.n--
	return out, true
}

// locate finds the node holding index i (0 <= i < Len) and i's position
// inside it, walking from the nearer end.
func (l *List) locate(i int) (*node, int) {
	if i < l.count/2 {
		for n := l.head; n != nil; n = n.next {
			if i < int(n.n) {
				return n, i
			}
			i -= int(n.n)
		}
		return nil, 0
	}
	j := l.count - 1 - i // index from the end
	for n := l.tail; n != nil; n = n.prev {
		if j < int(n.n) {
			return n, int(n.n) - 1 - j
		}
		j -= int(n.n)
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
	var v []byte
	if k <= int(n.n)/2 {
		it := fwdIter{b: n.buf()}
		for j := 0; j <= k; j++ {
			v = it.next()
		}
		return v, true
	}
	b := n.buf()
	it := backIter{b: b, end: len(b)}
	for j := int(n.n) - 1; j >= k; j-- {
		v = it.prev()
	}
	return v, true
}

// rewrite replaces node n's contents by items, splitting it into as many
// exactly sized chunks as the limits need (or removing it when items is
// empty).
func (l *List) rewrite(n *node, items [][]byte) {
	l.count -= int(n.n)
	if len(items) == 0 {
		l.unlink(n)
		return
	}
	l.count += len(items)
	cur := n
	for {
		k, size := chunkFill(items)
		cur.mem = appendChunk(make([]byte, 0, size), items[:k])
		cur.off, cur.n = 0, int32(k)
		items = items[k:]
		if len(items) == 0 {
			return
		}
		nn := &node{}
		l.linkAfter(cur, nn)
		cur = nn
	}
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
		// fwdIter.next by hand: a call per element shows in LRANGE.
		b := n.buf()
		off, prev := 0, 0
		for j := 0; j < int(n.n); j++ {
			x, w := int(b[off]), 1
			if x >= 0x80 {
				x, w = getFwd(b, off)
			}
			size := x ^ prev
			s := off + w
			off, prev = s+size, size
			v := b[s:off:off]
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
	for ; n != nil; n, k = n.prev, -1 {
		if k < 0 {
			k = int(n.n) - 1
		}
		// backIter.prev by hand, as in Range.
		b := n.buf()
		end, next := len(b), 0
		for j := int(n.n) - 1; j >= 0; j-- {
			x, w := int(b[end-1]), 1
			if x >= 0x80 {
				x, w = getBack(b, end)
			}
			size := x ^ next
			e := end - w
			end, next = e-size, size
			v := b[end:e:e]
			if j > k {
				continue
			}
			if i < start || !fn(i, v) {
				return
			}
			i--
		}
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
		l.head, l.tail, l.count = nil, nil, 0
		return
	}
	back := l.count - 1 - end
	for back > 0 {
		t := l.tail
		if int(t.n) <= back {
			back -= int(t.n)
			l.count -= int(t.n)
			l.unlink(t)
			continue
		}
		l.PopBack()
		back--
	}
	for start > 0 {
		h := l.head
		if int(h.n) <= start {
			start -= int(h.n)
			l.count -= int(h.n)
			l.unlink(h)
			continue
		}
		l.PopFront()
		start--
	}
}

// Clone returns a deep copy, its chunks without free room.
func (l *List) Clone() *List {
	c := &List{count: l.count}
	for n := l.head; n != nil; n = n.next {
		nn := &node{mem: append([]byte(nil), n.buf()...), n: n.n}
		nn.prev = c.tail
		if c.tail != nil {
			c.tail.next = nn
		} else {
			c.head = nn
		}
		c.tail = nn
	}
	return c
}

// MemoryUsage approximates the bytes the list takes: its header and, per
// chunk, the node and its array.
func (l *List) MemoryUsage() int {
	chunks := 0
	for n := l.head; n != nil; n = n.next {
		chunks += 48 + cap(n.mem)
	}
	return 24 + chunks
}
