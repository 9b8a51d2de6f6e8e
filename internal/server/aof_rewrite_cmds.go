package server

import (
	"sort"
	"strconv"

	"github.com/taconite/taconite/internal/rdb"
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

func aofArrayLen(b []byte, n int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func aofBulk(b, p []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(p)), 10)
	b = append(b, '\r', '\n')
	b = append(b, p...)
	return append(b, '\r', '\n')
}

func aofBulkString(b []byte, s string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

func aofBulkInt(b []byte, n int64) []byte {
	var tmp [20]byte
	return aofBulk(b, strconv.AppendInt(tmp[:0], n, 10))
}

func aofBulkUint(b []byte, n uint64) []byte {
	var tmp [20]byte
	return aofBulk(b, strconv.AppendUint(tmp[:0], n, 10))
}

func aofBulkID(b []byte, id rdb.StreamID) []byte {
	var tmp [41]byte
	p := strconv.AppendUint(tmp[:0], id.Ms, 10)
	p = append(p, '-')
	return aofBulk(b, strconv.AppendUint(p, id.Seq, 10))
}

// appendFunctionLoad is a function library's record: the base starts
// with them, as in Redis.
func appendFunctionLoad(b []byte, code string) []byte {
	b = aofArrayLen(b, 3)
	b = aofBulkString(b, "FUNCTION")
	b = aofBulkString(b, "LOAD")
	return aofBulkString(b, code)
}

func (cmdRecords) appendSelect(b []byte, db, _, _ int) []byte {
	b = aofArrayLen(b, 2)
	b = aofBulkString(b, "SELECT")
	return aofBulkInt(b, int64(db))
}

// appendBatches writes n items as commands "name key item..." of at most
// aofRewriteItemsPerCmd items each; item appends item i's arguments
// (width of them).
func appendBatches(b []byte, name string, key []byte, n, width int, item func(b []byte, i int) []byte) []byte {
	for start := 0; start < n; start += aofRewriteItemsPerCmd {
		end := min(start+aofRewriteItemsPerCmd, n)
		b = aofArrayLen(b, 2+(end-start)*width)
		b = aofBulkString(b, name)
		b = aofBulk(b, key)
		for i := start; i < end; i++ {
			b = item(b, i)
		}
	}
	return b
}

func (cmdRecords) appendKey(b []byte, key []byte, v *rdb.Value, expireAt int64) []byte {
	switch v.Kind {
	case rdb.KindString:
		b = aofArrayLen(b, 3)
		b = aofBulkString(b, "SET")
		b = aofBulk(b, key)
		b = aofBulk(b, v.Str)
	case rdb.KindList:
		b = appendBatches(b, "RPUSH", key, len(v.Elems), 1, func(b []byte, i int) []byte { return aofBulk(b, v.Elems[i]) })
	case rdb.KindSet:
		if v.Ints != nil {
			b = appendBatches(b, "SADD", key, len(v.Ints), 1, func(b []byte, i int) []byte { return aofBulkInt(b, v.Ints[i]) })
		} else {
			b = appendBatches(b, "SADD", key, len(v.Elems), 1, func(b []byte, i int) []byte { return aofBulk(b, v.Elems[i]) })
		}
	case rdb.KindZSet:
		b = appendBatches(b, "ZADD", key, len(v.Elems), 2, func(b []byte, i int) []byte {
			b = aofBulkString(b, zsetScoreText(v.Scores[i]))
			return aofBulk(b, v.Elems[i])
		})
	case rdb.KindHash:
		b = appendBatches(b, "HMSET", key, len(v.Elems)/2, 2, func(b []byte, i int) []byte {
			b = aofBulk(b, v.Elems[2*i])
			return aofBulk(b, v.Elems[2*i+1])
		})
	case rdb.KindStream:
		b = cmdRecords{}.appendStream(b, key, v.Stream)
	}
	if expireAt != 0 {
		b = aofArrayLen(b, 3)
		b = aofBulkString(b, "PEXPIREAT")
		b = aofBulk(b, key)
		b = aofBulkInt(b, expireAt)
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
		b = aofArrayLen(b, 7)
		b = aofBulkString(b, "XADD")
		b = aofBulk(b, key)
		b = aofBulkString(b, "MAXLEN")
		b = aofBulkString(b, "0")
		b = aofBulkString(b, "0-1")
		b = aofBulkString(b, "x")
		b = aofBulkString(b, "y")
	}
	for _, e := range st.Entries {
		b = aofArrayLen(b, 3+len(e.Fields))
		b = aofBulkString(b, "XADD")
		b = aofBulk(b, key)
		b = aofBulkID(b, e.ID)
		for _, f := range e.Fields {
			b = aofBulk(b, f)
		}
	}
	b = aofArrayLen(b, 7)
	b = aofBulkString(b, "XSETID")
	b = aofBulk(b, key)
	b = aofBulkID(b, st.LastID)
	b = aofBulkString(b, "ENTRIESADDED")
	b = aofBulkUint(b, st.EntriesAdded)
	b = aofBulkString(b, "MAXDELETEDID")
	b = aofBulkID(b, st.MaxDeleted)
	for gi := range st.Groups {
		g := &st.Groups[gi]
		b = aofArrayLen(b, 7)
		b = aofBulkString(b, "XGROUP")
		b = aofBulkString(b, "CREATE")
		b = aofBulk(b, key)
		b = aofBulk(b, g.Name)
		b = aofBulkID(b, g.LastID)
		b = aofBulkString(b, "ENTRIESREAD")
		b = aofBulkInt(b, g.EntriesRead)
		// Per consumer (in name order): its pending entries, or, when it
		// has none, the consumer alone.
		for _, c := range g.Consumers {
			if len(c.PEL) == 0 {
				b = aofArrayLen(b, 5)
				b = aofBulkString(b, "XGROUP")
				b = aofBulkString(b, "CREATECONSUMER")
				b = aofBulk(b, key)
				b = aofBulk(b, g.Name)
				b = aofBulk(b, c.Name)
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
				b = aofArrayLen(b, 12)
				b = aofBulkString(b, "XCLAIM")
				b = aofBulk(b, key)
				b = aofBulk(b, g.Name)
				b = aofBulk(b, c.Name)
				b = aofBulkString(b, "0")
				b = aofBulkID(b, id)
				b = aofBulkString(b, "TIME")
				b = aofBulkInt(b, n.DeliveryTime)
				b = aofBulkString(b, "RETRYCOUNT")
				b = aofBulkUint(b, n.DeliveryCount)
				b = aofBulkString(b, "JUSTID")
				b = aofBulkString(b, "FORCE")
			}
		}
	}
	return b
}

func rdbIDLess(a, b rdb.StreamID) bool { return a.Ms < b.Ms || a.Ms == b.Ms && a.Seq < b.Seq }
