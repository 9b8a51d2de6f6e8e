package kvtable

import (
	"bytes"
	"testing"
)

func TestOverwrite(t *testing.T) {
	tb := New()
	tb.SetBytes([]byte("n"), 0, 1, []byte("99"), NoExpire)
	e, _ := tb.Get([]byte("n"))
	if !e.Overwrite([]byte("42"), 7) {
		t.Fatal("same-length overwrite refused")
	}
	e, _ = tb.Get([]byte("n"))
	if !bytes.Equal(e.Bytes(), []byte("42")) || e.Flags() != 7 {
		t.Fatalf("after overwrite: %q flags %d", e.Bytes(), e.Flags())
	}
	if e.Overwrite([]byte("100"), 7) {
		t.Fatal("longer overwrite accepted")
	}
	tb.SetObj([]byte("o"), 3, 0, &struct{}{}, NoExpire)
	o, _ := tb.Get([]byte("o"))
	if o.Overwrite(nil, 0) {
		t.Fatal("overwrite of an object accepted")
	}
	if err := tb.Check(); err != nil {
		t.Fatal(err)
	}
}
