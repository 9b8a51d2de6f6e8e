package server

import (
	"math"
	"sort"
	"strconv"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/intset"
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

// setObj is a set value. While every member is an integer and there are
// at most set-max-intset-entries of them it is an intset (sorted integers);
// otherwise a hashtable: a dense slice of members (O(1) random picks) with
// a map from member to its slot. Like Redis, a set never goes back to the
// intset encoding in place.
type setObj struct {
	is      *intset.Set // non-nil: intset encoding
	members []string
	index   map[string]int
}

// newSetFor returns an empty set with the encoding Redis picks for a set
// whose first member is first.
func newSetFor(first []byte) *setObj {
	if _, ok := parseInt(first); ok {
		return &setObj{is: &intset.Set{}}
	}
	return &setObj{index: map[string]int{}}
}

// newIntSet returns an empty set in the intset encoding (the results of
// the STORE commands start so and convert as members arrive).
func newIntSet() *setObj { return &setObj{is: &intset.Set{}} }

func (s *setObj) Encoding() string {
	if s.is != nil {
		return "intset"
	}
	return "hashtable"
}

func (s *setObj) Clone() any {
	if s.is != nil {
		return &setObj{is: s.is.Clone()}
	}
	n := &setObj{members: append([]string(nil), s.members...), index: make(map[string]int, len(s.index))}
	for k, v := range s.index {
		n.index[k] = v
	}
	return n
}

func (s *setObj) MemoryUsage() int {
	if s.is != nil {
		return 16 + s.is.Bytes()
	}
	n := 64 + 8*len(s.members)
	for _, m := range s.members {
		n += 2*len(m) + 48
	}
	return n
}

func (s *setObj) len() int {
	if s.is != nil {
		return s.is.Len()
	}
	return len(s.members)
}

// toHashtable converts an intset to the hashtable encoding.
func (s *setObj) toHashtable() {
	if s.is == nil {
		return
	}
	vals := s.is.Values()
	s.members = make([]string, 0, len(vals))
	s.index = make(map[string]int, len(vals))
	for _, v := range vals {
		m := strconv.FormatInt(v, 10)
		s.index[m] = len(s.members)
		s.members = append(s.members, m)
	}
	s.is = nil
}

// add inserts m, converting the encoding at Redis's thresholds; maxInts is
// set-max-intset-entries. It reports whether m was new.
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
	if _, ok := s.index[string(m)]; ok {
		return false
	}
	k := string(m)
	s.index[k] = len(s.members)
	s.members = append(s.members, k)
	return true
}

// remove deletes m; it reports whether m was a member.
func (s *setObj) remove(m []byte) bool {
	if s.is != nil {
		v, ok := parseInt(m)
		return ok && s.is.Remove(v)
	}
	i, ok := s.index[string(m)]
	if !ok {
		return false
	}
	s.removeAt(i)
	return true
}

// removeAt deletes the member in slot i (hashtable) or the i-th smallest
// (intset).
func (s *setObj) removeAt(i int) {
	if s.is != nil {
		s.is.RemoveAt(i)
		return
	}
	delete(s.index, s.members[i])
	last := len(s.members) - 1
	if i != last {
		s.members[i] = s.members[last]
		s.index[s.members[i]] = i
	}
	s.members[last] = ""
	s.members = s.members[:last]
}

func (s *setObj) contains(m []byte) bool {
	if s.is != nil {
		v, ok := parseInt(m)
		return ok && s.is.Contains(v)
	}
	_, ok := s.index[string(m)]
	return ok
}

// at returns the member in position i, appended to buf.
func (s *setObj) at(buf []byte, i int) []byte {
	if s.is != nil {
		return strconv.AppendInt(buf, s.is.At(i), 10)
	}
	return append(buf, s.members[i]...)
}

// each calls fn with every member in the encoding's order (ascending for
// an intset). The slice is only valid during the call.
func (s *setObj) each(fn func(m []byte)) {
	var buf []byte
	for i, n := 0, s.len(); i < n; i++ {
		buf = s.at(buf[:0], i)
		fn(buf)
	}
}

// memberList copies the members out in the encoding's order.
func (s *setObj) memberList() [][]byte {
	out := make([][]byte, 0, s.len())
	s.each(func(m []byte) { out = append(out, append([]byte(nil), m...)) })
	return out
}

// maxIntset reads set-max-intset-entries.
func (c *client) maxIntset() int64 { return c.s.cfg.Int("set-max-intset-entries") }

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

