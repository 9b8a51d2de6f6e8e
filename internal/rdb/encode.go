package rdb

import (
	"encoding/binary"
	"io"
	"math"
	"strconv"
)

// Options shape what the encoder writes.
type Options struct {
	// Compress LZF-compresses strings longer than 20 bytes when that
	// saves room (rdbcompression).
	Compress bool
	// ListFill is list-max-listpack-size: negative for a byte limit per
	// quicklist node (-1 4 KiB … -5 64 KiB), positive for an entry count.
	// Zero means Redis's default, -2.
	ListFill int
}

// appender writes values into byte slices; it owns the LZF table.
type appender struct {
	opt  Options
	lzf  *lzfTable
	temp []byte // listpack under construction
}

func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, 0x40|byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		b = append(b, 0x80)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
	b = append(b, 0x81)
	return binary.BigEndian.AppendUint64(b, n)
}

// canonicalInt parses s when it is exactly how Redis prints an integer
// (no sign but '-', no leading zero, no "-0"): only those are stored as
// integers, so that they read back as the same bytes.
func canonicalInt(s []byte) (int64, bool) {
	n := len(s)
	if n == 0 || n > 20 {
		return 0, false
	}
	neg := s[0] == '-'
	i := 0
	if neg {
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if s[i] == '0' {
		// "0" alone is canonical; "-0", "01" are not.
		return 0, n == 1
	}
	var u uint64
	for ; i < n; i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		if u > (math.MaxUint64-uint64(c))/10 {
			return 0, false
		}
		u = u*10 + uint64(c)
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// appendString writes s as Redis's rdbSaveRawString does: a short
// canonical integer in 32 bits as an integer, a string over 20 bytes
// LZF-compressed when that fits in 4 bytes less, else plain.
func (a *appender) appendString(b, s []byte) []byte {
	if len(s) <= 11 {
		if v, ok := canonicalInt(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			return appendIntEnc(b, v)
		}
	}
	if a.opt.Compress && len(s) > 20 {
		if a.lzf == nil {
			a.lzf = new(lzfTable)
		}
		if c := lzfCompress(s, len(s)-4, a.lzf); c != nil {
			b = append(b, 0xC0|encLZF)
			b = appendLen(b, uint64(len(c)))
			b = appendLen(b, uint64(len(s)))
			return append(b, c...)
		}
	}
	b = appendLen(b, uint64(len(s)))
	return append(b, s...)
}

func appendIntEnc(b []byte, v int64) []byte {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(b, 0xC0|encInt8, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return append(append(b, 0xC0|encInt16), byte(v), byte(v>>8))
	}
	b = append(b, 0xC0|encInt32)
	return binary.LittleEndian.AppendUint32(b, uint32(v))
}

// FormatScore prints a sorted set score as Redis 7.0 stores it in a
// listpack (d2string): integers in the long long range as integers, the
// rest with 17 significant digits.
func FormatScore(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0"...)
		}
		return append(b, '0')
	}
	if f >= -math.MaxInt64/2 && f <= math.MaxInt64/2 && f == math.Trunc(f) {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// listpack building

const lpHeader = 6

func lpStart(b []byte) []byte { return append(b, 0, 0, 0, 0, 0, 0) }

// lpEntrySize is the bytes one element takes in a listpack (encoding,
// data and back length), for the quicklist node size rule.
func lpEntrySize(s []byte) int {
	var n int
	if v, ok := canonicalInt(s); ok {
		n = lpIntSize(v)
	} else {
		n = lpStrHeader(len(s)) + len(s)
	}
	return n + lpBacklenSize(n)
}

func lpIntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 3
	case v >= -1<<23 && v < 1<<23:
		return 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 5
	}
	return 9
}

func lpStrHeader(n int) int {
	switch {
	case n < 64:
		return 1
	case n < 4096:
		return 2
	}
	return 5
}

