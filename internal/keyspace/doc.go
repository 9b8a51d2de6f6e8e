// Package keyspace owns Taconite's data: the databases, split into shards by
// Redis Cluster hash slot, each shard with its own mutex; key expiry (lazy on
// every access, and active sampling driven by the server's cron); and the
// string encodings Redis reports (int, embstr, raw).
//
// Locking: a command locks the shards of all its keys, in ascending shard
// order, with Keyspace.Lock, runs, then calls Unlock. Everything a command
// does to the data goes through a Tx, which knows the locked set and panics
// on access to a shard it does not hold: a wrong key specification in the
// command table shows up as a test failure, not as a data race. Commands
// that see the whole keyspace (KEYS, SCAN, FLUSHALL, SWAPDB, …) lock every
// shard. Shard locks are the innermost locks of the server: while holding
// them a caller may take no other lock except those documented in
// docs/locking.md as nested inside them (none today).
//
// Shared mode (shared.go): a command on one key that only reads it or
// rewrites its value in place may instead take the key's shard shared,
// for its lane (one per event loop), with LockShared, BeginShared, the
// Tx's Shared methods and UnlockShared; it then locks only the record.
// Exclusive holders wait for shared ones to leave, and shared takers
// that find an exclusive holder or waiter fall back to Lock.
//
// Values live in kvtable.Tables (one per shard and database): strings as
// bytes in pointer-free arenas, other types as objects.
//
// For maxmemory the keyspace counts the bytes its tables hold (DataBytes,
// kept current write by write while SetAccounting is on) and chooses and
// deletes keys as Redis's eviction policies do (EvictOne, evict.go); the
// server decides when, from its used_memory figure.
package keyspace
