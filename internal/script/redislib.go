package script

import (
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// redisLib builds the redis table.
func (st *State) redisLib() *lua.LTable {
	L := st.L
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":  func(L *lua.LState) int { return st.call(L, true) },
		"pcall": func(L *lua.LState) int { return st.call(L, false) },
		"error_reply": func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if L.GetTop() != 1 || !ok {
				L.Push(errTable(L, "ERR wrong number or type of arguments"))
				return 1
			}
			msg := string(s)
			if len(msg) == 0 || msg[0] != '-' {
				msg = "-" + msg
			}
			L.Push(errTable(L, errorFromReply(msg)))
			return 1
		},
		"status_reply": func(L *lua.LState) int {
			s, ok := L.Get(1).(lua.LString)
			if L.GetTop() != 1 || !ok {
				L.Push(errTable(L, "ERR wrong number or type of arguments"))
				return 1
			}
			r := L.NewTable()
			r.RawSetString("ok", s)
			L.Push(r)
			return 1
		},
		"sha1hex": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				raise(L, "ERR wrong number of arguments")
			}
			L.Push(lua.LString(SHA1Hex([]byte(luaToString(L.Get(1))))))
			return 1
		},
		"log": func(L *lua.LState) int {
			n := L.GetTop()
			if n < 2 {
				raise(L, "ERR redis.log() requires two arguments or more.")
			}
			lv, ok := L.Get(1).(lua.LNumber)
			if !ok {
				raise(L, "ERR First argument must be a number (log level).")
			}
			if lv < LogDebug || lv > LogWarning {
				raise(L, "ERR Invalid debug level.")
			}
			msg := ""
			for i := 2; i <= n; i++ {
				if i > 2 {
					msg += " "
				}
				msg += luaToString(L.Get(i))
			}
			if st.host != nil {
				st.host.Log(int(lv), msg)
			}
			return 0
		},
		"setresp": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				raise(L, "ERR redis.setresp() requires one argument.")
			}
			n, _ := L.Get(1).(lua.LNumber)
			if n != 2 && n != 3 {
				raise(L, "ERR RESP version must be 2 or 3.")
			}
			st.resp = int(n)
			return 0
		},
		"set_repl": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				raise(L, "ERR redis.set_repl() requires one argument.")
			}
			n, ok := L.Get(1).(lua.LNumber)
			if !ok || n < 0 || n > 3 {
				raise(L, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
			}
			return 0
		},
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
		"acl_check_cmd": func(L *lua.LState) int {
			if L.GetTop() == 0 {
				raise(L, "ERR Please specify at least one argument for this redis lib call")
			}
			if msg := st.args(L); msg != "" {
				raise(L, msg)
			}
			ok := true
			if c, is := st.host.(ACLChecker); is {
				var msg string
				if ok, msg = c.ACLCheck(st.argv); msg != "" {
					raise(L, msg)
				}
			}
			L.Push(lua.LBool(ok))
			return 1
		},
		"register_function": st.registerFunction,
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]int{
		"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3,
		"REDIS_VERSION_NUM": 0x07000f,
	} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString("7.0.15"))
	return t
}

func errTable(L *lua.LState, msg string) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("err", lua.LString(msg))
	return t
}

// raise throws Redis's error table (no position prefix).
func raise(L *lua.LState, msg string) {
	L.Error(errTable(L, msg), 0)
}

// errorFromReply normalises an error text as redis.error_reply does:
// "-CODE msg" and "CODE msg" keep their code, a bare word gets "ERR".
func errorFromReply(s string) string {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
		if i := indexByte(s, ' '); i < 0 {
			return "ERR " + trimCRLF(s)
		}
		return trimCRLF(s)
	}
	return "ERR " + trimCRLF(s)
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func trimCRLF(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\r' || s[len(s)-1] == '\n') {
		s = s[:len(s)-1]
	}
	for len(s) > 0 && (s[0] == '\r' || s[0] == '\n') {
		s = s[1:]
	}
	return s
}

