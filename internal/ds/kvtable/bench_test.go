package kvtable

import (
	"strconv"
	"testing"
)

const benchKeys = 1 << 20

// benchSizes: a cache-resident table shows the code path's cost, a 1M-key
// one adds the memory latency a big server sees.
var benchSizes = []struct {
	name string
	n    int
}{{"10k", 1 << 13}, {"1M", benchKeys}}

func benchTable(n int) (*Table, [][]byte) {
	tb := New()
	keys := make([][]byte, n)
	val := []byte("0123456789abcdef")
	for i := range keys {
		keys[i] = strconv.AppendInt([]byte("key:"), int64(i), 10)
		tb.SetBytes(keys[i], 0, 0, val, NoExpire)
	}
	for tb.Rehash(1 << 20) {
	}
	return tb, keys
}

// order visits n (a power of two) keys in a scattered order, as a
// server's clients would.
func order(i, n int) int { return (i * 7919) & (n - 1) }

func BenchmarkGet(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			tb, keys := benchTable(sz.n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e, ok := tb.Get(keys[order(i, sz.n)])
				if !ok || len(e.Bytes()) != 16 {
					b.Fatal("missing")
				}
				i++
			}
		})
	}
}

func BenchmarkSetOverwrite(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			tb, keys := benchTable(sz.n)
			val := []byte("fedcba9876543210")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				tb.SetBytes(keys[order(i, sz.n)], 0, 0, val, NoExpire)
				i++
			}
		})
	}
}

func BenchmarkSetNew(b *testing.B) {
	tb := New()
	val := []byte("0123456789abcdef")
	key := append(make([]byte, 0, 32), "key:"...)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tb.SetBytes(strconv.AppendInt(key[:4], int64(i), 10), 0, 0, val, NoExpire)
		i++
	}
}

// BenchmarkChurn deletes a key and inserts a new one per op on a 1M-key
// table: the steady state where compaction does its work.
func BenchmarkChurn(b *testing.B) {
	tb, keys := benchTable(benchKeys)
	val := []byte("0123456789abcdef")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := keys[order(i, benchKeys)]
		tb.Delete(k)
		tb.SetBytes(k, 0, 0, val, NoExpire)
		i++
	}
}

// BenchmarkScan times a full SCAN of a 1M-key table, reported per key.
func BenchmarkScan(b *testing.B) {
	tb, _ := benchTable(benchKeys)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		c := uint64(0)
		for {
			c = tb.Scan(c, func(e Entry) { n += len(e.Key()) & 1 })
			if c == 0 {
				break
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchKeys, "ns/key")
}
