package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// Config holds the value of every parameter. It is safe for concurrent
// use: readers take a read lock; writers (Set, Load*, Rewrite, Override)
// are serialised by a separate mutex so apply hooks can run — and read the
// configuration — without the value lock held.
type Config struct {
	writeMu sync.Mutex // serialises writers; held while hooks run

	mu   sync.RWMutex // guards everything below but nums
	vals []value      // indexed like params; written through setVal
	// nums mirrors vals[i].n, so that Int, which commands call on hot
	// paths (the encodings' limits), reads one atomic word instead of
	// taking mu: no lock word written by every reader on every core.
	nums  []atomic.Int64
	hooks [][]func(*Config) error
	file  string // absolute path of the config file, "" if none

	users       [][]string  // "user" directives: name then rules
	renames     [][2]string // "rename-command" directives
	renamedAway map[string]bool
	renamedTo   map[string]bool
	saveLoaded  bool     // a "save" line was read from a config (see loadSave)
	unimpl      []string // snapshot taken at the end of the last load
	checks      Checks
	warnf       func(format string, args ...any)
}

// Checks are validations and data that need knowledge from outside this
// package. Any of them may be nil.
type Checks struct {
	// CommandExists reports whether a command exists (any case); it lets
	// rename-command report "No such command in rename-command" while the
	// file is read. Without it every name is accepted.
	CommandExists func(name string) bool
	// UserRules validates the rules of a "user" directive. It returns -1
	// when they are valid, or the index in rules of the first bad one and
	// the ACL error text (e.g. "Syntax error").
	UserRules func(rules []string) (bad int, msg string)
	// UserLines returns the lines CONFIG REWRITE writes for the users
	// (Redis writes "user <name> <ACL describe>" for each). When nil,
	// existing user lines are left untouched.
	UserLines func() []string
}

// SetOptions describe the client issuing a CONFIG SET.
type SetOptions struct {
	// Local is true for clients on a loopback address or a unix socket;
	// with enable-protected-configs "local" they may set protected
	// parameters (dir, dbfilename).
	Local bool
	// Loading is true while the server loads its data set; parameters
	// flagged deny-loading are then refused with -LOADING.
	Loading bool
}

// New returns a configuration holding every default, as a Redis server
// started without any configuration reports them. "dir" defaults to the
// process's working directory.
func New() *Config {
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "/"
	}
	c := &Config{
		vals:        make([]value, len(params)),
		nums:        make([]atomic.Int64, len(params)),
		hooks:       make([][]func(*Config) error, len(params)),
		renamedAway: map[string]bool{},
		renamedTo:   map[string]bool{},
	}
	for i := range params {
		c.setVal(i, defaultValue(&params[i], cwd))
	}
	return c
}

// SetChecks installs the outside validations; call it before loading.
func (c *Config) SetChecks(ch Checks) {
	c.mu.Lock()
	c.checks = ch
	c.mu.Unlock()
}

// SetUserLines installs Checks.UserLines alone: the server owns the users
// and only exists after the configuration was loaded with the other checks.
func (c *Config) SetUserLines(fn func() []string) {
	c.mu.Lock()
	c.checks.UserLines = fn
	c.mu.Unlock()
}

// SetWarnf installs where the package reports what Redis would log as a
// warning (a failed rollback, suspicious oom-score-adj-values, reading the
// config from stdin). Without it those messages are dropped.
func (c *Config) SetWarnf(fn func(format string, args ...any)) {
	c.mu.Lock()
	c.warnf = fn
	c.mu.Unlock()
}

func (c *Config) warn(format string, args ...any) {
	c.mu.RLock()
	fn := c.warnf
	c.mu.RUnlock()
	if fn != nil {
		fn(format, args...)
	}
}

// File returns the absolute path of the config file, "" if none.
func (c *Config) File() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.file
}