// args converts the Lua arguments into st.argv, or returns the error.
func (st *State) args(L *lua.LState) string {
	n := L.GetTop()
	st.arena = st.arena[:0]
	offs := make([]int, 0, 8)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			st.arena = append(st.arena, v...)
		case lua.LNumber:
			st.arena = append(st.arena, fmtNum(float64(v))...)
		default:
			return "ERR Lua redis lib command arguments must be strings or integers"
		}
		offs = append(offs, len(st.arena))
	}
	st.argv = st.argv[:0]
	start := 0
	for _, end := range offs {
		st.argv = append(st.argv, st.arena[start:end:end])
		start = end
	}
	return ""
}

// call is redis.call (raise) and redis.pcall.
func (st *State) call(L *lua.LState, raiseErr bool) int {
	n := L.GetTop()
	fail := func(msg string) int {
		if raiseErr {
			raise(L, msg)
		}
		L.Push(errTable(L, msg))
		return 1
	}
	if n == 0 {
		return fail("ERR Please specify at least one argument for this redis lib call")
	}
	if msg := st.args(L); msg != "" {
		return fail(msg)
	}
	if st.host == nil {
		return fail("ERR redis.call is not available here")
	}
	st.reply = st.host.Call(st.reply[:0], st.argv, st.resp)
	v, _, isErr := st.parseReply(st.reply, 0)
	if isErr && raiseErr {
		L.Error(v, 0)
	}
	L.Push(v)
	return 1
}

// parseReply converts one RESP reply at b[i:] into a Lua value, as Redis
// does for the script's protocol. It reports whether it was an error.
func (st *State) parseReply(b []byte, i int) (lua.LValue, int, bool) {
	L := st.L
	if i >= len(b) {
		return lua.LNil, i, false
	}
	typ := b[i]
	end := i + 1
	for end < len(b) && b[end] != '\r' {
		end++
	}
	line := b[i+1 : end]
	next := end + 2
	switch typ {
	case '+':
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(line))
		return t, next, false
	case '-':
		return errTable(L, string(line)), next, true
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return lua.LNumber(n), next, false
	case '$', '=':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, next, false
		}
		s := b[next : next+n]
		if typ == '=' && len(s) >= 4 {
			t := L.NewTable()
			vt := L.NewTable()
			vt.RawSetString("format", lua.LString(s[:3]))
			vt.RawSetString("string", lua.LString(s[4:]))
			t.RawSetString("verbatim_string", vt)
			return t, next + n + 2, false
		}
		return lua.LString(s), next + n + 2, false
	case '*', '~', '>':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, next, false
		}
		t := L.CreateTable(n, 0)
		var set *lua.LTable
		if typ == '~' {
			set = L.CreateTable(0, n)
		}
		for k := 1; k <= n; k++ {
			var v lua.LValue
			v, next, _ = st.parseReply(b, next)
			if set != nil {
				set.RawSet(v, lua.LTrue)
			} else {
				t.RawSetInt(k, v)
			}
		}
		if set != nil {
			t.RawSetString("set", set)
		}
		return t, next, false
	case '%':
		n, _ := strconv.Atoi(string(line))
		m := L.CreateTable(0, n)
		for k := 0; k < n; k++ {
			var key, v lua.LValue
			key, next, _ = st.parseReply(b, next)
			v, next, _ = st.parseReply(b, next)
			if key != lua.LNil {
				m.RawSet(key, v)
			}
		}
		t := L.NewTable()
		t.RawSetString("map", m)
		return t, next, false
	case '_':
		return lua.LNil, next, false
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), next, false
	case ',':
		f, _ := strconv.ParseFloat(string(line), 64)
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, next, false
	case '(':
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(line))
		return t, next, false
	}
	return lua.LNil, next, false
}
