package command

import (
	"math/bits"
	"strconv"
)

// This file encodes COMMAND INFO and COMMAND DOCS replies exactly as Redis
// 7.0 writes them, for RESP2 (proto 2) and RESP3 (proto 3). The shapes
// (which aggregates are sets, maps or arrays, which strings are simple or
// bulk, the order of map fields) follow Redis and are checked byte for byte
// against recorded replies in reply_test.go.

// AppendInfo appends the COMMAND INFO entry of c: a 10-element array of
// name, arity, flags, first key, last key, step, ACL categories, tips, key
// specs and subcommands. A nil c appends the null Redis writes for an
// unknown command name.
func AppendInfo(b []byte, c *Command, proto int) []byte {
	if c == nil {
		if proto >= 3 {
			return append(b, "_\r\n"...)
		}
		return append(b, "$-1\r\n"...)
	}
	b = appendArrayLen(b, 10)
	b = appendBulk(b, c.Name)
	b = appendInt(b, int64(c.Arity))

	shown := c.Flags &^ hiddenFlags
	b = appendSetLen(b, bitCount(uint64(shown)), proto)
	for i := 0; i < numFlags; i++ {
		if shown&(1<<i) != 0 {
			b = appendStatus(b, flagNames[i])
		}
	}
	b = appendInt(b, int64(c.FirstKey))
	b = appendInt(b, int64(c.LastKey))
	b = appendInt(b, int64(c.Step))

	b = appendSetLen(b, bitCount(uint64(c.ACLCategories)), proto)
	for i := 0; i < numACLCategories; i++ {
		if c.ACLCategories&(1<<i) != 0 {
			b = append(b, "+@"...)
			b = append(b, aclCategoryNames[i]...)
			b = append(b, "\r\n"...)
		}
	}

	b = appendSetLen(b, len(c.Tips), proto)
	for _, tip := range c.Tips {
		b = appendBulk(b, tip)
	}

	b = appendSetLen(b, len(c.KeySpecs), proto)
	for i := range c.KeySpecs {
		b = appendKeySpec(b, &c.KeySpecs[i], proto)
	}

	// Redis writes an empty set when there are no subcommands but an array
	// when there are.
	if c.subs == nil {
		return appendSetLen(b, 0, proto)
	}
	b = appendArrayLen(b, len(c.subs))
	for _, s := range c.subs {
		b = AppendInfo(b, s, proto)
	}
	return b
}

func appendKeySpec(b []byte, ks *KeySpec, proto int) []byte {
	n := 3
	if ks.Notes != "" {
		n++
	}
	b = appendMapLen(b, n, proto)
	if ks.Notes != "" {
		b = appendBulk(b, "notes")
		b = appendBulk(b, ks.Notes)
	}
	b = appendBulk(b, "flags")
	b = appendSetLen(b, len(ks.FlagNames), proto)
	for _, f := range ks.FlagNames {
		b = appendStatus(b, f)
	}

	b = appendBulk(b, "begin_search")
	b = appendMapLen(b, 2, proto)
	b = appendBulk(b, "type")
	switch bs := &ks.BeginSearch; bs.Type {
	case BeginIndex:
		b = appendBulk(b, "index")
		b = appendBulk(b, "spec")
		b = appendMapLen(b, 1, proto)
		b = appendBulk(b, "index")
		b = appendInt(b, int64(bs.Index))
	case BeginKeyword:
		b = appendBulk(b, "keyword")
		b = appendBulk(b, "spec")
		b = appendMapLen(b, 2, proto)
		b = appendBulk(b, "keyword")
		b = appendBulk(b, bs.Keyword)
		b = appendBulk(b, "startfrom")
		b = appendInt(b, int64(bs.StartFrom))
	default:
		b = appendBulk(b, "unknown")
		b = appendBulk(b, "spec")
		b = appendMapLen(b, 0, proto)
	}

	b = appendBulk(b, "find_keys")
	b = appendMapLen(b, 2, proto)
	b = appendBulk(b, "type")
	switch fk := &ks.FindKeys; fk.Type {
	case FindRange:
		b = appendBulk(b, "range")
		b = appendBulk(b, "spec")
		b = appendMapLen(b, 3, proto)
		b = appendBulk(b, "lastkey")
		b = appendInt(b, int64(fk.LastKey))
		b = appendBulk(b, "keystep")
		b = appendInt(b, int64(fk.KeyStep))
		b = appendBulk(b, "limit")
		b = appendInt(b, int64(fk.Limit))
	case FindKeynum:
		b = appendBulk(b, "keynum")
		b = appendBulk(b, "spec")
		b = appendMapLen(b, 3, proto)
		b = appendBulk(b, "keynumidx")
		b = appendInt(b, int64(fk.KeyNumIdx))
		b = appendBulk(b, "firstkey")
		b = appendInt(b, int64(fk.FirstKey))
		b = appendBulk(b, "keystep")
		b = appendInt(b, int64(fk.KeyStep))
	default:
		b = appendBulk(b, "unknown")
		b = appendBulk(b, "spec")
		b = appendMapLen(b, 0, proto)
	}
	return b
}

