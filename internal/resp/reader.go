package resp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Client-side reading of replies. Unlike the request parser this is not on
// the server's hot path: it favours validation and simplicity.

const (
	// maxReplyDepth bounds aggregate nesting so that hostile input cannot
	// drive the recursion arbitrarily deep; Redis never nests more than a
	// handful of levels.
	maxReplyDepth = 1000

	// readChunk bounds how much is allocated ahead of data actually
	// arriving, so a reply announcing a huge length costs nothing until the
	// bytes are really there.
	readChunk = 64 * 1024

	// maxReplyLen rejects lengths no server could send, which also keeps
	// the arithmetic on them (n+2, 2n) from overflowing.
	maxReplyLen = 1 << 40
)

// Value is a decoded reply.
type Value struct {
	// Type is the RESP type byte: '+', '-', ':', '$', '*', '%', '~', '>',
	// '_', ',', '#', '(', '=' or '!' (RESP3 blob error).
	Type byte
	// Str is the payload of '+', '-' and '!' (without the type byte), '$',
	// '(' (the digits), ',' (the text as sent) and '=' (including the
	// "fmt:" prefix).
	Str []byte
	// Int is the value of ':'.
	Int int64
	// Float is the value of ','.
	Float float64
	// Bool is the value of '#'.
	Bool bool
	// Elems are the elements of '*', '~' and '>', and the keys and values
	// alternately of '%'.
	Elems []Value
	// Null marks "_", and the RESP2 nulls "$-1" and "*-1" (which keep the
	// types '$' and '*').
	Null bool
	// Attrs holds the key/value pairs, alternately, of RESP3 attributes
	// ("|") that preceded the reply, or nil.
	Attrs []Value
}

// ReadRawReply reads exactly one complete reply of any RESP2/RESP3 type and
// returns its exact bytes. Attributes preceding a reply are part of it. It
// returns io.EOF if r ends before the reply starts and io.ErrUnexpectedEOF
// if it ends within it.
func ReadRawReply(r *bufio.Reader) ([]byte, error) {
	rr := replyReader{r: r}
	if _, err := rr.read(0); err != nil {
		return nil, err
	}
	return rr.raw, nil
}

// ReadReply reads and decodes one complete reply.
func ReadReply(r *bufio.Reader) (Value, error) {
	rr := replyReader{r: r, build: true}
	return rr.read(0)
}

type replyReader struct {
	r     *bufio.Reader
	raw   []byte // every byte read so far
	build bool   // whether to build Values, or only collect raw bytes
}

func replyErr(format string, args ...any) error {
	return fmt.Errorf("resp: invalid reply: "+format, args...)
}

