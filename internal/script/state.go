package script

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Host runs the commands a script calls. Call appends to dst the RESP
// reply (in protocol proto) of argv, refusals included ("-ERR Unknown
// Redis command called from script"); Log writes redis.log lines.
type Host interface {
	Call(dst []byte, argv [][]byte, proto int) []byte
	Log(level int, msg string)
}

// ACLChecker is a Host that answers redis.acl_check_cmd: whether the
// script's user may run argv, or an error text for an unknown command.
// Without it every call is allowed.
type ACLChecker interface {
	ACLCheck(argv [][]byte) (ok bool, errMsg string)
}

// Log levels of redis.log.
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
)

var errKilled = errors.New("Script killed by user with SCRIPT KILL...")

// maxStringRep bounds string.rep's result (proto-max-bulk-len's default).
const maxStringRep = 512 << 20

const killedMsg = "ERR Script killed by user with SCRIPT KILL..."

// State is one reusable Lua state. It is used by one goroutine at a time.
type State struct {
	e      *Engine
	L      *lua.LState
	env    *lua.LTable // the real globals
	g      *lua.LTable // the read-only view scripts see as _G
	null   *lua.LUserData
	errFn  *lua.LFunction
	fns    map[*Script]*lua.LFunction
	gen    uint64
	host   Host
	resp   int // protocol redis.call replies are converted from
	run    *Running
	argv   [][]byte
	arena  []byte
	reply  []byte
	noDone chan struct{}
	killCh chan struct{} // the next run's kill channel
	ticks  uint32        // Done calls, for Ticker
	// per-state function libraries (see function.go)
	libs      map[*Library]*libInstance
	fgen      uint64
	loading   *loadCtx
	readonly  *lua.LFunction
	strictMT  *lua.LTable // metatable raising on nonexistent names
	redisReal *lua.LTable
}

// NewState builds a sandboxed state bound to e.
func (e *Engine) NewState() *State {
	st := &State{e: e, fns: make(map[*Script]*lua.LFunction), resp: 2}
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 1024, RegistrySize: 1024 * 4, RegistryMaxSize: 1024 * 1024})
	st.L = L
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	env := L.G.Global
	st.env = env
	// What Redis 7.0 removes from the base library.
	for _, name := range []string{"dofile", "loadfile", "print", "module", "require", "getfenv", "setfenv", "newproxy", "_printregs", "package"} {
		env.RawSetString(name, lua.LNil)
	}
	env.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }))
	origToString := env.RawGetString("tostring")
	env.RawSetString("tostring", L.NewFunction(func(L *lua.LState) int {
		if n, ok := L.Get(1).(lua.LNumber); ok {
			L.Push(lua.LString(fmtNum(float64(n))))
			return 1
		}
		L.Push(origToString)
		L.Push(L.Get(1))
		L.Call(1, 1)
		return 1
	}))
	env.RawSetString("pcall", L.NewFunction(luaPcall))
	env.RawSetString("error", L.NewFunction(luaError))
	if t, ok := env.RawGetString("table").(*lua.LTable); ok {
		t.RawSetString("getn", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(L.CheckTable(1).Len())); return 1 }))
	}
	if t, ok := env.RawGetString("string").(*lua.LTable); ok {
		// string.rep allocates its whole result at once: a count in the
		// billions would abort the process (Go cannot recover from
		// running out of memory), so it fails like Lua out of memory.
		t.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
			str := L.CheckString(1)
			n := L.CheckInt(2)
			if n <= 0 || str == "" {
				L.Push(lua.LString(""))
				return 1
			}
			if int64(len(str))*int64(n) > maxStringRep {
				L.RaiseError("not enough memory")
			}
			L.Push(lua.LString(strings.Repeat(str, n)))
			return 1
		}))
	}
	st.null = L.NewUserData()
	st.redisReal = st.redisLib()
	env.RawSetString("redis", st.redisReal)
	env.RawSetString("cjson", st.cjsonLib())
	env.RawSetString("cmsgpack", st.cmsgpackLib())
	env.RawSetString("bit", bitLib(L))
	env.RawSetString("struct", structLib(L))
	env.RawSetString("KEYS", L.NewTable())
	env.RawSetString("ARGV", L.NewTable())

	readonly := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	})
	// Library tables become read-only views of themselves.
	for _, name := range []string{"redis", "string", "table", "math", "coroutine", "cjson", "cmsgpack", "bit", "struct"} {
		real, ok := env.RawGetString(name).(*lua.LTable)
		if !ok {
			continue
		}
		view := L.NewTable()
		mt := L.NewTable()
		mt.RawSetString("__index", real)
		mt.RawSetString("__newindex", readonly)
		L.SetMetatable(view, mt)
		env.RawSetString(name, view)
	}
	envMT := L.NewTable()
	envMT.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	}))
	envMT.RawSetString("__newindex", readonly)
	L.SetMetatable(env, envMT)
	st.readonly = readonly
	st.strictMT = envMT
	g := L.NewTable()
	gmt := L.NewTable()
	gmt.RawSetString("__index", env)
	gmt.RawSetString("__newindex", readonly)
	L.SetMetatable(g, gmt)
	env.RawSetString("_G", g)
	st.g = g
	st.errFn = L.NewFunction(st.errHandler)
	L.SetContext(st)
	return st
}

