package script

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Script flags, from a "#!lua flags=..." shebang or register_function.
const (
	FlagNoWrites = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	// FlagShebang marks a script that declared a shebang (new-style
	// script: flags apply even when empty).
	FlagShebang
)

// flagNames maps the shebang/function flag names to bits, in the order
// FUNCTION LIST reports them.
var flagNames = []struct {
	name string
	bit  int
}{
	{"no-writes", FlagNoWrites},
	{"allow-oom", FlagAllowOOM},
	{"allow-stale", FlagAllowStale},
	{"no-cluster", FlagNoCluster},
	{"allow-cross-slot-keys", FlagAllowCrossSlot},
}

// Script is one compiled EVAL body.
type Script struct {
	SHA   string
	Body  string
	Flags int
	proto *lua.FunctionProto
}

// Engine is what every state of one server shares: the script cache, the
// function libraries and the running-script state that other clients read
// (BUSY, SCRIPT KILL).
type Engine struct {
	mu      sync.RWMutex
	scripts map[string]*Script
	gen     atomic.Uint64 // bumped by Flush so states drop compiled functions

	fmu     sync.RWMutex
	libs    map[string]*Library
	funcs   map[string]*Function
	fgen    atomic.Uint64
	running atomic.Pointer[Running]
}

// Running describes the script being executed right now, if any.
type Running struct {
	Start    time.Time
	Name     string // sha or function name
	Function bool
	Argv     []string // FCALL's command, for FUNCTION STATS
	wrote    atomic.Bool
	kill     chan struct{}
	killed   atomic.Bool
}

// NewEngine returns an empty engine.
func NewEngine() *Engine {
	return &Engine{
		scripts: make(map[string]*Script),
		libs:    make(map[string]*Library),
		funcs:   make(map[string]*Function),
	}
}

// SHA1Hex is the lower-case hex SHA1 of s, the script cache key.
func SHA1Hex(s []byte) string {
	h := sha1.Sum(s)
	return hex.EncodeToString(h[:])
}

// Lookup finds a cached script by SHA (any case).
func (e *Engine) Lookup(sha []byte) *Script {
	if len(sha) != 40 {
		return nil
	}
	var buf [40]byte
	for i, c := range sha {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	e.mu.RLock()
	s := e.scripts[string(buf[:])]
	e.mu.RUnlock()
	return s
}

// Exists reports whether sha is cached.
func (e *Engine) Exists(sha []byte) bool { return e.Lookup(sha) != nil }

// Load compiles body and caches it; the error is the reply text.
func (e *Engine) Load(body []byte) (*Script, string) {
	sha := SHA1Hex(body)
	e.mu.RLock()
	s := e.scripts[sha]
	e.mu.RUnlock()
	if s != nil {
		return s, ""
	}
	flags, src, errMsg := parseShebang(string(body))
	if errMsg != "" {
		return nil, errMsg
	}
	// Wrapped in a function, as Redis does (f_<sha>): a main chunk is
	// vararg and gopher-lua builds an "arg" table on every call of one.
	proto, err := compile("return function() "+src+"\nend", "user_script")
	if err != "" {
		return nil, "ERR Error compiling script (new function): " + err
	}
	s = &Script{SHA: sha, Body: string(body), Flags: flags, proto: proto}
	e.mu.Lock()
	e.scripts[sha] = s
	e.mu.Unlock()
	return s, ""
}

// Flush empties the script cache.
func (e *Engine) Flush() {
	e.mu.Lock()
	e.scripts = make(map[string]*Script)
	e.mu.Unlock()
	e.gen.Add(1)
}

// Count and Memory are for INFO.
func (e *Engine) Count() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.scripts)
}

// Running returns the script executing now, or nil.
func (e *Engine) Running() *Running { return e.running.Load() }

// Kill asks the running script to stop. It returns the reply error text,
// "" on success.
func (e *Engine) Kill(function bool) string {
	r := e.running.Load()
	if r == nil {
		return "NOTBUSY No scripts in execution right now."
	}
	if r.wrote.Load() {
		return "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	}
	if r.Function && !function {
		return "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	}
	if !r.Function && function {
		return "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	}
	if r.killed.CompareAndSwap(false, true) {
		close(r.kill)
	}
	return ""
}

// parseShebang reads an optional "#!lua flags=..." first line. It returns
// the flags and the source to compile, with the shebang line emptied so
// line numbers stay the user's.
func parseShebang(body string) (int, string, string) {
	if !strings.HasPrefix(body, "#!") {
		return 0, body, ""
	}
	line, rest, _ := strings.Cut(body, "\n")
	parts := strings.Fields(line)
	if len(parts) == 0 || parts[0] != "#!lua" {
		eng := line
		if len(parts) > 0 {
			eng = parts[0]
		}
		return 0, "", "ERR Unexpected engine in script shebang: " + eng
	}
	flags := FlagShebang
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, "", "ERR Unknown lua shebang option: " + p
		}
		for _, f := range strings.Split(v, ",") {
			if f == "" {
				continue
			}
			bit := flagBit(f)
			if bit == 0 {
				return 0, "", "ERR Unexpected flag in script shebang: " + f
			}
			flags |= bit
		}
	}
	return flags, "\n" + rest, ""
}

func flagBit(name string) int {
	for _, f := range flagNames {
		if f.name == name {
			return f.bit
		}
	}
	return 0
}

// compile parses and compiles a chunk into a prototype shared by states.
func compile(src, name string) (*lua.FunctionProto, string) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, syntaxError(name, err)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, syntaxError(name, err)
	}
	return proto, ""
}

// syntaxError renders gopher-lua's parse errors as "name:line: msg", the
// shape of Lua's own messages ("user_script:1: ... near 'x'").
func syntaxError(name string, err error) string {
	if pe, ok := err.(*parse.Error); ok {
		return name + ":" + itoa(pe.Pos.Line) + ": " + pe.Message + " near '" + pe.Token + "'"
	}
	if ce, ok := err.(*lua.CompileError); ok {
		return name + ":" + itoa(ce.Line) + ": " + ce.Message
	}
	return name + ": " + err.Error()
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Abort stops the running script even if it has written: SHUTDOWN NOSAVE
// uses it, as Redis lets SHUTDOWN NOSAVE end a busy server.
func (e *Engine) Abort() {
	if r := e.running.Load(); r != nil && r.killed.CompareAndSwap(false, true) {
		close(r.kill)
	}
}
