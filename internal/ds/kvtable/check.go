package kvtable

import "fmt"

// Check verifies the table's invariants and returns the first violation
// found. It is O(n) and meant for tests: every record is reachable exactly
// once from the index, in the right bucket with the right hash tag; chains
// end; counts, page accounting, the volatile index, the slot free lists and
// the compaction queue all agree.
func (t *Table) Check() error {
	seen := newRefSet(len(t.pages))
	bigUsed := make([]bool, t.bigs.len())
	objUsed := make([]bool, t.objs.len())
	reachable := 0
	vols := 0
	if t.rehashIdx >= 0 {
		if len(t.ht[1]) == 0 || t.rehashIdx >= len(t.ht[0]) {
			return fmt.Errorf("bad resize state: idx %d sizes %d %d", t.rehashIdx, len(t.ht[0]), len(t.ht[1]))
		}
	} else if t.ht[1] != nil {
		return fmt.Errorf("ht[1] set while not resizing")
	}
	for ti, ht := range t.ht {
		if len(ht)&(len(ht)-1) != 0 {
			return fmt.Errorf("ht[%d] size %d not a power of two", ti, len(ht))
		}
		for b, r := range ht {
			if r != 0 && ti == 0 && b < t.rehashIdx {
				return fmt.Errorf("moved bucket %d not empty", b)
			}
			for steps := 0; r != 0; steps++ {
				if steps > t.count {
					return fmt.Errorf("cycle in bucket %d/%d", ti, b)
				}
				if err := t.checkRef(r); err != nil {
					return err
				}
				if seen.has(r) {
					return fmt.Errorf("ref %#x reachable twice", r)
				}
				seen.add(r)
				reachable++
				rec := t.rec(r)
				if rec[oHdr] == fillerHdr {
					return fmt.Errorf("ref %#x is a filler", r)
				}
				if rec[oHdr]&^(hExpire|hValHeap|hValObj|hKeyHeap|hSnap) != 0 || rec[oHdr]&(hValHeap|hValObj) == hValHeap|hValObj {
					return fmt.Errorf("ref %#x bad header %#x", r, rec[oHdr])
				}
				ly := parse(rec)
				if rec[oHdr]&hKeyHeap != 0 {
					i := get32(rec[ly.kOff:])
					if err := useSlot(bigUsed, i, t.bigs.len(), "big key"); err != nil {
						return err
					}
					if k := *t.bigs.at(int(i)); k == nil || len(k) != ly.kLen {
						return fmt.Errorf("ref %#x heap key length mismatch", r)
					}
				} else if ly.kLen > maxInlineKey {
					return fmt.Errorf("ref %#x inline key too long", r)
				}
				switch rec[oHdr] & (hValHeap | hValObj) {
				case hValHeap:
					i := get32(rec[ly.vOff:])
					if err := useSlot(bigUsed, i, t.bigs.len(), "big value"); err != nil {
						return err
					}
					if *t.bigs.at(int(i)) == nil {
						return fmt.Errorf("ref %#x nil heap value", r)
					}
				case hValObj:
					if err := useSlot(objUsed, get32(rec[ly.vOff:]), t.objs.len(), "object"); err != nil {
						return err
					}
				default:
					if ly.vLen > t.maxVal {
						return fmt.Errorf("ref %#x inline value too long", r)
					}
				}
				h := t.hash(t.keyOf(rec))
				if rec[oTag] != tagOf(h) {
					return fmt.Errorf("ref %#x wrong hash tag", r)
				}
				if int(h&uint64(len(ht)-1)) != b {
					return fmt.Errorf("ref %#x in bucket %d/%d, hashes to %d", r, ti, b, h&uint64(len(ht)-1))
				}
				if rec[oHdr]&hExpire != 0 {
					vols++
					s := int(get32(rec[oVslot:]))
					if s >= t.vol.len() || *t.vol.at(s) != r {
						return fmt.Errorf("ref %#x volatile slot %d wrong", r, s)
					}
				}
				r = next(rec)
			}
		}
	}
	if reachable != t.count {
		return fmt.Errorf("count %d, reachable %d", t.count, reachable)
	}
	if vols != t.vol.len() {
		return fmt.Errorf("volatile index has %d, records with expire %d", t.vol.len(), vols)
	}
	if t.rehashIdx < 0 && len(t.ht[0]) > 0 && t.count > 2*len(t.ht[0]) {
		return fmt.Errorf("load factor too high: %d keys, %d buckets", t.count, len(t.ht[0]))
	}

	// Arena: walk every page.
	free := make(map[int]bool)
	for _, p := range t.freeIdx {
		free[int(p)] = true
	}
	live, recBytes := 0, 0
	for p, page := range t.pages {
		m := t.meta[p]
		if page == nil {
			if !free[p] || m != (pageMeta{}) {
				return fmt.Errorf("page %d released but not free or meta set", p)
			}
			continue
		}
		if free[p] {
			return fmt.Errorf("page %d in use and free", p)
		}
		if int(m.used) > len(t.pages[p]) || m.used < pageStart || len(t.pages[p]) > pageSize {
			return fmt.Errorf("page %d used %d", p, m.used)
		}
		dead, n := 0, 0
		for off := pageStart; off < int(m.used); {
			rec := page[off:]
			size := recordSize(rec)
			if size < unit || size%unit != 0 || off+size > int(m.used) {
				return fmt.Errorf("page %d off %d bad record size %d", p, off, size)
			}
			ref := uint32(p)<<offBits | uint32(off)>>unitShift
			if rec[oHdr] == fillerHdr {
				dead += size
			} else {
				if !seen.has(ref) {
					return fmt.Errorf("page %d off %d: live record not in index", p, off)
				}
				n++
			}
			off += size
		}
		recBytes += int(m.used) - pageStart - dead
		if dead != int(m.dead) {
			return fmt.Errorf("page %d dead %d, counted %d", p, m.dead, dead)
		}
		if n == 0 && p != t.cur {
			return fmt.Errorf("page %d empty but kept", p)
		}
		if p != t.cur && !m.queued && mostlyDead(m.live(), len(page)) {
			return fmt.Errorf("page %d mostly dead (%d live) but not queued", p, m.live())
		}
		live += n
	}
	if live != t.count {
		return fmt.Errorf("arena holds %d live records, count %d", live, t.count)
	}
	if recBytes != t.recBytes {
		return fmt.Errorf("recBytes %d, counted %d", t.recBytes, recBytes)
	}
	queued := make(map[int]bool)
	for _, p := range t.queue[t.qHead:] {
		queued[int(p)] = true
	}
	if t.cmp >= 0 {
		queued[t.cmp] = true
	}
	for p := range t.pages {
		if t.meta[p].queued && !queued[p] {
			return fmt.Errorf("page %d marked queued but not in queue", p)
		}
	}

	// Slots.
	if err := checkFree(&t.bigFree, bigUsed, t.bigs.len(), "big"); err != nil {
		return err
	}
	bb := 0
	for i := 0; i < t.bigs.len(); i++ {
		b := *t.bigs.at(i)
		if !bigUsed[i] && b != nil {
			return fmt.Errorf("free big slot %d not nil", i)
		}
		bb += cap(b)
	}
	if bb != t.bigBytes {
		return fmt.Errorf("bigBytes %d, counted %d", t.bigBytes, bb)
	}
	if err := checkFree(&t.objFree, objUsed, t.objs.len(), "object"); err != nil {
		return err
	}
	for i := 0; i < t.objs.len(); i++ {
		if !objUsed[i] && *t.objs.at(i) != nil {
			return fmt.Errorf("free object slot %d not nil", i)
		}
	}
	return nil
}

