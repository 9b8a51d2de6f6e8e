package keyspace

import "github.com/taconite/taconite/internal/ds/kvtable"

// Snapshots without fork (the server's BGSAVE and AOF rewrite): the
// capture bit of every record (kvtable/snapshot.go) is flipped at the
// snapshot's instant, the saver walks each table capturing what it writes,
// and a writer captures a record's old value before changing it.

// BeginSnapshot makes every record of every table uncaptured. The caller
// holds every shard: this is the snapshot's instant.
func (ks *Keyspace) BeginSnapshot() {
	on := !ks.shards[0].tables[0].SnapBit()
	for i := range ks.shards {
		for _, t := range ks.shards[i].tables {
			t.SetSnapBit(on)
		}
	}
}

// SnapTable is shard i's table of database db. The caller holds shard i.
func (ks *Keyspace) SnapTable(i, db int) *kvtable.Table { return ks.shards[i].tables[db] }

// SnapEntry finds key in database db for a writer about to change it:
// the raw record, expired or not, without touching its access clock. The
// key's shard must be locked by the Tx.
func (t *Tx) SnapEntry(db int, key []byte) (kvtable.Entry, bool) {
	_, tb := t.table(db, key)
	return tb.Get(key)
}
