package server

import (
	"bytes"
	"math"
	"math/big"
	"strconv"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/ds/packed"
	"github.com/taconite/taconite/internal/glob"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// Hash commands: HSET HSETNX HGET HMGET HMSET HDEL HLEN HSTRLEN HEXISTS
// HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.

// hashHandlers binds the hash commands.
func hashHandlers() []handler {
	return []handler{
		{name: "hset", fn: cmdHSet},
		{name: "hmset", fn: cmdHMSet},
		{name: "hsetnx", fn: cmdHSetNX},
		{name: "hget", fn: cmdHGet},
		{name: "hmget", fn: cmdHMGet},
		{name: "hdel", fn: cmdHDel},
		{name: "hlen", fn: cmdHLen},
		{name: "hstrlen", fn: cmdHStrlen},
		{name: "hexists", fn: cmdHExists},
		{name: "hkeys", fn: cmdHKeys},
		{name: "hvals", fn: cmdHVals},
		{name: "hgetall", fn: cmdHGetAll},
		{name: "hincrby", fn: cmdHIncrBy},
		{name: "hincrbyfloat", fn: cmdHIncrByFloat},
		{name: "hrandfield", fn: cmdHRandField},
		{name: "hscan", fn: cmdHScan},
	}
}

// A hash has two encodings, as in Redis 7.0. The compact one (listpack) is
// packed field/value pairs (internal/ds/packed) held inline in the key's
// record, so a small hash costs its bytes plus a record header and nothing
// for the garbage collector. Past hash-max-listpack-entries fields, or a
// field or value longer than hash-max-listpack-value, it becomes a
// *hashObj (hashtable), the record's object, and never goes back in place.
//
// Commands see either through a hashVal.

// hashObj is the big (hashtable) encoding: the fields are the keys of
// a kvtable.Table of their own, the values its byte values. So a big hash
// is as compact as the keyspace (no Go string or map entry per field, no
// pointers for the garbage collector to follow), grows and shrinks
// incrementally, and HSCAN walks it with the keyspace's reverse-binary
// cursor: O(COUNT) per call, with SCAN's guarantee. Slices a hashObj
// hands out alias its table until the next change.
type hashObj struct{ t *kvtable.Table }

func newHashObj() *hashObj { return &hashObj{t: kvtable.New()} }

// Encoding is OBJECT ENCODING's word, as Redis 7.0.
func (h *hashObj) Encoding() string { return "hashtable" }

// Clone is a deep copy (COPY).
func (h *hashObj) Clone() any {
	n := newHashObj()
	h.t.Range(func(e kvtable.Entry) bool {
		n.t.SetBytes(e.Key(), 0, 0, e.Bytes(), kvtable.NoExpire)
		return true
	})
	return n
}

// MemoryUsage approximates the value's size in bytes.
func (h *hashObj) MemoryUsage() int { return 16 + h.t.MemoryUsage() }

// Len is the number of fields.
func (h *hashObj) Len() int { return h.t.Len() }

// get returns field's value.
func (h *hashObj) get(field []byte) ([]byte, bool) {
	e, ok := h.t.Get(field)
	if !ok {
		return nil, false
	}
	return e.Bytes(), true
}

// set stores field=value and reports whether the field is new.
func (h *hashObj) set(field, value []byte) bool {
	return !h.t.SetBytes(field, 0, 0, value, kvtable.NoExpire)
}

// del removes field and reports whether it was there.
func (h *hashObj) del(field []byte) bool { return h.t.Delete(field) }

// hashVal is a hash as one command handles it: the packed pairs of the
// compact encoding (lp), or the big encoding (big). lp aliases the
// record until the first change copies it to the client's scratch buffer
// (own), where later changes are made in place; hashStore then writes it
// back. Byte slices a hashVal returns alias lp or big's strings: use them
// before the next change.
type hashVal struct {
	lp      []byte
	big     *hashObj
	own     bool  // lp is the command's private copy
	changed bool  // lp differs from the record
	fresh   bool  // big is not in the record yet (new or converted)
	offs    []int // pair offsets in lp, once index has run
}

// hashOf is the hash held by e, a KindHash record.
func hashOf(e kvtable.Entry) hashVal {
	if e.IsObj() {
		return hashVal{big: e.Obj().(*hashObj)}
	}
	return hashVal{lp: e.Bytes()}
}

// exists reports whether the hash has fields (a missing key is empty).
func (h *hashVal) exists() bool { return h.big != nil || len(h.lp) > 0 }

// Len is the number of fields.
func (h *hashVal) Len() int {
	if h.big != nil {
		return h.big.Len()
	}
	return packed.Count(h.lp) / 2
}

// get returns field's value.
func (h *hashVal) get(field []byte) ([]byte, bool) {
	if h.big != nil {
		return h.big.get(field)
	}
	if off := packed.FindPair(h.lp, field); off >= 0 {
		_, v, _ := packed.PairAt(h.lp, off)
		return v, true
	}
	return nil, false
}

// has reports whether field is present.
func (h *hashVal) has(field []byte) bool {
	if h.big != nil {
		_, ok := h.big.get(field)
		return ok
	}
	return packed.FindPair(h.lp, field) >= 0
}

// each calls fn for every pair in the encoding's order until it returns
// false.
func (h *hashVal) each(fn func(field, value []byte) bool) {
	if h.big != nil {
		h.big.t.Range(func(e kvtable.Entry) bool { return fn(e.Key(), e.Bytes()) })
		return
	}
	for off := 0; off < len(h.lp); {
		f, v, next := packed.PairAt(h.lp, off)
		if !fn(f, v) {
			return
		}
		off = next
	}
}

// random returns a random pair, every pair equally likely.
func (h *hashVal) random(rnd func(uint64) uint64) (field, value []byte) {
	if h.big != nil {
		e, _ := h.big.t.RandomEntry(rnd)
		return e.Key(), e.Bytes()
	}
	if h.offs == nil {
		h.offs = make([]int, 0, 16)
		for off := 0; off < len(h.lp); off = packed.Skip(h.lp, packed.Skip(h.lp, off)) {
			h.offs = append(h.offs, off)
		}
	}
	f, v, _ := packed.PairAt(h.lp, h.offs[rnd(uint64(len(h.offs)))])
	return f, v
}

// convert switches to the big encoding (never back, as Redis).
func (h *hashVal) convert() {
	if h.big != nil {
		return
	}
	big := newHashObj()
	for off := 0; off < len(h.lp); {
		f, v, next := packed.PairAt(h.lp, off)
		big.set(f, v)
		off = next
	}
	h.big, h.fresh, h.lp = big, true, nil
}

// hashLimits are the compact encoding's thresholds, read from config.
type hashLimits struct{ entries, value int64 }

func (c *client) hashLimits() hashLimits { return c.s.limit.hash() }

// fits converts the hash if a string of length n is too long for the
// compact encoding.
func (h *hashVal) fits(lim hashLimits, n int) {
	if h.big == nil && int64(n) > lim.value {
		h.convert()
	}
}

// mine makes lp the command's own copy, in c's scratch buffer.
func (h *hashVal) mine(c *client) {
	if !h.own {
		c.scratch = append(c.scratch[:0], h.lp...)
		h.lp, h.own = c.scratch, true
	}
	h.changed = true
}

// set stores field=value and reports whether the field is new. It
// converts first when either string is too long, and after when the hash
// has too many fields. value must not alias the hash.
func (h *hashVal) set(c *client, lim hashLimits, field, value []byte) bool {
	h.fits(lim, len(field))
	h.fits(lim, len(value))
	if h.big != nil {
		return h.big.set(field, value)
	}
	if off := packed.FindPair(h.lp, field); off >= 0 {
		if _, old, _ := packed.PairAt(h.lp, off); bytes.Equal(old, value) {
			return false
		}
		h.mine(c)
		h.lp = packed.SetValue(h.lp, off, value)
		return false
	}
	h.mine(c)
	h.lp = packed.AppendPair(h.lp, field, value)
	if int64(h.Len()) > lim.entries {
		h.convert()
	}
	return true
}

// del removes field and reports whether it was there.
func (h *hashVal) del(c *client, field []byte) bool {
	if h.big != nil {
		return h.big.del(field)
	}
	off := packed.FindPair(h.lp, field)
	if off < 0 {
		return false
	}
	h.mine(c)
	h.lp = packed.DeletePair(h.lp, off)
	return true
}

// hashRead looks key up for reading: an empty hashVal and true when it
// is missing, false when it replied WRONGTYPE.
func (c *client) hashRead(key []byte) (hashVal, bool) {
	return c.hashLookup(key, false)
}

// hashWrite looks key up for writing; a missing key gives an empty hash
// (isNew), which hashStore stores. ok is false when it replied WRONGTYPE.
func (c *client) hashWrite(key []byte) (h hashVal, isNew, ok bool) {
	h, ok = c.hashLookup(key, true)
	return h, ok && !h.exists(), ok
}

func (c *client) hashLookup(key []byte, write bool) (hashVal, bool) {
	e, found, ok := lookupEntry(c, key, keyspace.KindHash, write)
	if !found {
		return hashVal{}, ok
	}
	return hashOf(e), true
}

// hashStore writes a changed hash back to key and marks the change.
func (c *client) hashStore(key []byte, h *hashVal) {
	switch {
	case h.big != nil && h.fresh:
		c.tx.SetObj(key, keyspace.KindHash, h.big, keyspaceKeep)
	case h.big == nil && h.changed:
		c.tx.SetBytesIn(c.tx.DB, key, keyspace.KindHash, 0, h.lp, keyspaceKeep)
	}
	if h.own && cap(h.lp) <= 64<<10 {
		c.scratch = h.lp[:0]
	}
	h.own, h.changed, h.fresh = false, false, false
	c.dirty()
}

func cmdHSet(c *client, argv [][]byte)  { c.hsetGeneric(argv, "hset") }
func cmdHMSet(c *client, argv [][]byte) { c.hsetGeneric(argv, "hmset") }

func (c *client) hsetGeneric(argv [][]byte, name string) {
	if len(argv)%2 != 0 {
		c.replyError(rerr.WrongArity(name))
		return
	}
	h, _, ok := c.hashWrite(argv[1])
	if !ok {
		return
	}
	lim := c.hashLimits()
	for _, a := range argv[2:] {
		h.fits(lim, len(a))
	}
	created := 0
	for i := 2; i < len(argv); i += 2 {
		if h.set(c, lim, argv[i], argv[i+1]) {
			created++
		}
	}
	c.hashStore(argv[1], &h)
	c.notify(config.NotifyHash, "hset", argv[1])
	if name == "hmset" {
		c.replyOK()
	} else {
		c.replyInt(int64(created))
	}
}

func cmdHSetNX(c *client, argv [][]byte) {
	h, _, ok := c.hashWrite(argv[1])
	if !ok {
		return
	}
	if h.has(argv[2]) {
		c.replyInt(0)
		return
	}
	h.set(c, c.hashLimits(), argv[2], argv[3])
	c.hashStore(argv[1], &h)
	c.notify(config.NotifyHash, "hset", argv[1])
	c.replyInt(1)
}

func cmdHGet(c *client, argv [][]byte) {
	h, ok := c.hashRead(argv[1])
	if !ok {
		return
	}
	if v, found := h.get(argv[2]); found {
		c.replyBulk(v)
		return
	}
	c.replyNull()
}

func cmdHMGet(c *client, argv [][]byte) {
	h, ok := c.hashRead(argv[1])
	if !ok {
		return
	}
	c.replyArrayLen(len(argv) - 2)
	for _, f := range argv[2:] {
		if v, found := h.get(f); found {
			c.replyBulk(v)
			continue
		}
		c.replyNull()
	}
}

func cmdHDel(c *client, argv [][]byte) {
	h, isNew, ok := c.hashWrite(argv[1])
	if !ok {
		return
	}
	if isNew {
		c.replyInt(0)
		return
	}
	n := 0
	gone := false
	for _, f := range argv[2:] {
		if h.del(c, f) {
			n++
			if !h.exists() {
				c.tx.Delete(argv[1])
				gone = true
				break
			}
		}
	}
	if n > 0 {
		if !gone {
			c.hashStore(argv[1], &h)
		}
		c.dirty()
		c.notify(config.NotifyHash, "hdel", argv[1])
		if gone {
			c.notify(config.NotifyGeneric, "del", argv[1])
		}
	}
	c.replyInt(int64(n))
}

func cmdHLen(c *client, argv [][]byte) {
	h, ok := c.hashRead(argv[1])
	if !ok {
		return
	}
	c.replyInt(int64(h.Len()))
}

func cmdHStrlen(c *client, argv [][]byte) {
	h, ok := c.hashRead(argv[1])
	if !ok {
		return
	}
	v, _ := h.get(argv[2])
	c.replyInt(int64(len(v)))
}

func cmdHExists(c *client, argv [][]byte) {
	h, ok := c.hashRead(argv[1])
	if !ok {
		return
	}
	if h.has(argv[2]) {
		c.replyInt(1)
		return
	}
	c.replyInt(0)
}

func cmdHKeys(c *client, argv [][]byte)   { c.hgetallGeneric(argv[1], true, false) }
func cmdHVals(c *client, argv [][]byte)   { c.hgetallGeneric(argv[1], false, true) }
func cmdHGetAll(c *client, argv [][]byte) { c.hgetallGeneric(argv[1], true, true) }

// hgetallGeneric replies the fields, the values or both (a map).
func (c *client) hgetallGeneric(key []byte, fields, values bool) {
	h, ok := c.hashRead(key)
	if !ok {
		return
	}
	n := h.Len()
	if fields && values {
		c.replyMapLen(n)
	} else {
		c.replyArrayLen(n)
	}
	h.each(func(f, v []byte) bool {
		if fields {
			c.replyBulk(f)
		}
		if values {
			c.replyBulk(v)
		}
		return true
	})
}

func cmdHIncrBy(c *client, argv [][]byte) {
	by, ok := c.argInt(argv[3])
	if !ok {
		return
	}
	h, _, ok := c.hashWrite(argv[1])
	if !ok {
		return
	}
	var cur int64
	if v, found := h.get(argv[2]); found {
		n, ok := parseInt(v)
		if !ok {
			c.replyError(rerr.HashNotInt)
			return
		}
		cur = n
	}
	if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
		c.replyError(rerr.Overflow)
		return
	}
	cur += by
	var num [20]byte
	h.set(c, c.hashLimits(), argv[2], strconv.AppendInt(num[:0], cur, 10))
	c.hashStore(argv[1], &h)
	c.notify(config.NotifyHash, "hincrby", argv[1])
	c.replyInt(cur)
}