// line reads one CRLF-terminated line, appends it to rr.raw and returns it
// without the CRLF. The result is only valid until the next read.
func (rr *replyReader) line() ([]byte, error) {
	start := len(rr.raw)
	for {
		chunk, err := rr.r.ReadSlice('\n')
		rr.raw = append(rr.raw, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(rr.raw) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	l := rr.raw[start:]
	if len(l) < 3 || l[len(l)-2] != '\r' {
		return nil, replyErr("line %q does not end in CRLF or is empty", l)
	}
	return l[:len(l)-2], nil
}

// payload reads n bytes plus a CRLF and returns the n bytes.
func (rr *replyReader) payload(n int64) ([]byte, error) {
	start := len(rr.raw)
	for left := n + 2; left > 0; {
		k := int(min(left, readChunk))
		rr.raw = slices.Grow(rr.raw, k)
		got, err := io.ReadFull(rr.r, rr.raw[len(rr.raw):len(rr.raw)+k])
		rr.raw = rr.raw[:len(rr.raw)+got]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		left -= int64(k)
	}
	if !bytes.HasSuffix(rr.raw, []byte("\r\n")) {
		return nil, replyErr("payload of %d bytes not followed by CRLF", n)
	}
	return rr.raw[start : len(rr.raw)-2], nil
}

// length parses the length in an aggregate or blob header. -1 is allowed
// only where RESP2 uses it for null.
func length(typ byte, s []byte, nullable bool) (int64, error) {
	n, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil || n < -1 || (n == -1 && !nullable) || n > maxReplyLen {
		return 0, replyErr("bad length %q for type %q", s, typ)
	}
	return n, nil
}

func (rr *replyReader) read(depth int) (Value, error) {
	if depth > maxReplyDepth {
		return Value{}, replyErr("nesting deeper than %d", maxReplyDepth)
	}
	l, err := rr.line()
	if err != nil {
		return Value{}, err
	}
	typ, body := l[0], l[1:]
	v := Value{Type: typ}
	switch typ {
	case '+', '-':
		v.Str = rr.keep(body)
	case ':':
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			return Value{}, replyErr("bad integer %q", body)
		}
		v.Int = n
	case '_':
		if len(body) != 0 {
			return Value{}, replyErr("null with payload %q", body)
		}
		v.Null = true
	case ',':
		f, err := strconv.ParseFloat(string(body), 64)
		if string(body) == "-nan" { // glibc's rendering of a negative NaN
			f, err = math.Copysign(math.NaN(), -1), nil
		}
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return Value{}, replyErr("bad double %q", body)
		}
		v.Float = f
		v.Str = rr.keep(body)
	case '#':
		if len(body) != 1 || (body[0] != 't' && body[0] != 'f') {
			return Value{}, replyErr("bad boolean %q", body)
		}
		v.Bool = body[0] == 't'
	case '(':
		if _, ok := parseBigInt(body); !ok {
			return Value{}, replyErr("bad big number %q", body)
		}
		v.Str = rr.keep(body)
	case '$', '!', '=':
		n, err := length(typ, body, typ == '$')
		if err != nil {
			return Value{}, err
		}
		if n == -1 {
			v.Null = true
			break
		}
		data, err := rr.payload(n)
		if err != nil {
			return Value{}, err
		}
		if typ == '=' && (len(data) < 4 || data[3] != ':') {
			return Value{}, replyErr("verbatim string without format prefix")
		}
		v.Str = rr.keep(data)
	case '*', '~', '>', '%', '|':
		n, err := length(typ, body, typ == '*')
		if err != nil {
			return Value{}, err
		}
		if n == -1 {
			v.Null = true
			break
		}
		if typ == '%' || typ == '|' {
			n *= 2
		}
		elems, err := rr.elems(n, depth)
		if err != nil {
			return Value{}, err
		}
		if typ != '|' {
			v.Elems = elems
			break
		}
		// An attribute annotates the reply that follows it.
		next, err := rr.read(depth + 1)
		if err != nil {
			return Value{}, err
		}
		next.Attrs = append(elems, next.Attrs...)
		return next, nil
	default:
		return Value{}, replyErr("unknown type byte %q", typ)
	}
	return v, nil
}

func (rr *replyReader) elems(n int64, depth int) ([]Value, error) {
	var elems []Value
	if rr.build {
		elems = make([]Value, 0, min(n, 1024))
	}
	for i := int64(0); i < n; i++ {
		e, err := rr.read(depth + 1)
		if err != nil {
			return nil, err
		}
		if rr.build {
			elems = append(elems, e)
		}
	}
	if rr.build && elems == nil {
		elems = []Value{}
	}
	return elems, nil
}

// keep returns a copy of b when building Values (b points into rr.raw,
// which moves as it grows).
func (rr *replyReader) keep(b []byte) []byte {
	if !rr.build {
		return nil
	}
	return append([]byte{}, b...)
}

// parseBigInt checks a RESP3 big number: an optional sign and digits.
func parseBigInt(b []byte) ([]byte, bool) {
	d := b
	if len(d) > 0 && (d[0] == '-' || d[0] == '+') {
		d = d[1:]
	}
	if len(d) == 0 {
		return nil, false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return nil, false
		}
	}
	return b, true
}

