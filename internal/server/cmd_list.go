package server

import (
	"bytes"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/quicklist"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET
// LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP. (The blocking ones are not
// here.)

// listHandlers binds the list commands.
func listHandlers() []handler {
	return []handler{
		{name: "lpush", fn: cmdLPush},
		{name: "rpush", fn: cmdRPush},
		{name: "lpushx", fn: cmdLPushX},
		{name: "rpushx", fn: cmdRPushX},
		{name: "lpop", fn: cmdLPop},
		{name: "rpop", fn: cmdRPop},
		{name: "llen", fn: cmdLLen},
		{name: "lrange", fn: cmdLRange},
		{name: "lindex", fn: cmdLIndex},
		{name: "lset", fn: cmdLSet},
		{name: "linsert", fn: cmdLInsert},
		{name: "lrem", fn: cmdLRem},
		{name: "ltrim", fn: cmdLTrim},
		{name: "lpos", fn: cmdLPos},
		{name: "lmove", fn: cmdLMove},
		{name: "rpoplpush", fn: cmdRPopLPush},
		{name: "lmpop", fn: cmdLMPop},
	}
}

// listValue is a list key's value. Redis 7.0 reports every list as a
// quicklist, whatever its size. The list header is held by value: one
// allocation per key less than a pointer to it.
type listValue struct{ l quicklist.List }

func newListValue() *listValue { return &listValue{} }

// Encoding is OBJECT ENCODING's answer.
func (v *listValue) Encoding() string { return "quicklist" }

// Clone is a deep copy (COPY).
func (v *listValue) Clone() any { return &listValue{l: *v.l.Clone()} }

// MemoryUsage approximates the value's bytes (MEMORY USAGE).
func (v *listValue) MemoryUsage() int { return v.l.MemoryUsage() }

// lookupList finds key's list. With write it is a write lookup (no hit or
// miss counted). It replies WRONGTYPE itself; ok is false then.
func (c *client) lookupList(key []byte, write bool) (lv *listValue, ok bool) {
	return lookupValue[listValue](c, key, keyspace.KindList, write)
}

// listEnd is which end of a list an operation works at.
type listEnd bool

const (
	listHead listEnd = false
	listTail listEnd = true
)

func (v *listValue) push(end listEnd, b []byte) {
	if end == listHead {
		v.l.PushFront(b)
	} else {
		v.l.PushBack(b)
	}
}

// pushMany pushes vals one after the other at end, as one LPUSH or RPUSH
// does, sizing new chunks once for all of them.
func (v *listValue) pushMany(end listEnd, vals [][]byte) {
	if end == listHead {
		v.l.PushFrontMany(vals)
	} else {
		v.l.PushBackMany(vals)
	}
}

func (v *listValue) pop(end listEnd) []byte {
	var b []byte
	if end == listHead {
		b, _ = v.l.PopFront()
	} else {
		b, _ = v.l.PopBack()
	}
	return b
}

// parseListEnd reads LEFT or RIGHT.
func parseListEnd(b []byte) (listEnd, bool) {
	switch {
	case eq(b, "left"):
		return listHead, true
	case eq(b, "right"):
		return listTail, true
	}
	return listHead, false
}

// deleteIfEmpty removes key when its list was emptied.
func (c *client) deleteIfEmpty(key []byte, lv *listValue) {
	if lv.l.Len() == 0 {
		c.tx.Delete(key)
		c.notify(config.NotifyGeneric, "del", key)
	}
}

// pushEvent and popEvent name the keyspace events of a push or pop at end.
func (end listEnd) pushEvent() string {
	if end == listHead {
		return "lpush"
	}
	return "rpush"
}

func (end listEnd) popEvent() string {
	if end == listHead {
		return "lpop"
	}
	return "rpop"
}

func cmdLPush(c *client, argv [][]byte)  { c.pushGeneric(argv, listHead, false) }
func cmdRPush(c *client, argv [][]byte)  { c.pushGeneric(argv, listTail, false) }
func cmdLPushX(c *client, argv [][]byte) { c.pushGeneric(argv, listHead, true) }
func cmdRPushX(c *client, argv [][]byte) { c.pushGeneric(argv, listTail, true) }

func (c *client) pushGeneric(argv [][]byte, end listEnd, onlyExisting bool) {
	lv, ok := c.lookupList(argv[1], true)
	if !ok {
		return
	}
	if lv == nil {
		if onlyExisting {
			c.replyInt(0)
			return
		}
		lv = newListValue()
		c.tx.SetObj(argv[1], keyspace.KindList, lv, 0)
	}
	lv.pushMany(end, argv[2:])
	c.dirty()
	c.notify(config.NotifyList, end.pushEvent(), argv[1])
	c.replyInt(int64(lv.l.Len()))
}

func cmdLPop(c *client, argv [][]byte) { c.popGeneric(argv, listHead) }
func cmdRPop(c *client, argv [][]byte) { c.popGeneric(argv, listTail) }

func (c *client) popGeneric(argv [][]byte, end listEnd) {
	if len(argv) > 3 {
		c.replyError(rerr.WrongArity(string(bytes.ToLower(argv[0]))))
		return
	}
	hasCount := len(argv) == 3
	var count int64
	if hasCount {
		n, ok := parseInt(argv[2])
		if !ok || n < 0 {
			c.replyError(rerr.ListCountPositive)
			return
		}
		count = n
	}
	lv, ok := c.lookupList(argv[1], true)
	if !ok {
		return
	}
	if lv == nil {
		if hasCount {
			c.replyNullArray()
		} else {
			c.replyNull()
		}
		return
	}
	if !hasCount {
		c.replyBulk(lv.pop(end))
		c.notify(config.NotifyList, end.popEvent(), argv[1])
		c.deleteIfEmpty(argv[1], lv)
		c.dirty()
		return
	}
	if count == 0 {
		c.replyArrayLen(0)
		return
	}
	c.popCountReply(argv[1], lv, end, count)
}

// popCountReply pops up to count elements and replies them as an array.
func (c *client) popCountReply(key []byte, lv *listValue, end listEnd, count int64) {
	n := int64(lv.l.Len())
	if count > n {
		count = n
	}
	c.replyArrayLen(int(count))
	for i := int64(0); i < count; i++ {
		c.replyBulk(lv.pop(end))
	}
	c.notify(config.NotifyList, end.popEvent(), key)
	c.deleteIfEmpty(key, lv)
	c.dirty()
}

func cmdLLen(c *client, argv [][]byte) {
	lv, ok := c.lookupList(argv[1], false)
	if !ok {
		return
	}
	if lv == nil {
		c.replyInt(0)
		return
	}
	c.replyInt(int64(lv.l.Len()))
}

// listRange normalizes Redis start/stop indexes against length n; empty is
// true when the range selects nothing.
func listRange(start, end int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0, true
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end), false
}

