package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// value is the stored state of one parameter; which fields are used
// depends on the parameter's kind.
type value struct {
	n    int64     // bool (0/1), number, enum value or flag bits, notify bits
	s    string    // string, dir
	strs []string  // bind addresses; replicaof host and port
	nums []int64   // save pairs; 3×(hard, soft, seconds) buffer limits; oom values
	fl   []float64 // latency percentiles
}

// Client classes of client-output-buffer-limit, in Redis's order.
const (
	obufNormal = iota
	obufReplica
	obufPubsub
)

var (
	defaultObuf = []int64{
		0, 0, 0,
		256 << 20, 64 << 20, 60,
		32 << 20, 8 << 20, 60,
	}
	defaultSave      = []int64{3600, 1, 300, 100, 60, 10000}
	defaultOOMValues = []int64{0, 200, 800}
	// Redis compiles in "* -::*" and relies on protected mode to refuse
	// remote clients; Taconite has no protected mode yet (issue 9), so it
	// defaults to the loopback addresses of the redis.conf Redis ships
	// (and Debian's package uses): a fresh server is never reachable from
	// other hosts.
	defaultBind        = []string{"127.0.0.1", "-::1"}
	defaultPercentiles = []float64{50, 99, 99.9}
)

// defaultValue is what a parameter holds on a server started without any
// configuration. cwd is the default of "dir".
func defaultValue(p *param, cwd string) value {
	switch p.kind {
	case kindBool, kindNum, kindEnum:
		return value{n: p.defNum}
	case kindString:
		return value{s: p.defStr}
	case kindDir:
		return value{s: cwd}
	case kindSave:
		return value{nums: append([]int64(nil), defaultSave...)}
	case kindObuf:
		return value{nums: append([]int64(nil), defaultObuf...)}
	case kindOOMValues:
		return value{nums: append([]int64(nil), defaultOOMValues...)}
	case kindBind:
		return value{strs: append([]string(nil), defaultBind...)}
	case kindPercentiles:
		return value{fl: append([]float64(nil), defaultPercentiles...)}
	}
	return value{}
}

// Keyspace notification classes, the bits of notify-keyspace-events (what
// Int("notify-keyspace-events") returns).
const (
	NotifyKeyspace = 1 << 0  // K
	NotifyKeyevent = 1 << 1  // E
	NotifyGeneric  = 1 << 2  // g
	NotifyString   = 1 << 3  // $
	NotifyList     = 1 << 4  // l
	NotifySet      = 1 << 5  // s
	NotifyHash     = 1 << 6  // h
	NotifyZset     = 1 << 7  // z
	NotifyExpired  = 1 << 8  // x
	NotifyEvicted  = 1 << 9  // e
	NotifyStream   = 1 << 10 // t
	NotifyKeyMiss  = 1 << 11 // m (not part of A)
	NotifyModule   = 1 << 13 // d
	NotifyNew      = 1 << 14 // n (not part of A)
	// NotifyAll is what "A" stands for.
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash |
		NotifyZset | NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

// notifyLetters are the class letters in the order Redis prints them.
var notifyLetters = []struct {
	c   byte
	bit int64
}{
	{'g', NotifyGeneric}, {'$', NotifyString}, {'l', NotifyList}, {'s', NotifySet},
	{'h', NotifyHash}, {'z', NotifyZset}, {'x', NotifyExpired}, {'e', NotifyEvicted},
	{'t', NotifyStream}, {'d', NotifyModule}, {'n', NotifyNew},
}

func parseNotify(s string) (int64, bool) {
	var flags int64
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			flags |= NotifyAll
		case 'K':
			flags |= NotifyKeyspace
		case 'E':
			flags |= NotifyKeyevent
		case 'm':
			flags |= NotifyKeyMiss
		default:
			found := false
			for _, l := range notifyLetters {
				if l.c == s[i] {
					flags |= l.bit
					found = true
					break
				}
			}
			if !found {
				return 0, false
			}
		}
	}
	return flags, true
}

