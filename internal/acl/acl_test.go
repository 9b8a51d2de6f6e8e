package acl

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/command"
)

var tb = command.Default()

func mustUser(t *testing.T, rules string) *User {
	t.Helper()
	u, err := SetRules(tb, nil, "u", strings.Fields(rules), false)
	if err != nil {
		t.Fatalf("SetRules(%q): %v", rules, err)
	}
	return u
}

func words(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

// check runs the permission check of a call as the gate does: the
// command, or the subcommand when the command is a container.
func check(t *testing.T, u *User, call string) (Reason, int) {
	t.Helper()
	argv := words(call)
	cmd := tb.Lookup(argv[0])
	if cmd == nil {
		t.Fatalf("no command %q", argv[0])
	}
	if cmd.Subcommands != nil && len(argv) > 1 {
		cmd = cmd.Sub(argv[1])
	}
	var keys []command.KeyRef
	return u.Check(cmd, argv, &keys)
}

func TestRuleErrors(t *testing.T) {
	for _, tc := range []struct{ rules, op, msg string }{
		{"+nosuch", "+nosuch", ErrUnknownCommand},
		{"-@nosuch", "-@nosuch", ErrUnknownCommand},
		{"on foo", "foo", ErrSyntax},
		{"+get|", "+get|", ErrSyntax},
		{"+config|get|x", "+config|get|x", ErrFirstArgOfSub},
		{"+config|nosuch", "+config|nosuch", ErrUnknownCommand},
		{"-select|0", "-select|0", ErrUnknownCommand},
		{"#abc", "#abc", ErrBadHash},
		{"#0B14D501A594442A01C6859541BCB3E8164D183D32937B851835442F69D5C94E", "#0B14D501A594442A01C6859541BCB3E8164D183D32937B851835442F69D5C94E", ErrBadHash},
		{"<nopass", "<nopass", ErrNoSuchPassword},
		{"%~x", "%~x", ErrSyntax},
		{"%X~x", "%X~x", ErrSyntax},
		{"%RR~x", "%RR~x", ErrSyntax},
		{"~* ~x", "~x", ErrKeysAfterAll},
		{"allkeys %R~x", "%R~x", ErrKeysAfterAll},
		{"&* &x", "&x", ErrChannelsAfter},
		{"(~x +nosuch)", "(~x +nosuch)", ErrUnknownCommand},
	} {
		_, err := SetRules(tb, nil, "u", strings.Fields(tc.rules), false)
		var re *RuleError
		if !errors.As(err, &re) || re.Op != tc.op || re.Msg != tc.msg {
			t.Errorf("%q: %v, want op %q: %s", tc.rules, err, tc.op, tc.msg)
		}
	}
	if _, err := SetRules(tb, nil, "u", []string{"on", "(~x", "+get"}, false); err == nil ||
		err.Error() != "Unmatched parenthesis in acl selector starting at '(~x'." {
		t.Errorf("unclosed selector: %v", err)
	}
}

// TestSetRulesAllOrNothing: a failing rule leaves the user as it was.
func TestSetRulesAllOrNothing(t *testing.T) {
	u := mustUser(t, "on >pw ~k +get")
	if _, err := SetRules(tb, u, "u", []string{"-get", "+nosuch"}, false); err == nil {
		t.Fatal("want an error")
	}
	if r, _ := check(t, u, "GET k"); r != OK {
		t.Errorf("base user changed: %v", r)
	}
}

func TestPasswords(t *testing.T) {
	u := mustUser(t, "on >one >two")
	for pw, want := range map[string]bool{"one": true, "two": true, "three": false, "": false} {
		if got := u.CheckPassword([]byte(pw)); got != want {
			t.Errorf("password %q: %v", pw, got)
		}
	}
	u2, _ := SetRules(tb, u, "u", []string{"<one", "#" + HashPassword([]byte("three"))}, false)
	if u2.CheckPassword([]byte("one")) || !u2.CheckPassword([]byte("three")) || !u.CheckPassword([]byte("one")) {
		t.Error("removing/adding by hash")
	}
	off, _ := SetRules(tb, u, "u", []string{"off"}, false)
	if off.CheckPassword([]byte("one")) {
		t.Error("a disabled user authenticated")
	}
	np, _ := SetRules(tb, u, "u", []string{"nopass"}, false)
	if !np.CheckPassword([]byte("anything")) || len(np.Passwords()) != 0 {
		t.Error("nopass")
	}
	rp, _ := SetRules(tb, np, "u", []string{"resetpass"}, false)
	if rp.CheckPassword([]byte("anything")) || rp.NoPass {
		t.Error("resetpass")
	}
}

func TestCommandRules(t *testing.T) {
	for _, tc := range []struct {
		rules, call string
		want        Reason
	}{
		{"~* +@all -@dangerous", "GET k", OK},
		{"~* +@all -@dangerous", "FLUSHALL", DeniedCommand},
		{"~* +@all -@dangerous", "CONFIG GET x", DeniedCommand},
		{"~* -@all +config|get", "CONFIG GET x", OK},
		{"~* -@all +config|get", "CONFIG SET x y", DeniedCommand},
		{"~* -@all +config", "CONFIG SET x y", OK},
		{"~* -@all +config -config|set", "CONFIG SET x y", DeniedCommand},
		{"~* -@all +config -config|set", "CONFIG RESETSTAT", OK},
		{"~* -@all +select|0", "SELECT 0", OK},
		{"~* -@all +select|0", "SELECT 1", DeniedCommand},
		{"~* -@all +@read", "GET k", OK},
		{"~* -@all +@read", "SET k v", DeniedCommand},
		{"~* allcommands -set", "SET k v", DeniedCommand},
		{"~* nocommands +SET", "SET k v", OK},
		// AUTH and HELLO are no-auth commands: every user may run them.
		{"-@all", "AUTH x", OK},
	} {
		u := mustUser(t, tc.rules)
		if r, _ := check(t, u, tc.call); r != tc.want {
			t.Errorf("%q / %q: %v, want %v", tc.rules, tc.call, r, tc.want)
		}
	}
}

func TestKeyPatterns(t *testing.T) {
	for _, tc := range []struct {
		rules, call string
		want        Reason
		pos         int
	}{
		{"+@all ~app:*", "GET app:1", OK, 0},
		{"+@all ~app:*", "GET other", DeniedKey, 1},
		{"+@all ~app:* ~x", "MGET app:1 x y", DeniedKey, 3},
		{"+@all ~a?c", "GET abc", OK, 0},
		{"+@all ~a?c", "GET abbc", DeniedKey, 1},
		{"+@all ~a[bc]d", "GET acd", OK, 0},
		{"+@all ~a\\*", "GET a*", OK, 0},
		{"+@all ~a\\*", "GET ab", DeniedKey, 1},
		{"+@all %R~r:*", "GET r:1", OK, 0},
		{"+@all %R~r:*", "SET r:1 v", DeniedKey, 1},
		{"+@all %W~w:*", "SET w:1 v", OK, 0},
		{"+@all %W~w:*", "GET w:1", DeniedKey, 1},
		// No access flag: any pattern permission will do (EXISTS).
		{"+@all %W~w:*", "EXISTS w:1", OK, 0},
		{"+@all %R~x:* %W~x:*", "SET x:1 v", OK, 0},
		{"+@all %RW~x:*", "GETSET x:1 v", OK, 0},
		{"+@all %R~r:* %W~w:*", "COPY r:1 w:1", OK, 0},
		{"+@all %R~r:* %W~w:*", "COPY w:1 r:1", DeniedKey, 1},
		{"+@all %R~r:* %W~w:*", "LMOVE r:1 w:1 LEFT RIGHT", DeniedKey, 1},
		{"+@all allkeys", "GET anything", OK, 0},
		{"+@all resetkeys", "GET anything", DeniedKey, 1},
		// Keyless commands never meet the key patterns.
		{"+@all resetkeys", "PING", OK, 0},
		// Command refusals outrank key refusals within a selector.
		{"-@all +get resetkeys", "SET k v", DeniedCommand, 0},
	} {
		u := mustUser(t, tc.rules)
		if r, pos := check(t, u, tc.call); r != tc.want || pos != tc.pos {
			t.Errorf("%q / %q: %v at %d, want %v at %d", tc.rules, tc.call, r, pos, tc.want, tc.pos)
		}
	}
}

func TestChannelPatterns(t *testing.T) {
	for _, tc := range []struct {
		rules, call string
		want        Reason
	}{
		{"+@all resetchannels &news.*", "PUBLISH news.1 m", OK},
		{"+@all resetchannels &news.*", "PUBLISH sport m", DeniedChannel},
		{"+@all resetchannels &news.*", "SUBSCRIBE news.1 news.2", OK},
		{"+@all resetchannels &news.*", "SUBSCRIBE news.1 sport", DeniedChannel},
		{"+@all resetchannels &news.*", "SSUBSCRIBE news.1", OK},
		{"+@all resetchannels &news.*", "SPUBLISH sport m", DeniedChannel},
		// A pattern subscription must name an allowed pattern literally.
		{"+@all resetchannels &news.*", "PSUBSCRIBE news.*", OK},
		{"+@all resetchannels &news.*", "PSUBSCRIBE news.1*", DeniedChannel},
		{"+@all allchannels", "PSUBSCRIBE *", OK},
		{"+@all resetchannels", "PUBLISH x m", DeniedChannel},
		// Unsubscribing is always allowed.
		{"+@all resetchannels", "UNSUBSCRIBE x", OK},
		{"+@all resetchannels", "PUBSUB NUMSUB x", OK},
	} {
		u := mustUser(t, tc.rules)
		if r, _ := check(t, u, tc.call); r != tc.want {
			t.Errorf("%q / %q: %v, want %v", tc.rules, tc.call, r, tc.want)
		}
	}
	u := mustUser(t, "+@all resetchannels &a*")
	if !u.ChannelAllowed([]byte("ab"), false) || u.ChannelAllowed([]byte("b"), false) ||
		!u.ChannelAllowed([]byte("a*"), true) || u.ChannelAllowed([]byte("ab*"), true) {
		t.Error("ChannelAllowed")
	}
}

// TestSelectors: a call passes when any one selector allows all of it;
// otherwise the most specific refusal wins (channel > key > command) and,
// among equals, the one furthest in the arguments.
func TestSelectors(t *testing.T) {
	u := mustUser(t, "resetchannels ~a:* -@all +get (~b:* +set +get) (&c.* +publish) (%R~r:* %W~w:* +copy)")
	for _, tc := range []struct {
		call string
		want Reason
		pos  int
	}{
		{"GET a:1", OK, 0},
		{"GET b:1", OK, 0},
		{"SET b:1 v", OK, 0},
		{"SET a:1 v", DeniedKey, 1},
		{"PUBLISH c.1 m", OK, 0},
		{"PUBLISH d m", DeniedChannel, 1},
		{"DEL a:1", DeniedCommand, 0},
		{"COPY r:1 w:1", OK, 0},
		{"COPY w:1 r:1", DeniedKey, 1},
		{"MGET a:1 b:1", DeniedCommand, 0},
	} {
		if r, pos := check(t, u, tc.call); r != tc.want || pos != tc.pos {
			t.Errorf("%q: %v at %d, want %v at %d", tc.call, r, pos, tc.want, tc.pos)
		}
	}
	cleared, _ := SetRules(tb, u, "u", []string{"clearselectors"}, false)
	if r, _ := check(t, cleared, "GET b:1"); r != DeniedKey {
		t.Errorf("after clearselectors: %v", r)
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct{ rules, want string }{
		{"", "off resetchannels -@all"},
		{"on nopass ~* &* +@all", "on nopass ~* &* +@all"},
		{"on %R~r:* %W~w:* %RW~x ~y &c -@all +get", "on %R~r:* %W~w:* ~x ~y resetchannels &c -@all +get"},
		{"on ~a +@all -@dangerous (~b +get)", "on ~a resetchannels +@all -@dangerous (~b resetchannels -@all +get)"},
		{"-@all +select|0", "off resetchannels -@all +select|0"},
		{"reset", "off sanitize-payload resetchannels -@all"},
	} {
		u := mustUser(t, tc.rules)
		if got := u.Describe(tb); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.rules, got, tc.want)
		}
	}
}

