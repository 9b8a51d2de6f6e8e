package server

import (
	"hash/maphash"
	"math"
	"math/big"
	"slices"
	"strconv"

	"github.com/taconite/taconite/internal/config"
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

// hashObj is a hash value. Its field/value pairs live in one flat slice,
// kv = f0, v0, f1, v1, …. While small (Redis's listpack) there is nothing
// else: lookups scan the pairs, deletions keep the order, new fields go at
// the end, as in a listpack. Once big (Redis's hashtable) idx maps each
// field to its pair's position and deletions move the last pair into the
// hole, so every operation is O(1).
type hashObj struct {
	kv   []string
	idx  map[string]int // nil while compact
	seed maphash.Seed   // HSCAN's order once big
}

// Encoding is OBJECT ENCODING's word, as Redis 7.0.
func (h *hashObj) Encoding() string {
	if h.idx != nil {
		return "hashtable"
	}
	return "listpack"
}

// Clone is a deep copy (COPY). Strings are immutable, so sharing them is
// a deep copy.
func (h *hashObj) Clone() any {
	n := &hashObj{kv: slices.Clone(h.kv)}
	if h.idx != nil {
		n.idx = make(map[string]int, len(h.idx))
		for k, v := range h.idx {
			n.idx[k] = v
		}
		n.seed = h.seed
	}
	return n
}

// MemoryUsage approximates the value's size in bytes.
func (h *hashObj) MemoryUsage() int {
	n := 48 + cap(h.kv)*16
	for _, s := range h.kv {
		n += len(s)
	}
	if h.idx != nil {
		n += len(h.idx) * 48
	}
	return n
}

// Len is the number of fields.
func (h *hashObj) Len() int { return len(h.kv) / 2 }

// find returns the position of field's pair in kv, or -1.
func (h *hashObj) find(field []byte) int {
	if h.idx != nil {
		if i, ok := h.idx[string(field)]; ok {
			return i
		}
		return -1
	}
	for i := 0; i < len(h.kv); i += 2 {
		if h.kv[i] == string(field) {
			return i
		}
	}
	return -1
}

// get returns field's value.
func (h *hashObj) get(field []byte) (string, bool) {
	if i := h.find(field); i >= 0 {
		return h.kv[i+1], true
	}
	return "", false
}

// convert switches to the big encoding (never back, as Redis).
func (h *hashObj) convert() {
	if h.idx != nil {
		return
	}
	h.idx = make(map[string]int, len(h.kv)/2)
	for i := 0; i < len(h.kv); i += 2 {
		h.idx[h.kv[i]] = i
	}
	h.seed = maphash.MakeSeed()
}

// hashLimits are the compact encoding's thresholds, read from config.
type hashLimits struct{ entries, value int64 }

func (c *client) hashLimits() hashLimits {
	return hashLimits{c.s.cfg.Int("hash-max-listpack-entries"), c.s.cfg.Int("hash-max-listpack-value")}
}

// fits converts the hash if a string of length n is too long for the
// compact encoding.
func (h *hashObj) fits(lim hashLimits, n int) {
	if h.idx == nil && int64(n) > lim.value {
		h.convert()
	}
}

// set stores field=value and reports whether the field is new. It
// converts first when either string is too long, and after when the hash
// has too many fields.
func (h *hashObj) set(lim hashLimits, field, value []byte) bool {
	h.fits(lim, len(field))
	h.fits(lim, len(value))
	if i := h.find(field); i >= 0 {
		h.kv[i+1] = string(value)
		return false
	}
	f := string(field)
	if h.idx != nil {
		h.idx[f] = len(h.kv)
	}
	h.kv = append(h.kv, f, string(value))
	if h.idx == nil && int64(h.Len()) > lim.entries {
		h.convert()
	}
	return true
}

// del removes field and reports whether it was there.
func (h *hashObj) del(field []byte) bool {
	i := h.find(field)
	if i < 0 {
		return false
	}
	if h.idx == nil {
		h.kv = slices.Delete(h.kv, i, i+2)
		return true
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

// hashRead looks key up for reading: nil and true when it is missing,
// false when it replied WRONGTYPE.
func (c *client) hashRead(key []byte) (*hashObj, bool) {
	return lookupValue[hashObj](c, key, keyspace.KindHash, false)
}

// hashWrite looks key up for writing; a missing key gives a new empty
// hash, not yet stored (isNew), which hashStore stores. ok is false when
// it replied WRONGTYPE.
func (c *client) hashWrite(key []byte) (h *hashObj, isNew, ok bool) {
	h, ok = lookupValue[hashObj](c, key, keyspace.KindHash, true)
	if ok && h == nil {
		return &hashObj{}, true, true
	}
	return h, false, ok
}

// hashStore stores a new hash after a change and marks the change.
func (c *client) hashStore(key []byte, h *hashObj, isNew bool) {
	if isNew {
		c.tx.SetObj(key, keyspace.KindHash, h, keyspaceKeep)
	}
	c.dirty()
}

func cmdHSet(c *client, argv [][]byte)  { c.hsetGeneric(argv, "hset") }
func cmdHMSet(c *client, argv [][]byte) { c.hsetGeneric(argv, "hmset") }

func (c *client) hsetGeneric(argv [][]byte, name string) {
	if len(argv)%2 != 0 {
		c.replyError(rerr.WrongArity(name))
		return
	}
	h, isNew, ok := c.hashWrite(argv[1])
	if !ok {
		return
	}
	lim := c.hashLimits()
	for _, a := range argv[2:] {
		h.fits(lim, len(a))
	}
	created := 0
	for i := 2; i < len(argv); i += 2 {
		if h.set(lim, argv[i], argv[i+1]) {
			created++
		}
	}
	c.hashStore(argv[1], h, isNew)
	c.notify(config.NotifyHash, "hset", argv[1])
	if name == "hmset" {
		c.replyOK()
	} else {
		c.replyInt(int64(created))
	}
}

func cmdHSetNX(c *client, argv [][]byte) {
	h, isNew, ok := c.hashWrite(argv[1])
	if !ok {
		return
	}
	if h.find(argv[2]) >= 0 {
		c.replyInt(0)
		return
	}
	h.set(c.hashLimits(), argv[2], argv[3])
	c.hashStore(argv[1], h, isNew)
	c.notify(config.NotifyHash, "hset", argv[1])
	c.replyInt(1)
}

func cmdHGet(c *client, argv [][]byte) {
	h, ok := c.hashRead(argv[1])
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.get(argv[2]); found {
			c.replyBulkString(v)
			return
		}
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
		if h != nil {
			if v, found := h.get(f); found {
				c.replyBulkString(v)
				continue
			}
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
		if h.del(f) {
			n++
			if h.Len() == 0 {
				c.tx.Delete(argv[1])
				gone = true
				break
			}
		}
	}
	if n > 0 {
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
	if h == nil {
		c.replyInt(0)
		return
	}
	c.replyInt(int64(h.Len()))
}

func cmdHStrlen(c *client, argv [][]byte) {
	h, ok := c.hashRead(argv[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		v, _ := h.get(argv[2])
		n = len(v)
	}
	c.replyInt(int64(n))
}

func cmdHExists(c *client, argv [][]byte) {
	h, ok := c.hashRead(argv[1])
	if !ok {
		return
	}
	if h != nil && h.find(argv[2]) >= 0 {
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
	n := 0
	if h != nil {
		n = h.Len()
	}
	if fields && values {
		c.replyMapLen(n)
	} else {
		c.replyArrayLen(n)
	}
	if h == nil {
		return
	}
	for i := 0; i < len(h.kv); i += 2 {
		if fields {
			c.replyBulkString(h.kv[i])
		}
		if values {
			c.replyBulkString(h.kv[i+1])
		}
	}
}

func cmdHIncrBy(c *client, argv [][]byte) {
	by, ok := c.argInt(argv[3])
	if !ok {
		return
	}
	h, isNew, ok := c.hashWrite(argv[1])
	if !ok {
		return
	}
	var cur int64
	if v, found := h.get(argv[2]); found {
		n, ok := parseInt([]byte(v))
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
	h.set(c.hashLimits(), argv[2], strconv.AppendInt(nil, cur, 10))
	c.hashStore(argv[1], h, isNew)
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
	h, isNew, ok := c.hashWrite(argv[1])
	if !ok {
		return
	}
	cur := new(big.Float).SetPrec(longDoublePrec)
	if v, found := h.get(argv[2]); found {
		f, ok := parseLongDoubleArg([]byte(v))
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
	h.set(c.hashLimits(), argv[2], []byte(s))
	c.hashStore(argv[1], h, isNew)
	c.notify(config.NotifyHash, "hincrbyfloat", argv[1])
	c.replyBulkString(s)
}

func cmdHRandField(c *client, argv [][]byte) {
	if len(argv) == 2 {
		h, ok := c.hashRead(argv[1])
		if !ok {
			return
		}
		if h == nil {
			c.replyNull()
			return
		}
		i := int(c.s.randN(uint64(h.Len())))
		c.replyBulkString(h.kv[2*i])
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
	if h == nil || n == 0 {
		c.replyArrayLen(0)
		return
	}
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
		c.replyBulkString(h.kv[2*i])
		if withValues {
			c.replyBulkString(h.kv[2*i+1])
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
	if h == nil {
		c.replyArrayLen(2)
		c.replyBulkString("0")
		c.replyArrayLen(0)
		return
	}
	o, ok := c.parseScanOptions(argv, 3, false)
	if !ok {
		return
	}
	var pairs []int // positions in kv
	var next uint64
	if h.idx == nil {
		// Compact: everything at once, as Redis does for a listpack.
		for i := 0; i < len(h.kv); i += 2 {
			pairs = append(pairs, i)
		}
	} else {
		pairs, next = h.scan(cursor, o.count)
	}
	var out []int
	for _, i := range pairs {
		if o.pattern == nil || glob.MatchString(string(o.pattern), h.kv[i]) {
			out = append(out, i)
		}
	}
	c.replyArrayLen(2)
	c.replyBulkString(strconv.FormatUint(next, 10))
	c.replyArrayLen(2 * len(out))
	for _, i := range out {
		c.replyBulkString(h.kv[i])
		c.replyBulkString(h.kv[i+1])
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