// parseLongDoubleArg is parseLongDouble refusing what overflows or
// underflows to 0 a long double, as strtold's ERANGE makes string2ld do.
func parseLongDoubleArg(b []byte) (*big.Float, bool) {
	f, ok := parseLongDouble(b)
	if !ok {
		return nil, false
	}
	if !f.IsInf() && f.Sign() != 0 {
		// Beyond the largest long double, or below half its smallest
		// denormal (2^-16445), where strtold gives ±HUGE_VAL or 0.
		if e := f.MantExp(nil); e > maxLongDoubleExp || e < -16444 {
			return nil, false
		}
	}
	return f, true
}

func cmdHIncrByFloat(c *client, argv [][]byte) {
	incr, ok := parseLongDoubleArg(argv[3])
	if !ok {
		c.replyError(rerr.NotFloat)
		return
	}
	if incr.IsInf() {
		c.replyError(rerr.HashIncrNaNOrInf)
		return
	}
	h, _, ok := c.hashWrite(argv[1])
	if !ok {
		return
	}
	cur := new(big.Float).SetPrec(longDoublePrec)
	if v, found := h.get(argv[2]); found {
		f, ok := parseLongDoubleArg(v)
		if !ok {
			c.replyError(rerr.HashNotFloat)
			return
		}
		cur = f
	}
	if cur.IsInf() {
		c.replyError(rerr.NaNOrInf)
		return
	}
	sum := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven).Add(cur, incr)
	if sum.Sign() != 0 && sum.MantExp(nil) > maxLongDoubleExp {
		c.replyError(rerr.NaNOrInf)
		return
	}
	s := formatLongDouble(sum)
	h.set(c, c.hashLimits(), argv[2], []byte(s))
	c.hashStore(argv[1], &h)
	c.notify(config.NotifyHash, "hincrbyfloat", argv[1])
	c.replyBulkString(s)
}

