// Package script owns Taconite's Lua environment, the one Redis 7.0 gives
// EVAL and FCALL: a sandboxed Lua 5.1 state (github.com/yuin/gopher-lua)
// with the redis, cjson, cmsgpack, bit and struct libraries, read-only
// globals, the conversions between Lua values and RESP2/RESP3 replies, the
// script cache keyed by SHA1, and function libraries (FUNCTION LOAD).
//
// It knows nothing of the network or the keyspace: the server hands each
// run a Host, through which redis.call reaches the command table and which
// answers with the raw RESP reply of the command. States are reused: the
// server keeps one per event loop (a loop runs one command at a time), and
// scripts are compiled once into a shared prototype that every state turns
// into a function on first use.
package script
