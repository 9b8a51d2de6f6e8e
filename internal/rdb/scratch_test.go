package rdb

import (
	"bytes"
	"math"
	"reflect"
	"strconv"
	"testing"
)

func TestParseScore(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "007", "-12", "2.5", "-2.5e3", "1e5", "+5", "inf", "-inf",
		"123456789012345", "-123456789012345", "1234567890123456", "99999999999999999999"} {
		want, werr := strconv.ParseFloat(s, 64)
		got, gerr := parseScore([]byte(s))
		if (werr == nil) != (gerr == nil) || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("%q: got %v (%v), want %v (%v)", s, got, gerr, want, werr)
		}
	}
	for _, s := range []string{"", "-", "1x", "nan?"} {
		if _, err := parseScore([]byte(s)); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
}

// TestDecodeScratch: decoding into scratch room that is reset between
// batches of records gives the values fresh decoding gives.
func TestDecodeScratch(t *testing.T) {
	keys, vals := benchValues(3000)
	var buf bytes.Buffer
	if err := encodeBench(keys, vals, &buf); err != nil {
		t.Fatal(err)
	}
	fresh := NewDecoder(bytes.NewReader(buf.Bytes()))
	scr := NewDecoder(bytes.NewReader(buf.Bytes()))
	fresh.KeepIntsets()
	scr.KeepIntsets()
	if fresh.Header() != nil || scr.Header() != nil {
		t.Fatal("header")
	}
	// Records are compared once their whole batch is decoded: nothing
	// decoded into the room may overwrite an earlier record's.
	var room Scratch
	for done := false; !done; {
		room.Reset()
		scr.SetScratch(&room)
		var got, want []Item
		for len(got) < 100 && !done {
			w, err1 := fresh.Next()
			g, err2 := scr.Next()
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			got, want = append(got, g), append(want, w)
			done = g.Kind == ItemEOF
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("got %+v, want %+v", got[i], want[i])
			}
		}
	}
}
