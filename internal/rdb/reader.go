package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Error is a decoding failure at a byte offset of the input.
type Error struct {
	Offset int64
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("rdb: at byte offset %d: %s", e.Offset, e.Msg) }

// errTruncated marks input that ended early.
var errTruncated = errors.New("unexpected end of input (truncated file?)")

// reader is a buffered reader that knows its offset and checksums what
// it consumes.
type reader struct {
	r        io.Reader
	buf      []byte
	pos, end int
	off      int64 // offset of buf[0] in the input
	crc      uint64
	crcFrom  int // buf[crcFrom:pos] is consumed but not yet checksummed
	doCRC    bool
	eof      bool
	scratch  *Scratch // see Decoder.SetScratch
	lzfIn    []byte   // compressed bytes of the string being read
}

func newReader(r io.Reader) *reader {
	return &reader{r: r, buf: make([]byte, 64<<10), doCRC: true}
}

// offset is the position of the next byte to read.
func (r *reader) offset() int64 { return r.off + int64(r.pos) }

func (r *reader) fail(format string, args ...any) error {
	return &Error{Offset: r.offset(), Msg: fmt.Sprintf(format, args...)}
}

// fill makes at least n bytes (n <= len(buf)) available.
func (r *reader) fill(n int) error {
	if r.end-r.pos >= n {
		return nil
	}
	if r.doCRC {
		r.crc = CRC64(r.crc, r.buf[r.crcFrom:r.pos])
	}
	copy(r.buf, r.buf[r.pos:r.end])
	r.off += int64(r.pos)
	r.end -= r.pos
	r.pos, r.crcFrom = 0, 0
	for r.end < n {
		if r.eof {
			return &Error{Offset: r.off + int64(r.end), Msg: errTruncated.Error()}
		}
		m, err := r.r.Read(r.buf[r.end:])
		r.end += m
		if err == io.EOF {
			r.eof = true
		} else if err != nil {
			return err
		}
	}
	return nil
}

// checksum is the CRC of everything consumed so far.
func (r *reader) checksum() uint64 {
	r.crc = CRC64(r.crc, r.buf[r.crcFrom:r.pos])
	r.crcFrom = r.pos
	return r.crc
}

func (r *reader) byte() (byte, error) {
	if r.pos >= r.end {
		if err := r.fill(1); err != nil {
			return 0, err
		}
	}
	c := r.buf[r.pos]
	r.pos++
	return c, nil
}

// peek returns the next n (small) bytes without consuming them.
func (r *reader) next(n int) ([]byte, error) {
	if err := r.fill(n); err != nil {
		return nil, err
	}
	p := r.buf[r.pos : r.pos+n]
	r.pos += n
	return p, nil
}

// bytes reads n bytes into a new slice. Big lengths are read in chunks,
// so a corrupt length fails at the end of the input instead of
// allocating what it claims.
func (r *reader) bytes(n uint64) ([]byte, error) { return r.bytesRoom(n, 0, false) }

// bytesRoom is bytes with room for extra more bytes after the n (in the
// slice's capacity), or in scratch room when tmp and there is some.
func (r *reader) bytesRoom(n uint64, extra int, tmp bool) ([]byte, error) {
	const chunk = 1 << 20
	if n <= chunk {
		out := r.alloc(int(n), extra, tmp)
		return out, r.readInto(out)
	}
	var out []byte
	for left := n; left > 0; {
		k := min(left, chunk)
		start := len(out)
		out = append(out, make([]byte, k)...)
		if err := r.readInto(out[start:]); err != nil {
			return nil, err
		}
		left -= k
	}
	return out, nil
}

// alloc returns n bytes for a string: scratch room when tmp and there is
// some, otherwise fresh, with room for extra more.
func (r *reader) alloc(n, extra int, tmp bool) []byte {
	if tmp && r.scratch != nil {
		return r.take(n)
	}
	return make([]byte, n, n+extra)
}

func (r *reader) readInto(dst []byte) error {
	for len(dst) > 0 {
		if r.pos == r.end {
			if err := r.fill(1); err != nil {
				return err
			}
		}
		k := copy(dst, r.buf[r.pos:r.end])
		r.pos += k
		dst = dst[k:]
	}
	return nil
}

