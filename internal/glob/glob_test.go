package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", false}, // as Redis: callers special-case a lone "*"
		{"*", "abc", true},
		{"a*", "abc", true},
		{"a*c", "abc", true},
		{"a*d", "abc", false},
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[b-a]llo", "hallo", true},
		{"h[a-b]llo", "hcllo", false},
		{`h\*llo`, "h*llo", true},
		{`h\*llo`, "hello", false},
		{`[\]]`, "]", true},
		{"**a", "bba", true},
		{"a**", "a", true},
		{"", "", true},
		{"", "a", false},
		{"key:*", "key:1", true},
		{"*:*", "key:1", true},
		{"[abc", "a", true},
		{"user:[0-9]*", "user:5x", true},
	}
	for _, c := range cases {
		if got := MatchString(c.p, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
	if !MatchFold([]byte("HeLLo*"), []byte("hello world")) {
		t.Error("fold")
	}
}

func TestPathologicalPatternIsFast(t *testing.T) {
	p := []byte(strings.Repeat("*a", 40) + "b")
	s := []byte(strings.Repeat("a", 200))
	if Match(p, s) {
		t.Fatal("matched")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*b?[c-d]\\e", "axbcde")
	f.Fuzz(func(t *testing.T, p, s string) {
		MatchString(p, s)
	})
}

func BenchmarkMatch(b *testing.B) {
	p, s := []byte("key:*:[a-z]?"), []byte("key:12345:ab")
	for i := 0; i < b.N; i++ {
		Match(p, s)
	}
}
