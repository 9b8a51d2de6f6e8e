package server

import (
	"math"
	"sort"
	"strconv"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/intset"
	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/glob"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP
// SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF
// SDIFFSTORE SSCAN.

// setHandlers binds the set commands.
func setHandlers() []handler {
	return []handler{
		{name: "sadd", fn: cmdSAdd},
		{name: "srem", fn: cmdSRem},
		{name: "smembers", fn: cmdSMembers},
		{name: "sismember", fn: cmdSIsMember},
		{name: "smismember", fn: cmdSMIsMember},
		{name: "scard", fn: cmdSCard},
		{name: "spop", fn: cmdSPop},
		{name: "srandmember", fn: cmdSRandMember},
		{name: "smove", fn: cmdSMove},
		{name: "sinter", fn: cmdSInter},
		{name: "sintercard", fn: cmdSInterCard},
		{name: "sinterstore", fn: cmdSInterStore},
		{name: "sunion", fn: cmdSUnion},
		{name: "sunionstore", fn: cmdSUnionStore},
		{name: "sdiff", fn: cmdSDiff},
		{name: "sdiffstore", fn: cmdSDiffStore},
		{name: "sscan", fn: cmdSScan},
	}
}

// setObj is a set value, in one of Redis 7.0's two encodings. While every
// member is an integer and there are at most set-max-intset-entries of them
// it is an intset (is: sorted integers). Otherwise it is a hashtable (t):
// the members are the keys of a kvtable.Table of their own, with empty
// values, so a big set is as compact as the keyspace (no Go string or map
// entry per member, nothing for the garbage collector to follow), grows
// and shrinks incrementally, gives uniform random members in O(1)
// (RandomEntry), and SSCAN walks it with the keyspace's reverse-binary
// cursor: O(COUNT) per call, with SCAN's guarantee. Like Redis, a set never
// goes back to the intset encoding in place.
//
// Member slices of a hashtable alias its table until the table's next
// change: copy one that must outlive a change.
type setObj struct {
	is *intset.Set    // non-nil: intset encoding
	t  *kvtable.Table // non-nil: hashtable encoding
}

// newHashSet returns an empty set in the hashtable encoding, sized for n
// members.
func newHashSet(n int) *setObj {
	t := kvtable.New()
	if n > 0 {
		t.Reserve(n)
	}
	return &setObj{t: t}
}

// newSetFor returns an empty set with the encoding Redis picks for a set
// whose first member is first.
func newSetFor(first []byte) *setObj {
	if _, ok := parseInt(first); ok {
		return &setObj{is: &intset.Set{}}
	}
	return newHashSet(0)
}

// newIntSet returns an empty set in the intset encoding (the results of
// the STORE commands start so and convert as members arrive).
func newIntSet() *setObj { return &setObj{is: &intset.Set{}} }

// Encoding is OBJECT ENCODING's word, as Redis 7.0.
func (s *setObj) Encoding() string {
	if s.is != nil {
		return "intset"
	}
	return "hashtable"
}

// Clone is a deep copy (COPY).
func (s *setObj) Clone() any {
	if s.is != nil {
		return &setObj{is: s.is.Clone()}
	}
	n := newHashSet(s.t.Len())
	s.t.Range(func(e kvtable.Entry) bool {
		n.t.SetBytes(e.Key(), 0, 0, nil, kvtable.NoExpire)
		return true
	})
	return n
}

// MemoryUsage approximates the value's size in bytes.
func (s *setObj) MemoryUsage() int {
	if s.is != nil {
		return 16 + s.is.Bytes()
	}
	return 16 + s.t.MemoryUsage()
}

func (s *setObj) len() int {
	if s.is != nil {
		return s.is.Len()
	}
	return s.t.Len()
}

// toHashtable converts an intset to the hashtable encoding.
func (s *setObj) toHashtable() {
	if s.is == nil {
		return
	}
	vals := s.is.Values()
	h := newHashSet(len(vals))
	var buf []byte
	for _, v := range vals {
		buf = strconv.AppendInt(buf[:0], v, 10)
		h.t.SetBytes(buf, 0, 0, nil, kvtable.NoExpire)
	}
	s.is, s.t = nil, h.t
}

// add inserts m, converting the encoding at Redis's thresholds; maxInts is
// set-max-intset-entries. It reports whether m was new. m may alias
// another set's table.
func (s *setObj) add(m []byte, maxInts int64) bool {
	if s.is != nil {
		if v, ok := parseInt(m); ok {
			if !s.is.Add(v) {
				return false
			}
			if int64(s.is.Len()) > maxInts {
				s.toHashtable()
			}
			return true
		}
		s.toHashtable()
	}
	// One lookup: rewriting a present member's empty value in place is
	// cheaper than a second lookup for every new one.
	return !s.t.SetBytes(m, 0, 0, nil, kvtable.NoExpire)
}

// remove deletes m; it reports whether m was a member. m may alias the
// set's own table (the table reads it before changing anything).
func (s *setObj) remove(m []byte) bool {
	if s.is != nil {
		v, ok := parseInt(m)
		return ok && s.is.Remove(v)
	}
	return s.t.Delete(m)
}

func (s *setObj) contains(m []byte) bool {
	if s.is != nil {
		v, ok := parseInt(m)
		return ok && s.is.Contains(v)
	}
	_, ok := s.t.Get(m)
	return ok
}

// random returns a member, every member equally likely: an intset's is
// appended to buf, a hashtable's aliases the table. rnd(n) is uniform in
// [0, n). The set must not be empty.
func (s *setObj) random(rnd func(uint64) uint64, buf []byte) []byte {
	if s.is != nil {
		return strconv.AppendInt(buf, s.is.At(int(rnd(uint64(s.is.Len())))), 10)
	}
	e, _ := s.t.RandomEntry(rnd)
	return e.Key()
}

// walk calls fn with every member in the encoding's order (ascending for
// an intset, arena order for a hashtable) until fn returns false. The
// slice is only valid during the call; fn must not change the set.
func (s *setObj) walk(fn func(m []byte) bool) {
	if s.is != nil {
		var buf []byte
		for _, v := range s.is.Values() {
			buf = strconv.AppendInt(buf[:0], v, 10)
			if !fn(buf) {
				return
			}
		}
		return
	}
	s.t.Range(func(e kvtable.Entry) bool { return fn(e.Key()) })
}

// each calls fn with every member, as walk (the setMembers interface of
// the sorted set commands).
func (s *setObj) each(fn func(m []byte)) {
	s.walk(func(m []byte) bool { fn(m); return true })
}

// memberList copies the members out in the encoding's order.
func (s *setObj) memberList() [][]byte {
	out := make([][]byte, 0, s.len())
	s.each(func(m []byte) { out = append(out, append([]byte(nil), m...)) })
	return out
}

// view lists the members in the encoding's order; a hashtable's alias its
// table until its next change.
func (s *setObj) view() [][]byte {
	out := make([][]byte, 0, s.len())
	if s.is != nil {
		for _, v := range s.is.Values() {
			out = append(out, strconv.AppendInt(nil, v, 10))
		}
		return out
	}
	s.t.Range(func(e kvtable.Entry) bool {
		out = append(out, e.Key())
		return true
	})
	return out
}

// maxIntset reads set-max-intset-entries.
func (c *client) maxIntset() int64 { return c.s.limit.intsetEntries.Load() }

// lookupSet finds key's set for reading (read) or writing. It returns nil
// for a missing key; ok is false when the key holds another type (it has
// replied WRONGTYPE).
func (c *client) lookupSet(key []byte, read bool) (s *setObj, ok bool) {
	return lookupValue[setObj](c, key, keyspace.KindSet, !read)
}

// replySetMembers sends members as a set reply (array in RESP2).
func (c *client) replySetMembers(ms [][]byte) {
	c.replySetLen(len(ms))
	for _, m := range ms {
		c.replyBulk(m)
	}
}

func cmdSAdd(c *client, argv [][]byte) {
	key := argv[1]
	s, ok := c.lookupSet(key, false)
	if !ok {
		return
	}
	if s == nil {
		s = newSetFor(argv[2])
		c.tx.SetObj(key, keyspace.KindSet, s, 0)
	}
	max := c.maxIntset()
	n := 0
	for _, m := range argv[2:] {
		if s.add(m, max) {
			n++
		}
	}
	if n > 0 {
		c.dirty()
		c.notify(config.NotifySet, "sadd", key)
	}
	c.replyInt(int64(n))
}

func cmdSRem(c *client, argv [][]byte) {
	key := argv[1]
	s, ok := c.lookupSet(key, false)
	if !ok {
		return
	}
	if s == nil {
		c.replyInt(0)
		return
	}
	n := 0
	for _, m := range argv[2:] {
		if s.remove(m) {
			n++
			if s.len() == 0 {
				break
			}
		}
	}
	if s.len() == 0 {
		c.tx.Delete(key)
	}
	if n > 0 {
		c.dirty()
		c.notify(config.NotifySet, "srem", key)
		if s.len() == 0 {
			c.notify(config.NotifyGeneric, "del", key)
		}
	}
	c.replyInt(int64(n))
}

func cmdSMembers(c *client, argv [][]byte) {
	s, ok := c.lookupSet(argv[1], true)
	if !ok {
		return
	}
	if s == nil {
		c.replySetLen(0)
		return
	}
	c.replySetLen(s.len())
	s.each(func(m []byte) { c.replyBulk(m) })
}

func cmdSIsMember(c *client, argv [][]byte) {
	s, ok := c.lookupSet(argv[1], true)
	if !ok {
		return
	}
	if s != nil && s.contains(argv[2]) {
		c.replyInt(1)
	} else {
		c.replyInt(0)
	}
}

func cmdSMIsMember(c *client, argv [][]byte) {
	s, ok := c.lookupSet(argv[1], true)
	if !ok {
		return
	}
	c.replyArrayLen(len(argv) - 2)
	for _, m := range argv[2:] {
		if s != nil && s.contains(m) {
			c.replyInt(1)
		} else {
			c.replyInt(0)
		}
	}
}

func cmdSCard(c *client, argv [][]byte) {
	s, ok := c.lookupSet(argv[1], true)
	if !ok {
		return
	}
	if s == nil {
		c.replyInt(0)
		return
	}
	c.replyInt(int64(s.len()))
}

func cmdSPop(c *client, argv [][]byte) {
	if len(argv) == 3 {
		c.spopCount(argv)
		return
	}
	if len(argv) > 3 {
		c.replyError(rerr.Syntax)
		return
	}
	key := argv[1]
	s, ok := c.lookupSet(key, false)
	if !ok {
		return
	}
	if s == nil {
		c.replyNull()
		return
	}
	// Replied before it goes: the reply copies it.
	m := s.random(c.s.randN, nil)
	c.replyBulk(m)
	s.remove(m)
	c.notify(config.NotifySet, "spop", key)
	if s.len() == 0 {
		c.tx.Delete(key)
		c.notify(config.NotifyGeneric, "del", key)
	}
	c.dirty()
}

// spopMoveMul: SPOP with a count keeps the survivors instead of popping
// one by one when at most 1/spopMoveMul as many stay as go, as Redis 7.0
// decides (so the popped key's encoding follows Redis's: survivors go to
// a new set, created as Redis creates it).
const spopMoveMul = 5

func (c *client) spopCount(argv [][]byte) {
	key := argv[1]
	count, ok := parseInt(argv[2])
	if !ok || count < 0 {
		c.replyError(rerr.SetNotPositive)
		return
	}
	s, ok := c.lookupSet(key, false)
	if !ok {
		return
	}
	if s == nil || count == 0 {
		c.replySetLen(0)
		return
	}
	size := int64(s.len())
	if count >= size {
		// The whole set, in its own order; the key goes.
		c.replySetLen(s.len())
		s.each(func(m []byte) { c.replyBulk(m) })
		c.tx.Delete(key)
		c.dirty()
		c.notify(config.NotifySet, "spop", key)
		c.notify(config.NotifyGeneric, "del", key)
		return
	}
	c.replySetLen(int(count))
	remaining := size - count
	var buf []byte // an intset's members are formatted here
	if remaining*spopMoveMul > count {
		// O(count): random members, each replied (copied) and removed.
		for ; count > 0; count-- {
			m := s.random(c.s.randN, buf[:0])
			c.replyBulk(m)
			s.remove(m)
			if s.is != nil {
				buf = m
			}
		}
	} else {
		// Nearly all of it goes: draw the few survivors into a new set,
		// reply what is left of the old one and keep the new.
		var ns *setObj
		max := c.maxIntset()
		for ; remaining > 0; remaining-- {
			m := s.random(c.s.randN, buf[:0])
			if ns == nil {
				ns = newSetFor(m)
				if ns.t != nil {
					ns.t.Reserve(int(remaining))
				}
			}
			ns.add(m, max) // copies m before s changes
			s.remove(m)
			if s.is != nil {
				buf = m
			}
		}
		s.each(func(m []byte) { c.replyBulk(m) })
		c.tx.SetObj(key, keyspace.KindSet, ns, keyspaceKeep)
	}
	c.dirty()
	c.notify(config.NotifySet, "spop", key)
}

func cmdSRandMember(c *client, argv [][]byte) {
	if len(argv) == 3 {
		c.srandmemberCount(argv)
		return
	}
	if len(argv) > 3 {
		c.replyError(rerr.Syntax)
		return
	}
	s, ok := c.lookupSet(argv[1], true)
	if !ok {
		return
	}
	if s == nil {
		c.replyNull()
		return
	}
	c.replyBulk(s.random(c.s.randN, nil))
}

// srandMul: SRANDMEMBER with a positive count below the size draws
// distinct random members (O(count)) unless count is over 1/srandMul of
// the size, when a partial shuffle of all of them is cheaper than the
// retries (O(size)), as Redis 7.0 decides.
const srandMul = 3

func (c *client) srandmemberCount(argv [][]byte) {
	count, ok := parseInt(argv[2])
	if !ok {
		c.replyError(rerr.NotInt)
		return
	}
	if count == math.MinInt64 {
		c.replyError(rerr.SetRandCountRange)
		return
	}
	s, ok := c.lookupSet(argv[1], true)
	if !ok {
		return
	}
	if s == nil || count == 0 {
		c.replyArrayLen(0)
		return
	}
	size := s.len()
	var buf []byte
	if count < 0 {
		// Repetitions allowed: independent picks, O(-count).
		n := -count
		c.replyArrayLen(int(n))
		for ; n > 0; n-- {
			buf = s.random(c.s.randN, buf[:0])
			c.replyBulk(buf)
		}
		return
	}
	if count >= int64(size) {
		c.replyArrayLen(size)
		s.each(func(m []byte) { c.replyBulk(m) })
		return
	}
	n := int(count)
	c.replyArrayLen(n)
	if n*srandMul > size {
		// Many picks: the first n of a random permutation.
		all := s.view()
		for i := 0; i < n; i++ {
			j := i + int(c.s.randN(uint64(size-i)))
			all[i], all[j] = all[j], all[i]
			c.replyBulk(all[i])
		}
		return
	}
	// Few picks from a big set: random members, skipping repeats; each
	// distinct subset is equally likely.
	seen := make(map[string]struct{}, n)
	for len(seen) < n {
		buf = s.random(c.s.randN, buf[:0])
		if _, dup := seen[string(buf)]; !dup {
			seen[string(buf)] = struct{}{}
			c.replyBulk(buf)
		}
	}
}

func cmdSMove(c *client, argv [][]byte) {
	src, dst, m := argv[1], argv[2], argv[3]
	ss, ok := c.lookupSet(src, false)
	if !ok {
		return
	}
	if ss == nil {
		c.replyInt(0)
		return
	}
	ds, ok := c.lookupSet(dst, false)
	if !ok {
		return
	}
	if ss == ds {
		if ss.contains(m) {
			c.replyInt(1)
		} else {
			c.replyInt(0)
		}
		return
	}
	if !ss.remove(m) {
		c.replyInt(0)
		return
	}
	c.notify(config.NotifySet, "srem", src)
	if ss.len() == 0 {
		c.tx.Delete(src)
		c.notify(config.NotifyGeneric, "del", src)
	}
	if ds == nil {
		ds = newSetFor(m)
		c.tx.SetObj(dst, keyspace.KindSet, ds, 0)
	}
	ds.add(m, c.maxIntset())
	c.dirty()
	c.notify(config.NotifySet, "sadd", dst)
	c.replyInt(1)
}

// lookupSets reads every key as a set (missing keys are nil). ok is false
// when one held another type (it has replied WRONGTYPE).
func (c *client) lookupSets(keys [][]byte) ([]*setObj, bool) {
	sets := make([]*setObj, len(keys))
	for i, k := range keys {
		s, ok := c.lookupSet(k, true)
		if !ok {
			return nil, false
		}
		sets[i] = s
	}
	return sets, true
}

// interEach calls fn with each member of the intersection of sets, in the
// order of the smallest set, until fn returns false. The slice is only
// valid during the call.
func interEach(sets []*setObj, fn func(m []byte) bool) {
	for _, s := range sets {
		if s == nil {
			return
		}
	}
	sorted := append([]*setObj(nil), sets...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].len() < sorted[j].len() })
	first := sorted[0]
	first.walk(func(m []byte) bool {
		for _, o := range sorted[1:] {
			if o != first && !o.contains(m) {
				return true
			}
		}
		return fn(m)
	})
}

