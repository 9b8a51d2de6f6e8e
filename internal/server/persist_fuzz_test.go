package server

import (
	"encoding/binary"
	"testing"

	"github.com/taconite/taconite/internal/rdb"
)

// FuzzPersistRestorePayload runs what RESTORE does with a payload
// (decode, build the server's object) on random and mutated payloads: an
// error is fine, a panic is not.
func FuzzPersistRestorePayload(f *testing.F) {
	seeds := []rdb.Value{
		{Kind: rdb.KindString, Str: []byte("hello")},
		{Kind: rdb.KindList, Elems: [][]byte{[]byte("a"), []byte("12")}},
		{Kind: rdb.KindSet, Ints: []int64{1, 2, 3}},
		{Kind: rdb.KindSet, Elems: [][]byte{[]byte("x"), []byte("y")}},
		{Kind: rdb.KindZSet, Compact: true, Elems: [][]byte{[]byte("a")}, Scores: []float64{1}},
		{Kind: rdb.KindZSet, Elems: [][]byte{[]byte("a"), []byte("b")}, Scores: []float64{1, 2}},
		{Kind: rdb.KindHash, Compact: true, Elems: [][]byte{[]byte("f"), []byte("v")}},
		{Kind: rdb.KindHash, Elems: [][]byte{[]byte("f"), []byte("v")}},
		{Kind: rdb.KindStream, Stream: &rdb.StreamValue{
			Entries: []rdb.StreamEntry{{ID: rdb.StreamID{Ms: 1, Seq: 1}, Fields: [][]byte{[]byte("a"), []byte("1")}}},
			LastID:  rdb.StreamID{Ms: 1, Seq: 1},
			Groups: []rdb.StreamGroup{{Name: []byte("g"), PEL: []rdb.StreamNACK{{ID: rdb.StreamID{Ms: 1, Seq: 1}}},
				Consumers: []rdb.StreamConsumer{{Name: []byte("c"), PEL: []rdb.StreamID{{Ms: 1, Seq: 1}}}}}},
		}},
	}
	// The fuzzer mutates payload bodies; the footer (version, CRC) is
	// made valid so that mutations reach the decoder.
	for i := range seeds {
		p := rdb.DumpPayload(&seeds[i], rdb.Options{Compress: true})
		f.Add(p[:len(p)-10])
	}
	lim := objLimits{hash: hashLimits{128, 64}, zsetMax: 128, zsetValue: 64, intsetMax: 512}
	lim.stream.MaxEntries, lim.stream.MaxBytes = 100, 4096
	f.Fuzz(func(t *testing.T, body []byte) {
		p := append(body[:len(body):len(body)], 10, 0)
		p = binary.LittleEndian.AppendUint64(p, rdb.CRC64(0, p))
		v, ok, err := rdb.DecodeDump(p)
		if !ok || err != nil {
			return
		}
		objectFromRDB(&v, lim)
	})
}
