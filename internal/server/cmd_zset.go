package server

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/ds/packed"
	"github.com/taconite/taconite/internal/ds/ztree"
	"github.com/taconite/taconite/internal/glob"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// Sorted set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK
// ZREVRANK ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZRANGEBYSCORE
// ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYRANK
// ZREMRANGEBYSCORE ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZUNION
// ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD ZSCAN.

// zsetHandlers binds the zset commands.
func zsetHandlers() []handler {
	return []handler{
		{name: "zadd", fn: cmdZAdd},
		{name: "zincrby", fn: cmdZIncrBy},
		{name: "zrem", fn: cmdZRem},
		{name: "zcard", fn: cmdZCard},
		{name: "zscore", fn: cmdZScore},
		{name: "zmscore", fn: cmdZMScore},
		{name: "zrank", fn: cmdZRank},
		{name: "zrevrank", fn: cmdZRevRank},
		{name: "zcount", fn: cmdZCount},
		{name: "zlexcount", fn: cmdZLexCount},
		{name: "zrange", fn: cmdZRange},
		{name: "zrangestore", fn: cmdZRangeStore},
		{name: "zrangebyscore", fn: cmdZRangeByScore},
		{name: "zrevrangebyscore", fn: cmdZRevRangeByScore},
		{name: "zrangebylex", fn: cmdZRangeByLex},
		{name: "zrevrangebylex", fn: cmdZRevRangeByLex},
		{name: "zrevrange", fn: cmdZRevRange},
		{name: "zremrangebyrank", fn: cmdZRemRangeByRank},
		{name: "zremrangebyscore", fn: cmdZRemRangeByScore},
		{name: "zremrangebylex", fn: cmdZRemRangeByLex},
		{name: "zpopmin", fn: cmdZPopMin},
		{name: "zpopmax", fn: cmdZPopMax},
		{name: "zmpop", fn: cmdZMPop},
		{name: "zrandmember", fn: cmdZRandMember},
		{name: "zunion", fn: cmdZUnion},
		{name: "zinter", fn: cmdZInter},
		{name: "zdiff", fn: cmdZDiff},
		{name: "zunionstore", fn: cmdZUnionStore},
		{name: "zinterstore", fn: cmdZInterStore},
		{name: "zdiffstore", fn: cmdZDiffStore},
		{name: "zintercard", fn: cmdZInterCard},
		{name: "zscan", fn: cmdZScan},
	}
}

// zent is one element of a sorted set.
type zent struct {
	member string
	score  float64
}

// zsetObj is a sorted set as commands handle it. Small sets use the
// listpack encoding: member/score string pairs packed in one []byte (see
// internal/ds/packed) sorted by (score, member) and scanned linearly, as
// Redis's listpack; the key's record holds those bytes inline, so a small
// set costs no heap object while stored. Past zset-max-listpack-entries
// elements or a member longer than zset-max-listpack-value bytes it
// takes Redis's "skiplist" encoding, the record's object: an ordered index
// with ranks (internal/ds/ztree, a counted B+tree where Redis has a
// skiplist) plus a member->score map, and never goes back in place.
//
// A command gets a view of a compact set (zsetLookup): pk aliases the
// record until the first change copies it (own); the command then calls
// zsetStore to write it back. Members a compact view hands out alias pk
// or the record: they are valid until the set changes or is stored.
type zsetObj struct {
	pk   []byte // listpack encoding when tr == nil
	n    int    // elements in pk
	tr   *ztree.Tree
	dict *kvtable.Table // member -> score (8 bytes), beside tr

	inline  bool    // the record holds pk's encoding, or the key is new: zsetStore writes the whole value
	own     bool    // pk is this view's private copy
	changed bool    // pk differs from the record
	scratch *[]byte // a writer's buffer for the copy (the client's), or nil
}

func (z *zsetObj) Encoding() string {
	if z.tr == nil {
		return "listpack"
	}
	return "skiplist"
}

func (z *zsetObj) Clone() any {
	if z.tr == nil {
		return &zsetObj{pk: slices.Clone(z.pk), n: z.n}
	}
	n := &zsetObj{tr: ztree.New(), dict: kvtable.New()}
	for x := z.tr.First(); x.Valid(); x = x.Next() {
		n.tr.Insert(x.Score(), x.Member())
		n.dictSet(x.Member(), x.Score())
	}
	return n
}

func (z *zsetObj) MemoryUsage() int {
	if z.tr == nil {
		return 16 + len(z.pk)
	}
	return 64 + z.dict.MemoryUsage() + z.tr.MemoryUsage()
}

func (z *zsetObj) card() int {
	if z.tr == nil {
		return z.n
	}
	return z.tr.Len()
}

// zsetLimits returns zset-max-listpack-entries and -value.
func (c *client) zsetLimits() (int, int) {
	return int(c.s.limit.zsetEntries.Load()), int(c.s.limit.zsetValue.Load())
}

// newZset returns an empty sorted set, for a new key, with the encoding
// Redis picks for a new key whose first member has length firstLen.
func newZset(firstLen, maxEntries, maxValue int) *zsetObj {
	z := &zsetObj{inline: true}
	if maxEntries == 0 || firstLen > maxValue {
		z.toSkiplist()
	}
	return z
}

// zsetView is the compact set whose listpack bytes a record holds.
func zsetView(pk []byte) *zsetObj {
	return &zsetObj{pk: pk, n: packed.Count(pk) / 2, inline: true}
}

// zsetOf is the sorted set held by e, a KindZSet record.
func zsetOf(e kvtable.Entry) *zsetObj {
	if e.IsObj() {
		return e.Obj().(*zsetObj)
	}
	return zsetView(e.Bytes())
}

// lpAt decodes the element at off and returns the offset after it.
func (z *zsetObj) lpAt(off int) (m []byte, s float64, next int) {
	m, off = packed.Next(z.pk, off)
	sv, off := packed.Next(z.pk, off)
	return m, packed.Score(sv), off
}

// lpSkip returns the offset after the element at off.
func (z *zsetObj) lpSkip(off int) int { return packed.Skip(z.pk, packed.Skip(z.pk, off)) }

// lpFind returns the offset, rank and score of member m, or off -1.
func (z *zsetObj) lpFind(m string) (off, rank int, s float64) {
	for off, rank = 0, 0; off < len(z.pk); rank++ {
		mb, sc, next := z.lpAt(off)
		if string(mb) == m {
			return off, rank, sc
		}
		off = next
	}
	return -1, 0, 0
}

// lpOffset returns the offset of the element of rank r (len(pk) for
// r == n).
func (z *zsetObj) lpOffset(r int) int {
	off := 0
	for ; r > 0; r-- {
		off = z.lpSkip(off)
	}
	return off
}

