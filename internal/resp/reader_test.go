package resp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// Redis 7.0.15's replies to DEBUG PROTOCOL <type> for string, integer,
// double, bignum, null, array, set, map, attrib, push, verbatim, true and
// false, captured from redis-server in each protocol.
const (
	debugProtocol2 = "$11\r\nHello World\r\n:12345\r\n$5\r\n3.141\r\n" +
		"$37\r\n1234567999999999999999999999999999999\r\n$-1\r\n" +
		"*3\r\n:0\r\n:1\r\n:2\r\n*3\r\n:0\r\n:1\r\n:2\r\n*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n" +
		"$39\r\nSome real reply following the attribute\r\n" +
		"-ERR RESP2 is not supported by this command\r\n" +
		"$25\r\nThis is a verbatim\nstring\r\n:1\r\n:0\r\n"
	debugProtocol3 = "$11\r\nHello World\r\n:12345\r\n,3.141\r\n" +
		"(1234567999999999999999999999999999999\r\n_\r\n" +
		"*3\r\n:0\r\n:1\r\n:2\r\n~3\r\n:0\r\n:1\r\n:2\r\n%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n" +
		"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n" +
		"$39\r\nSome real reply following the attribute\r\n" +
		">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n" +
		"=29\r\ntxt:This is a verbatim\nstring\r\n#t\r\n#f\r\n"
)

// encodeDebugProtocol produces what DEBUG PROTOCOL sends, with our encoders.
func encodeDebugProtocol(proto int) []byte {
	var b []byte
	b = AppendBulkString(b, "Hello World")
	b = AppendInt(b, 12345)
	b = AppendDouble(b, 3.141, proto)
	b = AppendBigNumber(b, "1234567999999999999999999999999999999", proto)
	b = AppendNullBulk(b, proto)
	b = AppendArrayLen(b, 3)
	for i := int64(0); i < 3; i++ {
		b = AppendInt(b, i)
	}
	b = AppendSetLen(b, 3, proto)
	for i := int64(0); i < 3; i++ {
		b = AppendInt(b, i)
	}
	b = AppendMapLen(b, 3, proto)
	for i := int64(0); i < 3; i++ {
		b = AppendInt(b, i)
		b = AppendBool(b, i == 1, proto)
	}
	if proto == 3 {
		b = AppendAttrLen(b, 1)
		b = AppendBulkString(b, "key-popularity")
		b = AppendArrayLen(b, 2)
		b = AppendBulkString(b, "key:123")
		b = AppendInt(b, 90)
	}
	b = AppendBulkString(b, "Some real reply following the attribute")
	if proto == 3 {
		b = AppendPushLen(b, 2, proto)
		b = AppendBulkString(b, "server-cpu-usage")
		b = AppendInt(b, 42)
		b = AppendBulkString(b, "Some real reply following the push reply")
	} else {
		b = AppendError(b, "ERR RESP2 is not supported by this command")
	}
	b = AppendVerbatim(b, "txt", []byte("This is a verbatim\nstring"), proto)
	b = AppendBool(b, true, proto)
	b = AppendBool(b, false, proto)
	return b
}

func TestEncodersMatchRedis(t *testing.T) {
	if got := string(encodeDebugProtocol(2)); got != debugProtocol2 {
		t.Errorf("RESP2:\n got %q\nwant %q", got, debugProtocol2)
	}
	if got := string(encodeDebugProtocol(3)); got != debugProtocol3 {
		t.Errorf("RESP3:\n got %q\nwant %q", got, debugProtocol3)
	}
}

func readAllRaw(t *testing.T, in string, bufSize int) []string {
	t.Helper()
	r := bufio.NewReaderSize(strings.NewReader(in), bufSize)
	var out []string
	for {
		raw, err := ReadRawReply(r)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("after %q: %v", out, err)
		}
		out = append(out, string(raw))
	}
}

func TestReadRawReply(t *testing.T) {
	for _, size := range []int{16, 4096} {
		got := readAllRaw(t, debugProtocol3, size)
		want := []string{
			"$11\r\nHello World\r\n", ":12345\r\n", ",3.141\r\n",
			"(1234567999999999999999999999999999999\r\n", "_\r\n",
			"*3\r\n:0\r\n:1\r\n:2\r\n", "~3\r\n:0\r\n:1\r\n:2\r\n",
			"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
			// The attribute comes with the reply it annotates.
			"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
			">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n",
			"$40\r\nSome real reply following the push reply\r\n",
			"=29\r\ntxt:This is a verbatim\nstring\r\n", "#t\r\n", "#f\r\n",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("buffer %d:\n got %q\nwant %q", size, got, want)
		}
		if got := strings.Join(readAllRaw(t, debugProtocol2, size), ""); got != debugProtocol2 {
			t.Errorf("RESP2 stream not reproduced: %q", got)
		}
	}
}

