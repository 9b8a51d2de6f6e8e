package server

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// Commands of bitmaps: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.
//
// Bitmaps are plain strings: bit 0 is the most significant bit of byte 0.
// Writes grow the string with zero bytes and leave it raw, as Redis's
// "unshare" does before editing a string in place.

func bitmapHandlers() []handler {
	return []handler{
		{name: "setbit", fn: cmdSetBit},
		{name: "getbit", fn: cmdGetBit},
		{name: "bitcount", fn: cmdBitCount},
		{name: "bitpos", fn: cmdBitPos},
		{name: "bitop", fn: cmdBitOp},
		{name: "bitfield", fn: cmdBitField},
		{name: "bitfield_ro", fn: cmdBitFieldRO},
	}
}

// bitOffsetArg parses a bit offset as Redis's getBitOffsetFromArgument: a
// non-negative integer whose byte lies below proto-max-bulk-len; with
// hash (BITFIELD) "#N" means N fields of width bits. ok false: replied.
func (c *client) bitOffsetArg(arg []byte, hash bool, width int) (uint64, bool) {
	usehash := len(arg) > 0 && arg[0] == '#' && hash && width > 0
	s := arg
	if usehash {
		s = arg[1:]
	}
	n, ok := parseInt(s)
	if !ok {
		c.replyError(rerr.BitOffset)
		return 0, false
	}
	if usehash {
		n *= int64(width) // wraps like Redis's; a wrapped value is caught below
	}
	if n < 0 || n>>3 >= c.s.maxBulkLen.Load() {
		c.replyError(rerr.BitOffset)
		return 0, false
	}
	return uint64(n), true
}

// stringForBitWrite returns key's string grown to hold bit maxbit, creating
// it if absent; ok false means it replied WRONGTYPE.
func (c *client) stringForBitWrite(key []byte, maxbit uint64) ([]byte, bool) {
	n := int(maxbit>>3) + 1
	e, found := c.tx.GetW(key)
	if !found {
		c.tx.SetStringEnc(key, nil, keyspace.EncRaw, 0)
	} else if e.Kind() != keyspace.KindString {
		c.replyError(rerr.WrongType)
		return nil, false
	}
	return c.tx.MutableString(key, n), true
}

func cmdSetBit(c *client, argv [][]byte) {
	off, ok := c.bitOffsetArg(argv[2], false, 0)
	if !ok {
		return
	}
	on, ok := parseInt(argv[3])
	if !ok || on&^1 != 0 {
		c.replyError(rerr.BitValue)
		return
	}
	// Redis fires "setbit" only when the bit flipped or the string was
	// created or grew: note the old length, when the event is wanted.
	prevLen := -1
	if c.s.notifyOn(config.NotifyString) {
		if e, found := c.tx.GetW(argv[1]); found && e.Kind() == keyspace.KindString {
			prevLen = len(e.Bytes())
		}
	}
	b, ok := c.stringForBitWrite(argv[1], off)
	if !ok {
		return
	}
	i, mask := off>>3, byte(1)<<(7-off&7)
	old := b[i]&mask != 0
	if on == 1 {
		b[i] |= mask
	} else {
		b[i] &^= mask
	}
	c.dirty()
	if old != (on == 1) || len(b) > prevLen {
		c.notify(config.NotifyString, "setbit", argv[1])
	}
	if old {
		c.replyInt(1)
	} else {
		c.replyInt(0)
	}
}

func cmdGetBit(c *client, argv [][]byte) {
	off, ok := c.bitOffsetArg(argv[2], false, 0)
	if !ok {
		return
	}
	v, _, err := c.tx.GetString(argv[1])
	if err != nil {
		c.replyError(rerr.WrongType)
		return
	}
	if i := off >> 3; i < uint64(len(v)) && v[i]&(1<<(7-off&7)) != 0 {
		c.replyInt(1)
		return
	}
	c.replyInt(0)
}

