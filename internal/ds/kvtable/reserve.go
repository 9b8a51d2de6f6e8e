package kvtable

// Reserve sizes the index of an empty table for n keys, so that adding
// them (loading a snapshot whose size is known) never rehashes the index
// along the way. A table that holds keys or is resizing is left alone.
func (t *Table) Reserve(n int) {
	if t.count != 0 || t.rehashIdx >= 0 || n < len(t.ht[0]) {
		return
	}
	// One more bucket than keys: index starts a resize once the count
	// reaches the bucket count.
	t.ht[0] = make([]uint32, nextPow2(n+1))
}

// Warm reads the index buckets of keys[i] in tables[i] and the heads of
// their chains, so that a SetBytes or SetObj of each key soon after finds
// them in the CPU cache. A loader warms a batch of keys first: here the
// cache misses of the batch overlap, where each would stall an insert.
// refs is scratch room (grown as needed and returned); the byte returned
// only keeps the reads from being optimised away.
func Warm(tables []*Table, keys [][]byte, refs []uint32) ([]uint32, byte) {
	refs = refs[:0]
	var sink byte
	// Hash first, then load: loads with nothing in between overlap.
	for i, t := range tables {
		ht := t.ht[0]
		if t.rehashIdx >= 0 {
			ht = t.ht[1]
		}
		if len(ht) == 0 {
			refs = append(refs, 0)
			continue
		}
		refs = append(refs, uint32(t.hash(keys[i])&uint64(len(ht)-1)))
	}
	for i, t := range tables {
		ht := t.ht[0]
		if t.rehashIdx >= 0 {
			ht = t.ht[1]
		}
		if len(ht) != 0 {
			refs[i] = ht[refs[i]]
		}
	}
	for i, t := range tables {
		if r := refs[i]; r != 0 {
			sink += t.pages[r>>offBits][(r&offMask)<<unitShift+oTag]
		}
	}
	return refs, sink
}
