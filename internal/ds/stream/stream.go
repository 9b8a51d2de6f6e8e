package stream

import (
	"bytes"
	"encoding/binary"
	"sort"
)

// Entry flags, the first byte of every packed entry.
const (
	flagDeleted    = 1 << 0
	flagSameFields = 1 << 1
)

// block is a run of consecutive entries packed into data:
//
//	header: uvarint nfields, nfields × (uvarint len, name)   (master fields)
//	entry:  flags byte, uvarint ms-master.Ms,
//	        uvarint seq (minus master.Seq when the time equals the master's),
//	        uvarint npairs, then npairs × (len, name, len, value), or,
//	        with flagSameFields, npairs × (len, value)
//
// Packing many entries into one byte slice costs a few bytes of overhead
// per entry instead of a map and a header per entry.
type block struct {
	master ID // ID of the first entry added: the base of the deltas
	last   ID // ID of the last entry added, deleted or not
	data   []byte
	hdr    int32 // length of the header
	// head is the offset of the first entry not known to be deleted:
	// entries before it are all deleted, so walks start there and
	// repeated trimming of a block does not rescan its dead prefix.
	head  int32
	tail  int32 // offset of the last entry
	live  int32 // entries not deleted
	total int32 // entries, deleted ones included
}

// Stream is the entries of one stream value. The metadata Redis keeps
// beside the entries is exported for the commands to maintain: LastID
// (greatest ID ever added, or set by XSETID), EntriesAdded (count of every
// entry ever added) and MaxDeleted (greatest ID removed by XDEL).
type Stream struct {
	blocks       []*block
	length       int
	LastID       ID
	EntriesAdded int64
	MaxDeleted   ID
	groups       map[string]*Group
	// sealedSize is the byte size of the last full block: new blocks are
	// allocated at about that size, so filling one neither regrows its
	// slice nor leaves garbage behind.
	sealedSize int
	// scratch for reverse walks and decoding, reused between calls
	offs []int32
	fv   [][]byte
}

// New makes an empty stream.
func New() *Stream { return &Stream{} }

// Len is the number of entries.
func (s *Stream) Len() int { return s.length }

// Blocks is the number of blocks (XINFO's radix-tree-keys).
func (s *Stream) Blocks() int { return len(s.blocks) }

// Limits bound a block: at most MaxEntries entries and MaxBytes bytes
// (0: no bound), as stream-node-max-entries and stream-node-max-bytes.
type Limits struct{ MaxEntries, MaxBytes int }

// Append adds an entry with the given field/value pairs (fv alternates
// name, value). The caller has checked that id is greater than LastID.
func (s *Stream) Append(id ID, fv [][]byte, lim Limits) {
	var b *block
	if n := len(s.blocks); n > 0 {
		b = s.blocks[n-1]
		size := len(b.data) + entrySize(fv)
		if (lim.MaxEntries > 0 && int(b.total) >= lim.MaxEntries) || (lim.MaxBytes > 0 && size > lim.MaxBytes) {
			s.sealedSize = len(b.data)
			b.seal()
			b = nil
		}
	}
	if b == nil {
		want := s.sealedSize + s.sealedSize/16
		if lim.MaxBytes > 0 && want > lim.MaxBytes {
			want = lim.MaxBytes
		}
		b = newBlock(id, fv, want)
		s.blocks = append(s.blocks, b)
	}
	b.add(id, fv)
	s.length++
	s.LastID = id
	s.EntriesAdded++
}

// entrySize is an upper bound of an entry's packed size.
func entrySize(fv [][]byte) int {
	n := 1 + 3*binary.MaxVarintLen64
	for _, x := range fv {
		n += binary.MaxVarintLen64 + len(x)
	}
	return n
}

func newBlock(id ID, fv [][]byte, capacity int) *block {
	b := &block{master: id, data: make([]byte, 0, max(capacity, 64))}
	b.data = binary.AppendUvarint(b.data, uint64(len(fv)/2))
	for i := 0; i < len(fv); i += 2 {
		b.data = binary.AppendUvarint(b.data, uint64(len(fv[i])))
		b.data = append(b.data, fv[i]...)
	}
	b.hdr = int32(len(b.data))
	b.head = b.hdr
	return b
}

// seal drops the spare capacity of a block that will get no more entries,
// unless it is small (a block presized from its predecessor).
func (b *block) seal() {
	if cap(b.data)-len(b.data) > 16+len(b.data)/8 {
		b.data = append([]byte(nil), b.data...)
	}
}

