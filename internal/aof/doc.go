// Package aof owns the append-only file in Redis 7.0's multi-part form: a
// manifest naming a base file and incremental files in an append-only
// directory, the log that commands are appended to (buffered, written by
// the event loops before they reply, synced as appendfsync says), and the
// replay of those files at startup, including a command torn by a crash
// at the end of the last file.
//
// It knows nothing of the keyspace: the server hands it commands to append
// and a function to run the commands it replays.
package aof
