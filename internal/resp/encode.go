package resp

import (
	"math"
	"strconv"
)

// The encoders follow strconv's Append style: they append one reply element
// to b and return the extended slice, never allocating beyond b's growth.
// proto is the connection's protocol version: 3 selects RESP3, anything
// else RESP2. Aggregate headers (AppendArrayLen and friends) must be
// followed by their elements.

// AppendOK appends the "+OK" status.
func AppendOK(b []byte) []byte {
	return append(b, "+OK\r\n"...)
}

// AppendStatus appends a simple string reply: "+s\r\n". CR and LF in s are
// turned into spaces, as Redis does for messages it formats, since a raw
// line break would desynchronise the stream.
func AppendStatus(b []byte, s string) []byte {
	return appendLine(b, '+', s)
}

// AppendStatusBytes is AppendStatus for a []byte.
func AppendStatusBytes(b []byte, s []byte) []byte {
	return appendLine(b, '+', s)
}

// AppendError appends an error reply: "-msg\r\n". msg starts with the error
// code ("ERR ...", "WRONGTYPE ..."); CR and LF become spaces.
func AppendError(b []byte, msg string) []byte {
	return appendLine(b, '-', msg)
}

func appendLine[T string | []byte](b []byte, typ byte, s T) []byte {
	b = append(b, typ)
	start := len(b)
	b = append(b, s...)
	for i := start; i < len(b); i++ {
		if b[i] == '\r' || b[i] == '\n' {
			b[i] = ' '
		}
	}
	return append(b, '\r', '\n')
}

// appendHeader appends typ, the decimal n and CRLF: the shape of every
// length or integer line.
func appendHeader(b []byte, typ byte, n int64) []byte {
	b = append(b, typ)
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\r', '\n')
}

// AppendInt appends an integer reply: ":n\r\n".
func AppendInt(b []byte, n int64) []byte {
	return appendHeader(b, ':', n)
}

// AppendBulk appends a bulk string reply: "$len\r\nv\r\n".
func AppendBulk(b []byte, v []byte) []byte {
	b = appendHeader(b, '$', int64(len(v)))
	b = append(b, v...)
	return append(b, '\r', '\n')
}

// AppendBulkString is AppendBulk for a string.
func AppendBulkString(b []byte, s string) []byte {
	b = appendHeader(b, '$', int64(len(s)))
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// AppendBulkInt appends n's decimal representation as a bulk string, as
// Redis does for integers stored as strings.
func AppendBulkInt(b []byte, n int64) []byte {
	var tmp [20]byte
	return AppendBulk(b, strconv.AppendInt(tmp[:0], n, 10))
}

// AppendArrayLen appends an array header: "*n\r\n".
func AppendArrayLen(b []byte, n int) []byte {
	return appendHeader(b, '*', int64(n))
}

// AppendNullBulk appends the null a missing string is reported as:
// "$-1\r\n" in RESP2, "_\r\n" in RESP3.
func AppendNullBulk(b []byte, proto int) []byte {
	if proto == 3 {
		return append(b, "_\r\n"...)
	}
	return append(b, "$-1\r\n"...)
}

// AppendNullArray appends the null a missing aggregate is reported as:
// "*-1\r\n" in RESP2, "_\r\n" in RESP3.
func AppendNullArray(b []byte, proto int) []byte {
	if proto == 3 {
		return append(b, "_\r\n"...)
	}
	return append(b, "*-1\r\n"...)
}

// AppendMapLen appends the header of a map of n key/value pairs: "%n" in
// RESP3, a flat array of 2n elements in RESP2.
func AppendMapLen(b []byte, n int, proto int) []byte {
	if proto == 3 {
		return appendHeader(b, '%', int64(n))
	}
	return appendHeader(b, '*', 2*int64(n))
}

// AppendSetLen appends the header of a set of n elements: "~n" in RESP3, an
// array in RESP2.
func AppendSetLen(b []byte, n int, proto int) []byte {
	if proto == 3 {
		return appendHeader(b, '~', int64(n))
	}
	return appendHeader(b, '*', int64(n))
}

// AppendPushLen appends the header of an out-of-band push message of n
// elements: ">n" in RESP3, an array in RESP2 (where pub/sub messages are
// plain arrays).
func AppendPushLen(b []byte, n int, proto int) []byte {
	if proto == 3 {
		return appendHeader(b, '>', int64(n))
	}
	return appendHeader(b, '*', int64(n))
}

// AppendAttrLen appends the header of an attribute of n key/value pairs:
// "|n". Attributes exist only in RESP3; the caller must not send them to a
// RESP2 client.
func AppendAttrLen(b []byte, n int) []byte {
	return appendHeader(b, '|', int64(n))
}

// AppendDouble appends a double reply as Redis 7.0 does: C's "%.17g"
// rendering, as a bulk string in RESP2 and as ",<text>\r\n" in RESP3.
// Infinities are "inf" and "-inf" in both.
func AppendDouble(b []byte, f float64, proto int) []byte {
	var tmp [32]byte
	text := appendG17(tmp[:0], f)
	if proto == 3 {
		b = append(b, ',')
		b = append(b, text...)
		return append(b, '\r', '\n')
	}
	return AppendBulk(b, text)
}

// appendG17 formats f like C's printf("%.17g") with glibc: Go's 'g' with
// precision 17 produces the same digits and exponent form for every finite
// double; only the spelling of infinities and NaN differs.
func appendG17(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		if math.Signbit(f) {
			return append(b, "-nan"...)
		}
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// AppendBool appends a boolean: "#t"/"#f" in RESP3, ":1"/":0" in RESP2.
func AppendBool(b []byte, v bool, proto int) []byte {
	switch {
	case proto == 3 && v:
		return append(b, "#t\r\n"...)
	case proto == 3:
		return append(b, "#f\r\n"...)
	case v:
		return append(b, ":1\r\n"...)
	}
	return append(b, ":0\r\n"...)
}

// AppendVerbatim appends a verbatim string: in RESP3 "=len\r\nfmt:s\r\n",
// where fmt is format cut or space-padded to three bytes ("txt", "mkd"); in
// RESP2 a plain bulk string of s.
func AppendVerbatim(b []byte, format string, s []byte, proto int) []byte {
	if proto != 3 {
		return AppendBulk(b, s)
	}
	b = appendHeader(b, '=', int64(len(s))+4)
	for i := 0; i < 3; i++ {
		if i < len(format) {
			b = append(b, format[i])
		} else {
			b = append(b, ' ')
		}
	}
	b = append(b, ':')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// AppendBigNumber appends a big number given as its decimal digits: "(s" in
// RESP3, a bulk string in RESP2.
func AppendBigNumber(b []byte, s string, proto int) []byte {
	if proto != 3 {
		return AppendBulkString(b, s)
	}
	b = append(b, '(')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// AppendRepr appends s quoted as Redis's sdscatrepr does: in double
// quotes, with backslash, quote, \n \r \t \a \b escaped and every other unprintable
// byte as \xHH. MONITOR lines and CONFIG REWRITE use it.
func AppendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c <= 0x7e {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return append(b, '"')
}
