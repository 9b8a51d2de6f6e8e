// Package server is Taconite's network front and command execution: it
// accepts connections, reads pipelined requests with internal/resp, passes
// each through one gate (lookup, arity, auth, key locking; see call.go) and
// runs the handler, one file per command family (cmd_string.go, cmd_keys.go,
// …), each handler reading as: parse arguments, operate, reply.
//
// Goroutines and locks: one goroutine per connection reads, executes and
// writes its own replies (one write per batch of pipelined commands). The
// data is guarded by the keyspace shard locks, taken by the gate in
// ascending order around each command. Server-wide state (client registry,
// slowlog, stats) has its own small locks, never held while taking a shard
// lock. docs/locking.md has the full order.
package server
