package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// FatalError is a configuration error that must stop the server (exit
// status 1). Error() is exactly what redis-server prints on stderr, e.g.
//
//	\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n
//	Reading the configuration file, at line 2\n
//	>>> 'port "abc"'\n
//	argument couldn't be parsed into an integer\n
//
// except when LogOnly is set: Redis reports those (a config file that
// cannot be opened) through its log instead, and Error() is the log
// message alone.
type FatalError struct {
	Line    int    // 1-based line in the text being read; 0 if not about a line
	Text    string // that line, trimmed, as Redis echoes it
	Reason  string // what is wrong, in Redis's words
	LogOnly bool   // report through the log at warning level, not the banner
}

func (e *FatalError) Error() string {
	if e.LogOnly {
		return e.Reason
	}
	var b strings.Builder
	b.WriteString("\n*** FATAL CONFIG FILE ERROR (Redis " + RedisVersion + ") ***\n")
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n", e.Line)
		fmt.Fprintf(&b, ">>> '%s'\n", e.Text)
	}
	b.WriteString(e.Reason + "\n")
	return b.String()
}

// maxIncludeDepth stops include loops; Redis would recurse until it
// crashes.
const maxIncludeDepth = 64

// LoadFile reads a redis.conf. The path is remembered (made absolute) as
// the file CONFIG REWRITE writes. The error, if any, is a *FatalError.
func (c *Config) LoadFile(path string) error {
	abs := absPath(path)
	text, err := readConfigFile(abs)
	if err != nil {
		return openError(abs, err)
	}
	return c.LoadString(text, abs)
}

// LoadArgs loads the configuration from the command line, os.Args[1:],
// like redis-server: an optional first argument not starting with '-' is
// the config file, "-" as the first or last argument appends standard
// input, and "--name value ..." options follow (see ArgsToConfig). Options
// such as --version or --help are the caller's to handle first. With no
// arguments nothing is loaded. The error, if any, is a *FatalError.
func (c *Config) LoadArgs(args []string) error {
	return c.LoadArgsFrom(args, os.Stdin)
}

// LoadArgsFrom is LoadArgs reading "-" from stdin (nil: nothing) instead of
// os.Stdin.
func (c *Config) LoadArgsFrom(args []string, stdin io.Reader) error {
	if len(args) == 0 {
		return nil
	}
	file, options, fromStdin := ArgsToConfig(args)
	var text, abs string
	if !strings.HasPrefix(args[0], "-") {
		abs = absPath(file)
		t, err := readConfigFile(abs)
		if err != nil {
			return openError(abs, err)
		}
		text = t
	}
	if fromStdin && stdin != nil {
		c.warn("Reading config from stdin")
		data, err := io.ReadAll(stdin)
		if err != nil {
			return &FatalError{Reason: "Reading config from stdin: " + strerror(err), LogOnly: true}
		}
		text += string(data)
	}
	text += "\n" + options
	return c.LoadString(text, abs)
}

// ArgsToConfig turns command line arguments (os.Args[1:]) into config
// text exactly as redis-server does: "--name" starts a new line "name ",
// each following argument is appended quoted ("value" ) until the next
// "--name". A lone "--save" (last, or followed by another option) means
// save "". The first argument is the config file when it does not start
// with '-'; "-" first or last means "also read standard input".
func ArgsToConfig(args []string) (file, options string, stdin bool) {
	j := 0
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file = args[0]
		j = 1
	}
	var b strings.Builder
	handledLast := true // the previous option already has a value
	for ; j < len(args); j++ {
		a := args[j]
		if a == "-" && (j == 0 || j == len(args)-1) {
			stdin = true
			continue
		}
		if handledLast && strings.HasPrefix(a, "--") {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(a[2:])
			b.WriteString(" ")
			words, ok := splitArgs(a)
			if ok && len(words) == 1 {
				// Only an option name, like "--port": values follow.
				handledLast = false
				last := j == len(args)-1
				nextIsOption := !last && strings.HasPrefix(args[j+1], "--")
				switch {
				case asciiLower(a) == "--save" && nextIsOption:
					b.WriteString(`""`)
					handledLast = true
				case asciiLower(a) == "--save" && last:
					b.WriteString(`""`)
				case asciiLower(a) == "--sentinel" && nextIsOption:
					handledLast = true
				}
			} else {
				// Name and value in one argument, like "--port 6380".
				handledLast = true
			}
			continue
		}
		b.WriteString(repr(a))
		b.WriteString(" ")
		handledLast = true
	}
	return file, b.String(), stdin
}

