package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func mustSet(t *testing.T, c *Config, pairs ...string) {
	t.Helper()
	if err := c.Set(pairs...); err != nil {
		t.Fatalf("Set %q: %v", pairs, err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTableIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for i := range params {
		p := &params[i]
		for _, n := range []string{p.name, p.alias} {
			if n == "" {
				continue
			}
			if seen[n] || n != asciiLower(n) {
				t.Errorf("name %q duplicated or not lower case", n)
			}
			seen[n] = true
		}
		if p.kind == kindNum && !p.has(fUnsigned) && p.lo > p.hi {
			t.Errorf("%s: bounds %d..%d", p.name, p.lo, p.hi)
		}
		// Defaults must be accepted by the parameter's own parser.
		if p.kind != kindDir && p.kind != kindReplicaOf { // "no one" is the default
			c := New()
			args := []string{format(p, c.vals[i])}
			if p.has(fMultiArg) {
				args = splitSpaces(args[0])
			}
			if _, msg := c.parseValue(p, args, c.vals[i]); msg != "" {
				t.Errorf("%s: default %q rejected: %s", p.name, args, msg)
			}
		}
	}
	for name := range implemented {
		if e, ok := lookup(name); !ok || e.alias {
			t.Errorf("implemented %q is not a primary name", name)
		}
	}
	if len(implemented) != 71 {
		t.Errorf("%d implemented parameters, want 71 (update when one is implemented)", len(implemented))
	}
}

func TestIsImplemented(t *testing.T) {
	for name, want := range map[string]bool{
		"port": true, "PORT": true, "bind": true, "lazyfree-lazy-server-del": true,
		"maxmemory": true, "maxmemory-clients": true, "jemalloc-bg-thread": false, "slaveof": false, "nosuch": false, "save": true,
	} {
		if got := IsImplemented(name); got != want {
			t.Errorf("IsImplemented(%q) = %v", name, got)
		}
	}
	for name, want := range map[string]bool{"requirepass": true, "MASTERAUTH": true, "masteruser": true, "port": false, "tls-key-file-pass": false} {
		if got := IsSensitive(name); got != want {
			t.Errorf("IsSensitive(%q) = %v", name, got)
		}
	}
}

func TestAliases(t *testing.T) {
	c := New()
	mustSet(t, c, "hash-max-ziplist-entries", "100")
	if got := c.Int("hash-max-listpack-entries"); got != 100 {
		t.Errorf("primary = %d after setting alias", got)
	}
	if got := c.Get("hash-max-ziplist-entries", "HASH-MAX-LISTPACK-ENTRIES"); !reflect.DeepEqual(got,
		[]string{"hash-max-ziplist-entries", "100", "HASH-MAX-LISTPACK-ENTRIES", "100"}) {
		t.Errorf("Get = %q", got)
	}
	// The glob reports both names, each once.
	got := c.Get("hash-max-*-entries", "hash-max-ziplist-entries", "hash*ziplist-entries")
	want := []string{"hash-max-listpack-entries", "100", "hash-max-ziplist-entries", "100"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Get = %q, want %q", got, want)
	}
	if c.Int("slave-priority") != 100 || c.String("lua-time-limit") != "5000" {
		t.Error("alias accessors")
	}
	if err := c.Set("slaveof", "no one"); err == nil || !strings.Contains(err.Error(), "'slaveof') - can't set immutable config") {
		t.Errorf("slaveof: %v", err)
	}
}

func TestGetOrderAndDedup(t *testing.T) {
	c := New()
	got := c.Get("PORT", "port", "p?rt", "hz", "dynamic-*", "h[l-z]*")
	want := []string{"PORT", "6379", "hz", "10", "dynamic-hz", "yes", "hll-sparse-max-bytes", "3000"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Get = %q, want %q", got, want)
	}
	// Aliases and hash-max-* come too; check the whole h* set by name.
	got = c.Get("h*")
	var names []string
	for i := 0; i < len(got); i += 2 {
		names = append(names, got[i])
	}
	wantNames := []string{"hash-max-listpack-entries", "hash-max-listpack-value", "hash-max-ziplist-entries",
		"hash-max-ziplist-value", "hll-sparse-max-bytes", "hz"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("h* = %q", names)
	}
	if got := c.Get(); len(got) != 0 {
		t.Errorf("Get() = %q", got)
	}
	if got := c.Get("watchdog-period"); len(got) != 2 {
		t.Errorf("hidden by exact name: %q", got)
	}
	if got := c.Get("watchdog-*"); len(got) != 0 {
		t.Errorf("hidden by glob: %q", got)
	}
}

func TestStringMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		{"*", "", false}, // as in Redis: the loop never runs on an empty string
		{"*", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbb", false},
		{"a**", "a", true},
		{"?", "", false},
		{"??", "ab", true},
		{"[abc]x", "bx", true},
		{"[^abc]x", "bx", false},
		{"[^abc]x", "dx", true},
		{"[a-c]", "B", true},
		{"[c-a]", "b", true},
		{"[Z-a]", "b", false}, // ends ordered before case folding, as in Redis
		{"[\\]]", "]", true},
		{"[abc", "c", true},
		{"[abc", "d", false},
		{"a\\*", "a*", true},
		{"a\\*", "ab", false},
		{"A?C", "abc", true},
		{"\\", "\\", true},
		{"x*", "", false},
		{"*x*y", "axbxy", true},
	} {
		if got := stringMatch(tc.pat, tc.s, true); got != tc.want {
			t.Errorf("stringMatch(%q, %q) = %v", tc.pat, tc.s, got)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
		ok   bool
	}{
		{"", []string{}, true},
		{"   \t ", []string{}, true},
		{"a b  c", []string{"a", "b", "c"}, true},
		{`"a b" 'c d'`, []string{"a b", "c d"}, true},
		{`"\x41\n\t\"\\\q"`, []string{"A\n\t\"\\q"}, true},
		{`'it\'s' '\n'`, []string{"it's", `\n`}, true},
		{`ab"cd"`, []string{"abcd"}, true},
		{`"ab"cd`, nil, false},
		{`"abc`, nil, false},
		{`'abc`, nil, false},
		{`"" ''`, []string{"", ""}, true},
		{"a\x00b c", []string{"a"}, true},
	} {
		got, ok := splitArgs(tc.line)
		if ok != tc.ok || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("splitArgs(%q) = %q, %v", tc.line, got, ok)
		}
	}
	// repr and splitArgs are inverses.
	for _, s := range []string{"", "plain", "a b", `q"uote`, `back\slash`, "ctl\x01\xff\n\r\t\a\b", "'"} {
		got, ok := splitArgs(repr(s))
		if !ok || len(got) != 1 || got[0] != s {
			t.Errorf("round trip of %q via %s: %q", s, repr(s), got)
		}
	}
}

func TestNumberParsers(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"", 0, true}, {"kb", 0, true}, {"12", 12, true}, {"1k", 1000, true},
		{"1KB", 1024, true}, {"2m", 2000000, true}, {"2Mb", 2 << 20, true}, {"3g", 3000000000, true},
		{"3gb", 3 << 30, true}, {"5b", 5, true}, {"-1", 0, false}, {"+1", 0, false}, {" 1", 0, false},
		{"1 ", 0, false}, {"1.5gb", 0, false}, {"1tb", 0, false},
		{"99999999999999999999", 1<<64 - 1, true},
	} {
		got, ok := memToULL(tc.s)
		if ok != tc.ok || got != tc.want {
			t.Errorf("memToULL(%q) = %d, %v", tc.s, got, ok)
		}
	}
	for _, tc := range []struct {
		s    string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-1", -1, true}, {"9223372036854775807", 1<<63 - 1, true},
		{"-9223372036854775808", -1 << 63, true}, {"9223372036854775808", 0, false},
		{"01", 0, false}, {"-0", 0, false}, {"+1", 0, false}, {"", 0, false}, {"-", 0, false}, {"1a", 0, false},
	} {
		got, ok := parseStrictInt(tc.s)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseStrictInt(%q) = %d, %v", tc.s, got, ok)
		}
	}
	for _, tc := range []struct {
		s        string
		base     int
		want     int64
		full, of bool
	}{
		{"", 10, 0, true, false}, {" +7", 10, 7, true, false}, {"7x", 10, 7, false, false},
		{"x", 10, 0, false, false}, {"99999999999999999999", 10, 1<<63 - 1, true, true},
		{"-99999999999999999999", 10, -1 << 63, true, true}, {"777", 8, 511, true, false}, {"8", 8, 0, false, false},
	} {
		got, full, of := cStrtoll(tc.s, tc.base)
		if got != tc.want || full != tc.full || of != tc.of {
			t.Errorf("cStrtoll(%q, %d) = %d, %v, %v", tc.s, tc.base, got, full, of)
		}
	}
	for in, want := range map[int64]string{0: "0", 1023: "1023", 1024: "1kb", 1536: "1536", 1 << 20: "1mb", 3 << 30: "3gb", -1: "-1"} {
		if got := formatMemory(in); got != want {
			t.Errorf("formatMemory(%d) = %q", in, got)
		}
	}
}

