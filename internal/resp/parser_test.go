package resp

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// event is one observable outcome of parsing: a command (args, nil for an
// empty command) or a protocol error.
type event struct {
	Args  []string
	Empty bool
	Err   string
}

func (e event) String() string {
	switch {
	case e.Err != "":
		return "error(" + e.Err + ")"
	case e.Empty:
		return "empty"
	}
	return fmt.Sprintf("%q", e.Args)
}

// feed simulates a connection: input arrives in the given chunk sizes, the
// parser runs after each arrival until it needs more, and consumed bytes
// are dropped from the front. The pending bytes are copied to a fresh
// buffer (and the old one scribbled over) on every arrival, so a parser
// keeping pointers into old buffers would produce garbage. It returns the
// events and the number of bytes left unconsumed.
func feed(t testing.TB, input []byte, chunks []int, lim Limits, auth bool) ([]event, int) {
	t.Helper()
	var p Parser
	var buf []byte
	var events []event
	need := 0
	for k, c := range chunks {
		// Copying costs O(len(buf)) per arrival, so for long byte-by-byte
		// runs do it only now and then.
		if len(buf) < 256 || k%256 == 0 {
			next := make([]byte, len(buf), len(buf)+c)
			copy(next, buf)
			for i := range buf {
				buf[i] = '#'
			}
			buf = next
		}
		buf = append(buf, input[:c]...)
		input = input[c:]
		for {
			args, n, err := p.Parse(buf, lim, auth)
			if err != nil {
				var pe *ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v is not a *ProtocolError", err)
				}
				// What is left after an error does not matter: the
				// connection is closed.
				return append(events, event{Err: pe.Msg}), 0
			}
			if n == 0 {
				if args != nil {
					t.Fatalf("incomplete parse returned args %q", args)
				}
				if nd := p.Need(); nd != 0 {
					if nd <= len(buf) {
						t.Fatalf("Need() = %d with %d bytes buffered", nd, len(buf))
					}
					need = nd
				}
				break
			}
			if n > len(buf) {
				t.Fatalf("consumed %d of %d bytes", n, len(buf))
			}
			if n < need {
				t.Fatalf("command of %d bytes, but Need() said %d", n, need)
			}
			need = 0
			if len(args) == 0 {
				events = append(events, event{Empty: true})
			} else {
				ev := event{Args: []string{}}
				for _, a := range args {
					ev.Args = append(ev.Args, string(a))
				}
				events = append(events, ev)
			}
			buf = buf[n:]
		}
	}
	if len(input) != 0 {
		t.Fatalf("feed: chunks do not cover the input")
	}
	return events, len(buf)
}

func wholeChunks(n int) []int { return []int{n} }

func byteChunks(n int) []int {
	c := make([]int, n)
	for i := range c {
		c[i] = 1
	}
	return c
}

func randomChunks(r *rand.Rand, n int) []int {
	var c []int
	for n > 0 {
		k := 1 + r.Intn(min(n, 1+r.Intn(64)))
		if r.Intn(8) == 0 {
			k = min(n, 1+r.Intn(20000))
		}
		c = append(c, k)
		n -= k
	}
	return c
}

// parseModes parses input whole, byte by byte and in several random
// splits, checks all give the same outcome, and returns it.
func parseModes(t testing.TB, input []byte, lim Limits, auth bool) ([]event, int) {
	t.Helper()
	want, wantLeft := feed(t, input, wholeChunks(len(input)), lim, auth)
	check := func(mode string, chunks []int) {
		got, left := feed(t, input, chunks, lim, auth)
		if !reflect.DeepEqual(got, want) || left != wantLeft {
			t.Fatalf("input %q: %s gives %v (left %d), whole gives %v (left %d)",
				trunc(input), mode, got, left, want, wantLeft)
		}
	}
	if len(input) <= 1<<17 {
		check("byte by byte", byteChunks(len(input)))
	}
	r := rand.New(rand.NewSource(int64(len(input))))
	for i := 0; i < 4; i++ {
		check("random split", randomChunks(r, len(input)))
	}
	return want, wantLeft
}