// popcount counts the set bits of b eight bytes at a time.
func popcount(b []byte) int64 {
	var n int
	for len(b) >= 32 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b)) +
			bits.OnesCount64(binary.LittleEndian.Uint64(b[8:])) +
			bits.OnesCount64(binary.LittleEndian.Uint64(b[16:])) +
			bits.OnesCount64(binary.LittleEndian.Uint64(b[24:]))
		b = b[32:]
	}
	for len(b) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return int64(n)
}

// bitRange resolves BITCOUNT/BITPOS's start and end (negative counts from
// the end, clamped) over totlen units (bytes, or bits when isBit); for
// BIT ranges it returns byte bounds plus masks of the bits outside the
// range in the first and last byte.
func bitRange(start, end, totlen int64, isBit bool) (s, e int64, firstMask, lastMask byte) {
	if start < 0 {
		start += totlen
	}
	if end < 0 {
		end += totlen
	}
	start = max(start, 0)
	end = max(end, 0)
	if end >= totlen {
		end = totlen - 1
	}
	if isBit && start <= end {
		firstMask = ^byte(0xff >> (start & 7))
		lastMask = byte(1<<(7-end&7)) - 1
		start >>= 3
		end >>= 3
	}
	return start, end, firstMask, lastMask
}

// byteOrBit parses the BYTE|BIT unit word; ok false: replied.
func (c *client) byteOrBit(arg []byte) (isBit, ok bool) {
	switch {
	case eq(arg, "bit"):
		return true, true
	case eq(arg, "byte"):
		return false, true
	}
	c.replyError(rerr.Syntax)
	return false, false
}

func cmdBitCount(c *client, argv [][]byte) {
	// A missing key answers 0 before the arguments are looked at, as in
	// Redis 7.0.
	v, found, err := c.tx.GetString(argv[1])
	if err != nil {
		c.replyError(rerr.WrongType)
		return
	}
	if !found {
		c.replyInt(0)
		return
	}
	var start, end int64
	var firstMask, lastMask byte
	switch len(argv) {
	case 2:
		start, end = 0, int64(len(v))-1
	case 4, 5:
		s, ok := c.argInt(argv[2])
		if !ok {
			return
		}
		e, ok := c.argInt(argv[3])
		if !ok {
			return
		}
		isBit := false
		if len(argv) == 5 {
			if isBit, ok = c.byteOrBit(argv[4]); !ok {
				return
			}
		}
		totlen := int64(len(v))
		if isBit {
			totlen <<= 3
		}
		if s < 0 && e < 0 && s > e {
			c.replyInt(0)
			return
		}
		start, end, firstMask, lastMask = bitRange(s, e, totlen, isBit)
	default:
		c.replyError(rerr.Syntax)
		return
	}
	if start > end {
		c.replyInt(0)
		return
	}
	n := popcount(v[start : end+1])
	n -= int64(bits.OnesCount8(v[start] & firstMask))
	n -= int64(bits.OnesCount8(v[end] & lastMask))
	c.replyInt(n)
}

// bitpos finds the first bit equal to bit in b, counted from b's first
// bit. Not found: -1 when looking for a 1, len(b)*8 when looking for a 0
// (the string is thought of as padded with zeros on the right).
func bitpos(b []byte, bit int64) int64 {
	skip := uint64(0)
	if bit == 0 {
		skip = math.MaxUint64
	}
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.BigEndian.Uint64(b[i:]) != skip {
			break
		}
	}
	for ; i < len(b); i++ {
		x := b[i]
		if bit == 0 {
			x = ^x
		}
		if x != 0 {
			return int64(i)*8 + int64(bits.LeadingZeros8(x))
		}
	}
	if bit == 1 {
		return -1
	}
	return int64(len(b)) * 8
}