func cmdLRange(c *client, argv [][]byte) {
	start, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	end, ok := c.argInt(argv[3])
	if !ok {
		return
	}
	lv, ok := c.lookupList(argv[1], false)
	if !ok {
		return
	}
	if lv == nil {
		c.replyArrayLen(0)
		return
	}
	s, e, empty := listRange(start, end, lv.l.Len())
	if empty {
		c.replyArrayLen(0)
		return
	}
	c.replyArrayLen(e - s + 1)
	lv.l.Range(s, e, func(_ int, v []byte) bool {
		c.replyBulk(v)
		return true
	})
}

func cmdLIndex(c *client, argv [][]byte) {
	lv, ok := c.lookupList(argv[1], false)
	if !ok {
		return
	}
	if lv == nil {
		c.replyNull()
		return
	}
	i, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	if i < -int64(lv.l.Len()) || i >= int64(lv.l.Len()) {
		c.replyNull()
		return
	}
	v, found := lv.l.Index(int(i))
	if !found {
		c.replyNull()
		return
	}
	c.replyBulk(v)
}

func cmdLSet(c *client, argv [][]byte) {
	lv, ok := c.lookupList(argv[1], true)
	if !ok {
		return
	}
	if lv == nil {
		c.replyError(rerr.NoSuchKey)
		return
	}
	i, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	if i < -int64(lv.l.Len()) || i >= int64(lv.l.Len()) || !lv.l.Set(int(i), argv[3]) {
		c.replyError(rerr.ListIndexRange)
		return
	}
	c.dirty()
	c.notify(config.NotifyList, "lset", argv[1])
	c.replyOK()
}