// Get implements CONFIG GET: it returns name, value, name, value... for
// every parameter matching one of the patterns (Redis globs, any case).
// A pattern without * ? [ is an exact name and is echoed as typed; it also
// finds hidden parameters, which globs skip. Each name (a primary name or
// an alias) appears once. Redis returns the pairs in its hash table's
// per-process random order; Taconite returns them in pattern order, the
// matches of one glob sorted by name.
func (c *Config) Get(patterns ...string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[string]bool{}
	var out []string
	for _, pat := range patterns {
		if !strings.ContainsAny(pat, "[*?") {
			key := asciiLower(pat)
			if seen[key] {
				continue
			}
			if e, ok := byName[key]; ok {
				seen[key] = true
				out = append(out, pat, format(&params[e.idx], c.vals[e.idx]))
			}
			continue
		}
		for _, e := range sortedEntries {
			if params[e.idx].has(fHidden) || seen[e.name] {
				continue
			}
			if stringMatch(pat, e.name, true) {
				seen[e.name] = true
				out = append(out, e.name, format(&params[e.idx], c.vals[e.idx]))
			}
		}
	}
	return out
}

// Set implements CONFIG SET for a remote, non-local client while the data
// set is not loading; see SetWith.
func (c *Config) Set(pairs ...string) error {
	return c.SetWith(SetOptions{}, pairs...)
}

// setItem is one name/value pair of a CONFIG SET.
type setItem struct {
	e   entry
	raw string
}

// SetWith implements CONFIG SET name value [name value ...]: all pairs are
// validated and stored, or none is. Then the apply hooks of the parameters
// whose value changed run, in argument order; if one fails every value is
// restored and the hooks run again to re-apply the old values. The error's
// Error() is the exact reply text (without the leading '-').
func (c *Config) SetWith(opt SetOptions, pairs ...string) error {
	if len(pairs) < 2 {
		return errors.New("ERR wrong number of arguments for 'config|set' command")
	}
	if len(pairs)%2 != 0 {
		return errors.New("ERR syntax error")
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()

	c.mu.Lock()
	items, err := c.checkSetNames(opt, pairs)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	// Store every value, in order, so a later pair sees an earlier one
	// (an alias given after its primary name wins, as in Redis).
	old := make([]value, len(items))
	for i, it := range items {
		p := &params[it.e.idx]
		old[i] = c.vals[it.e.idx]
		args := []string{it.raw}
		if p.has(fMultiArg) {
			args = splitSpaces(it.raw)
		}
		v, msg := c.parseValue(p, args, c.vals[it.e.idx])
		if msg != "" {
			for j := i - 1; j >= 0; j-- {
				c.setVal(items[j].e.idx, old[j])
			}
			c.mu.Unlock()
			return setFailed(it.e.name, msg)
		}
		c.setVal(it.e.idx, v)
	}
	// A parameter's hooks run once, in the order of its first pair, and
	// only when its value changed.
	var changed []int
	var changedName []string
	done := map[int]bool{}
	for i, it := range items {
		p := &params[it.e.idx]
		if done[it.e.idx] || format(p, old[i]) == format(p, c.vals[it.e.idx]) {
			continue
		}
		done[it.e.idx] = true
		changed = append(changed, it.e.idx)
		changedName = append(changedName, it.e.name)
	}
	hooks := make([][]func(*Config) error, len(changed))
	for i, idx := range changed {
		hooks[i] = append([]func(*Config) error(nil), c.hooks[idx]...)
	}
	c.mu.Unlock()

	for i := range changed {
		for _, fn := range hooks[i] {
			if err := fn(c); err != nil {
				c.warn("Failed applying new configuration. Possibly related to new %s setting. Restoring previous settings.", changedName[i])
				c.restore(items, old, changed, hooks)
				return setFailed(changedName[i], err.Error())
			}
		}
	}
	return nil
}

// checkSetNames does CONFIG SET's first pass over the names, reporting the
// same error Redis would for the same arguments: the first unknown name,
// or the first immutable/protected/duplicate one, and -LOADING above all.
func (c *Config) checkSetNames(opt SetOptions, pairs []string) ([]setItem, error) {
	prot := c.vals[mustLookup("enable-protected-configs").idx].n
	protectedOK := prot == 1 || (prot == 2 && opt.Local)
	var (
		items       []setItem
		invalid     bool
		denyLoading bool
		unknown     string
		haveUnknown bool // unknown may be "" itself
		errName     string
		errMsg      string
	)
	for i := 0; i < len(pairs); i += 2 {
		name := pairs[i]
		e, ok := lookup(name)
		if !ok {
			if !invalid {
				unknown, haveUnknown = name, true
				invalid = true
			}
			continue
		}
		if invalid {
			continue
		}
		p := &params[e.idx]
		if p.has(fImmutable) || (p.has(fProtected) && !protectedOK) {
			errMsg = "can't set protected config"
			if p.has(fImmutable) {
				errMsg = "can't set immutable config"
			}
			errName = name
			invalid = true
			continue
		}
		if opt.Loading && p.has(fDenyLoading) {
			denyLoading = true
			invalid = true
			continue
		}
		for _, prev := range items {
			// Redis compares table entries, and an alias is an entry of
			// its own: "port x PORT y" is a duplicate, "replica-read-only
			// x slave-read-only y" is not.
			if prev.e.name == e.name {
				errMsg = "duplicate parameter"
				errName = name
				invalid = true
				break
			}
		}
		items = append(items, setItem{e: e, raw: pairs[i+1]})
	}
	switch {
	case denyLoading:
		return nil, errors.New("LOADING Redis is loading the dataset in memory")
	case haveUnknown:
		return nil, fmt.Errorf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", unknown)
	case invalid:
		return nil, setFailed(errName, errMsg)
	}
	return items, nil
}

func setFailed(name, msg string) error {
	if msg == "" {
		return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s')", name)
	}
	return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, msg)
}

