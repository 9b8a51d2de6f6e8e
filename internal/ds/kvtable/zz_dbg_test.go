package kvtable

import (
	"bytes"
)

func (t *Table) dumpKey(key []byte) string {
	out := ""
	t.Range(func(e Entry) bool {
		if bytes.Equal(e.Key(), key) {
			out += " range:" + string(rune('0'+e.Access()%10))
		}
		return true
	})
	ref, _ := t.find(key, t.hash(key))
	out += " find-ref:" + string(rune('0'+ref%10))
	return out
}
