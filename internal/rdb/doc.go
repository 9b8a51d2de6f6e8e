// Package rdb owns Redis's RDB file format: the encoder that writes what
// Redis 7.0 writes (RDB version 10: listpack hashes and sorted sets,
// quicklist-2 lists, intset or plain sets, binary-double sorted sets,
// listpack streams with their consumer groups, function libraries, LZF
// compressed strings, the CRC64 trailer) and the decoder that reads every
// encoding Redis wrote from RDB version 1 to 11 (zipmap, ziplist, intset,
// quicklist 1 and 2, listpack, set listpack, streams 1 to 3). It also
// builds and checks DUMP payloads.
//
// It is a pure codec: values are described by Value, independent of how
// the server stores them, and errors name the byte offset where the input
// went wrong. Module values are refused with the module's type name. It
// knows nothing of the server.
package rdb