// length reads an RDB length. enc is true for the special string
// encodings (integers, LZF), whose kind is returned in n.
func (r *reader) length() (n uint64, enc bool, err error) {
	c, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), false, nil
	case 1:
		d, err := r.byte()
		return uint64(c&0x3f)<<8 | uint64(d), false, err
	case 2:
		switch c {
		case 0x80:
			p, err := r.next(4)
			if err != nil {
				return 0, false, err
			}
			return uint64(binary.BigEndian.Uint32(p)), false, nil
		case 0x81:
			p, err := r.next(8)
			if err != nil {
				return 0, false, err
			}
			return binary.BigEndian.Uint64(p), false, nil
		}
		r.pos--
		return 0, false, r.fail("unknown length encoding 0x%02x", c)
	}
	return uint64(c & 0x3f), true, nil
}

// plainLen reads a length that may not be a special encoding.
func (r *reader) plainLen() (uint64, error) {
	at := r.offset()
	n, enc, err := r.length()
	if err == nil && enc {
		return 0, &Error{Offset: at, Msg: "a string encoding where a length was expected"}
	}
	return n, err
}

// count reads an element count and checks it against the input left when
// that is known, so no count makes the loader allocate absurdly.
func (r *reader) count(what string) (int, error) {
	at := r.offset()
	n, err := r.plainLen()
	if err != nil {
		return 0, err
	}
	if n > 1<<40 {
		return 0, &Error{Offset: at, Msg: fmt.Sprintf("%s count %d is not plausible", what, n)}
	}
	return int(n), nil
}

// string reads an RDB string in any of its encodings.
func (r *reader) string() ([]byte, error) { return r.readString(0, false) }

// stringRoom is string with room for extra more bytes in the capacity of
// an uncompressed or LZF string.
func (r *reader) stringRoom(extra int) ([]byte, error) { return r.readString(extra, false) }

// tmpString reads a string into scratch room when there is some (see
// Decoder.SetScratch), and like string otherwise.
func (r *reader) tmpString() ([]byte, error) { return r.readString(0, true) }

func (r *reader) readString(extra int, tmp bool) ([]byte, error) {
	at := r.offset()
	n, enc, err := r.length()
	if err != nil {
		return nil, err
	}
	if !enc {
		return r.bytesRoom(n, extra, tmp)
	}
	var iv int64
	switch n {
	case encInt8:
		c, err := r.byte()
		if err != nil {
			return nil, err
		}
		iv = int64(int8(c))
	case encInt16:
		p, err := r.next(2)
		if err != nil {
			return nil, err
		}
		iv = int64(int16(binary.LittleEndian.Uint16(p)))
	case encInt32:
		p, err := r.next(4)
		if err != nil {
			return nil, err
		}
		iv = int64(int32(binary.LittleEndian.Uint32(p)))
	case encLZF:
		clen, err := r.plainLen()
		if err != nil {
			return nil, err
		}
		ulen, err := r.plainLen()
		if err != nil {
			return nil, err
		}
		// An LZF back reference of 3 bytes expands to at most 264: a
		// larger claimed length is corrupt (and must not be allocated).
		if ulen > 1<<32 || clen > ulen+ulen/16+64 || ulen > clen*90+64 {
			return nil, &Error{Offset: at, Msg: fmt.Sprintf("implausible LZF lengths %d/%d", clen, ulen)}
		}
		var c []byte
		if clen <= 1<<20 {
			// The compressed bytes are only read here: one buffer
			// serves every string.
			if uint64(cap(r.lzfIn)) < clen {
				r.lzfIn = make([]byte, max(clen, 1<<10))
			}
			c = r.lzfIn[:clen]
			err = r.readInto(c)
		} else {
			c, err = r.bytes(clen)
		}
		if err != nil {
			return nil, err
		}
		out, err := lzfDecompress(r.alloc(int(ulen), extra, tmp)[:0], c, int(ulen))
		if err != nil {
			return nil, &Error{Offset: at, Msg: "invalid LZF compressed string"}
		}
		return out, nil
	default:
		return nil, &Error{Offset: at, Msg: fmt.Sprintf("unknown string encoding %d", n)}
	}
	if !tmp || r.scratch == nil {
		return fmtInt(iv), nil
	}
	var buf [20]byte
	t := strconv.AppendInt(buf[:0], iv, 10)
	out := r.take(len(t))
	copy(out, t)
	return out, nil
}
