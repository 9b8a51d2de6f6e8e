package kvtable

import (
	"hash/maphash"
	"math/bits"
)

const minBuckets = 4

// Table is a hash table of keys to byte or object values. It is not safe
// for concurrent use: the owner serialises all calls.
type Table struct {
	// Access is the access clock written into every record that SetBytes,
	// SetObj or AppendBytes creates, and that SetBytes or SetObj overwrites
	// (other rewrites keep the record's clock). The owner sets it before
	// such calls (the keyspace does per command), so a write needs no
	// second lookup to stamp its record.
	Access uint32

	seed maphash.Seed

	// Index: ht[0] is the main bucket array; while resizing, ht[1] is the
	// new one and buckets below rehashIdx of ht[0] have been moved to it.
	// Buckets hold the ref of the first record of their chain.
	ht        [2][]uint32
	rehashIdx int // -1 when not resizing
	count     int

	// Arena: pointer-free pages of records.
	pages   [][]byte
	meta    []pageMeta
	freeIdx []uint32 // indices of released pages, reused first
	cur     int      // page receiving new records, -1 if none
	// nextPage is the size of the next page to open (minPageSize doubling
	// up to pageSize); pageBytes the size of the open pages.
	nextPage  int
	pageBytes int
	queue     []uint32 // pages waiting for compaction, from qHead on
	qHead     int
	cmp       int // page being compacted, -1 if none
	cmpOff    int // next record of cmp to look at
	credit    int // bytes of compaction work owed (see tick)
	maxVal    int // largest value stored inline
	// recBytes is the size of the live records in the pages (fillers and
	// unused page tails excluded), kept per allocation and kill so that
	// DataBytes is O(1).
	recBytes int

	vol      segs[uint32] // refs of records with an expire time
	bigs     segs[[]byte] // large keys and values
	bigFree  segs[uint32]
	bigBytes int          // sum of cap of bigs buffers
	objs     segs[any]    // object values
	objFree  segs[uint32] //

	// snapBit is the hSnap value of a record the running snapshot has
	// captured (or that was written after its instant); see snapshot.go.
	snapBit byte
}

type pageMeta struct {
	used   uint32 // records occupy [pageStart, used)
	dead   uint32 // bytes of fillers in [pageStart, used)
	queued bool   // in queue or being compacted
}

func (m *pageMeta) live() int { return int(m.used) - pageStart - int(m.dead) }

// New returns an empty table with its own hash seed.
func New() *Table {
	return &Table{seed: maphash.MakeSeed(), rehashIdx: -1, cur: -1, cmp: -1, maxVal: defaultMaxInlineVal}
}

// Len returns the number of keys.
func (t *Table) Len() int { return t.count }

// VolatileLen returns the number of keys with an expire time.
func (t *Table) VolatileLen() int { return t.vol.len() }

func (t *Table) hash(key []byte) uint64 { return maphash.Bytes(t.seed, key) }

func tagOf(h uint64) byte { return byte(h >> 56) }

// rec returns the bytes from the record at ref to the end of its page.
func (t *Table) rec(ref uint32) []byte {
	return t.pages[ref>>offBits][(ref&offMask)<<unitShift:]
}

func next(rec []byte) uint32 { return get32(rec[oNext:]) }

// keyOf returns the key of a live record.
func (t *Table) keyOf(rec []byte) []byte {
	return Entry{t, rec}.Key()
}

func (t *Table) keyEq(rec []byte, key []byte) bool {
	p := oFixed
	if rec[oHdr]&hExpire != 0 {
		p = oFixedExp
	}
	kl, n := uvarint(rec[p:])
	if kl != len(key) {
		return false
	}
	p += n
	if rec[oHdr]&hKeyHeap != 0 {
		return string(*t.bigs.at(int(get32(rec[p:])))) == string(key)
	}
	return string(rec[p:p+kl]) == string(key)
}

// link locates the uint32 that holds a record's ref: the next field of
// prev, or bucket b of ht[tbl] when prev is 0.
type link struct {
	prev uint32
	tbl  int
	b    int
}

func (t *Table) setLink(l link, ref uint32) {
	if l.prev != 0 {
		put32(t.rec(l.prev)[oNext:], ref)
	} else {
		t.ht[l.tbl][l.b] = ref
	}
}

