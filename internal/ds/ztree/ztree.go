package ztree

import (
	"math"
	"unsafe"
)

const (
	leafMax  = 32 // elements in a leaf
	innerMax = 16 // children of an inner node
	// A leaf or inner node below its minimum (except the root) is merged
	// with a neighbour or takes elements from it, so the tree stays at
	// least a quarter full after deletions.
	leafMin  = leafMax / 4
	innerMin = innerMax / 4
)

type leaf struct {
	n          int
	prev, next *leaf
	scores     [leafMax]float64
	members    [leafMax]string
}

// inner is a node above the leaves. For child i, counts[i] is the number
// of elements under it and (scores[i], members[i]) its greatest element:
// a search takes the first child whose greatest element is not below the
// key. kids are *inner, or *leaf in the nodes just above the leaves.
type inner struct {
	n       int
	size    int // sum of counts
	counts  [innerMax]int
	scores  [innerMax]float64
	members [innerMax]string
	kids    [innerMax]unsafe.Pointer
}

// Tree is the index; the zero value is not usable, call New.
type Tree struct {
	root        unsafe.Pointer // *leaf when height is 0, else *inner
	height      int
	length      int
	first, last *leaf
	leaves      int // for MemoryUsage
	inners      int
	// memberBytes is the members' total length, kept per insert and
	// removal so that MemoryUsage (MEMORY USAGE, eviction's accounting of
	// a sorted set it drops) needs no walk over every member.
	memberBytes int
}

// New returns an empty tree.
func New() *Tree {
	l := new(leaf)
	return &Tree{root: unsafe.Pointer(l), first: l, last: l, leaves: 1}
}

// Less orders two elements by score then member.
func Less(s1 float64, m1 string, s2 float64, m2 string) bool {
	if s1 != s2 {
		return s1 < s2
	}
	return m1 < m2
}

// Len is the number of elements.
func (t *Tree) Len() int { return t.length }

// Pos is a place in the tree: an element, or none (Valid false). A Pos
// is good until the tree changes.
type Pos struct {
	l *leaf
	i int
}

// Valid reports whether p is an element.
func (p Pos) Valid() bool { return p.l != nil }

// Score is the element's score.
func (p Pos) Score() float64 { return p.l.scores[p.i] }

// Member is the element's member.
func (p Pos) Member() string { return p.l.members[p.i] }

// Next is the following element, or an invalid Pos.
func (p Pos) Next() Pos { return norm(p.l, p.i+1) }

// Prev is the preceding element, or an invalid Pos.
func (p Pos) Prev() Pos {
	if p.i > 0 {
		return Pos{p.l, p.i - 1}
	}
	if p.l.prev != nil {
		return Pos{p.l.prev, p.l.prev.n - 1}
	}
	return Pos{}
}

// First is the lowest element (invalid when empty).
func (t *Tree) First() Pos {
	if t.length == 0 {
		return Pos{}
	}
	return Pos{t.first, 0}
}

// Last is the highest element (invalid when empty).
func (t *Tree) Last() Pos {
	if t.length == 0 {
		return Pos{}
	}
	return Pos{t.last, t.last.n - 1}
}

// norm turns the place just past a leaf's end into the next leaf's first.
func norm(l *leaf, i int) Pos {
	if i < l.n {
		return Pos{l, i}
	}
	if l.next != nil {
		return Pos{l.next, 0}
	}
	return Pos{}
}

