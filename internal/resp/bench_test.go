package resp

import (
	"fmt"
	"strings"
	"testing"
)

func setCommand(i int) []byte {
	return AppendCommandStrings(nil, "SET", fmt.Sprintf("key:%06d", i), strings.Repeat("v", 64))
}

func BenchmarkParseSet(b *testing.B) {
	buf := setCommand(123)
	var p Parser
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, n, err := p.Parse(buf, Limits{}, true); n != len(buf) || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkParsePipeline16(b *testing.B) {
	var buf []byte
	for i := 0; i < 16; i++ {
		buf = append(buf, setCommand(i)...)
	}
	var p Parser
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		rest := buf
		for len(rest) > 0 {
			_, n, err := p.Parse(rest, Limits{}, true)
			if n == 0 || err != nil {
				b.Fatal(n, err)
			}
			rest = rest[n:]
		}
	}
}

func BenchmarkParseInline(b *testing.B) {
	buf := []byte("SET key:000123 " + strings.Repeat("v", 64) + "\r\n")
	var p Parser
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, n, err := p.Parse(buf, Limits{}, true); n != len(buf) || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkAppendBulk(b *testing.B) {
	val := []byte(strings.Repeat("v", 64))
	out := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		out = AppendBulk(out[:0], val)
	}
}

func BenchmarkAppendInt(b *testing.B) {
	out := make([]byte, 0, 64)
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		out = AppendInt(out[:0], i)
		i += 7919
	}
}

func BenchmarkAppendDouble(b *testing.B) {
	out := make([]byte, 0, 64)
	b.ReportAllocs()
	f := 0.1
	for b.Loop() {
		out = AppendDouble(out[:0], f, 2)
		f += 1.37
	}
}