// Close releases the state.
func (st *State) Close() { st.L.Close() }

// The State is the context gopher-lua polls between instructions: Done
// is the kill channel of the running script, so SCRIPT KILL stops it.

func (st *State) Deadline() (time.Time, bool) { return time.Time{}, false }
func (st *State) Done() <-chan struct{} {
	if st.run == nil {
		return st.noDone
	}
	// Every few thousand instructions the host may serve other clients
	// (Redis answers them -BUSY while a script runs long).
	st.ticks++
	if st.ticks&4095 == 0 {
		if t, ok := st.host.(Ticker); ok {
			t.Tick()
		}
	}
	return st.run.kill
}

// Ticker is a Host that wants to run now and then during a long script.
type Ticker interface {
	Tick()
}

func (st *State) Err() error    { return errKilled }
func (st *State) Value(any) any { return nil }

// Call describes one EVAL or FCALL.
type Call struct {
	Script   *Script
	Function *Function
	Keys     [][]byte
	Args     [][]byte
	Argv     [][]byte // the whole command, for FUNCTION STATS
	Proto    int      // the client's protocol
}

// Run executes c, appending the reply to dst. It reports whether the
// reply is an error.
func (st *State) Run(dst []byte, h Host, c Call) ([]byte, bool) {
	L := st.L
	var fn *lua.LFunction
	name := ""
	if c.Function != nil {
		fn = st.functionFor(c.Function)
		name = c.Function.Name
		if fn == nil {
			return append(dst, "-ERR Function not found\r\n"...), true
		}
	} else {
		if g := st.e.gen.Load(); g != st.gen {
			clear(st.fns)
			st.gen = g
		}
		fn = st.fns[c.Script]
		if fn == nil {
			chunk := L.NewFunctionFromProto(c.Script.proto)
			chunk.Env = st.g
			L.Push(chunk)
			if err := L.PCall(0, 1, nil); err != nil {
				L.SetTop(0)
				return append(dst, "-ERR Error running script\r\n"...), true
			}
			fn = L.Get(-1).(*lua.LFunction)
			L.Pop(1)
			st.fns[c.Script] = fn
		}
		name = c.Script.SHA
	}
	if c.Function != nil {
		// Functions get keys and args as parameters; the globals do not
		// exist for them.
		st.env.RawSetString("KEYS", lua.LNil)
		st.env.RawSetString("ARGV", lua.LNil)
	} else {
		st.env.RawSetString("KEYS", st.strTable(c.Keys))
		st.env.RawSetString("ARGV", st.strTable(c.Args))
	}
	st.host = h
	st.resp = 2
	// The kill channel is reused until a kill closes it.
	if st.killCh == nil {
		st.killCh = make(chan struct{})
	}
	r := &Running{Start: time.Now(), Name: name, Function: c.Function != nil, kill: st.killCh}
	if r.Function {
		for _, a := range c.Argv {
			r.Argv = append(r.Argv, string(a))
		}
	}
	st.run = r
	st.e.running.Store(r)
	defer func() {
		st.e.running.Store(nil)
		// Claiming the kill flag ends the run: a SCRIPT KILL racing with
		// the end then cannot close the channel, which stays reusable;
		// if the kill won, the channel is (being) closed and dropped.
		if !r.killed.CompareAndSwap(false, true) {
			st.killCh = nil
		}
		st.run = nil
		st.host = nil
		L.SetTop(0)
	}()
	L.SetTop(0)
	L.Push(fn)
	var err error
	if c.Function != nil {
		// FCALL passes KEYS and ARGV as the function's two arguments.
		L.Push(st.strTable(c.Keys))
		L.Push(st.strTable(c.Args))
		err = L.PCall(2, 1, st.errFn)
	} else {
		err = L.PCall(0, 1, st.errFn)
	}
	if err != nil {
		return st.appendError(dst, err, name, c.Function != nil), true
	}
	v := L.Get(-1)
	isErr := false
	if t, ok := v.(*lua.LTable); ok {
		if _, ok := t.RawGetString("err").(lua.LString); ok {
			isErr = true
		}
	}
	return st.appendValue(dst, v, c.Proto, 0), isErr
}