func lpBacklenSize(n int) int {
	switch {
	case n <= 127:
		return 1
	case n < 16383:
		return 2
	case n < 2097151:
		return 3
	case n < 268435455:
		return 4
	}
	return 5
}

// lpAppend adds one element, as an integer when it is a canonical one.
func lpAppend(b, s []byte) []byte {
	start := len(b)
	if v, ok := canonicalInt(s); ok {
		switch lpIntSize(v) {
		case 1:
			b = append(b, byte(v))
		case 2:
			u := uint16(v) & 0x1fff
			b = append(b, 0xC0|byte(u>>8), byte(u))
		case 3:
			b = append(b, 0xF1, byte(v), byte(v>>8))
		case 4:
			b = append(b, 0xF2, byte(v), byte(v>>8), byte(v>>16))
		case 5:
			b = append(b, 0xF3)
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = append(b, 0xF4)
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	} else {
		n := len(s)
		switch {
		case n < 64:
			b = append(b, 0x80|byte(n))
		case n < 4096:
			b = append(b, 0xE0|byte(n>>8), byte(n))
		default:
			b = append(b, 0xF0)
			b = binary.LittleEndian.AppendUint32(b, uint32(n))
		}
		b = append(b, s...)
	}
	return lpAppendBacklen(b, len(b)-start)
}

func lpAppendBacklen(b []byte, l int) []byte {
	switch lpBacklenSize(l) {
	case 1:
		return append(b, byte(l))
	case 2:
		return append(b, byte(l>>7), byte(l&127)|128)
	case 3:
		return append(b, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case 4:
		return append(b, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
}

// lpFinish writes the terminator and the header of the listpack that
// starts at b[start:].
func lpFinish(b []byte, start, count int) []byte {
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start))
	if count > 65535 {
		count = 65535
	}
	binary.LittleEndian.PutUint16(b[start+4:], uint16(count))
	return b
}

// listNodeLimit tells whether a quicklist node of sz bytes and count
// entries may take one more element of size n, by Redis 7.0's rule.
func listNodeAllows(fill, sz, count, n int) bool {
	newSz := sz + n + 8 // Redis's overestimate of the entry's overhead
	if fill < 0 {
		lvl := -fill - 1
		if lvl > 4 {
			lvl = 4
		}
		return newSz <= 4096<<lvl
	}
	if newSz > 8192 {
		return false
	}
	return count < fill
}

// valueType is the type byte Redis 7.0 writes for v.
func valueType(v *Value) byte {
	switch v.Kind {
	case KindString:
		return TypeString
	case KindList:
		return TypeListQuicklist2
	case KindSet:
		if v.Ints != nil || (v.Compact && v.Elems == nil) {
			return TypeSetIntset
		}
		return TypeSet
	case KindZSet:
		if v.Compact {
			return TypeZSetListpack
		}
		return TypeZSet2
	case KindHash:
		if v.Compact {
			return TypeHashListpack
		}
		return TypeHash
	case KindStream:
		return TypeStreamListpack2
	}
	panic("rdb: unknown value kind")
}

// appendValue appends v's type byte and its encoding to b.
func (a *appender) appendValue(b []byte, v *Value) []byte {
	return a.appendBody(append(b, valueType(v)), v)
}

// appendBody appends v's encoding, as Redis 7.0 writes it, to b.
func (a *appender) appendBody(b []byte, v *Value) []byte {
	switch v.Kind {
	case KindString:
		return a.appendString(b, v.Str)
	case KindList:
		return a.appendQuicklist(b, v.Elems)
	case KindSet:
		if v.Ints != nil || (v.Compact && v.Elems == nil) {
			return a.appendString(b, buildIntset(v.Ints))
		}
		b = appendLen(b, uint64(len(v.Elems)))
		for _, m := range v.Elems {
			b = a.appendString(b, m)
		}
		return b
	case KindZSet:
		if v.Compact {
			lp := lpStart(a.temp[:0])
			var num []byte
			for i, m := range v.Elems {
				lp = lpAppend(lp, m)
				num = FormatScore(num[:0], v.Scores[i])
				lp = lpAppend(lp, num)
			}
			lp = lpFinish(lp, 0, 2*len(v.Elems))
			a.temp = lp
			return a.appendString(b, lp)
		}
		// Highest score first, as Redis, so a loader inserting at the
		// head of a skiplist does no search.
		b = appendLen(b, uint64(len(v.Elems)))
		for i := len(v.Elems) - 1; i >= 0; i-- {
			b = a.appendString(b, v.Elems[i])
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Scores[i]))
		}
		return b
	case KindStream:
		return a.appendStream(b, v.Stream)
	case KindHash:
		if v.Compact {
			lp := lpStart(a.temp[:0])
			for _, s := range v.Elems {
				lp = lpAppend(lp, s)
			}
			lp = lpFinish(lp, 0, len(v.Elems))
			a.temp = lp
			return a.appendString(b, lp)
		}
		b = appendLen(b, uint64(len(v.Elems)/2))
		for _, s := range v.Elems {
			b = a.appendString(b, s)
		}
		return b
	}
	panic("rdb: unknown value kind")
}