func formatNotify(flags int64) string {
	var b strings.Builder
	if flags&NotifyAll == NotifyAll {
		// Redis prints "A" alone for the whole group, which also hides
		// 'n' even though 'n' is not part of it.
		b.WriteByte('A')
	} else {
		for _, l := range notifyLetters {
			if flags&l.bit != 0 {
				b.WriteByte(l.c)
			}
		}
	}
	if flags&NotifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&NotifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&NotifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// enumByName looks a name up case-insensitively.
func enumByName(items []enumItem, name string) (int64, bool) {
	for _, it := range items {
		if it.name == asciiLower(name) {
			return it.val, true
		}
	}
	return 0, false
}

// enumName prints an enum value: the first name with that exact value, or
// for bit flags the names of the set bits in list order; "unknown" when
// nothing fits.
func enumName(p *param, v int64) string {
	var names []string
	unmatched := v
	for _, it := range p.enum {
		if it.val == v {
			return it.name
		}
		if p.has(fMultiArg) && it.val != 0 && it.val == unmatched&it.val {
			names = append(names, it.name)
			unmatched &^= it.val
		}
	}
	if len(names) == 0 || unmatched != 0 {
		return "unknown"
	}
	return strings.Join(names, " ")
}

func enumErr(items []enumItem) string {
	var b strings.Builder
	b.WriteString("argument(s) must be one of the following: ")
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(it.name)
	}
	// Redis builds the message in a 256 byte buffer.
	msg := b.String()
	if len(msg) > 255 {
		msg = msg[:255]
	}
	return msg
}

// parseNum turns text into a number the way Redis's numeric configs do
// (memory, then percent, then octal, then plain), returning Redis's error
// text on failure.
func parseNum(p *param, s string) (int64, string) {
	if p.has(fMemory) {
		if u, ok := memToULL(s); ok {
			return int64(u), ""
		}
	}
	if p.has(fPercent) && len(s) > 1 && s[len(s)-1] == '%' {
		if n, ok := parseStrictInt(s[:len(s)-1]); ok && n >= 0 {
			return -n, "" // percentages are stored negated
		}
	}
	if p.has(fOctal) {
		if n, full, overflow := cStrtoll(s, 8); full && !overflow {
			return n, ""
		}
	}
	if !p.has(fMemory | fPercent | fOctal) {
		if n, ok := parseStrictInt(s); ok {
			return n, ""
		}
	}
	switch {
	case p.has(fMemory) && p.has(fPercent):
		return 0, "argument must be a memory or percent value"
	case p.has(fMemory):
		return 0, "argument must be a memory value"
	case p.has(fOctal):
		return 0, "argument couldn't be parsed as an octal number"
	}
	return 0, "argument couldn't be parsed into an integer"
}

func checkBounds(p *param, n int64) string {
	if p.has(fUnsigned) {
		if uint64(n) > uint64(p.hi) || uint64(n) < uint64(p.lo) {
			if p.has(fOctal) {
				return "argument must be between " + strconv.FormatUint(uint64(p.lo), 8) +
					" and " + strconv.FormatUint(uint64(p.hi), 8) + " inclusive"
			}
			return "argument must be between " + strconv.FormatUint(uint64(p.lo), 10) +
				" and " + strconv.FormatUint(uint64(p.hi), 10) + " inclusive"
		}
		return ""
	}
	if p.has(fPercent) && n < 0 {
		if n < p.lo {
			return "percentage argument must be less or equal to " + strconv.FormatInt(-p.lo, 10)
		}
		return ""
	}
	if n > p.hi || n < p.lo {
		return "argument must be between " + strconv.FormatInt(p.lo, 10) +
			" and " + strconv.FormatInt(p.hi, 10) + " inclusive"
	}
	return ""
}