func TestMergeSelectors(t *testing.T) {
	got, bad := MergeSelectors([]string{"on", "(~a", "+get)", "(~b)", "x"})
	if bad != -1 || strings.Join(got, "|") != "on|(~a +get)|(~b)|x" {
		t.Errorf("%q %d", got, bad)
	}
	if _, bad := MergeSelectors([]string{"on", "(~a", "+get"}); bad != 1 {
		t.Errorf("unclosed: %d", bad)
	}
}

func TestFromDirectivesAndCheckRules(t *testing.T) {
	users, notices, err := FromDirectives(tb, [][]string{{"default", "on", ">pw", "~*", "+@all"}, {"bob"}}, false)
	if err != nil || users["default"].NoPass || !users["default"].CheckPassword([]byte("pw")) || len(notices) != 1 {
		t.Fatalf("%v %v %v", users, notices, err)
	}
	if _, _, err := FromDirectives(tb, [][]string{{"bob", "on", "+nosuch"}}, false); err == nil ||
		err.Error() != "Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL" {
		t.Errorf("unknown command: %v", err)
	}
	if bad, _ := CheckRules(tb, []string{"on", "+nosuch"}, false); bad != -1 {
		t.Errorf("CheckRules accepts unknown commands: %d", bad)
	}
	if bad, msg := CheckRules(tb, []string{"on", ">x", "~*", "foo"}, false); bad != 3 || msg != ErrSyntax {
		t.Errorf("CheckRules: %d %q", bad, msg)
	}
}