// find returns the ref of key's record (0 if absent) and its link.
func (t *Table) find(key []byte, h uint64) (uint32, link) {
	tag := tagOf(h)
	for ti := 0; ti < 2; ti++ {
		ht := t.ht[ti]
		if len(ht) == 0 {
			break
		}
		b := int(h & uint64(len(ht)-1))
		if ti == 0 && b < t.rehashIdx {
			continue // already moved to ht[1]
		}
		var prev uint32
		for r := ht[b]; r != 0; {
			rec := t.rec(r)
			if rec[oTag] == tag && t.keyEq(rec, key) {
				return r, link{prev, ti, b}
			}
			prev = r
			r = next(rec)
		}
		if t.rehashIdx < 0 {
			break
		}
	}
	return 0, link{}
}

// lookup is find without the link, for read paths.
func (t *Table) lookup(key []byte) uint32 {
	h := t.hash(key)
	tag := tagOf(h)
	for ti := 0; ti < 2; ti++ {
		ht := t.ht[ti]
		if len(ht) == 0 {
			return 0
		}
		b := int(h & uint64(len(ht)-1))
		if ti == 0 && b < t.rehashIdx {
			continue
		}
		for r := ht[b]; r != 0; {
			rec := t.rec(r)
			if rec[oTag] == tag && t.keyEq(rec, key) {
				return r
			}
			r = next(rec)
		}
		if t.rehashIdx < 0 {
			return 0
		}
	}
	return 0
}

// linkOf finds the link of a record known to be in the index.
func (t *Table) linkOf(ref uint32, rec []byte) link {
	h := t.hash(t.keyOf(rec))
	for ti := 0; ti < 2; ti++ {
		ht := t.ht[ti]
		if len(ht) == 0 {
			break
		}
		b := int(h & uint64(len(ht)-1))
		if ti == 0 && b < t.rehashIdx {
			continue
		}
		var prev uint32
		for r := ht[b]; r != 0; r = next(t.rec(r)) {
			if r == ref {
				return link{prev, ti, b}
			}
			prev = r
		}
	}
	panic("kvtable: record missing from index")
}

// link a new record at the head of its bucket chain.
func (t *Table) index(ref uint32, rec []byte, h uint64) {
	if len(t.ht[0]) == 0 {
		t.ht[0] = make([]uint32, minBuckets)
	}
	ht := t.ht[0]
	if t.rehashIdx >= 0 {
		ht = t.ht[1]
	}
	b := h & uint64(len(ht)-1)
	put32(rec[oNext:], ht[b])
	ht[b] = ref
	t.count++
	if t.rehashIdx < 0 && t.count >= len(t.ht[0]) {
		t.startResize(t.count + 1)
	}
}

func nextPow2(n int) int {
	if n <= minBuckets {
		return minBuckets
	}
	return 1 << bits.Len(uint(n-1))
}

func (t *Table) startResize(n int) {
	n = nextPow2(n)
	if n == len(t.ht[0]) {
		return
	}
	t.ht[1] = make([]uint32, n)
	t.rehashIdx = 0
}

// maybeShrink starts a shrink when the table is less than 10% full, as
// Redis does, so a table that once held many keys gives the memory back.
func (t *Table) maybeShrink() {
	if t.rehashIdx >= 0 || len(t.ht[0]) <= minBuckets {
		return
	}
	if t.count == 0 {
		// Every bucket is empty: no need to move anything.
		t.ht[0] = nil
		return
	}
	if t.count*10 < len(t.ht[0]) {
		t.startResize(t.count)
	}
}

// rehashStep moves up to n buckets from ht[0] to ht[1], looking at no more
// than 10n empty buckets, and returns the number of units of work done.
func (t *Table) rehashStep(n int) int {
	work := 0
	empty := n * 10
	for n > 0 && t.rehashIdx >= 0 {
		old := t.ht[0]
		for t.rehashIdx < len(old) && old[t.rehashIdx] == 0 {
			t.rehashIdx++
			if empty--; empty == 0 {
				break
			}
		}
		if t.rehashIdx < len(old) && old[t.rehashIdx] != 0 {
			nt := t.ht[1]
			mask := uint64(len(nt) - 1)
			for r := old[t.rehashIdx]; r != 0; {
				rec := t.rec(r)
				nx := next(rec)
				b := t.hash(t.keyOf(rec)) & mask
				put32(rec[oNext:], nt[b])
				nt[b] = r
				r = nx
			}
			old[t.rehashIdx] = 0
			t.rehashIdx++
			n--
		}
		work++
		if t.rehashIdx == len(old) {
			t.ht[0], t.ht[1] = t.ht[1], nil
			t.rehashIdx = -1
			// Growth and shrinking may both be due again (e.g. many inserts
			// while resizing).
			if t.count >= len(t.ht[0]) {
				t.startResize(t.count + 1)
			} else {
				t.maybeShrink()
			}
		}
		if empty <= 0 {
			break
		}
	}
	return work
}
