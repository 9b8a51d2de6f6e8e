package config

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests replay what testdata/record.sh recorded from a real
// redis-server 7.0.15 and expect Taconite to answer byte for byte the same.

// envDependent are the parameters whose recorded default depends on how
// and where the recording server ran; their real defaults are checked
// explicitly instead.
var envDependent = map[string]string{
	"port": "6379",           // record.sh passes --port
	"bind": "127.0.0.1 -::1", // Redis compiles in "* -::*": see defaultBind
	"dir":  "",               // the working directory; checked separately
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestDefaultsMatchRedis(t *testing.T) {
	want := map[string]string{}
	for _, l := range readLines(t, "testdata/redis-7.0-defaults.txt") {
		name, val, ok := strings.Cut(l, "\t")
		if !ok {
			t.Fatalf("bad line %q", l)
		}
		want[name] = val
	}
	c := New()
	// Every recorded name exists, with the recorded default.
	for name, val := range want {
		got := c.Get(name)
		if len(got) != 2 {
			t.Errorf("%s: not a parameter", name)
			continue
		}
		if exp, ok := envDependent[name]; ok {
			if exp != "" && got[1] != exp {
				t.Errorf("%s = %q, want %q", name, got[1], exp)
			}
			continue
		}
		if got[1] != val {
			t.Errorf("%s = %q, Redis says %q", name, got[1], val)
		}
	}
	// And nothing more: every name of the table was recorded.
	all := c.Get("*")
	names := map[string]bool{}
	for i := 0; i < len(all); i += 2 {
		names[all[i]] = true
	}
	for _, e := range sortedEntries {
		if extensions[e.name] {
			delete(names, e.name) // Taconite's own, not Redis's
		}
		if params[e.idx].has(fHidden) {
			names[e.name] = true
			if len(c.Get("*"+e.name[1:])) != 0 {
				t.Errorf("hidden %s matched by a glob", e.name)
			}
		}
	}
	if len(names) != len(want) {
		var extra []string
		for n := range names {
			if _, ok := want[n]; !ok {
				extra = append(extra, n)
			}
		}
		t.Errorf("table has %d names, Redis %d; not in Redis: %v", len(names), len(want), extra)
	}
	cwd, _ := os.Getwd()
	real, _ := filepath.EvalSymlinks(cwd)
	if got := c.String("dir"); got != cwd && got != real {
		t.Errorf("dir = %q, want the working directory %q", got, cwd)
	}
}

func pairsToMap(t *testing.T, what string, pairs []string) map[string]string {
	t.Helper()
	if len(pairs)%2 != 0 {
		t.Fatalf("%s: odd reply %q", what, pairs)
	}
	m := map[string]string{}
	for i := 0; i < len(pairs); i += 2 {
		if _, dup := m[pairs[i]]; dup {
			t.Errorf("%s: %s twice", what, pairs[i])
		}
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

func sameMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCommandsMatchRedis(t *testing.T) {
	lines := readLines(t, "testdata/redis-7.0-commands.txt")
	c := New()
	n := 0
	for i := 0; i < len(lines); i++ {
		cmd := lines[i]
		if cmd == "" || strings.HasPrefix(cmd, "#") || strings.HasPrefix(cmd, "<") {
			continue
		}
		var reply []string
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "< ") {
			reply = append(reply, lines[i+1][2:])
			i++
		}
		args, ok := splitArgs(cmd)
		if !ok || len(args) < 2 || !strings.EqualFold(args[0], "config") {
			t.Fatalf("bad case %q", cmd)
		}
		n++
		switch strings.ToLower(args[1]) {
		case "set":
			got := "OK"
			if err := c.Set(args[2:]...); err != nil {
				got = err.Error()
			}
			if len(reply) != 1 || got != reply[0] {
				t.Errorf("%s:\n got %q\nwant %q", cmd, got, reply)
			}
		case "get":
			got := c.Get(args[2:]...)
			if !sameMaps(pairsToMap(t, cmd, got), pairsToMap(t, cmd+" (recorded)", reply)) {
				t.Errorf("%s:\n got %q\nwant %q", cmd, got, reply)
			}
		default:
			t.Fatalf("bad case %q", cmd)
		}
	}
	if n < 100 {
		t.Fatalf("only %d commands replayed", n)
	}
}

// loadCase is one case of testdata/redis-7.0-load.txt.
type loadCase struct {
	title string
	files map[string][]string
	order []string
	args  string
	get   string
	out   []string
	rc    string
}

func readLoadCases(t *testing.T) []*loadCase {
	var cases []*loadCase
	var cur *loadCase
	var file string
	for _, l := range readLines(t, "testdata/redis-7.0-load.txt") {
		switch {
		case strings.HasPrefix(l, "=== "):
			cur = &loadCase{title: l[4:], files: map[string][]string{}}
			cases = append(cases, cur)
		case cur == nil || l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "file "):
			file = l[5:]
			cur.order = append(cur.order, file)
			cur.files[file] = []string{}
		case strings.HasPrefix(l, "|"):
			text := strings.TrimPrefix(strings.TrimPrefix(l, "|"), " ")
			cur.files[file] = append(cur.files[file], text)
		case strings.HasPrefix(l, "args "):
			cur.args = l[5:]
		case strings.HasPrefix(l, "get "):
			cur.get = l[4:]
		case strings.HasPrefix(l, "out "):
			cur.out = append(cur.out, l[4:])
		case strings.HasPrefix(l, "rc "):
			cur.rc = l[3:]
		default:
			t.Fatalf("bad line %q", l)
		}
	}
	return cases
}

// testChecks stands in for the command table and the ACL rules parser.
var testChecks = Checks{
	CommandExists: func(name string) bool {
		switch strings.ToLower(name) {
		case "get", "set", "flushall", "del", "config", "ping":
			return true
		}
		return false
	},
	UserRules: func(rules []string) (int, string) {
		for i, r := range rules {
			switch {
			case r == "on", r == "off", r == "nopass", r == "allkeys", r == "allcommands",
				r == "resetchannels", r == "allchannels", r == "reset":
			case r != "" && strings.ContainsRune("><~&+-#%", rune(r[0])):
			default:
				return i, "Syntax error"
			}
		}
		return -1, ""
	},
}

func TestLoadMatchesRedis(t *testing.T) {
	cases := readLoadCases(t)
	if len(cases) < 50 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.title, func(t *testing.T) {
			dir := t.TempDir()
			subst := func(s string) string {
				s = strings.ReplaceAll(s, "FILE:", dir+"/")
				return strings.ReplaceAll(s, "PORT", "16400")
			}
			for _, name := range tc.order {
				var text strings.Builder
				for _, l := range tc.files[name] {
					text.WriteString(subst(l) + "\n")
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			argv, ok := splitArgs(subst(tc.args))
			if !ok {
				t.Fatalf("bad args %q", tc.args)
			}
			c := New()
			c.SetChecks(testChecks)
			if tc.get != "" {
				// record.sh makes the server listen on 127.0.0.1 only.
				if len(argv) > 0 && !strings.HasPrefix(argv[0], "-") {
					argv = append([]string{argv[0], "--bind", "127.0.0.1"}, argv[1:]...)
				} else {
					argv = append([]string{"--bind", "127.0.0.1"}, argv...)
				}
				if err := c.LoadArgsFrom(argv, strings.NewReader("")); err != nil {
					t.Fatalf("load: %v", err)
				}
				patterns, _ := splitArgs(tc.get)
				got := c.Get(patterns...)
				if !sameMaps(pairsToMap(t, "got", got), pairsToMap(t, "recorded", tc.out)) {
					t.Errorf("GET %s:\n got %q\nwant %q", tc.get, got, tc.out)
				}
				return
			}
			err := c.LoadArgsFrom(argv, strings.NewReader(""))
			if tc.rc != "1" {
				t.Fatalf("recorded exit status %s", tc.rc)
			}
			if err == nil {
				t.Fatalf("loaded fine, Redis said %q", tc.out)
			}
			if _, ok := err.(*FatalError); !ok {
				t.Fatalf("error %T, want *FatalError", err)
			}
			got := strings.Split(strings.TrimSuffix(err.Error(), "\n"), "\n")
			var want []string
			for _, l := range tc.out {
				want = append(want, strings.ReplaceAll(l, "DIR", dir))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestRecordedCasesAreComplete guards against the case files and the
// recordings drifting apart (run record.sh after editing the cases).
func TestRecordedCasesAreComplete(t *testing.T) {
	var titles []string
	for _, l := range readLines(t, "testdata/load.cases") {
		if strings.HasPrefix(l, "=== ") {
			titles = append(titles, l[4:])
		}
	}
	var got []string
	for _, c := range readLoadCases(t) {
		got = append(got, c.title)
	}
	if strings.Join(titles, "\n") != strings.Join(got, "\n") {
		t.Errorf("load.cases and redis-7.0-load.txt differ; run testdata/record.sh")
	}
	cmds := readLines(t, "testdata/commands.cases")
	var rec []string
	for _, l := range readLines(t, "testdata/redis-7.0-commands.txt") {
		if !strings.HasPrefix(l, "< ") {
			rec = append(rec, l)
		}
	}
	if strings.Join(cmds, "\n") != strings.Join(rec, "\n") {
		t.Errorf("commands.cases and redis-7.0-commands.txt differ; run testdata/record.sh")
	}
}