// restore puts back the values a failed CONFIG SET replaced and re-runs
// the hooks so the subsystems return to them. Failures here can only be
// logged, as in Redis.
func (c *Config) restore(items []setItem, old []value, changed []int, hooks [][]func(*Config) error) {
	c.mu.Lock()
	for j := len(items) - 1; j >= 0; j-- {
		c.setVal(items[j].e.idx, old[j])
	}
	c.mu.Unlock()
	for i := range changed {
		for _, fn := range hooks[i] {
			if err := fn(c); err != nil {
				c.warn("Failed applying restored failed CONFIG SET command: %s", err.Error())
			}
		}
	}
}

// Override sets a parameter from inside the server, bypassing the
// immutable and protected flags: for instance REPLICAOF changes
// "replicaof", or the OS limit lowers "maxclients". The words are checked
// as a config file line's would be; no hook runs. The error is Redis's
// reason text (e.g. "Invalid master port").
func (c *Config) Override(name string, args ...string) error {
	e, ok := lookup(name)
	if !ok {
		return fmt.Errorf("unknown configuration parameter %q", name)
	}
	p := &params[e.idx]
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !p.has(fMultiArg) && len(args) != 1 {
		return errors.New("wrong number of arguments")
	}
	v, msg := c.parseValue(p, args, c.vals[e.idx])
	if msg != "" {
		return errors.New(msg)
	}
	c.setVal(e.idx, v)
	return nil
}

// OnApply registers fn to run after the named parameter's value changed
// through CONFIG SET (not while loading). Hooks of one parameter run in
// registration order. A hook error rolls the whole CONFIG SET back, and its
// text becomes the reason in the reply. Hooks may read the configuration
// but must not call Set, Override, Load* or Rewrite.
func (c *Config) OnApply(name string, fn func(c *Config) error) {
	e := mustLookup(name)
	c.mu.Lock()
	c.hooks[e.idx] = append(c.hooks[e.idx], fn)
	c.mu.Unlock()
}

func mustLookup(name string) entry {
	e, ok := lookup(name)
	if !ok {
		panic("config: unknown parameter " + name)
	}
	return e
}

func (c *Config) read(name string) (*param, value) {
	e := mustLookup(name)
	c.mu.RLock()
	v := c.vals[e.idx]
	c.mu.RUnlock()
	return &params[e.idx], v
}

// Int returns an integer view of a parameter: numbers (memory sizes in
// bytes; percentages as the negated percentage, as Redis stores them),
// booleans as 0/1, enums as their position in Redis's list of names
// (oom-score-adj: no=0 yes=relative=1 absolute=2; shutdown-on-sig*: bits
// save=1 nosave=2 now=4 force=8), notify-keyspace-events as Notify* bits.
// It panics on an unknown name or a parameter that is not a number.
func (c *Config) Int(name string) int64 { return c.IntRef(name).Load() }

// IntRef is a read handle on an integer parameter: Load is Int without
// the lookup by name, for values read on every command of a kind (the
// collections' encoding limits).
type IntRef struct{ v *atomic.Int64 }

// Load returns the parameter's current value, as Int.
func (r IntRef) Load() int64 { return r.v.Load() }

