package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"syscall"

	"github.com/taconite/taconite/internal/glob"
	"github.com/taconite/taconite/internal/resp"
)

// This file holds the small text primitives whose exact quirks decide what
// Redis accepts and prints: its argument splitter, its quoting, its strict
// and lenient integer parsers, its memory-unit parser and its glob matcher.
// They are written from Redis's documented/observed behaviour, because any
// difference would show up as a different error or value on the wire.

// isCSpace reports whether b is a space for C's isspace() in the C locale.
func isCSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r'
}

func isHexDigit(b byte) bool {
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')
}

func hexValue(b byte) byte {
	switch {
	case b >= '0' && b <= '9':
		return b - '0'
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10
	default:
		return b - 'A' + 10
	}
}

// splitArgs splits a config line the way Redis's sdssplitargs does (the
// rules live in resp.SplitArgs). ok is false for unbalanced quotes. An
// empty or all-blank line gives no words.
func splitArgs(line string) (args []string, ok bool) {
	// C strings end at the first NUL; so does the line Redis sees.
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	words, ok := resp.SplitArgs([]byte(line))
	if !ok {
		return nil, false
	}
	args = make([]string, len(words))
	for k, w := range words {
		args[k] = string(w)
	}
	return args, true
}

// splitSpaces splits s on every single space like Redis's
// sdssplitlen(s, " "): "" gives no element, and runs of spaces give empty
// elements. CONFIG SET uses it for multi-argument parameters.
func splitSpaces(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

// repr quotes s like Redis's sdscatrepr, which is how CONFIG REWRITE and
// the command line conversion write string values.
func repr(s string) string { return string(resp.AppendRepr(nil, []byte(s))) }

// parseStrictInt parses like Redis's string2ll (resp.ParseInt).
func parseStrictInt(s string) (int64, bool) { return resp.ParseInt([]byte(s)) }

// cStrtoll mimics C's strtoll(s, &end, base) for base 8 or 10: leading
// spaces, an optional sign, digits, saturation on overflow. It returns the
// value, whether the whole string was consumed (*end == '\0'), and whether
// it overflowed (errno == ERANGE). With no digits at all the end pointer
// stays at the start, so only the empty string counts as fully consumed.
func cStrtoll(s string, base int) (v int64, full bool, overflow bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	for i < len(s) && s[i] >= '0' && int(s[i]-'0') < base {
		d := uint64(s[i] - '0')
		if !overflow {
			if u > (limit-d)/uint64(base) {
				overflow = true
			} else {
				u = u*uint64(base) + d
			}
		}
		i++
	}
	if i == start {
		return 0, s == "", false
	}
	switch {
	case overflow && neg:
		v = math.MinInt64
	case overflow:
		v = math.MaxInt64
	case neg:
		v = -int64(u)
	default:
		v = int64(u)
	}
	return v, i == len(s), overflow
}

// memToULL parses a memory amount like Redis 7.0's memtoull: decimal digits
// then an optional case-insensitive unit (b, k=1000, kb=1024, m, mb, g,
// gb). Nothing else is allowed, not even a sign or a space. As in Redis the
// digits saturate at 2^64-1 and the unit multiplication wraps around, and
// an empty number counts as 0.
func memToULL(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	u := 0
	for u < len(s) && s[u] >= '0' && s[u] <= '9' {
		u++
	}
	var mul uint64
	switch asciiLower(s[u:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if u >= 128 {
		return 0, false
	}
	var v uint64
	for i := 0; i < u; i++ {
		d := uint64(s[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			v = math.MaxUint64
			break
		}
		v = v*10 + d
	}
	return v * mul, true
}

// formatMemory writes bytes the way CONFIG REWRITE does: with the largest
// of gb/mb/kb that divides it exactly. The value is treated as signed, as
// Redis does.
func formatMemory(bytes int64) string {
	const kb, mb, gb = 1024, 1024 * 1024, 1024 * 1024 * 1024
	switch {
	case bytes != 0 && bytes%gb == 0:
		return strconv.FormatInt(bytes/gb, 10) + "gb"
	case bytes != 0 && bytes%mb == 0:
		return strconv.FormatInt(bytes/mb, 10) + "mb"
	case bytes != 0 && bytes%kb == 0:
		return strconv.FormatInt(bytes/kb, 10) + "kb"
	}
	return strconv.FormatInt(bytes, 10)
}

// formatPercentile prints a float like Redis's "%f" followed by
// trimDoubleString: six decimals, then trailing zeros and a bare point
// removed.
func formatPercentile(f float64) string {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

// parseCDouble parses like Redis's string2d (strtod over the whole
// string): no leading space, no NaN, and no overflow or underflow to zero
// from a finite literal; "inf" itself is accepted. strtod also takes
// hexadecimal numbers without a binary exponent, which strconv does not,
// so one is added.
func parseCDouble(s string) (float64, bool) {
	if s == "" || isCSpace(s[0]) || strings.Contains(s, "_") {
		return 0, false
	}
	body := asciiLower(strings.TrimLeft(s, "+-"))
	if len(s)-len(strings.TrimLeft(s, "+-")) > 1 {
		return 0, false
	}
	if strings.HasPrefix(body, "0x") && !strings.Contains(body, "p") {
		s += "p0"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	if math.IsInf(f, 0) && body != "inf" && body != "infinity" {
		return 0, false
	}
	if f == 0 && hasNonZeroMantissa(body) {
		return 0, false // underflow: strtod reports ERANGE with a zero result
	}
	return f, true
}

// hasNonZeroMantissa reports whether a number literal has a non-zero digit
// before its exponent.
func hasNonZeroMantissa(body string) bool {
	hex := strings.HasPrefix(body, "0x")
	if hex {
		body = body[2:]
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if (!hex && c == 'e') || (hex && c == 'p') {
			return false
		}
		if c >= '1' && c <= '9' || (hex && c >= 'a' && c <= 'f') {
			return true
		}
	}
	return false
}

// stringMatch is Redis's glob matcher (internal/glob).
func stringMatch(pat, str string, nocase bool) bool {
	if nocase {
		return glob.MatchFold([]byte(pat), []byte(str))
	}
	return glob.Match([]byte(pat), []byte(str))
}

// strerror renders an OS error the way C's strerror() does: Go's errno
// texts are glibc's with a lower-case first letter.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := errno.Error()
		if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
			msg = string(msg[0]-('a'-'A')) + msg[1:]
		}
		return msg
	}
	return err.Error()
}
