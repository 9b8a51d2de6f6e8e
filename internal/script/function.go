package script

import (
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Library is one FUNCTION LOAD unit.
type Library struct {
	Name  string
	Code  string
	Funcs []*Function // sorted by name
	proto *lua.FunctionProto
}

// Function is one registered function.
type Function struct {
	Name    string
	Lib     *Library
	Flags   int
	Desc    string
	HasDesc bool
}

// FlagNames lists f's flags in Redis's order.
func (f *Function) FlagNames() []string {
	var out []string
	for _, fl := range flagNames {
		if f.Flags&fl.bit != 0 {
			out = append(out, fl.name)
		}
	}
	return out
}

// loadCtx collects register_function calls while a library body runs.
type loadCtx struct {
	funcs map[string]*regFunc
	order []string
}

type regFunc struct {
	fn      *lua.LFunction
	flags   int
	desc    string
	hasDesc bool
}

// libInstance is a library's functions in one state.
type libInstance struct {
	funcs map[string]*lua.LFunction
}

// validName: letters, digits and underscores, at least one.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// parseLibraryHeader reads the "#!lua name=..." line of a library.
func parseLibraryHeader(code string) (name, rest, errMsg string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "", "ERR Missing library metadata"
	}
	line, rest, _ := strings.Cut(code, "\n")
	parts := strings.Fields(line)
	if len(parts) == 0 || parts[0] != "#!lua" {
		eng := strings.TrimPrefix(line, "#!")
		if len(parts) > 0 {
			eng = strings.TrimPrefix(parts[0], "#!")
		}
		return "", "", "ERR Engine '" + eng + "' not found"
	}
	hasName := false
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "name=")
		if !ok {
			return "", "", "ERR Invalid metadata value given: " + p
		}
		name, hasName = v, true
	}
	if !hasName {
		return "", "", "ERR Library name was not given"
	}
	if !validName(name) {
		return "", "", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	return name, rest, ""
}

// buildLibrary compiles a library and runs its body once in a scratch
// state to learn its functions.
func (e *Engine) buildLibrary(name, code, rest string) (*Library, string) {
	proto, msg := compile("\n"+rest, "user_function")
	if msg != "" {
		return nil, "ERR Error compiling function: " + msg
	}
	lib := &Library{Name: name, Code: code, proto: proto}
	st := e.NewState()
	defer st.Close()
	lc, errMsg := st.instantiate(lib)
	if errMsg != "" {
		return nil, "ERR Error registering functions: " + errMsg
	}
	if len(lc.order) == 0 {
		return nil, "ERR No functions registered"
	}
	for _, fname := range lc.order {
		rf := lc.funcs[fname]
		lib.Funcs = append(lib.Funcs, &Function{Name: fname, Lib: lib, Flags: rf.flags, Desc: rf.desc, HasDesc: rf.hasDesc})
	}
	sort.Slice(lib.Funcs, func(i, j int) bool { return lib.Funcs[i].Name < lib.Funcs[j].Name })
	return lib, ""
}

// LoadLibrary is FUNCTION LOAD: it returns the library name, or the
// error text.
func (e *Engine) LoadLibrary(code string, replace bool) (string, string) {
	name, rest, msg := parseLibraryHeader(code)
	if msg != "" {
		return "", msg
	}
	e.fmu.RLock()
	_, exists := e.libs[name]
	e.fmu.RUnlock()
	if exists && !replace {
		return "", "ERR Library '" + name + "' already exists"
	}
	lib, msg := e.buildLibrary(name, code, rest)
	if msg != "" {
		return "", msg
	}
	e.fmu.Lock()
	defer e.fmu.Unlock()
	if _, ok := e.libs[name]; ok && !replace {
		return "", "ERR Library '" + name + "' already exists"
	}
	for _, f := range lib.Funcs {
		if other, ok := e.funcs[f.Name]; ok && other.Lib.Name != name {
			return "", "ERR Function " + f.Name + " already exists"
		}
	}
	e.installLocked(lib)
	e.fgen.Add(1)
	return name, ""
}

// installLocked adds lib, replacing a library of the same name.
func (e *Engine) installLocked(lib *Library) {
	if old, ok := e.libs[lib.Name]; ok {
		for _, f := range old.Funcs {
			delete(e.funcs, f.Name)
		}
	}
	e.libs[lib.Name] = lib
	for _, f := range lib.Funcs {
		e.funcs[f.Name] = f
	}
}

// DeleteLibrary is FUNCTION DELETE.
func (e *Engine) DeleteLibrary(name string) bool {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	lib, ok := e.libs[name]
	if !ok {
		return false
	}
	for _, f := range lib.Funcs {
		delete(e.funcs, f.Name)
	}
	delete(e.libs, name)
	e.fgen.Add(1)
	return true
}

// FlushLibraries is FUNCTION FLUSH.
func (e *Engine) FlushLibraries() {
	e.fmu.Lock()
	e.libs = make(map[string]*Library)
	e.funcs = make(map[string]*Function)
	e.fmu.Unlock()
	e.fgen.Add(1)
}

// LookupFunction finds a function by name.
func (e *Engine) LookupFunction(name []byte) *Function {
	e.fmu.RLock()
	defer e.fmu.RUnlock()
	return e.funcs[string(name)]
}