// parseValue validates args for p and builds the new value. old is the
// current value, which "dir" resolves relative paths against. It returns
// Redis's error text on failure. Argument-count checks that depend on where
// the words came from (file or CONFIG SET) are the caller's. Callers hold
// c.mu, so warnings go straight to c.warnf.
func (c *Config) parseValue(p *param, args []string, old value) (value, string) {
	one := ""
	if len(args) > 0 {
		one = args[0]
	}
	var v value
	switch p.kind {
	case kindBool:
		switch asciiLower(one) {
		case "yes":
			v.n = 1
		case "no":
			v.n = 0
		default:
			return v, "argument must be 'yes' or 'no'"
		}
	case kindNum:
		n, err := parseNum(p, one)
		if err != "" {
			return v, err
		}
		if err := checkBounds(p, n); err != "" {
			return v, err
		}
		v.n = n
	case kindEnum:
		if !p.has(fMultiArg) && len(args) != 1 {
			return v, enumErr(p.enum)
		}
		if len(args) == 0 {
			return v, enumErr(p.enum)
		}
		for _, a := range args {
			n, ok := enumByName(p.enum, a)
			if !ok {
				return v, enumErr(p.enum)
			}
			v.n |= n
		}
	case kindString:
		v.s = one
	case kindDir:
		if len(args) != 1 {
			return v, "wrong number of arguments"
		}
		dir, err := resolveDir(old.s, one)
		if err != "" {
			return v, err
		}
		v.s = dir
	case kindSave:
		if len(args) == 1 && args[0] == "" {
			args = nil
		}
		if len(args)%2 != 0 {
			return v, "Invalid save parameters"
		}
		for j, a := range args {
			n, full, _ := cStrtoll(a, 10)
			if !full || (j%2 == 0 && n < 1) || (j%2 == 1 && n < 0) {
				return v, "Invalid save parameters"
			}
			if j%2 == 1 {
				n = int64(int32(n)) // "changes" is a C int
			}
			v.nums = append(v.nums, n)
		}
		if v.nums == nil {
			v.nums = []int64{}
		}
	case kindObuf:
		if len(args)%4 != 0 {
			return v, "Wrong number of arguments in buffer limit configuration."
		}
		v.nums = append([]int64(nil), old.nums...)
		for j := 0; j < len(args); j += 4 {
			class := -1
			switch asciiLower(args[j]) {
			case "normal":
				class = obufNormal
			case "slave", "replica":
				class = obufReplica
			case "pubsub":
				class = obufPubsub
			}
			if class < 0 {
				return v, "Invalid client class specified in buffer limit configuration."
			}
			hard, ok1 := memToULL(args[j+1])
			soft, ok2 := memToULL(args[j+2])
			secs, full, _ := cStrtoll(args[j+3], 10)
			secs = int64(int32(secs)) // soft_seconds is read into a C int
			if !ok1 || !ok2 || !full || secs < 0 {
				return v, "Error in hard, soft or soft_seconds setting in buffer limit configuration."
			}
			v.nums[class*3], v.nums[class*3+1], v.nums[class*3+2] = int64(hard), int64(soft), secs
		}
	case kindOOMValues:
		if len(args) != 3 {
			return v, "wrong number of arguments"
		}
		for _, a := range args {
			n, full, _ := cStrtoll(a, 10)
			if !full || n < -2000 || n > 2000 {
				return v, "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
			}
			v.nums = append(v.nums, n)
		}
		if (v.nums[1] < v.nums[0] || v.nums[2] < v.nums[1]) && c.warnf != nil {
			// Kept anyway: privileged processes can still use them.
			c.warnf("The oom-score-adj-values configuration may not work for non-privileged processes! Please consult the documentation.")
		}
	case kindNotify:
		if len(args) != 1 {
			return v, "wrong number of arguments"
		}
		n, ok := parseNotify(one)
		if !ok {
			return v, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
		}
		v.n = n
	case kindBind:
		if len(args) > 16 {
			return v, "Too many bind addresses specified."
		}
		if len(args) == 1 && args[0] == "" {
			args = nil
		}
		v.strs = append([]string{}, args...)
	case kindReplicaOf:
		if len(args) != 2 {
			return v, "wrong number of arguments"
		}
		if asciiLower(args[0]) == "no" && asciiLower(args[1]) == "one" {
			return v, ""
		}
		port, full, _ := cStrtoll(args[1], 10)
		if port < 0 || port > 65535 || !full {
			return v, "Invalid master port"
		}
		v.strs = []string{args[0], strconv.FormatInt(port, 10)}
	case kindPercentiles:
		if len(args) == 1 && args[0] == "" {
			args = nil
		}
		v.fl = []float64{}
		for _, a := range args {
			f, ok := parseCDouble(a)
			if !ok {
				return v, "Invalid latency-tracking-info-percentiles parameters"
			}
			if f > 100 || f < 0 {
				return v, "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
			}
			v.fl = append(v.fl, f)
		}
	}
	if p.valid != nil {
		if err := p.valid(c.validCtx(), v); err != "" {
			return v, err
		}
	}
	if p.postSet != nil {
		p.postSet(&v)
	}
	return v, ""
}

