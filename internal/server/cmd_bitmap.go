package server

// Commands of bitmaps: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.

func bitmapHandlers() []handler { return nil }
