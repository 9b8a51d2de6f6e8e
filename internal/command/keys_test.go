package command

import (
	"encoding/json"
	"math/rand"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
)

type getKeysCase struct {
	Args  []string   `json:"args"`
	Keys  []string   `json:"keys"`
	Flags [][]string `json:"flags"`
	Error string     `json:"error"`
}

// getKeys answers COMMAND GETKEYS the way the server will, from this
// package's API: the checks in Redis's order, then KeyIndexes.
func getKeys(tab *Table, argv [][]byte) ([]KeyRef, string) {
	c := tab.LookupArgv(argv)
	switch {
	case c == nil:
		return nil, "ERR Invalid command specified"
	case !c.HasKeys():
		return nil, "ERR The command has no key arguments"
	}
	refs, err := c.KeyIndexesWithFlags(argv, nil)
	if err != nil {
		return nil, "ERR " + err.Error()
	}
	idx, err2 := c.KeyIndexes(argv, nil)
	if err2 != nil || len(idx) != len(refs) {
		return nil, "KeyIndexes disagrees with KeyIndexesWithFlags"
	}
	for i := range idx {
		if idx[i] != refs[i].Index {
			return nil, "KeyIndexes disagrees with KeyIndexesWithFlags"
		}
	}
	return refs, ""
}

// TestGetKeysMatchesRedis replays the calls of testdata/getkeys.in, whose
// COMMAND GETKEYS and GETKEYSANDFLAGS results were recorded from Redis 7.0.
func TestGetKeysMatchesRedis(t *testing.T) {
	data, err := os.ReadFile("testdata/getkeys.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []getKeysCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 80 {
		t.Fatalf("only %d recorded cases", len(cases))
	}
	tab := Default()
	for _, tc := range cases {
		argv := make([][]byte, len(tc.Args))
		for i, a := range tc.Args {
			argv[i] = []byte(a)
		}
		refs, errText := getKeys(tab, argv)
		name := strings.Join(tc.Args, " ")
		if errText != tc.Error {
			t.Errorf("%q: error %q, Redis %q", name, errText, tc.Error)
			continue
		}
		if tc.Error != "" {
			continue
		}
		var keys []string
		var flags [][]string
		for _, r := range refs {
			keys = append(keys, tc.Args[r.Index])
			flags = append(flags, r.Flags)
			if !slices.Equal(r.Flags, r.Bits.Names()) {
				t.Errorf("%q: key %d: Flags %v but Bits %v", name, r.Index, r.Flags, r.Bits.Names())
			}
		}
		if !slices.Equal(keys, tc.Keys) {
			t.Errorf("%q: keys %q, Redis %q", name, keys, tc.Keys)
			continue
		}
		for i := range flags {
			if len(flags[i]) != 0 || len(tc.Flags[i]) != 0 {
				if !slices.Equal(flags[i], tc.Flags[i]) {
					t.Errorf("%q: key %d flags %v, Redis %v", name, i, flags[i], tc.Flags[i])
				}
			}
		}
	}
}

func TestKeyIndexesAppendsAndKeepsDstOnError(t *testing.T) {
	tab := Default()
	mset := tab.Lookup([]byte("mset"))
	dst := []int{99}
	dst, err := mset.KeyIndexes(args("MSET", "a", "1", "b", "2"), dst)
	if err != nil || !slices.Equal(dst, []int{99, 1, 3}) {
		t.Fatalf("got %v, %v", dst, err)
	}
	zu := tab.Lookup([]byte("zunionstore"))
	dst, err = zu.KeyIndexes(args("ZUNIONSTORE", "d", "5", "a"), dst)
	if err != ErrInvalidArgs || !slices.Equal(dst, []int{99, 1, 3}) {
		t.Fatalf("bad numkeys: got %v, %v", dst, err)
	}
	dst, err = mset.KeyIndexes(args("MSET", "a"), dst)
	if err != ErrArity || len(dst) != 3 {
		t.Fatalf("bad arity: got %v, %v", dst, err)
	}
	ping := tab.Lookup([]byte("ping"))
	if got, err := ping.KeyIndexes(args("PING"), nil); err != nil || len(got) != 0 {
		t.Fatalf("PING: got %v, %v", got, err)
	}
	// Subcommand key positions count the subcommand name.
	oe := tab.LookupArgv(args("object", "ENCODING", "k"))
	if got, err := oe.KeyIndexes(args("object", "ENCODING", "k"), nil); err != nil || !slices.Equal(got, []int{2}) {
		t.Fatalf("OBJECT ENCODING: got %v, %v", got, err)
	}
}