// appendQuicklist writes a list as quicklist-2 listpack nodes, cut where
// Redis cuts a list built by appending at its tail.
func (a *appender) appendQuicklist(b []byte, elems [][]byte) []byte {
	fill := a.opt.ListFill
	if fill == 0 {
		fill = -2
	}
	// Count the nodes first: the count precedes them.
	nodes := 0
	for i := 0; i < len(elems); {
		nodes++
		sz, n := lpHeader+1, 0
		for i < len(elems) {
			es := lpEntrySize(elems[i])
			if n > 0 && !listNodeAllows(fill, sz, n, len(elems[i])) {
				break
			}
			sz += es
			n++
			i++
		}
	}
	b = appendLen(b, uint64(nodes))
	for i := 0; i < len(elems); {
		lp := lpStart(a.temp[:0])
		sz, n := lpHeader+1, 0
		for i < len(elems) {
			if n > 0 && !listNodeAllows(fill, sz, n, len(elems[i])) {
				break
			}
			lp = lpAppend(lp, elems[i])
			sz = len(lp) + 1
			n++
			i++
		}
		lp = lpFinish(lp, 0, n)
		a.temp = lp
		b = appendLen(b, quicklistPacked)
		b = a.appendString(b, lp)
	}
	return b
}

// buildIntset encodes ascending integers as Redis's intset, with the
// narrowest width that holds them all.
func buildIntset(v []int64) []byte {
	w := 2
	for _, x := range v {
		if x < math.MinInt32 || x > math.MaxInt32 {
			w = 8
			break
		}
		if x < math.MinInt16 || x > math.MaxInt16 {
			w = 4
		}
	}
	b := make([]byte, 0, 8+w*len(v))
	b = binary.LittleEndian.AppendUint32(b, uint32(w))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	for _, x := range v {
		switch w {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(x))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(x))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(x))
		}
	}
	return b
}

func (a *appender) appendKey(b, key []byte, v *Value) []byte {
	b = append(b, valueType(v))
	b = a.appendString(b, key)
	return a.appendBody(b, v)
}

// Appender serializes keys into memory, for a snapshot taken under locks
// and written out later (Encoder.Raw).
type Appender struct{ a appender }

// NewAppender returns an Appender writing with opt.
func NewAppender(opt Options) *Appender { return &Appender{a: appender{opt: opt}} }

// AppendKey appends key's record (expiry, type, key, value) to b.
func (p *Appender) AppendKey(b, key []byte, v *Value, expireMs int64) []byte {
	if expireMs != 0 {
		b = append(b, opExpireMs)
		b = binary.LittleEndian.AppendUint64(b, uint64(expireMs))
	}
	return p.a.appendKey(b, key, v)
}

