package server

import (
	"bytes"
	"strconv"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rdb"
	"github.com/taconite/taconite/internal/rerr"
)

// persistHandlers are the RDB commands. SAVE and BGSAVE lock every
// shard: SAVE to write one point in time, BGSAVE so that starting a
// background save and SAVE's check for one cannot interleave (a SAVE
// waiting for a background save that waits for SAVE's shards would
// deadlock).
func persistHandlers() []handler {
	return []handler{
		{name: "save", fn: cmdSave, lockAll: true},
		{name: "bgsave", fn: cmdBGSave, lockAll: true},
		{name: "lastsave", fn: cmdLastSave},
		{name: "dump", fn: cmdDump},
		{name: "restore", fn: cmdRestore},
		// Enough of replication for redis-cli --rdb: the snapshot is sent
		// as a bulk without its trailing CRLF, and the connection closes.
		{name: "sync", fn: cmdSync, lockAll: true},
		{name: "replconf", fn: cmdReplconf},
	}
}

func cmdReplconf(c *client, argv [][]byte) { c.replyOK() }

// cmdSync sends a point-in-time snapshot, serialized while every shard is
// held, as a replica's initial transfer.
func cmdSync(c *client, argv [][]byte) {
	var buf bytes.Buffer
	if err := c.s.snapshotTo(&buf, &c.tx, true); err != nil {
		c.replyError(rerr.SaveFailed)
		return
	}
	c.replyRaw([]byte("$" + strconv.Itoa(buf.Len()) + "\r\n"))
	c.replyRaw(buf.Bytes())
	c.closeAfter = true
}

func cmdSave(c *client, argv [][]byte) {
	if c.s.persist.bgInProgress.Load() {
		c.replyError(rerr.BGSaveInProgress)
		return
	}
	if err := c.s.saveRDB(&c.tx, true); err != nil {
		c.replyError(rerr.SaveFailed)
		return
	}
	c.replyOK()
}

func cmdBGSave(c *client, argv [][]byte) {
	schedule := false
	if len(argv) > 1 {
		if len(argv) != 2 || !eq(argv[1], "schedule") {
			c.replyError(rerr.Syntax)
			return
		}
		schedule = true
	}
	if c.s.persist.bgInProgress.Load() {
		if c.s.aofrw.inProgress.Load() && !schedule {
			c.replyError(rerr.BGSaveBusyAOF)
			return
		}
		if schedule {
			c.s.persist.scheduled.Store(true)
			c.replyStatus("Background saving scheduled")
			return
		}
		c.replyError(rerr.BGSaveInProgress)
		return
	}
	c.s.startBGSave()
	c.replyStatus("Background saving started")
}

func cmdLastSave(c *client, argv [][]byte) { c.replyInt(c.s.persist.lastSave.Load()) }

func cmdDump(c *client, argv [][]byte) {
	e, ok := c.tx.Get(argv[1])
	if !ok {
		c.replyNull()
		return
	}
	var v rdb.Value
	if !rdbValue(e, &v) {
		c.replyError("ERR DUMP of this type is not supported yet")
		return
	}
	c.replyBulk(rdb.DumpPayload(&v, c.s.rdbOptions()))
}

// cmdRestore is RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s]
// [FREQ f], checking in Redis's order: options, existing key, TTL,
// payload footer, payload body.
func cmdRestore(c *client, argv [][]byte) {
	key := argv[1]
	replace, absTTL := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(argv); j++ {
		more := len(argv) - j - 1
		switch {
		case eq(argv[j], "replace"):
			replace = true
		case eq(argv[j], "absttl"):
			absTTL = true
		case eq(argv[j], "idletime") && more >= 1 && freq == -1:
			n, ok := c.argInt(argv[j+1])
			if !ok {
				return
			}
			if n < 0 {
				c.replyError(rerr.BadIdleTime)
				return
			}
			idle = n
			j++
		case eq(argv[j], "freq") && more >= 1 && idle == -1:
			n, ok := c.argInt(argv[j+1])
			if !ok {
				return
			}
			if n < 0 || n > 255 {
				c.replyError(rerr.BadFreq)
				return
			}
			freq = n
			j++
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	exists := c.tx.Exists(key)
	if !replace && exists {
		c.replyError(rerr.BusyKey)
		return
	}
	ttl, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	if ttl < 0 {
		c.replyError(rerr.BadTTL)
		return
	}
	v, ok, err := rdb.DecodeDump(argv[3])
	if !ok {
		c.replyError(rerr.DumpPayload)
		return
	}
	if err != nil {
		c.replyError(rerr.BadDataFormat)
		return
	}
	kind, obj, str, err := objectFromRDB(&v, c.s.objLimits())
	if err != nil {
		c.replyError(rerr.BadDataFormat)
		return
	}
	if ttl > 0 && !absTTL {
		ttl += c.tx.Now
	}
	if exists {
		c.tx.Delete(key)
	}
	if ttl > 0 && ttl <= c.tx.Now {
		// Already expired: the key is gone (replaced by nothing), and
		// that is a deletion.
		if exists {
			c.notify(config.NotifyGeneric, "del", key)
			c.dirty()
		}
		c.replyOK()
		return
	}
	switch {
	case obj == nil && kind == keyspace.KindString:
		c.tx.SetStringEnc(key, str, keyspace.StringEncoding(str), ttl)
	case obj == nil:
		c.tx.SetBytesIn(c.tx.DB, key, kind, 0, str, ttl)
	default:
		c.tx.SetObj(key, kind, obj, ttl)
	}
	if acc, ok := c.s.ks.RestoredAccess(idle, freq, c.tx.Now); ok {
		if e, found := c.tx.GetW(key); found {
			e.SetAccess(acc)
		}
	}
	c.notify(config.NotifyGeneric, "restore", key)
	c.dirty()
	c.replyOK()
}

// debugReload is DEBUG RELOAD: save, empty the keyspace, load the file
// back. The gate holds every shard (DEBUG is lockAll).
func (c *client) debugReload() {
	s := c.s
	if s.persist.bgInProgress.Load() {
		c.replyError(rerr.BGSaveInProgress)
		return
	}
	if err := s.saveRDB(&c.tx, true); err != nil {
		c.replyError(rerr.ReloadSaveFailed)
		return
	}
	for db := 0; db < s.ks.Databases(); db++ {
		c.tx.FlushDB(db)
	}
	t0 := time.Now()
	keys, err := s.loadRDBFile(&c.tx, s.rdbPath())
	if err != nil {
		s.log.Warningf("DEBUG RELOAD: %v", err)
		c.replyError(rerr.ReloadLoadFailed)
		return
	}
	s.log.Noticef("DB reloaded by DEBUG RELOAD: %d keys in %.3f seconds", keys, time.Since(t0).Seconds())
	c.replyOK()
}
