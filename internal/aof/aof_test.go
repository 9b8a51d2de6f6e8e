package aof

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
)

func TestManifestRoundTrip(t *testing.T) {
	in := "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
	m, err := ParseManifest([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(m.Format()); got != in {
		t.Fatalf("format: %q", got)
	}
	if b, ok := m.Base(); !ok || b.Name != "appendonly.aof.1.base.rdb" {
		t.Fatalf("base %v", b)
	}
	for _, bad := range []string{"file x seq 1", "file a seq x type i", "file ../x seq 1 type i", "file x seq 1 type z"} {
		if _, err := ParseManifest([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCreateAppendReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	if _, err := Create(OSFS{}, dir, "appendonly.aof"); err != nil {
		t.Fatal(err)
	}
	l, err := Open(Options{Dir: dir, Filename: "appendonly.aof", Policy: FsyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	l.Append(0, [][]byte{[]byte("SET"), []byte("k"), []byte("v\r\n\x00")})
	l.AppendBlock(3, []Cmd{{3, [][]byte{[]byte("INCR"), []byte("n")}}, {3, [][]byte{[]byte("INCR"), []byte("n")}}})
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "appendonly.aof.1.incr.aof"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, tr, err := Replay(bytes.NewReader(b), false, func(argv [][]byte) error {
		got = append(got, string(bytes.Join(argv, []byte(" "))))
		return nil
	}); err != nil || tr {
		t.Fatal(err, tr)
	}
	want := "SELECT 0|SET k v\r\n\x00|SELECT 3|MULTI|INCR n|INCR n|EXEC"
	if strings.Join(got, "|") != want {
		t.Fatalf("replayed %q", strings.Join(got, "|"))
	}
}

func TestReplayTruncated(t *testing.T) {
	full := resp.AppendCommandStrings(nil, "SET", "a", "1")
	full = resp.AppendCommandStrings(full, "SET", "b", "2")
	for cut := len(full) - 1; cut > len(full)/2; cut-- {
		n := 0
		valid, tr, err := Replay(bytes.NewReader(full[:cut]), true, func([][]byte) error { n++; return nil })
		if err != nil || !tr || n != 1 || int(valid) != len(full)/2 {
			t.Fatalf("cut %d: n=%d valid=%d tr=%v err=%v", cut, n, valid, tr, err)
		}
		if _, _, err := Replay(bytes.NewReader(full[:cut]), false, func([][]byte) error { return nil }); err == nil {
			t.Fatalf("cut %d: truncation accepted without aof-load-truncated", cut)
		}
	}
	if _, _, err := Replay(strings.NewReader("*1\r\n$3\r\nfoo\r\nGARBAGE\r\n"), true, func([][]byte) error { return nil }); err == nil || !strings.Contains(err.Error(), "offset 13") {
		t.Fatalf("garbage: %v", err)
	}
}

func FuzzReplay(f *testing.F) {
	f.Add(resp.AppendCommandStrings(nil, "SET", "a", "1"))
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$-1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Replay(bytes.NewReader(b), true, func([][]byte) error { return nil })
	})
}

func BenchmarkAppend(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "d")
	Create(OSFS{}, dir, "a.aof")
	l, _ := Open(Options{Dir: dir, Filename: "a.aof", Policy: FsyncNo})
	argv := [][]byte{[]byte("SET"), []byte("key:000000001"), bytes.Repeat([]byte("x"), 64)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.Append(0, argv)
		if i%64 == 63 {
			l.Flush()
		}
	}
	l.Close()
}
