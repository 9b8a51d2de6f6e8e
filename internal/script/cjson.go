package script

import (
	"math"
	"strconv"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// cjson as Redis bundles it (lua-cjson 2.1 with Redis's patches): empty
// tables encode as {}, numbers with %.14g, sparse arrays refused past a
// ratio, and its decoder's error texts.

const cjsonMaxDepth = 1000

func (st *State) cjsonLib() *lua.LTable {
	L := st.L
	t := L.NewTable()
	t.RawSetString("encode", L.NewFunction(st.cjsonEncode))
	t.RawSetString("decode", L.NewFunction(st.cjsonDecode))
	t.RawSetString("null", st.null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	// Configuration functions: scripts call them to read settings; the
	// settings stay Redis's defaults.
	for name, vals := range map[string][]lua.LValue{
		"encode_sparse_array":     {lua.LFalse, lua.LNumber(2), lua.LNumber(10)},
		"encode_max_depth":        {lua.LNumber(cjsonMaxDepth)},
		"decode_max_depth":        {lua.LNumber(cjsonMaxDepth)},
		"encode_number_precision": {lua.LNumber(14)},
		"encode_keep_buffer":      {lua.LTrue},
		"encode_invalid_numbers":  {lua.LFalse},
		"decode_invalid_numbers":  {lua.LTrue},
	} {
		vals := vals
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			for _, v := range vals {
				L.Push(v)
			}
			return len(vals)
		}))
	}
	t.RawSetString("new", L.NewFunction(func(L *lua.LState) int { L.Push(st.cjsonLib()); return 1 }))
	return t
}

func (st *State) cjsonEncode(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.ArgError(1, "expected 1 argument")
	}
	b, msg := st.jsonAppend(nil, L.Get(1), 0)
	if msg != "" {
		L.RaiseError("%s", msg)
	}
	L.Push(lua.LString(b))
	return 1
}

func (st *State) jsonAppend(b []byte, v lua.LValue, depth int) ([]byte, string) {
	switch x := v.(type) {
	case lua.LString:
		return jsonString(b, string(x)), ""
	case lua.LNumber:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return b, "Cannot serialise number: must not be NaN or Inf"
		}
		return append(b, fmtNum(f)...), ""
	case lua.LBool:
		if x {
			return append(b, "true"...), ""
		}
		return append(b, "false"...), ""
	case *lua.LNilType:
		return append(b, "null"...), ""
	case *lua.LUserData:
		if x == st.null {
			return append(b, "null"...), ""
		}
		return b, "Cannot serialise userdata: type not supported"
	case *lua.LTable:
		depth++
		if depth > cjsonMaxDepth {
			return b, "Cannot serialise, excessive nesting (" + strconv.Itoa(depth) + ")"
		}
		n, isArr, msg := jsonArrayLen(x)
		if msg != "" {
			return b, msg
		}
		if isArr && n > 0 {
			b = append(b, '[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b = append(b, ',')
				}
				var m string
				b, m = st.jsonAppend(b, x.RawGetInt(i), depth)
				if m != "" {
					return b, m
				}
			}
			return append(b, ']'), ""
		}
		b = append(b, '{')
		first := true
		var m string
		eachPair(x, func(k, val lua.LValue) {
			if m != "" {
				return
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			switch kk := k.(type) {
			case lua.LString:
				b = jsonString(b, string(kk))
			case lua.LNumber:
				b = jsonString(b, fmtNum(float64(kk)))
			default:
				m = "Cannot serialise table: table key must be a number or string"
				return
			}
			b = append(b, ':')
			b, m = st.jsonAppend(b, val, depth)
		})
		if m != "" {
			return b, m
		}
		return append(b, '}'), ""
	}
	return b, "Cannot serialise " + v.Type().String() + ": type not supported"
}

// jsonArrayLen decides whether a table is an array: only positive integer
// keys, not too sparse (lua-cjson's ratio 2, safe 10).
func jsonArrayLen(t *lua.LTable) (int, bool, string) {
	maxKey, items := 0, 0
	arr := true
	eachPair(t, func(k, _ lua.LValue) {
		if !arr {
			return
		}
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			arr = false
			return
		}
		if int(n) > maxKey {
			maxKey = int(n)
		}
		items++
	})
	if !arr {
		return 0, false, ""
	}
	if maxKey > 10 && maxKey > items*2 {
		return 0, false, "Cannot serialise table: excessively sparse array"
	}
	return maxKey, true, ""
}

func jsonString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '/':
			b = append(b, '\\', '/')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 || c == 0x7f {
				b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// JSON decoding, token by token as lua-cjson does, for its error texts.

type jtok int

const (
	tObjBegin jtok = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
)

var jtokNames = [...]string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR"}

type jdec struct {
	st    *State
	s     string
	i     int
	tok   jtok
	start int
	str   string
	num   float64
	b     bool
	emsg  string
	depth int
}

type jsonErr string

func (st *State) cjsonDecode(L *lua.LState) int {
	s := L.CheckString(1)
	d := &jdec{st: st, s: s}
	v, msg := d.decode()
	if msg != "" {
		L.RaiseError("%s", msg)
	}
	L.Push(v)
	return 1
}

func (d *jdec) decode() (v lua.LValue, msg string) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(jsonErr); ok {
				msg = string(e)
				return
			}
			panic(r)
		}
	}()
	d.next()
	v = d.value()
	d.next()
	if d.tok != tEnd {
		d.fail("the end")
	}
	return v, ""
}

