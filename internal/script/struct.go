package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// struct is Roberto Ierusalimschy's struct library as Redis bundles it:
// pack, unpack and size over a format of '<' '>' '=' '!' 'x' 'b' 'B' 'h'
// 'H' 'l' 'L' 'T' 'i' 'I' (with a size) 'f' 'd' 's' 'c'.

type structFmt struct {
	f     string
	i     int
	big   bool
	align int
}

// next returns the next item's code and size; code 0 ends the format.
func (sf *structFmt) next(L *lua.LState) (byte, int) {
	for sf.i < len(sf.f) {
		c := sf.f[sf.i]
		sf.i++
		switch c {
		case ' ':
		case '<':
			sf.big = false
		case '>':
			sf.big = true
		case '=':
			sf.big = false
		case '!':
			sf.align = sf.num(8)
		case 'x', 'b', 'B':
			return c, 1
		case 'h', 'H':
			return c, 2
		case 'l', 'L', 'T':
			return c, 8
		case 'f':
			return c, 4
		case 'd':
			return c, 8
		case 's':
			return c, 0
		case 'c':
			return c, sf.num(1)
		case 'i', 'I':
			n := sf.num(4)
			if n > 8 || n < 1 {
				L.RaiseError("integral size %d is larger than limit of 8", n)
			}
			return c, n
		default:
			L.RaiseError("invalid format option '%c'", c)
		}
	}
	return 0, 0
}

func (sf *structFmt) num(def int) int {
	if sf.i >= len(sf.f) || sf.f[sf.i] < '0' || sf.f[sf.i] > '9' {
		return def
	}
	n := 0
	for sf.i < len(sf.f) && sf.f[sf.i] >= '0' && sf.f[sf.i] <= '9' {
		n = n*10 + int(sf.f[sf.i]-'0')
		sf.i++
	}
	return n
}

func (sf *structFmt) pad(pos, size int) int {
	a := size
	if a > sf.align {
		a = sf.align
	}
	if a <= 1 || size == 0 {
		return 0
	}
	return (a - pos%a) % a
}

func putInt(b []byte, v uint64, size int, big bool) []byte {
	for i := 0; i < size; i++ {
		shift := uint(i * 8)
		if big {
			shift = uint((size - 1 - i) * 8)
		}
		if shift >= 64 {
			b = append(b, 0)
		} else {
			b = append(b, byte(v>>shift))
		}
	}
	return b
}

func structLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(func(L *lua.LState) int {
		sf := &structFmt{f: L.CheckString(1), align: 1}
		var b []byte
		arg := 2
		for {
			c, size := sf.next(L)
			if c == 0 {
				break
			}
			for n := sf.pad(len(b), size); n > 0; n-- {
				b = append(b, 0)
			}
			switch c {
			case 'x':
				b = append(b, 0)
			case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
				v := float64(L.CheckNumber(arg))
				arg++
				var u uint64
				if v < 0 {
					u = uint64(int64(v))
				} else {
					u = uint64(v)
				}
				b = putInt(b, u, size, sf.big)
			case 'f':
				v := float32(L.CheckNumber(arg))
				arg++
				b = putInt(b, uint64(math.Float32bits(v)), 4, sf.big)
			case 'd':
				v := float64(L.CheckNumber(arg))
				arg++
				b = putInt(b, math.Float64bits(v), 8, sf.big)
			case 'c', 's':
				s := L.CheckString(arg)
				arg++
				if c == 'c' {
					if size == 0 {
						size = len(s)
					}
					if len(s) < size {
						L.ArgError(arg-1, "string too short")
					}
					b = append(b, s[:size]...)
				} else {
					b = append(b, s...)
					b = append(b, 0)
				}
			}
		}
		L.Push(lua.LString(b))
		return 1
	}))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int {
		sf := &structFmt{f: L.CheckString(1), align: 1}
		data := L.CheckString(2)
		pos := L.OptInt(3, 1) - 1
		if pos < 0 || pos > len(data) {
			L.ArgError(3, "offset must be 1 or greater")
		}
		n := 0
		for {
			c, size := sf.next(L)
			if c == 0 {
				break
			}
			pos += sf.pad(pos, size)
			if c != 's' && pos+size > len(data) {
				L.ArgError(2, "data string too short")
			}
			switch c {
			case 'x':
				pos++
				continue
			case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
				var u uint64
				for i := 0; i < size; i++ {
					bb := uint64(data[pos+i])
					if sf.big {
						u = u<<8 | bb
					} else {
						u |= bb << uint(8*i)
					}
				}
				if c == 'b' || c == 'h' || c == 'l' || c == 'i' {
					if size < 8 && u&(1<<uint(size*8-1)) != 0 {
						u |= ^uint64(0) << uint(size*8)
					}
					L.Push(lua.LNumber(float64(int64(u))))
				} else {
					L.Push(lua.LNumber(float64(u)))
				}
			case 'f', 'd':
				var u uint64
				bs := []byte(data[pos : pos+size])
				if sf.big {
					if size == 4 {
						u = uint64(binary.BigEndian.Uint32(bs))
					} else {
						u = binary.BigEndian.Uint64(bs)
					}
				} else if size == 4 {
					u = uint64(binary.LittleEndian.Uint32(bs))
				} else {
					u = binary.LittleEndian.Uint64(bs)
				}
				if size == 4 {
					L.Push(lua.LNumber(math.Float32frombits(uint32(u))))
				} else {
					L.Push(lua.LNumber(math.Float64frombits(u)))
				}
			case 'c':
				if size == 0 {
					L.RaiseError("format 'c0' needs a previous size")
				}
				L.Push(lua.LString(data[pos : pos+size]))
			case 's':
				e := indexByte(data[pos:], 0)
				if e < 0 {
					L.RaiseError("unfinished string in data")
				}
				L.Push(lua.LString(data[pos : pos+e]))
				size = e + 1
			}
			pos += size
			n++
		}
		L.Push(lua.LNumber(pos + 1))
		return n + 1
	}))
	t.RawSetString("size", L.NewFunction(func(L *lua.LState) int {
		sf := &structFmt{f: L.CheckString(1), align: 1}
		pos := 0
		for {
			c, size := sf.next(L)
			if c == 0 {
				break
			}
			if c == 's' {
				L.ArgError(1, "options 'c0' - 's' have undefined sizes")
			}
			pos += sf.pad(pos, size) + size
		}
		L.Push(lua.LNumber(pos))
		return 1
	}))
	return t
}