func TestRegistryReplaceDropsOtherUsers(t *testing.T) {
	r := NewRegistry(tb)
	e, _, _ := r.SetUser("keep", []string{"on"})
	def := r.Default()
	gone := r.Replace(map[string]*User{"keep": NewUser(tb, "keep", false)})
	if len(gone) != 1 || gone[0] != e || !e.Gone() || r.Get("keep") == e || r.Default() != def || def.Gone() {
		t.Error("ACL LOAD semantics: every non-default user gets a new entry")
	}
}

func TestGenPass(t *testing.T) {
	for bits, n := range map[int]int{1: 1, 4: 1, 5: 2, 256: 64, 4096: 1024} {
		if p := GenPass(bits); len(p) != n || strings.Trim(p, "0123456789abcdef") != "" {
			t.Errorf("GenPass(%d) = %q", bits, p)
		}
	}
}

// FuzzSetUser: no rule list makes rule parsing, describing or checking
// panic, and a user described and parsed again describes the same.
func FuzzSetUser(f *testing.F) {
	for _, s := range []string{
		"on >pw ~* +@all", "%R~a %W~b &c +get -@dangerous", "(~a +get) (&x", "+select|0 -select",
		"#0b14d501a594442a01c6859541bcb3e8164d183d32937b851835442f69d5c94e <x !aa", "~* ~x", "+config|get|x",
		"allkeys allchannels nocommands reset clearselectors", "%RW~x* %r~[a-", "(())", "+@all -config|",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rules := strings.Fields(s)
		u, err := SetRules(tb, nil, "f", rules, false)
		CheckRules(tb, rules, true)
		if err != nil {
			return
		}
		d := u.Describe(tb)
		u.Info(tb)
		var keys []command.KeyRef
		for _, call := range []string{"GET k", "SET k v", "PUBLISH ch m", "PSUBSCRIBE c*", "CONFIG GET x", "SELECT 0", "COPY a b"} {
			argv := words(call)
			cmd := tb.Lookup(argv[0])
			if cmd.Subcommands != nil {
				cmd = cmd.Sub(argv[1])
			}
			u.Check(cmd, argv, &keys)
		}
		// Patterns with blanks, quotes or parentheses (possible inside a
		// quoted selector) are described unquoted, as Redis does, and do
		// not read back the same.
		for _, sel := range u.selectors {
			for _, k := range sel.keys {
				if strings.ContainsAny(k.pat, " \t\r\n\"'()") {
					return
				}
			}
			for _, ch := range sel.channels {
				if strings.ContainsAny(ch, " \t\r\n\"'()") {
					return
				}
			}
		}
		again, err := SetRules(tb, nil, "f", strings.Fields(d), false)
		if err != nil {
			t.Fatalf("description %q of %q does not parse: %v", d, s, err)
		}
		if d2 := again.Describe(tb); d2 != d {
			t.Fatalf("%q: described %q, then %q", s, d, d2)
		}
	})
}