// Wrote tells the running script's state it has written (SCRIPT KILL
// then refuses).
func (st *State) Wrote() {
	if st.run != nil {
		st.run.wrote.Store(true)
	}
}

func (st *State) strTable(vals [][]byte) *lua.LTable {
	t := st.L.CreateTable(len(vals), 0)
	for i, v := range vals {
		t.RawSetInt(i+1, lua.LString(v))
	}
	return t
}

// errHandler runs where the error was raised: it turns any error value
// into Redis's error table, noting the Lua line it came from.
func (st *State) errHandler(L *lua.LState) int {
	v := L.Get(1)
	msg := ""
	if st.run != nil && st.run.killed.Load() {
		msg = killedMsg
	} else if t, ok := v.(*lua.LTable); ok {
		if s, ok := t.RawGetString("err").(lua.LString); ok {
			msg = string(s)
		} else {
			msg = "ERR " + luaToString(v)
		}
	} else {
		msg = "ERR " + luaToString(v)
	}
	out := L.NewTable()
	out.RawSetString("err", lua.LString(msg))
	for i := 0; ; i++ {
		dbg, ok := L.GetStack(i)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What != "G" && dbg.CurrentLine > 0 {
			out.RawSetString("line", lua.LNumber(dbg.CurrentLine))
			break
		}
	}
	L.Push(out)
	return 1
}

func luaToString(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return fmtNum(float64(x))
	}
	return v.String()
}

// appendError renders a failed run as Redis does: the message, then
// "script: <name>, on @user_script:<line>.".
func (st *State) appendError(dst []byte, err error, name string, function bool) []byte {
	msg := "ERR Error running script"
	line := 0
	if ae, ok := err.(*lua.ApiError); ok {
		if t, ok := ae.Object.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				msg = string(s)
			}
			if n, ok := t.RawGetString("line").(lua.LNumber); ok {
				line = int(n)
			}
		} else if ae.Object != nil {
			msg = "ERR " + luaToString(ae.Object)
		}
	}
	if st.run != nil && st.run.killed.Load() {
		msg = killedMsg
	}
	dst = append(dst, '-')
	dst = appendNoCRLF(dst, msg)
	if line > 0 {
		src := "@user_script"
		if function {
			src = "@user_function"
		}
		dst = append(dst, " script: "...)
		dst = append(dst, name...)
		dst = append(dst, ", on "...)
		dst = append(dst, src...)
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(line), 10)
		dst = append(dst, '.')
	}
	return append(dst, '\r', '\n')
}

// appendNoCRLF appends s with CR and LF turned into spaces, as Redis does
// for error and status replies built from script strings.
func appendNoCRLF(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// fmtNum is Lua 5.1's "%.14g".
func fmtNum(f float64) string {
	switch {
	case f != f:
		if strings.HasPrefix(strconv.FormatFloat(f, 'g', -1, 64), "-") {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// luaPcall is Lua's pcall, except that an error table ({err=...}, what
// redis.call raises) is handed to the script as its message string.
func luaPcall(L *lua.LState) int {
	L.CheckAny(1)
	n := L.GetTop()
	err := L.PCall(n-1, lua.MultRet, nil)
	if err != nil {
		obj := lua.LValue(lua.LString(err.Error()))
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				obj = s
			}
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// luaError is Lua's error: strings and numbers get the position prefix.
func luaError(L *lua.LState) int {
	obj := L.Get(1)
	level := L.OptInt(2, 1)
	if n, ok := obj.(lua.LNumber); ok {
		obj = lua.LString(fmtNum(float64(n)))
	}
	L.Error(obj, level)
	return 0
}
