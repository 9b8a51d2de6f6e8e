package server

import (
	"math"
	"slices"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/stream"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
	"github.com/taconite/taconite/internal/resp"
)

// Commands of streams: XADD XRANGE XREVRANGE XLEN XDEL XTRIM XREAD XGROUP
// XREADGROUP XACK XPENDING XCLAIM XAUTOCLAIM XINFO XSETID. The entries and
// the consumer groups live in internal/ds/stream; this file parses, calls
// it and replies as Redis 7.0.

func streamHandlers() []handler {
	return []handler{
		{name: "xadd", fn: cmdXAdd},
		{name: "xrange", fn: cmdXRange},
		{name: "xrevrange", fn: cmdXRevRange},
		{name: "xlen", fn: cmdXLen},
		{name: "xdel", fn: cmdXDel},
		{name: "xtrim", fn: cmdXTrim},
		{name: "xread", fn: cmdXRead},
		{name: "xreadgroup", fn: cmdXReadGroup},
		{name: "xack", fn: cmdXAck},
		{name: "xpending", fn: cmdXPending},
		{name: "xclaim", fn: cmdXClaim},
		{name: "xautoclaim", fn: cmdXAutoClaim},
		{name: "xsetid", fn: cmdXSetID},
		{name: "xgroup|create", fn: cmdXGroupCreate},
		{name: "xgroup|setid", fn: cmdXGroupSetID},
		{name: "xgroup|destroy", fn: cmdXGroupDestroy},
		{name: "xgroup|createconsumer", fn: cmdXGroupCreateConsumer},
		{name: "xgroup|delconsumer", fn: cmdXGroupDelConsumer},
		{name: "xgroup|help", fn: cmdXGroupHelp},
		{name: "xinfo|stream", fn: cmdXInfoStream},
		{name: "xinfo|groups", fn: cmdXInfoGroups},
		{name: "xinfo|consumers", fn: cmdXInfoConsumers},
		{name: "xinfo|help", fn: cmdXInfoHelp},
	}
}

// streamObj is a stream value in the keyspace.
type streamObj struct{ *stream.Stream }

// Encoding is OBJECT ENCODING's word.
func (s *streamObj) Encoding() string { return "stream" }

// Clone is a deep copy (COPY), groups included.
func (s *streamObj) Clone() any { return &streamObj{s.Stream.Clone()} }

// streamLookup finds key's stream: nil and true when missing, false when
// it replied WRONGTYPE.
func (c *client) streamLookup(key []byte, write bool) (*streamObj, bool) {
	return lookupValue[streamObj](c, key, keyspace.KindStream, write)
}

func (c *client) streamLimits() stream.Limits {
	return stream.Limits{
		MaxEntries: int(c.s.cfg.Int("stream-node-max-entries")),
		MaxBytes:   int(c.s.cfg.Int("stream-node-max-bytes")),
	}
}

// --- replies ---

func (c *client) replyStreamID(id stream.ID) {
	var buf [48]byte
	c.replyBulk(id.Append(buf[:0]))
}

// replyStreamEntry sends [id, [field, value, ...]].
func (c *client) replyStreamEntry(id stream.ID, fv [][]byte) {
	c.replyArrayLen(2)
	c.replyStreamID(id)
	c.replyArrayLen(len(fv))
	for _, x := range fv {
		c.replyBulk(x)
	}
}

// deferLen marks where an aggregate header whose length is not yet known
// goes; fillArrayLen / fillMapLen insert it once the elements are out.
func (c *client) deferLen() int { return len(c.out) }

func (c *client) fillArrayLen(at, n int) {
	if !c.muted() {
		c.out = slices.Insert(c.out, at, resp.AppendArrayLen(nil, n)...)
	}
}

func (c *client) fillMapLen(at, n int) {
	if !c.muted() {
		c.out = slices.Insert(c.out, at, resp.AppendMapLen(nil, n, c.proto)...)
	}
}

// replyStreamRange sends the entries between start and end, at most count
// of them (0: all), as an array.
func (c *client) replyStreamRange(s *stream.Stream, start, end stream.ID, count int64, rev bool) int64 {
	at := c.deferLen()
	var n int64
	s.Range(start, end, rev, func(id stream.ID, fv [][]byte) bool {
		c.replyStreamEntry(id, fv)
		n++
		return count == 0 || n < count
	})
	c.fillArrayLen(at, int(n))
	return n
}

// --- ID parsing ---

// parseStreamID parses an ID argument or replies the invalid-ID error.
func (c *client) parseStreamID(b []byte, strict bool, missingSeq uint64) (stream.ID, bool) {
	id, _, ok := stream.ParseID(b, strict, missingSeq, false)
	if !ok {
		c.replyError(rerr.StreamInvalidID)
	}
	return id, ok
}

// parseIntervalID parses a range bound: "(id" is exclusive (and strict),
// anything else as parseStreamID.
func (c *client) parseIntervalID(b []byte, missingSeq uint64) (id stream.ID, exclusive, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, ok = c.parseStreamID(b[1:], true, missingSeq)
		return id, true, ok
	}
	id, ok = c.parseStreamID(b, false, missingSeq)
	return id, false, ok
}

// --- XADD / XTRIM ---

const (
	trimNone = iota
	trimMaxLen
	trimMinID
)

// addTrimArgs are XADD's and XTRIM's parsed options.
type addTrimArgs struct {
	strategy   int
	trim       stream.Trim
	limitGiven bool
	noMkStream bool
	idGiven    bool
	seqGiven   bool
	id         stream.ID
	next       int // XADD: index of the first field
}

