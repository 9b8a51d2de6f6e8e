package server

import (
	"bytes"
	"hash/maphash"
	"math"
	"math/big"
	"slices"
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

// hashObj is the big (hashtable) encoding. Its field/value pairs live in
// one flat slice, kv = f0, v0, f1, v1, …, with idx mapping each field to
// its pair's position; a deletion moves the last pair into the hole, so
// every operation is O(1).
type hashObj struct {
	kv   []string
	idx  map[string]int
	seed maphash.Seed // HSCAN's order
}

// Encoding is OBJECT ENCODING's word, as Redis 7.0.
func (h *hashObj) Encoding() string { return "hashtable" }

// Clone is a deep copy (COPY). Strings are immutable, so sharing them is
// a deep copy.
func (h *hashObj) Clone() any {
	n := &hashObj{kv: slices.Clone(h.kv), idx: make(map[string]int, len(h.idx)), seed: h.seed}
	for k, v := range h.idx {
		n.idx[k] = v
	}
	return n
}

// MemoryUsage approximates the value's size in bytes.
func (h *hashObj) MemoryUsage() int {
	n := 48 + cap(h.kv)*16 + len(h.idx)*48
	for _, s := range h.kv {
		n += len(s)
	}
	return n
}

// Len is the number of fields.
func (h *hashObj) Len() int { return len(h.kv) / 2 }

// find returns the position of field's pair in kv, or -1.
func (h *hashObj) find(field []byte) int {
	if i, ok := h.idx[string(field)]; ok {
		return i
	}
	return -1
}

// set stores field=value and reports whether the field is new.
func (h *hashObj) set(field, value []byte) bool {
	if i := h.find(field); i >= 0 {
		h.kv[i+1] = string(value)
		return false
	}
	f := string(field)
	h.idx[f] = len(h.kv)
	h.kv = append(h.kv, f, string(value))
	return true
}

// del removes field and reports whether it was there.
func (h *hashObj) del(field []byte) bool {
	i := h.find(field)
	if i < 0 {
		return false
	}
	delete(h.idx, h.kv[i])
	last := len(h.kv) - 2
	if i != last {
		h.kv[i], h.kv[i+1] = h.kv[last], h.kv[last+1]
		h.idx[h.kv[i]] = i
	}
	h.kv[last], h.kv[last+1] = "", ""
	h.kv = h.kv[:last]
	return true
}

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
		if i := h.big.find(field); i >= 0 {
			return bytesOf(h.big.kv[i+1]), true
		}
		return nil, false
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
		return h.big.find(field) >= 0
	}
	return packed.FindPair(h.lp, field) >= 0
}

