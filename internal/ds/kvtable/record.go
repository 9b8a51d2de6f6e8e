package kvtable

import "encoding/binary"

// Arena geometry. A ref is a uint32: page index in the high bits, offset in
// 8-byte units in the low offBits bits. With 64 KB pages that is 2^19 pages,
// i.e. 32 GB of records per table (values above maxInlineVal and objects live
// outside the arena and do not count against it).
const (
	pageShift = 16
	pageSize  = 1 << pageShift
	unitShift = 3
	unit      = 1 << unitShift
	offBits   = pageShift - unitShift
	offMask   = 1<<offBits - 1
	maxPages  = 1 << (32 - offBits)
	// pageStart is the first byte of a page that holds records. Leaving the
	// first unit unused keeps ref 0 free to mean "no record".
	pageStart = unit
)

// Inline limits: larger keys and values are stored as []byte slots on the
// Go heap and the record keeps a 4-byte slot index. A record is at most
// about maxInlineKey+maxInlineVal+40 bytes, far below a page, so a page
// never has to be bigger than pageSize and its unused tail stays small.
const (
	maxInlineKey = 1024
	// defaultMaxInlineVal was chosen by measurement (see doc.go).
	defaultMaxInlineVal = 4096
)

// Record header bits (byte 0). A dead record or the unused tail of a
// shrunk record is a filler: byte 0 is fillerHdr and bytes 4..8 hold its
// size, so a page can be walked from its start.
const (
	hExpire  = 1 << 0 // has the 8-byte expire time and 4-byte volatile slot
	hValHeap = 1 << 1 // value field is a 4-byte index into Table.bigs
	hValObj  = 1 << 2 // value field is a 4-byte index into Table.objs
	hKeyHeap = 1 << 3 // key field is a 4-byte index into Table.bigs
	// hSnap marks the record as captured by the running snapshot when it
	// equals Table.snapBit (see snapshot.go).
	hSnap = 1 << 4

	fillerHdr = 0xFF
)

// Record field offsets.
//
//	0  hdr      header bits
//	1  kind     caller's type tag
//	2  flags    caller's bits
//	3  tag      top 8 bits of the key's hash: skips most key compares
//	4  next     ref of the next record in the bucket chain
//	8  access   caller's LRU/LFU clock
//	12 expire   int64 unix ms       (only if hExpire)
//	20 vslot    uint32 index in vol (only if hExpire)
//	.. klen     uvarint key length
//	.. key      klen bytes, or 4-byte bigs index
//	.. vlen     uvarint value length (only for inline values)
//	.. value    vlen bytes, or 4-byte bigs/objs index
//
// The record is padded to a multiple of 8 bytes. The key comes before the
// value length so that rewriting a value in place never moves the key.
const (
	oHdr      = 0
	oKind     = 1
	oFlags    = 2
	oTag      = 3
	oNext     = 4
	oAccess   = 8
	oExpire   = 12
	oVslot    = 20
	oFixed    = 12
	oFixedExp = 24
)

// Value storage modes.
const (
	vmInline = 0
	vmHeap   = hValHeap
	vmObj    = hValObj
)

func get32(b []byte) uint32    { return binary.LittleEndian.Uint32(b) }
func put32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }
func get64(b []byte) uint64    { return binary.LittleEndian.Uint64(b) }
func put64(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) }

func align(n int) int { return (n + unit - 1) &^ (unit - 1) }

func uvarintLen(x int) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func putUvarint(b []byte, x int) int {
	i := 0
	for x >= 0x80 {
		b[i] = byte(x) | 0x80
		x >>= 7
		i++
	}
	b[i] = byte(x)
	return i + 1
}

func uvarint(b []byte) (int, int) {
	if b[0] < 0x80 {
		return int(b[0]), 1
	}
	x, s := 0, uint(0)
	for i, c := range b {
		if c < 0x80 {
			return x | int(c)<<s, i + 1
		}
		x |= int(c&0x7f) << s
		s += 7
	}
	panic("kvtable: corrupt varint")
}

// layout is the decoded position of a record's variable fields.
type layout struct {
	kOff, kLen int // key field offset; key length (field is 4 bytes if hKeyHeap)
	vOff, vLen int // value field offset; value length (4 for heap/obj fields)
}

func (l layout) end() int { return l.vOff + l.vLen }

func parse(rec []byte) layout {
	h := rec[oHdr]
	p := oFixed
	if h&hExpire != 0 {
		p = oFixedExp
	}
	kl, n := uvarint(rec[p:])
	p += n
	var l layout
	l.kOff, l.kLen = p, kl
	if h&hKeyHeap != 0 {
		p += 4
	} else {
		p += kl
	}
	if h&(hValHeap|hValObj) != 0 {
		l.vOff, l.vLen = p, 4
	} else {
		vl, n := uvarint(rec[p:])
		l.vOff, l.vLen = p+n, vl
	}
	return l
}