// IntRef returns a read handle on the integer parameter name; it panics
// where Int would.
func (c *Config) IntRef(name string) IntRef {
	e := mustLookup(name)
	switch params[e.idx].kind {
	case kindBool, kindNum, kindEnum, kindNotify:
		return IntRef{&c.nums[e.idx]}
	}
	panic("config: " + name + " is not an integer parameter")
}

// Uint returns a number parameter as unsigned, for the memory sizes Redis
// keeps unsigned (maxmemory can be set up to 2^64-1).
func (c *Config) Uint(name string) uint64 {
	return uint64(c.Int(name))
}

// Bool returns a yes/no parameter. It panics on an unknown name or a
// parameter that is not yes/no.
func (c *Config) Bool(name string) bool {
	p, v := c.read(name)
	if p.kind != kindBool {
		panic("config: " + name + " is not a yes/no parameter")
	}
	return v.n != 0
}

// String returns a parameter's value exactly as CONFIG GET prints it.
func (c *Config) String(name string) string {
	p, v := c.read(name)
	return format(p, v)
}

// Strings returns a multi-valued parameter word by word: bind addresses,
// replicaof host and port (none when not a replica), the numbers of save,
// client-output-buffer-limit (class names included), oom-score-adj-values
// and latency-tracking-info-percentiles, the flags of shutdown-on-sig*.
// Other parameters give their single value.
func (c *Config) Strings(name string) []string {
	p, v := c.read(name)
	return words(p, v)
}

// SaveParam is one "save <seconds> <changes>" point.
type SaveParam struct {
	Seconds int64
	Changes int64
}

// SaveParams returns the snapshotting points of "save".
func (c *Config) SaveParams() []SaveParam {
	_, v := c.read("save")
	out := make([]SaveParam, 0, len(v.nums)/2)
	for i := 0; i+1 < len(v.nums); i += 2 {
		out = append(out, SaveParam{v.nums[i], v.nums[i+1]})
	}
	return out
}

// OutputBufferLimit is one class of client-output-buffer-limit.
type OutputBufferLimit struct {
	Hard, Soft  uint64 // bytes; 0 means no limit
	SoftSeconds int64
}

// ClientOutputBufferLimit returns the limits of a client class: "normal",
// "replica" (or "slave") or "pubsub". It panics on another class.
func (c *Config) ClientOutputBufferLimit(class string) OutputBufferLimit {
	i := -1
	switch asciiLower(class) {
	case "normal":
		i = obufNormal
	case "replica", "slave":
		i = obufReplica
	case "pubsub":
		i = obufPubsub
	}
	if i < 0 {
		panic("config: unknown client class " + class)
	}
	_, v := c.read("client-output-buffer-limit")
	return OutputBufferLimit{uint64(v.nums[i*3]), uint64(v.nums[i*3+1]), v.nums[i*3+2]}
}

// Unimplemented returns the names of the parameters Taconite does not act
// upon that the last loaded file or command line gave a non-default value,
// in table order, plus "rename-command" when that directive was used. The
// server logs one warning for each.
func (c *Config) Unimplemented() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]string(nil), c.unimpl...)
}

// Users returns the "user" directives read from the configuration, each as
// the user name followed by its rules, for the ACL subsystem.
func (c *Config) Users() [][]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([][]string, len(c.users))
	for i, u := range c.users {
		out[i] = append([]string(nil), u...)
	}
	return out
}

// RenamedCommands returns the "rename-command old new" directives in file
// order; an empty new name removes the command.
func (c *Config) RenamedCommands() [][2]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([][2]string(nil), c.renames...)
}

// snapshotUnimplemented records which non-implemented parameters differ
// from their default; callers hold c.mu.
func (c *Config) snapshotUnimplemented() {
	var names []string
	def := New()
	for i := range params {
		p := &params[i]
		if p.impl {
			continue
		}
		if format(p, c.vals[i]) != format(p, def.vals[i]) {
			names = append(names, p.name)
		}
	}
	if len(c.renames) > 0 {
		names = append(names, "rename-command")
	}
	c.unimpl = names
}

// asciiLower lowers ASCII letters only, like C's tolower in the C locale.
// setVal sets parameter i's value; the caller holds mu for writing (or
// owns c, while loading).
func (c *Config) setVal(i int, v value) {
	c.vals[i] = v
	c.nums[i].Store(v.n)
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