// DumpPayload is DUMP's reply for v: the value, the RDB version (2 bytes)
// and the CRC64 of all that.
func DumpPayload(v *Value, opt Options) []byte {
	a := appender{opt: opt}
	b := a.appendValue(nil, v)
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

// Encoder writes an RDB file.
type Encoder struct {
	w        io.Writer
	a        appender
	buf      []byte
	crc      uint64
	checksum bool
	n        int64
	err      error
}

// NewEncoder writes to w; checksum false writes a zero checksum, as Redis
// with rdbchecksum no.
func NewEncoder(w io.Writer, opt Options, checksum bool) *Encoder {
	return &Encoder{w: w, a: appender{opt: opt}, checksum: checksum, buf: make([]byte, 0, 64<<10)}
}

// flush writes the buffered bytes out once they are many.
func (e *Encoder) flush(force bool) {
	if e.err != nil || (!force && len(e.buf) < 32<<10) {
		return
	}
	if e.checksum {
		e.crc = CRC64(e.crc, e.buf)
	}
	_, e.err = e.w.Write(e.buf)
	e.n += int64(len(e.buf))
	e.buf = e.buf[:0]
}

// Header writes the magic string and version.
func (e *Encoder) Header() error {
	e.buf = append(e.buf, "REDIS0010"...)
	return e.err
}

// Aux writes an auxiliary field (redis-ver, ctime…).
func (e *Encoder) Aux(key, val string) error {
	e.buf = append(e.buf, opAux)
	e.buf = e.a.appendString(e.buf, []byte(key))
	e.buf = e.a.appendString(e.buf, []byte(val))
	e.flush(false)
	return e.err
}

// SelectDB starts database db, with its key and volatile key counts
// (RESIZEDB, a sizing hint for the loader).
func (e *Encoder) SelectDB(db, keys, expires int) error {
	e.buf = append(e.buf, opSelectDB)
	e.buf = appendLen(e.buf, uint64(db))
	e.buf = append(e.buf, opResizeDB)
	e.buf = appendLen(e.buf, uint64(keys))
	e.buf = appendLen(e.buf, uint64(expires))
	e.flush(false)
	return e.err
}

// Function writes a function library's code (FUNCTION2).
func (e *Encoder) Function(code []byte) error {
	e.buf = append(e.buf, opFunction2)
	e.buf = e.a.appendString(e.buf, code)
	e.flush(false)
	return e.err
}

// Key writes one key with its value and absolute expiry in ms (0: none).
func (e *Encoder) Key(key []byte, v *Value, expireMs int64) error {
	if expireMs != 0 {
		e.buf = append(e.buf, opExpireMs)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(expireMs))
	}
	e.buf = e.a.appendKey(e.buf, key, v)
	e.flush(false)
	return e.err
}

// Raw appends bytes already encoded by Appender.AppendKey (BGSAVE serializes keys
// under their shard lock and writes them later).
func (e *Encoder) Raw(p []byte) error {
	e.buf = append(e.buf, p...)
	e.flush(false)
	return e.err
}

// Close writes the end marker and the checksum and flushes. It does not
// close the underlying writer.
func (e *Encoder) Close() error {
	e.buf = append(e.buf, opEOF)
	e.flush(true)
	if e.err != nil {
		return e.err
	}
	var crc [8]byte
	if e.checksum {
		binary.LittleEndian.PutUint64(crc[:], e.crc)
	}
	_, e.err = e.w.Write(crc[:])
	e.n += 8
	return e.err
}

// Written is the number of bytes written so far.
func (e *Encoder) Written() int64 { return e.n + int64(len(e.buf)) }

// AppendSelectDB appends the start of database db with its sizing hint
// (keys, volatile keys). A file may select the same database more than
// once: a snapshot written shard by shard does.
func AppendSelectDB(b []byte, db, keys, expires int) []byte {
	b = append(b, opSelectDB)
	b = appendLen(b, uint64(db))
	b = append(b, opResizeDB)
	b = appendLen(b, uint64(keys))
	return appendLen(b, uint64(expires))
}
