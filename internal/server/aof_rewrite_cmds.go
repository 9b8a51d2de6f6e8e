package server

import (
	"sort"
	"strconv"

	"github.com/taconite/taconite/internal/rdb"
	"github.com/taconite/taconite/internal/resp"
)

// The AOF base in command form (aof-use-rdb-preamble no): a background
// snapshot whose records are the commands that rebuild each key, in the
// order and batches Redis 7.0's rewrite writes them, so that a base
// written by either server loads into the other.

// snapRecords is how a background snapshot serializes what it captures
// (bgSnapshot.walk and preserve): RDB records or commands.
type snapRecords interface {
	// appendSelect starts the records of database db; keys and expires
	// are the database's sizes (RDB's resize hint).
	appendSelect(b []byte, db, keys, expires int) []byte
	// appendKey appends one key, its value and its expiry (ms, 0: none).
	appendKey(b []byte, key []byte, v *rdb.Value, expireAt int64) []byte
}

// rdbRecords writes RDB records (BGSAVE, AOF base with the preamble).
type rdbRecords struct{ ap *rdb.Appender }

func (r rdbRecords) appendSelect(b []byte, db, keys, expires int) []byte {
	return rdb.AppendSelectDB(b, db, keys, expires)
}

func (r rdbRecords) appendKey(b []byte, key []byte, v *rdb.Value, expireAt int64) []byte {
	return r.ap.AppendKey(b, key, v, expireAt)
}

// aofRewriteItemsPerCmd is how many elements (pairs, for hashes and
// sorted sets) one command of the rewrite carries, as Redis's
// AOF_REWRITE_ITEMS_PER_CMD: big keys become several commands.
const aofRewriteItemsPerCmd = 64

// cmdRecords writes commands in RESP, as the AOF holds them.
type cmdRecords struct{}

// aofBulkUint is resp.AppendBulkInt for the unsigned counters streams
// keep.
func aofBulkUint(b []byte, n uint64) []byte {
	var tmp [20]byte
	return resp.AppendBulk(b, strconv.AppendUint(tmp[:0], n, 10))
}

func aofBulkID(b []byte, id rdb.StreamID) []byte {
	var tmp [41]byte
	p := strconv.AppendUint(tmp[:0], id.Ms, 10)
	p = append(p, '-')
	return resp.AppendBulk(b, strconv.AppendUint(p, id.Seq, 10))
}

// appendFunctionLoad is a function library's record: the base starts
// with them, as in Redis.
func appendFunctionLoad(b []byte, code string) []byte {
	b = resp.AppendArrayLen(b, 3)
	b = resp.AppendBulkString(b, "FUNCTION")
	b = resp.AppendBulkString(b, "LOAD")
	return resp.AppendBulkString(b, code)
}

func (cmdRecords) appendSelect(b []byte, db, _, _ int) []byte {
	b = resp.AppendArrayLen(b, 2)
	b = resp.AppendBulkString(b, "SELECT")
	return resp.AppendBulkInt(b, int64(db))
}

// appendBatches writes n items as commands "name key item..." of at most
// aofRewriteItemsPerCmd items each; item appends item i's arguments
// (width of them).
func appendBatches(b []byte, name string, key []byte, n, width int, item func(b []byte, i int) []byte) []byte {
	for start := 0; start < n; start += aofRewriteItemsPerCmd {
		end := min(start+aofRewriteItemsPerCmd, n)
		b = resp.AppendArrayLen(b, 2+(end-start)*width)
		b = resp.AppendBulkString(b, name)
		b = resp.AppendBulk(b, key)
		for i := start; i < end; i++ {
			b = item(b, i)
		}
	}
	return b
}

func (cmdRecords) appendKey(b []byte, key []byte, v *rdb.Value, expireAt int64) []byte {
	switch v.Kind {
	case rdb.KindString:
		b = resp.AppendArrayLen(b, 3)
		b = resp.AppendBulkString(b, "SET")
		b = resp.AppendBulk(b, key)
		b = resp.AppendBulk(b, v.Str)
	case rdb.KindList:
		b = appendBatches(b, "RPUSH", key, len(v.Elems), 1, func(b []byte, i int) []byte { return resp.AppendBulk(b, v.Elems[i]) })
	case rdb.KindSet:
		if v.Ints != nil {
			b = appendBatches(b, "SADD", key, len(v.Ints), 1, func(b []byte, i int) []byte { return resp.AppendBulkInt(b, v.Ints[i]) })
		} else {
			b = appendBatches(b, "SADD", key, len(v.Elems), 1, func(b []byte, i int) []byte { return resp.AppendBulk(b, v.Elems[i]) })
		}
	case rdb.KindZSet:
		b = appendBatches(b, "ZADD", key, len(v.Elems), 2, func(b []byte, i int) []byte {
			b = resp.AppendBulkString(b, zsetScoreText(v.Scores[i]))
			return resp.AppendBulk(b, v.Elems[i])
		})
	case rdb.KindHash:
		b = appendBatches(b, "HMSET", key, len(v.Elems)/2, 2, func(b []byte, i int) []byte {
			b = resp.AppendBulk(b, v.Elems[2*i])
			return resp.AppendBulk(b, v.Elems[2*i+1])
		})
	case rdb.KindStream:
		b = cmdRecords{}.appendStream(b, key, v.Stream)
	}
	if expireAt != 0 {
		b = resp.AppendArrayLen(b, 3)
		b = resp.AppendBulkString(b, "PEXPIREAT")
		b = resp.AppendBulk(b, key)
		b = resp.AppendBulkInt(b, expireAt)
	}
	return b
}