// randIndex is a uniform random position in s.
func (c *client) randIndex(s *setObj) int { return int(c.s.randN(uint64(s.len()))) }

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
	i := c.randIndex(s)
	c.replyBulk(s.at(nil, i))
	s.removeAt(i)
	c.notify(config.NotifySet, "spop", key)
	if s.len() == 0 {
		c.tx.Delete(key)
		c.notify(config.NotifyGeneric, "del", key)
	}
	c.dirty()
}

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
	if count*5 > size {
		// Most of the set goes: pick the survivors instead, into a new
		// set created as Redis does (its encoding follows its first
		// member), and reply the rest.
		remaining := size - count
		var ns *setObj
		max := c.maxIntset()
		for ; remaining > 0; remaining-- {
			i := c.randIndex(s)
			m := s.at(nil, i)
			if ns == nil {
				ns = newSetFor(m)
			}
			ns.add(m, max)
			s.removeAt(i)
		}
		s.each(func(m []byte) { c.replyBulk(m) })
		c.tx.SetObj(key, keyspace.KindSet, ns, keyspaceKeep)
	} else {
		var buf []byte
		for ; count > 0; count-- {
			i := c.randIndex(s)
			buf = s.at(buf[:0], i)
			c.replyBulk(buf)
			s.removeAt(i)
		}
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
	c.replyBulk(s.at(nil, c.randIndex(s)))
}

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
		// Repetitions allowed: independent picks.
		n := -count
		c.replyArrayLen(int(n))
		for ; n > 0; n-- {
			buf = s.at(buf[:0], c.randIndex(s))
			c.replyBulk(buf)
		}
		return
	}
	if count >= int64(size) {
		c.replyArrayLen(size)
		s.each(func(m []byte) { c.replyBulk(m) })
		return
	}
	c.replyArrayLen(int(count))
	if count*3 < int64(size) {
		// Few picks from a big set: draw positions, skipping repeats.
		picked := make(map[int]bool, count)
		for len(picked) < int(count) {
			i := c.randIndex(s)
			if picked[i] {
				continue
			}
			picked[i] = true
			buf = s.at(buf[:0], i)
			c.replyBulk(buf)
		}
		return
	}
	// Many picks: a partial Fisher-Yates shuffle of positions.
	perm := make([]int, size)
	for i := range perm {
		perm[i] = i
	}
	for i := 0; i < int(count); i++ {
		j := i + int(c.s.randN(uint64(size-i)))
		perm[i], perm[j] = perm[j], perm[i]
		buf = s.at(buf[:0], perm[i])
		c.replyBulk(buf)
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

// interMembers returns the intersection of sets, in the order of the
// smallest set, stopping after limit members (0: no limit).
func interMembers(sets []*setObj, limit int) [][]byte {
	for _, s := range sets {
		if s == nil {
			return nil
		}
	}
	sorted := append([]*setObj(nil), sets...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].len() < sorted[j].len() })
	var out [][]byte
	first := sorted[0]
	for i, n := 0, first.len(); i < n; i++ {
		m := first.at(nil, i)
		in := true
		for _, o := range sorted[1:] {
			if o != first && !o.contains(m) {
				in = false
				break
			}
		}
		if in {
			out = append(out, m)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	}
	return out
}

func cmdSInter(c *client, argv [][]byte) {
	sets, ok := c.lookupSets(argv[1:])
	if !ok {
		return
	}
	c.replySetMembers(interMembers(sets, 0))
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
	c.replyInt(int64(len(interMembers(sets, int(min(limit, math.MaxInt32))))))
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
	c.storeSet(argv[1], interMembers(sets, 0))
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

// scanHash orders hashtable members for SSCAN's cursor: FNV-1a folded
// into [1, 2^63), so 0 stays the end-of-scan cursor.
func scanHash(m string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(m); i++ {
		h ^= uint64(m[i])
		h *= 1099511628211
	}
	return h>>1 | 1
}

// SSCAN: an intset is returned whole with cursor 0, as Redis does. A
// hashtable is walked in the order of its members' hashes; the cursor is
// the hash to resume from, so every member present during the whole scan
// is returned even if others come and go.
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
	var out [][]byte
	next := uint64(0)
	keep := func(m []byte) {
		if o.pattern == nil || glob.Match(o.pattern, m) {
			out = append(out, append([]byte(nil), m...))
		}
	}
	switch {
	case s == nil:
	case s.is != nil:
		s.each(keep)
	default:
		type hm struct {
			h uint64
			m string
		}
		var cand []hm
		for _, m := range s.members {
			if h := scanHash(m); h >= cursor {
				cand = append(cand, hm{h, m})
			}
		}
		sort.Slice(cand, func(i, j int) bool { return cand[i].h < cand[j].h })
		i := 0
		for i < len(cand) && i < o.count {
			// Members sharing a hash go out together.
			h := cand[i].h
			for i < len(cand) && cand[i].h == h {
				keep([]byte(cand[i].m))
				i++
			}
		}
		if i < len(cand) {
			next = cand[i].h
		}
	}
	c.replyArrayLen(2)
	c.replyBulkString(strconv.FormatUint(next, 10))
	c.replyArrayLen(len(out))
	for _, m := range out {
		c.replyBulk(m)
	}
}
