package resp

import (
	"bytes"
)

const (
	// DefaultMaxBulkLen is Redis's default proto-max-bulk-len (512 MB).
	DefaultMaxBulkLen = 512 * 1024 * 1024

	// inlineMax is Redis's PROTO_INLINE_MAX_SIZE: the longest inline request
	// line and the longest "*<count>" or "$<len>" header Redis waits for before
	// declaring a protocol error.
	inlineMax = 64 * 1024

	// maxMultibulkLen is INT_MAX: Redis stores the argument count in an int.
	maxMultibulkLen = 1<<31 - 1

	// Before authentication Redis refuses requests that would make it buffer
	// much on behalf of an unknown client.
	unauthMaxArgs    = 10
	unauthMaxBulkLen = 16384

	// keepArgs bounds the argument vectors the parser keeps between
	// commands, so one enormous MSET does not pin memory for the life of a
	// connection.
	keepArgs = 1024
)

// Limits are the configurable limits the parser enforces.
type Limits struct {
	// MaxBulkLen is proto-max-bulk-len: the largest accepted bulk argument.
	// Zero or negative means DefaultMaxBulkLen.
	MaxBulkLen int64
}

// ProtocolError is a request that violates RESP. Its Error() is exactly the
// message Redis sends after "-ERR " before closing the connection, e.g.
// "Protocol error: invalid multibulk length".
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return e.Msg }

// Parser states. A command is parsed in up to two phases for multibulk
// requests (the "*<count>" line, then the bulks) and one for inline ones.
const (
	stIdle   = iota // at the start of a command
	stInline        // looking for the end of an inline line
	stCount         // looking for the end of the "*<count>" line
	stBulks         // reading "$<len>\r\n<data>\r\n" elements
)

// span locates a bulk argument by offset, because the parser must not hold
// pointers into the caller's buffer while waiting for more input.
type span struct{ off, n int }

// Parser parses client requests. The zero value is ready to use. A Parser
// belongs to one connection and is not safe for concurrent use.
type Parser struct {
	args    [][]byte // returned to the caller, reused across commands
	spans   []span   // bulks of the command in progress
	scratch []byte   // unescaped inline arguments

	state   uint8
	blocked bool  // a NUL precedes the line terminator (see findTerm)
	pos     int   // offset, from the command start, of the next unparsed byte
	scanned int   // bytes after pos already searched for the terminator
	left    int   // bulks still expected
	bulkLen int64 // length of the bulk being read, -1 while its header is unread
	seen    int   // len(buf) at the last incomplete call
}

// Parse parses the next complete command at the start of buf.
//
// It returns the arguments, the number of bytes consumed and an error. The
// arguments alias buf (multibulk) or the parser's scratch space (inline) and
// are valid only until the next call; the [][]byte is reused too.
//
// If buf does not hold a complete command, Parse returns (nil, 0, nil) and
// remembers its progress, as offsets, so that the next call, which must be
// given a buffer starting with the same bytes plus more, resumes instead of
// rescanning. Call Reset before parsing unrelated input.
//
// An empty command (a blank inline line, "*0\r\n", "*-1\r\n") yields nil
// arguments with n > 0: the caller skips n bytes.
//
// A *ProtocolError means the request is malformed: the caller replies with
// "-ERR " + err.Error() and closes the connection. The parser is reset.
//
// authenticated=false applies Redis's stricter limits for clients that still
// have to AUTH.
func (p *Parser) Parse(buf []byte, lim Limits, authenticated bool) (args [][]byte, n int, err error) {
	// Drop the previous command's references into the caller's buffer.
	clear(p.args)
	p.args = p.args[:0]
	if p.state == stIdle && cap(p.args) > keepArgs {
		p.args, p.spans = nil, nil
	}
	if len(buf) < p.seen {
		// Not the same bytes plus more: the caller broke the contract, so
		// our offsets mean nothing. Start the command over.
		p.Reset()
	}
	if len(buf) == 0 {
		return nil, 0, nil
	}
	if p.state == stIdle {
		// Like Redis, only a leading '*' selects the multibulk protocol.
		if buf[0] == '*' {
			p.state = stCount
		} else {
			p.state = stInline
		}
	}
	switch p.state {
	case stInline:
		return p.parseInline(buf)
	case stCount:
		args, n, err := p.parseCount(buf, authenticated)
		if err != nil || n > 0 || p.state != stBulks {
			return args, n, err
		}
	}
	return p.parseBulks(buf, lim, authenticated)
}