// interMembers returns the intersection of sets, copied out.
func interMembers(sets []*setObj) [][]byte {
	var out [][]byte
	interEach(sets, func(m []byte) bool {
		out = append(out, append([]byte(nil), m...))
		return true
	})
	return out
}

func cmdSInter(c *client, argv [][]byte) {
	sets, ok := c.lookupSets(argv[1:])
	if !ok {
		return
	}
	c.replySetMembers(interMembers(sets))
}

func cmdSInterCard(c *client, argv [][]byte) {
	numkeys, ok := parseInt(argv[1])
	if !ok || numkeys < 1 {
		c.replyError(rerr.SetNumKeys)
		return
	}
	if numkeys > int64(len(argv)-2) {
		c.replyError(rerr.SetNumKeysArgs)
		return
	}
	keys := argv[2 : 2+numkeys]
	limit := int64(0)
	for j := 2 + int(numkeys); j < len(argv); j++ {
		if eq(argv[j], "limit") && j+1 < len(argv) {
			j++
			n, ok := parseInt(argv[j])
			if !ok || n < 0 {
				c.replyError(rerr.SetLimitNegative)
				return
			}
			limit = n
			continue
		}
		c.replyError(rerr.Syntax)
		return
	}
	sets, ok := c.lookupSets(keys)
	if !ok {
		return
	}
	n := int64(0)
	interEach(sets, func([]byte) bool {
		n++
		return limit == 0 || n < limit
	})
	c.replyInt(n)
}