// mine makes pk the view's own copy before a change: in the writer's
// scratch buffer when it has one, so that changing a small set makes no
// garbage.
func (z *zsetObj) mine(extra int) {
	if !z.own {
		var b []byte
		if z.scratch != nil {
			b = append((*z.scratch)[:0], z.pk...)
		} else {
			b = make([]byte, len(z.pk), len(z.pk)+max(extra, len(z.pk)/4+16))
			copy(b, z.pk)
		}
		z.pk, z.own = b, true
	}
	z.changed = true
}

// toSkiplist converts to the encoding Redis calls skiplist (a ztree and
// the dict here).
func (z *zsetObj) toSkiplist() {
	if z.tr != nil {
		return
	}
	z.tr = ztree.New()
	z.dict = kvtable.New()
	for off := 0; off < len(z.pk); {
		mb, s, next := z.lpAt(off)
		z.tr.InsertBytes(s, mb) // a copy: pk goes
		z.dictSet(unsafeString(mb), s)
		off = next
	}
	z.pk, z.n, z.own, z.changed = nil, 0, false, false
}

func (z *zsetObj) score(m string) (float64, bool) {
	if z.tr == nil {
		off, _, s := z.lpFind(m)
		return s, off >= 0
	}
	return z.dictGet(m)
}

// The dict's values are scores as 8 little-endian bytes.

func (z *zsetObj) dictGet(m string) (float64, bool) {
	e, ok := z.dict.Get(bytesOf(m))
	if !ok {
		return 0, false
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(e.Bytes())), true
}

func (z *zsetObj) dictSet(m string, s float64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(s))
	z.dict.SetBytes(bytesOf(m), 0, 0, b[:], kvtable.NoExpire)
}

// scoreEntry is score for ZADD: for a skiplist it also returns the
// member's dict entry, so that setScoreAt rewrites the score without a
// second lookup.
func (z *zsetObj) scoreEntry(m []byte) (float64, bool, kvtable.Entry) {
	if z.tr == nil {
		s, ok := z.score(unsafeString(m))
		return s, ok, kvtable.Entry{}
	}
	e, ok := z.dict.Get(m)
	if !ok {
		return 0, false, e
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(e.Bytes())), true, e
}

// setScoreAt moves a present member from score cur to s; de is its dict
// entry from scoreEntry, still valid (the dict has not changed since).
func (z *zsetObj) setScoreAt(m []byte, cur, s float64, de kvtable.Entry) {
	if z.tr == nil {
		z.removeBytes(m)
		z.lpInsert(m, s)
		return
	}
	// The tree keeps its own member string (m aliases the client's
	// buffer). The score is rewritten in its record, same size.
	z.tr.Update(cur, unsafeString(m), s)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(s))
	if !de.Overwrite(b[:], 0) {
		z.dictSet(unsafeString(m), s)
	}
}

// insertBytes adds a member known to be absent, converting the encoding
// first when the set outgrows the listpack. m is copied (into the
// listpack, or into a string of the tree and the dict), so it may alias a
// client's buffer or another set's record.
func (z *zsetObj) insertBytes(m []byte, s float64, maxEntries, maxValue int) {
	if z.tr == nil && (z.n+1 > maxEntries || len(m) > maxValue) {
		z.toSkiplist()
	}
	if z.tr != nil {
		z.tr.InsertBytes(s, m)
		z.dictSet(unsafeString(m), s)
		return
	}
	z.lpInsert(m, s)
}

// lpInsert puts (m, s) in its place in the listpack.
func (z *zsetObj) lpInsert(m []byte, s float64) {
	// Find the first element ordered after (s, m).
	off := 0
	for off < len(z.pk) {
		mb, sc, next := z.lpAt(off)
		if ztree.Less(s, unsafeString(m), sc, unsafeString(mb)) {
			break
		}
		off = next
	}
	z.mine(packed.Size(len(m)) + 9)
	var buf [8]byte
	z.pk = packed.Insert(z.pk, off, packed.ScoreBytes(&buf, s))
	z.pk = packed.Insert(z.pk, off, m)
	z.n++
}

// removeBytes is remove of a member given as bytes.
func (z *zsetObj) removeBytes(m []byte) bool { return z.remove(unsafeString(m)) }

// remove deletes m; it reports whether m was present.
func (z *zsetObj) remove(m string) bool {
	if z.tr == nil {
		off, _, _ := z.lpFind(m)
		if off < 0 {
			return false
		}
		z.mine(0)
		z.pk = packed.Delete(z.pk, off, z.lpSkip(off))
		z.n--
		return true
	}
	s, ok := z.dictGet(m)
	if !ok {
		return false
	}
	z.tr.Delete(s, m)
	z.dict.Delete(bytesOf(m))
	return true
}

// rank returns m's 0-based ascending rank.
func (z *zsetObj) rank(m string) (int, bool) {
	if z.tr == nil {
		off, r, _ := z.lpFind(m)
		return r, off >= 0
	}
	s, ok := z.dictGet(m)
	if !ok {
		return 0, false
	}
	return z.tr.Rank(s, m), true
}

// countWhile counts the leading elements for which pred holds (pred is
// true for a prefix of the order).
func (z *zsetObj) countWhile(pred func(s float64, m string) bool) int {
	if z.tr == nil {
		n := 0
		for off := 0; off < len(z.pk); n++ {
			mb, s, next := z.lpAt(off)
			if !pred(s, unsafeString(mb)) {
				break
			}
			off = next
		}
		return n
	}
	return z.tr.CountWhile(pred)
}

// unsafeString views b as a string without copying; b must not change
// while the string is in use.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// walk calls fn for the ranks [start, end) in ascending order, or in
// descending order when rev, until fn returns false.
func (z *zsetObj) walk(start, end int, rev bool, fn func(m string, s float64) bool) {
	if start >= end {
		return
	}
	if z.tr == nil {
		off := z.lpOffset(start)
		if rev {
			var stack [64]int
			offs := stack[:0]
			for r := start; r < end; r++ {
				offs = append(offs, off)
				off = z.lpSkip(off)
			}
			for i := len(offs) - 1; i >= 0; i-- {
				mb, s, _ := z.lpAt(offs[i])
				if !fn(unsafeString(mb), s) {
					return
				}
			}
			return
		}
		for r := start; r < end; r++ {
			mb, s, next := z.lpAt(off)
			if !fn(unsafeString(mb), s) {
				return
			}
			off = next
		}
		return
	}
	if rev {
		n := end - start
		for x := z.tr.At(end - 1); x.Valid() && n > 0; x, n = x.Prev(), n-1 {
			if !fn(x.Member(), x.Score()) {
				return
			}
		}
		return
	}
	n := end - start
	for x := z.tr.At(start); x.Valid() && n > 0; x, n = x.Next(), n-1 {
		if !fn(x.Member(), x.Score()) {
			return
		}
	}
}

// entries returns the elements of ranks [start, end).
func (z *zsetObj) entries(start, end int, rev bool) []zent {
	out := make([]zent, 0, max(end-start, 0))
	z.walk(start, end, rev, func(m string, s float64) bool {
		out = append(out, zent{m, s})
		return true
	})
	return out
}