func TestReadRawReplyLongLines(t *testing.T) {
	// Lines longer than the bufio buffer.
	long := "+" + strings.Repeat("s", 10000) + "\r\n"
	big := AppendBulkString(nil, strings.Repeat("b", 200000))
	in := long + string(big) + "*1\r\n" + long
	got := readAllRaw(t, in, 16)
	if len(got) != 3 || got[0] != long || got[1] != string(big) || got[2] != "*1\r\n"+long {
		t.Fatalf("got %d replies", len(got))
	}
}

func TestReadReply(t *testing.T) {
	r := bufio.NewReader(strings.NewReader(debugProtocol3 + "-ERR x\r\n!3\r\nERR\r\n$-1\r\n*-1\r\n*0\r\n%0\r\n:-7\r\n,inf\r\n,-nan\r\n"))
	var vals []Value
	for {
		v, err := ReadReply(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, v)
	}
	bs := func(s string) []byte { return []byte(s) }
	ints := func(n ...int64) []Value {
		var vs []Value
		for _, i := range n {
			vs = append(vs, Value{Type: ':', Int: i})
		}
		return vs
	}
	want := []Value{
		{Type: '$', Str: bs("Hello World")},
		{Type: ':', Int: 12345},
		{Type: ',', Float: 3.141, Str: bs("3.141")},
		{Type: '(', Str: bs("1234567999999999999999999999999999999")},
		{Type: '_', Null: true},
		{Type: '*', Elems: ints(0, 1, 2)},
		{Type: '~', Elems: ints(0, 1, 2)},
		{Type: '%', Elems: []Value{{Type: ':'}, {Type: '#'}, {Type: ':', Int: 1}, {Type: '#', Bool: true}, {Type: ':', Int: 2}, {Type: '#'}}},
		{Type: '$', Str: bs("Some real reply following the attribute"), Attrs: []Value{
			{Type: '$', Str: bs("key-popularity")},
			{Type: '*', Elems: []Value{{Type: '$', Str: bs("key:123")}, {Type: ':', Int: 90}}},
		}},
		{Type: '>', Elems: []Value{{Type: '$', Str: bs("server-cpu-usage")}, {Type: ':', Int: 42}}},
		{Type: '$', Str: bs("Some real reply following the push reply")},
		{Type: '=', Str: bs("txt:This is a verbatim\nstring")},
		{Type: '#', Bool: true},
		{Type: '#'},
		{Type: '-', Str: bs("ERR x")},
		{Type: '!', Str: bs("ERR")},
		{Type: '$', Null: true},
		{Type: '*', Null: true},
		{Type: '*', Elems: []Value{}},
		{Type: '%', Elems: []Value{}},
		{Type: ':', Int: -7},
	}
	if len(vals) != len(want)+2 {
		t.Fatalf("got %d values", len(vals))
	}
	for i, w := range want {
		if !reflect.DeepEqual(vals[i], w) {
			t.Errorf("value %d:\n got %#v\nwant %#v", i, vals[i], w)
		}
	}
	if v := vals[len(want)]; v.Type != ',' || v.Float <= 0 || string(v.Str) != "inf" {
		t.Errorf("inf: %#v", v)
	}
	if v := vals[len(want)+1]; v.Type != ',' || v.Float == v.Float || string(v.Str) != "-nan" {
		t.Errorf("-nan: %#v", v)
	}
}

