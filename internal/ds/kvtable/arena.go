package kvtable

// Compaction pacing. A closed page is queued once less than
// liveNum/liveDen of it is live; walking it then costs at most
// liveDen/(liveDen-liveNum) bytes per dead byte reclaimed, so every byte a
// mutation turns dead earns that many (creditPerDead) bytes of compaction
// work and the compactor keeps up with any steady delete/overwrite rate.
// Each mutating call does at most maxTickWork bytes (plus the record in
// hand) so none is slow; the owner's Rehash calls add background work.
//
// 2/3 was chosen over 1/2 and 3/4: with records dying uniformly, pages
// average about 82% live (72% at 1/2, 87% at 3/4) for two bytes moved per
// dead byte (one at 1/2, three at 3/4). Measured under delete/insert churn
// of 100-byte values: 150 bytes per key at 2/3 against 192 at 1/2.
const (
	liveNum       = 2
	liveDen       = 3
	creditPerDead = 3
	creditPerOp   = 64
	maxCredit     = 2 * pageSize
	maxTickWork   = 4096
)

// minPageSize is the size of a table's first page; each page opened after
// it is twice the previous one, up to pageSize. A table holding a few
// hundred small records (a big hash's fields) thus costs about what they
// take, not a whole 64 KB page, and a large one reaches full pages after a
// handful.
const minPageSize = 1 << 10

func mostlyDead(live, size int) bool { return live*liveDen < (size-pageStart)*liveNum }

// alloc returns a ref to size fresh bytes (a multiple of unit) and the
// bytes from there to the end of the page.
func (t *Table) alloc(size int) (uint32, []byte) {
	if t.cur < 0 || int(t.meta[t.cur].used)+size > len(t.pages[t.cur]) {
		t.openPage(size)
	}
	m := &t.meta[t.cur]
	off := m.used
	m.used += uint32(size)
	t.recBytes += size
	return uint32(t.cur)<<offBits | off>>unitShift, t.pages[t.cur][off:]
}

// openPage opens the next page, with room for a record of need bytes.
func (t *Table) openPage(need int) {
	if c := t.cur; c >= 0 {
		t.cur = -1
		t.checkPage(c)
	}
	var p int
	if n := len(t.freeIdx); n > 0 {
		p = int(t.freeIdx[n-1])
		t.freeIdx = t.freeIdx[:n-1]
	} else {
		p = len(t.pages)
		if p >= maxPages {
			panic("kvtable: arena full (32 GB of records in one table)")
		}
		t.pages = append(t.pages, nil)
		t.meta = append(t.meta, pageMeta{})
	}
	size := max(t.nextPage, minPageSize)
	for size < need+pageStart && size < pageSize {
		size <<= 1
	}
	t.nextPage = min(size<<1, pageSize)
	t.pages[p] = make([]byte, size)
	t.pageBytes += size
	t.meta[p] = pageMeta{used: pageStart}
	t.cur = p
}

// checkPage releases a closed page with no live records, or queues it for
// compaction once it is mostly dead.
func (t *Table) checkPage(p int) {
	if p == t.cur {
		return
	}
	m := &t.meta[p]
	live := m.live()
	if live == 0 {
		t.releasePage(p)
		return
	}
	if !m.queued && mostlyDead(live, len(t.pages[p])) {
		m.queued = true
		t.queue = append(t.queue, uint32(p))
	}
}

// releasePage drops a page with no live records. The memory is left to the
// garbage collector rather than recycled, so a caller still holding a
// slice into it (an argument to the current call, say) never sees it
// overwritten.
func (t *Table) releasePage(p int) {
	t.pageBytes -= len(t.pages[p])
	t.pages[p] = nil
	t.meta[p] = pageMeta{}
	t.freeIdx = append(t.freeIdx, uint32(p))
	if t.cmp == p {
		t.cmp = -1
	}
}

// kill turns the record at ref into a filler. The caller has unlinked it
// and dealt with its slots and volatile entry.
func (t *Table) kill(ref uint32, size int) {
	writeFiller(t.rec(ref), size)
	p := int(ref >> offBits)
	t.meta[p].dead += uint32(size)
	t.recBytes -= size
	t.checkPage(p)
}

// owe adds compaction credit for dead bytes a caller's mutation made.
func (t *Table) owe(dead int) {
	// At the cap, leave the field alone: a table shared by threads under
	// a lock should not see its header written by every overwrite.
	if t.credit >= maxCredit {
		return
	}
	t.credit += dead*creditPerDead + creditPerOp
	if t.credit > maxCredit {
		t.credit = maxCredit
	}
}

// tick is the incremental background work done at the end of every
// mutating call: one bucket of rehash and a bounded slice of compaction.
// It runs last so that arguments aliasing table memory have been consumed.
func (t *Table) tick() {
	if t.rehashIdx >= 0 {
		t.rehashStep(1)
	}
	if t.credit > 0 && (t.cmp >= 0 || t.qHead < len(t.queue)) {
		w := t.compact(min(t.credit, maxTickWork))
		t.credit -= w
	}
}

func (t *Table) compactPending() bool { return t.cmp >= 0 || t.qHead < len(t.queue) }

// compact moves live records out of queued pages until about budget bytes
// were walked; it returns the bytes walked. A page whose last live record
// leaves is released by kill.
func (t *Table) compact(budget int) int {
	done := 0
	for done < budget {
		if t.cmp < 0 {
			if t.qHead == len(t.queue) {
				t.queue, t.qHead = t.queue[:0], 0
				break
			}
			p := int(t.queue[t.qHead])
			t.qHead++
			if t.qHead > 64 && t.qHead*2 > len(t.queue) {
				n := copy(t.queue, t.queue[t.qHead:])
				t.queue, t.qHead = t.queue[:n], 0
			}
			// A page released (and maybe reused) since it was queued has
			// queued cleared.
			if !t.meta[p].queued || t.pages[p] == nil {
				continue
			}
			t.cmp, t.cmpOff = p, pageStart
		}
		p := t.cmp
		page, m := t.pages[p], &t.meta[p]
		if t.cmpOff >= int(m.used) {
			// Unreachable while the page has live records; be safe.
			t.releasePage(p)
			continue
		}
		rec := page[t.cmpOff:]
		size := recordSize(rec)
		t.cmpOff += size
		if rec[oHdr] == fillerHdr {
			done += unit
			continue
		}
		done += size
		ref := uint32(p)<<offBits | uint32(t.cmpOff-size)>>unitShift
		t.move(ref, rec, size)
	}
	return done
}

// move copies a live record to the allocation page and repoints its
// chain link and volatile slot at the copy.
func (t *Table) move(ref uint32, rec []byte, size int) {
	l := t.linkOf(ref, rec)
	nref, nrec := t.alloc(size)
	copy(nrec[:size], rec[:size])
	t.setLink(l, nref)
	if rec[oHdr]&hExpire != 0 {
		*t.vol.at(int(get32(rec[oVslot:]))) = nref
	}
	t.kill(ref, size)
}