// storeSet replaces dst with a set of ms built as Redis builds the STORE
// commands' results (starting as an intset), or deletes dst when ms is
// empty, and replies the cardinality.
func (c *client) storeSet(dst []byte, ms [][]byte) {
	if len(ms) == 0 {
		if c.tx.Delete(dst) {
			c.dirty()
			c.notify(config.NotifyGeneric, "del", dst)
		}
		c.replyInt(0)
		return
	}
	s := newIntSet()
	max := c.maxIntset()
	for _, m := range ms {
		s.add(m, max)
	}
	// Overwritten in place, not deleted first: replacing a key is no
	// creation (no "new" event), as Redis's setKey.
	c.tx.SetObj(dst, keyspace.KindSet, s, 0)
	c.dirty()
	c.notify(config.NotifySet, "sinterstore", dst)
	c.replyInt(int64(s.len()))
}

func cmdSInterStore(c *client, argv [][]byte) {
	sets, ok := c.lookupSets(argv[2:])
	if !ok {
		return
	}
	c.storeSet(argv[1], interMembers(sets))
}

// unionDiff computes SUNION (diff false) or SDIFF of sets into a new set
// value, built as Redis builds it.
func (c *client) unionDiff(sets []*setObj, diff bool) *setObj {
	res := newIntSet()
	max := c.maxIntset()
	if !diff {
		for _, s := range sets {
			if s != nil {
				s.each(func(m []byte) { res.add(m, max) })
			}
		}
		return res
	}
	if sets[0] == nil {
		return res
	}
	sets[0].each(func(m []byte) {
		for _, o := range sets[1:] {
			if o != nil && (o == sets[0] || o.contains(m)) {
				return
			}
		}
		res.add(m, max)
	})
	return res
}