func (t *Table) checkRef(r uint32) error {
	p, off := int(r>>offBits), int(r&offMask)<<unitShift
	if p >= len(t.pages) || t.pages[p] == nil || off < pageStart || off >= int(t.meta[p].used) {
		return fmt.Errorf("ref %#x out of range", r)
	}
	return nil
}

func useSlot(used []bool, i uint32, n int, what string) error {
	if int(i) >= n {
		return fmt.Errorf("%s slot %d out of range", what, i)
	}
	if used[i] {
		return fmt.Errorf("%s slot %d used twice", what, i)
	}
	used[i] = true
	return nil
}

func checkFree(free *segs[uint32], used []bool, n int, what string) error {
	seen := make([]bool, n)
	nUsed := 0
	for _, u := range used {
		if u {
			nUsed++
		}
	}
	for i := 0; i < free.len(); i++ {
		s := *free.at(i)
		if int(s) >= n || used[s] || seen[s] {
			return fmt.Errorf("%s free list entry %d bad", what, s)
		}
		seen[s] = true
	}
	if nUsed+free.len() != n {
		return fmt.Errorf("%s slots: %d used + %d free != %d", what, nUsed, free.len(), n)
	}
	return nil
}

// refSet is a bitmap of refs, one block of bits per page.
type refSet [][]uint64

func newRefSet(pages int) refSet { return make(refSet, pages) }

func (s refSet) add(r uint32) {
	p := r >> offBits
	if s[p] == nil {
		s[p] = make([]uint64, (offMask+1)/64)
	}
	s[p][(r&offMask)/64] |= 1 << (r % 64)
}

func (s refSet) has(r uint32) bool {
	p := r >> offBits
	return s[p] != nil && s[p][(r&offMask)/64]&(1<<(r%64)) != 0
}