func TestValueString(t *testing.T) {
	read := func(s string) Value {
		v, err := ReadReply(bufio.NewReader(strings.NewReader(s)))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return v
	}
	cases := []struct{ in, want string }{
		{"+OK\r\n", "OK"},
		{"-ERR bad\r\n", "(error) ERR bad"},
		{":5\r\n", "(integer) 5"},
		{"$5\r\na\"b\n\x01\r\n", `"a\"b\n\x01"`},
		{"$-1\r\n", "(nil)"},
		{"_\r\n", "(nil)"},
		{"*-1\r\n", "(nil)"},
		{"*0\r\n", "(empty array)"},
		{"%0\r\n", "(empty hash)"},
		{"~0\r\n", "(empty set)"},
		{",1.5\r\n", "(double) 1.5"},
		{"#t\r\n", "(true)"},
		{"(123\r\n", "(big number) 123"},
		{"=8\r\ntxt:a\nbc\r\n", "a\nbc"},
		{"*2\r\n$1\r\na\r\n*2\r\n:1\r\n$1\r\nb\r\n", "1) \"a\"\n2) 1) (integer) 1\n   2) \"b\""},
		{"%1\r\n$1\r\nk\r\n~1\r\n:1\r\n", "1# \"k\" => 1~ (integer) 1"},
		{string(AppendArrayLen(nil, 10)) + strings.Repeat(":0\r\n", 10), " 1) (integer) 0\n 2) (integer) 0\n 3) (integer) 0\n 4) (integer) 0\n 5) (integer) 0\n" +
			" 6) (integer) 0\n 7) (integer) 0\n 8) (integer) 0\n 9) (integer) 0\n10) (integer) 0"},
		{"|1\r\n+a\r\n+b\r\n:1\r\n", "(attributes) 1# a => b\n(integer) 1"},
	}
	for _, c := range cases {
		if got := read(c.in).String(); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestReadReplyErrors(t *testing.T) {
	cases := []struct {
		in      string
		wantEOF error // io.EOF, io.ErrUnexpectedEOF, or nil for a format error
	}{
		{"", io.EOF},
		{"+OK", io.ErrUnexpectedEOF},
		{"+OK\r", io.ErrUnexpectedEOF},
		{"$5\r\nhel", io.ErrUnexpectedEOF},
		{"$5\r\nhello", io.ErrUnexpectedEOF},
		{"$5\r\nhello\r", io.ErrUnexpectedEOF},
		{"*2\r\n:1\r\n", io.ErrUnexpectedEOF},
		{"|1\r\n+a\r\n+b\r\n", io.ErrUnexpectedEOF},
		{"$2000000000000\r\nabc", nil},
		{"$536870912\r\nabc", io.ErrUnexpectedEOF},
		{"+OK\n", nil},
		{"\r\n", nil},
		{"?\r\n", nil},
		{":x\r\n", nil},
		{":\r\n", nil},
		{"$-2\r\n", nil},
		{"$x\r\n", nil},
		{"$1\r\nab\r\n", nil},
		{"!-1\r\n", nil},
		{"=-1\r\n", nil},
		{"=3\r\nabc\r\n", nil},
		{"=4\r\nabcd\r\n", nil},
		{"%-1\r\n", nil},
		{"~-1\r\n", nil},
		{"_x\r\n", nil},
		{"#x\r\n", nil},
		{"#\r\n", nil},
		{",x\r\n", nil},
		{"(1x\r\n", nil},
		{"(\r\n", nil},
		{"*1099511627777\r\n", nil},
		{strings.Repeat("*1\r\n", maxReplyDepth+2) + ":1\r\n", nil},
	}
	for _, c := range cases {
		for _, raw := range []bool{true, false} {
			r := bufio.NewReader(strings.NewReader(c.in))
			var err error
			if raw {
				_, err = ReadRawReply(r)
			} else {
				_, err = ReadReply(r)
			}
			switch {
			case err == nil:
				t.Errorf("%q (raw=%v): no error", c.in, raw)
			case c.wantEOF != nil && err != c.wantEOF:
				t.Errorf("%q (raw=%v): got %v, want %v", c.in, raw, err, c.wantEOF)
			case c.wantEOF == nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
				t.Errorf("%q (raw=%v): got %v, want a format error", c.in, raw, err)
			}
		}
	}
	// Nesting up to the limit is fine.
	in := strings.Repeat("*1\r\n", maxReplyDepth) + ":1\r\n"
	if raw, err := ReadRawReply(bufio.NewReader(strings.NewReader(in))); err != nil || string(raw) != in {
		t.Errorf("deep nesting: %v", err)
	}
}

// A reply announcing a huge length allocates only for data that arrives.
func TestReadRawReplyHugeLengthDoesNotAllocate(t *testing.T) {
	in := []byte("$536870912\r\nabc")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadRawReply(bufio.NewReader(bytes.NewReader(in)))
	runtime.ReadMemStats(&after)
	if err != io.ErrUnexpectedEOF {
		t.Fatal(err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("%d bytes allocated", n)
	}
}

func TestReadReplyMatchesRaw(t *testing.T) {
	// Both readers consume exactly one reply, leaving the rest.
	in := debugProtocol3 + debugProtocol2
	r1 := bufio.NewReader(strings.NewReader(in))
	r2 := bufio.NewReader(strings.NewReader(in))
	for {
		raw, err1 := ReadRawReply(r1)
		_, err2 := ReadReply(r2)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("raw err %v, value err %v", err1, err2)
		}
		if err1 != nil {
			break
		}
		if r1.Buffered() != r2.Buffered() {
			t.Fatalf("after %q: readers disagree on consumption", raw)
		}
	}
}
