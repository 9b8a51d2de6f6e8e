package aof

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckRedisDirAndFix(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "aof", "redis7-rdb-base")
	dir := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(src, e.Name()))
		os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
	}
	man := filepath.Join(dir, "appendonly.aof.manifest")
	var out bytes.Buffer
	if err := Check(man, false, &out); err != nil || !strings.Contains(out.String(), "All AOF files and manifest are valid") {
		t.Fatalf("%v\n%s", err, out.String())
	}
	// A torn last command: an error without fix, repaired with it.
	incr := filepath.Join(dir, "appendonly.aof.2.incr.aof")
	b, _ := os.ReadFile(incr)
	os.WriteFile(incr, append(b, "*3\r\n$3\r\nSET\r\n$1\r\nk"...), 0o644)
	if err := Check(man, false, &out); err == nil {
		t.Fatal("torn command not reported")
	}
	if err := Check(man, true, &out); err != nil {
		t.Fatalf("fix: %v", err)
	}
	if got, _ := os.ReadFile(incr); !bytes.Equal(got, b) {
		t.Fatalf("fix left %d bytes, want %d", len(got), len(b))
	}
	// Garbage in the middle is not "fixed".
	os.WriteFile(incr, append([]byte("*1\r\nxx\r\n"), b...), 0o644)
	if err := Check(man, true, &out); err == nil || !strings.Contains(err.Error(), "offset 0") {
		t.Fatalf("garbage: %v", err)
	}
}
