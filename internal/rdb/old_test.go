package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strconv"
	"testing"
)

// Builders for the encodings Redis 7.0 no longer writes, from their
// format descriptions, to check the decoder reads files of older Redis.

func zlEntry(b []byte, prevLen int, s string) []byte {
	if prevLen < 254 {
		b = append(b, byte(prevLen))
	} else {
		b = append(b, 0xFE)
		b = binary.LittleEndian.AppendUint32(b, uint32(prevLen))
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(v, 10) == s {
		switch {
		case v >= 0 && v <= 12:
			return append(b, 0xF1+byte(v))
		case v >= math.MinInt8 && v <= math.MaxInt8:
			return append(b, 0xFE, byte(v))
		case v >= math.MinInt16 && v <= math.MaxInt16:
			return binary.LittleEndian.AppendUint16(append(b, 0xC0), uint16(v))
		case v >= -1<<23 && v < 1<<23:
			return append(b, 0xF0, byte(v), byte(v>>8), byte(v>>16))
		case v >= math.MinInt32 && v <= math.MaxInt32:
			return binary.LittleEndian.AppendUint32(append(b, 0xD0), uint32(v))
		}
		return binary.LittleEndian.AppendUint64(append(b, 0xE0), uint64(v))
	}
	switch n := len(s); {
	case n < 64:
		b = append(b, byte(n))
	case n < 16384:
		b = append(b, 0x40|byte(n>>8), byte(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return append(b, s...)
}

func buildZiplist(elems ...string) []byte {
	b := make([]byte, 10)
	prev := 0
	for _, e := range elems {
		start := len(b)
		b = zlEntry(b, prev, e)
		prev = len(b) - start
	}
	b = append(b, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint16(b[8:], uint16(len(elems)))
	return b
}

func buildZipmap(kv ...string) []byte {
	b := []byte{byte(len(kv) / 2)}
	for i, s := range kv {
		b = append(b, byte(len(s)))
		if i%2 == 1 {
			b = append(b, 2) // free bytes after the value
		}
		b = append(b, s...)
		if i%2 == 1 {
			b = append(b, 0, 0)
		}
	}
	return append(b, 0xFF)
}

func rawString(b []byte, s []byte) []byte { return append(appendLen(b, uint64(len(s))), s...) }

// oldFile wraps records in an RDB file of the given version.
func oldFile(version int, records ...[]byte) []byte {
	b := []byte(fmt.Sprintf("REDIS%04d", version))
	b = append(b, opSelectDB, 0)
	for _, r := range records {
		b = append(b, r...)
	}
	b = append(b, opEOF)
	if version >= 5 {
		b = binary.LittleEndian.AppendUint64(b, CRC64(0, b))
	}
	return b
}

func record(t byte, key string, body []byte) []byte {
	b := rawString([]byte{t}, []byte(key))
	return append(b, body...)
}

func decodeAll(t *testing.T, file []byte) map[string]Value {
	t.Helper()
	d := NewDecoder(bytes.NewReader(file))
	if err := d.Header(); err != nil {
		t.Fatal(err)
	}
	out := map[string]Value{}
	for {
		it, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind == ItemEOF {
			return out
		}
		if it.Kind == ItemKey {
			out[string(it.Key)] = it.Value
		}
	}
}

func elems(v Value) []string {
	var out []string
	for _, e := range v.Elems {
		out = append(out, string(e))
	}
	return out
}

func TestOldEncodings(t *testing.T) {
	big := string(bytes.Repeat([]byte("q"), 300))
	list := []string{"a", "0", "12", "13", "-1", "127", "-300", "70000", "-8000000", "3000000000", big, "x"}
	ql1 := appendLen(nil, 2)
	ql1 = rawString(ql1, buildZiplist(list[:5]...))
	ql1 = rawString(ql1, buildZiplist(list[5:]...))
	var oldZset []byte
	oldZset = appendLen(oldZset, 3)
	for _, p := range [][2]string{{"b", "2.5"}, {"a", "inf"}, {"c", "-1"}} {
		oldZset = rawString(oldZset, []byte(p[0]))
		if p[1] == "inf" {
			oldZset = append(oldZset, 254)
		} else {
			oldZset = append(oldZset, byte(len(p[1])))
			oldZset = append(oldZset, p[1]...)
		}
	}
	plainList := appendLen(nil, 2)
	plainList = rawString(rawString(plainList, []byte("p")), []byte("q"))
	for _, version := range []int{3, 7, 8, 9} {
		file := oldFile(version,
			record(TypeListZiplist, "zl", rawString(nil, buildZiplist(list...))),
			record(TypeListQuicklist, "ql", ql1),
			record(TypeHashZiplist, "hz", rawString(nil, buildZiplist("f", "v", "n", "5"))),
			record(TypeZSetZiplist, "zz", rawString(nil, buildZiplist("m", "3", "n", "1.5"))),
			record(TypeHashZipmap, "zm", rawString(nil, buildZipmap("f1", "v1", "f2", "v2"))),
			record(TypeZSet, "oz", oldZset),
			record(TypeList, "pl", plainList),
			append([]byte{opExpireSec, 0x80, 0x96, 0x98, 0x00}, record(TypeString, "ex", rawString(nil, []byte("v")))...),
		)
		got := decodeAll(t, file)
		if g := elems(got["zl"]); !reflect.DeepEqual(g, list) {
			t.Errorf("v%d ziplist list: %q", version, g)
		}
		if g := elems(got["ql"]); !reflect.DeepEqual(g, list) {
			t.Errorf("v%d quicklist: %q", version, g)
		}
		if g := elems(got["hz"]); !reflect.DeepEqual(g, []string{"f", "v", "n", "5"}) || got["hz"].Kind != KindHash {
			t.Errorf("v%d ziplist hash: %q", version, g)
		}
		if g := got["zz"]; !reflect.DeepEqual(elems(g), []string{"n", "m"}) || !reflect.DeepEqual(g.Scores, []float64{1.5, 3}) {
			t.Errorf("v%d ziplist zset: %q %v", version, elems(g), g.Scores)
		}
		if g := elems(got["zm"]); !reflect.DeepEqual(g, []string{"f1", "v1", "f2", "v2"}) {
			t.Errorf("v%d zipmap: %q", version, g)
		}
		if g := got["oz"]; !reflect.DeepEqual(elems(g), []string{"c", "b", "a"}) || !math.IsInf(g.Scores[2], 1) {
			t.Errorf("v%d old zset: %q %v", version, elems(g), g.Scores)
		}
		if g := elems(got["pl"]); !reflect.DeepEqual(g, []string{"p", "q"}) {
			t.Errorf("v%d plain list: %q", version, g)
		}
	}
}

func TestSetListpackV11(t *testing.T) {
	lp := lpStart(nil)
	for _, s := range []string{"a", "1", "bb"} {
		lp = lpAppend(lp, []byte(s))
	}
	lp = lpFinish(lp, 0, 3)
	got := decodeAll(t, oldFile(11, record(TypeSetListpack, "s", rawString(nil, lp))))
	if g := got["s"]; g.Kind != KindSet || !reflect.DeepEqual(elems(g), []string{"a", "1", "bb"}) {
		t.Fatalf("set listpack: %+v", g)
	}
}

func TestModuleRefused(t *testing.T) {
	// "mymodtype" encoded as a module id, version 3.
	var id uint64
	for _, c := range "mymodtype" {
		id = id<<6 | uint64(bytes.IndexRune([]byte(moduleCharset), c))
	}
	id = id<<10 | 3
	if ModuleName(id) != "mymodtype" {
		t.Fatalf("ModuleName = %q", ModuleName(id))
	}
	file := oldFile(10, record(TypeModule2, "m", appendLen(nil, id)))
	d := NewDecoder(bytes.NewReader(file))
	d.Header()
	d.Next() // SELECTDB
	_, err := d.Next()
	var e *Error
	if !errors.As(err, &e) || !bytes.Contains([]byte(err.Error()), []byte("'mymodtype'")) || e.Offset != 11 {
		t.Fatalf("err = %v", err)
	}
}

// Every truncation of a valid file fails with an offset, never panics or
// succeeds; so does every single-bit corruption the checksum catches.
func TestTruncatedAndCorrupt(t *testing.T) {
	raw := fileFromValues(t, testValues())
	for n := 0; n < len(raw); n++ {
		err := decodeErr(raw[:n])
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("truncated at %d: err = %v", n, err)
		}
		if e.Offset > int64(n) {
			t.Fatalf("truncated at %d: offset %d past the end", n, e.Offset)
		}
	}
	for i := 9; i < len(raw); i++ {
		c := bytes.Clone(raw)
		c[i] ^= 0x10
		if err := decodeErr(c); err == nil {
			t.Fatalf("corruption at %d not detected", i)
		}
	}
}

func decodeErr(file []byte) error {
	d := NewDecoder(bytes.NewReader(file))
	if err := d.Header(); err != nil {
		return err
	}
	for {
		it, err := d.Next()
		if err != nil {
			return err
		}
		if it.Kind == ItemEOF {
			return nil
		}
	}
}

func testValues() map[string]Value {
	bs := func(ss ...string) [][]byte {
		var out [][]byte
		for _, s := range ss {
			out = append(out, []byte(s))
		}
		return out
	}
	long := bytes.Repeat([]byte("abcdefgh"), 40)
	return map[string]Value{
		"s":   {Kind: KindString, Str: []byte("hello")},
		"i":   {Kind: KindString, Str: []byte("-123")},
		"lzf": {Kind: KindString, Str: long},
		"l":   {Kind: KindList, Elems: bs("a", "1", string(long), "-99999")},
		"si":  {Kind: KindSet, Ints: []int64{-1, 5, 1 << 40}},
		"ss":  {Kind: KindSet, Elems: bs("x", "y")},
		"zl":  {Kind: KindZSet, Compact: true, Elems: bs("a", "b"), Scores: []float64{1.5, 2}},
		"zs":  {Kind: KindZSet, Elems: bs("a", "b"), Scores: []float64{math.Inf(-1), 1e-300}},
		"hl":  {Kind: KindHash, Compact: true, Elems: bs("f", "v", "n", "12")},
		"hs":  {Kind: KindHash, Elems: bs("f", string(long))},
	}
}

func fileFromValues(t *testing.T, vals map[string]Value) []byte {
	var buf bytes.Buffer
	e := NewEncoder(&buf, Options{Compress: true}, true)
	e.Header()
	e.Aux("redis-ver", "7.0.15")
	e.SelectDB(0, len(vals), 1)
	for k, v := range vals {
		exp := int64(0)
		if k == "s" {
			exp = 4102444800000
		}
		v := v
		if err := e.Key([]byte(k), &v, exp); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	vals := testValues()
	got := decodeAll(t, fileFromValues(t, vals))
	for k, want := range vals {
		g := got[k]
		if want.Ints != nil {
			var el [][]byte
			for _, x := range want.Ints {
				el = append(el, []byte(strconv.FormatInt(x, 10)))
			}
			want.Elems, want.Ints = el, nil
		}
		if g.Kind != want.Kind || !reflect.DeepEqual(elems(g), elems(want)) || string(g.Str) != string(want.Str) || (want.Scores != nil && !reflect.DeepEqual(g.Scores, want.Scores)) {
			t.Errorf("%s: got %+v want %+v", k, g, want)
		}
	}
}

func TestDumpPayload(t *testing.T) {
	v := Value{Kind: KindString, Str: []byte("hello world")}
	p := DumpPayload(&v, Options{Compress: true})
	got, ok, err := DecodeDump(p)
	if !ok || err != nil || string(got.Str) != "hello world" {
		t.Fatalf("DecodeDump = %+v %v %v", got, ok, err)
	}
	p[3] ^= 1
	if _, ok, _ := DecodeDump(p); ok {
		t.Fatal("corrupt payload accepted")
	}
}

func TestLZFRoundTrip(t *testing.T) {
	var tab lzfTable
	inputs := [][]byte{
		bytes.Repeat([]byte("a"), 1000),
		bytes.Repeat([]byte("abcdefghij"), 300),
		[]byte("the quick brown fox jumps over the lazy dog the quick brown fox"),
	}
	for _, in := range inputs {
		c := lzfCompress(in, len(in)-4, &tab)
		if c == nil {
			t.Fatalf("%q did not compress", in[:10])
		}
		out, err := lzfDecompress(make([]byte, 0, len(in)), c, len(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("round trip failed: %v", err)
		}
	}
}

// FuzzDecodeDump feeds random and mutated payloads to the value decoder
// (what RESTORE does): it must return, never panic.
func FuzzDecodeDump(f *testing.F) {
	for _, v := range testValues() {
		v := v
		f.Add(DumpPayload(&v, Options{Compress: true}))
	}
	sv := Value{Kind: KindStream, Stream: &StreamValue{
		Entries: []StreamEntry{{ID: StreamID{1, 1}, Fields: [][]byte{[]byte("a"), []byte("1")}}, {ID: StreamID{1, 2}, Fields: [][]byte{[]byte("b"), []byte("2")}}},
		Groups:  []StreamGroup{{Name: []byte("g"), PEL: []StreamNACK{{ID: StreamID{1, 1}}}, Consumers: []StreamConsumer{{Name: []byte("c"), PEL: []StreamID{{1, 1}}}}}},
	}}
	f.Add(DumpPayload(&sv, Options{}))
	f.Fuzz(func(t *testing.T, p []byte) {
		DecodeDump(p)
		// The same body with a valid footer reaches the parsers.
		if len(p) > 0 {
			b := append(bytes.Clone(p), 10, 0)
			b = binary.LittleEndian.AppendUint64(b, CRC64(0, b))
			DecodeDump(b)
		}
	})
}

// FuzzDecoder feeds whole files.
func FuzzDecoder(f *testing.F) {
	f.Add(fileFromValues(nil, testValues()))
	if raw, err := os.ReadFile(redisFiles[0]); err == nil {
		f.Add(raw) // every type and encoding redis-server 7.0 writes
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		decodeErr(file)
	})
}

func TestCanonicalInt(t *testing.T) {
	for _, s := range []string{"0", "-0", "01", "1", "-1", "+1", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "99999999999999999999", "", "-", "1a", " 1", "12345678901234567890123"} {
		v, err := strconv.ParseInt(s, 10, 64)
		want := err == nil && strconv.FormatInt(v, 10) == s
		got, ok := canonicalInt([]byte(s))
		if ok != want || (ok && got != v) {
			t.Errorf("canonicalInt(%q) = %d %v, want %d %v", s, got, ok, v, want)
		}
	}
}

func TestStreamRoundTrip(t *testing.T) {
	s := &StreamValue{LastID: StreamID{5000, 3}, MaxDeleted: StreamID{1, 1}, EntriesAdded: 500}
	for i := 0; i < 300; i++ {
		fv := [][]byte{[]byte("f"), []byte(strconv.Itoa(i)), []byte("g"), []byte("x")}
		if i%7 == 0 {
			fv = [][]byte{[]byte("other"), []byte("field")}
		}
		s.Entries = append(s.Entries, StreamEntry{ID: StreamID{uint64(1000 + i/3), uint64(i % 3)}, Fields: fv})
	}
	s.FirstID = s.Entries[0].ID
	s.Groups = []StreamGroup{{Name: []byte("g1"), LastID: StreamID{1001, 0}, EntriesRead: 4,
		PEL:       []StreamNACK{{ID: StreamID{1000, 1}, DeliveryTime: 123456, DeliveryCount: 2}},
		Consumers: []StreamConsumer{{Name: []byte("alice"), SeenTime: 99, PEL: []StreamID{{1000, 1}}}, {Name: []byte("bob"), SeenTime: 7}}}}
	v := Value{Kind: KindStream, Stream: s}
	got, ok, err := DecodeDump(DumpPayload(&v, Options{Compress: true}))
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if !reflect.DeepEqual(got.Stream, s) {
		t.Fatalf("stream differs:\n got %+v\nwant %+v", got.Stream.Groups, s.Groups)
	}
}