func cmdLInsert(c *client, argv [][]byte) {
	var after bool
	switch {
	case eq(argv[2], "before"):
	case eq(argv[2], "after"):
		after = true
	default:
		c.replyError(rerr.Syntax)
		return
	}
	lv, ok := c.lookupList(argv[1], true)
	if !ok {
		return
	}
	if lv == nil {
		c.replyInt(0)
		return
	}
	pivot := -1
	lv.l.Range(0, lv.l.Len()-1, func(i int, v []byte) bool {
		if bytes.Equal(v, argv[3]) {
			pivot = i
			return false
		}
		return true
	})
	if pivot < 0 {
		c.replyInt(-1)
		return
	}
	if after {
		pivot++
	}
	lv.l.Insert(pivot, argv[4])
	c.dirty()
	c.notify(config.NotifyList, "linsert", argv[1])
	c.replyInt(int64(lv.l.Len()))
}

func cmdLRem(c *client, argv [][]byte) {
	count, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	lv, ok := c.lookupList(argv[1], true)
	if !ok {
		return
	}
	if lv == nil {
		c.replyInt(0)
		return
	}
	elem := argv[3]
	limit := count
	if limit < 0 {
		limit = -limit // MinInt64 stays negative: no limit, like 0
	}
	var removed int64
	keep := func(v []byte) bool {
		if (limit <= 0 || removed < limit) && bytes.Equal(v, elem) {
			removed++
			return false
		}
		return true
	}
	if count < 0 {
		lv.l.FilterRev(keep)
	} else {
		lv.l.Filter(keep)
	}
	if removed > 0 {
		c.notify(config.NotifyList, "lrem", argv[1])
		c.deleteIfEmpty(argv[1], lv)
		c.dirty()
	}
	c.replyInt(removed)
}

func cmdLTrim(c *client, argv [][]byte) {
	start, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	end, ok := c.argInt(argv[3])
	if !ok {
		return
	}
	lv, ok := c.lookupList(argv[1], true)
	if !ok {
		return
	}
	if lv == nil {
		c.replyOK()
		return
	}
	s, e, empty := listRange(start, end, lv.l.Len())
	if empty {
		c.tx.Delete(argv[1])
	} else {
		lv.l.Trim(s, e)
	}
	c.dirty()
	c.notify(config.NotifyList, "ltrim", argv[1])
	if empty {
		c.notify(config.NotifyGeneric, "del", argv[1])
	}
	c.replyOK()
}

