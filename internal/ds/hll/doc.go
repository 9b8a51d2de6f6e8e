// Package hll owns the HyperLogLog representation Taconite stores in string
// values: the 16-byte "HYLL" header with its cached cardinality, the sparse
// (ZERO/XZERO/VAL run-length opcodes) and dense (16384 packed 6-bit
// registers) encodings, the MurmurHash64A-based mapping of an element to a
// register and run length, and the cardinality estimator. The bytes it
// produces are the same bytes Redis 7.0 produces for the same operations, so
// that GET, DUMP-like copies and replicas see identical values.
//
// Everything here is pure: functions take and return byte slices and never
// keep them. Every decoder tolerates arbitrary bytes behind a valid header
// and reports corruption instead of panicking.
package hll