// LoadString reads config text. fileName, when not empty, is the file the
// text comes from: it is made absolute and remembered for CONFIG REWRITE.
// Values are stored without running apply hooks. Line numbers in errors
// count from the start of text. The error, if any, is a *FatalError.
func (c *Config) LoadString(text string, fileName string) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if fileName != "" {
		c.file = absPath(fileName)
	}
	err := c.loadText(text, 0)
	c.snapshotUnimplemented()
	if err != nil {
		return err
	}
	return nil
}

// loadText parses one text (the main one or an included file); callers
// hold c.mu.
func (c *Config) loadText(text string, depth int) error {
	lines := strings.Split(text, "\n")
	for i, raw := range lines {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(reason string) error {
			return &FatalError{Line: i + 1, Text: line, Reason: reason}
		}
		args, ok := splitArgs(line)
		if !ok {
			return fail("Unbalanced quotes in configuration line")
		}
		if len(args) == 0 {
			continue
		}
		args[0] = asciiLower(args[0])
		if e, ok := byName[args[0]]; ok {
			if msg := c.loadParam(&params[e.idx], e.idx, args); msg != "" {
				return fail(msg)
			}
			continue
		}
		switch name := args[0]; {
		case len(args) == 2 && (name == "list-max-ziplist-entries" || name == "list-max-ziplist-value" || name == "lua-replicate-commands"):
			// Deprecated directives Redis 7.0 still accepts and ignores.
		case name == "include" && len(args) == 2:
			if depth >= maxIncludeDepth {
				return fail("include nesting too deep")
			}
			if err := c.loadInclude(args[1], depth+1); err != nil {
				return err
			}
		case name == "rename-command" && len(args) == 3:
			if msg := c.loadRename(args[1], args[2]); msg != "" {
				return fail(msg)
			}
		case name == "user" && len(args) >= 2:
			if msg := c.loadUser(args); msg != "" {
				return fail(msg)
			}
		case name == "loadmodule" && len(args) >= 2:
			return fail("loadmodule is not supported: Taconite has no modules")
		case strings.Contains(name, "."):
			if len(args) != 2 {
				return fail("Module config specified without value")
			}
			return fail("Module configs are not supported: Taconite has no modules")
		case name == "sentinel":
			// A bare "sentinel" is how redis-server is told to run as a
			// sentinel, which Taconite does not do either way.
			if len(args) != 1 {
				return fail("sentinel directive while not in sentinel mode")
			}
		default:
			return fail("Bad directive or wrong number of arguments")
		}
	}
	return c.checkLoaded()
}

// loadParam sets a table parameter from a config line.
func (c *Config) loadParam(p *param, idx int, args []string) string {
	if !p.has(fMultiArg) && len(args) != 2 {
		return "wrong number of arguments"
	}
	words := args[1:]
	if p.has(fMultiArg) && len(args) == 2 && args[1] != "" {
		// One quoted argument holding several words ("--save '900 1'"):
		// split it, as Redis does since 7.0.1.
		w, ok := splitArgs(args[1])
		if !ok {
			w = nil
		}
		words = w
	}
	v, msg := c.parseValue(p, words, c.vals[idx])
	if msg != "" {
		return msg
	}
	if p.kind == kindSave {
		v = c.loadSave(c.vals[idx], v, len(words) == 1 && words[0] == "")
	}
	c.setVal(idx, v)
	return ""
}

// loadSave merges a "save" line read from a config: the first one
// replaces the defaults and later ones add points; save "" clears them
// all, while a bare "save" only drops the defaults if it comes first.
func (c *Config) loadSave(old, v value, clear bool) value {
	switch {
	case clear:
		return v
	case !c.saveLoaded:
		c.saveLoaded = true
		return v
	case len(v.nums) == 0:
		return old
	}
	return value{nums: append(append([]int64{}, old.nums...), v.nums...)}
}