func (c *client) unionDiffCommand(argv [][]byte, diff bool) {
	sets, ok := c.lookupSets(argv[1:])
	if !ok {
		return
	}
	res := c.unionDiff(sets, diff)
	c.replySetLen(res.len())
	res.each(func(m []byte) { c.replyBulk(m) })
}

func (c *client) unionDiffStore(argv [][]byte, diff bool) {
	sets, ok := c.lookupSets(argv[2:])
	if !ok {
		return
	}
	dst := argv[1]
	res := c.unionDiff(sets, diff)
	if res.len() == 0 {
		if c.tx.Delete(dst) {
			c.dirty()
			c.notify(config.NotifyGeneric, "del", dst)
		}
		c.replyInt(0)
		return
	}
	// Overwritten in place: no "new" event for a replaced key.
	c.tx.SetObj(dst, keyspace.KindSet, res, 0)
	c.dirty()
	if diff {
		c.notify(config.NotifySet, "sdiffstore", dst)
	} else {
		c.notify(config.NotifySet, "sunionstore", dst)
	}
	c.replyInt(int64(res.len()))
}

func cmdSUnion(c *client, argv [][]byte)      { c.unionDiffCommand(argv, false) }
func cmdSDiff(c *client, argv [][]byte)       { c.unionDiffCommand(argv, true) }
func cmdSUnionStore(c *client, argv [][]byte) { c.unionDiffStore(argv, false) }
func cmdSDiffStore(c *client, argv [][]byte)  { c.unionDiffStore(argv, true) }

