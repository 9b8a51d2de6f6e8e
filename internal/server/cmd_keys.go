package server

import (
	"strconv"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/glob"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// Generic key commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX KEYS SCAN
// RANDOMKEY COPY TOUCH MOVE, and the database commands SELECT SWAPDB
// DBSIZE FLUSHDB FLUSHALL.

// keyspaceKeep tells a set to keep the key's current expire time.
const keyspaceKeep = kvtable.KeepExpire

// Cloner is implemented by object values COPY can duplicate.
type Cloner interface{ Clone() any }

func cmdDel(c *client, argv [][]byte) {
	n := 0
	for _, k := range argv[1:] {
		if c.tx.Delete(k) {
			n++
			c.notify(config.NotifyGeneric, "del", k)
		}
	}
	if n > 0 {
		c.dirty()
	}
	c.replyInt(int64(n))
}

func cmdExists(c *client, argv [][]byte) {
	n := 0
	for _, k := range argv[1:] {
		if _, ok := c.tx.Get(k); ok {
			n++
		}
	}
	c.replyInt(int64(n))
}

func cmdTouch(c *client, argv [][]byte) {
	n := 0
	for _, k := range argv[1:] {
		// The lookup itself stamps the key's access clock.
		if _, ok := c.tx.Get(k); ok {
			n++
		}
	}
	c.replyInt(int64(n))
}

func cmdType(c *client, argv [][]byte) {
	e, ok := c.tx.Get(argv[1])
	c.replyType(e, ok)
}

// cmdTypeShared is TYPE in shared mode (execShared).
func cmdTypeShared(c *client, argv [][]byte) bool {
	e, ok, retry := c.tx.GetShared(argv[1])
	if retry {
		return false
	}
	c.replyType(e, ok)
	return true
}

func (c *client) replyType(e kvtable.Entry, ok bool) {
	if !ok {
		c.replyStatus("none")
		return
	}
	c.replyStatus(keyspace.TypeName(e.Kind()))
}

// cmdExistsShared is EXISTS of one key in shared mode (execShared).
func cmdExistsShared(c *client, argv [][]byte) bool {
	if len(argv) != 2 {
		return false
	}
	_, ok, retry := c.tx.GetShared(argv[1])
	if retry {
		return false
	}
	if ok {
		c.replyInt(1)
	} else {
		c.replyInt(0)
	}
	return true
}

// moveValue copies the value of src's entry to dst in database db, with
// the given expire time. Byte values are copied out first: they alias the
// table that is about to be written.
func (c *client) moveValue(e kvtable.Entry, db int, dst []byte, expire int64, clone bool) {
	if obj := e.Obj(); obj != nil {
		if clone {
			if cl, ok := obj.(Cloner); ok {
				obj = cl.Clone()
			}
		}
		c.tx.SetObjIn(db, dst, e.Kind(), e.Flags(), obj, expire)
		return
	}
	c.scratch = append(c.scratch[:0], e.Bytes()...)
	c.tx.SetBytesIn(db, dst, e.Kind(), e.Flags(), c.scratch, expire)
}

func cmdRename(c *client, argv [][]byte)   { c.rename(argv, false) }
func cmdRenameNX(c *client, argv [][]byte) { c.rename(argv, true) }

func (c *client) rename(argv [][]byte, nx bool) {
	src, dst := argv[1], argv[2]
	e, ok := c.tx.GetW(src)
	if !ok {
		c.replyError(rerr.NoSuchKey)
		return
	}
	if string(src) == string(dst) {
		if nx {
			c.replyInt(0)
		} else {
			c.replyOK()
		}
		return
	}
	if nx && c.tx.Exists(dst) {
		c.replyInt(0)
		return
	}
	c.tx.Delete(dst)
	e, _ = c.tx.GetW(src)
	c.moveValue(e, c.db, dst, e.ExpireAt(), false)
	c.tx.Delete(src)
	c.dirty()
	c.notify(config.NotifyGeneric, "rename_from", src)
	c.notify(config.NotifyGeneric, "rename_to", dst)
	if nx {
		c.replyInt(1)
	} else {
		c.replyOK()
	}
}

func cmdKeys(c *client, argv [][]byte) {
	pat := argv[1]
	all := len(pat) == 1 && pat[0] == '*'
	var keys [][]byte
	c.tx.Range(func(e kvtable.Entry) bool {
		if all || glob.Match(pat, e.Key()) {
			keys = append(keys, append([]byte(nil), e.Key()...))
		}
		return true
	})
	c.replyArrayLen(len(keys))
	for _, k := range keys {
		c.replyBulk(k)
	}
}

// parseCursor parses a SCAN cursor as Redis's strtoul-based parser:
// decimal, an optional sign (a '-' wraps around as in C), nothing else.
func parseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	neg := false
	s := b
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	v, err := strconv.ParseUint(string(s), 10, 64)
	if err != nil || len(s) == 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// scanOptions are SCAN's MATCH, COUNT and TYPE.
type scanOptions struct {
	pattern []byte
	count   int
	typ     []byte
}

func (c *client) parseScanOptions(argv [][]byte, from int, allowType bool) (scanOptions, bool) {
	o := scanOptions{count: 10}
	for i := from; i < len(argv); {
		more := len(argv) - i - 1
		switch {
		case eq(argv[i], "count") && more >= 1:
			n, ok := c.argInt(argv[i+1])
			if !ok {
				return o, false
			}
			if n < 1 {
				c.replyError(rerr.Syntax)
				return o, false
			}
			o.count = int(min(n, 1<<30))
			i += 2
		case eq(argv[i], "match") && more >= 1:
			o.pattern = argv[i+1]
			if len(o.pattern) == 1 && o.pattern[0] == '*' {
				o.pattern = nil
			}
			i += 2
		case allowType && eq(argv[i], "type") && more >= 1:
			o.typ = argv[i+1]
			i += 2
		default:
			c.replyError(rerr.Syntax)
			return o, false
		}
	}
	return o, true
}

func cmdScan(c *client, argv [][]byte) {
	cursor, ok := parseCursor(argv[1])
	if !ok {
		c.replyError(rerr.InvalidCursor)
		return
	}
	o, ok := c.parseScanOptions(argv, 2, true)
	if !ok {
		return
	}
	var keys [][]byte
	next := c.tx.Scan(cursor, o.count, func(e kvtable.Entry) {
		if o.pattern != nil && !glob.Match(o.pattern, e.Key()) {
			return
		}
		if o.typ != nil && !eq(o.typ, keyspace.TypeName(e.Kind())) {
			return
		}
		keys = append(keys, append([]byte(nil), e.Key()...))
	})
	c.replyArrayLen(2)
	c.replyBulkString(strconv.FormatUint(next, 10))
	c.replyArrayLen(len(keys))
	for _, k := range keys {
		c.replyBulk(k)
	}
}

func cmdRandomKey(c *client, argv [][]byte) {
	k := c.tx.RandomKey(c.s.randN)
	if k == nil {
		c.replyNull()
		return
	}
	c.replyBulk(k)
}

// argDB parses a database index argument; on error it has replied.
func (c *client) argDB(b []byte) (int, bool) {
	n, ok := parseInt(b)
	if !ok || n < -1<<31 || n > 1<<31-1 {
		c.replyError(rerr.NotInt)
		return 0, false
	}
	if n < 0 || n >= int64(c.s.ks.Databases()) {
		c.replyError(rerr.DBIndex)
		return 0, false
	}
	return int(n), true
}

func cmdCopy(c *client, argv [][]byte) {
	src, dst := argv[1], argv[2]
	db := c.db
	replace := false
	for j := 3; j < len(argv); j++ {
		switch {
		case eq(argv[j], "replace"):
			replace = true
		case eq(argv[j], "db") && j+1 < len(argv):
			n, ok := c.argDB(argv[j+1])
			if !ok {
				return
			}
			db = n
			j++
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	if db == c.db && string(src) == string(dst) {
		c.replyError(rerr.SameObject)
		return
	}
	e, ok := c.tx.Get(src) // a read lookup, as Redis: a miss fires "keymiss"
	if !ok {
		c.replyInt(0)
		return
	}
	if _, exists := c.tx.GetIn(db, dst); exists {
		if !replace {
			c.replyInt(0)
			return
		}
		c.tx.DeleteIn(db, dst)
		e, _ = c.tx.GetW(src)
	}
	c.moveValue(e, db, dst, e.ExpireAt(), true)
	c.dirty()
	c.s.notify(config.NotifyGeneric, "copy_to", dst, db)
	c.replyInt(1)
}

func cmdMove(c *client, argv [][]byte) {
	key := argv[1]
	db, ok := c.argDB(argv[2])
	if !ok {
		return
	}
	if db == c.db {
		c.replyError(rerr.SameObject)
		return
	}
	e, found := c.tx.GetW(key)
	if !found {
		c.replyInt(0)
		return
	}
	if _, exists := c.tx.GetIn(db, key); exists {
		c.replyInt(0)
		return
	}
	c.moveValue(e, db, key, e.ExpireAt(), false)
	c.tx.Delete(key)
	c.dirty()
	c.notify(config.NotifyGeneric, "move_from", key)
	c.s.notify(config.NotifyGeneric, "move_to", key, db)
	c.replyInt(1)
}

func cmdSelect(c *client, argv [][]byte) {
	db, ok := c.argDB(argv[1])
	if !ok {
		return
	}
	c.db = db
	c.dbShared.Store(int32(db))
	c.replyOK()
}

func cmdSwapDB(c *client, argv [][]byte) {
	a, ok1 := parseInt(argv[1])
	if !ok1 || a < -1<<31 || a > 1<<31-1 {
		c.replyError("ERR invalid first DB index")
		return
	}
	b, ok2 := parseInt(argv[2])
	if !ok2 || b < -1<<31 || b > 1<<31-1 {
		c.replyError("ERR invalid second DB index")
		return
	}
	n := int64(c.s.ks.Databases())
	if a < 0 || a >= n || b < 0 || b >= n {
		c.replyError(rerr.DBIndex)
		return
	}
	if a != b {
		c.s.touchWatchedDB(c, int(a), int(b))
		c.s.touchWatchedDB(c, int(b), int(a))
		c.tx.SwapDB(int(a), int(b))
		c.dirty()
	}
	c.replyOK()
}

func cmdDBSize(c *client, argv [][]byte) { c.replyInt(int64(c.tx.DBSize())) }

// parseFlushMode accepts FLUSHDB/FLUSHALL's optional ASYNC or SYNC.
func (c *client) parseFlushMode(argv [][]byte) bool {
	if len(argv) > 2 || (len(argv) == 2 && !eq(argv[1], "async") && !eq(argv[1], "sync")) {
		c.replyError(rerr.Syntax)
		return false
	}
	return true
}

func cmdFlushDB(c *client, argv [][]byte) {
	if !c.parseFlushMode(argv) {
		return
	}
	c.s.touchWatchedDB(c, c.db, -1)
	c.s.invalidateAll()
	c.tx.FlushDB(c.db)
	c.dirty()
	c.replyOK()
}

func cmdFlushAll(c *client, argv [][]byte) {
	if !c.parseFlushMode(argv) {
		return
	}
	c.s.invalidateAll()
	for db := 0; db < c.s.ks.Databases(); db++ {
		c.s.touchWatchedDB(c, db, -1)
		c.tx.FlushDB(db)
	}
	c.dirty()
	c.replyOK()
}
