package resp

import (
	"math"
	"strings"
	"testing"
)

func TestEncoders(t *testing.T) {
	cases := []struct {
		got  []byte
		want string
	}{
		{AppendOK(nil), "+OK\r\n"},
		{AppendStatus(nil, "PONG"), "+PONG\r\n"},
		{AppendStatus(nil, ""), "+\r\n"},
		{AppendStatus(nil, "a\r\nb\nc"), "+a  b c\r\n"},
		{AppendStatusBytes(nil, []byte("QUEUED")), "+QUEUED\r\n"},
		{AppendStatusBytes(nil, []byte("x\ry")), "+x y\r\n"},
		{AppendError(nil, "ERR wrong number of arguments for 'get' command"), "-ERR wrong number of arguments for 'get' command\r\n"},
		{AppendError(nil, "WRONGTYPE Operation against a key holding the wrong kind of value"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{AppendError(nil, "ERR unknown command 'a\r\nb'"), "-ERR unknown command 'a  b'\r\n"},
		{AppendInt(nil, 0), ":0\r\n"},
		{AppendInt(nil, -1), ":-1\r\n"},
		{AppendInt(nil, math.MaxInt64), ":9223372036854775807\r\n"},
		{AppendInt(nil, math.MinInt64), ":-9223372036854775808\r\n"},
		{AppendBulk(nil, []byte("hello")), "$5\r\nhello\r\n"},
		{AppendBulk(nil, nil), "$0\r\n\r\n"},
		{AppendBulk(nil, []byte("a\x00\r\nb")), "$5\r\na\x00\r\nb\r\n"},
		{AppendBulkString(nil, "hello"), "$5\r\nhello\r\n"},
		{AppendBulkString(nil, ""), "$0\r\n\r\n"},
		{AppendBulkInt(nil, 0), "$1\r\n0\r\n"},
		{AppendBulkInt(nil, -123), "$4\r\n-123\r\n"},
		{AppendBulkInt(nil, math.MinInt64), "$20\r\n-9223372036854775808\r\n"},
		{AppendArrayLen(nil, 0), "*0\r\n"},
		{AppendArrayLen(nil, 3), "*3\r\n"},
		{AppendNullBulk(nil, 2), "$-1\r\n"},
		{AppendNullBulk(nil, 3), "_\r\n"},
		{AppendNullArray(nil, 2), "*-1\r\n"},
		{AppendNullArray(nil, 3), "_\r\n"},
		{AppendMapLen(nil, 2, 2), "*4\r\n"},
		{AppendMapLen(nil, 2, 3), "%2\r\n"},
		{AppendMapLen(nil, 0, 2), "*0\r\n"},
		{AppendSetLen(nil, 5, 2), "*5\r\n"},
		{AppendSetLen(nil, 5, 3), "~5\r\n"},
		{AppendPushLen(nil, 3, 2), "*3\r\n"},
		{AppendPushLen(nil, 3, 3), ">3\r\n"},
		{AppendAttrLen(nil, 1), "|1\r\n"},
		{AppendBool(nil, true, 2), ":1\r\n"},
		{AppendBool(nil, false, 2), ":0\r\n"},
		{AppendBool(nil, true, 3), "#t\r\n"},
		{AppendBool(nil, false, 3), "#f\r\n"},
		{AppendVerbatim(nil, "txt", []byte("Some string"), 3), "=15\r\ntxt:Some string\r\n"},
		{AppendVerbatim(nil, "txt", []byte("Some string"), 2), "$11\r\nSome string\r\n"},
		{AppendVerbatim(nil, "mkd", nil, 3), "=4\r\nmkd:\r\n"},
		{AppendVerbatim(nil, "ab", []byte("x"), 3), "=5\r\nab :x\r\n"},
		{AppendVerbatim(nil, "", []byte("x"), 3), "=5\r\n   :x\r\n"},
		{AppendVerbatim(nil, "markdown", []byte("x"), 3), "=5\r\nmar:x\r\n"},
		{AppendBigNumber(nil, "3492890328409238509324850943850943825024385", 3), "(3492890328409238509324850943850943825024385\r\n"},
		{AppendBigNumber(nil, "-12", 2), "$3\r\n-12\r\n"},
		// Appending keeps what was there.
		{AppendInt([]byte("+OK\r\n"), 7), "+OK\r\n:7\r\n"},
		{AppendCommandStrings(nil, "SET", "k", ""), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"},
		{AppendCommand(nil, []byte("PING")), "*1\r\n$4\r\nPING\r\n"},
		{AppendCommand(nil), "*0\r\n"},
	}
	for i, c := range cases {
		if string(c.got) != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}

// The expected texts are C's printf("%.17g") from glibc, as Redis 7.0's
// addReplyDouble produces them (obtained with a small C program).
func TestAppendDouble(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1e16, "10000000000000000"},
		{1e17, "1e+17"},
		{1e-5, "1.0000000000000001e-05"},
		{123456789012345678, "1.2345678901234568e+17"},
		{1.1, "1.1000000000000001"},
		{3.0, "3"},
		{1e300, "1.0000000000000001e+300"},
		{0.1, "0.10000000000000001"},
		{0.0001, "0.0001"},
		{1e21, "1e+21"},
		{1e22, "1e+22"},
		{-1.5, "-1.5"},
		{2.5, "2.5"},
		{100, "100"},
		{1e15, "1000000000000000"},
		{123.456, "123.456"},
		{0.3, "0.29999999999999999"},
		{3.14159, "3.1415899999999999"},
		{4.35, "4.3499999999999996"},
		{0.000123, "0.00012300000000000001"},
		{1e-300, "1e-300"},
		{9007199254740993, "9007199254740992"},
		{12345678901234567890, "1.2345678901234567e+19"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.SmallestNonzeroFloat64, "4.9406564584124654e-324"},
		{math.Float64frombits(0x000fffffffffffff), "2.2250738585072009e-308"}, // largest denormal
		{math.Float64frombits(0x0010000000000000), "2.2250738585072014e-308"}, // smallest normal
		// Exact ties at the 17th digit round to even, as glibc does.
		{123456789012345.625, "123456789012345.62"},
		{123456789012345.875, "123456789012345.88"},
		{12345678901234.5625, "12345678901234.562"},
		{2251799813685247.5, "2251799813685247.5"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
		{math.Copysign(math.NaN(), -1), "-nan"},
	}
	for _, c := range cases {
		if got := string(AppendDouble(nil, c.f, 3)); got != ","+c.want+"\r\n" {
			t.Errorf("RESP3 %v: got %q, want %q", c.f, got, ","+c.want+"\r\n")
		}
		want2 := string(AppendBulkString(nil, c.want))
		if got := string(AppendDouble(nil, c.f, 2)); got != want2 {
			t.Errorf("RESP2 %v: got %q, want %q", c.f, got, want2)
		}
	}
}

func TestEncodersZeroAllocs(t *testing.T) {
	buf := make([]byte, 0, 4096)
	val := []byte(strings.Repeat("v", 64))
	allocs := testing.AllocsPerRun(100, func() {
		b := buf[:0]
		b = AppendOK(b)
		b = AppendStatus(b, "PONG")
		b = AppendStatusBytes(b, val)
		b = AppendError(b, "ERR no such key")
		b = AppendInt(b, -1234567)
		b = AppendBulk(b, val)
		b = AppendBulkString(b, "hello")
		b = AppendBulkInt(b, math.MinInt64)
		b = AppendArrayLen(b, 12)
		b = AppendNullBulk(b, 2)
		b = AppendNullArray(b, 3)
		b = AppendMapLen(b, 3, 2)
		b = AppendSetLen(b, 3, 3)
		b = AppendPushLen(b, 3, 3)
		b = AppendAttrLen(b, 1)
		b = AppendDouble(b, 3.14159, 2)
		b = AppendDouble(b, 1e-300, 3)
		b = AppendDouble(b, math.Inf(1), 2)
		b = AppendBool(b, true, 3)
		b = AppendVerbatim(b, "txt", val, 3)
		b = AppendBigNumber(b, "12345678901234567890", 3)
		b = AppendCommand(b, val, val)
		_ = b
	})
	if allocs != 0 {
		t.Errorf("%v allocs", allocs)
	}
}
