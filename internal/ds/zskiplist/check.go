package zskiplist

import "fmt"

// Check verifies the list's invariants: strict (score, member) order,
// back links, tail and length, and every forward link's span equal to the
// rank distance it jumps. It is O(n log n), for tests.
func (l *List) Check() error {
	rank := map[*Node]int{l.head: 0}
	var prev *Node
	n := 0
	for x := l.First(); x != nil; x = x.Next() {
		n++
		rank[x] = n
		if x.prev != prev {
			return fmt.Errorf("node %d (%v %q): wrong back link", n, x.Score, x.Member)
		}
		if prev != nil && !Less(prev.Score, prev.Member, x.Score, x.Member) {
			return fmt.Errorf("node %d (%v %q) not after (%v %q)", n, x.Score, x.Member, prev.Score, prev.Member)
		}
		prev = x
	}
	if n != l.length {
		return fmt.Errorf("length %d, %d nodes", l.length, n)
	}
	if l.tail != prev {
		return fmt.Errorf("wrong tail")
	}
	for i := 0; i < maxLevel; i++ {
		if i >= l.level {
			if l.head.link(i).next != nil {
				return fmt.Errorf("head links at level %d above the list's %d", i, l.level)
			}
			continue
		}
		for x := l.head; x != nil; x = x.link(i).next {
			nx := x.link(i).next
			if nx == nil {
				break
			}
			r, ok := rank[nx]
			if !ok {
				return fmt.Errorf("level %d links to a node not on level 0", i)
			}
			if got := x.link(i).span; got != r-rank[x] {
				return fmt.Errorf("level %d: span %d from rank %d to %d", i, got, rank[x], r)
			}
		}
	}
	return nil
}
