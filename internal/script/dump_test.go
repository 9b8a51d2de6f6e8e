package script

import "testing"

// Redis's crc64 check value (src/crc64.c test): "123456789".
func TestRedisCRC64(t *testing.T) {
	if got := redisCRC64([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %#x", got)
	}
}

func TestLZFDecompress(t *testing.T) {
	// "abcabcabc": 3 literals then a back-reference of length 6, offset 3.
	in := []byte{2, 'a', 'b', 'c', 4 << 5, 2}
	out, ok := lzfDecompress(in, 9)
	if !ok || string(out) != "abcabcabc" {
		t.Fatalf("got %q %v", out, ok)
	}
}

func FuzzFunctionRestore(f *testing.F) {
	e := NewEngine()
	e.LoadLibrary("#!lua name=lib1\nredis.register_function('f1', function() return 1 end)", false)
	f.Add(e.Dump())
	f.Add([]byte{0xf5, 0xc3, 3, 9, 2, 'a', 'b', 'c', 4 << 5, 2, 10, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		e2 := NewEngine()
		e2.Restore(b, "APPEND")
	})
}