// Need reports, after Parse returned incomplete, how many bytes in total
// (from the start of the current command) are known to be needed, or 0 if
// that is not known yet. The connection uses it to size its buffer.
func (p *Parser) Need() int {
	if p.state == stBulks && p.bulkLen >= 0 {
		return p.pos + int(p.bulkLen) + 2
	}
	return 0
}

// Reset forgets any partially parsed command.
func (p *Parser) Reset() {
	clear(p.args)
	p.args = p.args[:0]
	p.spans = p.spans[:0]
	p.state = stIdle
	p.blocked = false
	p.pos, p.scanned, p.left, p.seen = 0, 0, 0, 0
	p.bulkLen = -1
}

func (p *Parser) incomplete(buf []byte) ([][]byte, int, error) {
	p.seen = len(buf)
	return nil, 0, nil
}

func (p *Parser) fail(msg string) ([][]byte, int, error) {
	p.Reset()
	return nil, 0, &ProtocolError{Msg: msg}
}

// done ends the current command, which occupied n bytes, and returns its
// arguments (p.args, already filled in).
func (p *Parser) done(n int) ([][]byte, int, error) {
	p.spans = p.spans[:0]
	p.state = stIdle
	p.blocked = false
	p.pos, p.scanned, p.left, p.seen = 0, 0, 0, 0
	p.bulkLen = -1
	if len(p.args) == 0 {
		return nil, n, nil
	}
	return p.args, n, nil
}

// findTerm returns the index in buf of the first term byte at or after from,
// or -1, searching the way Redis does so that the outcome is the same:
//
//   - Redis uses strchr, which stops at a NUL byte; a NUL before the
//     terminator therefore hides it forever (the connection then waits until
//     the line is too long). p.blocked records that.
//   - Redis gives up with a "too big" error once more than inlineMax bytes
//     are buffered without a terminator, so only the first inlineMax+1 bytes
//     are searched. This also makes the result independent of how the input
//     was split into reads.
//
// p.scanned remembers how far the search got, so that a long line arriving
// in small pieces is scanned once.
func (p *Parser) findTerm(buf []byte, from int, term byte) int {
	if p.blocked {
		return -1
	}
	end := min(len(buf), from+inlineMax+1)
	start := from + p.scanned
	if start >= end {
		return -1
	}
	seg := buf[start:end]
	// Headers are a few bytes long: one pass looking for both bytes beats
	// two IndexByte calls there. Long lines fall through to IndexByte.
	for k, c := range seg[:min(len(seg), 32)] {
		if c == term {
			p.scanned = start + k - from
			return start + k
		}
		if c == 0 {
			p.blocked = true
			return -1
		}
	}
	i := bytes.IndexByte(seg, term)
	head := seg
	if i >= 0 {
		head = seg[:i]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		p.blocked = true
		return -1
	}
	if i < 0 {
		p.scanned = end - from
		return -1
	}
	p.scanned = start + i - from
	return start + i
}

// parseCount parses the "*<count>\r\n" line. It returns a result for the
// caller when the command ends here (error, incomplete or empty command) and
// leaves p.state == stBulks with n == 0 when bulks follow.
func (p *Parser) parseCount(buf []byte, authenticated bool) ([][]byte, int, error) {
	count, next := quickHeader(buf, 0, '*')
	if next == 0 {
		i := p.findTerm(buf, 0, '\r')
		if i < 0 {
			if len(buf) > inlineMax {
				return p.fail("Protocol error: too big mbulk count string")
			}
			return p.incomplete(buf)
		}
		// Redis wants one more byte after '\r' and skips it unchecked.
		if i+2 > len(buf) {
			return p.incomplete(buf)
		}
		var ok bool
		count, ok = ParseInt(buf[1:i])
		if !ok {
			return p.fail("Protocol error: invalid multibulk length")
		}
		next = i + 2
	}
	if count > maxMultibulkLen {
		return p.fail("Protocol error: invalid multibulk length")
	}
	if count > unauthMaxArgs && !authenticated {
		return p.fail("Protocol error: unauthenticated multibulk length")
	}
	if count <= 0 {
		return p.done(next)
	}
	p.state = stBulks
	p.pos = next
	p.scanned = 0
	p.left = int(count)
	p.bulkLen = -1
	return nil, 0, nil
}