// sameFields reports whether fv's names are the block's master fields.
func (b *block) sameFields(fv [][]byte) bool {
	p := b.data[:b.hdr]
	n, k := binary.Uvarint(p)
	if int(n) != len(fv)/2 {
		return false
	}
	p = p[k:]
	for i := 0; i < len(fv); i += 2 {
		l, k := binary.Uvarint(p)
		p = p[k:]
		if !bytes.Equal(p[:l], fv[i]) {
			return false
		}
		p = p[l:]
	}
	return true
}

func (b *block) add(id ID, fv [][]byte) {
	same := b.sameFields(fv)
	var flags byte
	if same {
		flags = flagSameFields
	}
	b.tail = int32(len(b.data))
	d := append(b.data, flags)
	d = binary.AppendUvarint(d, id.Ms-b.master.Ms)
	if id.Ms == b.master.Ms {
		d = binary.AppendUvarint(d, id.Seq-b.master.Seq)
	} else {
		d = binary.AppendUvarint(d, id.Seq)
	}
	d = binary.AppendUvarint(d, uint64(len(fv)/2))
	for i, x := range fv {
		if same && i%2 == 0 {
			continue
		}
		d = binary.AppendUvarint(d, uint64(len(x)))
		d = append(d, x...)
	}
	b.data = d
	b.last = id
	b.live++
	b.total++
}

// decode reads the entry at offset p: its flags, ID, pairs (appended to
// fv[:0], aliasing the block) and the offset of the next entry. With
// wantFields false the pairs are skipped.
func (b *block) decode(p int, fv [][]byte, wantFields bool) (flags byte, id ID, out [][]byte, next int) {
	d := b.data
	flags = d[p]
	p++
	dms, k := binary.Uvarint(d[p:])
	p += k
	seq, k := binary.Uvarint(d[p:])
	p += k
	id.Ms = b.master.Ms + dms
	if dms == 0 {
		id.Seq = b.master.Seq + seq
	} else {
		id.Seq = seq
	}
	n, k := binary.Uvarint(d[p:])
	p += k
	out = fv[:0]
	var names []byte
	if flags&flagSameFields != 0 {
		_, k := binary.Uvarint(d)
		names = d[k:b.hdr]
	}
	for i := uint64(0); i < n; i++ {
		if flags&flagSameFields != 0 {
			l, k := binary.Uvarint(names)
			if wantFields {
				out = append(out, names[k:k+int(l)])
			}
			names = names[k+int(l):]
		} else {
			l, k := binary.Uvarint(d[p:])
			p += k
			if wantFields {
				out = append(out, d[p:p+int(l)])
			}
			p += int(l)
		}
		l, k := binary.Uvarint(d[p:])
		p += k
		if wantFields {
			out = append(out, d[p:p+int(l)])
		}
		p += int(l)
	}
	return flags, id, out, p
}

// seek returns the index of the block that would hold id: the last block
// whose master ID is <= id (0 when id precedes them all).
func (s *Stream) seek(id ID) int {
	i := sort.Search(len(s.blocks), func(i int) bool { return id.Less(s.blocks[i].master) })
	if i > 0 {
		i--
	}
	return i
}

// Range calls fn for each live entry with start <= ID <= end, in
// ascending order (descending with rev), until fn returns false. The
// pairs passed to fn alias the stream and are valid only during the call;
// fn must not change the stream.
func (s *Stream) Range(start, end ID, rev bool, fn func(id ID, fv [][]byte) bool) {
	if end.Less(start) || s.length == 0 {
		return
	}
	if !rev {
		for bi := s.seek(start); bi < len(s.blocks); bi++ {
			b := s.blocks[bi]
			if b.last.Less(start) {
				continue
			}
			if end.Less(b.master) {
				return
			}
			for p := int(b.head); p < len(b.data); {
				var flags byte
				var id ID
				flags, id, s.fv, p = b.decode(p, s.fv, true)
				if flags&flagDeleted != 0 || id.Less(start) {
					continue
				}
				if end.Less(id) {
					return
				}
				if !fn(id, s.fv) {
					return
				}
			}
		}
		return
	}
	for bi := s.seek(end); bi >= 0; bi-- {
		b := s.blocks[bi]
		if b.last.Less(start) {
			return
		}
		// Entries are only walkable forwards: note their offsets, then
		// visit them backwards. A block holds few entries.
		offs := s.offs[:0]
		for p := int(b.head); p < len(b.data); {
			offs = append(offs, int32(p))
			_, _, _, p = b.decode(p, nil, false)
		}
		s.offs = offs
		for j := len(offs) - 1; j >= 0; j-- {
			flags, id, fv, _ := b.decode(int(offs[j]), s.fv, true)
			s.fv = fv
			if flags&flagDeleted != 0 || end.Less(id) {
				continue
			}
			if id.Less(start) {
				return
			}
			if !fn(id, fv) {
				return
			}
		}
	}
}