// removeRange deletes the ranks [start, end) and returns how many.
func (z *zsetObj) removeRange(start, end int) int {
	if start >= end {
		return 0
	}
	if z.tr == nil {
		from := z.lpOffset(start)
		to := from
		for r := start; r < end; r++ {
			to = z.lpSkip(to)
		}
		z.mine(0)
		z.pk = packed.Delete(z.pk, from, to)
		z.n -= end - start
		return end - start
	}
	for _, e := range z.entries(start, end, false) {
		z.remove(e.member)
	}
	return end - start
}

// zsetFrom builds a sorted set from distinct elements with the encoding
// Redis converts a STORE result to.
func zsetFrom(es []zent, maxEntries, maxValue int) *zsetObj {
	small := len(es) <= maxEntries
	size := 0
	for _, e := range es {
		if len(e.member) > maxValue {
			small = false
			break
		}
		size += packed.Size(len(e.member)) + packed.ScoreSize(e.score)
	}
	z := &zsetObj{inline: true}
	if !small {
		// The members may alias a compact source's record: insertBytes
		// copies them.
		z.toSkiplist()
		for _, e := range es {
			z.insertBytes(bytesOf(e.member), e.score, math.MaxInt, math.MaxInt)
		}
		return z
	}
	sorted := slices.IsSortedFunc(es, func(a, b zent) int {
		if ztree.Less(a.score, a.member, b.score, b.member) {
			return -1
		}
		return 1
	})
	if !sorted {
		es = slices.Clone(es)
		slices.SortFunc(es, func(a, b zent) int {
			if ztree.Less(a.score, a.member, b.score, b.member) {
				return -1
			}
			return 1
		})
	}
	z.pk, z.own, z.changed, z.n = make([]byte, 0, size), true, true, len(es)
	for _, e := range es {
		z.pk = packed.AppendString(z.pk, e.member)
		z.pk = packed.AppendScore(z.pk, e.score)
	}
	return z
}

// zsetStore writes back a sorted set a command changed and left not
// empty: a compact one is packed into the key's record, one that became a
// skiplist (or was made as one for a new key) becomes the record's object;
// a skiplist already there was changed in place.
func (c *client) zsetStore(key []byte, z *zsetObj) {
	switch {
	case z.tr != nil:
		if z.inline {
			c.tx.SetObj(key, keyspace.KindZSet, z, keyspaceKeep)
			z.inline = false
		}
	case z.changed:
		c.tx.SetBytesIn(c.tx.DB, key, keyspace.KindZSet, 0, z.pk, keyspaceKeep)
		z.changed = false
	}
	if z.own && z.scratch != nil {
		// The bytes are in the record now; the buffer (maybe grown)
		// goes back to the client, and z must not change any more.
		if cap(z.pk) <= 64<<10 {
			*z.scratch = z.pk[:0]
		}
		z.own, z.scratch = false, nil
	}
}

// zsetLookup looks key up; it returns nil (having replied WRONGTYPE, ok
// false) for another kind, and nil with ok true for a missing key.
func (c *client) zsetLookup(key []byte, write bool) (*zsetObj, bool) {
	e, found, ok := lookupEntry(c, key, keyspace.KindZSet, write)
	if !found {
		return nil, ok
	}
	z := zsetOf(e)
	if write && z.tr == nil {
		z.scratch = &c.scratch
	}
	return z, true
}

// zreplyEntries replies a list of elements, with scores as pairs in RESP3
// and flat in RESP2.
func (c *client) zreplyEntries(es []zent, withScores bool) {
	if !withScores {
		c.replyArrayLen(len(es))
		for _, e := range es {
			c.replyBulkString(e.member)
		}
		return
	}
	if c.proto == 3 {
		c.replyArrayLen(len(es))
		for _, e := range es {
			c.replyArrayLen(2)
			c.replyBulkString(e.member)
			c.replyDouble(e.score)
		}
		return
	}
	c.replyArrayLen(2 * len(es))
	for _, e := range es {
		c.replyBulkString(e.member)
		c.replyDouble(e.score)
	}
}

// zsetScoreText formats a score as Redis's d2string (ZSCAN).
func zsetScoreText(s float64) string {
	switch {
	case math.IsInf(s, 1):
		return "inf"
	case math.IsInf(s, -1):
		return "-inf"
	case s == 0:
		return "0"
	}
	return strconv.FormatFloat(s, 'g', 17, 64)
}

// ZADD flags.
const (
	zaddNX = 1 << iota
	zaddXX
	zaddGT
	zaddLT
	zaddCH
	zaddIncr
)

func cmdZAdd(c *client, argv [][]byte) {
	flags := 0
	j := 2
	for ; j < len(argv); j++ {
		switch a := argv[j]; {
		case eq(a, "nx"):
			flags |= zaddNX
		case eq(a, "xx"):
			flags |= zaddXX
		case eq(a, "gt"):
			flags |= zaddGT
		case eq(a, "lt"):
			flags |= zaddLT
		case eq(a, "ch"):
			flags |= zaddCH
		case eq(a, "incr"):
			flags |= zaddIncr
		default:
			goto done
		}
	}
done:
	pairs := len(argv) - j
	if pairs == 0 || pairs%2 != 0 {
		c.replyError(rerr.Syntax)
		return
	}
	pairs /= 2
	if flags&zaddNX != 0 && flags&zaddXX != 0 {
		c.replyError(rerr.NXAndXX)
		return
	}
	if (flags&zaddGT != 0 && flags&zaddNX != 0) || (flags&zaddLT != 0 && flags&zaddNX != 0) || (flags&zaddGT != 0 && flags&zaddLT != 0) {
		c.replyError(rerr.GTLTNX)
		return
	}
	if flags&zaddIncr != 0 && pairs > 1 {
		c.replyError(rerr.ZIncrPair)
		return
	}
	// Up to a listpack's worth of scores on the stack: loading small
	// sets makes no garbage.
	var buf [128]float64
	var scores []float64
	if pairs <= len(buf) {
		scores = buf[:pairs]
	} else {
		scores = make([]float64, pairs)
	}
	for i := range scores {
		s, ok := parseScore(argv[j+2*i])
		if !ok {
			c.replyError(rerr.NotFloat)
			return
		}
		scores[i] = s
	}
	c.zaddGeneric(argv[1], flags, scores, argv[j:])
}

