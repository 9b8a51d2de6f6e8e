package command

import "testing"

func BenchmarkLookup(b *testing.B) {
	tab := Default()
	names := [][]byte{[]byte("get"), []byte("SET"), []byte("ZunionStore"), []byte("nosuch")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tab.Lookup(names[i&3])
	}
}

func BenchmarkLookupArgvSubcommand(b *testing.B) {
	tab := Default()
	argv := args("CONFIG", "GET", "maxmemory")
	b.ReportAllocs()
	for b.Loop() {
		tab.LookupArgv(argv)
	}
}

func BenchmarkKeyIndexes(b *testing.B) {
	tab := Default()
	for _, bc := range []struct {
		name string
		argv [][]byte
	}{
		{"GET", args("GET", "key:000123")},
		{"MSET8", args("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6", "g", "7", "h", "8")},
		{"ZUNIONSTORE", args("ZUNIONSTORE", "d", "3", "a", "b", "c", "WEIGHTS", "1", "2", "3")},
		{"EVAL", args("EVAL", "return 1", "2", "a", "b", "x")},
		{"XREAD", args("XREAD", "COUNT", "10", "STREAMS", "a", "b", "0", "0")},
		{"SORT", args("SORT", "k", "BY", "w_*", "LIMIT", "0", "10", "STORE", "d")},
	} {
		c := tab.LookupArgv(bc.argv)
		b.Run(bc.name, func(b *testing.B) {
			dst := make([]int, 0, 16)
			b.ReportAllocs()
			for b.Loop() {
				dst, _ = c.KeyIndexes(bc.argv, dst[:0])
			}
		})
		b.Run(bc.name+"/flags", func(b *testing.B) {
			dst := make([]KeyRef, 0, 16)
			b.ReportAllocs()
			for b.Loop() {
				dst, _ = c.KeyIndexesWithFlags(bc.argv, dst[:0])
			}
		})
	}
}

func BenchmarkAppendInfo(b *testing.B) {
	c := Default().Lookup([]byte("set"))
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendInfo(buf[:0], c, 3)
	}
}
