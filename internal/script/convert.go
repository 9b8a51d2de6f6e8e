package script

import (
	"github.com/taconite/taconite/internal/resp"
	lua "github.com/yuin/gopher-lua"
)

// maxReplyDepth bounds the nesting of a script's reply, as Redis refuses
// to recurse forever on self-referencing tables.
const maxReplyDepth = 100

// appendValue converts a script's return value to RESP for a client of
// protocol proto, with Redis 7.0's rules.
func (st *State) appendValue(dst []byte, v lua.LValue, proto, depth int) []byte {
	if depth > maxReplyDepth {
		return append(dst, "-ERR reached lua stack limit\r\n"...)
	}
	switch x := v.(type) {
	case lua.LString:
		return resp.AppendBulk(dst, []byte(x))
	case lua.LBool:
		if st.resp == 3 {
			return resp.AppendBool(dst, bool(x), proto)
		}
		if x {
			return resp.AppendInt(dst, 1)
		}
		return resp.AppendNullBulk(dst, proto)
	case lua.LNumber:
		return resp.AppendInt(dst, int64(float64(x)))
	case *lua.LTable:
		if s, ok := x.RawGetString("err").(lua.LString); ok {
			dst = append(dst, '-')
			dst = appendNoCRLF(dst, string(s))
			return append(dst, '\r', '\n')
		}
		if s, ok := x.RawGetString("ok").(lua.LString); ok {
			dst = append(dst, '+')
			dst = appendNoCRLF(dst, string(s))
			return append(dst, '\r', '\n')
		}
		if n, ok := x.RawGetString("double").(lua.LNumber); ok {
			return resp.AppendDouble(dst, float64(n), proto)
		}
		if s, ok := x.RawGetString("big_number").(lua.LString); ok {
			return resp.AppendBigNumber(dst, string(s), proto)
		}
		if m, ok := x.RawGetString("map").(*lua.LTable); ok {
			n := 0
			eachPair(m, func(_, _ lua.LValue) { n++ })
			dst = resp.AppendMapLen(dst, n, proto)
			eachPair(m, func(k, val lua.LValue) {
				dst = st.appendValue(dst, k, proto, depth+1)
				dst = st.appendValue(dst, val, proto, depth+1)
			})
			return dst
		}
		if s, ok := x.RawGetString("set").(*lua.LTable); ok {
			n := 0
			eachPair(s, func(_, _ lua.LValue) { n++ })
			dst = resp.AppendSetLen(dst, n, proto)
			eachPair(s, func(k, _ lua.LValue) {
				dst = st.appendValue(dst, k, proto, depth+1)
			})
			return dst
		}
		n := 0
		for x.RawGetInt(n+1) != lua.LNil {
			n++
		}
		dst = resp.AppendArrayLen(dst, n)
		for i := 1; i <= n; i++ {
			dst = st.appendValue(dst, x.RawGetInt(i), proto, depth+1)
		}
		return dst
	}
	return resp.AppendNullBulk(dst, proto)
}

// eachPair visits t's pairs in a stable order, the array part and then
// the other keys as they were inserted (lua_next's order in gopher-lua).
// LTable.ForEach ranges over Go maps, whose order changes from run to
// run, which would make replies (RESP3 maps, cjson objects) differ
// between two calls of one script.
func eachPair(t *lua.LTable, fn func(k, v lua.LValue)) {
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		fn(k, v)
	}
}