// zaddGeneric is ZADD's operation (and ZINCRBY's): scores[i] goes with the
// member elems[2i+1].
func (c *client) zaddGeneric(key []byte, flags int, scores []float64, elems [][]byte) {
	incr := flags&zaddIncr != 0
	z, ok := c.zsetLookup(key, true)
	if !ok {
		return
	}
	if z == nil {
		if flags&zaddXX != 0 {
			if incr {
				c.replyNull()
			} else {
				c.replyInt(0)
			}
			return
		}
		maxEntries, maxValue := c.zsetLimits()
		z = newZset(len(elems[1]), maxEntries, maxValue)
		z.scratch = &c.scratch
	}
	maxEntries, maxValue := c.zsetLimits()
	added, updated := 0, 0
	var result float64
	processed := false
	for i, s := range scores {
		m := elems[2*i+1]
		cur, exists, de := z.scoreEntry(m)
		if exists {
			if flags&zaddNX != 0 {
				continue
			}
			if incr {
				s += cur
				if math.IsNaN(s) {
					c.replyError(rerr.ZScoreNaN)
					return
				}
			}
			if (flags&zaddGT != 0 && s <= cur) || (flags&zaddLT != 0 && s >= cur) {
				continue
			}
			result, processed = s, true
			if s != cur {
				z.setScoreAt(m, cur, s, de)
				updated++
			}
			continue
		}
		if flags&zaddXX != 0 {
			continue
		}
		z.insertBytes(m, s, maxEntries, maxValue)
		result, processed = s, true
		added++
	}
	if added+updated > 0 {
		c.zsetStore(key, z)
		c.dirty()
		if incr {
			c.notify(config.NotifyZset, "zincr", key)
		} else {
			c.notify(config.NotifyZset, "zadd", key)
		}
	}
	if incr {
		if processed {
			c.replyDouble(result)
		} else {
			c.replyNull()
		}
		return
	}
	if flags&zaddCH != 0 {
		c.replyInt(int64(added + updated))
	} else {
		c.replyInt(int64(added))
	}
}

func cmdZIncrBy(c *client, argv [][]byte) {
	s, ok := parseScore(argv[2])
	if !ok {
		c.replyError(rerr.NotFloat)
		return
	}
	c.zaddGeneric(argv[1], zaddIncr, []float64{s}, argv[2:4])
}

func cmdZRem(c *client, argv [][]byte) {
	z, ok := c.zsetLookup(argv[1], true)
	if !ok {
		return
	}
	if z == nil {
		c.replyInt(0)
		return
	}
	n := 0
	for _, m := range argv[2:] {
		if z.remove(string(m)) {
			n++
			if z.card() == 0 {
				break
			}
		}
	}
	if z.card() == 0 {
		c.tx.Delete(argv[1])
	} else if n > 0 {
		c.zsetStore(argv[1], z)
	}
	if n > 0 {
		c.dirty()
		c.notify(config.NotifyZset, "zrem", argv[1])
		if z.card() == 0 {
			c.notify(config.NotifyGeneric, "del", argv[1])
		}
	}
	c.replyInt(int64(n))
}

func cmdZCard(c *client, argv [][]byte) {
	z, ok := c.zsetLookup(argv[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.replyInt(0)
		return
	}
	c.replyInt(int64(z.card()))
}

func cmdZScore(c *client, argv [][]byte) {
	z, ok := c.zsetLookup(argv[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.replyNull()
		return
	}
	if s, ok := z.score(string(argv[2])); ok {
		c.replyDouble(s)
	} else {
		c.replyNull()
	}
}

func cmdZMScore(c *client, argv [][]byte) {
	z, ok := c.zsetLookup(argv[1], false)
	if !ok {
		return
	}
	c.replyArrayLen(len(argv) - 2)
	for _, m := range argv[2:] {
		if z == nil {
			c.replyNull()
			continue
		}
		if s, ok := z.score(string(m)); ok {
			c.replyDouble(s)
		} else {
			c.replyNull()
		}
	}
}

func cmdZRank(c *client, argv [][]byte)    { c.zrank(argv, false) }
func cmdZRevRank(c *client, argv [][]byte) { c.zrank(argv, true) }

func (c *client) zrank(argv [][]byte, rev bool) {
	z, ok := c.zsetLookup(argv[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.replyNull()
		return
	}
	r, ok := z.rank(string(argv[2]))
	if !ok {
		c.replyNull()
		return
	}
	if rev {
		r = z.card() - 1 - r
	}
	c.replyInt(int64(r))
}

// strtod parses b with C strtod's syntax where it differs from Go's:
// hexadecimal without a binary exponent is allowed, underscores are not.
func strtod(b []byte) (float64, error) {
	s := string(b)
	if strings.IndexByte(s, '_') >= 0 {
		return 0, strconv.ErrSyntax
	}
	t := strings.TrimLeft(s, "+-")
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && !strings.ContainsAny(t, "pP") {
		s += "p0"
	}
	return strconv.ParseFloat(s, 64)
}

// parseScore parses a score, weight or increment as Redis's
// getDoubleFromObject: the whole argument, no surrounding spaces, no
// overflow, not NaN.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) || isSpace(b[len(b)-1]) {
		return 0, false
	}
	f, err := strtod(b)
	if err != nil || math.IsNaN(f) || (f == 0 && underflows(b)) {
		return 0, false
	}
	return f, true
}

// underflows reports whether a number that parsed as zero has a nonzero
// mantissa (strtod's ERANGE underflow, which Redis refuses).
func underflows(b []byte) bool {
	s := strings.TrimLeft(string(b), "+-")
	exp := "eE"
	digits := "123456789"
	if len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s, exp, digits = s[2:], "pP", "123456789abcdefABCDEF"
	}
	if i := strings.IndexAny(s, exp); i >= 0 {
		s = s[:i]
	}
	return strings.ContainsAny(s, digits)
}

// zscoreRange is a parsed score interval.
type zscoreRange struct {
	min, max     float64
	minEx, maxEx bool
}

// parseScoreBound parses a bound as Redis's zslParseRange: an optional
// '(' for an exclusive bound, then strtod's syntax.
func parseScoreBound(b []byte) (float64, bool, bool) {
	ex := false
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, ex, true
	}
	f, err := strtod(b)
	if err != nil {
		ne, ok := err.(*strconv.NumError)
		if !ok || ne.Err != strconv.ErrRange {
			return 0, false, false
		}
	}
	if math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

func parseScoreRange(minb, maxb []byte) (zscoreRange, bool) {
	var r zscoreRange
	var ok1, ok2 bool
	r.min, r.minEx, ok1 = parseScoreBound(minb)
	r.max, r.maxEx, ok2 = parseScoreBound(maxb)
	return r, ok1 && ok2
}

// below is true for the elements ordered before r, upTo for those before
// or in it: both hold for a prefix of the set.
func (r zscoreRange) below(s float64, _ string) bool {
	if r.minEx {
		return s <= r.min
	}
	return s < r.min
}

func (r zscoreRange) upTo(s float64, _ string) bool {
	if r.maxEx {
		return s < r.max
	}
	return s <= r.max
}

// ranks returns the rank interval [start, end) of the elements in r.
func (r zscoreRange) ranks(z *zsetObj) (int, int) {
	start := z.countWhile(r.below)
	end := z.countWhile(r.upTo)
	return start, max(start, end)
}

