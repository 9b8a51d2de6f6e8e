// Package resp owns Taconite's wire codec: the Redis Serialization Protocol
// (RESP2 and RESP3) as spoken by Redis 7.0.
//
// It has three parts:
//
//   - Parser, the server-side request parser. It accepts both multibulk
//     ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline ("GET k\r\n") requests and
//     reproduces Redis 7.0's acceptance rules and protocol error messages byte
//     for byte, because clients and test suites observe them. It is resumable
//     and allocation-free in steady state since it sits on the hot path of
//     every connection.
//   - The Append* reply encoders, strconv-style functions that append one
//     reply element to a []byte. Those whose encoding differs between RESP2
//     and RESP3 take the connection's protocol version (2 or 3) and produce
//     exactly what Redis 7.0 produces for it.
//   - A reply reader (ReadRawReply, ReadReply, Value) and request encoder
//     (AppendCommand) for the client side: tests, the golden-test recorder
//     and client tools. These favour strictness and clarity over speed.
//
// The package imports nothing from Taconite; everything that knows about
// commands, connections or configuration lives above it.
package resp
