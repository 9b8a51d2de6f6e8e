package kvtable

import (
	"strconv"
	"testing"
)

func TestReserveAndWarm(t *testing.T) {
	tb := New()
	tb.Reserve(1000)
	buckets := len(tb.ht[0])
	keys := make([][]byte, 1000)
	tables := make([]*Table, len(keys))
	for i := range keys {
		keys[i], tables[i] = []byte("k"+strconv.Itoa(i)), tb
	}
	refs, _ := Warm(tables, keys, nil) // on an empty table
	for i, k := range keys {
		if tb.SetBytes(k, 1, 0, []byte("v"), NoExpire) {
			t.Fatalf("%s existed", k)
		}
		if i%100 == 0 {
			refs, _ = Warm(tables, keys, refs)
		}
	}
	if len(tb.ht[0]) != buckets || tb.rehashIdx >= 0 {
		t.Fatalf("resized after Reserve: %d buckets, rehashIdx %d", len(tb.ht[0]), tb.rehashIdx)
	}
	tb.Reserve(1 << 20) // holds keys: left alone
	if len(tb.ht[0]) != buckets {
		t.Fatal("Reserve resized a table holding keys")
	}
	if err := tb.Check(); err != nil {
		t.Fatal(err)
	}
}