// parseBulks reads the remaining "$<len>\r\n<data>\r\n" elements.
func (p *Parser) parseBulks(buf []byte, lim Limits, authenticated bool) ([][]byte, int, error) {
	maxBulk := lim.MaxBulkLen
	if maxBulk <= 0 {
		maxBulk = DefaultMaxBulkLen
	}
	for p.left > 0 {
		if p.bulkLen < 0 && p.scanned == 0 {
			// The common header, "$<1-18 digits>\r" and one more byte, in
			// one pass; anything else takes the general path below.
			if n, next := quickHeader(buf, p.pos, '$'); next > 0 && n <= maxBulk && (authenticated || n <= unauthMaxBulkLen) {
				p.pos = next
				p.bulkLen = n
			}
		}
		if p.bulkLen < 0 {
			i := p.findTerm(buf, p.pos, '\r')
			if i < 0 {
				if len(buf)-p.pos > inlineMax {
					return p.fail("Protocol error: too big bulk count string")
				}
				return p.incomplete(buf)
			}
			if i+2 > len(buf) {
				return p.incomplete(buf)
			}
			if c := buf[p.pos]; c != '$' {
				return p.fail(expectedDollar(c))
			}
			n, ok := ParseInt(buf[p.pos+1 : i])
			if !ok || n < 0 || n > maxBulk {
				return p.fail("Protocol error: invalid bulk length")
			}
			if n > unauthMaxBulkLen && !authenticated {
				return p.fail("Protocol error: unauthenticated bulk length")
			}
			p.pos = i + 2
			p.scanned = 0
			p.bulkLen = n
		}
		// The two bytes after the data are skipped unchecked, as Redis does.
		if int64(len(buf)-p.pos) < p.bulkLen+2 {
			return p.incomplete(buf)
		}
		p.spans = append(p.spans, span{p.pos, int(p.bulkLen)})
		p.pos += int(p.bulkLen) + 2
		p.bulkLen = -1
		p.left--
	}
	for _, s := range p.spans {
		// Capped so that appending to an argument cannot overwrite the
		// bytes that follow it.
		p.args = append(p.args, buf[s.off:s.off+s.n:s.off+s.n])
	}
	return p.done(p.pos)
}

