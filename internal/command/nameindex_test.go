package command

import (
	"bytes"
	"slices"
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

// The key shortcuts find what the key-spec walk finds.
func TestKeyShortcutsMatchSpecs(t *testing.T) {
	n1, nAll := 0, 0
	for _, c := range allCommands(Default()) {
		if !c.keyAt1 && !c.keysFrom1 {
			continue
		}
		if c.keyAt1 {
			n1++
		} else {
			nAll++
		}
		argcs := []int{c.Arity}
		if c.Arity < 0 {
			argcs = []int{-c.Arity, -c.Arity + 1, -c.Arity + 4}
		}
		for _, argc := range argcs {
			argv := make([][]byte, argc)
			for i := range argv {
				argv[i] = []byte("a")
			}
			want, werr := walkKeys(c, argv, nil, keyIndex)
			got, gerr := c.KeyIndexes(argv, nil)
			if werr != gerr || !slices.Equal(got, want) {
				t.Errorf("%s with %d arguments: shortcut %v %v, spec walk %v %v", c.Name, argc, got, gerr, want, werr)
			}
		}
	}
	if n1 < 100 || nAll < 10 {
		t.Fatalf("only %d commands take the one-key shortcut and %d the all-keys one", n1, nAll)
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