func (c *Config) loadInclude(path string, depth int) error {
	full := path
	if !filepath.IsAbs(full) {
		// Redis opens it relative to the working directory, which a
		// preceding "dir" line has already changed.
		full = filepath.Join(c.vals[mustLookup("dir").idx].s, full)
	}
	var text strings.Builder
	if strings.ContainsAny(path, "*?[") {
		// A pattern that matches nothing is fine (empty conf.d dirs).
		matches, _ := filepath.Glob(full)
		for _, m := range matches {
			t, err := readConfigFile(m)
			if err != nil {
				return openError(m, err)
			}
			text.WriteString(t)
		}
	} else {
		t, err := readConfigFile(full)
		if err != nil {
			return openError(path, err)
		}
		text.WriteString(t)
	}
	return c.loadText(text.String(), depth)
}

func (c *Config) loadRename(from, to string) string {
	key := asciiLower(from)
	exists := c.renamedTo[key]
	if !exists && !c.renamedAway[key] {
		exists = c.checks.CommandExists == nil || c.checks.CommandExists(from)
	}
	if !exists {
		return "No such command in rename-command"
	}
	newKey := asciiLower(to)
	if to != "" {
		taken := c.renamedTo[newKey] && newKey != key
		if !taken && !c.renamedAway[newKey] && newKey != key && c.checks.CommandExists != nil {
			taken = c.checks.CommandExists(to)
		}
		if taken {
			return "Target command name already exists"
		}
	}
	delete(c.renamedTo, key)
	c.renamedAway[key] = true
	if to != "" {
		delete(c.renamedAway, newKey)
		c.renamedTo[newKey] = true
	}
	c.renames = append(c.renames, [2]string{from, to})
	return ""
}

func (c *Config) loadUser(args []string) string {
	for _, u := range c.users {
		if u[0] == args[1] {
			return fmt.Sprintf("Error in user declaration '%s': %s", args[1],
				"Duplicate user found. A user can only be defined once in config files")
		}
	}
	if fn := c.checks.UserRules; fn != nil {
		if bad, msg := fn(args[2:]); bad >= 0 {
			// Redis indexes the whole directive with the rule's position,
			// so it names the word two places before the bad rule.
			word := ""
			if bad < len(args) {
				word = args[bad]
			}
			return fmt.Sprintf("Error in user declaration '%s': %s", word, msg)
		}
	}
	c.users = append(c.users, append([]string(nil), args[1:]...))
	return ""
}

// checkLoaded runs the checks Redis makes after each config text.
func (c *Config) checkLoaded() error {
	if logfile := c.vals[mustLookup("logfile").idx].s; logfile != "" {
		path := logfile
		if !filepath.IsAbs(path) {
			path = filepath.Join(c.vals[mustLookup("dir").idx].s, path)
		}
		// Like Redis, prove the log can be opened now: later the server
		// could not report the failure anywhere.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
		if err != nil {
			return &FatalError{Reason: "Can't open the log file: " + strerror(err)}
		}
		f.Close()
	}
	if c.vals[mustLookup("cluster-enabled").idx].n != 0 && len(c.vals[mustLookup("replicaof").idx].strs) > 0 {
		return &FatalError{Reason: "replicaof directive not allowed in cluster mode"}
	}
	return nil
}

func openError(path string, err error) error {
	return &FatalError{
		Reason:  fmt.Sprintf("Fatal error, can't open config file '%s': %s", path, strerror(err)),
		LogOnly: true,
	}
}

// readConfigFile reads a whole file. Like fopen+fgets in Redis, a path
// that opens but cannot be read (a directory) gives an empty text.
func readConfigFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return "", nil
	}
	return string(data), nil
}

// absPath makes a path absolute the way Redis's getAbsolutePath does:
// trimmed, joined to the working directory, with leading "../" folded into
// it (and nothing else cleaned).
func absPath(path string) string {
	rel := strings.Trim(path, " \r\n\t")
	if strings.HasPrefix(rel, "/") {
		return rel
	}
	cwd, err := os.Getwd()
	if err != nil {
		return rel
	}
	if !strings.HasSuffix(cwd, "/") {
		cwd += "/"
	}
	for strings.HasPrefix(rel, "../") {
		rel = rel[3:]
		if len(cwd) > 1 {
			cut := strings.LastIndexByte(cwd[:len(cwd)-1], '/')
			cwd = cwd[:cut+1]
		}
	}
	return cwd + rel
}
