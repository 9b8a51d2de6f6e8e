package rdb

import "hash/crc64"

// Redis checksums RDB files and DUMP payloads with the Jones CRC-64
// (reflected polynomial 0xad93d23594c935a9, initial value 0, no final
// xor). Go's crc64 inverts the value before and after, so inverting around
// its Update yields the raw Jones CRC, with Go's fast sliced tables.
var jonesTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// CRC64 extends crc (0 to start) over p, as Redis's crc64().
func CRC64(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, jonesTable, p)
}