// parseAddTrim parses options from argv[i] on, as Redis's
// streamParseAddOrTrimArgsOrReply; ok is false when it replied.
func (c *client) parseAddTrim(argv [][]byte, i int, xadd bool) (a addTrimArgs, ok bool) {
	for ; i < len(argv); i++ {
		more := len(argv) - 1 - i
		opt := argv[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			a.next = i + 1
			return a, c.finishAddTrim(&a, xadd)
		case eq(opt, "maxlen") && more > 0, eq(opt, "minid") && more > 0:
			if a.strategy != trimNone {
				c.replyError(rerr.StreamTrimBoth)
				return a, false
			}
			a.trim.Approx = false
			if nx := argv[i+1]; more >= 2 && len(nx) == 1 && (nx[0] == '~' || nx[0] == '=') {
				a.trim.Approx = nx[0] == '~'
				i++
			}
			if eq(opt, "maxlen") {
				n, ok := c.argInt(argv[i+1])
				if !ok {
					return a, false
				}
				if n < 0 {
					c.replyError(rerr.StreamMaxLenNegative)
					return a, false
				}
				a.strategy, a.trim.MaxLen = trimMaxLen, n
			} else {
				id, ok := c.parseStreamID(argv[i+1], true, 0)
				if !ok {
					return a, false
				}
				a.strategy, a.trim.ByMinID, a.trim.MinID = trimMinID, true, id
			}
			i++
		case eq(opt, "limit") && more > 0:
			n, ok := c.argInt(argv[i+1])
			if !ok {
				return a, false
			}
			if n < 0 {
				c.replyError(rerr.StreamLimitNegative)
				return a, false
			}
			a.trim.Limit, a.limitGiven = n, true
			i++
		case xadd && eq(opt, "nomkstream"):
			a.noMkStream = true
		case xadd:
			id, seqGiven, ok := stream.ParseID(opt, true, 0, true)
			if !ok {
				c.replyError(rerr.StreamInvalidID)
				return a, false
			}
			a.id, a.seqGiven, a.idGiven = id, seqGiven, true
			a.next = i + 1
			return a, c.finishAddTrim(&a, xadd)
		default:
			c.replyError(rerr.Syntax)
			return a, false
		}
	}
	a.next = i
	return a, c.finishAddTrim(&a, xadd)
}

func (c *client) finishAddTrim(a *addTrimArgs, xadd bool) bool {
	if a.trim.Limit != 0 && a.strategy == trimNone {
		c.replyError(rerr.StreamLimitNoStrategy)
		return false
	}
	if !xadd && a.strategy == trimNone {
		c.replyError(rerr.StreamXTrimNoStrategy)
		return false
	}
	if a.limitGiven {
		if !a.trim.Approx {
			c.replyError(rerr.StreamLimitNoApprox)
			return false
		}
	} else if a.trim.Approx {
		// Without LIMIT an approximate trim still bounds its work, as
		// Redis does, to 100 blocks' worth of entries.
		l := 100 * c.s.cfg.Int("stream-node-max-entries")
		if l <= 0 {
			l = 10000
		}
		if l > 1000000 {
			l = 1000000
		}
		a.trim.Limit = l
	} else {
		a.trim.Limit = 0
	}
	return true
}

func cmdXAdd(c *client, argv [][]byte) {
	a, ok := c.parseAddTrim(argv, 2, true)
	if !ok {
		return
	}
	fields := argv[a.next:]
	if len(fields) < 2 || len(fields)%2 == 1 {
		c.replyError(rerr.WrongArity("xadd"))
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.replyError(rerr.StreamAddZero)
		return
	}
	key := argv[1]
	so, ok := c.streamLookup(key, true)
	if !ok {
		return
	}
	isNew := so == nil
	if isNew {
		if a.noMkStream {
			c.replyNull()
			return
		}
		so = &streamObj{stream.New()}
	}
	s := so.Stream
	if s.LastID == stream.MaxID() {
		c.replyError(rerr.StreamExhausted)
		return
	}
	id, ok := nextStreamID(s.LastID, a, c.tx.Now)
	if !ok {
		c.replyError(rerr.StreamAddTooSmall)
		return
	}
	s.Append(id, fields, c.streamLimits())
	if isNew {
		c.tx.SetObj(key, keyspace.KindStream, so, 0)
	} else {
		c.tx.SignalReady(key)
	}
	c.replyStreamID(id)
	c.notify(config.NotifyStream, "xadd", key)
	if a.strategy != trimNone && s.Trim(a.trim) > 0 {
		c.notify(config.NotifyStream, "xtrim", key)
	}
	c.dirty()
}

// nextStreamID picks the ID of a new entry after last: the current time
// (or last's time if the clock is behind), a given time with the next
// sequence, or the given ID. false when it is not greater than last.
func nextStreamID(last stream.ID, a addTrimArgs, now int64) (stream.ID, bool) {
	switch {
	case !a.idGiven:
		if uint64(now) > last.Ms {
			return stream.ID{Ms: uint64(now)}, true
		}
		return last.Next()
	case !a.seqGiven:
		if a.id.Ms == last.Ms {
			if last.Seq == math.MaxUint64 {
				return last, false
			}
			return stream.ID{Ms: last.Ms, Seq: last.Seq + 1}, true
		}
		if a.id.Ms < last.Ms {
			return last, false
		}
		return stream.ID{Ms: a.id.Ms}, true
	}
	if !last.Less(a.id) {
		return last, false
	}
	return a.id, true
}

func cmdXTrim(c *client, argv [][]byte) {
	so, ok := c.streamLookup(argv[1], true)
	if !ok {
		return
	}
	if so == nil {
		c.replyInt(0)
		return
	}
	a, ok := c.parseAddTrim(argv, 2, false)
	if !ok {
		return
	}
	n := so.Trim(a.trim)
	if n > 0 {
		c.notify(config.NotifyStream, "xtrim", argv[1])
		c.dirty()
	}
	c.replyInt(n)
}

// --- XRANGE / XREVRANGE / XLEN / XDEL ---

func cmdXRange(c *client, argv [][]byte)    { c.xrange(argv, false) }
func cmdXRevRange(c *client, argv [][]byte) { c.xrange(argv, true) }

