package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// cmsgpack as Redis bundles it (lua-cmsgpack 0.4): pack encodes each
// argument and concatenates them; unpack decodes every object.

const msgpackMaxNesting = 16

// msgpackMaxIntKey bounds the integer map keys unpack accepts (see mapN).
const msgpackMaxIntKey = 1 << 16

func (st *State) cmsgpackLib() *lua.LTable {
	L := st.L
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(st.mpPack))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return st.mpUnpack(L, 0, 0, false) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		return st.mpUnpack(L, 1, L.OptInt(2, 0), true)
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		return st.mpUnpack(L, L.CheckInt(2), L.OptInt(3, 0), true)
	}))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

func (st *State) mpPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		L.ArgError(0, "MessagePack pack needs input.")
	}
	var b []byte
	for i := 1; i <= n; i++ {
		b = mpEncode(b, L.Get(i), 0)
	}
	L.Push(lua.LString(b))
	return 1
}

func mpEncode(b []byte, v lua.LValue, level int) []byte {
	switch x := v.(type) {
	case lua.LString:
		n := len(x)
		switch {
		case n < 32:
			b = append(b, 0xa0|byte(n))
		case n <= 0xff:
			b = append(b, 0xd9, byte(n))
		case n <= 0xffff:
			b = append(b, 0xda, byte(n>>8), byte(n))
		default:
			b = append(b, 0xdb)
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
		return append(b, x...)
	case lua.LBool:
		if x {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(x)
		if f == math.Trunc(f) && !math.IsInf(f, 0) && f >= -9.2e18 && f <= 1.8e19 {
			if f >= 0 {
				return mpUint(b, uint64(f))
			}
			return mpInt(b, int64(f))
		}
		if float64(float32(f)) == f || math.IsNaN(f) {
			b = append(b, 0xca)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(f)))
		}
		b = append(b, 0xcb)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	case *lua.LTable:
		if level >= msgpackMaxNesting {
			return append(b, 0xc0)
		}
		n, isArr := mpArrayLen(x)
		if isArr {
			b = mpLen(b, n, 0x90, 0xdc, 0xdd)
			for i := 1; i <= n; i++ {
				b = mpEncode(b, x.RawGetInt(i), level+1)
			}
			return b
		}
		cnt := 0
		eachPair(x, func(_, _ lua.LValue) { cnt++ })
		b = mpLen(b, cnt, 0x80, 0xde, 0xdf)
		eachPair(x, func(k, val lua.LValue) {
			b = mpEncode(b, k, level+1)
			b = mpEncode(b, val, level+1)
		})
		return b
	}
	return append(b, 0xc0)
}

func mpLen(b []byte, n int, fix, b16, b32 byte) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return append(b, b16, byte(n>>8), byte(n))
	}
	b = append(b, b32)
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