func cmdBitPos(c *client, argv [][]byte) {
	bit, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.replyError(rerr.BitposBit)
		return
	}
	v, found, err := c.tx.GetString(argv[1])
	if err != nil {
		c.replyError(rerr.WrongType)
		return
	}
	if !found {
		// A missing key is an endless run of zeros.
		if bit == 1 {
			c.replyInt(-1)
		} else {
			c.replyInt(0)
		}
		return
	}
	var start, end int64
	var firstMask, lastMask byte
	endGiven := false
	switch len(argv) {
	case 3:
		start, end = 0, int64(len(v))-1
	case 4, 5, 6:
		s, ok := c.argInt(argv[3])
		if !ok {
			return
		}
		isBit := false
		if len(argv) == 6 {
			if isBit, ok = c.byteOrBit(argv[5]); !ok {
				return
			}
		}
		totlen := int64(len(v))
		e := totlen - 1
		if len(argv) >= 5 {
			if e, ok = c.argInt(argv[4]); !ok {
				return
			}
			endGiven = true
		}
		if isBit {
			totlen <<= 3
		}
		start, end, firstMask, lastMask = bitRange(s, e, totlen, isBit)
	default:
		c.replyError(rerr.Syntax)
		return
	}
	if start > end {
		c.replyInt(-1)
		return
	}
	// Search the masked first byte, the whole bytes, then the masked last
	// byte; pos and bytes describe the stage that answered, which decides
	// whether a clear bit found just past an explicit end counts.
	nbytes := end - start + 1
	var pos int64
	done := false
	if firstMask != 0 {
		t := v[start]
		if bit == 1 {
			t &^= firstMask
		} else {
			t |= firstMask
		}
		if lastMask != 0 && nbytes == 1 {
			if bit == 1 {
				t &^= lastMask
			} else {
				t |= lastMask
			}
		}
		pos = bitpos([]byte{t}, bit)
		if nbytes == 1 || (pos != -1 && pos != 8) {
			done = true
		} else {
			start++
			nbytes--
		}
	}
	if !done {
		cur := nbytes
		if lastMask != 0 {
			cur--
		}
		if cur > 0 {
			pos = bitpos(v[start:start+cur], bit)
			if nbytes == cur || (pos != -1 && pos != cur<<3) {
				done = true
			} else {
				start += cur
				nbytes -= cur
			}
		}
	}
	if !done {
		t := v[end]
		if bit == 1 {
			t &^= lastMask
		} else {
			t |= lastMask
		}
		pos = bitpos([]byte{t}, bit)
	}
	if endGiven && bit == 0 && pos == nbytes<<3 {
		c.replyInt(-1)
		return
	}
	if pos != -1 {
		pos += start << 3
	}
	c.replyInt(pos)
}

func cmdBitOp(c *client, argv [][]byte) {
	const (
		opAnd = iota
		opOr
		opXor
		opNot
	)
	var op int
	switch {
	case eq(argv[1], "and"):
		op = opAnd
	case eq(argv[1], "or"):
		op = opOr
	case eq(argv[1], "xor"):
		op = opXor
	case eq(argv[1], "not"):
		op = opNot
	default:
		c.replyError(rerr.Syntax)
		return
	}
	if op == opNot && len(argv) != 4 {
		c.replyError(rerr.BitopNot)
		return
	}
	srcKeys := argv[3:]
	srcs := make([][]byte, len(srcKeys))
	maxLen := 0
	for i, k := range srcKeys {
		v, _, err := c.tx.GetString(k)
		if err != nil {
			c.replyError(rerr.WrongType)
			return
		}
		srcs[i] = v
		maxLen = max(maxLen, len(v))
	}
	dest := argv[2]
	if maxLen == 0 {
		if c.tx.Delete(dest) {
			c.dirty()
			c.notify(config.NotifyGeneric, "del", dest)
		}
		c.replyInt(0)
		return
	}
	// The sources alias the keyspace, and dest may be one of them: build
	// the result apart, then store it.
	res := make([]byte, maxLen)
	copy(res, srcs[0])
	if op == opNot {
		for j := range res {
			res[j] = ^res[j]
		}
	}
	for _, s := range srcs[1:] {
		switch op {
		case opAnd:
			for j := range res {
				if j < len(s) {
					res[j] &= s[j]
				} else {
					res[j] = 0
				}
			}
		case opOr:
			for j := range s {
				res[j] |= s[j]
			}
		case opXor:
			for j := range s {
				res[j] ^= s[j]
			}
		}
	}
	// Redis stores the result as a fresh raw string without a TTL.
	c.tx.SetStringEnc(dest, res, keyspace.EncRaw, 0)
	c.dirty()
	c.notify(config.NotifyString, "set", dest)
	c.replyInt(int64(maxLen))
}