func (c *client) xrange(argv [][]byte, rev bool) {
	startArg, endArg := argv[2], argv[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ex, ok := c.parseIntervalID(startArg, 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.Next(); !ok {
			c.replyError(rerr.StreamBadStart)
			return
		}
	}
	end, ex, ok := c.parseIntervalID(endArg, math.MaxUint64)
	if !ok {
		return
	}
	if ex {
		if end, ok = end.Prev(); !ok {
			c.replyError(rerr.StreamBadEnd)
			return
		}
	}
	count := int64(-1)
	for j := 4; j < len(argv); j++ {
		if eq(argv[j], "count") && j+1 < len(argv) {
			n, ok := c.argInt(argv[j+1])
			if !ok {
				return
			}
			count = max(n, 0)
			j++
			continue
		}
		c.replyError(rerr.Syntax)
		return
	}
	so, ok := c.streamLookup(argv[1], false)
	if !ok {
		return
	}
	if so == nil {
		c.replyArrayLen(0)
		return
	}
	if count == 0 {
		c.replyNullArray()
		return
	}
	c.replyStreamRange(so.Stream, start, end, max(count, 0), rev)
}

func cmdXLen(c *client, argv [][]byte) {
	so, ok := c.streamLookup(argv[1], false)
	if !ok {
		return
	}
	if so == nil {
		c.replyInt(0)
		return
	}
	c.replyInt(int64(so.Len()))
}

func cmdXDel(c *client, argv [][]byte) {
	so, ok := c.streamLookup(argv[1], true)
	if !ok {
		return
	}
	if so == nil {
		c.replyInt(0)
		return
	}
	ids := make([]stream.ID, 0, len(argv)-2)
	for _, a := range argv[2:] {
		id, ok := c.parseStreamID(a, true, 0)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	var n int64
	for _, id := range ids {
		if so.Delete(id) {
			n++
			if so.MaxDeleted.Less(id) {
				so.MaxDeleted = id
			}
		}
	}
	if n > 0 {
		c.notify(config.NotifyStream, "xdel", argv[1])
		c.dirty()
	}
	c.replyInt(n)
}

// --- XREAD / XREADGROUP ---

func cmdXRead(c *client, argv [][]byte)      { c.xread(argv, false) }
func cmdXReadGroup(c *client, argv [][]byte) { c.xread(argv, true) }

// readGroupMarker stands for ">" among parsed IDs, as in Redis.
func readGroupMarker() stream.ID { return stream.MaxID() }

func (c *client) xread(argv [][]byte, group bool) {
	var (
		count          int64
		timeout        int64 = -1
		streamsAt      int
		groupName      []byte
		consumerName   []byte
		noAck          bool
		blockRequested bool
	)
	for i := 1; i < len(argv); i++ {
		more := len(argv) - i - 1
		o := argv[i]
		switch {
		case eq(o, "block") && more > 0:
			i++
			t, ok := c.argTimeoutMs(argv[i])
			if !ok {
				return
			}
			timeout, blockRequested = t, true
		case eq(o, "count") && more > 0:
			i++
			n, ok := c.argInt(argv[i])
			if !ok {
				return
			}
			count = max(n, 0)
		case eq(o, "streams") && more > 0:
			streamsAt = i + 1
			if (len(argv)-streamsAt)%2 != 0 {
				c.replyError(rerr.StreamUnbalanced)
				return
			}
			i = len(argv)
		case eq(o, "group") && more >= 2:
			if !group {
				c.replyError(rerr.StreamGroupInXRead)
				return
			}
			groupName, consumerName = argv[i+1], argv[i+2]
			i += 2
		case eq(o, "noack"):
			if !group {
				c.replyError(rerr.StreamNoAckInXRead)
				return
			}
			noAck = true
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	if streamsAt == 0 || group && groupName == nil {
		c.replyError(rerr.Syntax)
		return
	}
	n := (len(argv) - streamsAt) / 2
	keys, idArgs := argv[streamsAt:streamsAt+n], argv[streamsAt+n:]
	ids := make([]stream.ID, n)
	objs := make([]*streamObj, n)
	groups := make([]*stream.Group, n)
	retry := c.retryWait != nil
	ok := true
	for i, key := range keys {
		var so *streamObj
		if retry {
			// Woken from a wait: a key that stopped being a stream is, as
			// in Redis, no stream to read rather than an error (XREAD
			// waits on; XREADGROUP learns its stream is gone below).
			// The lookup is not counted (nor a "keymiss" fired): Redis
			// serves a woken reader without reading the keyspace as a
			// command would.
			if e, found := c.tx.GetW(key); found && e.Kind() == keyspace.KindStream {
				so = e.Obj().(*streamObj)
			}
		} else if so, ok = c.streamLookup(key, false); !ok {
			return
		}
		objs[i] = so
		if group {
			if so == nil {
				if retry {
					// The key went away while this client waited on it.
					c.replyError(rerr.StreamUnblockedNoKey)
					return
				}
				c.replyError(rerr.StreamNoGroupRead(key, groupName))
				return
			}
			if groups[i] = so.Group(groupName); groups[i] == nil {
				if retry {
					c.replyError(rerr.StreamUnblockedNoGroup)
					return
				}
				c.replyError(rerr.StreamNoGroupRead(key, groupName))
				return
			}
		}
		a := idArgs[i]
		switch {
		case len(a) == 1 && a[0] == '$':
			if group {
				c.replyError(rerr.StreamDollarInGroup)
				return
			}
			if so != nil {
				ids[i] = so.LastID
			}
		case len(a) == 1 && a[0] == '>':
			if !group {
				c.replyError(rerr.StreamGreaterInXRead)
				return
			}
			ids[i] = readGroupMarker()
		default:
			id, ok := c.parseStreamID(a, true, 0)
			if !ok {
				return
			}
			ids[i] = id
		}
	}
	at := c.deferLen()
	served := 0
	for i, so := range objs {
		if !retry {
			// Redis looks every key up a second time to serve it, so
			// keyspace_hits/misses count it twice and a missing key fires
			// "keymiss" twice; do as it does.
			c.tx.Get(keys[i])
		}
		if so == nil {
			continue
		}
		s := so.Stream
		gt := ids[i]
		serve, history := false, false
		if group {
			g := groups[i]
			if gt != readGroupMarker() {
				serve, history = true, true
			} else if s.Len() > 0 {
				if last, _ := s.Last(); g.LastID.Less(last) {
					serve, gt = true, g.LastID
				}
			}
		} else if s.Len() > 0 {
			if last, _ := s.Last(); gt.Less(last) {
				serve = true
			}
		}
		if !serve {
			continue
		}
		served++
		if c.proto < 3 {
			c.replyArrayLen(2)
		}
		c.replyBulk(keys[i])
		// Only a stream that is served meets (and creates) the consumer:
		// a read that finds nothing leaves the group as it was, as in
		// Redis 7.0.
		var cons *stream.Consumer
		if group {
			cons = c.consumerFor(groups[i], keys[i], consumerName)
		}
		start, ok := gt.Next()
		if !ok {
			c.replyArrayLen(0)
			continue
		}
		switch {
		case history:
			c.replyConsumerHistory(s, cons, start, count)
		case group:
			c.replyGroupRead(s, groups[i], cons, start, count, noAck)
		default:
			c.replyStreamRange(s, start, stream.MaxID(), count, false)
		}
		if group {
			c.dirty()
		}
	}
	if served > 0 {
		if c.proto < 3 {
			c.fillArrayLen(at, served)
		} else {
			c.fillMapLen(at, served)
		}
		return
	}
	if !blockRequested {
		c.replyNullArray()
		return
	}
	// Wait. XREAD's "$" means "after the last entry now": pin it to that
	// ID so that a retry after a wake-up does not move the goalpost.
	wargv := argv
	if !group {
		for i, a := range idArgs {
			if len(a) == 1 && a[0] == '$' {
				if &wargv[0] == &argv[0] {
					wargv = slices.Clone(argv)
				}
				wargv[streamsAt+n+i] = ids[i].Append(nil)
			}
		}
	}
	c.block(wargv, keys, msDuration(timeout), nullArrayReply)
}

// replyGroupRead sends the entries after start to a consumer reading new
// entries with ">", advancing the group and (without NOACK) adding them to
// the pending lists.
func (c *client) replyGroupRead(s *stream.Stream, g *stream.Group, cons *stream.Consumer, start stream.ID, count int64, noAck bool) {
	at := c.deferLen()
	var n int64
	var delivered []stream.ID
	s.Range(start, stream.MaxID(), false, func(id stream.ID, fv [][]byte) bool {
		c.replyStreamEntry(id, fv)
		delivered = append(delivered, id)
		n++
		return count == 0 || n < count
	})
	c.fillArrayLen(at, int(n))
	for _, id := range delivered {
		s.Delivered(g, id)
		if noAck {
			continue
		}
		nack := &stream.NACK{ID: id, Consumer: cons, DeliveryTime: c.tx.Now, DeliveryCount: 1}
		if !g.PEL.Insert(nack) {
			// Already pending (the group's ID was set back): the entry
			// now belongs to this consumer, delivered afresh.
			nack = g.PEL.Find(id)
			nack.DeliveryTime, nack.DeliveryCount = c.tx.Now, 1
			g.Assign(nack, cons)
			continue
		}
		cons.PEL.Insert(nack)
	}
}

// replyConsumerHistory sends a consumer's pending entries from start on
// (a deleted entry as [id, nil]), counting them as delivered again.
func (c *client) replyConsumerHistory(s *stream.Stream, cons *stream.Consumer, start stream.ID, count int64) {
	var nacks []*stream.NACK
	cons.PEL.Ascend(start, stream.MaxID(), func(n *stream.NACK) bool {
		nacks = append(nacks, n)
		return count == 0 || int64(len(nacks)) < count
	})
	c.replyArrayLen(len(nacks))
	for _, n := range nacks {
		if fv, ok := s.Get(n.ID); ok {
			c.replyStreamEntry(n.ID, fv)
		} else {
			c.replyArrayLen(2)
			c.replyStreamID(n.ID)
			c.replyNullArray()
		}
		n.DeliveryTime = c.tx.Now
		n.DeliveryCount++
	}
}

// --- consumer groups ---

// groupLookup finds key's stream and its group for XPENDING, XCLAIM and
// XAUTOCLAIM, replying NOGROUP when either is missing.
func (c *client) groupLookup(key, name []byte) (*streamObj, *stream.Group, bool) {
	so, ok := c.streamLookup(key, false)
	if !ok {
		return nil, nil, false
	}
	var g *stream.Group
	if so != nil {
		g = so.Group(name)
	}
	if g == nil {
		c.replyError(rerr.StreamNoGroupKey(key, name))
		return nil, nil, false
	}
	return so, g, true
}

func cmdXAck(c *client, argv [][]byte) {
	so, ok := c.streamLookup(argv[1], false)
	if !ok {
		return
	}
	var g *stream.Group
	if so != nil {
		g = so.Group(argv[2])
	}
	ids := make([]stream.ID, 0, len(argv)-3)
	for _, a := range argv[3:] {
		if g == nil {
			break
		}
		id, ok := c.parseStreamID(a, true, 0)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	if g == nil {
		c.replyInt(0)
		return
	}
	var n int64
	for _, id := range ids {
		if g.Ack(id) {
			n++
		}
	}
	if n > 0 {
		c.dirty()
	}
	c.replyInt(n)
}

func cmdXPending(c *client, argv [][]byte) {
	summary := len(argv) == 3
	if !summary && (len(argv) < 6 || len(argv) > 9) {
		c.replyError(rerr.Syntax)
		return
	}
	var (
		minIdle      int64
		count        int64
		start, end   stream.ID
		consumerName []byte
	)
	if !summary {
		i := 3
		if eq(argv[3], "idle") {
			n, ok := c.argInt(argv[4])
			if !ok {
				return
			}
			minIdle = n
			if len(argv) < 8 {
				c.replyError(rerr.Syntax)
				return
			}
			i += 2
		}
		n, ok := c.argInt(argv[i+2])
		if !ok {
			return
		}
		count = max(n, 0)
		var ex bool
		if start, ex, ok = c.parseIntervalID(argv[i], 0); !ok {
			return
		}
		if ex {
			if start, ok = start.Next(); !ok {
				c.replyError(rerr.StreamBadStart)
				return
			}
		}
		if end, ex, ok = c.parseIntervalID(argv[i+1], math.MaxUint64); !ok {
			return
		}
		if ex {
			if end, ok = end.Prev(); !ok {
				c.replyError(rerr.StreamBadEnd)
				return
			}
		}
		if i+3 < len(argv) {
			consumerName = argv[i+3]
		}
	}
	_, g, ok := c.groupLookup(argv[1], argv[2])
	if !ok {
		return
	}
	if summary {
		c.replyArrayLen(4)
		c.replyInt(int64(g.PEL.Len()))
		if g.PEL.Len() == 0 {
			c.replyNull()
			c.replyNull()
			c.replyNullArray()
			return
		}
		first, _ := g.PEL.First()
		last, _ := g.PEL.Last()
		c.replyStreamID(first)
		c.replyStreamID(last)
		at := c.deferLen()
		k := 0
		for _, cons := range g.Consumers() {
			if cons.PEL.Len() == 0 {
				continue
			}
			k++
			c.replyArrayLen(2)
			c.replyBulkString(cons.Name)
			c.replyBulkInt(int64(cons.PEL.Len()))
		}
		c.fillArrayLen(at, k)
		return
	}
	pel := &g.PEL
	if consumerName != nil {
		cons := g.Consumer(consumerName)
		if cons == nil {
			c.replyArrayLen(0)
			return
		}
		pel = &cons.PEL
	}
	at := c.deferLen()
	k := 0
	if count > 0 {
		pel.Ascend(start, end, func(n *stream.NACK) bool {
			idle := c.tx.Now - n.DeliveryTime
			if minIdle != 0 && idle < minIdle {
				return true
			}
			k++
			c.replyArrayLen(4)
			c.replyStreamID(n.ID)
			c.replyBulkString(n.Consumer.Name)
			c.replyInt(max(idle, 0))
			c.replyInt(n.DeliveryCount)
			return int64(k) < count
		})
	}
	c.fillArrayLen(at, k)
}

// consumerFor looks a consumer of key's group g up, creating it (with
// its keyspace event), and marks it seen.
func (c *client) consumerFor(g *stream.Group, key, name []byte) *stream.Consumer {
	cons, created := g.CreateConsumer(name, c.tx.Now)
	if created {
		c.notify(config.NotifyStream, "xgroup-createconsumer", key)
		c.dirty()
	}
	cons.SeenTime = c.tx.Now
	return cons
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms]
// [TIME ms-unix-time] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
func cmdXClaim(c *client, argv [][]byte) {
	so, g, ok := c.groupLookup(argv[1], argv[2])
	if !ok {
		return
	}
	minIdle, ok := parseInt(argv[4])
	if !ok {
		c.replyError(rerr.StreamClaimMinIdle)
		return
	}
	minIdle = max(minIdle, 0)
	j := 5
	var ids []stream.ID
	for ; j < len(argv); j++ {
		id, _, ok := stream.ParseID(argv[j], true, 0, false)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := c.tx.Now
	var (
		deliveryTime int64 = -1
		retryCount   int64 = -1
		force        bool
		justID       bool
		lastID       stream.ID
	)
	for ; j < len(argv); j++ {
		more := len(argv) - 1 - j
		opt := argv[j]
		switch {
		case eq(opt, "force"):
			force = true
		case eq(opt, "justid"):
			justID = true
		case eq(opt, "idle") && more > 0:
			j++
			n, ok := parseInt(argv[j])
			if !ok {
				c.replyError(rerr.StreamClaimIdle)
				return
			}
			deliveryTime = now - n
		case eq(opt, "time") && more > 0:
			j++
			n, ok := parseInt(argv[j])
			if !ok {
				c.replyError(rerr.StreamClaimTime)
				return
			}
			deliveryTime = n
		case eq(opt, "retrycount") && more > 0:
			j++
			n, ok := parseInt(argv[j])
			if !ok {
				c.replyError(rerr.StreamClaimRetry)
				return
			}
			retryCount = n
		case eq(opt, "lastid") && more > 0:
			j++
			id, ok := c.parseStreamID(argv[j], true, 0)
			if !ok {
				return
			}
			lastID = id
		default:
			c.replyError(rerr.StreamClaimOption(opt))
			return
		}
	}
	if g.LastID.Less(lastID) {
		g.LastID = lastID
		c.dirty()
	}
	// A bogus time (negative, or in the future) becomes now rather than
	// an error, as in Redis: clients compute it with their own clocks.
	if deliveryTime < 0 || deliveryTime > now {
		deliveryTime = now
	}
	var cons *stream.Consumer
	at := c.deferLen()
	k := 0
	for _, id := range ids {
		nack := g.PEL.Find(id)
		fv, exists := so.Get(id)
		if !exists {
			// The entry is gone: drop it from the pending lists.
			if nack != nil {
				g.Ack(id)
				c.dirty()
			}
			continue
		}
		fresh := false
		if force && nack == nil {
			nack = &stream.NACK{ID: id, DeliveryCount: 1}
			g.PEL.Insert(nack)
			fresh = true
		}
		if nack == nil {
			continue
		}
		if !fresh && minIdle > 0 && now-nack.DeliveryTime < minIdle {
			continue
		}
		if cons == nil {
			cons = c.consumerFor(g, argv[1], argv[3])
		}
		nack.DeliveryTime = deliveryTime
		if retryCount >= 0 {
			nack.DeliveryCount = retryCount
		} else if !justID {
			nack.DeliveryCount++
		}
		g.Assign(nack, cons)
		if justID {
			c.replyStreamID(id)
		} else {
			c.replyStreamEntry(id, fv)
		}
		k++
		c.dirty()
	}
	c.fillArrayLen(at, k)
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
func cmdXAutoClaim(c *client, argv [][]byte) {
	so, ok := c.streamLookup(argv[1], false)
	if !ok {
		return
	}
	minIdle, ok := parseInt(argv[4])
	if !ok {
		c.replyError(rerr.StreamAutoClaimMinIdle)
		return
	}
	minIdle = max(minIdle, 0)
	start, ex, ok := c.parseIntervalID(argv[5], 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.Next(); !ok {
			c.replyError(rerr.StreamBadStart)
			return
		}
	}
	const attemptsFactor = 10
	count := int64(100)
	justID := false
	for j := 6; j < len(argv); j++ {
		more := len(argv) - 1 - j
		switch {
		case eq(argv[j], "count") && more > 0:
			n, ok := parseInt(argv[j+1])
			if !ok || n < 1 || n > math.MaxInt64/attemptsFactor {
				c.replyError(rerr.StreamCountPositive)
				return
			}
			count = n
			j++
		case eq(argv[j], "justid"):
			justID = true
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	var g *stream.Group
	if so != nil {
		g = so.Group(argv[2])
	}
	if g == nil {
		c.replyError(rerr.StreamNoGroupKey(argv[1], argv[2]))
		return
	}
	attempts := count * attemptsFactor
	now := c.tx.Now
	var cons *stream.Consumer
	var deleted []stream.ID
	c.replyArrayLen(3)
	cursorAt := c.deferLen()
	at := c.deferLen()
	k := 0
	next := g.PEL.Next(start)
	for ; attempts > 0 && count > 0 && next != nil; attempts-- {
		nack := next
		id := nack.ID
		after, more := id.Next()
		next = nil
		if more {
			next = g.PEL.Next(after)
		}
		fv, exists := so.Get(id)
		if !exists {
			g.Ack(id)
			deleted = append(deleted, id)
			count--
			c.dirty()
			continue
		}
		if minIdle > 0 && now-nack.DeliveryTime < minIdle {
			continue
		}
		if cons == nil {
			cons = c.consumerFor(g, argv[1], argv[3])
		}
		nack.DeliveryTime = now
		if !justID {
			nack.DeliveryCount++
		}
		g.Assign(nack, cons)
		if justID {
			c.replyStreamID(id)
		} else {
			c.replyStreamEntry(id, fv)
		}
		k++
		count--
		c.dirty()
	}
	var cursor stream.ID
	if next != nil {
		cursor = next.ID
	}
	c.fillArrayLen(at, k)
	if !c.muted() {
		var buf [48]byte
		c.out = slices.Insert(c.out, cursorAt, resp.AppendBulk(nil, cursor.Append(buf[:0]))...)
	}
	c.replyArrayLen(len(deleted))
	for _, id := range deleted {
		c.replyStreamID(id)
	}
}

// --- XGROUP ---

// xgroupTarget looks up the stream and group of an XGROUP subcommand:
// the key must exist (unless CREATE with MKSTREAM) and, for the
// subcommands that need one, the group too.
func (c *client) xgroupTarget(argv [][]byte, needKey, needGroup bool) (*streamObj, *stream.Group, bool) {
	so, ok := c.streamLookup(argv[2], true)
	if !ok {
		return nil, nil, false
	}
	if so == nil {
		if needKey {
			c.replyError(rerr.StreamXGroupNoKey)
			return nil, nil, false
		}
		return nil, nil, true
	}
	var g *stream.Group
	g = so.Group(argv[3])
	if needGroup && g == nil {
		c.replyError(rerr.StreamNoGroupName(argv[3], argv[2]))
		return nil, nil, false
	}
	return so, g, true
}

// parseEntriesRead reads ENTRIESREAD's value.
func (c *client) parseEntriesRead(b []byte) (int64, bool) {
	n, ok := c.argInt(b)
	if !ok {
		return 0, false
	}
	if n < 0 && n != stream.InvalidEntriesRead {
		c.replyError(rerr.StreamEntriesRead)
		return 0, false
	}
	return n, true
}

// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]
func cmdXGroupCreate(c *client, argv [][]byte) {
	mkStream := false
	entriesRead := int64(stream.InvalidEntriesRead)
	for i := 5; i < len(argv); {
		switch {
		case eq(argv[i], "mkstream"):
			mkStream = true
			i++
		case eq(argv[i], "entriesread") && i+1 < len(argv):
			n, ok := c.parseEntriesRead(argv[i+1])
			if !ok {
				return
			}
			entriesRead = n
			i += 2
		default:
			c.replyError(rerr.StreamSubcommandSyntax(argv[1], "XGROUP"))
			return
		}
	}
	so, _, ok := c.xgroupTarget(argv, !mkStream, false)
	if !ok {
		return
	}
	if len(argv) > 8 {
		c.replyError(rerr.StreamSubcommandSyntax(argv[1], "XGROUP"))
		return
	}
	var id stream.ID
	if len(argv[4]) == 1 && argv[4][0] == '$' {
		if so != nil {
			id = so.LastID
		}
	} else if id, ok = c.parseStreamID(argv[4], true, 0); !ok {
		return
	}
	if so == nil {
		so = &streamObj{stream.New()}
		c.tx.SetObj(argv[2], keyspace.KindStream, so, 0)
		c.dirty()
	}
	if _, created := so.CreateGroup(argv[3], id, entriesRead); !created {
		c.replyError(rerr.StreamBusyGroup)
		return
	}
	c.dirty()
	c.replyOK()
	c.notify(config.NotifyStream, "xgroup-create", argv[2])
}

// XGROUP SETID key group id|$ [ENTRIESREAD n]
func cmdXGroupSetID(c *client, argv [][]byte) {
	entriesRead := int64(stream.InvalidEntriesRead)
	for i := 5; i < len(argv); {
		if eq(argv[i], "entriesread") && i+1 < len(argv) {
			n, ok := c.parseEntriesRead(argv[i+1])
			if !ok {
				return
			}
			entriesRead = n
			i += 2
			continue
		}
		c.replyError(rerr.StreamSubcommandSyntax(argv[1], "XGROUP"))
		return
	}
	so, g, ok := c.xgroupTarget(argv, true, true)
	if !ok {
		return
	}
	if len(argv) != 5 && len(argv) != 7 {
		c.replyError(rerr.StreamSubcommandSyntax(argv[1], "XGROUP"))
		return
	}
	var id stream.ID
	if len(argv[4]) == 1 && argv[4][0] == '$' {
		id = so.LastID
	} else if id, ok = c.parseStreamID(argv[4], false, 0); !ok {
		return
	}
	g.LastID, g.EntriesRead = id, entriesRead
	c.dirty()
	c.replyOK()
	c.notify(config.NotifyStream, "xgroup-setid", argv[2])
}

func cmdXGroupDestroy(c *client, argv [][]byte) {
	so, g, ok := c.xgroupTarget(argv, true, false)
	if !ok {
		return
	}
	if len(argv) != 4 {
		c.replyError(rerr.StreamSubcommandSyntax(argv[1], "XGROUP"))
		return
	}
	if g == nil {
		c.replyInt(0)
		return
	}
	so.DestroyGroup(argv[3])
	// Consumers blocked in XREADGROUP on this group get their error.
	c.tx.SignalReady(argv[2])
	c.dirty()
	c.replyInt(1)
	c.notify(config.NotifyStream, "xgroup-destroy", argv[2])
}

func cmdXGroupCreateConsumer(c *client, argv [][]byte) {
	_, g, ok := c.xgroupTarget(argv, true, true)
	if !ok {
		return
	}
	if len(argv) != 5 {
		c.replyError(rerr.StreamSubcommandSyntax(argv[1], "XGROUP"))
		return
	}
	if _, created := g.CreateConsumer(argv[4], c.tx.Now); !created {
		c.replyInt(0)
		return
	}
	c.notify(config.NotifyStream, "xgroup-createconsumer", argv[2])
	c.dirty()
	c.replyInt(1)
}

func cmdXGroupDelConsumer(c *client, argv [][]byte) {
	_, g, ok := c.xgroupTarget(argv, true, true)
	if !ok {
		return
	}
	if len(argv) != 5 {
		c.replyError(rerr.StreamSubcommandSyntax(argv[1], "XGROUP"))
		return
	}
	n := g.DeleteConsumer(argv[4])
	if n < 0 {
		c.replyInt(0)
		return
	}
	c.notify(config.NotifyStream, "xgroup-delconsumer", argv[2])
	c.dirty()
	c.replyInt(int64(n))
}

func cmdXGroupHelp(c *client, argv [][]byte) {
	c.replyHelp("XGROUP",
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.",
	)
}

// --- XSETID ---

// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]
func cmdXSetID(c *client, argv [][]byte) {
	id, ok := c.parseStreamID(argv[2], true, 0)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel stream.ID
	for i := 3; i < len(argv); {
		more := len(argv) - 1 - i
		switch {
		case eq(argv[i], "entriesadded") && more > 0:
			n, ok := c.argInt(argv[i+1])
			if !ok {
				return
			}
			if n < 0 {
				c.replyError(rerr.StreamEntriesAddedNeg)
				return
			}
			entriesAdded = n
			i += 2
		case eq(argv[i], "maxdeletedid") && more > 0:
			m, ok := c.parseStreamID(argv[i+1], true, 0)
			if !ok {
				return
			}
			if id.Less(m) {
				c.replyError(rerr.StreamSetIDBelowArgMaxDel)
				return
			}
			maxDel = m
			i += 2
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	so, ok := c.streamLookup(argv[1], true)
	if !ok {
		return
	}
	if so == nil {
		c.replyError(rerr.NoSuchKey)
		return
	}
	if so.Len() > 0 {
		if last, _ := so.Last(); id.Less(last) {
			c.replyError(rerr.StreamSetIDSmall)
			return
		}
		if entriesAdded != -1 && int64(so.Len()) > entriesAdded {
			c.replyError(rerr.StreamSetIDEntriesAdded)
			return
		}
	}
	so.LastID = id
	if entriesAdded != -1 {
		so.EntriesAdded = entriesAdded
	}
	if !maxDel.IsZero() {
		so.MaxDeleted = maxDel
	}
	c.dirty()
	c.replyOK()
	c.notify(config.NotifyStream, "xsetid", argv[1])
}

// --- XINFO ---

func cmdXInfoHelp(c *client, argv [][]byte) {
	c.replyHelp("XINFO",
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.",
	)
}

// xinfoLookup finds XINFO's stream, replying "no such key" when missing.
func (c *client) xinfoLookup(key []byte) (*streamObj, bool) {
	so, ok := c.streamLookup(key, false)
	if !ok {
		return nil, false
	}
	if so == nil {
		c.replyError(rerr.NoSuchKey)
		return nil, false
	}
	return so, true
}

func (c *client) replyLag(s *stream.Stream, g *stream.Group) {
	if lag, ok := s.Lag(g); ok {
		c.replyInt(lag)
	} else {
		c.replyNull()
	}
}

func (c *client) replyEntriesRead(g *stream.Group) {
	if g.EntriesRead != stream.InvalidEntriesRead {
		c.replyInt(g.EntriesRead)
	} else {
		c.replyNull()
	}
}

// replyEdgeEntry sends the first or last entry, or a null.
func (c *client) replyEdgeEntry(s *stream.Stream, last bool) {
	found := false
	s.Range(stream.ID{}, stream.MaxID(), last, func(id stream.ID, fv [][]byte) bool {
		c.replyStreamEntry(id, fv)
		found = true
		return false
	})
	if !found {
		c.replyNull()
	}
}

// XINFO STREAM key [FULL [COUNT n]]
func cmdXInfoStream(c *client, argv [][]byte) {
	so, ok := c.xinfoLookup(argv[2])
	if !ok {
		return
	}
	full, count := false, int64(10)
	switch rest := argv[3:]; {
	case len(rest) == 0:
	case (len(rest) == 1 || len(rest) == 3) && eq(rest[0], "full"):
		full = true
		if len(rest) == 3 {
			if !eq(rest[1], "count") {
				c.replyError(rerr.StreamSubcommandSyntax(argv[1], "XINFO"))
				return
			}
			n, ok := c.argInt(rest[2])
			if !ok {
				return
			}
			count = max(n, 0)
		}
	default:
		c.replyError(rerr.StreamSubcommandSyntax(argv[1], "XINFO"))
		return
	}
	s := so.Stream
	if full {
		c.replyMapLen(9)
	} else {
		c.replyMapLen(10)
	}
	c.replyBulkString("length")
	c.replyInt(int64(s.Len()))
	c.replyBulkString("radix-tree-keys")
	c.replyInt(int64(s.Blocks()))
	c.replyBulkString("radix-tree-nodes")
	c.replyInt(int64(s.RaxNodes()))
	c.replyBulkString("last-generated-id")
	c.replyStreamID(s.LastID)
	c.replyBulkString("max-deleted-entry-id")
	c.replyStreamID(s.MaxDeleted)
	c.replyBulkString("entries-added")
	c.replyInt(s.EntriesAdded)
	c.replyBulkString("recorded-first-entry-id")
	c.replyStreamID(s.RecordedFirstID())
	if !full {
		c.replyBulkString("groups")
		c.replyInt(int64(s.NumGroups()))
		c.replyBulkString("first-entry")
		c.replyEdgeEntry(s, false)
		c.replyBulkString("last-entry")
		c.replyEdgeEntry(s, true)
		return
	}
	c.replyBulkString("entries")
	c.replyStreamRange(s, stream.ID{}, stream.MaxID(), count, false)
	c.replyBulkString("groups")
	groups := s.Groups()
	c.replyArrayLen(len(groups))
	for _, g := range groups {
		c.replyMapLen(7)
		c.replyBulkString("name")
		c.replyBulkString(g.Name)
		c.replyBulkString("last-delivered-id")
		c.replyStreamID(g.LastID)
		c.replyBulkString("entries-read")
		c.replyEntriesRead(g)
		c.replyBulkString("lag")
		c.replyLag(s, g)
		c.replyBulkString("pel-count")
		c.replyInt(int64(g.PEL.Len()))
		c.replyBulkString("pending")
		at, k := c.deferLen(), 0
		g.PEL.Ascend(stream.ID{}, stream.MaxID(), func(n *stream.NACK) bool {
			if count > 0 && int64(k) >= count {
				return false
			}
			k++
			c.replyArrayLen(4)
			c.replyStreamID(n.ID)
			c.replyBulkString(n.Consumer.Name)
			c.replyInt(n.DeliveryTime)
			c.replyInt(n.DeliveryCount)
			return true
		})
		c.fillArrayLen(at, k)
		c.replyBulkString("consumers")
		cons := g.Consumers()
		c.replyArrayLen(len(cons))
		for _, cn := range cons {
			c.replyMapLen(4)
			c.replyBulkString("name")
			c.replyBulkString(cn.Name)
			c.replyBulkString("seen-time")
			c.replyInt(cn.SeenTime)
			c.replyBulkString("pel-count")
			c.replyInt(int64(cn.PEL.Len()))
			c.replyBulkString("pending")
			at, k := c.deferLen(), 0
			cn.PEL.Ascend(stream.ID{}, stream.MaxID(), func(n *stream.NACK) bool {
				if count > 0 && int64(k) >= count {
					return false
				}
				k++
				c.replyArrayLen(3)
				c.replyStreamID(n.ID)
				c.replyInt(n.DeliveryTime)
				c.replyInt(n.DeliveryCount)
				return true
			})
			c.fillArrayLen(at, k)
		}
	}
}

func cmdXInfoGroups(c *client, argv [][]byte) {
	so, ok := c.xinfoLookup(argv[2])
	if !ok {
		return
	}
	groups := so.Groups()
	c.replyArrayLen(len(groups))
	for _, g := range groups {
		c.replyMapLen(6)
		c.replyBulkString("name")
		c.replyBulkString(g.Name)
		c.replyBulkString("consumers")
		c.replyInt(int64(g.NumConsumers()))
		c.replyBulkString("pending")
		c.replyInt(int64(g.PEL.Len()))
		c.replyBulkString("last-delivered-id")
		c.replyStreamID(g.LastID)
		c.replyBulkString("entries-read")
		c.replyEntriesRead(g)
		c.replyBulkString("lag")
		c.replyLag(so.Stream, g)
	}
}

func cmdXInfoConsumers(c *client, argv [][]byte) {
	so, ok := c.xinfoLookup(argv[2])
	if !ok {
		return
	}
	g := so.Group(argv[3])
	if g == nil {
		c.replyError(rerr.StreamNoGroupName(argv[3], argv[2]))
		return
	}
	cons := g.Consumers()
	c.replyArrayLen(len(cons))
	for _, cn := range cons {
		c.replyMapLen(3)
		c.replyBulkString("name")
		c.replyBulkString(cn.Name)
		c.replyBulkString("pending")
		c.replyInt(int64(cn.PEL.Len()))
		c.replyBulkString("idle")
		c.replyInt(max(c.tx.Now-cn.SeenTime, 0))
	}
}

// msDuration converts a BLOCK timeout in ms (0: forever) for c.block.
func msDuration(ms int64) time.Duration {
	const maxMs = math.MaxInt64 / int64(time.Millisecond)
	if ms > maxMs {
		ms = maxMs
	}
	return time.Duration(ms) * time.Millisecond
}
