package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// The compact encodings are stored as one RDB string each; these parse
// them. Their errors are relative to the blob; the decoder adds its
// offset.

func fmtInt(v int64) []byte { return strconv.AppendInt(nil, v, 10) }

var errBlob = errors.New("corrupt")

// intArena hands out the decimal texts of a blob's integers from a few
// allocations instead of one each.
type intArena struct{ buf []byte }

func (a *intArena) fmt(v int64) []byte {
	if cap(a.buf)-len(a.buf) < 20 {
		// Small chunks: the server may keep these bytes as long as the
		// value lives, so a big chunk would pin unused memory.
		a.buf = make([]byte, 0, 48)
	}
	start := len(a.buf)
	a.buf = strconv.AppendInt(a.buf, v, 10)
	return a.buf[start:len(a.buf):len(a.buf)]
}

// parseListpack returns the elements of a listpack.
func parseListpack(b []byte) ([][]byte, error) {
	var ar intArena
	return parseListpackTo(b, nil, &ar)
}

// parseListpackTo is parseListpack appending to out when it has room for
// the elements the header announces, and formatting integers with ar.
func parseListpackTo(b []byte, out [][]byte, ar *intArena) ([][]byte, error) {
	if len(b) < lpHeader+1 {
		return nil, errors.New("listpack shorter than its header")
	}
	if int(binary.LittleEndian.Uint32(b)) != len(b) {
		return nil, errors.New("listpack total bytes do not match its length")
	}
	if b[len(b)-1] != 0xFF {
		return nil, errors.New("listpack lacks its terminator")
	}
	hint := int(binary.LittleEndian.Uint16(b[4:]))
	if hint != 65535 && cap(out)-len(out) < hint {
		out = make([][]byte, 0, min(hint, len(b)))
	}
	p := lpHeader
	for {
		if p >= len(b) {
			return nil, errors.New("listpack entry runs past its end")
		}
		c := b[p]
		if c == 0xFF {
			if p != len(b)-1 {
				return nil, errors.New("listpack terminator before its end")
			}
			break
		}
		var v []byte
		var n int // bytes of encoding + data
		need := func(k int) bool { return p+k <= len(b)-1 }
		switch {
		case c&0x80 == 0:
			v, n = ar.fmt(int64(c)), 1
		case c&0xC0 == 0x80:
			l := int(c & 0x3f)
			if !need(1 + l) {
				return nil, errBlob
			}
			v, n = b[p+1:p+1+l], 1+l
		case c&0xE0 == 0xC0:
			if !need(2) {
				return nil, errBlob
			}
			u := int64(c&0x1f)<<8 | int64(b[p+1])
			if u >= 1<<12 {
				u -= 1 << 13
			}
			v, n = ar.fmt(u), 2
		case c&0xF0 == 0xE0:
			if !need(2) {
				return nil, errBlob
			}
			l := int(c&0x0f)<<8 | int(b[p+1])
			if !need(2 + l) {
				return nil, errBlob
			}
			v, n = b[p+2:p+2+l], 2+l
		case c == 0xF0:
			if !need(5) {
				return nil, errBlob
			}
			l := int(binary.LittleEndian.Uint32(b[p+1:]))
			if l < 0 || !need(5+l) {
				return nil, errBlob
			}
			v, n = b[p+5:p+5+l], 5+l
		case c == 0xF1:
			if !need(3) {
				return nil, errBlob
			}
			v, n = ar.fmt(int64(int16(binary.LittleEndian.Uint16(b[p+1:])))), 3
		case c == 0xF2:
			if !need(4) {
				return nil, errBlob
			}
			u := int32(uint32(b[p+1])|uint32(b[p+2])<<8|uint32(b[p+3])<<16) << 8 >> 8
			v, n = ar.fmt(int64(u)), 4
		case c == 0xF3:
			if !need(5) {
				return nil, errBlob
			}
			v, n = ar.fmt(int64(int32(binary.LittleEndian.Uint32(b[p+1:])))), 5
		case c == 0xF4:
			if !need(9) {
				return nil, errBlob
			}
			v, n = ar.fmt(int64(binary.LittleEndian.Uint64(b[p+1:]))), 9
		default:
			return nil, fmt.Errorf("listpack entry with unknown encoding 0x%02x", c)
		}
		bl := lpBacklenSize(n)
		if !need(n + bl) {
			return nil, errBlob
		}
		out = append(out, v)
		p += n + bl
	}
	if hint != 65535 && hint != len(out) {
		return nil, errors.New("listpack element count does not match its header")
	}
	return out, nil
}

