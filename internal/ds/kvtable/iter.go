package kvtable

import "math/bits"

// scanBucket calls fn for every record of a chain.
func (t *Table) scanBucket(r uint32, fn func(e Entry)) {
	for r != 0 {
		rec := t.rec(r)
		r = next(rec)
		fn(Entry{t, rec})
	}
}

// Scan calls fn for the keys of the bucket(s) at cursor and returns the
// next cursor, 0 when the iteration is complete. Start with 0. As with
// Redis's SCAN, every key present for the whole iteration is returned at
// least once, even across resizes; some may be returned more than once.
// The cursor counts in reverse-binary order, so the buckets already visited
// at one table size map exactly onto those visited at a larger or smaller
// size. fn must not mutate the table.
func (t *Table) Scan(cursor uint64, fn func(e Entry)) uint64 {
	if t.count == 0 || len(t.ht[0]) == 0 {
		return 0
	}
	v := cursor
	if t.rehashIdx < 0 {
		m := uint64(len(t.ht[0]) - 1)
		t.scanBucket(t.ht[0][v&m], fn)
		return nextCursor(v, m)
	}
	// While resizing, visit the cursor's bucket in the smaller table and
	// then every bucket of the larger table that it expands to.
	small, large := t.ht[0], t.ht[1]
	if len(small) > len(large) {
		small, large = large, small
	}
	m0, m1 := uint64(len(small)-1), uint64(len(large)-1)
	t.scanBucket(small[v&m0], fn)
	for {
		t.scanBucket(large[v&m1], fn)
		v = nextCursor(v, m1)
		if v&(m0^m1) == 0 {
			break
		}
	}
	return v
}

// nextCursor increments the bits of v under mask in reverse order. The
// bits above mask are set first so the carry runs off the top.
func nextCursor(v, mask uint64) uint64 {
	v |= ^mask
	v = bits.Reverse64(v)
	v++
	return bits.Reverse64(v)
}

// Range calls fn for every entry, in arena order, until fn returns false.
// fn must not mutate the table.
func (t *Table) Range(fn func(e Entry) bool) {
	for p, page := range t.pages {
		if page == nil {
			continue
		}
		used := int(t.meta[p].used)
		for off := pageStart; off < used; {
			rec := page[off:]
			off += recordSize(rec)
			if rec[oHdr] != fillerHdr && !fn(Entry{t, rec}) {
				return
			}
		}
	}
}

// RandomEntry returns a random entry, every entry equally likely (see the
// rejection sampling below). rnd(n) must return a uniform value in [0, n).
func (t *Table) RandomEntry(rnd func(n uint64) uint64) (Entry, bool) {
	if t.count == 0 {
		return Entry{}, false
	}
	// The bucket space is ht[0] from rehashIdx on (the rest is empty)
	// followed by ht[1].
	lo := max(t.rehashIdx, 0)
	n0 := len(t.ht[0]) - lo
	total := n0 + len(t.ht[1])
	head := func(i int) uint32 {
		if i < n0 {
			return t.ht[0][lo+i]
		}
		return t.ht[1][i-n0]
	}
	// Rejection sampling: a random bucket and a random position in it up
	// to chainSlots; a hit is uniform over every entry within the first
	// chainSlots of its chain, which at load factor about 1 is every entry.
	// (Sampling a bucket, then an entry of it, would favour short chains.)
	// A try hits with probability about count/(total*chainSlots), as low
	// as 1/80 in a table at the 10% fill that makes it shrink: allow about
	// 16 times the expected number of tries (a miss is then about e^-16)
	// up to 4096, because the fallback below favours entries that follow
	// runs of empty buckets (by 7x in a set left 11% full).
	const chainSlots = 8
	limit := min(64+16*total*chainSlots/t.count, 4096)
	for tries := 0; tries < limit; tries++ {
		r := head(int(rnd(uint64(total))))
		for j := int(rnd(chainSlots)); r != 0 && j > 0; j-- {
			r = next(t.rec(r))
		}
		if r != 0 {
			return Entry{t, t.rec(r)}, true
		}
	}
	// A very sparse table (waiting to shrink): take the first entry found
	// from a random bucket on.
	for i := int(rnd(uint64(total))); ; i = (i + 1) % total {
		if r := head(i); r != 0 {
			return Entry{t, t.rec(r)}, true
		}
	}
}

