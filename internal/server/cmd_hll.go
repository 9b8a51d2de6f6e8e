package server

import (
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/hll"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// Commands of HyperLogLog: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.
//
// A HyperLogLog is a string value in Redis's own format (internal/ds/hll),
// so GET, SET, APPEND and friends see the very bytes Redis would have.

func hllHandlers() []handler {
	return []handler{
		{name: "pfadd", fn: cmdPFAdd},
		{name: "pfcount", fn: cmdPFCount},
		// The key specs name no key for "PFMERGE dest" alone (COMMAND
		// GETKEYS refuses it, as in Redis), yet the command runs and
		// writes dest: only locking every shard covers that form.
		{name: "pfmerge", fn: cmdPFMerge, lockAll: true},
		{name: "pfdebug", fn: cmdPFDebug},
		{name: "pfselftest", fn: cmdPFSelfTest},
	}
}

// hllForWrite returns key's HLL as a raw string the caller may edit in
// place (until its next keyspace write), or nil when the key is absent.
// ok false: it replied an error.
func (c *client) hllForWrite(key []byte) (b []byte, ok bool) {
	e, found := c.tx.GetW(key)
	if !found {
		return nil, true
	}
	if e.Kind() != keyspace.KindString {
		c.replyError(rerr.WrongType)
		return nil, false
	}
	if !hll.Valid(e.Bytes()) {
		c.replyError(rerr.HLLWrongType)
		return nil, false
	}
	// Redis unshares the value before touching it: it becomes raw even
	// when nothing changes. A dense value already raw is edited where it
	// is (it is never inline: 12 KB), sparing two lookups per PFADD.
	if b := e.Bytes(); e.Flags() == keyspace.EncRaw && hll.IsDense(b) {
		return b, true
	}
	return c.tx.MutableString(key, 0), true
}

// hllForRead returns key's HLL for reading (nil when absent); ok false:
// it replied an error.
func (c *client) hllForRead(key []byte) (b []byte, ok bool) {
	v, found, err := c.tx.GetString(key)
	if err != nil {
		c.replyError(rerr.WrongType)
		return nil, false
	}
	if found && !hll.Valid(v) {
		c.replyError(rerr.HLLWrongType)
		return nil, false
	}
	return v, true
}

// sparseMax is hll-sparse-max-bytes, clamped to what an int holds.
func (c *client) sparseMax() int {
	return int(c.s.hllSparseMax.Load()) // loadHotConfig keeps it current
}

// storeHLL writes a re-encoded value back, keeping the key's TTL. An
// in-place edit (same backing array) needs no write.
func (c *client) storeHLL(key, orig, b []byte) {
	if len(orig) == len(b) && len(b) > 0 && &orig[0] == &b[0] {
		return
	}
	c.tx.SetStringEnc(key, b, keyspace.EncRaw, keyspaceKeep)
}

func cmdPFAdd(c *client, argv [][]byte) {
	key := argv[1]
	cur, ok := c.hllForWrite(key)
	if !ok {
		return
	}
	updated := false
	var b []byte
	if cur == nil {
		b, updated = hll.New(), true
	} else if hll.IsDense(cur) {
		b = cur // same length whatever happens: edit in place
	} else {
		b = append(make([]byte, 0, len(cur)+16), cur...)
	}
	max := 0 // only a sparse value needs the limit (a config read)
	if !hll.IsDense(b) {
		max = c.sparseMax()
	}
	for _, el := range argv[2:] {
		nb, changed, err := hll.Add(b, el, max)
		b = nb
		if err != nil {
			// Redis keeps what was done before the corruption showed.
			if cur != nil {
				c.storeHLL(key, cur, b)
			}
			c.replyError(rerr.HLLCorrupt)
			return
		}
		updated = updated || changed
	}
	if !updated {
		c.replyInt(0)
		return
	}
	hll.Invalidate(b)
	if cur == nil {
		c.tx.SetStringEnc(key, b, keyspace.EncRaw, 0)
	} else {
		c.storeHLL(key, cur, b)
	}
	c.dirty()
	c.notify(config.NotifyString, "pfadd", key)
	c.replyInt(1)
}

func cmdPFCount(c *client, argv [][]byte) {
	if len(argv) == 2 {
		c.pfcountOne(argv[1])
		return
	}
	// Several keys: count the union of their registers, changing nothing.
	var u hll.Union
	for _, k := range argv[1:] {
		b, ok := c.hllForRead(k)
		if !ok {
			return
		}
		if b == nil {
			continue
		}
		if u.Merge(b) != nil {
			c.replyError(rerr.HLLCorrupt)
			return
		}
	}
	c.replyInt(int64(u.Count()))
}

// pfcountOne answers from the cached cardinality, computing and caching
// it when stale (a write, as in Redis).
func (c *client) pfcountOne(key []byte) {
	// Redis looks the key up for reading first (a miss is counted and
	// fires "keymiss"), then writes the cache back.
	e, found := c.tx.Get(key)
	if !found {
		c.replyInt(0)
		return
	}
	// The common case, a raw HLL with a current cache, needs no more
	// lookups.
	if e.Kind() == keyspace.KindString && e.Flags() == keyspace.EncRaw {
		if b := e.Bytes(); hll.Valid(b) {
			if n, ok := hll.CachedCount(b); ok {
				c.replyInt(int64(n))
				return
			}
		}
	}
	b, ok := c.hllForWrite(key)
	if !ok {
		return
	}
	if b == nil {
		c.replyInt(0)
		return
	}
	if n, ok := hll.CachedCount(b); ok {
		c.replyInt(int64(n))
		return
	}
	n, err := hll.Count(b)
	if err != nil {
		c.replyError(rerr.HLLCorrupt)
		return
	}
	hll.SetCachedCount(b, n)
	c.dirty()
	c.replyInt(int64(n))
}

func cmdPFMerge(c *client, argv [][]byte) {
	var u hll.Union
	dense := false
	for _, k := range argv[1:] {
		b, ok := c.hllForRead(k)
		if !ok {
			return
		}
		if b == nil {
			continue
		}
		dense = dense || hll.IsDense(b)
		if u.Merge(b) != nil {
			c.replyError(rerr.HLLCorrupt)
			return
		}
	}
	key := argv[1]
	cur, ok := c.hllForWrite(key)
	if !ok {
		return
	}
	var b []byte
	if cur == nil {
		b = hll.New()
	} else {
		b = append(make([]byte, 0, len(cur)+16), cur...)
	}
	if dense {
		d, err := hll.ToDense(b)
		if err != nil {
			c.replyError(rerr.HLLCorrupt)
			return
		}
		b = d
	}
	max := c.sparseMax()
	for i, v := range u {
		if v == 0 {
			continue
		}
		// Errors cannot happen here: the value was just merged (or
		// converted) without one.
		b, _, _ = hll.Set(b, i, v, max)
	}
	hll.Invalidate(b)
	c.tx.SetStringEnc(key, b, keyspace.EncRaw, keyspaceKeep)
	c.dirty()
	// Redis announces a merge as "pfadd".
	c.notify(config.NotifyString, "pfadd", key)
	c.replyOK()
}

func cmdPFDebug(c *client, argv [][]byte) {
	sub, key := argv[1], argv[2]
	e, found := c.tx.GetW(key)
	if !found {
		c.replyError(rerr.PFDebugNoKey)
		return
	}
	if e.Kind() != keyspace.KindString {
		c.replyError(rerr.WrongType)
		return
	}
	if !hll.Valid(e.Bytes()) {
		c.replyError(rerr.HLLWrongType)
		return
	}
	b := c.tx.MutableString(key, 0)
	switch {
	case eq(sub, "getreg"):
		regs, err := hll.RegisterValues(b)
		if err != nil {
			c.replyError(rerr.HLLCorrupt)
			return
		}
		if !hll.IsDense(b) {
			// GETREG leaves the value dense, as in Redis.
			d, _ := hll.ToDense(b)
			c.tx.SetStringEnc(key, d, keyspace.EncRaw, keyspaceKeep)
			c.dirty()
		}
		c.replyArrayLen(len(regs))
		for _, r := range regs {
			c.replyInt(int64(r))
		}
	case eq(sub, "decode"):
		if hll.IsDense(b) {
			c.replyError(rerr.PFDebugNotSparse)
			return
		}
		c.replyBulkString(hll.Decode(b))
	case eq(sub, "encoding"):
		if hll.IsDense(b) {
			c.replyStatus("dense")
		} else {
			c.replyStatus("sparse")
		}
	case eq(sub, "todense"):
		if hll.IsDense(b) {
			c.replyInt(0)
			return
		}
		d, err := hll.ToDense(b)
		if err != nil {
			c.replyError(rerr.HLLCorrupt)
			return
		}
		c.tx.SetStringEnc(key, d, keyspace.EncRaw, keyspaceKeep)
		c.dirty()
		c.replyInt(1)
	default:
		c.replyError(rerr.PFDebugUnknown(string(sub)))
	}
}

// cmdPFSelfTest checks the register packing and the sparse encoding
// against each other on a pseudo-random workload before answering OK.
func cmdPFSelfTest(c *client, argv [][]byte) {
	if err := hll.SelfTest(); err != nil {
		c.replyError("ERR " + err.Error())
		return
	}
	c.replyOK()
}