// parseZiplist returns the elements of a ziplist (RDB versions before 10).
func parseZiplist(b []byte) ([][]byte, error) {
	if len(b) < 11 {
		return nil, errors.New("ziplist shorter than its header")
	}
	if int(binary.LittleEndian.Uint32(b)) != len(b) {
		return nil, errors.New("ziplist total bytes do not match its length")
	}
	if b[len(b)-1] != 0xFF {
		return nil, errors.New("ziplist lacks its terminator")
	}
	var out [][]byte
	p := 10
	for {
		if p >= len(b) {
			return nil, errBlob
		}
		if b[p] == 0xFF {
			if p != len(b)-1 {
				return nil, errors.New("ziplist terminator before its end")
			}
			break
		}
		if b[p] == 0xFE {
			p += 5
		} else {
			p++
		}
		if p >= len(b)-1 {
			return nil, errBlob
		}
		c := b[p]
		need := func(k int) bool { return p+k <= len(b)-1 }
		var v []byte
		var n int
		switch {
		case c>>6 == 0:
			l := int(c & 0x3f)
			if !need(1 + l) {
				return nil, errBlob
			}
			v, n = b[p+1:p+1+l], 1+l
		case c>>6 == 1:
			if !need(2) {
				return nil, errBlob
			}
			l := int(c&0x3f)<<8 | int(b[p+1])
			if !need(2 + l) {
				return nil, errBlob
			}
			v, n = b[p+2:p+2+l], 2+l
		case c == 0x80:
			if !need(5) {
				return nil, errBlob
			}
			l := int(binary.BigEndian.Uint32(b[p+1:]))
			if l < 0 || !need(5+l) {
				return nil, errBlob
			}
			v, n = b[p+5:p+5+l], 5+l
		case c == 0xC0:
			if !need(3) {
				return nil, errBlob
			}
			v, n = fmtInt(int64(int16(binary.LittleEndian.Uint16(b[p+1:])))), 3
		case c == 0xD0:
			if !need(5) {
				return nil, errBlob
			}
			v, n = fmtInt(int64(int32(binary.LittleEndian.Uint32(b[p+1:])))), 5
		case c == 0xE0:
			if !need(9) {
				return nil, errBlob
			}
			v, n = fmtInt(int64(binary.LittleEndian.Uint64(b[p+1:]))), 9
		case c == 0xF0:
			if !need(4) {
				return nil, errBlob
			}
			u := int32(uint32(b[p+1])|uint32(b[p+2])<<8|uint32(b[p+3])<<16) << 8 >> 8
			v, n = fmtInt(int64(u)), 4
		case c == 0xFE:
			if !need(2) {
				return nil, errBlob
			}
			v, n = fmtInt(int64(int8(b[p+1]))), 2
		case c >= 0xF1 && c <= 0xFD:
			v, n = fmtInt(int64(c&0x0f)-1), 1
		default:
			return nil, fmt.Errorf("ziplist entry with unknown encoding 0x%02x", c)
		}
		out = append(out, v)
		p += n
	}
	return out, nil
}

// parseIntset returns an intset's members.
func parseIntset(b []byte) ([]int64, error) { return parseIntsetTo(b, nil) }

// parseIntsetTo is parseIntset into out when it has room for the members.
func parseIntsetTo(b []byte, out []int64) ([]int64, error) {
	if len(b) < 8 {
		return nil, errors.New("intset shorter than its header")
	}
	w := int(binary.LittleEndian.Uint32(b))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if w != 2 && w != 4 && w != 8 {
		return nil, fmt.Errorf("intset with width %d", w)
	}
	if n < 0 || len(b) != 8+w*n {
		return nil, errors.New("intset length does not match its count")
	}
	if cap(out) < n {
		out = make([]int64, n)
	}
	out = out[:n]
	for i := range out {
		q := b[8+w*i:]
		switch w {
		case 2:
			out[i] = int64(int16(binary.LittleEndian.Uint16(q)))
		case 4:
			out[i] = int64(int32(binary.LittleEndian.Uint32(q)))
		default:
			out[i] = int64(binary.LittleEndian.Uint64(q))
		}
		if i > 0 && out[i] <= out[i-1] {
			return nil, errors.New("intset members not ascending")
		}
	}
	return out, nil
}

// parseZipmap returns a zipmap's field, value pairs (RDB before 4).
func parseZipmap(b []byte) ([][]byte, error) {
	if len(b) < 2 {
		return nil, errBlob
	}
	p := 1
	var out [][]byte
	readLen := func() (int, bool) {
		if p >= len(b) {
			return 0, false
		}
		c := b[p]
		if c < 254 {
			p++
			return int(c), true
		}
		if c == 254 && p+5 <= len(b) {
			l := int(binary.LittleEndian.Uint32(b[p+1:]))
			p += 5
			return l, l >= 0
		}
		return 0, false
	}
	for {
		if p >= len(b) {
			return nil, errors.New("zipmap lacks its terminator")
		}
		if b[p] == 0xFF {
			if p != len(b)-1 {
				return nil, errors.New("zipmap terminator before its end")
			}
			return out, nil
		}
		kl, ok := readLen()
		if !ok || p+kl > len(b) {
			return nil, errBlob
		}
		k := b[p : p+kl]
		p += kl
		vl, ok := readLen()
		if !ok || p+1 > len(b) {
			return nil, errBlob
		}
		free := int(b[p])
		p++
		if p+vl+free > len(b) {
			return nil, errBlob
		}
		out = append(out, k, b[p:p+vl])
		p += vl + free
	}
}