func cmdLPos(c *client, argv [][]byte) {
	var rank, count, maxlen int64 = 1, 0, 0
	hasCount := false
	for j := 3; j < len(argv); j++ {
		more := j+1 < len(argv)
		switch {
		case eq(argv[j], "rank") && more:
			j++
			n, ok := c.argInt(argv[j])
			if !ok {
				return
			}
			if n == 0 {
				c.replyError(rerr.ListRankZero)
				return
			}
			rank = n
		case eq(argv[j], "count") && more:
			j++
			n, ok := parseInt(argv[j])
			if !ok || n < 0 {
				c.replyError(rerr.ListCountNegative)
				return
			}
			count, hasCount = n, true
		case eq(argv[j], "maxlen") && more:
			j++
			n, ok := parseInt(argv[j])
			if !ok || n < 0 {
				c.replyError(rerr.ListMaxlenNegative)
				return
			}
			maxlen = n
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	lv, ok := c.lookupList(argv[1], false)
	if !ok {
		return
	}
	if lv == nil {
		if hasCount {
			c.replyArrayLen(0)
		} else {
			c.replyNull()
		}
		return
	}
	reverse := rank < 0
	if reverse {
		rank = -rank // MinInt64 stays negative: the first match counts
	}
	var found []int64
	var matches, scanned int64
	visit := func(i int, v []byte) bool {
		if maxlen != 0 && scanned >= maxlen {
			return false
		}
		scanned++
		if bytes.Equal(v, argv[2]) {
			matches++
			if matches >= rank {
				found = append(found, int64(i))
				if !hasCount || (count != 0 && int64(len(found)) == count) {
					return false
				}
			}
		}
		return true
	}
	n := lv.l.Len()
	if reverse {
		lv.l.RangeRev(0, n-1, visit)
	} else {
		lv.l.Range(0, n-1, visit)
	}
	if !hasCount {
		if len(found) == 0 {
			c.replyNull()
		} else {
			c.replyInt(found[0])
		}
		return
	}
	c.replyArrayLen(len(found))
	for _, i := range found {
		c.replyInt(i)
	}
}

func cmdLMove(c *client, argv [][]byte) {
	from, ok1 := parseListEnd(argv[3])
	to, ok2 := parseListEnd(argv[4])
	if !ok1 || !ok2 {
		c.replyError(rerr.Syntax)
		return
	}
	c.moveGeneric(argv[1], argv[2], from, to)
}

func cmdRPopLPush(c *client, argv [][]byte) {
	c.moveGeneric(argv[1], argv[2], listTail, listHead)
}

// moveGeneric is LMOVE: pop from src's end from, push at dst's end to.
func (c *client) moveGeneric(src, dst []byte, from, to listEnd) {
	sv, ok := c.lookupList(src, true)
	if !ok {
		return
	}
	if sv == nil {
		c.replyNull()
		return
	}
	dv, ok := c.lookupList(dst, true)
	if !ok {
		return
	}
	v := sv.pop(from)
	if dv == nil {
		if bytes.Equal(src, dst) {
			dv = sv
		} else {
			dv = newListValue()
			c.tx.SetObj(dst, keyspace.KindList, dv, 0)
		}
	}
	dv.push(to, v)
	// Redis announces the push on dst before the pop from src.
	c.notify(config.NotifyList, to.pushEvent(), dst)
	c.notify(config.NotifyList, from.popEvent(), src)
	c.deleteIfEmpty(src, sv)
	c.dirty()
	c.replyBulk(v)
}

func cmdLMPop(c *client, argv [][]byte) {
	keys, end, count, ok := c.parseLMPop(argv[1:])
	if !ok {
		return
	}
	if !c.lmpopFirst(keys, end, count) {
		c.replyNullArray()
	}
}

// parseLMPop reads "numkeys key [key ...] LEFT|RIGHT [COUNT count]"
// (LMPOP, and BLMPOP after its timeout); ok is false when it replied.
func (c *client) parseLMPop(args [][]byte) (keys [][]byte, end listEnd, count int64, ok bool) {
	numkeys, ok := parseInt(args[0])
	if !ok || numkeys < 1 {
		c.replyError(rerr.ListNumkeys)
		return nil, listHead, 0, false
	}
	if numkeys > int64(len(args)-2) {
		c.replyError(rerr.Syntax)
		return nil, listHead, 0, false
	}
	keys = args[1 : 1+numkeys]
	rest := args[1+numkeys:]
	end, ok = parseListEnd(rest[0])
	if !ok {
		c.replyError(rerr.Syntax)
		return nil, listHead, 0, false
	}
	count = 1
	hasCount := false
	for j := 1; j < len(rest); j++ {
		if eq(rest[j], "count") && j+1 < len(rest) && !hasCount {
			j++
			n, ok := parseInt(rest[j])
			if !ok || n < 1 {
				c.replyError(rerr.ListCountPositiveGT)
				return nil, listHead, 0, false
			}
			count, hasCount = n, true
			continue
		}
		c.replyError(rerr.Syntax)
		return nil, listHead, 0, false
	}
	return keys, end, count, true
}

// lmpopFirst pops from the first non-empty list of keys and replies
// [key, [elements]]; false when all are empty and nothing was replied.
func (c *client) lmpopFirst(keys [][]byte, end listEnd, count int64) bool {
	for _, k := range keys {
		lv, ok := c.lookupList(k, true)
		if !ok {
			return true
		}
		if lv == nil {
			continue
		}
		c.replyArrayLen(2)
		c.replyBulk(k)
		c.popCountReply(k, lv, end, count)
		return true
	}
	return false
}
