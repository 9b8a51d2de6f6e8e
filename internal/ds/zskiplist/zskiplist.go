// Package zskiplist is the ordered index of a big sorted set: a skiplist
// of (score, member) pairs ordered by score then member bytes, with spans
// on every forward link so rank lookups are O(log n).
package zskiplist

import "math/rand/v2"

const maxLevel = 32

type link struct {
	next *Node
	span int
}

// Node is one element of the list.
type Node struct {
	Member string
	Score  float64
	prev   *Node
	links  []link
}

// nodeSmall carries the links of a node of up to smallLevels levels in
// the node's own allocation: a search then reads one cache line per node
// instead of two (the node, then its links). With a level probability of
// 1/4, 99.6% of nodes have at most 4 levels.
const smallLevels = 4

type nodeSmall struct {
	Node
	arr [smallLevels]link
}

func newNode(member string, score float64, lv int) *Node {
	if lv <= smallLevels {
		ns := &nodeSmall{}
		ns.Member, ns.Score = member, score
		ns.links = ns.arr[:lv:lv]
		return &ns.Node
	}
	return &Node{Member: member, Score: score, links: make([]link, lv)}
}

// Next returns the following node or nil.
func (n *Node) Next() *Node { return n.links[0].next }

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
	return &List{head: &Node{links: make([]link, maxLevel)}, level: 1}
}

// Len is the number of elements.
func (l *List) Len() int { return l.length }

// First returns the lowest node or nil.
func (l *List) First() *Node { return l.head.links[0].next }

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

// Insert adds (score, member); the member must not be present.
func (l *List) Insert(score float64, member string) *Node {
	var update [maxLevel]*Node
	var rank [maxLevel]int
	x := l.head
	for i := l.level - 1; i >= 0; i-- {
		if i < l.level-1 {
			rank[i] = rank[i+1]
		}
		for nx := x.links[i].next; nx != nil && Less(nx.Score, nx.Member, score, member); nx = x.links[i].next {
			rank[i] += x.links[i].span
			x = nx
		}
		update[i] = x
	}
	lv := randomLevel()
	if lv > l.level {
		for i := l.level; i < lv; i++ {
			rank[i] = 0
			update[i] = l.head
			update[i].links[i].span = l.length
		}
		l.level = lv
	}
	n := newNode(member, score, lv)
	for i := 0; i < lv; i++ {
		n.links[i].next = update[i].links[i].next
		update[i].links[i].next = n
		n.links[i].span = update[i].links[i].span - (rank[0] - rank[i])
		update[i].links[i].span = rank[0] - rank[i] + 1
	}
	for i := lv; i < l.level; i++ {
		update[i].links[i].span++
	}
	if update[0] != l.head {
		n.prev = update[0]
	}
	if n.links[0].next != nil {
		n.links[0].next.prev = n
	} else {
		l.tail = n
	}
	l.length++
	return n
}

// Delete removes (score, member); it reports whether it was found.
func (l *List) Delete(score float64, member string) bool {
	var update [maxLevel]*Node
	x := l.head
	for i := l.level - 1; i >= 0; i-- {
		for nx := x.links[i].next; nx != nil && Less(nx.Score, nx.Member, score, member); nx = x.links[i].next {
			x = nx
		}
		update[i] = x
	}
	x = x.links[0].next
	if x == nil || x.Score != score || x.Member != member {
		return false
	}
	for i := 0; i < l.level; i++ {
		if update[i].links[i].next == x {
			update[i].links[i].span += x.links[i].span - 1
			update[i].links[i].next = x.links[i].next
		} else {
			update[i].links[i].span--
		}
	}
	if nx := x.links[0].next; nx != nil {
		nx.prev = x.prev
	} else {
		l.tail = x.prev
	}
	for l.level > 1 && l.head.links[l.level-1].next == nil {
		l.level--
	}
	l.length--
	return true
}

// CountWhile returns how many leading elements satisfy pred, which must be
// true for a prefix of the list and false after it.
func (l *List) CountWhile(pred func(score float64, member string) bool) int {
	x := l.head
	n := 0
	for i := l.level - 1; i >= 0; i-- {
		for nx := x.links[i].next; nx != nil && pred(nx.Score, nx.Member); nx = x.links[i].next {
			n += x.links[i].span
			x = nx
		}
	}
	return n
}

// FirstFrom returns the first node whose score is >= score, or nil: one
// descent, for walks over a score range that need no ranks.
func (l *List) FirstFrom(score float64) *Node {
	x := l.head
	for i := l.level - 1; i >= 0; i-- {
		for nx := x.links[i].next; nx != nil && nx.Score < score; nx = x.links[i].next {
			x = nx
		}
	}
	return x.links[0].next
}

// Rank returns the 0-based position of (score, member), or -1.
func (l *List) Rank(score float64, member string) int {
	x := l.head
	n := 0
	for i := l.level - 1; i >= 0; i-- {
		for nx := x.links[i].next; nx != nil && !Less(score, member, nx.Score, nx.Member); nx = x.links[i].next {
			n += x.links[i].span
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
		for x.links[i].next != nil && n+x.links[i].span <= want {
			n += x.links[i].span
			x = x.links[i].next
		}
		if n == want {
			return x
		}
	}
	return nil
}
