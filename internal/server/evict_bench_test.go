package server_test

import (
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// BenchmarkSetEvicting is a write flood of distinct keys (100-byte values,
// pipelined 64 at a time), without a limit and under allkeys-lru and
// allkeys-lfu with maxmemory 8 MB above what the process uses: the cost
// eviction adds to a write (sampling, deleting, compacting the arena).
func BenchmarkSetEvicting(b *testing.B) {
	for _, policy := range []string{"none", "allkeys-lru", "allkeys-lfu"} {
		b.Run(policy, func(b *testing.B) {
			s := servertest.Start(b)
			c := s.Dial(b)
			if policy != "none" {
				c.Do("CONFIG", "SET", "maxmemory-policy", policy)
				runtime.GC()
				used := evictInfoB(b, c, "used_memory")
				c.Do("CONFIG", "SET", "maxmemory", strconv.FormatInt(used+8<<20, 10))
			}
			val := strings.Repeat("v", 100)
			var buf []byte
			b.ResetTimer()
			for i := 0; i < b.N; i += 64 {
				n := min(64, b.N-i)
				buf = buf[:0]
				for j := 0; j < n; j++ {
					buf = resp.AppendCommandStrings(buf, "SET", "key:"+strconv.Itoa(i+j), val)
				}
				c.Send(buf)
				for j := 0; j < n; j++ {
					if r := c.ReadRaw(); r != "+OK\r\n" {
						b.Fatalf("SET: %q", r)
					}
				}
			}
			b.StopTimer()
			if policy != "none" && b.N > 200_000 && evictInfoB(b, c, "evicted_keys") == 0 {
				b.Fatal("nothing evicted")
			}
			c.Do("CONFIG", "SET", "maxmemory", "0")
		})
	}
}

func evictInfoB(b *testing.B, c *servertest.Conn, name string) int64 {
	v, err := resp.ReadReply(bufioReader(c.Do("INFO", "all")))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(v.Str), "\r\n") {
		if k, val, ok := strings.Cut(line, ":"); ok && k == name {
			n, _ := strconv.ParseInt(val, 10, 64)
			return n
		}
	}
	b.Fatalf("INFO has no %s", name)
	return 0
}