// recordSize is the padded size of the live record or filler at rec.
func recordSize(rec []byte) int {
	if rec[oHdr] == fillerHdr {
		return int(get32(rec[oNext:]))
	}
	return align(parse(rec).end())
}

func sizeFor(exp bool, kLen int, keyHeap bool, vMode uint8, vLen int) int {
	n := oFixed
	if exp {
		n = oFixedExp
	}
	n += uvarintLen(kLen)
	if keyHeap {
		n += 4
	} else {
		n += kLen
	}
	if vMode == vmInline {
		n += uvarintLen(vLen) + vLen
	} else {
		n += 4
	}
	return align(n)
}

func writeFiller(rec []byte, size int) {
	rec[oHdr] = fillerHdr
	put32(rec[oNext:], uint32(size))
}

// Kind is an opaque type tag the caller stores with each key.
type Kind uint8

// Expire-time arguments.
const (
	NoExpire   int64 = 0  // no expire time (for SetExpire: remove it)
	KeepExpire int64 = -1 // Set*: keep the key's current expire time, none if new
)

// Entry is a read-only view of one record. It is valid until the next
// mutating call on its Table (Set*, Delete, Append, MutableBytes, Rehash,
// Clear, …); Get, Scan, Range, RandomEntry and SampleVolatile do not
// invalidate entries.
type Entry struct {
	t   *Table
	rec []byte // from the record's first byte to the end of its page
}

// Key returns the key. It aliases table memory: do not modify or retain it.
func (e Entry) Key() []byte {
	rec := e.rec
	p := oFixed
	if rec[oHdr]&hExpire != 0 {
		p = oFixedExp
	}
	kl, n := uvarint(rec[p:])
	p += n
	if rec[oHdr]&hKeyHeap != 0 {
		b := *e.t.bigs.at(int(get32(rec[p:])))
		return b[:len(b):len(b)]
	}
	return rec[p : p+kl : p+kl]
}

// Kind returns the caller's type tag.
func (e Entry) Kind() Kind { return Kind(e.rec[oKind]) }

// Flags returns the caller's flag bits.
func (e Entry) Flags() uint8 { return e.rec[oFlags] }

// Bytes returns the byte value (aliasing table memory: read only, do not
// retain), or nil if the value is an object. An empty value is non-nil.
func (e Entry) Bytes() []byte {
	rec := e.rec
	h := rec[oHdr]
	if h&hValObj != 0 {
		return nil
	}
	l := parse(rec)
	if h&hValHeap != 0 {
		b := *e.t.bigs.at(int(get32(rec[l.vOff:])))
		return b[:len(b):len(b)]
	}
	return rec[l.vOff : l.vOff+l.vLen : l.vOff+l.vLen]
}

// Obj returns the object value, or nil for byte values.
func (e Entry) Obj() any {
	if e.rec[oHdr]&hValObj == 0 {
		return nil
	}
	l := parse(e.rec)
	return *e.t.objs.at(int(get32(e.rec[l.vOff:])))
}

// IsObj reports whether the value is an object (set with SetObj).
func (e Entry) IsObj() bool { return e.rec[oHdr]&hValObj != 0 }

// ExpireAt returns the expire time in unix ms, or 0 for none.
func (e Entry) ExpireAt() int64 {
	if e.rec[oHdr]&hExpire == 0 {
		return 0
	}
	return int64(get64(e.rec[oExpire:]))
}

// Access returns the caller-managed access clock (see Table.Touch).
func (e Entry) Access() uint32 { return get32(e.rec[oAccess:]) }

// SetAccess overwrites the record's access clock in place: reads stamp
// their record through the Entry they already hold, with no second lookup.
func (e Entry) SetAccess(v uint32) {
	// Stored only when it changes (the LRU clock ticks once a second): a
	// store of the same value would still take the cache line from other
	// cores reading the record or its neighbours.
	if get32(e.rec[oAccess:]) != v {
		put32(e.rec[oAccess:], v)
	}
}

// Overwrite replaces the byte value with v, of the same length, in place,
// and sets the caller flags. It reports false, changing nothing, when v's
// length differs or the value is an object: the caller then uses SetBytes.
// It saves the second lookup of a read-modify-write such as INCR.
func (e Entry) Overwrite(v []byte, flags uint8) bool {
	if e.rec[oHdr]&hValObj != 0 {
		return false
	}
	b := e.Bytes()
	if len(b) != len(v) {
		return false
	}
	copy(b, v)
	e.rec[oFlags] = flags
	return true
}