// TestKeyIndexesNeverPanics throws random argument lists at every command
// and subcommand; extraction must stay within argv whatever it gets.
func TestKeyIndexesNeverPanics(t *testing.T) {
	tab := Default()
	words := []string{"", "0", "1", "2", "3", "-1", "999999999999", "4294967297", "2x", " 1",
		"store", "STOREDIST", "keys", "streams", "get", "set", "by", "limit", "auth", "auth2",
		"group", "block", "count", "noack", "overflow", "incrby", "k", "\x00"}
	rng := rand.New(rand.NewSource(1))
	var dst []int
	var refs []KeyRef
	for id := 0; id < tab.NumIDs(); id++ {
		c := tab.ByID(id)
		for n := 0; n < 60; n++ {
			argc := 1 + rng.Intn(9)
			argv := make([][]byte, argc)
			for i := range argv {
				argv[i] = []byte(words[rng.Intn(len(words))])
			}
			argv[0] = []byte(c.Name)
			if c.Parent != nil {
				argv[0] = []byte(c.Parent.Name)
				if argc > 1 {
					argv[1] = []byte(c.SubName())
				}
			}
			var err error
			dst, err = c.KeyIndexes(argv, dst[:0])
			refs, _ = c.KeyIndexesWithFlags(argv, refs[:0])
			if len(dst) != len(refs) {
				t.Fatalf("%s %q: %d indexes but %d refs", c.Name, argv, len(dst), len(refs))
			}
			for _, i := range dst {
				if i < 1 || i >= argc {
					t.Fatalf("%s %q: key index %d out of range (err %v)", c.Name, argv, i, err)
				}
			}
		}
	}
}

func TestKeyIndexesDoesNotAllocate(t *testing.T) {
	tab := Default()
	calls := [][][]byte{
		args("GET", "k"),
		args("MSET", "a", "1", "b", "2"),
		args("ZUNIONSTORE", "d", "2", "a", "b"),
		args("ZUNIONSTORE", "d", "2x", "a", "b"),
		args("EVAL", "return 1", "2", "a", "b"),
		args("XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"),
		args("SORT", "k", "BY", "w", "STORE", "d"),
		args("MIGRATE", "h", "1", "", "0", "5", "KEYS", "a", "b"),
		args("SET", "k", "v", "GET"),
		args("BITFIELD", "k", "GET", "u8", "0"),
		args("OBJECT", "ENCODING", "k"),
	}
	dst := make([]int, 0, 16)
	refs := make([]KeyRef, 0, 16)
	for _, argv := range calls {
		c := tab.LookupArgv(argv)
		allocs := testing.AllocsPerRun(100, func() {
			dst, _ = c.KeyIndexes(argv, dst[:0])
			refs, _ = c.KeyIndexesWithFlags(argv, refs[:0])
		})
		if allocs != 0 {
			t.Errorf("%q: %v allocations", argv, allocs)
		}
	}
}

func TestParseInt64(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"123", 123, true},
		{"9223372036854775807", 1<<63 - 1, true}, {"-9223372036854775808", -1 << 63, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false}, {"99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {"-0", 0, false}, {"01", 0, false}, {"+1", 0, false},
		{" 1", 0, false}, {"1 ", 0, false}, {"1a", 0, false}, {"1.0", 0, false},
	} {
		got, ok := resp.ParseInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("resp.ParseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAtoi(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"0", 0}, {"12", 12}, {"-3", -3}, {"+4", 4}, {" \t5", 5}, {"2abc", 2}, {"abc", 0},
		{"", 0}, {"0x10", 0}, {"4294967297", 1}, {"2147483648", -2147483648},
		{"99999999999999999999", -1}, {"-99999999999999999999", 0}, {"7\x008", 7},
	} {
		if got := atoi([]byte(tc.in)); got != tc.want {
			t.Errorf("atoi(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}