// Libraries returns the libraries sorted by name.
func (e *Engine) Libraries() []*Library {
	e.fmu.RLock()
	defer e.fmu.RUnlock()
	out := make([]*Library, 0, len(e.libs))
	for _, l := range e.libs {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FunctionCount is the number of registered functions.
func (e *Engine) FunctionCount() int {
	e.fmu.RLock()
	defer e.fmu.RUnlock()
	return len(e.funcs)
}

// functionFor returns this state's instance of f, loading its library in
// this state on first use.
func (st *State) functionFor(f *Function) *lua.LFunction {
	if g := st.e.fgen.Load(); g != st.fgen || st.libs == nil {
		st.libs = make(map[*Library]*libInstance)
		st.fgen = g
	}
	inst := st.libs[f.Lib]
	if inst == nil {
		lc, msg := st.instantiate(f.Lib)
		if msg != "" {
			return nil
		}
		inst = &libInstance{funcs: make(map[string]*lua.LFunction)}
		for name, rf := range lc.funcs {
			inst.funcs[name] = rf.fn
		}
		st.libs[f.Lib] = inst
	}
	return inst.funcs[f.Name]
}

// instantiate runs a library body in this state. While it runs, its
// globals are only the load API (redis.register_function, redis.log, the
// version); afterwards its functions see the regular environment.
func (st *State) instantiate(lib *Library) (*loadCtx, string) {
	L := st.L
	lc := &loadCtx{funcs: make(map[string]*regFunc)}
	view := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", st.loadAPI())
	mt.RawSetString("__newindex", st.readonly)
	L.SetMetatable(view, mt)
	fn := L.NewFunctionFromProto(lib.proto)
	fn.Env = view
	st.loading = lc
	top := L.GetTop()
	L.Push(fn)
	err := L.PCall(0, 0, st.errFn)
	st.loading = nil
	L.SetTop(top)
	mt.RawSetString("__index", st.env)
	if err != nil {
		msg := "ERR Error running script"
		if ae, ok := err.(*lua.ApiError); ok {
			if t, ok := ae.Object.(*lua.LTable); ok {
				if s, ok := t.RawGetString("err").(lua.LString); ok {
					msg = string(s)
				}
			}
		}
		return nil, msg
	}
	return lc, ""
}

// loadAPI builds the globals a library body sees while loading.
func (st *State) loadAPI() *lua.LTable {
	L := st.L
	api := L.NewTable()
	r := L.NewTable()
	full := st.redisReal
	for _, k := range []string{"register_function", "log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		r.RawSetString(k, full.RawGetString(k))
	}
	L.SetMetatable(r, st.strictMT)
	api.RawSetString("redis", r)
	L.SetMetatable(api, st.strictMT)
	return api
}

// registerFunction is redis.register_function; outside FUNCTION LOAD it
// fails as in Redis.
func (st *State) registerFunction(L *lua.LState) int {
	lc := st.loading
	if lc == nil {
		raise(L, "ERR redis.register_function can only be called on FUNCTION LOAD command")
	}
	var name string
	var fn *lua.LFunction
	rf := &regFunc{}
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			raise(L, "ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		hasName := false
		var bad string
		eachPair(t, func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			ks, _ := k.(lua.LString)
			switch string(ks) {
			case "function_name":
				s, ok := luaStringish(v)
				if !ok {
					bad = "ERR function_name argument given to redis.register_function must be a string"
					return
				}
				name, hasName = string(s), true
			case "callback":
				f, ok := v.(*lua.LFunction)
				if !ok {
					bad = "ERR callback argument given to redis.register_function must be a function"
					return
				}
				fn = f
			case "description":
				s, ok := luaStringish(v)
				if !ok {
					bad = "ERR description argument given to redis.register_function must be a string"
					return
				}
				rf.desc, rf.hasDesc = string(s), true
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "ERR flags argument to redis.register_function must be a table representing function flags"
					return
				}
				ft.ForEach(func(_, fv lua.LValue) {
					s, _ := fv.(lua.LString)
					bit := flagBit(string(s))
					if bit == 0 && bad == "" {
						bad = "ERR unknown flag given"
					}
					rf.flags |= bit
				})
			default:
				bad = "ERR unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			raise(L, bad)
		}
		if !hasName {
			raise(L, "ERR redis.register_function must get a function name argument")
		}
		if fn == nil {
			raise(L, "ERR redis.register_function must get a callback argument")
		}
	case 2:
		switch v := L.Get(1).(type) {
		case lua.LString:
			name = string(v)
		case lua.LNumber:
			name = fmtNum(float64(v))
		default:
			raise(L, "ERR first argument to redis.register_function must be a string")
		}
		f, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			raise(L, "ERR second argument to redis.register_function must be a function")
		}
		fn = f
	default:
		raise(L, "ERR wrong number of arguments to redis.register_function")
	}
	if !validName(name) {
		raise(L, "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	if _, ok := lc.funcs[name]; ok {
		raise(L, "ERR Function already exists in the library")
	}
	rf.fn = fn
	lc.funcs[name] = rf
	lc.order = append(lc.order, name)
	return 0
}

// luaStringish is lua_isstring: strings, and numbers as their text.
func luaStringish(v lua.LValue) (lua.LString, bool) {
	switch x := v.(type) {
	case lua.LString:
		return x, true
	case lua.LNumber:
		return lua.LString(fmtNum(float64(x))), true
	}
	return "", false
}