func cmdHRandField(c *client, argv [][]byte) {
	if len(argv) == 2 {
		h, ok := c.hashRead(argv[1])
		if !ok {
			return
		}
		if !h.exists() {
			c.replyNull()
			return
		}
		f, _ := h.random(c.s.randN)
		c.replyBulk(f)
		return
	}
	n, ok := parseInt(argv[2])
	if !ok {
		c.replyError(rerr.NotInt)
		return
	}
	if n == math.MinInt64 {
		c.replyError(rerr.HRandCountRange)
		return
	}
	withValues := false
	if len(argv) > 4 || (len(argv) == 4 && !eq(argv[3], "withvalues")) {
		c.replyError(rerr.Syntax)
		return
	}
	if len(argv) == 4 {
		withValues = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			c.replyError(rerr.HRandValuesRange)
			return
		}
	}
	h, ok := c.hashRead(argv[1])
	if !ok {
		return
	}
	if !h.exists() || n == 0 {
		c.replyArrayLen(0)
		return
	}
	size := h.Len()
	count := int(min(n, int64(size)))
	if n < 0 {
		count = int(-n)
	}
	if withValues && c.proto == 2 {
		c.replyArrayLen(2 * count)
	} else {
		c.replyArrayLen(count)
	}
	emit := func(f, v []byte) bool {
		if withValues && c.proto > 2 {
			c.replyArrayLen(2)
		}
		c.replyBulk(f)
		if withValues {
			c.replyBulk(v)
		}
		return true
	}
	switch {
	case n < 0:
		// Repeats allowed: independent picks.
		for j := 0; j < count; j++ {
			emit(h.random(c.s.randN))
		}
	case count == size:
		h.each(emit)
	case count*3 > size:
		// Many of them: the first count of a random permutation.
		all := make([][2][]byte, 0, size)
		h.each(func(f, v []byte) bool {
			all = append(all, [2][]byte{f, v})
			return true
		})
		for i := 0; i < count; i++ {
			j := i + int(c.s.randN(uint64(size-i)))
			all[i], all[j] = all[j], all[i]
			emit(all[i][0], all[i][1])
		}
	default:
		// Few of a big hash: distinct random picks, O(count).
		seen := make(map[string]struct{}, count)
		for len(seen) < count {
			f, v := h.random(c.s.randN)
			if _, dup := seen[string(f)]; !dup {
				seen[string(f)] = struct{}{}
				emit(f, v)
			}
		}
	}
}

func cmdHScan(c *client, argv [][]byte) {
	cursor, ok := parseCursor(argv[2])
	if !ok {
		c.replyError(rerr.InvalidCursor)
		return
	}
	h, ok := c.hashRead(argv[1])
	if !ok {
		return
	}
	if !h.exists() {
		c.replyArrayLen(2)
		c.replyBulkString("0")
		c.replyArrayLen(0)
		return
	}
	o, ok := c.parseScanOptions(argv, 3, false)
	if !ok {
		return
	}
	var out [][2][]byte
	var next uint64
	keep := func(f, v []byte) bool {
		if o.pattern == nil || glob.Match(o.pattern, f) {
			out = append(out, [2][]byte{f, v})
		}
		return true
	}
	if h.big == nil {
		// Compact: everything at once, as Redis does for a listpack.
		h.each(keep)
	} else {
		next = h.big.t.ScanN(cursor, o.count, func(e kvtable.Entry) { keep(e.Key(), e.Bytes()) })
	}
	c.replyArrayLen(2)
	c.replyBulkString(strconv.FormatUint(next, 10))
	c.replyArrayLen(2 * len(out))
	for _, p := range out {
		c.replyBulk(p[0])
		c.replyBulk(p[1])
	}
}