// appendStream writes a stream as Redis 7.0 does: its entries one XADD
// each (an empty stream: an XADD trimmed away at once), XSETID with the
// metadata, then per group XGROUP CREATE, an XCLAIM per pending entry
// naming its consumer, delivery time and count (XGROUP CREATECONSUMER
// for a consumer without pending entries).
func (cmdRecords) appendStream(b []byte, key []byte, st *rdb.StreamValue) []byte {
	if len(st.Entries) == 0 {
		b = resp.AppendArrayLen(b, 7)
		b = resp.AppendBulkString(b, "XADD")
		b = resp.AppendBulk(b, key)
		b = resp.AppendBulkString(b, "MAXLEN")
		b = resp.AppendBulkString(b, "0")
		b = resp.AppendBulkString(b, "0-1")
		b = resp.AppendBulkString(b, "x")
		b = resp.AppendBulkString(b, "y")
	}
	for _, e := range st.Entries {
		b = resp.AppendArrayLen(b, 3+len(e.Fields))
		b = resp.AppendBulkString(b, "XADD")
		b = resp.AppendBulk(b, key)
		b = aofBulkID(b, e.ID)
		for _, f := range e.Fields {
			b = resp.AppendBulk(b, f)
		}
	}
	b = resp.AppendArrayLen(b, 7)
	b = resp.AppendBulkString(b, "XSETID")
	b = resp.AppendBulk(b, key)
	b = aofBulkID(b, st.LastID)
	b = resp.AppendBulkString(b, "ENTRIESADDED")
	b = aofBulkUint(b, st.EntriesAdded)
	b = resp.AppendBulkString(b, "MAXDELETEDID")
	b = aofBulkID(b, st.MaxDeleted)
	for gi := range st.Groups {
		g := &st.Groups[gi]
		b = resp.AppendArrayLen(b, 7)
		b = resp.AppendBulkString(b, "XGROUP")
		b = resp.AppendBulkString(b, "CREATE")
		b = resp.AppendBulk(b, key)
		b = resp.AppendBulk(b, g.Name)
		b = aofBulkID(b, g.LastID)
		b = resp.AppendBulkString(b, "ENTRIESREAD")
		b = resp.AppendBulkInt(b, g.EntriesRead)
		// Per consumer (in name order): its pending entries, or, when it
		// has none, the consumer alone.
		for _, c := range g.Consumers {
			if len(c.PEL) == 0 {
				b = resp.AppendArrayLen(b, 5)
				b = resp.AppendBulkString(b, "XGROUP")
				b = resp.AppendBulkString(b, "CREATECONSUMER")
				b = resp.AppendBulk(b, key)
				b = resp.AppendBulk(b, g.Name)
				b = resp.AppendBulk(b, c.Name)
				continue
			}
			for _, id := range c.PEL {
				// The group's PEL is in ID order and holds every
				// consumer's entries with their delivery data.
				j := sort.Search(len(g.PEL), func(j int) bool { return !rdbIDLess(g.PEL[j].ID, id) })
				var n rdb.StreamNACK
				if j < len(g.PEL) && g.PEL[j].ID == id {
					n = g.PEL[j]
				}
				b = resp.AppendArrayLen(b, 12)
				b = resp.AppendBulkString(b, "XCLAIM")
				b = resp.AppendBulk(b, key)
				b = resp.AppendBulk(b, g.Name)
				b = resp.AppendBulk(b, c.Name)
				b = resp.AppendBulkString(b, "0")
				b = aofBulkID(b, id)
				b = resp.AppendBulkString(b, "TIME")
				b = resp.AppendBulkInt(b, n.DeliveryTime)
				b = resp.AppendBulkString(b, "RETRYCOUNT")
				b = aofBulkUint(b, n.DeliveryCount)
				b = resp.AppendBulkString(b, "JUSTID")
				b = resp.AppendBulkString(b, "FORCE")
			}
		}
	}
	return b
}

func rdbIDLess(a, b rdb.StreamID) bool { return a.Ms < b.Ms || a.Ms == b.Ms && a.Seq < b.Seq }