func trunc(b []byte) []byte {
	if len(b) > 200 {
		return append(b[:200:200], "..."...)
	}
	return b
}

func cmd(args ...string) event { return event{Args: args} }
func perr(msg string) event    { return event{Err: "Protocol error: " + msg} }

func emptyCmd() event { return event{Empty: true} }

type parseCase struct {
	in     string
	want   []event
	left   int // bytes left unconsumed (an incomplete trailing command)
	unauth bool
	lim    Limits
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, c := range cases {
		got, left := parseModes(t, []byte(c.in), c.lim, !c.unauth)
		if !reflect.DeepEqual(got, c.want) || left != c.left {
			t.Errorf("Parse(%q, unauth=%v)\n got %v, %d bytes left\nwant %v, %d bytes left",
				trunc([]byte(c.in)), c.unauth, got, left, c.want, c.left)
		}
	}
}

func TestParseMultibulk(t *testing.T) { runParseCases(t, multibulkCases()) }

func multibulkCases() []parseCase {
	return []parseCase{
		{in: "*1\r\n$4\r\nPING\r\n", want: []event{cmd("PING")}},
		{in: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n", want: []event{cmd("SET", "k", "value")}},
		{in: "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", want: []event{cmd("ECHO", "")}},
		// Binary data, including NUL and CRLF, inside bulks.
		{in: "*2\r\n$4\r\nECHO\r\n$8\r\na\x00\r\nb\r\n\xff\r\n", want: []event{cmd("ECHO", "a\x00\r\nb\r\n\xff")}},
		{in: "*1\r\n$3\r\n\r\n\r\r\n", want: []event{cmd("\r\n\r")}},
		// Empty commands are skipped.
		{in: "*0\r\n", want: []event{emptyCmd()}},
		{in: "*-1\r\n", want: []event{emptyCmd()}},
		{in: "*-100\r\n*1\r\n$1\r\nx\r\n", want: []event{emptyCmd(), cmd("x")}},
		// Pipelines.
		{in: "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n*0\r\nPING\r\n",
			want: []event{cmd("PING"), cmd("ECHO", "a"), emptyCmd(), cmd("PING")}},
		// Redis finds the '\r' and skips one more byte without looking at it,
		// and skips the two bytes after bulk data unchecked.
		{in: "*1\rX$4\rYPINGab", want: []event{cmd("PING")}},
		{in: "*2\r\n$4\r\nECHO\r\n$1\r\nxyz", want: []event{cmd("ECHO", "x")}},
		// Incomplete input leaves everything unconsumed.
		{in: "*", left: 1},
		{in: "*1", left: 2},
		{in: "*1\r", left: 3},
		{in: "*1\r\n", left: 4},
		{in: "*1\r\n$", left: 5},
		{in: "*1\r\n$4\r", left: 7},
		{in: "*1\r\n$4\r\nPI", left: 10},
		{in: "*1\r\n$4\r\nPING", left: 12},
		{in: "*1\r\n$4\r\nPING\r", left: 13},
		{in: "*1\r\n$4\r\nPING\r\n*2\r\n$1\r\na\r\n", want: []event{cmd("PING")}, left: 11},
		// No header is examined before its '\r' and the byte after it arrive.
		{in: "*1\r\nX", left: 5},
		{in: "*1\r\n$x\r", left: 7},
		// The largest count Redis accepts; the bulks never come.
		{in: "*2147483647\r\n", left: 13},
		// Bulk lengths up to the configured limit.
		{in: "*1\r\n$5\r\nhello\r\n", lim: Limits{MaxBulkLen: 5}, want: []event{cmd("hello")}},
		// Unauthenticated clients get up to 10 arguments of up to 16384 bytes.
		{in: "*10\r\n", unauth: true, left: 5},
		{in: "*1\r\n$16384\r\n", unauth: true, left: 12},
		{in: "*1\r\n$16384\r\n" + strings.Repeat("x", 16384) + "\r\n", unauth: true,
			want: []event{cmd(strings.Repeat("x", 16384))}},
	}
}

func TestParseMultibulkErrors(t *testing.T) { runParseCases(t, multibulkErrorCases()) }

func multibulkErrorCases() []parseCase {
	// A header may be up to 64 KB long including its type byte.
	big := strings.Repeat("1", 64*1024-1)
	return []parseCase{
		{in: "*x\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*+1\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*01\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*-0\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*-\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "* 1\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*1 \r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*1\n\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*2147483648\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*9223372036854775807\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*99999999999999999999\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*11\r\n", unauth: true, want: []event{perr("unauthenticated multibulk length")}},
		{in: "*2147483648\r\n", unauth: true, want: []event{perr("invalid multibulk length")}},
		// Non-positive counts are fine even unauthenticated.
		{in: "*-5\r\n", unauth: true, want: []event{emptyCmd()}},
		{in: "*1\r\nX\r\n", want: []event{perr("expected '$', got 'X'")}},
		{in: "*1\r\n\x80\r\n", want: []event{perr("expected '$', got '\x80'")}},
		// Redis turns CR and LF in formatted errors into spaces.
		{in: "*1\r\n\r\n", want: []event{perr("expected '$', got ' '")}},
		{in: "*1\r\n\n\r\n", want: []event{perr("expected '$', got ' '")}},
		{in: "*2\r\n$1\r\na\r\n:1\r\n", want: []event{perr("expected '$', got ':'")}},
		{in: "*1\r\n$\r\n", want: []event{perr("invalid bulk length")}},
		{in: "*1\r\n$-1\r\n", want: []event{perr("invalid bulk length")}},
		{in: "*1\r\n$-0\r\n", want: []event{perr("invalid bulk length")}},
		{in: "*1\r\n$01\r\n", want: []event{perr("invalid bulk length")}},
		{in: "*1\r\n$+1\r\n", want: []event{perr("invalid bulk length")}},
		{in: "*1\r\n$1x\r\n", want: []event{perr("invalid bulk length")}},
		{in: "*1\r\n$536870913\r\n", want: []event{perr("invalid bulk length")}},
		{in: "*1\r\n$4294967296\r\n", want: []event{perr("invalid bulk length")}},
		{in: "*1\r\n$6\r\n", lim: Limits{MaxBulkLen: 5}, want: []event{perr("invalid bulk length")}},
		{in: "*1\r\n$16385\r\n", unauth: true, want: []event{perr("unauthenticated bulk length")}},
		{in: "*1\r\n$536870913\r\n", unauth: true, want: []event{perr("invalid bulk length")}},
		// Commands before the bad one are parsed.
		{in: "*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n", want: []event{cmd("PING"), perr("invalid bulk length")}},
		// Headers longer than 64 KB without a '\r'.
		{in: "*" + big, left: 1 + len(big)},
		{in: "*" + big + "1", want: []event{perr("too big mbulk count string")}},
		{in: "*" + big + "\r", left: 2 + len(big)},
		{in: "*" + big + "\r\n", want: []event{perr("invalid multibulk length")}},
		{in: "*1\r\n$" + big, left: 5 + len(big)},
		{in: "*1\r\n$" + big + "1", want: []event{perr("too big bulk count string")}},
		{in: "*1\r\n$" + big + "\r\n", want: []event{perr("invalid bulk length")}},
		// The limit counts from the start of the header being read, and
		// includes whatever follows it in the buffer.
		{in: "*1\r\n$1" + strings.Repeat("\n", 64*1024), want: []event{perr("too big bulk count string")}},
		{in: "PING\r\n*1" + strings.Repeat(" ", 64*1024), want: []event{cmd("PING"), perr("too big mbulk count string")}},
		// Like Redis's strchr, the search for '\r' stops at a NUL: the
		// command never completes, and fails once 64 KB are buffered.
		{in: "*1\x00\r\n$4\r\nPING\r\n", left: 15},
		{in: "*1\r\n$4\x00\r\nPING\r\n", left: 15},
		{in: "*1\x00\r\n" + big, want: []event{perr("too big mbulk count string")}},
		{in: "*1\r\n$4\x00\r\n" + big, want: []event{perr("too big bulk count string")}},
		// A NUL in bulk data is fine, including right before the next header.
		{in: "*2\r\n$1\r\n\x00\r\n$1\r\nb\r\n", want: []event{cmd("\x00", "b")}},
	}
}

func TestParseInline(t *testing.T) { runParseCases(t, inlineCases()) }

func inlineCases() []parseCase {
	big := strings.Repeat("x", 64*1024)
	return []parseCase{
		{in: "PING\r\n", want: []event{cmd("PING")}},
		{in: "PING\n", want: []event{cmd("PING")}},
		{in: "SET a b\r\n", want: []event{cmd("SET", "a", "b")}},
		{in: "  SET \t a   b  \r\n", want: []event{cmd("SET", "a", "b")}},
		// Only one '\r' before the '\n' is part of the terminator; another
		// one ends an unquoted argument.
		{in: "PING\r\r\n", want: []event{cmd("PING")}},
		{in: "a\rb\n", want: []event{cmd("a", "b")}},
		// Blank lines are empty commands.
		{in: "\r\n", want: []event{emptyCmd()}},
		{in: "\n", want: []event{emptyCmd()}},
		{in: " \t\v\f\r\n", want: []event{emptyCmd()}},
		{in: "\r\n\n*0\r\n*-1\r\nPING\n", want: []event{emptyCmd(), emptyCmd(), emptyCmd(), emptyCmd(), cmd("PING")}},
		// \v and \f separate arguments only as leading blanks; an unquoted
		// argument ends at space, \t, \r or \n.
		{in: "ECHO a\vb\r\n", want: []event{cmd("ECHO", "a\vb")}},
		{in: "\vECHO\fx\r\n", want: []event{cmd("ECHO\fx")}},
		// Double quotes and their escapes.
		{in: "ECHO \"hello world\"\r\n", want: []event{cmd("ECHO", "hello world")}},
		{in: `"\n\r\t\b\a\\\"" x` + "\n", want: []event{cmd("\n\r\t\b\a\\\"", "x")}},
		{in: `"\x41\x4g\q\xaF\X41\x"` + "\n", want: []event{cmd("Ax4gq\xafX41x")}},
		{in: `"\x00"` + "\n", want: []event{cmd("\x00")}},
		{in: `"a'b"` + "\n", want: []event{cmd("a'b")}},
		{in: `"" ''` + "\n", want: []event{cmd("", "")}},
		{in: `""` + "\n", want: []event{cmd("")}},
		// Single quotes: only \' is an escape.
		{in: `'it\'s' 'a\nb' 'x\\y' 'q"q'` + "\n", want: []event{cmd("it's", `a\nb`, `x\\y`, `q"q`)}},
		// Quotes may open in the middle of an argument.
		{in: "ECHO ab\"c d\"\r\n", want: []event{cmd("ECHO", "abc d")}},
		{in: "a'b c'\n", want: []event{cmd("ab c")}},
		{in: "a\"\"b\n", want: []event{perr("unbalanced quotes in request")}},
		// A closing quote must be followed by isspace (including \v) or the end.
		{in: "ECHO \"x\"\v\r\n", want: []event{cmd("ECHO", "x")}},
		{in: "\"a\"\t\"b\"\n", want: []event{cmd("a", "b")}},
		{in: "\"a\"\r\r\n", want: []event{cmd("a")}},
		{in: "ECHO \"a\"b\r\n", want: []event{perr("unbalanced quotes in request")}},
		{in: "ECHO 'a'b\r\n", want: []event{perr("unbalanced quotes in request")}},
		{in: "'a''b'\n", want: []event{perr("unbalanced quotes in request")}},
		{in: "ECHO \"a\r\n", want: []event{perr("unbalanced quotes in request")}},
		{in: "ECHO 'a\r\n", want: []event{perr("unbalanced quotes in request")}},
		{in: "x\"y\n", want: []event{perr("unbalanced quotes in request")}},
		{in: "\"abc\\\n", want: []event{perr("unbalanced quotes in request")}},
		{in: "\"\\x4\n", want: []event{perr("unbalanced quotes in request")}},
		{in: "'abc\\'\n", want: []event{perr("unbalanced quotes in request")}},
		// Raw high bytes.
		{in: "\x80\xff \xfe\n", want: []event{cmd("\x80\xff", "\xfe")}},
		// Pipelines mixing both protocols.
		{in: "PING\r\n*1\r\n$4\r\nPING\r\nECHO x\nP", want: []event{cmd("PING"), cmd("PING"), cmd("ECHO", "x")}, left: 1},
		// Incomplete lines.
		{in: "PING", left: 4},
		{in: "PING\r", left: 5},
		{in: "\"unterminated", left: 13},
		// Too long without '\n'.
		{in: big, left: len(big)},
		{in: big + "x", want: []event{perr("too big inline request")}},
		{in: big + "\n", want: []event{cmd(big)}},
		{in: big[1:] + "\r\n", want: []event{cmd(big[1:])}},
		// A NUL hides the '\n' (Redis uses strchr), so the line never ends.
		{in: "PI\x00NG\r\n", left: 7},
		{in: "PI\x00NG\r\n" + big, want: []event{perr("too big inline request")}},
	}
}

// Inline arguments live in the parser's scratch space; check they are not
// overwritten while still in use and that long arguments survive intact.
func TestParseInlineScratchReuse(t *testing.T) {
	var p Parser
	args, n, err := p.Parse([]byte("a bb ccc\r\nd\r\n"), Limits{}, true)
	if err != nil || n != 10 || len(args) != 3 || string(args[0]) != "a" || string(args[2]) != "ccc" {
		t.Fatalf("got %q %d %v", args, n, err)
	}
	long := strings.Repeat("y", 5000)
	args, n, err = p.Parse([]byte("SET "+long+" \"z\"\n"), Limits{}, true)
	if err != nil || len(args) != 3 || string(args[1]) != long || string(args[2]) != "z" {
		t.Fatalf("got %d args, n=%d, err=%v", len(args), n, err)
	}
	// Appending to an argument must not clobber its neighbour.
	_ = append(args[1], "!!"...)
	if string(args[2]) != "z" {
		t.Fatalf("append to an argument overwrote the next one: %q", args[2])
	}
}

func TestParseArgsAreCapped(t *testing.T) {
	var p Parser
	buf := []byte("*2\r\n$1\r\na\r\n$1\r\nb\r\n")
	args, _, err := p.Parse(buf, Limits{}, true)
	if err != nil || len(args) != 2 {
		t.Fatal(args, err)
	}
	_ = append(args[0], 'X')
	if !bytes.Equal(buf, []byte("*2\r\n$1\r\na\r\n$1\r\nb\r\n")) {
		t.Fatalf("append to an argument modified the input: %q", buf)
	}
}

// A big bulk arriving in 16 KB reads: the parser must only look at new
// bytes, never rescan, and Need must let the connection size its buffer
// once.
func TestParseBigBulkInReads(t *testing.T) {
	const size = 32 << 20
	header := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$33554432\r\n")
	total := len(header) + size + 2
	var p Parser
	buf := make([]byte, 0, 16<<10)
	src := make([]byte, 0, total)
	src = append(src, header...)
	src = append(src, bytes.Repeat([]byte{'v'}, size)...)
	src = append(src, "\r\n"...)
	calls, grows := 0, 0
	for off := 0; ; {
		k := min(16<<10, len(src)-off)
		if len(buf)+k > cap(buf) {
			want := max(p.Need(), len(buf)+k)
			nb := make([]byte, len(buf), want)
			copy(nb, buf)
			buf = nb
			grows++
		}
		buf = append(buf, src[off:off+k]...)
		off += k
		calls++
		args, n, err := p.Parse(buf, Limits{}, true)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			if off == len(src) {
				t.Fatal("incomplete at end of input")
			}
			continue
		}
		if n != total || len(args) != 3 || len(args[2]) != size {
			t.Fatalf("n=%d args=%d", n, len(args))
		}
		break
	}
	if grows > 2 {
		t.Errorf("buffer grown %d times; Need() should allow growing once", grows)
	}
	if calls != (total+16<<10-1)/(16<<10) {
		t.Errorf("calls = %d", calls)
	}
}

// The line search resumes where it stopped instead of rescanning.
func TestParseResumesScan(t *testing.T) {
	var p Parser
	line := bytes.Repeat([]byte{'a'}, 60000)
	for _, mb := range []bool{false, true} {
		p.Reset()
		in := line
		if mb {
			in = append([]byte("*1\r\n$"), line...)
		}
		for i := 1; i <= len(in); i += 997 {
			if _, n, err := p.Parse(in[:i], Limits{}, true); n != 0 || err != nil {
				t.Fatal(n, err)
			}
		}
		from := 0
		if mb {
			from = 4
		}
		if got := p.pos + p.scanned; got < len(in)-997-from {
			t.Fatalf("multibulk=%v: scanned up to %d of %d", mb, got, len(in))
		}
	}
}

func TestParseReset(t *testing.T) {
	var p Parser
	if _, n, err := p.Parse([]byte("*2\r\n$3\r\nGET\r\n$1"), Limits{}, true); n != 0 || err != nil {
		t.Fatal(n, err)
	}
	p.Reset()
	args, n, err := p.Parse([]byte("PING\r\n"), Limits{}, true)
	if err != nil || n != 6 || len(args) != 1 || string(args[0]) != "PING" {
		t.Fatalf("after Reset: %q %d %v", args, n, err)
	}
	// A shorter buffer than last time breaks the contract; the parser
	// starts over rather than misbehave.
	if _, n, _ := p.Parse([]byte("*2\r\n$3\r\nGET\r\n$1"), Limits{}, true); n != 0 {
		t.Fatal(n)
	}
	args, n, err = p.Parse([]byte("*1\r\n$1\r\nx\r\n"), Limits{}, true)
	if err != nil || n != 11 || len(args) != 1 || string(args[0]) != "x" {
		t.Fatalf("after shorter buffer: %q %d %v", args, n, err)
	}
	// After an error the parser is ready for a new command.
	if _, _, err := p.Parse([]byte("*x\r\n"), Limits{}, true); err == nil {
		t.Fatal("no error")
	}
	args, _, err = p.Parse([]byte("PING\n"), Limits{}, true)
	if err != nil || len(args) != 1 {
		t.Fatalf("after error: %q %v", args, err)
	}
}

func TestParseEmptyBuffer(t *testing.T) {
	var p Parser
	args, n, err := p.Parse(nil, Limits{}, true)
	if args != nil || n != 0 || err != nil {
		t.Fatal(args, n, err)
	}
}

// A huge announced count or length costs nothing up front.
func TestParseHugeAnnouncementsDoNotAllocate(t *testing.T) {
	var p Parser
	for _, in := range []string{"*2147483647\r\n$1\r\nx\r\n", "*1\r\n$536870912\r\nabc"} {
		p.Reset()
		allocs := testing.AllocsPerRun(10, func() {
			p.Reset()
			p.Parse([]byte(in), Limits{}, true)
		})
		if allocs > 1 { // the first run may size the span slice
			t.Errorf("%q: %v allocs", in, allocs)
		}
		if cap(p.spans) > 16 || cap(p.args) > 16 {
			t.Errorf("%q: spans cap %d, args cap %d", in, cap(p.spans), cap(p.args))
		}
	}
	_, _, err := p.Parse([]byte("*1\r\n$4294967296\r\n"), Limits{MaxBulkLen: 1 << 40}, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Need() != 17+4294967296+2 {
		t.Fatalf("Need() = %d", p.Need())
	}
}

func TestParseShrinksAfterHugeCommand(t *testing.T) {
	var p Parser
	in := AppendCommandStrings(nil, make([]string, 5000)...)
	args, _, err := p.Parse(in, Limits{}, true)
	if err != nil || len(args) != 5000 {
		t.Fatal(len(args), err)
	}
	p.Parse([]byte("PING\n"), Limits{}, true)
	if cap(p.args) > keepArgs {
		t.Fatalf("args capacity %d kept", cap(p.args))
	}
}

func TestParseZeroAllocs(t *testing.T) {
	var p Parser
	mb := AppendCommandStrings(nil, "SET", "key:000123", strings.Repeat("v", 64))
	inline := []byte("SET key \"a b\\x41\" 'c'\r\n")
	for name, in := range map[string][]byte{"multibulk": mb, "inline": inline} {
		p.Parse(in, Limits{}, true) // warm up the reused slices
		allocs := testing.AllocsPerRun(100, func() {
			if _, n, err := p.Parse(in, Limits{}, true); n != len(in) || err != nil {
				t.Fatal(n, err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per Parse", name, allocs)
		}
	}
	// Resumed parsing does not allocate either.
	allocs := testing.AllocsPerRun(100, func() {
		for i := 1; i <= len(mb); i++ {
			p.Parse(mb[:i], Limits{}, true)
		}
	})
	if allocs != 0 {
		t.Errorf("byte by byte: %v allocs", allocs)
	}
}

func TestParseInt(t *testing.T) {
	cases := []struct {
		in string
		v  int64
		ok bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"10", 10, true},
		{"9223372036854775807", 1<<63 - 1, true},
		{"-9223372036854775808", -1 << 63, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"18446744073709551615", 0, false},
		{"18446744073709551616", 0, false},
		{"-18446744073709551616", 0, false}, // 21 bytes
		{"", 0, false}, {"-", 0, false}, {"-0", 0, false}, {"00", 0, false},
		{"01", 0, false}, {"+1", 0, false}, {" 1", 0, false}, {"1 ", 0, false},
		{"1a", 0, false}, {"0x10", 0, false}, {"--1", 0, false},
	}
	for _, c := range cases {
		v, ok := ParseInt([]byte(c.in))
		if v != c.v || ok != c.ok {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", c.in, v, ok, c.v, c.ok)
		}
	}
}

func TestProtocolErrorMessage(t *testing.T) {
	var p Parser
	_, _, err := p.Parse([]byte("*1\r\nx\r\n"), Limits{}, true)
	if err == nil || err.Error() != "Protocol error: expected '$', got 'x'" {
		t.Fatalf("got %v", err)
	}
	if got := string(AppendError(nil, "ERR "+err.Error())); got != "-ERR Protocol error: expected '$', got 'x'\r\n" {
		t.Fatalf("reply %q", got)
	}
}

// Random valid pipelines of both protocols, fed in random pieces.
func TestParseRandomPipelines(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for iter := 0; iter < 200; iter++ {
		var in []byte
		var want []event
		for c := 0; c < 1+r.Intn(10); c++ {
			n := 1 + r.Intn(5)
			args := make([]string, n)
			for i := range args {
				b := make([]byte, r.Intn(40))
				for j := range b {
					b[j] = byte(r.Intn(256))
				}
				args[i] = string(b)
			}
			if r.Intn(3) == 0 {
				// An inline command of words and double-quoted escapes.
				for i := range args {
					if i > 0 {
						in = append(in, ' ')
					}
					in = appendQuoted(in, args[i])
				}
				in = append(in, "\r\n"...)
			} else {
				in = AppendCommandStrings(in, args...)
			}
			want = append(want, cmd(args...))
		}
		got, left := parseModes(t, in, Limits{}, true)
		if !reflect.DeepEqual(got, want) || left != 0 {
			t.Fatalf("input %q\n got %v\nwant %v", in, got, want)
		}
	}
}

// appendQuoted writes s as a double-quoted inline argument.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c >= 0x20 && c < 0x7f:
			b = append(b, c)
		default:
			b = fmt.Appendf(b, `\x%02x`, c)
		}
	}
	return append(b, '"')
}
