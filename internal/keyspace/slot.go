package keyspace

// crcTable is CRC16-CCITT (XModem), polynomial 0x1021, the checksum Redis
// Cluster hashes keys with. Built once at init and never written after.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for j := 0; j < 8; j++ {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return
}()

// CRC16 is the XModem CRC16 of b.
func CRC16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^c]
	}
	return crc
}

// NumSlots is the number of Redis Cluster hash slots.
const NumSlots = 16384

// Slot returns the cluster hash slot of key, honouring hash tags: if the key
// has a '{' followed later by a '}' with at least one byte between them,
// only those bytes are hashed.
func Slot(key []byte) int {
	for i, c := range key {
		if c == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j == i+1 {
						return int(CRC16(key) & (NumSlots - 1))
					}
					return int(CRC16(key[i+1:j]) & (NumSlots - 1))
				}
			}
			break
		}
	}
	return int(CRC16(key) & (NumSlots - 1))
}
