// Package kvtable owns the compact hash table at the heart of Taconite's
// keyspace: one Table per (shard, database) maps binary-safe keys to byte
// strings or opaque objects, each with a caller type tag (Kind), caller
// flag bits, an optional expire time and a caller-managed access clock
// (Table.Access stamped by writes, Entry.SetAccess and Touch).
// It knows nothing of Redis commands and takes no locks: the owner holds
// the shard's lock around every call, except that an owner may let
// several goroutines look keys up and rewrite values in place at once,
// each holding the record it works on through the lock bit of its access
// field (shared.go).
//
// # Why not a Go map
//
// A map[string]*object costs 100-150 bytes per small key and makes the
// garbage collector scan every key and value on every cycle. Taconite must
// hold 1M keys "key:N" with 16-byte values in the memory Redis 7.0 uses
// (about 113 bytes per key of process RSS) and keep GC pauses flat at 10M
// keys. This table uses about 44 bytes of live heap per such key, 40 of them
// for the record and 4 for the bucket (see TestMemoryPerKey), and hands the
// GC a few pointers per 64 KB instead of several per key.
//
// # Layout
//
// Records live in arena pages: 64 KB []byte slabs that contain no pointers,
// so the GC never scans them. A record is a 12-byte header (header bits,
// kind, flags, an 8-bit hash tag, the 4-byte ref of the next record in its
// bucket chain, the 4-byte access clock), then, for keys with a TTL, the
// 8-byte expire time and the 4-byte slot in the volatile index; then the
// key length (uvarint) and key bytes, the value length (uvarint) and value
// bytes, padded to 8 bytes. See record.go for the exact field list.
//
// A record is named by a uint32 ref: page index in the high 19 bits, offset
// in 8-byte units in the low 13, so a table addresses 32 GB of records.
// Ref 0 is "none" (the first 8 bytes of every page are unused).
//
// Keys over 1 KB and values over 4 KB are kept as []byte on the Go heap in a
// slot array (bigs) and the record holds the slot index, so a record always
// fits a page whatever the key length (keys up to 512 MB work). Objects
// (hashes, lists, …) go to a parallel []any slot array. Both have free lists.
// The 4 KB value limit was picked by measurement: inline and heap storage
// cost about the same memory up to there (Go's size classes waste about as
// much as page tails and fragmentation do), inline values are as fast to
// write, and they add no objects for the GC to mark; larger records would
// make page tails and compaction copies costlier. The arrays of slots and of
// volatile refs are chunked (4096 entries a chunk) so that growing them
// never copies an O(n) array in one call.
//
// # Index
//
// A power-of-two array of uint32 bucket heads with chaining through the
// records' next field, like Redis's dict: it grows (doubling) when the key
// count reaches the bucket count and shrinks when under 10% full. Resizing
// is incremental: while it runs there are two bucket arrays, every mutating
// call moves one bucket, and the owner's periodic Rehash(budget) moves more,
// so no call does O(n) work. The 8-bit hash tag in each record avoids most
// key comparisons on collisions. Hashing is hash/maphash with a per-table
// seed.
//
// SCAN uses Redis's reverse-binary cursor over the bucket arrays: because
// the cursor increments its high bits first, the buckets already visited
// at one size map exactly onto buckets visited at any other power-of-two
// size, which gives the guarantee that a key present for the whole scan is
// returned at least once, across resizes in either direction.
//
// # Compaction
//
// Deleting, growing or shrinking a record leaves a dead "filler" in its
// page; each page counts its dead bytes. New records are only appended to
// the current page. A closed page less than 2/3 live is queued, and
// compaction moves its live records to the current page (rehashing each key
// to find and fix the chain link that points to it, and repointing its
// volatile slot), then drops the page. Work is paced by credit: each dead
// byte a mutation creates pays for 3 bytes of compaction, done in slices of
// at most 4 KB per call, so the compactor keeps up with any steady rate of
// deletes and overwrites and no call is slow. A page with no live records
// left is dropped at once. Dropped pages go to the GC, never recycled, so a
// slice of a dead record that a caller still holds stays readable.
//
// # Expire index
//
// Keys with a TTL are listed in a chunked []uint32 of refs; the record
// stores its position, so adding, removing and moving are O(1), and
// SampleVolatile draws distinct random keys for active expiry with a partial
// Fisher-Yates shuffle of that list.
//
// # Aliasing and validity
//
// An Entry is a view of a record, valid until the next mutating call. Its
// Key and Bytes alias table memory. They may be passed back as arguments of
// the next call (e.g. SetBytes(dst, kind, flags, src.Bytes(), exp) for
// RENAME or COPY) because every call consumes its arguments before its
// background work runs. Holding them across a Delete or Set of the same key
// is a bug.
package kvtable