func TestSetArityAndErrors(t *testing.T) {
	c := New()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "ERR wrong number of arguments for 'config|set' command"},
		{[]string{"port"}, "ERR wrong number of arguments for 'config|set' command"},
		{[]string{"port", "1", "hz"}, "ERR syntax error"},
		{[]string{"nosuch", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{[]string{"Port", "x"}, "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"},
	} {
		err := c.Set(tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Set %q = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestSetProtectedAndLoading(t *testing.T) {
	dir := t.TempDir()
	c := New()
	err := c.Set("dir", dir)
	if err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config" {
		t.Fatalf("dir: %v", err)
	}
	if err := c.LoadArgsFrom([]string{"--enable-protected-configs", "local"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("dir", dir); err == nil {
		t.Fatal("remote client set a protected config")
	}
	if err := c.SetWith(SetOptions{Local: true}, "dir", dir, "dbfilename", "x.rdb"); err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(dir)
	if got := c.String("dir"); got != real {
		t.Errorf("dir = %q, want %q", got, real)
	}
	// Relative to the current dir, and errors are chdir's.
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.SetWith(SetOptions{Local: true}, "dir", "sub"); err != nil || c.String("dir") != filepath.Join(real, "sub") {
		t.Errorf("relative dir: %v, %q", err, c.String("dir"))
	}
	writeFile(t, filepath.Join(dir, "file"), "")
	for arg, want := range map[string]string{
		"/nonexistent-taconite":    "No such file or directory",
		filepath.Join(dir, "file"): "Not a directory",
		"":                         "No such file or directory",
	} {
		err := c.SetWith(SetOptions{Local: true}, "dir", arg)
		if err == nil || !strings.HasSuffix(err.Error(), "'dir') - "+want) {
			t.Errorf("dir %q: %v", arg, err)
		}
	}
	err = c.SetWith(SetOptions{Loading: true}, "hz", "5", "appendonly", "yes")
	if err == nil || err.Error() != "LOADING Redis is loading the dataset in memory" {
		t.Errorf("loading: %v", err)
	}
	if err := c.SetWith(SetOptions{Loading: true}, "hz", "5"); err != nil {
		t.Errorf("loading, allowed parameter: %v", err)
	}
}

func TestSetRollbackOnHookFailure(t *testing.T) {
	c := New()
	var calls []string
	c.OnApply("hz", func(c *Config) error {
		calls = append(calls, "hz="+c.String("hz"))
		return nil
	})
	c.OnApply("maxmemory", func(c *Config) error {
		calls = append(calls, "maxmemory="+c.String("maxmemory"))
		if c.Int("maxmemory") == 1<<20 {
			return errors.New("Unable to do it. Check server logs.")
		}
		return nil
	})
	c.OnApply("loglevel", func(*Config) error {
		calls = append(calls, "loglevel")
		return nil
	})
	var warnings []string
	c.SetWarnf(func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) })

	err := c.Set("hz", "20", "maxmemory", "1mb", "loglevel", "notice", "timeout", "5")
	want := "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - Unable to do it. Check server logs."
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v", err)
	}
	if c.Int("hz") != 10 || c.Int("maxmemory") != 0 || c.Int("timeout") != 0 {
		t.Errorf("not rolled back: hz=%d maxmemory=%d timeout=%d", c.Int("hz"), c.Int("maxmemory"), c.Int("timeout"))
	}
	// loglevel did not change, so its hook never ran; the others were
	// applied, then re-applied with the old values.
	wantCalls := []string{"hz=20", "maxmemory=1048576", "hz=10", "maxmemory=0"}
	if !reflect.DeepEqual(calls, wantCalls) {
		t.Errorf("calls = %q, want %q", calls, wantCalls)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "maxmemory") {
		t.Errorf("warnings = %q", warnings)
	}

	// Hooks run once per parameter, only on change, never while loading.
	calls = nil
	mustSet(t, c, "hz", "10")
	if err := c.Set("hz", "11", "HZ", "12"); err == nil { // duplicate: refused before any hook
		t.Error("duplicate accepted")
	}
	if len(calls) != 0 {
		t.Errorf("hooks ran: %q", calls)
	}
	if err := c.LoadString("hz 30\n", ""); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 0 || c.Int("hz") != 30 {
		t.Errorf("load ran hooks %q, hz=%d", calls, c.Int("hz"))
	}
}

func TestSetAllOrNothingOnParseError(t *testing.T) {
	c := New()
	err := c.Set("maxmemory", "10mb", "save", "1 2", "client-output-buffer-limit", "normal 1 2 3", "port", "abc")
	if err == nil {
		t.Fatal("accepted")
	}
	def := New()
	if got, want := c.Get("*"), def.Get("*"); !reflect.DeepEqual(got, want) {
		t.Errorf("values changed by a failed SET")
	}
}

func TestAccessors(t *testing.T) {
	c := New()
	if err := c.LoadString(`
maxmemory 2gb
maxmemory-clients 5%
loglevel warning
lazyfree-lazy-user-del yes
save 900 1
save 300 10
client-output-buffer-limit replica 1mb 2mb 30
bind 127.0.0.1 ::1
replicaof 10.0.0.1 6380
notify-keyspace-events Kx
shutdown-on-sigterm now save
latency-tracking-info-percentiles 50 99.99
`, ""); err != nil {
		t.Fatal(err)
	}
	if c.Int("maxmemory") != 2<<30 || c.Uint("maxmemory") != 2<<30 || c.Int("maxmemory-clients") != -5 {
		t.Error("numbers")
	}
	if c.Int("loglevel") != 3 || c.Int("shutdown-on-sigterm") != 5 || c.Int("oom-score-adj") != 0 {
		t.Error("enums")
	}
	// Names sharing a value print as the first of them, as in Redis.
	mustSet(t, c, "oom-score-adj", "RELATIVE")
	if c.String("oom-score-adj") != "yes" || c.Int("oom-score-adj") != 1 {
		t.Errorf("oom-score-adj = %q", c.String("oom-score-adj"))
	}
	var warned []string
	c.SetWarnf(func(f string, a ...any) { warned = append(warned, fmt.Sprintf(f, a...)) })
	mustSet(t, c, "oom-score-adj-values", "800 200 0")
	if len(warned) != 1 || !strings.Contains(warned[0], "non-privileged") || c.String("oom-score-adj-values") != "800 200 0" {
		t.Errorf("oom values: %q %q", warned, c.String("oom-score-adj-values"))
	}
	if !c.Bool("lazyfree-lazy-user-del") || c.Bool("lazyfree-lazy-user-flush") {
		t.Error("bools")
	}
	if c.Int("notify-keyspace-events") != NotifyKeyspace|NotifyExpired {
		t.Error("notify")
	}
	for name, want := range map[string][]string{
		"bind":                              {"127.0.0.1", "::1"},
		"replicaof":                         {"10.0.0.1", "6380"},
		"save":                              {"900", "1", "300", "10"},
		"shutdown-on-sigterm":               {"save", "now"},
		"latency-tracking-info-percentiles": {"50", "99.99"},
		"port":                              {"6379"},
		"logfile":                           {""},
	} {
		if got := c.Strings(name); !reflect.DeepEqual(got, want) {
			t.Errorf("Strings(%s) = %q", name, got)
		}
	}
	if got := c.SaveParams(); !reflect.DeepEqual(got, []SaveParam{{900, 1}, {300, 10}}) {
		t.Errorf("SaveParams = %v", got)
	}
	if got := c.ClientOutputBufferLimit("slave"); got != (OutputBufferLimit{1 << 20, 2 << 20, 30}) {
		t.Errorf("replica limits = %v", got)
	}
	if got := c.ClientOutputBufferLimit("pubsub"); got != (OutputBufferLimit{32 << 20, 8 << 20, 60}) {
		t.Errorf("pubsub limits = %v", got)
	}
	if c.String("client-output-buffer-limit") != "normal 0 0 0 slave 1048576 2097152 30 pubsub 33554432 8388608 60" {
		t.Error(c.String("client-output-buffer-limit"))
	}
	for _, f := range []func(){
		func() { c.Int("nosuch") },
		func() { c.Int("logfile") },
		func() { c.Bool("port") },
		func() { c.String("nosuch") },
		func() { c.OnApply("nosuch", nil) },
		func() { c.ClientOutputBufferLimit("master") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

func TestOverride(t *testing.T) {
	c := New()
	if err := c.Override("replicaof", "127.0.0.1", "7000"); err != nil {
		t.Fatal(err)
	}
	if got := c.Get("slaveof"); got[1] != "127.0.0.1 7000" {
		t.Errorf("slaveof = %q", got)
	}
	if err := c.Override("replicaof", "no", "one"); err != nil || c.String("replicaof") != "" {
		t.Errorf("no one: %v %q", err, c.String("replicaof"))
	}
	if err := c.Override("replicaof", "h", "x"); err == nil || err.Error() != "Invalid master port" {
		t.Errorf("bad port: %v", err)
	}
	if err := c.Override("maxclients", "4064"); err != nil || c.Int("maxclients") != 4064 {
		t.Errorf("maxclients: %v", err)
	}
	if err := c.Override("nosuch", "1"); err == nil {
		t.Error("unknown name accepted")
	}
}

func TestFatalErrorText(t *testing.T) {
	e := &FatalError{Line: 3, Text: `port "abc"`, Reason: "argument couldn't be parsed into an integer"}
	want := "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'port \"abc\"'\nargument couldn't be parsed into an integer\n"
	if e.Error() != want {
		t.Errorf("%q", e.Error())
	}
	e = &FatalError{Reason: "Can't open the log file: Permission denied"}
	if e.Error() != "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: Permission denied\n" {
		t.Errorf("%q", e.Error())
	}
	e = &FatalError{Reason: "Fatal error, can't open config file 'x': No such file or directory", LogOnly: true}
	if e.Error() != e.Reason {
		t.Errorf("%q", e.Error())
	}
}

func TestArgsToConfig(t *testing.T) {
	for _, tc := range []struct {
		args          []string
		file, options string
		stdin         bool
	}{
		{[]string{"/etc/redis.conf"}, "/etc/redis.conf", "", false},
		{[]string{"r.conf", "--port", "7000", "--save", "900", "1"}, "r.conf", "port \"7000\" \nsave \"900\" \"1\" ", false},
		{[]string{"--save"}, "", "save \"\"", false},
		{[]string{"--save", "--port", "1"}, "", "save \"\"\nport \"1\" ", false},
		{[]string{"--SAVE", "--port", "1"}, "", "SAVE \"\"\nport \"1\" ", false},
		{[]string{"--port 7000", "--hz", "5"}, "", "port 7000 \nhz \"5\" ", false},
		{[]string{"--hz", "--port"}, "", "hz \"--port\" ", false},
		{[]string{"--sentinel", "--port", "1"}, "", "sentinel \nport \"1\" ", false},
		{[]string{"-", "--port", "1"}, "", "port \"1\" ", true},
		{[]string{"r.conf", "--port", "1", "-"}, "r.conf", "port \"1\" ", true},
		{[]string{"--port", "-", "1"}, "", "port \"-\" \"1\" ", false},
		{[]string{"--ignore-warnings", "a b\"c"}, "", "ignore-warnings \"a b\\\"c\" ", false},
		{[]string{"--port", "1", "extra"}, "", "port \"1\" \"extra\" ", false},
	} {
		file, options, stdin := ArgsToConfig(tc.args)
		if file != tc.file || options != tc.options || stdin != tc.stdin {
			t.Errorf("ArgsToConfig(%q) = %q, %q, %v", tc.args, file, options, stdin)
		}
	}
}

func TestLoadArgs(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "r.conf")
	writeFile(t, conf, "port 7000\nhz 20\n")
	c := New()
	if err := c.LoadArgsFrom([]string{conf, "--hz", "30", "-"}, strings.NewReader("\nmaxmemory 1mb\n")); err != nil {
		t.Fatal(err)
	}
	if c.File() != conf || c.Int("port") != 7000 || c.Int("hz") != 30 || c.Int("maxmemory") != 1<<20 {
		t.Errorf("file=%q port=%d hz=%d maxmemory=%d", c.File(), c.Int("port"), c.Int("hz"), c.Int("maxmemory"))
	}
	c = New()
	if err := c.LoadArgsFrom(nil, nil); err != nil || c.File() != "" {
		t.Errorf("no args: %v", err)
	}
	if err := c.LoadArgsFrom([]string{"--port", "7001"}, nil); err != nil || c.File() != "" || c.Int("port") != 7001 {
		t.Errorf("options only: %v", err)
	}
	// Errors count lines through the file, stdin and the options; "-"
	// is only stdin first or last, elsewhere it is a value.
	c = New()
	err := c.LoadArgsFrom([]string{conf, "--hz", "-"}, strings.NewReader("port 1\n"))
	if err == nil || !strings.Contains(err.Error(), "at line 5\n>>> 'hz'\n") {
		t.Errorf("err = %v", err)
	}
	err = New().LoadArgsFrom([]string{conf, "-", "--hz", "5"}, strings.NewReader("port 1\n"))
	if err == nil || !strings.Contains(err.Error(), "at line 4\n>>> '\"-\"'\n") {
		t.Errorf("err = %v", err)
	}
}

func TestIncludes(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(sub, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(sub, "rel.conf"), "hz 11\ninclude conf.d/*.conf\n")
	writeFile(t, filepath.Join(sub, "conf.d", "a.conf"), "maxmemory 1mb\n")
	writeFile(t, filepath.Join(sub, "conf.d", "b.conf"), "maxmemory 2mb\nlogfile taconite.log\n")
	writeFile(t, filepath.Join(dir, "main.conf"), "dir "+sub+"\ninclude rel.conf\n")
	c := New()
	if err := c.LoadFile(filepath.Join(dir, "main.conf")); err != nil {
		t.Fatal(err)
	}
	if c.Int("hz") != 11 || c.Int("maxmemory") != 2<<20 {
		t.Errorf("hz=%d maxmemory=%d", c.Int("hz"), c.Int("maxmemory"))
	}
	// The log file was created relative to dir, proving it can be opened.
	if _, err := os.Stat(filepath.Join(sub, "taconite.log")); err != nil {
		t.Error(err)
	}
	// Include loops end with an error instead of a crash.
	writeFile(t, filepath.Join(dir, "loop.conf"), "include "+filepath.Join(dir, "loop.conf")+"\n")
	err := New().LoadFile(filepath.Join(dir, "loop.conf"))
	if err == nil || !strings.Contains(err.Error(), "include nesting too deep") {
		t.Errorf("loop: %v", err)
	}
}

func TestUnsupportedDirectives(t *testing.T) {
	for text, want := range map[string]string{
		"loadmodule /x.so":         "loadmodule is not supported: Taconite has no modules",
		"loadmodule /x.so a b":     "loadmodule is not supported: Taconite has no modules",
		"mymodule.setting 5":       "Module configs are not supported: Taconite has no modules",
		"mymodule.setting":         "Module config specified without value",
		"sentinel monitor a b c d": "sentinel directive while not in sentinel mode",
	} {
		err := New().LoadString(text, "")
		fe, ok := err.(*FatalError)
		if !ok || fe.Reason != want || fe.Line != 1 || fe.Text != text {
			t.Errorf("%q: %#v", text, err)
		}
	}
}

func TestDirectivesKept(t *testing.T) {
	c := New()
	c.SetChecks(testChecks)
	if err := c.LoadString("rename-command flushall \"\"\nrename-command GET g\nuser bob on >pw ~* +@all\nuser alice off\n", ""); err != nil {
		t.Fatal(err)
	}
	if got := c.RenamedCommands(); !reflect.DeepEqual(got, [][2]string{{"flushall", ""}, {"GET", "g"}}) {
		t.Errorf("renames = %q", got)
	}
	if got := c.Users(); !reflect.DeepEqual(got, [][]string{{"bob", "on", ">pw", "~*", "+@all"}, {"alice", "off"}}) {
		t.Errorf("users = %q", got)
	}
}

func TestUnimplemented(t *testing.T) {
	c := New()
	if err := c.LoadString("port 7000\njemalloc-bg-thread no\nappendonly no\nslave-read-only no\nrename-command get g\n", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{"replica-read-only", "jemalloc-bg-thread", "rename-command"}
	if got := c.Unimplemented(); !reflect.DeepEqual(got, want) {
		t.Errorf("Unimplemented = %q, want %q", got, want)
	}
	// Setting one at runtime is accepted and kept.
	mustSet(t, c, "replica-announce-ip", "10.0.0.1")
	if c.String("replica-announce-ip") != "10.0.0.1" {
		t.Error("value not kept")
	}
}

func TestProcTitleConfigFile(t *testing.T) {
	c := New()
	// Without a config file {config-file} expands to "-".
	mustSet(t, c, "proc-title-template", "{config-file}")
	if err := c.Set("proc-title-template", "{unixsocket}"); err == nil {
		t.Error("blank expansion accepted")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New()
	c.OnApply("hz", func(c *Config) error { _ = c.Int("hz"); return nil })
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				switch g {
				case 0:
					if err := c.Set("hz", fmt.Sprint(1+i%50), "maxmemory", fmt.Sprint(i)); err != nil {
						t.Error(err)
						return
					}
				case 1:
					_ = c.Get("*")
				case 2:
					_ = c.Int("hz") + c.Int("maxmemory")
					_ = c.Strings("save")
				case 3:
					_ = c.Set("port", "x") // fails, rolls back
				}
			}
		}(g)
	}
	wg.Wait()
}

// TestExtensions: Taconite's own parameters are read and rewritten as
// any other: CONFIG GET answers them, CONFIG SET refuses them (fixed at
// startup), and CONFIG REWRITE writes them only once they differ from
// their defaults.
func TestExtensions(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "r.conf")
	writeFile(t, conf, "port 16395\n")
	c := New()
	if err := c.LoadFile(conf); err != nil {
		t.Fatal(err)
	}
	if got := c.Get("metrics-*"); !sameMaps(pairsToMap(t, "got", got), map[string]string{"metrics-port": "0", "metrics-bind": "127.0.0.1"}) {
		t.Errorf("CONFIG GET metrics-* = %q", got)
	}
	if err := c.Set("metrics-port", "9121"); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("CONFIG SET metrics-port: %v", err)
	}
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(conf); strings.Contains(string(data), "metrics") {
		t.Errorf("defaults rewritten:\n%s", data)
	}
	c = New()
	if err := c.LoadArgs([]string{"--metrics-port", "9121", "--metrics-bind", "0.0.0.0"}); err != nil {
		t.Fatal(err)
	}
	if c.Int("metrics-port") != 9121 || c.String("metrics-bind") != "0.0.0.0" {
		t.Errorf("loaded %d %q", c.Int("metrics-port"), c.String("metrics-bind"))
	}
	writeFile(t, conf, "port 16395\n")
	if err := c.LoadFile(conf); err != nil {
		t.Fatal(err)
	}
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(conf)
	if !strings.Contains(string(data), "\nmetrics-port 9121\nmetrics-bind \"0.0.0.0\"\n") {
		t.Errorf("changed extensions not rewritten:\n%s", data)
	}
}