// quickHeader reads a header "<kind><n>\r?" (kind '*' or '$') at
// buf[pos:] whose number has 1 to 18 digits and no leading zero or sign, as
// the general path would read it; it returns the number and the position
// after the header, or next 0 when the header is anything else or not all
// there (the general path then decides).
func quickHeader(buf []byte, pos int, kind byte) (n int64, next int) {
	if pos >= len(buf) || buf[pos] != kind {
		return 0, 0
	}
	i := pos + 1
	end := min(len(buf), i+19)
	for ; i < end; i++ {
		c := buf[i]
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	digits := i - pos - 1
	if digits == 0 || digits > 18 || (buf[pos+1] == '0' && digits > 1) ||
		i+2 > len(buf) || buf[i] != '\r' {
		return 0, 0
	}
	return n, i + 2
}

// expectedDollar builds Redis's message for a bulk header that does not
// start with '$'. Redis formats the byte with %c and then, like every
// formatted error, turns CR and LF into spaces.
func expectedDollar(c byte) string {
	if c == '\r' || c == '\n' {
		c = ' '
	}
	return "Protocol error: expected '$', got '" + string([]byte{c}) + "'"
}

// ParseInt parses a decimal integer with the rules of Redis's string2ll:
// an optional '-', no '+', no leading zeros (so "-0" is rejected), no
// spaces, fewer than 21 bytes, within int64. It is the one integer parser
// of the project: protocol lengths, command arguments and stored values
// all follow these rules in Redis.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) >= 21 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v *= 10
		d := uint64(c - '0')
		if v > 1<<64-1-d {
			return 0, false
		}
		v += d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true // wraps correctly for v == 1<<63
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// SplitArgs splits a line into arguments as Redis's sdssplitargs does
// (inline commands, redis.conf lines, redis-cli input); see splitArgs for
// the rules. ok is false for unbalanced quotes. The arguments are fresh
// copies.
func SplitArgs(line []byte) (args [][]byte, ok bool) {
	var p Parser
	if !p.splitArgs(line) {
		return nil, false
	}
	args = make([][]byte, len(p.args))
	for i, a := range p.args {
		args[i] = append([]byte{}, a...)
	}
	return args, true
}

// parseInline parses an inline request: one line split into arguments.
func (p *Parser) parseInline(buf []byte) ([][]byte, int, error) {
	i := p.findTerm(buf, 0, '\n')
	if i < 0 {
		if len(buf) > inlineMax {
			return p.fail("Protocol error: too big inline request")
		}
		return p.incomplete(buf)
	}
	line := buf[:i]
	if i > 0 && line[i-1] == '\r' {
		line = line[:i-1]
	}
	if !p.splitArgs(line) {
		return p.fail("Protocol error: unbalanced quotes in request")
	}
	return p.done(i + 1)
}

// splitArgs splits an inline line into p.args the way Redis's sdssplitargs
// does (the rules are observable by clients, so they are reproduced exactly):
//
//   - arguments are separated by runs of C isspace bytes (space, \t, \n, \v,
//     \f, \r), but an unquoted argument ends only at space, \t, \n or \r, so
//     "a\vb" is one argument;
//   - "double quotes" understand \n \r \t \b \a, \xHH (two hex digits) and
//     a backslash before any other byte stands for that byte;
//   - 'single quotes' understand only \';
//   - quotes may start in the middle of an argument (ab"c d" is "abc d"), but
//     a closing quote must be followed by whitespace or the end of the line;
//   - an unterminated quote is an error.
//
// The line contains no NUL: findTerm never finds a terminator past one.
func (p *Parser) splitArgs(line []byte) bool {
	// The output is never longer than the input, so with this capacity the
	// appends below never reallocate and p.args can point into out directly.
	if cap(p.scratch) < len(line) {
		p.scratch = make([]byte, 0, len(line))
	}
	out := p.scratch[:0]
	n := len(line)
	at := func(k int) byte { // the byte at k, or 0 past the end like a C string
		if k < n {
			return line[k]
		}
		return 0
	}
	i := 0
	for {
		for i < n && isCSpace(line[i]) {
			i++
		}
		if i == n {
			return true
		}
		start := len(out)
		inDouble, inSingle := false, false
	token:
		for {
			c := at(i)
			switch {
			case inDouble:
				switch {
				case c == '\\' && at(i+1) == 'x' && isHex(at(i+2)) && isHex(at(i+3)):
					out = append(out, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 4
				case c == '\\' && i+1 < n:
					out = append(out, unescape(line[i+1]))
					i += 2
				case c == '"':
					if i+1 < n && !isCSpace(line[i+1]) {
						return false
					}
					i++
					break token
				case i == n:
					return false
				default:
					out = append(out, c)
					i++
				}
			case inSingle:
				switch {
				case c == '\\' && at(i+1) == '\'':
					out = append(out, '\'')
					i += 2
				case c == '\'':
					if i+1 < n && !isCSpace(line[i+1]) {
						return false
					}
					i++
					break token
				case i == n:
					return false
				default:
					out = append(out, c)
					i++
				}
			default:
				if i == n {
					break token
				}
				switch c {
				case ' ', '\n', '\r', '\t':
					i++
					break token
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					out = append(out, c)
				}
				i++
			}
		}
		p.args = append(p.args, out[start:len(out):len(out)])
	}
}

// isCSpace is C's isspace in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
