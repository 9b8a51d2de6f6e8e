package rdb

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "rdb", "*.rdb"))
	if len(files) == 0 {
		t.Fatal("no recorded RDB files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		rep, err := Check(bytes.NewReader(b), &out, f, time.Now())
		if err != nil || rep.Keys == 0 || !strings.Contains(out.String(), "RDB looks OK") {
			t.Fatalf("%s: %v %+v\n%s", f, err, rep, out.String())
		}
		// Cut short and flipped: an error with an offset, never a panic.
		if _, err := Check(bytes.NewReader(b[:len(b)/2]), &out, f, time.Now()); err == nil {
			t.Errorf("%s cut in half: no error", f)
		}
		bad := append([]byte(nil), b...)
		bad[len(bad)-3] ^= 0xff
		if _, err := Check(bytes.NewReader(bad), &out, f, time.Now()); err == nil || !strings.Contains(err.Error(), "offset") {
			t.Errorf("%s with a flipped byte: %v", f, err)
		}
	}
}
