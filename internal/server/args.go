package server

import (
	"math"
	"strconv"

	"github.com/taconite/taconite/internal/rerr"
	"github.com/taconite/taconite/internal/resp"
)

// eq reports whether the argument b equals the lower-case ASCII word s,
// ignoring case; it never allocates.
func eq(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// parseInt parses an integer argument as Redis's string2ll.
func parseInt(b []byte) (int64, bool) { return resp.ParseInt(b) }

// parseFloat parses a float argument as Redis's getDoubleFromObject: the
// whole argument must be a number (strtod syntax, "inf" allowed), no
// surrounding spaces, not NaN.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) || isSpace(b[len(b)-1]) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			// strtod reports ERANGE for overflow (±HUGE_VAL) and
			// underflow; Redis rejects both.
			return 0, false
		}
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// argInt parses an integer argument or replies Redis's error; ok is false
// when it replied.
func (c *client) argInt(b []byte) (int64, bool) {
	n, ok := parseInt(b)
	if !ok {
		c.replyError(rerr.NotInt)
	}
	return n, ok
}

// argTimeoutMs parses a non-negative integer timeout (CLIENT PAUSE, WAIT);
// ok is false when it replied.
func (c *client) argTimeoutMs(b []byte) (int64, bool) {
	n, ok := parseInt(b)
	if !ok {
		c.replyError(rerr.TimeoutNotInt)
		return 0, false
	}
	if n < 0 {
		c.replyError(rerr.TimeoutNegative)
		return 0, false
	}
	return n, true
}
