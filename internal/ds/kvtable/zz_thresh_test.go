package kvtable

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestThreshold(t *testing.T) {
	for _, size := range []int{300, 700, 1000, 1500, 2000, 3000, 4000, 6000, 8000} {
		for _, inline := range []bool{true, false} {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			tb := New()
			if inline {
				tb.maxVal = 16000
			} else {
				tb.maxVal = 0
			}
			val := make([]byte, size)
			n := 40_000_000 / size
			st := time.Now()
			for i := 0; i < n; i++ {
				tb.SetBytes(strconv.AppendInt([]byte("key:"), int64(i), 10), 0, 0, val[:size-i%(size/8)], NoExpire)
			}
			ins := time.Since(st) / time.Duration(n)
			st = time.Now()
			for i := 0; i < n; i++ {
				tb.SetBytes(strconv.AppendInt([]byte("key:"), int64((i*7919)%n), 10), 0, 0, val[:size-i%(size/4)], NoExpire)
			}
			ow := time.Since(st) / time.Duration(n)
			for tb.Rehash(1 << 20) {
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(tb)
			t.Logf("size %5d inline=%-5v: %.3f bytes/payload byte, insert %v, overwrite %v, GC-scanned heap objs %d", size, inline,
				float64(after.HeapAlloc-before.HeapAlloc)/float64(n)/float64(size), ins, ow, after.HeapObjects-before.HeapObjects)
		}
	}
}