// BITFIELD overflow behaviours.
const (
	bfWrap = iota
	bfSat
	bfFail
)

// bitfieldOp is one parsed GET/SET/INCRBY of BITFIELD.
type bitfieldOp struct {
	offset uint64
	value  int64
	op     byte // 'g', 's' or 'i'
	ow     int
	bits   int
	signed bool
}

// bitfieldType parses i1..i64 / u1..u63; ok false: replied.
func (c *client) bitfieldType(arg []byte) (signed bool, width int, ok bool) {
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		c.replyError(rerr.BitfieldType)
		return false, 0, false
	}
	signed = arg[0] == 'i'
	digits := arg[1:]
	// The argument is read as a C string: it ends at a NUL byte.
	for i, ch := range digits {
		if ch == 0 {
			digits = digits[:i]
			break
		}
	}
	n, ok := parseInt(digits)
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		c.replyError(rerr.BitfieldType)
		return false, 0, false
	}
	return signed, int(n), true
}

func cmdBitField(c *client, argv [][]byte)   { c.bitfield(argv, false) }
func cmdBitFieldRO(c *client, argv [][]byte) { c.bitfield(argv, true) }

func (c *client) bitfield(argv [][]byte, readOnly bool) {
	var ops []bitfieldOp
	ow := bfWrap
	writes := false
	var highest uint64
	for j := 2; j < len(argv); j++ {
		rem := len(argv) - j - 1
		sub := argv[j]
		var op byte
		switch {
		case eq(sub, "get") && rem >= 2:
			op = 'g'
		case eq(sub, "set") && rem >= 3:
			op = 's'
		case eq(sub, "incrby") && rem >= 3:
			op = 'i'
		case eq(sub, "overflow") && rem >= 1:
			j++
			switch {
			case eq(argv[j], "wrap"):
				ow = bfWrap
			case eq(argv[j], "sat"):
				ow = bfSat
			case eq(argv[j], "fail"):
				ow = bfFail
			default:
				c.replyError(rerr.BitfieldOverflow)
				return
			}
			continue
		default:
			c.replyError(rerr.Syntax)
			return
		}
		signed, width, ok := c.bitfieldType(argv[j+1])
		if !ok {
			return
		}
		off, ok := c.bitOffsetArg(argv[j+2], true, width)
		if !ok {
			return
		}
		var val int64
		if op != 'g' {
			writes = true
			highest = max(highest, off+uint64(width)-1)
			if val, ok = c.argInt(argv[j+3]); !ok {
				return
			}
			j += 3
		} else {
			j += 2
		}
		ops = append(ops, bitfieldOp{offset: off, value: val, op: op, ow: ow, bits: width, signed: signed})
	}
	var b []byte
	if !writes {
		v, _, err := c.tx.GetString(argv[1])
		if err != nil {
			c.replyError(rerr.WrongType)
			return
		}
		b = v
	} else {
		if readOnly {
			c.replyError(rerr.BitfieldRO)
			return
		}
		var ok bool
		if b, ok = c.stringForBitWrite(argv[1], highest); !ok {
			return
		}
	}
	c.replyArrayLen(len(ops))
	changed := false
	applied := false // a write not refused by OVERFLOW FAIL: Redis's event
	for i := range ops {
		op := &ops[i]
		if op.op == 'g' {
			// Reads may pass the end of the string: copy the (up to) nine
			// bytes the field spans into a zero-padded buffer.
			var buf [9]byte
			byt := op.offset >> 3
			if byt < uint64(len(b)) {
				copy(buf[:], b[byt:])
			}
			u := getBits(buf[:], op.offset&7, op.bits)
			if op.signed {
				c.replyInt(signExtend(u, op.bits))
			} else {
				c.replyInt(int64(u))
			}
			continue
		}
		changed = true
		var newVal, ret uint64
		var overflow bool
		old := getBits(b, op.offset, op.bits)
		if op.signed {
			o := signExtend(old, op.bits)
			var nv, wrapped int64
			if op.op == 'i' {
				overflow, wrapped = signedOverflow(o, op.value, op.bits, op.ow)
				nv = o + op.value
				if overflow {
					nv = wrapped
				}
				ret = uint64(nv)
			} else {
				nv = op.value
				overflow, wrapped = signedOverflow(nv, 0, op.bits, op.ow)
				if overflow {
					nv = wrapped
				}
				ret = uint64(o)
			}
			newVal = uint64(nv)
		} else {
			var wrapped uint64
			if op.op == 'i' {
				newVal = old + uint64(op.value)
				overflow, wrapped = unsignedOverflow(old, op.value, op.bits, op.ow)
				if overflow {
					newVal = wrapped
				}
				ret = newVal
			} else {
				newVal = uint64(op.value)
				overflow, wrapped = unsignedOverflow(newVal, 0, op.bits, op.ow)
				if overflow {
					newVal = wrapped
				}
				ret = old
			}
		}
		if overflow && op.ow == bfFail {
			c.replyNull()
			continue
		}
		c.replyInt(int64(ret))
		setBits(b, op.offset, op.bits, newVal)
		applied = true
	}
	if changed {
		c.dirty()
	}
	if applied {
		c.notify(config.NotifyString, "setbit", argv[1])
	}
}