// resolveDir checks that dir (relative to cur) is a directory one could
// chdir into and returns its absolute, symlink-free path, which is what
// getcwd would report after the chdir. Errors are chdir's strerror texts.
func resolveDir(cur, dir string) (string, string) {
	if dir == "" {
		return "", strerror(syscall.ENOENT)
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(cur, dir)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return "", strerror(err)
	}
	if !st.IsDir() {
		return "", strerror(syscall.ENOTDIR)
	}
	if err := syscall.Access(dir, 1 /* X_OK */); err != nil {
		return "", strerror(err)
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return filepath.Clean(dir), ""
}

// format prints a value exactly as CONFIG GET shows it.
func format(p *param, v value) string {
	switch p.kind {
	case kindBool:
		if v.n != 0 {
			return "yes"
		}
		return "no"
	case kindNum:
		switch {
		case p.has(fPercent) && v.n < 0:
			return strconv.FormatInt(-v.n, 10) + "%"
		case p.has(fMemory):
			return strconv.FormatUint(uint64(v.n), 10)
		case p.has(fOctal):
			return strconv.FormatUint(uint64(v.n), 8)
		}
		return strconv.FormatInt(v.n, 10)
	case kindEnum:
		return enumName(p, v.n)
	case kindString, kindDir:
		return v.s
	case kindSave, kindOOMValues:
		parts := make([]string, len(v.nums))
		for i, n := range v.nums {
			parts[i] = strconv.FormatInt(n, 10)
		}
		return strings.Join(parts, " ")
	case kindObuf:
		var parts []string
		for class, name := range []string{"normal", "slave", "pubsub"} {
			parts = append(parts, name,
				strconv.FormatUint(uint64(v.nums[class*3]), 10),
				strconv.FormatUint(uint64(v.nums[class*3+1]), 10),
				strconv.FormatInt(v.nums[class*3+2], 10))
		}
		return strings.Join(parts, " ")
	case kindNotify:
		return formatNotify(v.n)
	case kindBind:
		return strings.Join(v.strs, " ")
	case kindReplicaOf:
		return strings.Join(v.strs, " ")
	case kindPercentiles:
		parts := make([]string, len(v.fl))
		for i, f := range v.fl {
			parts[i] = formatPercentile(f)
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// words is the multi-valued view Strings returns.
func words(p *param, v value) []string {
	switch p.kind {
	case kindBind, kindReplicaOf:
		return append([]string{}, v.strs...)
	case kindEnum:
		if p.has(fMultiArg) {
			return strings.Fields(enumName(p, v.n))
		}
	case kindSave, kindObuf, kindOOMValues, kindPercentiles:
		return strings.Fields(format(p, v))
	}
	return []string{format(p, v)}
}

// Validators and normalisers referenced from the table.

func clampHZ(v *value) {
	// Redis takes any hz but caps it to what it can honour.
	if v.n < 1 {
		v.n = 1
	}
	if v.n > 500 {
		v.n = 500
	}
}

func validActiveDefrag(_ validCtx, v value) string {
	// Taconite, like a Redis built without its bundled jemalloc, cannot
	// defragment, and Redis refuses the setting in that case.
	if v.n != 0 {
		return "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
	}
	return ""
}

func validShutdownFlags(_ validCtx, v value) string {
	if v.n&1 != 0 && v.n&2 != 0 {
		return "shutdown options SAVE and NOSAVE can't be used simultaneously"
	}
	return ""
}

func isBaseName(s string) bool {
	return !strings.ContainsAny(s, `/\`)
}

func validDBFilename(_ validCtx, v value) string {
	if !isBaseName(v.s) {
		return "dbfilename can't be a path, just a filename"
	}
	return ""
}

func validAOFFilename(_ validCtx, v value) string {
	if v.s == "" {
		return "appendfilename can't be empty"
	}
	if !isBaseName(v.s) {
		return "appendfilename can't be a path, just a filename"
	}
	return ""
}

func validAOFDirname(_ validCtx, v value) string {
	if v.s == "" {
		return "appenddirname can't be empty"
	}
	if !isBaseName(v.s) {
		return "appenddirname can't be a path, just a dirname"
	}
	return ""
}

func validHostname(_ validCtx, v value) string {
	if len(v.s) >= 256 {
		return "Hostnames must be less than 256 characters"
	}
	for i := 0; i < len(v.s); i++ {
		c := v.s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "Hostnames may only contain alphanumeric characters, hyphens or dots"
		}
	}
	return ""
}

// validCtx gives validators read access to the other parameters. It is a
// pair of plain values rather than the *Config so that the table's
// initialisation does not depend on the name index built from it.
type validCtx struct {
	get  func(name string) value // current value of another parameter
	file string                  // config file path, "" if none
}

// validCtx is built for parseValue's callers, who hold c.mu.
func (c *Config) validCtx() validCtx {
	return validCtx{
		get:  func(name string) value { return c.vals[mustLookup(name).idx] },
		file: c.file,
	}
}

// validProcTitle checks a proc-title-template: {name} variables must be
// known, "{{" is a literal brace, and the expansion (with an empty title)
// must not be blank.
func validProcTitle(ctx validCtx, v value) string {
	const bad = "template format is invalid or contains unknown variables"
	var out strings.Builder
	t := v.s
	for len(t) > 0 {
		open := strings.IndexByte(t, '{')
		if open < 0 {
			out.WriteString(t)
			break
		}
		out.WriteString(t[:open])
		t = t[open+1:]
		if t == "" {
			return bad
		}
		if t[0] == '{' {
			out.WriteByte('{')
			t = t[1:]
			continue
		}
		end := strings.IndexByte(t, '}')
		if end < 0 {
			return bad
		}
		val, ok := procTitleVar(ctx, t[:end])
		if !ok {
			return bad
		}
		out.WriteString(val)
		t = t[end+1:]
	}
	if strings.Trim(out.String(), " ") == "" {
		return bad
	}
	return ""
}

// procTitleVar expands one proc-title-template variable as a standalone
// server would.
func procTitleVar(ctx validCtx, name string) (string, bool) {
	switch name {
	case "title":
		return "", true
	case "listen-addr":
		return "*:" + strconv.FormatInt(ctx.get("port").n, 10), true
	case "server-mode":
		if ctx.get("cluster-enabled").n != 0 {
			return "[cluster]", true
		}
		return "", true
	case "port":
		return strconv.FormatInt(ctx.get("port").n, 10), true
	case "tls-port":
		return strconv.FormatInt(ctx.get("tls-port").n, 10), true
	case "unixsocket":
		return ctx.get("unixsocket").s, true
	case "config-file":
		if ctx.file == "" {
			return "-", true
		}
		return ctx.file, true
	}
	return "", false
}