// search is the index of the first element of l not below (s, m).
func (l *leaf) search(s float64, m string) int {
	lo, hi := 0, l.n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if Less(l.scores[h], l.members[h], s, m) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// find is the index of (s, m) in l, or -1.
func (l *leaf) find(s float64, m string) int {
	i := l.search(s, m)
	if i == l.n || l.scores[i] != s || l.members[i] != m {
		return -1
	}
	return i
}

// childFor is the child whose range holds (s, m): the first whose
// greatest element is not below it, or the last.
func (in *inner) childFor(s float64, m string) int {
	last := in.n - 1
	for i := 0; i < last; i++ {
		if sc := in.scores[i]; s < sc || s == sc && m <= in.members[i] {
			return i
		}
	}
	return last
}

func (l *leaf) insertAt(i int, s float64, m string) {
	copy(l.scores[i+1:l.n+1], l.scores[i:l.n])
	copy(l.members[i+1:l.n+1], l.members[i:l.n])
	l.scores[i], l.members[i] = s, m
	l.n++
}

func (l *leaf) removeAt(i int) {
	copy(l.scores[i:l.n-1], l.scores[i+1:l.n])
	copy(l.members[i:l.n-1], l.members[i+1:l.n])
	l.n--
	l.members[l.n] = "" // let the string go
}

// refresh recomputes in's entry for child i (its count and greatest
// element) and in's size. An empty leaf child keeps its old bound: it is
// about to be merged away (rebalance).
func (in *inner) refresh(i int, leafKid bool) {
	p := in.kids[i]
	old := in.counts[i]
	if leafKid {
		l := (*leaf)(p)
		in.counts[i] = l.n
		if l.n > 0 {
			in.scores[i], in.members[i] = l.scores[l.n-1], l.members[l.n-1]
		}
	} else {
		c := (*inner)(p)
		in.counts[i] = c.size
		in.scores[i], in.members[i] = c.scores[c.n-1], c.members[c.n-1]
	}
	in.size += in.counts[i] - old
}

// insertKid puts kid at child index i of in, which has room.
func (in *inner) insertKid(i int, kid unsafe.Pointer, leafKid bool) {
	n := in.n
	copy(in.counts[i+1:n+1], in.counts[i:n])
	copy(in.scores[i+1:n+1], in.scores[i:n])
	copy(in.members[i+1:n+1], in.members[i:n])
	copy(in.kids[i+1:n+1], in.kids[i:n])
	in.n++
	in.kids[i], in.counts[i] = kid, 0
	in.refresh(i, leafKid)
}

// removeKid drops child i of in.
func (in *inner) removeKid(i int) {
	n := in.n
	in.size -= in.counts[i]
	copy(in.counts[i:n-1], in.counts[i+1:n])
	copy(in.scores[i:n-1], in.scores[i+1:n])
	copy(in.members[i:n-1], in.members[i+1:n])
	copy(in.kids[i:n-1], in.kids[i+1:n])
	in.n--
	in.members[in.n], in.kids[in.n] = "", nil
}

// Insert adds (score, member), keeping member; it must not be present.
func (t *Tree) Insert(score float64, member string) {
	if split := t.insert(t.root, t.height, score, member); split != nil {
		r := new(inner)
		t.inners++
		leafKids := t.height == 0
		r.kids[0], r.kids[1], r.n = t.root, split, 2
		r.refresh(0, leafKids)
		r.refresh(1, leafKids)
		t.root = unsafe.Pointer(r)
		t.height++
	}
	t.length++
	t.memberBytes += len(member)
}

// InsertBytes is Insert of a member given as bytes the caller may reuse.
func (t *Tree) InsertBytes(score float64, member []byte) {
	t.Insert(score, string(member))
}

// insert adds (s, m) under p, a node at height h, and returns the new
// right sibling p split off to make room, or nil.
func (t *Tree) insert(p unsafe.Pointer, h int, s float64, m string) unsafe.Pointer {
	if h == 0 {
		l := (*leaf)(p)
		i := l.search(s, m)
		if l.n < leafMax {
			l.insertAt(i, s, m)
			return nil
		}
		r := t.splitLeaf(l, i)
		if i <= l.n {
			l.insertAt(i, s, m)
		} else {
			r.insertAt(i-l.n, s, m)
		}
		return unsafe.Pointer(r)
	}
	in := (*inner)(p)
	leafKids := h == 1
	i := in.childFor(s, m)
	split := t.insert(in.kids[i], h-1, s, m)
	in.refresh(i, leafKids)
	if split == nil {
		return nil
	}
	if in.n < innerMax {
		in.insertKid(i+1, split, leafKids)
		return nil
	}
	r := t.splitInner(in, i+1, leafKids)
	if i+1 <= in.n {
		in.insertKid(i+1, split, leafKids)
	} else {
		r.insertKid(i+1-in.n, split, leafKids)
	}
	return unsafe.Pointer(r)
}

// splitAt is where a full node of max entries splits to make room for
// one at index at: in the middle, except for an entry going to the very
// end or start, where the node keeps three quarters and the new one
// starts with a quarter (the minimum). Ascending loads (RDB files from
// Taconite, COPY) and descending ones (RDB files from Redis, which writes
// sorted sets from the top) then leave nodes three quarters full instead
// of half.
func splitAt(max, min, at int) int {
	switch at {
	case max:
		return max - min
	case 0:
		return min
	}
	return max / 2
}

// splitLeaf moves the upper part of l to a new leaf chained after it, to
// make room for an element at index at.
func (t *Tree) splitLeaf(l *leaf, at int) *leaf {
	r := new(leaf)
	t.leaves++
	half := splitAt(leafMax, leafMin, at)
	r.n = copy(r.scores[:], l.scores[half:l.n])
	copy(r.members[:], l.members[half:l.n])
	clear(l.members[half:l.n])
	l.n = half
	r.prev, r.next = l, l.next
	if l.next != nil {
		l.next.prev = r
	} else {
		t.last = r
	}
	l.next = r
	return r
}

// splitInner moves the upper part of in's children to a new node, to make
// room for a child at index at.
func (t *Tree) splitInner(in *inner, at int, leafKids bool) *inner {
	r := new(inner)
	t.inners++
	half := splitAt(innerMax, innerMin, at)
	for i := half; i < in.n; i++ {
		r.kids[i-half] = in.kids[i]
		r.n++
		r.refresh(i-half, leafKids)
		in.size -= in.counts[i]
		in.members[i], in.kids[i] = "", nil
	}
	in.n = half
	return r
}

// Delete removes (score, member); it reports whether it was found.
func (t *Tree) Delete(score float64, member string) bool {
	found, _, own := t.del(t.root, t.height, score, member, math.NaN())
	if found {
		t.removed(own)
	}
	return found
}

// removed is what follows the deletion of the element whose member was m:
// the length and member bytes, and a root left with one child gives way
// to it.
func (t *Tree) removed(m string) {
	t.length--
	t.memberBytes -= len(m)
	for t.height > 0 && (*inner)(t.root).n == 1 {
		t.root = (*inner)(t.root).kids[0]
		t.height--
		t.inners--
	}
}

// del removes (s, m) from under p, a node at height h, and reports whether
// it was there, with the tree's own copy of m. If stay is a score that
// keeps the element between its neighbours within its leaf, it rewrites
// the score instead and reports inPlace (pass NaN for no such check).
func (t *Tree) del(p unsafe.Pointer, h int, s float64, m string, stay float64) (found, inPlace bool, own string) {
	if h == 0 {
		l := (*leaf)(p)
		i := l.find(s, m)
		if i < 0 {
			return false, false, ""
		}
		// Not for the leaf's last element: its parents hold its score.
		if stay == stay && i+1 < l.n && Less(stay, m, l.scores[i+1], l.members[i+1]) {
			if left := (Pos{l, i}).Prev(); !left.Valid() || Less(left.Score(), left.Member(), stay, m) {
				l.scores[i] = stay
				return true, true, ""
			}
		}
		own = l.members[i]
		l.removeAt(i)
		return true, false, own
	}
	in := (*inner)(p)
	leafKids := h == 1
	i := in.childFor(s, m)
	found, inPlace, own = t.del(in.kids[i], h-1, s, m, stay)
	if !found || inPlace {
		return found, inPlace, own
	}
	in.refresh(i, leafKids)
	t.rebalance(in, i, h)
	return true, false, own
}

// rebalance fixes child i of in when a deletion left it under its
// minimum: merged with a neighbour when both fit in one node, else
// evened out with it. in is at height h.
func (t *Tree) rebalance(in *inner, i int, h int) {
	leafKids := h == 1
	var under bool
	if leafKids {
		under = in.counts[i] < leafMin
	} else {
		under = (*inner)(in.kids[i]).n < innerMin
	}
	if !under || in.n < 2 {
		return
	}
	a := i - 1 // merge or share with the left neighbour, or the right one
	if a < 0 {
		a = 0
	}
	if leafKids {
		t.balanceLeaves(in, a)
	} else {
		t.balanceInners(in, a, h == 2)
	}
}

// balanceLeaves merges or evens out leaf children a and a+1 of in.
func (t *Tree) balanceLeaves(in *inner, a int) {
	l, r := (*leaf)(in.kids[a]), (*leaf)(in.kids[a+1])
	if l.n+r.n <= leafMax {
		copy(l.scores[l.n:], r.scores[:r.n])
		copy(l.members[l.n:], r.members[:r.n])
		l.n += r.n
		l.next = r.next
		if r.next != nil {
			r.next.prev = l
		} else {
			t.last = l
		}
		*r = leaf{}
		t.leaves--
		in.removeKid(a + 1)
		in.refresh(a, true)
		return
	}
	total := l.n + r.n
	want := total / 2
	if l.n < want { // move r's first elements to l's end
		k := want - l.n
		copy(l.scores[l.n:], r.scores[:k])
		copy(l.members[l.n:], r.members[:k])
		copy(r.scores[:], r.scores[k:r.n])
		copy(r.members[:], r.members[k:r.n])
		clear(r.members[r.n-k : r.n])
		l.n, r.n = want, total-want
	} else { // move l's last elements to r's front
		k := l.n - want
		copy(r.scores[k:], r.scores[:r.n])
		copy(r.members[k:], r.members[:r.n])
		copy(r.scores[:k], l.scores[want:l.n])
		copy(r.members[:k], l.members[want:l.n])
		clear(l.members[want:l.n])
		l.n, r.n = want, total-want
	}
	in.refresh(a, true)
	in.refresh(a+1, true)
}

// balanceInners merges or evens out inner children a and a+1 of in;
// leafKids says whether their own children are leaves.
func (t *Tree) balanceInners(in *inner, a int, leafKids bool) {
	l, r := (*inner)(in.kids[a]), (*inner)(in.kids[a+1])
	if l.n+r.n <= innerMax {
		for j := 0; j < r.n; j++ {
			l.insertKid(l.n, r.kids[j], leafKids)
		}
		*r = inner{}
		t.inners--
		in.removeKid(a + 1)
		in.refresh(a, false)
		return
	}
	want := (l.n + r.n) / 2
	for l.n < want {
		l.insertKid(l.n, r.kids[0], leafKids)
		r.removeKid(0)
	}
	for l.n > want {
		r.insertKid(0, l.kids[l.n-1], leafKids)
		l.removeKid(l.n - 1)
	}
	in.refresh(a, false)
	in.refresh(a+1, false)
}

// Update moves (score, member) to newScore and reports whether it was
// found. When the element stays between its neighbours within its leaf,
// the score is rewritten in place, as Redis's zslUpdateScore does; else it
// is taken out and put back: two descents. member may alias a buffer the
// caller reuses: the tree keeps its own copy.
func (t *Tree) Update(score float64, member string, newScore float64) bool {
	found, inPlace, own := t.del(t.root, t.height, score, member, newScore)
	if !found {
		return false
	}
	if !inPlace {
		t.removed(own)
		t.Insert(newScore, own)
	}
	return true
}

// Rank returns the 0-based position of (score, member), or -1.
func (t *Tree) Rank(score float64, member string) int {
	p, r := t.root, 0
	for h := t.height; h > 0; h-- {
		in := (*inner)(p)
		i := in.childFor(score, member)
		for j := 0; j < i; j++ {
			r += in.counts[j]
		}
		p = in.kids[i]
	}
	if i := (*leaf)(p).find(score, member); i >= 0 {
		return r + i
	}
	return -1
}

// At returns the element at 0-based rank r (invalid when out of range).
func (t *Tree) At(r int) Pos {
	if r < 0 || r >= t.length {
		return Pos{}
	}
	p := t.root
	for h := t.height; h > 0; h-- {
		in := (*inner)(p)
		i := 0
		for i < in.n-1 && r >= in.counts[i] {
			r -= in.counts[i]
			i++
		}
		p = in.kids[i]
	}
	return Pos{(*leaf)(p), r}
}

// CountWhile returns how many leading elements satisfy pred, which must be
// true for a prefix of the order and false after it.
func (t *Tree) CountWhile(pred func(score float64, member string) bool) int {
	_, i, n := t.boundary(pred)
	return n + i
}

// boundary finds the first element for which pred fails: its leaf, its
// index there (l.n when it is past the leaf) and the number of elements
// before the leaf.
func (t *Tree) boundary(pred func(score float64, member string) bool) (*leaf, int, int) {
	p, n := t.root, 0
	for h := t.height; h > 0; h-- {
		in := (*inner)(p)
		i := 0
		for i < in.n-1 && pred(in.scores[i], in.members[i]) {
			n += in.counts[i]
			i++
		}
		p = in.kids[i]
	}
	l := (*leaf)(p)
	i := 0
	for i < l.n && pred(l.scores[i], l.members[i]) {
		i++
	}
	return l, i, n
}

// FirstNot returns the first element for which pred, true for a prefix of
// the order, is false (invalid if none): one descent.
func (t *Tree) FirstNot(pred func(score float64, member string) bool) Pos {
	l, i, _ := t.boundary(pred)
	return norm(l, i)
}

// LastWhile returns the last element for which pred, true for a prefix of
// the order, holds (invalid if none): one descent.
func (t *Tree) LastWhile(pred func(score float64, member string) bool) Pos {
	l, i, _ := t.boundary(pred)
	return Pos{l, i}.Prev()
}

// FirstFrom returns the first element whose score is >= score (invalid if
// none).
func (t *Tree) FirstFrom(score float64) Pos {
	return t.FirstNot(func(s float64, _ string) bool { return s < score })
}

// MemoryUsage estimates the bytes the tree holds: its nodes and members.
func (t *Tree) MemoryUsage() int {
	return t.leaves*int(unsafe.Sizeof(leaf{})) + t.inners*int(unsafe.Sizeof(inner{})) + t.memberBytes
}