// Get returns the pairs of entry id (aliasing the stream, valid until the
// next change).
func (s *Stream) Get(id ID) ([][]byte, bool) {
	var out [][]byte
	found := false
	s.Range(id, id, false, func(_ ID, fv [][]byte) bool {
		out, found = fv, true
		return false
	})
	return out, found
}

// Delete marks entry id deleted; false if there is no such live entry.
func (s *Stream) Delete(id ID) bool {
	if s.length == 0 {
		return false
	}
	bi := s.seek(id)
	b := s.blocks[bi]
	if id.Less(b.master) || b.last.Less(id) {
		return false
	}
	for p := int(b.head); p < len(b.data); {
		at := p
		flags, eid, _, next := b.decode(p, nil, false)
		p = next
		if eid != id {
			if id.Less(eid) {
				return false
			}
			continue
		}
		if flags&flagDeleted != 0 {
			return false
		}
		b.data[at] |= flagDeleted
		b.live--
		s.length--
		if b.live == 0 {
			s.removeBlock(bi)
		} else if at == int(b.head) {
			b.head = int32(next)
		}
		return true
	}
	return false
}

// removeBlock drops block i. Dropping the first block (trimming) only
// reslices; the array is compacted when the next append grows it.
func (s *Stream) removeBlock(i int) {
	if i == 0 {
		s.blocks[0] = nil
		s.blocks = s.blocks[1:]
		return
	}
	copy(s.blocks[i:], s.blocks[i+1:])
	s.blocks[len(s.blocks)-1] = nil
	s.blocks = s.blocks[:len(s.blocks)-1]
}

// First is the ID of the first live entry.
func (s *Stream) First() (ID, bool) {
	var first ID
	found := false
	s.Range(ID{}, MaxID(), false, func(id ID, _ [][]byte) bool {
		first, found = id, true
		return false
	})
	return first, found
}

// Last is the ID of the last live entry.
func (s *Stream) Last() (ID, bool) {
	if n := len(s.blocks); n > 0 {
		// The common case, read by every XREAD: the newest entry is live.
		if b := s.blocks[n-1]; b.data[b.tail]&flagDeleted == 0 {
			return b.last, true
		}
	}
	var last ID
	found := false
	s.Range(ID{}, MaxID(), true, func(id ID, _ [][]byte) bool {
		last, found = id, true
		return false
	})
	return last, found
}

// Trim describes a trimming: keep at most MaxLen entries (ByMinID false)
// or drop entries below MinID. Approx removes only whole blocks; Limit
// (with Approx) caps the entries removed, 0 meaning no cap.
type Trim struct {
	ByMinID bool
	MaxLen  int64
	MinID   ID
	Approx  bool
	Limit   int64
}

// Trim removes entries from the head as t says and returns how many.
func (s *Stream) Trim(t Trim) int64 {
	var removed int64
	for len(s.blocks) > 0 {
		if !t.ByMinID && int64(s.length) <= t.MaxLen {
			break
		}
		b := s.blocks[0]
		if t.Limit > 0 && removed+int64(b.live) > t.Limit {
			break
		}
		var whole bool
		if t.ByMinID {
			whole = b.last.Less(t.MinID)
		} else {
			whole = int64(s.length)-int64(b.live) >= t.MaxLen
		}
		if whole {
			removed += int64(b.live)
			s.length -= int(b.live)
			s.removeBlock(0)
			continue
		}
		if t.Approx {
			break
		}
		p := int(b.head)
		for p < len(b.data) {
			flags, id, _, next := b.decode(p, nil, false)
			if flags&flagDeleted == 0 {
				if t.ByMinID {
					if !id.Less(t.MinID) {
						break
					}
				} else if int64(s.length) <= t.MaxLen {
					break
				}
				b.data[p] |= flagDeleted
				b.live--
				s.length--
				removed++
			}
			p = next
		}
		b.head = int32(p)
		break
	}
	return removed
}

// MemoryUsage estimates the bytes the stream holds.
func (s *Stream) MemoryUsage() int {
	n := 96 + cap(s.blocks)*8
	for _, b := range s.blocks {
		n += 80 + cap(b.data)
	}
	return n + s.groupsMemory()
}

// Clone is a deep copy.
func (s *Stream) Clone() *Stream {
	c := &Stream{length: s.length, LastID: s.LastID, EntriesAdded: s.EntriesAdded, MaxDeleted: s.MaxDeleted}
	c.blocks = make([]*block, len(s.blocks))
	for i, b := range s.blocks {
		nb := *b
		nb.data = append([]byte(nil), b.data...)
		c.blocks[i] = &nb
	}
	s.cloneGroups(c)
	return c
}
