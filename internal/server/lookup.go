package server

import (
	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/rerr"
)

// lookupEntry finds key's record of the given kind, for a read (counted
// as a keyspace hit or miss) or before a write. found is false when the
// key is absent; for a key of another kind it replies WRONGTYPE and
// returns ok false. Every collection family looks its keys up here.
func lookupEntry(c *client, key []byte, kind kvtable.Kind, write bool) (e kvtable.Entry, found, ok bool) {
	if write {
		e, found = c.tx.GetW(key)
	} else {
		e, found = c.tx.Get(key)
	}
	if found && e.Kind() != kind {
		c.replyError(rerr.WrongType)
		return e, false, false
	}
	return e, found, true
}

// lookupValue is lookupEntry for the families whose values are always
// objects: nil when the key is absent.
func lookupValue[T any](c *client, key []byte, kind kvtable.Kind, write bool) (v *T, ok bool) {
	e, found, ok := lookupEntry(c, key, kind, write)
	if !found {
		return nil, ok
	}
	return e.Obj().(*T), true
}