// SampleSome calls fn for up to n entries found by walking the buckets
// from a random one on, for eviction sampling: much cheaper than n calls
// of RandomEntry (one random position, then consecutive buckets, instead
// of a rejection loop per entry), and random enough to pick candidates,
// as Redis's dictGetSomeKeys is. Entries may repeat only when the table
// holds fewer than n. A run of empty buckets longer than n restarts the
// walk at another random bucket. fn must not mutate the table.
//
// Each record read is a cache miss on a large table, most of an
// eviction's cost. (Reading the chains level by level, so that the loads
// of a level overlap, measured no faster: the processor overlaps them in
// this loop already.)
func (t *Table) SampleSome(n int, rnd func(n uint64) uint64, fn func(e Entry)) {
	if t.count == 0 || n <= 0 {
		return
	}
	lo := max(t.rehashIdx, 0)
	n0 := len(t.ht[0]) - lo
	total := n0 + len(t.ht[1])
	if total <= 0 {
		return
	}
	n = min(n, t.count)
	i := int(rnd(uint64(total)))
	empty := 0
	for steps := 0; n > 0 && steps < 10*total; steps++ {
		var r uint32
		if i < n0 {
			r = t.ht[0][lo+i]
		} else {
			r = t.ht[1][i-n0]
		}
		if r == 0 {
			if empty++; empty > 5 && empty > n {
				i, empty = int(rnd(uint64(total))), 0
				continue
			}
		} else {
			empty = 0
			for ; r != 0 && n > 0; n-- {
				rec := t.rec(r)
				r = next(rec)
				fn(Entry{t, rec})
			}
		}
		if i++; i == total {
			i = 0
		}
	}
}

// SampleVolatile calls fn for up to n distinct keys with an expire time,
// chosen uniformly at random (for active expiry). It shuffles the chosen
// keys to the front of the volatile index, a partial Fisher-Yates, which
// is O(n) and does not move records. fn must not mutate the table.
func (t *Table) SampleVolatile(n int, rnd func(n uint64) uint64, fn func(e Entry)) {
	l := t.vol.len()
	if n >= l {
		for i := 0; i < l; i++ {
			fn(Entry{t, t.rec(*t.vol.at(i))})
		}
		return
	}
	for i := 0; i < n; i++ {
		j := i + int(rnd(uint64(l-i)))
		a, b := t.vol.at(i), t.vol.at(j)
		if i != j {
			*a, *b = *b, *a
			put32(t.rec(*a)[oVslot:], uint32(i))
			put32(t.rec(*b)[oVslot:], uint32(j))
		}
		fn(Entry{t, t.rec(*a)})
	}
}

// Clear removes every key. The memory goes to the garbage collector, so
// this is O(1) here.
func (t *Table) Clear() {
	*t = Table{seed: t.seed, rehashIdx: -1, cur: -1, cmp: -1, maxVal: t.maxVal, snapBit: t.snapBit}
}

// Rehash does up to budget units of background work, a unit being one
// bucket moved by an ongoing resize or about 128 bytes of compaction, and
// reports whether work remains. The owner calls it from a periodic tick so
// idle tables finish resizing and give memory back.
func (t *Table) Rehash(budget int) bool {
	if t.rehashIdx >= 0 {
		budget -= t.rehashStep(budget)
	}
	if budget > 0 && t.compactPending() {
		t.compact(budget * 128)
	}
	return t.rehashIdx >= 0 || t.compactPending()
}

// DataBytes is the memory the table's contents need, in O(1): the live
// records, the bucket arrays, large keys and values, and the slots of the
// volatile, large-value and object indexes. Unlike MemoryUsage it leaves
// out dead records and unused page tails, so it changes with every write
// and delete by exactly what the write or delete added or removed, as an
// allocator's count of allocated bytes does; what the arena wastes around
// the records is the garbage collector's and compaction's business.
// Objects' own memory is not included.
func (t *Table) DataBytes() int {
	return t.recBytes + t.bigBytes + (cap(t.ht[0])+cap(t.ht[1]))*4 +
		t.vol.n*4 + t.bigs.n*24 + t.objs.n*16
}

// MemoryUsage approximates the bytes the table owns: arena pages, bucket
// arrays, indexes and large values. Objects' own memory is not included.
func (t *Table) MemoryUsage() int {
	n := t.pageBytes +
		cap(t.pages)*24 + cap(t.meta)*12 + cap(t.freeIdx)*4 + cap(t.queue)*4 +
		(cap(t.ht[0])+cap(t.ht[1]))*4 +
		t.vol.bytes(4) + t.bigs.bytes(24) + t.bigFree.bytes(4) + t.bigBytes +
		t.objs.bytes(16) + t.objFree.bytes(4)
	return n
}