// each calls fn for every pair in the encoding's order until it returns
// false.
func (h *hashVal) each(fn func(field, value []byte) bool) {
	if h.big != nil {
		for i := 0; i < len(h.big.kv); i += 2 {
			if !fn(bytesOf(h.big.kv[i]), bytesOf(h.big.kv[i+1])) {
				return
			}
		}
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

// index prepares pair lookups by position (pair) for a compact hash.
func (h *hashVal) index() {
	if h.big == nil && h.offs == nil {
		h.offs = make([]int, 0, 16)
		for off := 0; off < len(h.lp); off = packed.Skip(h.lp, packed.Skip(h.lp, off)) {
			h.offs = append(h.offs, off)
		}
	}
}

// pair returns the i-th pair in the encoding's order.
func (h *hashVal) pair(i int) (field, value []byte) {
	if h.big != nil {
		return bytesOf(h.big.kv[2*i]), bytesOf(h.big.kv[2*i+1])
	}
	h.index()
	f, v, _ := packed.PairAt(h.lp, h.offs[i])
	return f, v
}

// convert switches to the big encoding (never back, as Redis).
func (h *hashVal) convert() {
	if h.big != nil {
		return
	}
	n := packed.Count(h.lp)
	big := &hashObj{kv: make([]string, 0, n), idx: make(map[string]int, n/2), seed: maphash.MakeSeed()}
	for off := 0; off < len(h.lp); {
		f, v, next := packed.PairAt(h.lp, off)
		big.idx[string(f)] = len(big.kv)
		big.kv = append(big.kv, string(f), string(v))
		off = next
	}
	h.big, h.fresh, h.lp = big, true, nil
}

// hashLimits are the compact encoding's thresholds, read from config.
type hashLimits struct{ entries, value int64 }

func (c *client) hashLimits() hashLimits {
	return hashLimits{c.s.cfg.Int("hash-max-listpack-entries"), c.s.cfg.Int("hash-max-listpack-value")}
}

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
	var e kvtable.Entry
	var found bool
	if write {
		e, found = c.tx.GetW(key)
	} else {
		e, found = c.tx.Get(key)
	}
	if !found {
		return hashVal{}, true
	}
	if e.Kind() != keyspace.KindHash {
		c.replyError(rerr.WrongType)
		return hashVal{}, false
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
		f, _ := h.pair(int(c.s.randN(uint64(h.Len()))))
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
	h.index()
	size := h.Len()
	var picks []int // pair numbers
	switch {
	case n < 0:
		picks = make([]int, 0, min(-n, 1<<16))
		for j := int64(0); j < -n; j++ {
			picks = append(picks, int(c.s.randN(uint64(size))))
		}
	case n >= int64(size):
		picks = make([]int, size)
		for i := range picks {
			picks[i] = i
		}
	case n*3 > int64(size):
		// Many of them: shuffle the first n of a permutation.
		all := make([]int, size)
		for i := range all {
			all[i] = i
		}
		for i := 0; i < int(n); i++ {
			j := i + int(c.s.randN(uint64(size-i)))
			all[i], all[j] = all[j], all[i]
		}
		picks = all[:n]
	default:
		seen := make(map[int]bool, n)
		for len(picks) < int(n) {
			i := int(c.s.randN(uint64(size)))
			if !seen[i] {
				seen[i] = true
				picks = append(picks, i)
			}
		}
	}
	if withValues && c.proto == 2 {
		c.replyArrayLen(2 * len(picks))
	} else {
		c.replyArrayLen(len(picks))
	}
	for _, i := range picks {
		if withValues && c.proto > 2 {
			c.replyArrayLen(2)
		}
		f, v := h.pair(i)
		c.replyBulk(f)
		if withValues {
			c.replyBulk(v)
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
	keep := func(f, v []byte) {
		if o.pattern == nil || glob.Match(o.pattern, f) {
			out = append(out, [2][]byte{f, v})
		}
	}
	if h.big == nil {
		// Compact: everything at once, as Redis does for a listpack.
		h.each(func(f, v []byte) bool { keep(f, v); return true })
	} else {
		var pairs []int
		pairs, next = h.big.scan(cursor, o.count)
		for _, i := range pairs {
			keep(bytesOf(h.big.kv[i]), bytesOf(h.big.kv[i+1]))
		}
	}
	c.replyArrayLen(2)
	c.replyBulkString(strconv.FormatUint(next, 10))
	c.replyArrayLen(2 * len(out))
	for _, p := range out {
		c.replyBulk(p[0])
		c.replyBulk(p[1])
	}
}

// scan is HSCAN's step over the big encoding. Each field has a fixed
// position, its hash with the low bit set (never 0); a cursor is the
// position to resume at, the fields are visited in position order and a
// step never splits fields of equal position. So every field present for
// the whole scan is returned, whatever is added or removed meanwhile.
func (h *hashObj) scan(cursor uint64, count int) (pairs []int, next uint64) {
	type ent struct {
		pos uint64
		i   int
	}
	var ents []ent
	for i := 0; i < len(h.kv); i += 2 {
		if p := maphash.String(h.seed, h.kv[i]) | 1; p >= cursor {
			ents = append(ents, ent{p, i})
		}
	}
	slices.SortFunc(ents, func(a, b ent) int {
		switch {
		case a.pos < b.pos:
			return -1
		case a.pos > b.pos:
			return 1
		}
		return 0
	})
	j := 0
	for j < len(ents) && (j < count || ents[j].pos == ents[j-1].pos) {
		pairs = append(pairs, ents[j].i)
		j++
	}
	if j < len(ents) {
		next = ents[j].pos
	}
	return pairs, next
}