// collect is ZRANGEBYSCORE's walk over a big set, as Redis's: one descent
// to the first (or, rev, last) element in r, then a walk that skips
// offset elements and takes at most limit (negative: all), without
// computing ranks.
func (r zscoreRange) collect(tr *ztree.Tree, rev bool, offset, limit int64) []zent {
	if offset < 0 {
		return nil
	}
	var es []zent
	if limit > 0 {
		es = make([]zent, 0, min(limit, 64))
	}
	if rev {
		x := tr.LastWhile(r.upTo)
		for ; x.Valid() && offset > 0 && !r.below(x.Score(), x.Member()); offset-- {
			x = x.Prev()
		}
		for ; x.Valid() && limit != 0 && !r.below(x.Score(), x.Member()); x = x.Prev() {
			es = append(es, zent{x.Member(), x.Score()})
			limit--
		}
		return es
	}
	x := tr.FirstNot(r.below)
	for ; x.Valid() && offset > 0 && r.upTo(x.Score(), x.Member()); offset-- {
		x = x.Next()
	}
	for ; x.Valid() && limit != 0 && r.upTo(x.Score(), x.Member()); x = x.Next() {
		es = append(es, zent{x.Member(), x.Score()})
		limit--
	}
	return es
}

// zlexBound is one end of a lex range.
type zlexBound struct {
	inf int // -1: "-", 1: "+", 0: a string
	s   string
	ex  bool
}

type zlexRange struct{ min, max zlexBound }

func parseLexBound(b []byte) (zlexBound, bool) {
	if len(b) == 0 {
		return zlexBound{}, false
	}
	switch b[0] {
	case '-':
		if len(b) == 1 {
			return zlexBound{inf: -1}, true
		}
	case '+':
		if len(b) == 1 {
			return zlexBound{inf: 1}, true
		}
	case '(':
		return zlexBound{s: string(b[1:]), ex: true}, true
	case '[':
		return zlexBound{s: string(b[1:])}, true
	}
	return zlexBound{}, false
}

func parseLexRange(minb, maxb []byte) (zlexRange, bool) {
	lo, ok1 := parseLexBound(minb)
	hi, ok2 := parseLexBound(maxb)
	return zlexRange{lo, hi}, ok1 && ok2
}

// below counts the elements before bound b; after, whether elements equal
// to the bound's string are counted too.
func (b zlexBound) count(z *zsetObj, after bool) int {
	switch b.inf {
	case -1:
		return 0
	case 1:
		return z.card()
	}
	return z.countWhile(func(_ float64, m string) bool {
		if after {
			return m <= b.s
		}
		return m < b.s
	})
}

func (r zlexRange) ranks(z *zsetObj) (int, int) {
	start := r.min.count(z, r.min.ex)
	end := r.max.count(z, !r.max.ex)
	return start, max(start, end)
}

func cmdZCount(c *client, argv [][]byte) {
	r, ok := parseScoreRange(argv[2], argv[3])
	if !ok {
		c.replyError(rerr.ZMinMaxFloat)
		return
	}
	c.zcount(argv[1], r.ranks)
}

// zcount replies how many elements of key's sorted set fall in the rank
// interval ranks computes (ZCOUNT, ZLEXCOUNT).
func (c *client) zcount(key []byte, ranks func(*zsetObj) (int, int)) {
	z, ok := c.zsetLookup(key, false)
	if !ok {
		return
	}
	if z == nil {
		c.replyInt(0)
		return
	}
	start, end := ranks(z)
	c.replyInt(int64(end - start))
}

func cmdZLexCount(c *client, argv [][]byte) {
	r, ok := parseLexRange(argv[2], argv[3])
	if !ok {
		c.replyError(rerr.ZMinMaxLex)
		return
	}
	c.zcount(argv[1], r.ranks)
}

// rankRange normalizes Redis's start/stop ranks for a set of n elements to
// [start, end); ok is false when empty.
func rankRange(start, stop int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0, false
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop) + 1, true
}

// ZRANGE kinds.
const (
	zrankRange = iota
	zscoreRangeKind
	zlexRangeKind
	zautoRange
)

func cmdZRange(c *client, argv [][]byte) { c.zrangeGeneric(argv, nil, 1, zautoRange, false, true) }
func cmdZRangeStore(c *client, argv [][]byte) {
	c.zrangeGeneric(argv, argv[1], 2, zautoRange, false, true)
}
func cmdZRevRange(c *client, argv [][]byte) { c.zrangeGeneric(argv, nil, 1, zrankRange, true, false) }
func cmdZRangeByScore(c *client, argv [][]byte) {
	c.zrangeGeneric(argv, nil, 1, zscoreRangeKind, false, false)
}
func cmdZRevRangeByScore(c *client, argv [][]byte) {
	c.zrangeGeneric(argv, nil, 1, zscoreRangeKind, true, false)
}
func cmdZRangeByLex(c *client, argv [][]byte) {
	c.zrangeGeneric(argv, nil, 1, zlexRangeKind, false, false)
}
func cmdZRevRangeByLex(c *client, argv [][]byte) {
	c.zrangeGeneric(argv, nil, 1, zlexRangeKind, true, false)
}

