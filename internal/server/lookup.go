package server

import (
	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/rerr"
)

// lookupValue finds key's object value of the given kind, for a read
// (counted as a keyspace hit or miss) or before a write. It returns nil
// when the key is absent; for a key of another kind it replies WRONGTYPE
// and returns ok false. Every collection family looks its keys up here.
func lookupValue[T any](c *client, key []byte, kind kvtable.Kind, write bool) (v *T, ok bool) {
	var e kvtable.Entry
	var found bool
	if write {
		e, found = c.tx.GetW(key)
	} else {
		e, found = c.tx.Get(key)
	}
	if !found {
		return nil, true
	}
	if e.Kind() != kind {
		c.replyError(rerr.WrongType)
		return nil, false
	}
	return e.Obj().(*T), true
}