// AppendCommand encodes args as a RESP multibulk request.
func AppendCommand(b []byte, args ...[]byte) []byte {
	b = AppendArrayLen(b, len(args))
	for _, a := range args {
		b = AppendBulk(b, a)
	}
	return b
}

// AppendCommandStrings is AppendCommand for strings.
func AppendCommandStrings(b []byte, args ...string) []byte {
	b = AppendArrayLen(b, len(args))
	for _, a := range args {
		b = AppendBulkString(b, a)
	}
	return b
}

// String renders v readably, in the style of redis-cli, for test failure
// messages. Lines are separated by "\n", with no trailing newline.
func (v Value) String() string {
	var sb strings.Builder
	v.render(&sb, "")
	return strings.TrimSuffix(sb.String(), "\n")
}

// render writes v followed by a newline. indent is written before every line
// but the first, whose prefix the caller has already written.
func (v Value) render(sb *strings.Builder, indent string) {
	if len(v.Attrs) > 0 {
		sb.WriteString("(attributes) ")
		Value{Type: '%', Elems: v.Attrs}.render(sb, indent+"             ")
		sb.WriteString(indent)
	}
	switch v.Type {
	case '+':
		sb.Write(v.Str)
	case '-', '!':
		sb.WriteString("(error) ")
		sb.Write(v.Str)
	case ':':
		fmt.Fprintf(sb, "(integer) %d", v.Int)
	case '_':
		sb.WriteString("(nil)")
	case ',':
		sb.WriteString("(double) ")
		sb.Write(v.Str)
	case '#':
		if v.Bool {
			sb.WriteString("(true)")
		} else {
			sb.WriteString("(false)")
		}
	case '(':
		sb.WriteString("(big number) ")
		sb.Write(v.Str)
	case '=':
		if len(v.Str) >= 4 {
			sb.Write(v.Str[4:])
		}
	case '$':
		if v.Null {
			sb.WriteString("(nil)")
		} else {
			sb.WriteString(quote(v.Str))
		}
	case '*', '~', '>', '%':
		v.renderAggregate(sb, indent)
		return
	default:
		fmt.Fprintf(sb, "(unknown type %q)", v.Type)
	}
	sb.WriteByte('\n')
}

func (v Value) renderAggregate(sb *strings.Builder, indent string) {
	if v.Null {
		sb.WriteString("(nil)\n")
		return
	}
	if len(v.Elems) == 0 {
		switch v.Type {
		case '%':
			sb.WriteString("(empty hash)\n")
		case '~':
			sb.WriteString("(empty set)\n")
		case '>':
			sb.WriteString("(empty push)\n")
		default:
			sb.WriteString("(empty array)\n")
		}
		return
	}
	step, sep := 1, ")"
	switch v.Type {
	case '%':
		step, sep = 2, "#"
	case '~':
		sep = "~"
	}
	count := (len(v.Elems) + step - 1) / step
	width := len(strconv.Itoa(count))
	inner := indent + strings.Repeat(" ", width+2)
	for i := 0; i < len(v.Elems); i += step {
		if i > 0 {
			sb.WriteString(indent)
		}
		fmt.Fprintf(sb, "%*d%s ", width, i/step+1, sep)
		if step == 1 {
			v.Elems[i].render(sb, inner)
			continue
		}
		var key strings.Builder
		v.Elems[i].render(&key, inner)
		sb.WriteString(strings.TrimSuffix(key.String(), "\n"))
		sb.WriteString(" => ")
		if i+1 < len(v.Elems) {
			v.Elems[i+1].render(sb, inner)
		} else {
			sb.WriteString("(missing)\n")
		}
	}
}

// quote renders a bulk string the way redis-cli does: double-quoted, with
// C-style escapes for control bytes and \xHH for other non-printables.
func quote(s []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\a':
			sb.WriteString(`\a`)
		case '\b':
			sb.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				sb.WriteByte(c)
			} else {
				fmt.Fprintf(&sb, `\x%02x`, c)
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
