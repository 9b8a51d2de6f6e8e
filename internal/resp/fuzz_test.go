package resp

import (
	"bufio"
	"bytes"
	"math/rand"
	"reflect"
	"testing"
)

// FuzzParser checks that the parser never panics, that the outcome does not
// depend on how the input is split into reads, and that every command it
// extracts survives re-encoding with AppendCommand.
func FuzzParser(f *testing.F) {
	f.Add([]byte("*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\nPING\r\n"), true, int64(0))
	f.Add([]byte("SET k \"a\\x41\\n\" 'b\\'c'\r\n*0\r\n\n"), false, int64(1))
	f.Add([]byte("*1\r\n$16385\r\n"), false, int64(2))
	f.Fuzz(func(t *testing.T, data []byte, auth bool, seed int64) {
		var lim Limits
		if seed&1 == 1 {
			lim.MaxBulkLen = 8 // exercise the configurable limit too
		}
		want, wantLeft := feed(t, data, wholeChunks(len(data)), lim, auth)
		check := func(mode string, chunks []int) {
			got, left := feed(t, data, chunks, lim, auth)
			if !reflect.DeepEqual(got, want) || left != wantLeft {
				t.Fatalf("input %q: %s gives %v (left %d), whole gives %v (left %d)",
					data, mode, got, left, want, wantLeft)
			}
		}
		check("byte by byte", byteChunks(len(data)))
		r := rand.New(rand.NewSource(seed))
		check("random split", randomChunks(r, len(data)))

		var p Parser
		for _, e := range want {
			if e.Args == nil {
				continue
			}
			enc := AppendCommandStrings(nil, e.Args...)
			args, n, err := p.Parse(enc, Limits{}, true)
			if err != nil || n != len(enc) || len(args) != len(e.Args) {
				t.Fatalf("re-encoded %q: %q, n=%d, err=%v", e.Args, args, n, err)
			}
			for i := range args {
				if string(args[i]) != e.Args[i] {
					t.Fatalf("re-encoded %q: got %q", e.Args, args)
				}
			}
		}
	})
}

// FuzzReadRawReply checks that the reply readers never panic, agree with
// each other, return exactly the bytes of each reply in order, and that a
// returned reply reads back as itself.
func FuzzReadRawReply(f *testing.F) {
	f.Add([]byte(debugProtocol3))
	f.Add([]byte(debugProtocol2))
	f.Add([]byte("*2\r\n$-1\r\n*-1\r\n|1\r\n+a\r\n+b\r\n!3\r\nERR\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r1 := bufio.NewReaderSize(bytes.NewReader(data), 16)
		r2 := bufio.NewReaderSize(bytes.NewReader(data), 16)
		consumed := 0
		for {
			raw, err1 := ReadRawReply(r1)
			v, err2 := ReadReply(r2)
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("raw reader: %v, value reader: %v", err1, err2)
			}
			if err1 != nil {
				return
			}
			if r1.Buffered() != r2.Buffered() {
				t.Fatalf("readers consumed different amounts")
			}
			if !bytes.HasPrefix(data[consumed:], raw) {
				t.Fatalf("reply %q is not the next bytes of the input", raw)
			}
			consumed += len(raw)
			again, err := ReadRawReply(bufio.NewReader(bytes.NewReader(raw)))
			if err != nil || !bytes.Equal(again, raw) {
				t.Fatalf("reply %q reads back as %q, %v", raw, again, err)
			}
			_ = v.String()
		}
	})
}