func mpUint(b []byte, n uint64) []byte {
	switch {
	case n < 128:
		return append(b, byte(n))
	case n <= 0xff:
		return append(b, 0xcc, byte(n))
	case n <= 0xffff:
		return append(b, 0xcd, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		b = append(b, 0xce)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
	b = append(b, 0xcf)
	return binary.BigEndian.AppendUint64(b, n)
}

func mpInt(b []byte, n int64) []byte {
	switch {
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(int8(n)))
	case n >= -32768:
		return append(b, 0xd1, byte(n>>8), byte(n))
	case n >= -2147483648:
		b = append(b, 0xd2)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
	b = append(b, 0xd3)
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

// mpArrayLen: a table is an array when its keys are exactly 1..n.
func mpArrayLen(t *lua.LTable) (int, bool) {
	count, maxKey := 0, 0
	arr := true
	eachPair(t, func(k, _ lua.LValue) {
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) < 1 || float64(n) != math.Trunc(float64(n)) {
			arr = false
			return
		}
		count++
		if int(n) > maxKey {
			maxKey = int(n)
		}
	})
	return count, arr && count == maxKey
}

type mpErr string

// mpUnpack decodes up to limit objects (0: all) from offset; withOffset
// returns the next offset first (unpack_one, unpack_limit).
func (st *State) mpUnpack(L *lua.LState, limit, offset int, withOffset bool) (ret int) {
	s := L.CheckString(1)
	if offset < 0 || offset > len(s) {
		L.ArgError(2, "Start offset greater than input length")
	}
	d := mpDec{st: st, s: s, i: offset}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(mpErr); ok {
				L.RaiseError("%s", string(e))
			}
			panic(r)
		}
	}()
	var vals []lua.LValue
	for d.i < len(s) && (limit == 0 || len(vals) < limit) {
		vals = append(vals, d.decode())
	}
	if withOffset {
		next := d.i
		if d.i >= len(s) {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range vals {
		L.Push(v)
	}
	if withOffset {
		return len(vals) + 1
	}
	return len(vals)
}

type mpDec struct {
	st *State
	s  string
	i  int
}

func (d *mpDec) take(n int) string {
	if n < 0 || d.i+n > len(d.s) {
		panic(mpErr("Missing bytes in input."))
	}
	r := d.s[d.i : d.i+n]
	d.i += n
	return r
}

func (d *mpDec) u(n int) uint64 {
	b := d.take(n)
	var v uint64
	for i := 0; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func (d *mpDec) decode() lua.LValue {
	c := d.take(1)[0]
	switch {
	case c < 0x80:
		return lua.LNumber(c)
	case c >= 0xe0:
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return lua.LString(d.take(int(c & 0x1f)))
	case c&0xf0 == 0x90:
		return d.array(int(c & 0x0f))
	case c&0xf0 == 0x80:
		return d.mapN(int(c & 0x0f))
	}
	switch c {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xcc:
		return lua.LNumber(d.u(1))
	case 0xcd:
		return lua.LNumber(d.u(2))
	case 0xce:
		return lua.LNumber(d.u(4))
	case 0xcf:
		return lua.LNumber(float64(d.u(8)))
	case 0xd0:
		return lua.LNumber(int8(d.u(1)))
	case 0xd1:
		return lua.LNumber(int16(d.u(2)))
	case 0xd2:
		return lua.LNumber(int32(d.u(4)))
	case 0xd3:
		return lua.LNumber(float64(int64(d.u(8))))
	case 0xca:
		return lua.LNumber(math.Float32frombits(uint32(d.u(4))))
	case 0xcb:
		return lua.LNumber(math.Float64frombits(d.u(8)))
	case 0xd9, 0xc4:
		return lua.LString(d.take(int(d.u(1))))
	case 0xda, 0xc5:
		return lua.LString(d.take(int(d.u(2))))
	case 0xdb, 0xc6:
		return lua.LString(d.take(int(d.u(4))))
	case 0xdc:
		return d.array(int(d.u(2)))
	case 0xdd:
		return d.array(int(d.u(4)))
	case 0xde:
		return d.mapN(int(d.u(2)))
	case 0xdf:
		return d.mapN(int(d.u(4)))
	}
	panic(mpErr("Bad data format in input."))
}

func (d *mpDec) array(n int) lua.LValue {
	if n > len(d.s)-d.i {
		panic(mpErr("Missing bytes in input."))
	}
	t := d.st.L.CreateTable(n, 0)
	for i := 1; i <= n; i++ {
		t.RawSetInt(i, d.decode())
	}
	return t
}

func (d *mpDec) mapN(n int) lua.LValue {
	if n > len(d.s)-d.i {
		panic(mpErr("Missing bytes in input."))
	}
	t := d.st.L.CreateTable(0, n)
	for i := 0; i < n; i++ {
		k := d.decode()
		v := d.decode()
		if n, ok := k.(lua.LNumber); ok && float64(n) > msgpackMaxIntKey && float64(n) == math.Trunc(float64(n)) {
			// gopher-lua stores integer keys in a dense array: a key of
			// 60 million from client data would allocate a gigabyte.
			panic(mpErr("Bad data format in input."))
		}
		if k != lua.LNil {
			t.RawSet(k, v)
		}
	}
	return t
}
