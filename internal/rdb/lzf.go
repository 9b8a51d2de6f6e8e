package rdb

import "errors"

// LZF as Redis's bundled liblzf 3.6 writes it (HLOG 16, VERY_FAST), so
// that compressed strings in DUMP payloads and RDB files are byte for byte
// the ones redis-server produces.
const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = (1 << 8) + (1 << 3)
)

func lzfIdx(h uint32) uint32 {
	return ((h >> (3*8 - lzfHLog)) - h*5) & (lzfHSize - 1)
}

// lzfCompress appends the compression of in to out and returns it, or nil
// when the result would exceed maxOut bytes (the caller then stores the
// string uncompressed). The bound checks mirror liblzf's, including its
// conservative ones, since they decide whether Redis compresses at all.
func lzfCompress(in []byte, maxOut int, t *lzfTable) []byte {
	n := len(in)
	if n < 3 || maxOut == 0 {
		return nil
	}
	t.reset()
	htab := t
	// The output buffer is the table's, reused: the caller copies the
	// result before the next call, and a snapshot compresses millions of
	// values without leaving each one's buffer to the garbage collector.
	if cap(t.out) < maxOut {
		t.out = make([]byte, maxOut)
	}
	out := t.out[:maxOut]
	op := 1 // byte 0 is the first literal run's header
	lit := 0
	ip := 0
	h := uint32(in[0])<<8 | uint32(in[1])
	for ip < n-2 {
		h = h<<8 | uint32(in[ip+2])
		slot := lzfIdx(h)
		ref := htab.get(slot)
		htab.set(slot, ip)
		if ref > 0 && ref < ip && ip-ref-1 < lzfMaxOff && in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			off := ip - ref - 1
			length := 2
			maxlen := n - ip - length
			if maxlen > lzfMaxRef {
				maxlen = lzfMaxRef
			}
			if op+3+1 >= maxOut {
				nolit := 0
				if lit == 0 {
					nolit = 1
				}
				if op-nolit+3+1 >= maxOut {
					return nil
				}
			}
			out[op-lit-1] = byte(lit - 1)
			if lit == 0 {
				op--
			}
			// liblzf first extends by up to 16 bytes unchecked against
			// maxlen when maxlen > 16 (it cannot run past the input), then
			// bytewise; replaying it exactly keeps the output identical.
			matched := false
			if maxlen > 16 {
				for k := 0; k < 16; k++ {
					length++
					if in[ref+length] != in[ip+length] {
						matched = true
						break
					}
				}
			}
			if !matched {
				for {
					length++
					if length >= maxlen || in[ref+length] != in[ip+length] {
						break
					}
				}
			}
			length -= 2
			ip++
			if length < 7 {
				out[op] = byte(off>>8) + byte(length<<5)
				op++
			} else {
				out[op] = byte(off>>8) + 7<<5
				out[op+1] = byte(length - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++
			ip += length + 1
			if ip >= n-2 {
				break
			}
			ip -= 2
			h = uint32(in[ip])<<8 | uint32(in[ip+1])
			h = h<<8 | uint32(in[ip+2])
			htab.set(lzfIdx(h), ip)
			ip++
			h = h<<8 | uint32(in[ip+2])
			htab.set(lzfIdx(h), ip)
			ip++
		} else {
			if op >= maxOut {
				return nil
			}
			lit++
			out[op] = in[ip]
			op++
			ip++
			if lit == lzfMaxLit {
				out[op-lit-1] = byte(lit - 1)
				lit = 0
				op++
			}
		}
	}
	if op+3 > maxOut {
		return nil
	}
	for ip < n {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1)
	if lit == 0 {
		op--
	}
	return out[:op]
}

// lzfTable is the compressor's hash table of recent positions. Entries
// carry the generation of the call that wrote them, so starting a new
// string costs nothing instead of clearing 64K slots.
type lzfTable struct {
	slot [lzfHSize]uint64
	gen  uint32
	out  []byte // lzfCompress's output, valid until its next call
}

func (t *lzfTable) reset() {
	t.gen++
	if t.gen == 0 {
		t.slot = [lzfHSize]uint64{}
		t.gen = 1
	}
}

// get returns the position stored in slot, or -1.
func (t *lzfTable) get(slot uint32) int {
	v := t.slot[slot]
	if uint32(v>>32) != t.gen {
		return -1
	}
	return int(uint32(v))
}

func (t *lzfTable) set(slot uint32, pos int) {
	t.slot[slot] = uint64(t.gen)<<32 | uint64(uint32(pos))
}

var errLZF = errors.New("invalid LZF data")

// lzfDecompress expands in into exactly n bytes, appended to out (empty,
// with room for n).
func lzfDecompress(out, in []byte, n int) ([]byte, error) {
	ip := 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 {
			ctrl++
			if ip+ctrl > len(in) || len(out)+ctrl > n {
				return nil, errLZF
			}
			out = append(out, in[ip:ip+ctrl]...)
			ip += ctrl
			continue
		}
		length := ctrl >> 5
		if length == 7 {
			if ip >= len(in) {
				return nil, errLZF
			}
			length += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return nil, errLZF
		}
		ref := len(out) - ((ctrl & 0x1f) << 8) - 1 - int(in[ip])
		ip++
		length += 2
		if ref < 0 || len(out)+length > n {
			return nil, errLZF
		}
		for i := 0; i < length; i++ {
			out = append(out, out[ref+i])
		}
	}
	if len(out) != n {
		return nil, errLZF
	}
	return out, nil
}