// SSCAN: an intset is returned whole with cursor 0, as Redis does. A
// hashtable is walked with its table's reverse-binary cursor (Table.ScanN):
// O(COUNT) per call, and every member present during the whole scan is
// returned even if others come and go and the table resizes.
func cmdSScan(c *client, argv [][]byte) {
	cursor, ok := parseCursor(argv[2])
	if !ok {
		c.replyError(rerr.InvalidCursor)
		return
	}
	o, ok := c.parseScanOptions(argv, 3, false)
	if !ok {
		return
	}
	s, ok := c.lookupSet(argv[1], true)
	if !ok {
		return
	}
	// A hashtable's members alias its table, which nothing changes before
	// the reply is written; an intset's are formatted in a reused buffer
	// and must be copied.
	var out [][]byte
	next := uint64(0)
	switch {
	case s == nil:
	case s.is != nil:
		s.each(func(m []byte) {
			if o.pattern == nil || glob.Match(o.pattern, m) {
				out = append(out, append([]byte(nil), m...))
			}
		})
	default:
		next = s.t.ScanN(cursor, o.count, func(e kvtable.Entry) {
			if m := e.Key(); o.pattern == nil || glob.Match(o.pattern, m) {
				out = append(out, m)
			}
		})
	}
	c.replyArrayLen(2)
	c.replyBulkString(strconv.FormatUint(next, 10))
	c.replyArrayLen(len(out))
	for _, m := range out {
		c.replyBulk(m)
	}
}
