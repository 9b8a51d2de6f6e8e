package script

import (
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
)

// fakeHost answers GET with a bulk and INCR with an integer, enough for
// the hot path and the conversions.
type fakeHost struct{ n int64 }

func (h *fakeHost) Call(dst []byte, argv [][]byte, proto int) []byte {
	switch strings.ToLower(string(argv[0])) {
	case "get":
		return resp.AppendBulkString(dst, "value")
	case "incr":
		h.n++
		return resp.AppendInt(dst, h.n)
	}
	return append(dst, "-ERR Unknown Redis command called from script\r\n"...)
}

func (h *fakeHost) Log(int, string) {}

func run(t testing.TB, st *State, body string, keys ...string) string {
	e := st.e
	sc, msg := e.Load([]byte(body))
	if sc == nil {
		t.Fatalf("load: %s", msg)
	}
	var k [][]byte
	for _, s := range keys {
		k = append(k, []byte(s))
	}
	out, _ := st.Run(nil, &fakeHost{}, Call{Script: sc, Keys: k, Proto: 2})
	return string(out)
}

func TestStateReusedAcrossRuns(t *testing.T) {
	st := NewEngine().NewState()
	defer st.Close()
	for i := 0; i < 3; i++ {
		if got := run(t, st, "return {redis.call('get', KEYS[1]), redis.call('incr', KEYS[1])}", "k"); got != "*2\r\n$5\r\nvalue\r\n:1\r\n" {
			t.Fatalf("run %d: %q", i, got)
		}
	}
	// A global written through rawset by a previous script would leak:
	// globals stay read-only.
	if got := run(t, st, "x = 1"); !strings.Contains(got, "Attempt to modify a readonly table") {
		t.Fatalf("global write: %q", got)
	}
}

func TestFlushDropsCompiledFunctions(t *testing.T) {
	e := NewEngine()
	st := e.NewState()
	defer st.Close()
	run(t, st, "return 1")
	e.Flush()
	if e.Count() != 0 {
		t.Fatalf("cache not empty")
	}
	if got := run(t, st, "return 1"); got != ":1\r\n" {
		t.Fatalf("after flush: %q", got)
	}
}

func BenchmarkEvalGetIncr(b *testing.B) {
	e := NewEngine()
	st := e.NewState()
	defer st.Close()
	sc, _ := e.Load([]byte("local v = redis.call('get', KEYS[1]) return redis.call('incr', KEYS[1])"))
	h := &fakeHost{}
	keys := [][]byte{[]byte("key")}
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		out, _ = st.Run(out[:0], h, Call{Script: sc, Keys: keys, Proto: 2})
	}
}

func FuzzCjsonDecode(f *testing.F) {
	for _, s := range []string{`[1,2,3]`, `{"a":[1,{"b":null}]}`, `"\u00e9\ud83d\ude00"`, `1.5e3`, `[1,2`, ``, `{"a":1} x`, `tru`, `"\x"`} {
		f.Add(s)
	}
	st := NewEngine().NewState()
	defer st.Close()
	sc, _ := st.e.Load([]byte("local ok, v = pcall(cjson.decode, ARGV[1]) if ok then return cjson.encode(v) end return v"))
	f.Fuzz(func(t *testing.T, s string) {
		out, _ := st.Run(nil, &fakeHost{}, Call{Script: sc, Args: [][]byte{[]byte(s)}, Proto: 2})
		if len(out) == 0 {
			t.Fatal("no reply")
		}
	})
}

func FuzzMsgpackUnpack(f *testing.F) {
	for _, s := range []string{"\x93\x01\x02\x03", "\x81\xa1a\x01", "\xca?\xc0\x00\x00", "\xdd\xff\xff\xff\xff", "\xd9", ""} {
		f.Add(s)
	}
	st := NewEngine().NewState()
	defer st.Close()
	sc, _ := st.e.Load([]byte("local ok, v = pcall(cmsgpack.unpack, ARGV[1]) if ok then return cmsgpack.pack(v) end return v"))
	f.Fuzz(func(t *testing.T, s string) {
		out, _ := st.Run(nil, &fakeHost{}, Call{Script: sc, Args: [][]byte{[]byte(s)}, Proto: 2})
		if len(out) == 0 {
			t.Fatal("no reply")
		}
	})
}