// TestKeyRangeMatchesKeySpecs: for every command the check takes the
// legacy key range of, that range names exactly the keys the key specs
// (COMMAND GETKEYS) find.
func TestKeyRangeMatchesKeySpecs(t *testing.T) {
	var walk func([]*command.Command)
	n := 0
	walk = func(cmds []*command.Command) {
		for _, cmd := range cmds {
			walk(cmd.SubcommandList())
			if !cmd.HasKeys() {
				continue
			}
			lo, hi := cmd.Arity, cmd.Arity
			if lo < 0 {
				lo, hi = -lo, -lo+5
			}
			for argc := lo; argc <= hi; argc++ {
				argv := make([][]byte, argc)
				for i := range argv {
					argv[i] = []byte("1")
				}
				argv[0] = []byte(cmd.Name)
				if cmd.Parent != nil {
					parent, sub, _ := strings.Cut(cmd.Name, "|")
					argv[0], argv[1] = []byte(parent), []byte(sub)
				}
				first, last, step, ok := keyRange(cmd, argc)
				if !ok {
					continue
				}
				want, err := cmd.KeyIndexes(argv, nil)
				if err != nil {
					continue
				}
				var got []int
				for i := first; i <= last; i += step {
					got = append(got, i)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s argc %d: range %v, key specs %v", cmd.Name, argc, got, want)
				}
				n++
			}
		}
	}
	walk(tb.All())
	if n < 100 {
		t.Fatalf("only %d calls compared", n)
	}
}

// BenchmarkCheck is the per-command cost of the gate's permission check
// for a user with key patterns and command rules (bench/acl.sh's user):
// a prefix pattern, a glob pattern, and a refused key.
func BenchmarkCheck(b *testing.B) {
	for _, bc := range []struct{ name, rules, call string }{
		{"set/prefix", "on ~key:* ~counter:* -@all +set +get", "set key:000000012345 xxxxxxxxxxxxxxxx"},
		{"get/prefix", "on ~key:* ~counter:* -@all +set +get", "get key:000000012345"},
		{"get/glob", "on ~k?y:*5 ~counter:* -@all +set +get", "get key:000000012345"},
		{"mset/prefix", "on ~key:* -@all +mset", "mset key:1 a key:2 b key:3 c key:4 d key:5 e"},
		{"get/denied-key", "on ~other:* -@all +get", "get key:000000012345"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			u, err := SetRules(tb, nil, "u", strings.Fields(bc.rules), false)
			if err != nil {
				b.Fatal(err)
			}
			argv := words(bc.call)
			cmd := tb.Lookup(argv[0])
			var keys []command.KeyRef
			b.ReportAllocs()
			for b.Loop() {
				u.Check(cmd, argv, &keys)
			}
		})
	}
}