// zrangeGeneric serves the whole ZRANGE family: the source key is
// argv[keyIdx], followed by the two bounds and the options; dst is
// ZRANGESTORE's destination. byArg: REV/BYSCORE/BYLEX come as options.
func (c *client) zrangeGeneric(argv [][]byte, dst []byte, keyIdx int, kind int, rev bool, byArg bool) {
	key := argv[keyIdx]
	minIdx, maxIdx := keyIdx+1, keyIdx+2
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := keyIdx + 3; j < len(argv); j++ {
		left := len(argv) - j - 1
		a := argv[j]
		switch {
		case dst == nil && eq(a, "withscores"):
			withScores = true
		case eq(a, "limit") && left >= 2:
			var ok bool
			if offset, ok = c.argInt(argv[j+1]); !ok {
				return
			}
			if limit, ok = c.argInt(argv[j+2]); !ok {
				return
			}
			j += 2
		case byArg && eq(a, "rev"):
			rev = true
		case byArg && kind == zautoRange && eq(a, "bylex"):
			kind = zlexRangeKind
		case byArg && kind == zautoRange && eq(a, "byscore"):
			kind = zscoreRangeKind
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	if kind == zautoRange {
		kind = zrankRange
	}
	if limit != -1 && kind == zrankRange { // Redis tests the value, not the option
		c.replyError(rerr.ZLimitRank)
		return
	}
	if withScores && kind == zlexRangeKind {
		c.replyError(rerr.ZWithScoresLex)
		return
	}
	if rev && kind != zrankRange {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var (
		rstart, rstop int64
		sr            zscoreRange
		lr            zlexRange
		ok            bool
	)
	switch kind {
	case zrankRange:
		if rstart, ok = c.argInt(argv[minIdx]); !ok {
			return
		}
		if rstop, ok = c.argInt(argv[maxIdx]); !ok {
			return
		}
	case zscoreRangeKind:
		if sr, ok = parseScoreRange(argv[minIdx], argv[maxIdx]); !ok {
			c.replyError(rerr.ZMinMaxFloat)
			return
		}
	case zlexRangeKind:
		if lr, ok = parseLexRange(argv[minIdx], argv[maxIdx]); !ok {
			c.replyError(rerr.ZMinMaxLex)
			return
		}
	}
	z, ok := c.zsetLookup(key, false)
	if !ok {
		return
	}
	var es []zent
	if z != nil {
		switch kind {
		case zrankRange:
			n := z.card()
			if s, e, ok := rankRange(rstart, rstop, n); ok {
				if rev {
					s, e = n-e, n-s
				}
				es = z.entries(s, e, rev)
			}
		default:
			if kind == zscoreRangeKind && z.tr != nil {
				es = sr.collect(z.tr, rev, offset, limit)
				break
			}
			var s, e int
			if kind == zscoreRangeKind {
				s, e = sr.ranks(z)
			} else {
				s, e = lr.ranks(z)
			}
			es = zlimit(z, s, e, rev, offset, limit)
		}
	}
	if dst != nil {
		c.zstore(dst, es, true)
		if len(es) > 0 {
			c.notify(config.NotifyZset, "zrangestore", dst)
		}
		return
	}
	c.zreplyEntries(es, withScores)
}

// zlimit returns the elements of ranks [s, e) in the given direction after
// skipping offset of them, at most limit (negative: all).
func zlimit(z *zsetObj, s, e int, rev bool, offset, limit int64) []zent {
	if offset < 0 || int64(e-s) <= offset {
		return nil
	}
	n := int64(e-s) - offset
	if limit >= 0 && limit < n {
		n = limit
	}
	if rev {
		return z.entries(e-int(offset)-int(n), e-int(offset), true)
	}
	return z.entries(s+int(offset), s+int(offset)+int(n), false)
}

// zstore replaces dst with the elements es (sorted, distinct), deleting
// it when es is empty, and replies the count. grow: build it as Redis's
// ZRANGESTORE does, a listpack converted when it outgrows it (so the
// scores that went through the listpack lose a -0 sign); otherwise as the
// other STORE commands, converted at the end.
func (c *client) zstore(dst []byte, es []zent, grow bool) {
	if len(es) == 0 {
		if c.tx.Delete(dst) {
			c.dirty()
			c.notify(config.NotifyGeneric, "del", dst)
		}
		c.replyInt(0)
		return
	}
	maxEntries, maxValue := c.zsetLimits()
	// dst is overwritten in place below, not deleted first: replacing a
	// key is no creation (no "new" event), as Redis's setKey. The caller
	// fires the command's own event when es is not empty.
	var z *zsetObj
	if grow {
		z = &zsetObj{inline: true}
		for _, e := range es {
			// Copied, as in zsetFrom.
			z.insertBytes(bytesOf(e.member), e.score, maxEntries, maxValue)
		}
	} else {
		z = zsetFrom(es, maxEntries, maxValue)
	}
	z.inline = true
	if z.tr != nil {
		c.tx.SetObj(dst, keyspace.KindZSet, z, kvtable.NoExpire)
	} else {
		c.tx.SetBytesIn(c.tx.DB, dst, keyspace.KindZSet, 0, z.pk, kvtable.NoExpire)
	}
	c.dirty()
	c.replyInt(int64(len(es)))
}

func cmdZRemRangeByRank(c *client, argv [][]byte) {
	start, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	stop, ok := c.argInt(argv[3])
	if !ok {
		return
	}
	c.zremRange(argv[1], "zremrangebyrank", func(z *zsetObj) (int, int) {
		s, e, ok := rankRange(start, stop, z.card())
		if !ok {
			return 0, 0
		}
		return s, e
	})
}

func cmdZRemRangeByScore(c *client, argv [][]byte) {
	r, ok := parseScoreRange(argv[2], argv[3])
	if !ok {
		c.replyError(rerr.ZMinMaxFloat)
		return
	}
	c.zremRange(argv[1], "zremrangebyscore", r.ranks)
}

func cmdZRemRangeByLex(c *client, argv [][]byte) {
	r, ok := parseLexRange(argv[2], argv[3])
	if !ok {
		c.replyError(rerr.ZMinMaxLex)
		return
	}
	c.zremRange(argv[1], "zremrangebylex", r.ranks)
}

// zremRange removes the ranks ranks gives; event names the keyspace event.
func (c *client) zremRange(key []byte, event string, ranks func(z *zsetObj) (int, int)) {
	z, ok := c.zsetLookup(key, true)
	if !ok {
		return
	}
	if z == nil {
		c.replyInt(0)
		return
	}
	s, e := ranks(z)
	n := z.removeRange(s, e)
	if z.card() == 0 {
		c.tx.Delete(key)
	} else if n > 0 {
		c.zsetStore(key, z)
	}
	if n > 0 {
		c.dirty()
		c.notify(config.NotifyZset, event, key)
		if z.card() == 0 {
			c.notify(config.NotifyGeneric, "del", key)
		}
	}
	c.replyInt(int64(n))
}

func cmdZPopMin(c *client, argv [][]byte) { c.zpopCmd(argv, false) }
func cmdZPopMax(c *client, argv [][]byte) { c.zpopCmd(argv, true) }

func (c *client) zpopCmd(argv [][]byte, fromMax bool) {
	if len(argv) > 3 {
		c.replyError(rerr.Syntax)
		return
	}
	count := int64(1)
	if len(argv) == 3 {
		n, ok := parseInt(argv[2])
		if !ok || n < 0 {
			c.replyError(rerr.ZNotPositive)
			return
		}
		if n == 0 {
			c.replyArrayLen(0)
			return
		}
		count = n
	}
	z, ok := c.zsetLookup(argv[1], true)
	if !ok {
		return
	}
	if z == nil {
		c.replyArrayLen(0)
		return
	}
	es := c.zpop(argv[1], z, fromMax, count)
	if len(argv) == 3 && c.proto == 3 {
		c.zreplyEntries(es, true)
		return
	}
	c.replyArrayLen(2 * len(es))
	for _, e := range es {
		c.replyBulkString(e.member)
		c.replyDouble(e.score)
	}
}

// zpop removes up to count elements from one end of z (stored at key).
func (c *client) zpop(key []byte, z *zsetObj, fromMax bool, count int64) []zent {
	n := z.card()
	k := n
	if count < int64(n) {
		k = int(count)
	}
	var es []zent
	if fromMax {
		es = z.entries(n-k, n, true)
		z.removeRange(n-k, n)
	} else {
		es = z.entries(0, k, false)
		z.removeRange(0, k)
	}
	if z.tr == nil {
		// The members alias the record, which zsetStore rewrites.
		for i := range es {
			es[i].member = strings.Clone(es[i].member)
		}
	}
	if fromMax {
		c.notify(config.NotifyZset, "zpopmax", key)
	} else {
		c.notify(config.NotifyZset, "zpopmin", key)
	}
	if z.card() == 0 {
		c.tx.Delete(key)
		c.notify(config.NotifyGeneric, "del", key)
	} else {
		c.zsetStore(key, z)
	}
	c.dirty()
	return es
}

func cmdZMPop(c *client, argv [][]byte) {
	keys, fromMax, count, ok := c.parseZMPop(argv[1:])
	if !ok {
		return
	}
	if !c.zmpopFirst(keys, fromMax, count) {
		c.replyNullArray()
	}
}

// parseZMPop reads "numkeys key [key ...] MIN|MAX [COUNT count]" (ZMPOP
// and BZMPOP after its timeout); ok is false when it replied an error.
func (c *client) parseZMPop(args [][]byte) (keys [][]byte, fromMax bool, count int64, ok bool) {
	numkeys, ok := parseInt(args[0])
	if !ok || numkeys < 1 {
		c.replyError(rerr.ZNumkeys)
		return nil, false, 0, false
	}
	// Compared before adding so a huge numkeys cannot overflow the index.
	if numkeys >= int64(len(args))-1 {
		c.replyError(rerr.Syntax)
		return nil, false, 0, false
	}
	whereIdx := int64(1) + numkeys
	if whereIdx >= int64(len(args)) {
		c.replyError(rerr.Syntax)
		return nil, false, 0, false
	}
	switch w := args[whereIdx]; {
	case eq(w, "min"):
	case eq(w, "max"):
		fromMax = true
	default:
		c.replyError(rerr.Syntax)
		return nil, false, 0, false
	}
	count = -1
	for j := int(whereIdx) + 1; j < len(args); j++ {
		if count == -1 && eq(args[j], "count") && j+1 < len(args) {
			j++
			n, ok := parseInt(args[j])
			if !ok || n < 1 {
				c.replyError(rerr.ZCountPositive)
				return nil, false, 0, false
			}
			count = n
			continue
		}
		c.replyError(rerr.Syntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return args[1:whereIdx], fromMax, count, true
}

// zmpopFirst pops from the first non-empty sorted set of keys and replies
// [key, [[member, score] ...]]; false when all are empty (nothing replied)
// or it replied an error (WRONGTYPE; then true).
func (c *client) zmpopFirst(keys [][]byte, fromMax bool, count int64) bool {
	for _, key := range keys {
		z, ok := c.zsetLookup(key, true)
		if !ok {
			return true
		}
		if z == nil {
			continue
		}
		es := c.zpop(key, z, fromMax, count)
		c.replyArrayLen(2)
		c.replyBulk(key)
		c.zreplyPairs(es)
		return true
	}
	return false
}

// zreplyPairs replies elements as an array of [member, score] pairs in
// both protocols (ZMPOP).
func (c *client) zreplyPairs(es []zent) {
	c.replyArrayLen(len(es))
	for _, e := range es {
		c.replyArrayLen(2)
		c.replyBulkString(e.member)
		c.replyDouble(e.score)
	}
}

func cmdZRandMember(c *client, argv [][]byte) {
	if len(argv) >= 3 {
		n, ok := parseInt(argv[2])
		if !ok {
			c.replyError(rerr.NotInt)
			return
		}
		if n < -math.MaxInt64 {
			c.replyError(rerr.ZRandRange)
			return
		}
		withScores := false
		if len(argv) > 4 || (len(argv) == 4 && !eq(argv[3], "withscores")) {
			c.replyError(rerr.Syntax)
			return
		} else if len(argv) == 4 {
			withScores = true
			if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
				c.replyError(rerr.ZValueRange)
				return
			}
		}
		c.zrandWithCount(argv[1], n, withScores)
		return
	}
	z, ok := c.zsetLookup(argv[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.replyNull()
		return
	}
	r := rand.IntN(z.card())
	c.replyBulkString(z.entries(r, r+1, false)[0].member)
}

func (c *client) zrandWithCount(key []byte, n int64, withScores bool) {
	z, ok := c.zsetLookup(key, false)
	if !ok {
		return
	}
	if z == nil || n == 0 {
		c.replyArrayLen(0)
		return
	}
	size := z.card()
	at := func(r int) zent { return z.entries(r, r+1, false)[0] }
	var es []zent
	switch {
	case n < 0:
		if -n > 1<<24 {
			n = -(1 << 24) // a reply this size is already absurd
		}
		es = make([]zent, -n)
		for i := range es {
			es[i] = at(rand.IntN(size))
		}
	case n >= int64(size):
		es = z.entries(0, size, false)
	case n*3 < int64(size):
		// Few of many: draw distinct ranks.
		picked := make(map[int]bool, n)
		for len(es) < int(n) {
			r := rand.IntN(size)
			if !picked[r] {
				picked[r] = true
				es = append(es, at(r))
			}
		}
	default:
		all := z.entries(0, size, false)
		for i := 0; i < int(n); i++ {
			j := i + rand.IntN(size-i)
			all[i], all[j] = all[j], all[i]
		}
		es = all[:n]
	}
	c.zreplyEntries(es, withScores)
}

// Set operations of ZUNION ZINTER ZDIFF and their STORE forms.
const (
	zopUnion = iota
	zopInter
	zopDiff
)

// zopStoreEvent names the keyspace event of each operation's STORE form.
var zopStoreEvent = [...]string{zopUnion: "zunionstore", zopInter: "zinterstore", zopDiff: "zdiffstore"}

// zsrc is one input of a set operation: a sorted set, a plain set (every
// score 1) or a missing key.
type zsrc struct {
	z      *zsetObj
	set    map[string]float64 // plain set input
	weight float64
}

func (s *zsrc) card() int {
	switch {
	case s.z != nil:
		return s.z.card()
	default:
		return len(s.set)
	}
}

func (s *zsrc) score(m string) (float64, bool) {
	if s.z != nil {
		return s.z.score(m)
	}
	v, ok := s.set[m]
	return v, ok
}

func (s *zsrc) each(fn func(m string, sc float64)) {
	if s.z != nil {
		s.z.walk(0, s.z.card(), false, func(m string, sc float64) bool {
			fn(m, sc)
			return true
		})
		return
	}
	for m, v := range s.set {
		fn(m, v)
	}
}

// setMembers is what a plain set input must provide.
type setMembers interface {
	len() int
	each(fn func(m []byte))
}

func cmdZUnion(c *client, argv [][]byte)      { c.zsetOp(argv, nil, 1, zopUnion, false) }
func cmdZInter(c *client, argv [][]byte)      { c.zsetOp(argv, nil, 1, zopInter, false) }
func cmdZDiff(c *client, argv [][]byte)       { c.zsetOp(argv, nil, 1, zopDiff, false) }
func cmdZUnionStore(c *client, argv [][]byte) { c.zsetOp(argv, argv[1], 2, zopUnion, false) }
func cmdZInterStore(c *client, argv [][]byte) { c.zsetOp(argv, argv[1], 2, zopInter, false) }
func cmdZDiffStore(c *client, argv [][]byte)  { c.zsetOp(argv, argv[1], 2, zopDiff, false) }
func cmdZInterCard(c *client, argv [][]byte)  { c.zsetOp(argv, nil, 1, zopInter, true) }

// Aggregates.
const (
	zaggSum = iota
	zaggMin
	zaggMax
)

func zaggregate(agg int, acc *float64, v float64) {
	switch agg {
	case zaggSum:
		*acc += v
		if math.IsNaN(*acc) {
			*acc = 0
		}
	case zaggMin:
		if v < *acc {
			*acc = v
		}
	case zaggMax:
		if v > *acc {
			*acc = v
		}
	}
}

func (c *client) zsetOp(argv [][]byte, dst []byte, numIdx int, op int, cardOnly bool) {
	numkeys, ok := c.argInt(argv[numIdx])
	if !ok {
		return
	}
	if numkeys < 1 {
		c.replyError(rerr.ZAtLeastOneKey(c.cmdName(argv)))
		return
	}
	if numkeys > int64(len(argv)-numIdx-1) {
		c.replyError(rerr.Syntax)
		return
	}
	n := int(numkeys)
	srcs := make([]zsrc, n)
	j := numIdx + 1
	for i := 0; i < n; i, j = i+1, j+1 {
		srcs[i].weight = 1
		e, found := c.tx.Get(argv[j])
		if !found {
			continue
		}
		switch e.Kind() {
		case keyspace.KindZSet:
			srcs[i].z = zsetOf(e)
		case keyspace.KindSet:
			sm, ok := e.Obj().(setMembers)
			if !ok {
				c.replyError(rerr.WrongType)
				return
			}
			srcs[i].set = make(map[string]float64, sm.len())
			sm.each(func(m []byte) { srcs[i].set[string(m)] = 1 })
		default:
			c.replyError(rerr.WrongType)
			return
		}
	}
	agg := zaggSum
	withScores := false
	limit := int64(0)
	for j < len(argv) {
		left := len(argv) - j
		a := argv[j]
		switch {
		case op != zopDiff && !cardOnly && left >= n+1 && eq(a, "weights"):
			j++
			for i := 0; i < n; i, j = i+1, j+1 {
				w, ok := parseScore(argv[j])
				if !ok {
					c.replyError(rerr.ZWeightFloat)
					return
				}
				srcs[i].weight = w
			}
		case op != zopDiff && !cardOnly && left >= 2 && eq(a, "aggregate"):
			switch b := argv[j+1]; {
			case eq(b, "sum"):
				agg = zaggSum
			case eq(b, "min"):
				agg = zaggMin
			case eq(b, "max"):
				agg = zaggMax
			default:
				c.replyError(rerr.Syntax)
				return
			}
			j += 2
		case cardOnly && left >= 2 && eq(a, "limit"):
			l, ok := parseInt(argv[j+1])
			if !ok || l < 0 {
				c.replyError(rerr.ZLimitNegative)
				return
			}
			limit = l
			j += 2
		case dst == nil && !cardOnly && eq(a, "withscores"):
			withScores = true
			j++
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	if op == zopDiff {
		slices.SortStableFunc(srcs[1:], func(a, b zsrc) int { return a.card() - b.card() })
	} else {
		slices.SortStableFunc(srcs, func(a, b zsrc) int { return a.card() - b.card() })
	}
	acc := map[string]float64{}
	var order []string // insertion order, to keep the work deterministic
	switch op {
	case zopInter:
		if srcs[0].card() == 0 {
			break
		}
		srcs[0].each(func(m string, sc float64) {
			if cardOnly && limit > 0 && int64(len(order)) >= limit {
				return
			}
			v := srcs[0].weight * sc
			if math.IsNaN(v) {
				v = 0
			}
			for k := 1; k < n; k++ {
				o, ok := srcs[k].score(m)
				if !ok {
					return
				}
				// Unlike the first factor, a NaN here is left to the
				// aggregate (a sum turns it into 0), as Redis does.
				zaggregate(agg, &v, srcs[k].weight*o)
			}
			acc[m] = v
			order = append(order, m)
		})
	case zopUnion:
		for k := range srcs {
			srcs[k].each(func(m string, sc float64) {
				v := srcs[k].weight * sc
				if math.IsNaN(v) {
					v = 0
				}
				if cur, ok := acc[m]; ok {
					zaggregate(agg, &cur, v)
					acc[m] = cur
					return
				}
				acc[m] = v
				order = append(order, m)
			})
		}
	case zopDiff:
		srcs[0].each(func(m string, sc float64) {
			for k := 1; k < n; k++ {
				if _, ok := srcs[k].score(m); ok {
					return
				}
			}
			acc[m] = sc
			order = append(order, m)
		})
	}
	if cardOnly {
		c.replyInt(int64(len(order)))
		return
	}
	es := make([]zent, len(order))
	for i, m := range order {
		es[i] = zent{m, acc[m]}
	}
	slices.SortFunc(es, func(a, b zent) int {
		if ztree.Less(a.score, a.member, b.score, b.member) {
			return -1
		}
		if ztree.Less(b.score, b.member, a.score, a.member) {
			return 1
		}
		return 0
	})
	if dst != nil {
		c.zstore(dst, es, false)
		if len(es) > 0 {
			c.notify(config.NotifyZset, zopStoreEvent[op], dst)
		}
		return
	}
	c.zreplyEntries(es, withScores)
}

// cmdName is the lower-case command name of argv.
func (c *client) cmdName(argv [][]byte) string {
	b := make([]byte, len(argv[0]))
	for i, ch := range argv[0] {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b[i] = ch
	}
	return string(b)
}

// zscanHash orders members for ZSCAN's cursor over a skiplist: the cursor
// is the next hash to visit, so an element present all along is returned
// whatever else changes.
func cmdZScan(c *client, argv [][]byte) {
	cursor, ok := parseCursor(argv[2])
	if !ok {
		c.replyError(rerr.InvalidCursor)
		return
	}
	z, ok := c.zsetLookup(argv[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.replyArrayLen(2)
		c.replyBulkString("0")
		c.replyArrayLen(0)
		return
	}
	o, ok := c.parseScanOptions(argv, 3, false)
	if !ok {
		return
	}
	var es []zent
	next := uint64(0)
	if z != nil && z.tr == nil {
		es = z.entries(0, z.card(), false)
	} else if z != nil {
		// The dict's reverse-binary cursor: O(COUNT) per call, with
		// SCAN's guarantee.
		next = z.dict.ScanN(cursor, o.count, func(e kvtable.Entry) {
			sc := math.Float64frombits(binary.LittleEndian.Uint64(e.Bytes()))
			es = append(es, zent{unsafeString(e.Key()), sc})
		})
	}
	if o.pattern != nil {
		kept := es[:0]
		for _, e := range es {
			if glob.Match(o.pattern, []byte(e.member)) {
				kept = append(kept, e)
			}
		}
		es = kept
	}
	c.replyArrayLen(2)
	c.replyBulkString(strconv.FormatUint(next, 10))
	c.replyArrayLen(2 * len(es))
	for _, e := range es {
		c.replyBulkString(e.member)
		c.replyBulkString(zsetScoreText(e.score))
	}
}
