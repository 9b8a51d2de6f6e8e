package keyspace

import "bytes"

// crcTables[0] is CRC16-CCITT (XModem), polynomial 0x1021, the checksum
// Redis Cluster hashes keys with: the register after one byte x. Table k
// is what byte x contributes when k more bytes follow it, so that CRC16
// can fold eight bytes with eight independent lookups instead of a chain
// of eight dependent ones. Built once at init and never written after.
var crcTables = func() (t [8][256]uint16) {
	for i := range t[0] {
		c := uint16(i) << 8
		for j := 0; j < 8; j++ {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < len(t); k++ {
		for i := range t[k] {
			// one more zero byte through the register
			c := t[k-1][i]
			t[k][i] = c<<8 ^ t[0][byte(c>>8)]
		}
	}
	return
}()

// CRC16 is the XModem CRC16 of b.
func CRC16(b []byte) uint16 {
	var crc uint16
	t := &crcTables
	for len(b) >= 8 {
		crc = t[7][byte(crc>>8)^b[0]] ^ t[6][byte(crc)^b[1]] ^
			t[5][b[2]] ^ t[4][b[3]] ^ t[3][b[4]] ^ t[2][b[5]] ^ t[1][b[6]] ^ t[0][b[7]]
		b = b[8:]
	}
	for _, c := range b {
		crc = crc<<8 ^ t[0][byte(crc>>8)^c]
	}
	return crc
}

// NumSlots is the number of Redis Cluster hash slots.
const NumSlots = 16384

// Slot returns the cluster hash slot of key, honouring hash tags: if the key
// has a '{' followed later by a '}' with at least one byte between them,
// only those bytes are hashed.
func Slot(key []byte) int {
	if i := bytes.IndexByte(key, '{'); i >= 0 {
		if j := bytes.IndexByte(key[i+1:], '}'); j > 0 {
			return int(CRC16(key[i+1:i+1+j]) & (NumSlots - 1))
		}
	}
	return int(CRC16(key) & (NumSlots - 1))
}
