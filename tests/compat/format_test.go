package compat

import (
	"bytes"
	"strings"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"GET k", []string{"GET", "k"}},
		{"  SET  a   b  ", []string{"SET", "a", "b"}},
		{`SET "a b" 'c d'`, []string{"SET", "a b", "c d"}},
		{`ECHO ""`, []string{"ECHO", ""}},
		{`ECHO ''`, []string{"ECHO", ""}},
		{`ECHO "\x00\x41\xff"`, []string{"ECHO", "\x00A\xff"}},
		{`ECHO "\n\r\t\b\a\\\""`, []string{"ECHO", "\n\r\t\b\a\\\""}},
		{`ECHO "\q\x4\xZZ"`, []string{"ECHO", "qx4xZZ"}},
		{`ECHO 'it\'s \n'`, []string{"ECHO", `it's \n`}},
		{`ECHO a"b c"d`, nil}, // closing quote glued to d
		{`ECHO a"b c"`, []string{"ECHO", "ab c"}},
		{`ECHO "open`, nil},
		{`ECHO 'open`, nil},
		{"a\tb", []string{"a", "b"}},
	}
	for _, c := range cases {
		got, err := SplitArgs(c.in)
		if c.want == nil && strings.ContainsAny(c.in, `"'`) {
			if err == nil {
				t.Errorf("SplitArgs(%q) = %q, want an error", c.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("SplitArgs(%q): %v", c.in, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", c.in, got, c.want)
			continue
		}
		for i := range got {
			if string(got[i]) != c.want[i] {
				t.Errorf("SplitArgs(%q) = %q, want %q", c.in, got, c.want)
				break
			}
		}
	}
}

func TestRenderRaw(t *testing.T) {
	cases := map[string]string{
		"":                  "(no reply)",
		"$-1\r\n":           "(nil)",
		":3\r\n":            "(integer) 3",
		"$3\r\na\x00\"\r\n": `"a\x00\""`,
	}
	for in, want := range cases {
		if got := RenderRaw([]byte(in)); got != want {
			t.Errorf("RenderRaw(%q) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"$5\r\nab", "+OK\r\n+OK\r\n"} {
		if got := RenderRaw([]byte(bad)); !strings.HasPrefix(got, "(unparsable") && !strings.Contains(got, "after the reply") {
			t.Errorf("RenderRaw(%q) = %q, want a note that the bytes are not one reply", bad, got)
		}
	}
}

func TestParseScript(t *testing.T) {
	src := `# comment

GET k
!unordered
KEYS *
!unordered 2
SCAN 0 COUNT 100
!unordered pairs
CONFIG GET *
!range 1 5
TTL k
!type
TIME
!ignore
CLIENT ID
!noreply
CLIENT REPLY OFF
!conn other
!raw "PING\r\n"
!conn main
PING
`
	steps, err := ParseScript([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		text  string
		kind  CheckKind
		conn  string
		raw   bool
		dirs  int
		line  int
		extra func(Check) bool
	}{
		{"GET k", CheckExact, "main", false, 0, 3, nil},
		{"KEYS *", CheckUnordered, "main", false, 1, 5, func(c Check) bool { return c.At == 0 && !c.Pairs }},
		{"SCAN 0 COUNT 100", CheckUnordered, "main", false, 1, 7, func(c Check) bool { return c.At == 2 }},
		{"CONFIG GET *", CheckUnordered, "main", false, 1, 9, func(c Check) bool { return c.Pairs }},
		{"TTL k", CheckRange, "main", false, 1, 11, func(c Check) bool { return c.Lo == 1 && c.Hi == 5 }},
		{"TIME", CheckType, "main", false, 1, 13, nil},
		{"CLIENT ID", CheckIgnore, "main", false, 1, 15, nil},
		{"CLIENT REPLY OFF", CheckNoReply, "main", false, 1, 17, nil},
		{`!raw "PING\r\n"`, CheckExact, "other", true, 1, 19, nil},
		{"PING", CheckExact, "main", false, 1, 21, nil},
	}
	if len(steps) != len(want) {
		t.Fatalf("got %d steps, want %d", len(steps), len(want))
	}
	for i, w := range want {
		s := steps[i]
		if s.Text != w.text || s.Check.Kind != w.kind || s.Conn != w.conn || s.IsRaw() != w.raw || len(s.Directives) != w.dirs || s.Line != w.line {
			t.Errorf("step %d = %+v, want %+v", i, s, w)
		}
		if w.extra != nil && !w.extra(s.Check) {
			t.Errorf("step %d check = %+v", i, s.Check)
		}
	}
	if string(steps[8].Raw) != "PING\r\n" {
		t.Errorf("raw bytes %q", steps[8].Raw)
	}
	for _, bad := range []string{
		"!type\n",                  // directive with no command
		"!bogus\nPING\n",           // unknown directive
		"!type\n!ignore\nPING\n",   // two comparisons
		"!range 5 1\nTTL k\n",      // empty range
		"!raw\n",                   // raw without bytes
		"ECHO \"open\n",            // unbalanced quotes
		"!unordered first\nKEYS *", // bad unordered argument
	} {
		if _, err := ParseScript([]byte(bad)); err == nil {
			t.Errorf("ParseScript(%q) succeeded, want an error", bad)
		}
	}
}

func TestGoldenRoundTrip(t *testing.T) {
	steps, err := ParseScript([]byte("PING\n!conn b\n!type\nTIME\n!raw \"x\\r\\n\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	replies := [][]byte{[]byte("+PONG\r\n"), []byte("*2\r\n$1\r\n1\r\n$1\r\n2\r\n"), []byte("-ERR \"q\"\x00\r\n")}
	text := FormatGolden("header line\nsecond", steps, replies)
	entries, err := ParseGolden(text)
	if err != nil {
		t.Fatalf("%v in\n%s", err, text)
	}
	if err := MatchScript(steps, entries); err != nil {
		t.Fatal(err)
	}
	for i := range replies {
		if !bytes.Equal(entries[i].Reply, replies[i]) {
			t.Errorf("entry %d reply %q, want %q", i, entries[i].Reply, replies[i])
		}
	}
	stale, _ := ParseScript([]byte("PING\nTIME\n"))
	if err := MatchScript(stale, entries); err == nil {
		t.Error("MatchScript accepted a script that differs from the golden file")
	}
}

func TestCompare(t *testing.T) {
	cases := []struct {
		check     Check
		want, got string
		ok        bool
	}{
		{Check{}, "+OK\r\n", "+OK\r\n", true},
		{Check{}, "+OK\r\n", "+Ok\r\n", false},
		{Check{Kind: CheckType}, ":1\r\n", ":99\r\n", true},
		{Check{Kind: CheckType}, ":1\r\n", "$2\r\n99\r\n", false},
		{Check{Kind: CheckRange, Lo: 1, Hi: 5}, ":3\r\n", ":5\r\n", true},
		{Check{Kind: CheckRange, Lo: 1, Hi: 5}, ":3\r\n", ":6\r\n", false},
		{Check{Kind: CheckRange, Lo: 1, Hi: 5}, ":3\r\n", "$1\r\n3\r\n", false},
		{Check{Kind: CheckIgnore}, ":3\r\n", "-ERR\r\n", true},
		{Check{Kind: CheckUnordered}, "*2\r\n+a\r\n+b\r\n", "*2\r\n+b\r\n+a\r\n", true},
		{Check{Kind: CheckUnordered}, "*2\r\n+a\r\n+b\r\n", "*2\r\n+b\r\n+b\r\n", false},
		{Check{Kind: CheckUnordered}, "*2\r\n+a\r\n+b\r\n", "~2\r\n+b\r\n+a\r\n", false},
		{Check{Kind: CheckUnordered, Pairs: true}, "*4\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "*4\r\n+b\r\n:2\r\n+a\r\n:1\r\n", true},
		{Check{Kind: CheckUnordered, Pairs: true}, "*4\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "*4\r\n+b\r\n:1\r\n+a\r\n:2\r\n", false},
		{Check{Kind: CheckUnordered}, "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+b\r\n:2\r\n+a\r\n:1\r\n", true},
		{Check{Kind: CheckUnordered, At: 2}, "*2\r\n$1\r\n0\r\n*2\r\n+a\r\n+b\r\n", "*2\r\n$1\r\n0\r\n*2\r\n+b\r\n+a\r\n", true},
		{Check{Kind: CheckUnordered, At: 2}, "*2\r\n$1\r\n0\r\n*2\r\n+a\r\n+b\r\n", "*2\r\n$1\r\n5\r\n*2\r\n+b\r\n+a\r\n", false},
		{Check{Kind: CheckUnordered, At: 2}, "*2\r\n$1\r\n0\r\n*2\r\n+a\r\n+b\r\n", "-ERR x\r\n", false},
		{Check{Kind: CheckUnordered, At: 2}, "*2\r\n$1\r\n0\r\n*2\r\n+a\r\n+b\r\n", "*1\r\n$1\r\n0\r\n", false},
		{Check{Kind: CheckUnordered}, "*2\r\n*1\r\n+a\r\n+b\r\n", "*2\r\n+b\r\n*1\r\n+a\r\n", true},
		{Check{Kind: CheckUnordered}, "*2\r\n+a\r\n+b\r\n", "*2\r\n+a\r\n+b\r\n+c\r\n", false},
		{Check{Kind: CheckUnordered}, "*0\r\n", "*-1\r\n", false},
	}
	for _, c := range cases {
		why := Compare(c.check, []byte(c.want), []byte(c.got))
		if (why == "") != c.ok {
			t.Errorf("Compare(%+v, %q, %q) = %q, want ok=%v", c.check, c.want, c.got, why, c.ok)
		}
	}
}
