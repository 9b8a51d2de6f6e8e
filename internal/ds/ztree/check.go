package ztree

import (
	"fmt"
	"unsafe"
)

// Check verifies the tree's invariants: every leaf at the same depth,
// nodes within their fill bounds (the root excepted), each inner entry's
// count and greatest element equal to its child's, strict (score, member)
// order along the leaf chain, both chain directions, first, last, the
// length and the members' bytes. It is O(n), for tests.
func (t *Tree) Check() error {
	var leaves []*leaf
	inners, memberBytes := 0, 0
	var walk func(p unsafe.Pointer, h int, root bool) (size int, maxS float64, maxM string, err error)
	walk = func(p unsafe.Pointer, h int, root bool) (int, float64, string, error) {
		if h == 0 {
			l := (*leaf)(p)
			if l.n > leafMax || !root && l.n < leafMin {
				return 0, 0, "", fmt.Errorf("leaf of %d elements", l.n)
			}
			leaves = append(leaves, l)
			for _, m := range l.members[:l.n] {
				memberBytes += len(m)
			}
			if l.n == 0 {
				return 0, 0, "", nil
			}
			return l.n, l.scores[l.n-1], l.members[l.n-1], nil
		}
		in := (*inner)(p)
		inners++
		if in.n > innerMax || root && in.n < 2 || !root && in.n < innerMin {
			return 0, 0, "", fmt.Errorf("inner node at height %d with %d children", h, in.n)
		}
		size := 0
		for i := 0; i < in.n; i++ {
			n, s, m, err := walk(in.kids[i], h-1, false)
			if err != nil {
				return 0, 0, "", err
			}
			if n != in.counts[i] {
				return 0, 0, "", fmt.Errorf("height %d child %d: count %d, holds %d", h, i, in.counts[i], n)
			}
			if s != in.scores[i] || m != in.members[i] {
				return 0, 0, "", fmt.Errorf("height %d child %d: bound (%v %q), greatest (%v %q)", h, i, in.scores[i], in.members[i], s, m)
			}
			size += n
		}
		if size != in.size {
			return 0, 0, "", fmt.Errorf("height %d: size %d, children hold %d", h, in.size, size)
		}
		return size, in.scores[in.n-1], in.members[in.n-1], nil
	}
	size, _, _, err := walk(t.root, t.height, true)
	if err != nil {
		return err
	}
	if size != t.length {
		return fmt.Errorf("length %d, tree holds %d", t.length, size)
	}
	if memberBytes != t.memberBytes {
		return fmt.Errorf("members hold %d bytes, %d counted", memberBytes, t.memberBytes)
	}
	if len(leaves) != t.leaves || inners != t.inners {
		return fmt.Errorf("%d leaves and %d inner nodes counted, %d and %d found", t.leaves, t.inners, len(leaves), inners)
	}
	if t.first != leaves[0] || t.last != leaves[len(leaves)-1] {
		return fmt.Errorf("first or last leaf wrong")
	}
	var prev *leaf
	var ps float64
	var pm string
	seen := 0
	for i, l := range leaves {
		if l.prev != prev || prev != nil && prev.next != l {
			return fmt.Errorf("leaf %d: chain broken", i)
		}
		for j := 0; j < l.n; j++ {
			if seen > 0 && !Less(ps, pm, l.scores[j], l.members[j]) {
				return fmt.Errorf("(%v %q) not after (%v %q)", l.scores[j], l.members[j], ps, pm)
			}
			ps, pm = l.scores[j], l.members[j]
			seen++
		}
		for j := l.n; j < leafMax; j++ {
			if l.members[j] != "" {
				return fmt.Errorf("leaf %d keeps a member past its end", i)
			}
		}
		prev = l
	}
	if prev.next != nil {
		return fmt.Errorf("last leaf chained onwards")
	}
	return nil
}
