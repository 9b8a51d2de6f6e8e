// Package zskiplist is the ordered index of a big sorted set: a skiplist
// of (score, member) pairs ordered by score then member bytes, with spans
// on every forward link so rank lookups are O(log n).
package zskiplist

import (
	"math"
	"math/rand/v2"
	"unsafe"
)

const maxLevel = 32

type link struct {
	next *Node
	span int
}

// Node is one element of the list. Its links follow it in the same
// allocation, as many as its level (a C flexible array member, done with
// the nodeOf types below and unsafe offsets), and so does a member of up to
// 32 bytes: a search reads the score, the links and, on equal scores, the
// member bytes from one or two adjacent cache lines, with no slice header
// or string to fetch from elsewhere. A level-1 node with a member of up to
// 16 bytes is one 64-byte object, what the node and a separate string cost
// before.
type Node struct {
	Score  float64
	Member string // inline members point into the node's own mem
	prev   *Node
}

// nodeOf is a node with its links (L, an array of link) and room for an
// inline member (M, a byte array); nodeExt has no room, for a member held
// elsewhere. (A zero-size mem would not do: Go pads a struct's trailing
// zero-size field.) With a level probability of 1/4, 99.6% of nodes have
// at most 4 levels and all but one in 65,536 at most 8.
type (
	nodeOf[L, M any] struct {
		Node
		arr L
		mem M
	}
	nodeExt[L any] struct {
		Node
		arr L
	}
)

// The inline member sizes: with one or two links they fill the 64 and 80,
// 80 and 96 byte size classes.
type (
	mem16 [16]byte
	mem32 [32]byte
)

// linksOff is where every node type's links start (checked by a test).
const linksOff = unsafe.Sizeof(Node{})

// link returns the node's i-th link; i must be below its level.
func (n *Node) link(i int) *link {
	return (*link)(unsafe.Add(unsafe.Pointer(n), linksOff+uintptr(i)*unsafe.Sizeof(link{})))
}

// newNodeOf allocates a node of type nodeOf[L, M] with member copied
// into its mem; member must fit.
func newNodeOf[L, M any](member string) *Node {
	n := new(nodeOf[L, M])
	if len(member) > 0 {
		b := unsafe.Slice((*byte)(unsafe.Pointer(&n.mem)), unsafe.Sizeof(n.mem))
		n.Member = unsafe.String(&b[0], copy(b, member))
	}
	return &n.Node
}

// newNodeL picks the member room for a node with links L.
func newNodeL[L any](member string) *Node {
	switch {
	case len(member) <= len(mem16{}):
		return newNodeOf[L, mem16](member)
	case len(member) <= len(mem32{}):
		return newNodeOf[L, mem32](member)
	}
	n := new(nodeExt[L])
	n.Member = member
	return &n.Node
}

// newNode returns a node of level lv for (score, member). A member of up to
// 32 bytes is copied into the node, so the caller may pass bytes it reuses
// (see InsertBytes); a longer one is kept as given.
func newNode(member string, score float64, lv int) *Node {
	var n *Node
	switch {
	case lv == 1:
		n = newNodeL[[1]link](member)
	case lv == 2:
		n = newNodeL[[2]link](member)
	case lv == 3:
		n = newNodeL[[3]link](member)
	case lv == 4:
		n = newNodeL[[4]link](member)
	case lv <= 8:
		n = newNodeL[[8]link](member)
	default:
		n = newNodeL[[maxLevel]link](member)
	}
	n.Score = score
	return n
}

// inlineMax is the longest member a node holds inline.
const inlineMax = len(mem32{})

// Next returns the following node or nil.
func (n *Node) Next() *Node { return n.link(0).next }

// Prev returns the preceding node or nil.
func (n *Node) Prev() *Node { return n.prev }

// List is a skiplist; the zero value is not usable, call New.
type List struct {
	head   *Node
	tail   *Node
	length int
	level  int
}

// New returns an empty list.
func New() *List {
	return &List{head: &new(nodeExt[[maxLevel]link]).Node, level: 1}
}

// Len is the number of elements.
func (l *List) Len() int { return l.length }

// First returns the lowest node or nil.
func (l *List) First() *Node { return l.head.link(0).next }

// Last returns the highest node or nil.
func (l *List) Last() *Node { return l.tail }

// Less orders two elements by score then member.
func Less(s1 float64, m1 string, s2 float64, m2 string) bool {
	if s1 != s2 {
		return s1 < s2
	}
	return m1 < m2
}

func randomLevel() int {
	lv := 1
	for lv < maxLevel && rand.Uint32()&3 == 0 {
		lv++
	}
	return lv
}

// Insert adds (score, member); the member must not be present. The node
// keeps member itself only if it is longer than inlineMax bytes.
func (l *List) Insert(score float64, member string) *Node {
	lv := randomLevel()
	n := newNode(member, score, lv)
	l.link(n, lv)
	return n
}

// InsertBytes is Insert of a member given as bytes the caller may reuse:
// copied into the node, or into a new string when too long for it.
func (l *List) InsertBytes(score float64, member []byte) *Node {
	if len(member) > inlineMax {
		return l.Insert(score, string(member))
	}
	return l.Insert(score, unsafe.String(unsafe.SliceData(member), len(member)))
}

