package rdb

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

// benchValues is a mix like tools/rdbrecord/bench.sh's: strings, small
// hashes, lists, sets and sorted sets.
func benchValues(n int) ([][]byte, []Value) {
	keys := make([][]byte, n)
	vals := make([]Value, n)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i))
		is := []byte(strconv.Itoa(i))
		switch i % 5 {
		case 0:
			vals[i] = Value{Kind: KindString, Str: []byte("value-" + strconv.Itoa(i) + "-xxxxxxxxxxxxxxxxxxxx")}
		case 1:
			vals[i] = Value{Kind: KindHash, Compact: true, Elems: [][]byte{[]byte("a"), is, []byte("b"), []byte("text"), []byte("c"), []byte("more")}}
		case 2:
			vals[i] = Value{Kind: KindList, Elems: [][]byte{[]byte("a"), is, []byte("c"), []byte("ddddd")}}
		case 3:
			vals[i] = Value{Kind: KindSet, Ints: []int64{int64(i), int64(i + 1), int64(i + 2)}}
		default:
			vals[i] = Value{Kind: KindZSet, Compact: true, Elems: [][]byte{[]byte("one"), []byte("two"), []byte("three")}, Scores: []float64{1, 2.5, float64(i)}}
		}
	}
	return keys, vals
}

func encodeBench(keys [][]byte, vals []Value, w io.Writer) error {
	e := NewEncoder(w, Options{Compress: true}, true)
	e.Header()
	e.SelectDB(0, len(keys), 0)
	for i := range keys {
		e.Key(keys[i], &vals[i], 0)
	}
	return e.Close()
}

func BenchmarkEncode(b *testing.B) {
	keys, vals := benchValues(100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := encodeBench(keys, vals, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
}

func BenchmarkDecode(b *testing.B) {
	keys, vals := benchValues(100000)
	var buf bytes.Buffer
	encodeBench(keys, vals, &buf)
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := decodeErr(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
}