// getBits reads width bits at bit offset off of b, most significant first.
func getBits(b []byte, off uint64, width int) uint64 {
	var v uint64
	for j := uint64(0); j < uint64(width); j++ {
		p := off + j
		v = v<<1 | uint64(b[p>>3]>>(7-p&7)&1)
	}
	return v
}

// setBits writes the low width bits of v at bit offset off of b.
func setBits(b []byte, off uint64, width int, v uint64) {
	for j := 0; j < width; j++ {
		p := off + uint64(j)
		mask := byte(1) << (7 - p&7)
		if v&(1<<uint(width-1-j)) != 0 {
			b[p>>3] |= mask
		} else {
			b[p>>3] &^= mask
		}
	}
}

func signExtend(u uint64, width int) int64 {
	if width < 64 && u&(1<<uint(width-1)) != 0 {
		u |= math.MaxUint64 << uint(width)
	}
	return int64(u)
}

// unsignedOverflow reports whether value+incr leaves [0, 2^width-1] and
// the value to store instead under WRAP (the low bits) or SAT (the bound);
// with FAIL the caller stores nothing.
func unsignedOverflow(value uint64, incr int64, width int, ow int) (bool, uint64) {
	maxv := uint64(1)<<uint(width) - 1
	maxIncr := int64(maxv - value)
	minIncr := -int64(value)
	wrap := func() uint64 { return (value + uint64(incr)) & maxv }
	switch {
	case value > maxv || (incr > 0 && incr > maxIncr):
		if ow == bfWrap {
			return true, wrap()
		}
		return true, maxv
	case incr < 0 && incr < minIncr:
		if ow == bfWrap {
			return true, wrap()
		}
		return true, 0
	}
	return false, 0
}

// signedOverflow is unsignedOverflow for a two's complement field. The
// bound arithmetic wraps as Redis's does (the results are only used when
// value is in range).
func signedOverflow(value, incr int64, width int, ow int) (bool, int64) {
	maxv := int64(math.MaxInt64)
	if width < 64 {
		maxv = int64(1)<<uint(width-1) - 1
	}
	minv := -maxv - 1
	maxIncr := maxv - value
	minIncr := minv - value
	wrap := func() int64 {
		s := uint64(value) + uint64(incr)
		if width < 64 {
			mask := uint64(math.MaxUint64) << uint(width)
			if s&(1<<uint(width-1)) != 0 {
				s |= mask
			} else {
				s &^= mask
			}
		}
		return int64(s)
	}
	switch {
	case value > maxv || (width != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		if ow == bfWrap {
			return true, wrap()
		}
		return true, maxv
	case value < minv || (width != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		if ow == bfWrap {
			return true, wrap()
		}
		return true, minv
	}
	return false, 0
}
