package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

// BenchmarkPersistLoadSave loads RDB_BENCH_FILE (a big dump.rdb, e.g. the
// 1M mixed keys of tools/rdbrecord/bench.sh) at startup and SAVEs it.
func BenchmarkPersistLoadSave(b *testing.B) {
	src := os.Getenv("RDB_BENCH_FILE")
	if src == "" {
		b.Skip("set RDB_BENCH_FILE")
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		os.WriteFile(filepath.Join(dir, "dump.rdb"), raw, 0o644)
		s := servertest.Start(b, "--dir", dir)
		c := s.Dial(b)
		if r := c.Do("SAVE"); r != "+OK\r\n" {
			b.Fatal(r)
		}
		s.Stop()
	}
}
