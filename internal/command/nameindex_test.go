package command

import (
	"bytes"
	"strings"
	"testing"
)

// Every command and subcommand is found under its name in any case, and
// nothing else is.
func TestNameIndexFindsEveryName(t *testing.T) {
	tb := Default()
	for _, c := range tb.All() {
		for _, name := range []string{c.Name, strings.ToUpper(c.Name), mixedCase(c.Name)} {
			if got := tb.Lookup([]byte(name)); got != c {
				t.Fatalf("Lookup(%q) = %v, want %s", name, got, c.Name)
			}
		}
		for _, s := range c.subs {
			sub := s.SubName()
			for _, name := range []string{sub, strings.ToUpper(sub), mixedCase(sub)} {
				if got := c.Sub([]byte(name)); got != s {
					t.Fatalf("%s Sub(%q) = %v, want %s", c.Name, name, got, s.Name)
				}
			}
		}
	}
	for _, name := range []string{"", "g", "ge", "gets", "get\x00", "xyzzy", "config|get", strings.Repeat("a", 40), "\xff\xfe"} {
		if got := tb.Lookup([]byte(name)); got != nil {
			t.Fatalf("Lookup(%q) = %s, want nil", name, got.Name)
		}
	}
	if got := tb.Lookup([]byte("config")).Sub([]byte("nosuch")); got != nil {
		t.Fatalf("Sub(nosuch) = %s", got.Name)
	}
}

func mixedCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 {
			b[i] = bytes.ToUpper(b[i : i+1])[0]
		}
	}
	return string(b)
}

// The one-key shortcut finds what the key-spec walk finds.
func TestKeyAt1MatchesSpecs(t *testing.T) {
	n := 0
	for _, c := range allCommands(Default()) {
		if !c.keyAt1 {
			continue
		}
		n++
		argc := c.Arity
		if argc < 0 {
			argc = -argc + 2
		}
		argv := make([][]byte, argc)
		for i := range argv {
			argv[i] = []byte("a")
		}
		c.keyAt1 = false
		want, werr := c.KeyIndexes(argv, nil)
		c.keyAt1 = true
		got, gerr := c.KeyIndexes(argv, nil)
		if werr != gerr || len(got) != 1 || len(want) != 1 || got[0] != want[0] {
			t.Errorf("%s: shortcut %v %v, spec walk %v %v", c.Name, got, gerr, want, werr)
		}
	}
	if n < 100 {
		t.Fatalf("only %d commands take the one-key shortcut", n)
	}
}

func allCommands(tb *Table) []*Command {
	var out []*Command
	for _, c := range tb.All() {
		out = append(out, c)
		out = append(out, c.subs...)
	}
	return out
}