// link puts n, a node of level lv not in the list, in its place.
func (l *List) link(n *Node, lv int) {
	var update [maxLevel]*Node
	var rank [maxLevel]int
	x := l.head
	for i := l.level - 1; i >= 0; i-- {
		if i < l.level-1 {
			rank[i] = rank[i+1]
		}
		for nx := x.link(i).next; nx != nil && Less(nx.Score, nx.Member, n.Score, n.Member); nx = x.link(i).next {
			rank[i] += x.link(i).span
			x = nx
		}
		update[i] = x
	}
	if lv > l.level {
		for i := l.level; i < lv; i++ {
			rank[i] = 0
			update[i] = l.head
			update[i].link(i).span = l.length
		}
		l.level = lv
	}
	for i := 0; i < lv; i++ {
		n.link(i).next = update[i].link(i).next
		update[i].link(i).next = n
		n.link(i).span = update[i].link(i).span - (rank[0] - rank[i])
		update[i].link(i).span = rank[0] - rank[i] + 1
	}
	for i := lv; i < l.level; i++ {
		update[i].link(i).span++
	}
	n.prev = nil
	if update[0] != l.head {
		n.prev = update[0]
	}
	if n.link(0).next != nil {
		n.link(0).next.prev = n
	} else {
		l.tail = n
	}
	l.length++
}

// Delete removes (score, member); it reports whether it was found.
func (l *List) Delete(score float64, member string) bool {
	n, _ := l.unlink(score, member, math.NaN())
	return n != nil
}

// Update moves (score, member) to newScore, reusing its node (no
// allocation), and reports whether it was found. When the new score keeps
// the node between its neighbours (a small ZINCRBY, say) the score is
// rewritten in place after one descent, as Redis's zslUpdateScore does.
func (l *List) Update(score float64, member string, newScore float64) bool {
	n, lv := l.unlink(score, member, newScore)
	if n == nil {
		return false
	}
	if lv == 0 {
		return true // rewritten in place
	}
	n.Score = newScore
	l.link(n, lv)
	return true
}

// unlink takes (score, member) out of the list and returns its node and
// level, or nil. If stay is a score that keeps the node in order between
// its neighbours, it sets the node's score to stay instead and returns
// level 0 (pass NaN for no such check).
func (l *List) unlink(score float64, member string, stay float64) (*Node, int) {
	var update [maxLevel]*Node
	x := l.head
	for i := l.level - 1; i >= 0; i-- {
		for nx := x.link(i).next; nx != nil && Less(nx.Score, nx.Member, score, member); nx = x.link(i).next {
			x = nx
		}
		update[i] = x
	}
	x = x.link(0).next
	if x == nil || x.Score != score || x.Member != member {
		return nil, 0
	}
	if stay == stay { // not NaN
		p, nx := x.prev, x.link(0).next
		if (p == nil || Less(p.Score, p.Member, stay, member)) && (nx == nil || Less(stay, member, nx.Score, nx.Member)) {
			x.Score = stay
			return x, 0
		}
	}
	lv := 0
	for i := 0; i < l.level; i++ {
		if update[i].link(i).next == x {
			update[i].link(i).span += x.link(i).span - 1
			update[i].link(i).next = x.link(i).next
			lv = i + 1
		} else {
			update[i].link(i).span--
		}
	}
	if nx := x.link(0).next; nx != nil {
		nx.prev = x.prev
	} else {
		l.tail = x.prev
	}
	for l.level > 1 && l.head.link(l.level-1).next == nil {
		l.level--
	}
	l.length--
	return x, lv
}

// CountWhile returns how many leading elements satisfy pred, which must be
// true for a prefix of the list and false after it.
func (l *List) CountWhile(pred func(score float64, member string) bool) int {
	x := l.head
	n := 0
	for i := l.level - 1; i >= 0; i-- {
		for nx := x.link(i).next; nx != nil && pred(nx.Score, nx.Member); nx = x.link(i).next {
			n += x.link(i).span
			x = nx
		}
	}
	return n
}

// FirstNot returns the first node for which pred, true for a prefix of
// the list, is false, or nil: one descent.
func (l *List) FirstNot(pred func(score float64, member string) bool) *Node {
	return l.lastWhile(pred).link(0).next
}

// LastWhile returns the last node for which pred, true for a prefix of
// the list, holds, or nil: one descent.
func (l *List) LastWhile(pred func(score float64, member string) bool) *Node {
	if x := l.lastWhile(pred); x != l.head {
		return x
	}
	return nil
}

func (l *List) lastWhile(pred func(score float64, member string) bool) *Node {
	x := l.head
	for i := l.level - 1; i >= 0; i-- {
		for nx := x.link(i).next; nx != nil && pred(nx.Score, nx.Member); nx = x.link(i).next {
			x = nx
		}
	}
	return x
}

// FirstFrom returns the first node whose score is >= score, or nil: one
// descent, for walks over a score range that need no ranks.
func (l *List) FirstFrom(score float64) *Node {
	x := l.head
	for i := l.level - 1; i >= 0; i-- {
		for nx := x.link(i).next; nx != nil && nx.Score < score; nx = x.link(i).next {
			x = nx
		}
	}
	return x.link(0).next
}

// Rank returns the 0-based position of (score, member), or -1.
func (l *List) Rank(score float64, member string) int {
	x := l.head
	n := 0
	for i := l.level - 1; i >= 0; i-- {
		for nx := x.link(i).next; nx != nil && !Less(score, member, nx.Score, nx.Member); nx = x.link(i).next {
			n += x.link(i).span
			x = nx
		}
		if x != l.head && x.Score == score && x.Member == member {
			return n - 1
		}
	}
	return -1
}

// At returns the node at 0-based rank r, or nil.
func (l *List) At(r int) *Node {
	if r < 0 || r >= l.length {
		return nil
	}
	want := r + 1
	x := l.head
	n := 0
	for i := l.level - 1; i >= 0; i-- {
		for x.link(i).next != nil && n+x.link(i).span <= want {
			n += x.link(i).span
			x = x.link(i).next
		}
		if n == want {
			return x
		}
	}
	return nil
}