func (d *jdec) fail(expected string) {
	found := jtokNames[d.tok]
	if d.tok == tError {
		found = d.emsg
	}
	panic(jsonErr("Expected " + expected + " but found " + found + " at character " + strconv.Itoa(d.start+1)))
}

func (d *jdec) value() lua.LValue {
	L := d.st.L
	switch d.tok {
	case tString:
		return lua.LString(d.str)
	case tNumber:
		return lua.LNumber(d.num)
	case tBoolean:
		return lua.LBool(d.b)
	case tNull:
		return d.st.null
	case tObjBegin:
		d.depth++
		if d.depth > cjsonMaxDepth {
			panic(jsonErr("Found too many nested data structures (" + strconv.Itoa(d.depth) + ") at character " + strconv.Itoa(d.start+1)))
		}
		t := L.NewTable()
		d.next()
		if d.tok == tObjEnd {
			d.depth--
			return t
		}
		for {
			if d.tok != tString {
				d.fail("object key string")
			}
			k := d.str
			d.next()
			if d.tok != tColon {
				d.fail("colon")
			}
			d.next()
			t.RawSetString(k, d.value())
			d.next()
			if d.tok == tObjEnd {
				d.depth--
				return t
			}
			if d.tok != tComma {
				d.fail("comma or object end")
			}
			d.next()
		}
	case tArrBegin:
		d.depth++
		if d.depth > cjsonMaxDepth {
			panic(jsonErr("Found too many nested data structures (" + strconv.Itoa(d.depth) + ") at character " + strconv.Itoa(d.start+1)))
		}
		t := L.NewTable()
		d.next()
		if d.tok == tArrEnd {
			d.depth--
			return t
		}
		for i := 1; ; i++ {
			t.RawSetInt(i, d.value())
			d.next()
			if d.tok == tArrEnd {
				d.depth--
				return t
			}
			if d.tok != tComma {
				d.fail("comma or array end")
			}
			d.next()
		}
	}
	d.fail("value")
	return nil
}

func (d *jdec) next() {
	s := d.s
	for d.i < len(s) && (s[d.i] == ' ' || s[d.i] == '\t' || s[d.i] == '\n' || s[d.i] == '\r') {
		d.i++
	}
	d.start = d.i
	if d.i >= len(s) {
		d.tok = tEnd
		return
	}
	c := s[d.i]
	switch c {
	case '{':
		d.tok, d.i = tObjBegin, d.i+1
	case '}':
		d.tok, d.i = tObjEnd, d.i+1
	case '[':
		d.tok, d.i = tArrBegin, d.i+1
	case ']':
		d.tok, d.i = tArrEnd, d.i+1
	case ':':
		d.tok, d.i = tColon, d.i+1
	case ',':
		d.tok, d.i = tComma, d.i+1
	case '"':
		d.string()
	default:
		switch {
		case c == '-' || (c >= '0' && c <= '9'):
			j := d.i
			for j < len(s) && strchr("0123456789+-.eE", s[j]) {
				j++
			}
			f, err := strconv.ParseFloat(s[d.i:j], 64)
			if err != nil && f == 0 {
				d.tok, d.emsg = tError, "invalid number"
				return
			}
			d.tok, d.num, d.i = tNumber, f, j
		case hasPrefix(s[d.i:], "true"):
			d.tok, d.b, d.i = tBoolean, true, d.i+4
		case hasPrefix(s[d.i:], "false"):
			d.tok, d.b, d.i = tBoolean, false, d.i+5
		case hasPrefix(s[d.i:], "null"):
			d.tok, d.i = tNull, d.i+4
		default:
			d.tok, d.emsg = tError, "invalid token"
		}
	}
}

func (d *jdec) string() {
	s := d.s
	j := d.i + 1
	var out []byte
	for {
		if j >= len(s) {
			d.tok, d.emsg = tError, "unexpected end of string"
			return
		}
		c := s[j]
		if c == '"' {
			break
		}
		if c != '\\' {
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(s) {
			d.tok, d.emsg = tError, "unexpected end of string"
			return
		}
		e := s[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s, j)
			if !ok {
				d.tok, d.emsg = tError, "invalid unicode escape code"
				return
			}
			j += 4
			if r >= 0xd800 && r <= 0xdbff {
				if j+6 <= len(s) && s[j] == '\\' && s[j+1] == 'u' {
					if lo, ok := hex4(s, j+2); ok && lo >= 0xdc00 && lo <= 0xdfff {
						r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
						j += 6
					} else {
						d.tok, d.emsg = tError, "invalid unicode escape code"
						return
					}
				} else {
					d.tok, d.emsg = tError, "invalid unicode escape code"
					return
				}
			}
			out = utf8.AppendRune(out, rune(r))
		default:
			d.tok, d.emsg = tError, "invalid escape code"
			return
		}
	}
	d.tok, d.str, d.i = tString, string(out), j+1
}

func hex4(s string, j int) (int, bool) {
	if j+4 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[j:j+4], 16, 32)
	return int(v), err == nil
}

func strchr(set string, c byte) bool { return indexByte(set, c) >= 0 }

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