// AppendDocs appends the COMMAND DOCS map of c (its value only: the caller
// writes the outer map and the name key). Subcommands are nested under
// "subcommands", keyed by their full names.
func AppendDocs(b []byte, c *Command, proto int) []byte {
	n := 1 // group
	for _, s := range [...]string{c.Summary, c.Since, c.Complexity, c.DeprecatedSince, c.ReplacedBy} {
		if s != "" {
			n++
		}
	}
	if c.DocFlags != 0 {
		n++
	}
	if len(c.History) > 0 {
		n++
	}
	if len(c.Arguments) > 0 {
		n++
	}
	if c.subs != nil {
		n++
	}
	b = appendMapLen(b, n, proto)
	b = appendField(b, "summary", c.Summary)
	b = appendField(b, "since", c.Since)
	b = appendBulk(b, "group")
	b = appendBulk(b, c.Group)
	b = appendField(b, "complexity", c.Complexity)
	if c.DocFlags != 0 {
		b = appendBulk(b, "doc_flags")
		b = appendSetLen(b, bitCount(uint64(c.DocFlags)), proto)
		for i := 0; i < numDocFlags; i++ {
			if c.DocFlags&(1<<i) != 0 {
				b = appendStatus(b, docFlagNames[i])
			}
		}
	}
	b = appendField(b, "deprecated_since", c.DeprecatedSince)
	b = appendField(b, "replaced_by", c.ReplacedBy)
	if len(c.History) > 0 {
		b = appendBulk(b, "history")
		b = appendSetLen(b, len(c.History), proto)
		for _, h := range c.History {
			b = appendArrayLen(b, 2)
			b = appendBulk(b, h.Version)
			b = appendBulk(b, h.Description)
		}
	}
	if len(c.Arguments) > 0 {
		b = appendBulk(b, "arguments")
		b = appendArgs(b, c.Arguments, proto)
	}
	if c.subs != nil {
		b = appendBulk(b, "subcommands")
		b = appendMapLen(b, len(c.subs), proto)
		for _, s := range c.subs {
			b = appendBulk(b, s.Name)
			b = AppendDocs(b, s, proto)
		}
	}
	return b
}

func appendArgs(b []byte, args []Arg, proto int) []byte {
	b = appendArrayLen(b, len(args))
	for i := range args {
		a := &args[i]
		hasToken := a.Token != "" || a.Type == "pure-token"
		n := 2
		for _, present := range [...]bool{
			a.DisplayText != "", a.KeySpecIndex >= 0, hasToken, a.Summary != "",
			a.Since != "", a.DeprecatedSince != "", a.Flags != 0, a.Value != "",
			len(a.Arguments) > 0,
		} {
			if present {
				n++
			}
		}
		b = appendMapLen(b, n, proto)
		b = appendBulk(b, "name")
		b = appendBulk(b, a.Name)
		b = appendBulk(b, "type")
		b = appendBulk(b, a.Type)
		b = appendField(b, "display_text", a.DisplayText)
		if a.KeySpecIndex >= 0 {
			b = appendBulk(b, "key_spec_index")
			b = appendInt(b, int64(a.KeySpecIndex))
		}
		if hasToken {
			b = appendBulk(b, "token")
			b = appendBulk(b, a.Token)
		}
		b = appendField(b, "summary", a.Summary)
		b = appendField(b, "since", a.Since)
		b = appendField(b, "deprecated_since", a.DeprecatedSince)
		if a.Flags != 0 {
			b = appendBulk(b, "flags")
			b = appendSetLen(b, bitCount(uint64(a.Flags)), proto)
			for j := 0; j < numArgFlags; j++ {
				if a.Flags&(1<<j) != 0 {
					b = appendStatus(b, argFlagNames[j])
				}
			}
		}
		b = appendField(b, "value", a.Value)
		if len(a.Arguments) > 0 {
			b = appendBulk(b, "arguments")
			b = appendArgs(b, a.Arguments, proto)
		}
	}
	return b
}

// appendField writes a bulk key and value, or nothing for an empty value.
func appendField(b []byte, key, val string) []byte {
	if val == "" {
		return b
	}
	return appendBulk(appendBulk(b, key), val)
}

// Small local RESP writers; this package deliberately does not depend on
// the server's protocol package.

func appendLen(b []byte, prefix byte, n int) []byte {
	b = append(b, prefix)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func appendArrayLen(b []byte, n int) []byte { return appendLen(b, '*', n) }

func appendMapLen(b []byte, n, proto int) []byte {
	if proto >= 3 {
		return appendLen(b, '%', n)
	}
	return appendLen(b, '*', 2*n)
}

func appendSetLen(b []byte, n, proto int) []byte {
	if proto >= 3 {
		return appendLen(b, '~', n)
	}
	return appendLen(b, '*', n)
}

func appendBulk(b []byte, s string) []byte {
	b = appendLen(b, '$', len(s))
	b = append(b, s...)
	return append(b, '\r', '\n')
}

func appendStatus(b []byte, s string) []byte {
	b = append(b, '+')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

func appendInt(b []byte, n int64) []byte {
	b = append(b, ':')
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\r', '\n')
}

func bitCount(x uint64) int { return bits.OnesCount64(x) }
