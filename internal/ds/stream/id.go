package stream

import (
	"math"
	"strconv"
)

// ID is a stream entry ID: a millisecond time and a sequence number.
type ID struct{ Ms, Seq uint64 }

// MaxID is the greatest ID, 18446744073709551615-18446744073709551615.
func MaxID() ID { return ID{math.MaxUint64, math.MaxUint64} }

// Cmp compares two IDs: -1, 0 or 1.
func (a ID) Cmp(b ID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Less reports a < b.
func (a ID) Less(b ID) bool { return a.Cmp(b) < 0 }

// IsZero reports whether a is 0-0.
func (a ID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Next is the ID right after a; false when a is the greatest ID.
func (a ID) Next() (ID, bool) {
	if a.Seq == math.MaxUint64 {
		if a.Ms == math.MaxUint64 {
			return a, false
		}
		return ID{a.Ms + 1, 0}, true
	}
	return ID{a.Ms, a.Seq + 1}, true
}

// Prev is the ID right before a; false when a is 0-0.
func (a ID) Prev() (ID, bool) {
	if a.Seq == 0 {
		if a.Ms == 0 {
			return a, false
		}
		return ID{a.Ms - 1, math.MaxUint64}, true
	}
	return ID{a.Ms, a.Seq - 1}, true
}

// Append appends the text form "ms-seq".
func (a ID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

func (a ID) String() string { return string(a.Append(nil)) }

// maxIDLen is the longest ID text Redis looks at (its parse buffer).
const maxIDLen = 127

// ParseID parses an ID argument as Redis does. "-" and "+" are the least
// and greatest IDs unless strict. A lone time takes missingSeq as its
// sequence. With allowStarSeq, "ms-*" parses with seqGiven false (XADD's
// partial ID). ok is false for anything else.
func ParseID(b []byte, strict bool, missingSeq uint64, allowStarSeq bool) (id ID, seqGiven bool, ok bool) {
	if len(b) > maxIDLen {
		return ID{}, false, false
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return ID{}, false, false
		}
		if b[0] == '-' {
			return ID{}, true, true
		}
		return MaxID(), true, true
	}
	msPart, seqPart, hasDash := b, []byte(nil), false
	for i, c := range b {
		if c == '-' {
			msPart, seqPart, hasDash = b[:i], b[i+1:], true
			break
		}
	}
	seqGiven = true
	if hasDash {
		if allowStarSeq && len(seqPart) == 1 && seqPart[0] == '*' {
			seqGiven = false
		} else if id.Seq, ok = parseU64(seqPart); !ok {
			return ID{}, false, false
		}
	} else {
		id.Seq = missingSeq
	}
	if id.Ms, ok = parseU64(msPart); !ok {
		return ID{}, false, false
	}
	return id, seqGiven, true
}

// parseU64 reads an unsigned 64-bit number as Redis's string2ull: a
// canonical signed integer must not be negative; anything else is read as
// C's strtoull, which allows leading blanks and a sign (a minus negates
// modulo 2^64) but must consume the whole text without overflow.
func parseU64(b []byte) (uint64, bool) {
	if n, ok := parseCanonicalInt(b); ok {
		if n < 0 {
			return 0, false
		}
		return uint64(n), true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseCanonicalInt is Redis's string2ll: an optional minus, no leading
// zeros, no blanks, within int64.
func parseCanonicalInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if b[0] == '-' {
		neg, i = true, 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
