package server

import (
	"bytes"
	"math"
	"slices"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// SORT and SORT_RO. BY and GET patterns name arbitrary keys, so both
// commands lock every shard (lockAll).

// sortHandlers binds SORT and SORT_RO.
func sortHandlers() []handler {
	return []handler{
		{name: "sort", fn: cmdSort, lockAll: true},
		{name: "sort_ro", fn: cmdSortRO, lockAll: true},
	}
}

func cmdSort(c *client, argv [][]byte)   { c.sortGeneric(argv, false) }
func cmdSortRO(c *client, argv [][]byte) { c.sortGeneric(argv, true) }

// sortItem is one element being sorted with the value it is compared by.
type sortItem struct {
	elem   []byte
	score  float64 // numeric sort key (0 when the BY key is missing)
	cmp    []byte  // ALPHA sort key of a BY pattern
	hasCmp bool
}

// cstring cuts b at its first NUL byte, as C string functions see it.
func cstring(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// sortStrtod converts a BY value (or an element) to a score the way SORT
// does with C's strtod: leading blanks are skipped, the number must run to
// the end of the string (or to a NUL byte), an empty string is 0, NaN and
// out-of-range values are errors.
func sortStrtod(b []byte) (float64, bool) {
	s := cstring(b)
	if len(s) == 0 {
		return 0, true
	}
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	t := s[i:]
	if len(t) == 0 {
		return 0, false
	}
	f, err := strtod(t)
	if err != nil || math.IsNaN(f) || (f == 0 && underflows(t)) {
		return 0, false
	}
	return f, true
}

// sortLookup resolves a BY or GET pattern for element subst: "#" is the
// element itself, the first '*' is replaced by the element, and a "->field"
// suffix after it reads a hash field. A missing key, a key of the wrong
// type or a pattern without '*' gives ok false.
func (c *client) sortLookup(pattern, subst []byte) ([]byte, bool) {
	if len(pattern) > 0 && pattern[0] == '#' && (len(pattern) == 1 || pattern[1] == 0) {
		return subst, true
	}
	cpat := cstring(pattern)
	p := bytes.IndexByte(cpat, '*')
	if p < 0 {
		return nil, false
	}
	var field []byte
	hasField := false
	if f := bytes.Index(cpat[p+1:], []byte("->")); f >= 0 && p+1+f+2 < len(cpat) {
		fpos := p + 1 + f
		field = pattern[fpos+2:]
		hasField = true
	}
	postfixEnd := len(pattern)
	if hasField {
		postfixEnd -= len(field) + 2
	}
	key := make([]byte, 0, p+len(subst)+postfixEnd-p-1)
	key = append(key, pattern[:p]...)
	key = append(key, subst...)
	key = append(key, pattern[p+1:postfixEnd]...)

	e, found := c.tx.Get(key)
	if !found {
		return nil, false
	}
	if hasField {
		if e.Kind() != keyspace.KindHash {
			return nil, false
		}
		h := hashOf(e)
		v, ok := h.get(field)
		if !ok {
			return nil, false
		}
		return bytes.Clone(v), true
	}
	if e.Kind() != keyspace.KindString {
		return nil, false
	}
	return append([]byte(nil), e.Bytes()...), true
}

func (c *client) sortGeneric(argv [][]byte, readonly bool) {
	var (
		desc, alpha, dontsort bool
		sortby, storekey      []byte
		hasSortby, hasStore   bool
		gets                  [][]byte
		limitStart            int64 = 0
		limitCount            int64 = -1
	)
	for j := 2; j < len(argv); j++ {
		left := len(argv) - j - 1
		a := argv[j]
		switch {
		case eq(a, "asc"):
			desc = false
		case eq(a, "desc"):
			desc = true
		case eq(a, "alpha"):
			alpha = true
		case eq(a, "limit") && left >= 2:
			var ok bool
			if limitStart, ok = c.argInt(argv[j+1]); !ok {
				return
			}
			if limitCount, ok = c.argInt(argv[j+2]); !ok {
				return
			}
			j += 2
		case !readonly && eq(a, "store") && left >= 1:
			storekey, hasStore = argv[j+1], true
			j++
		case eq(a, "by") && left >= 1:
			sortby, hasSortby = argv[j+1], true
			if bytes.IndexByte(cstring(sortby), '*') < 0 {
				dontsort = true
			}
			j++
		case eq(a, "get") && left >= 1:
			gets = append(gets, argv[j+1])
			j++
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}

	// Load the elements in the value's own order.
	var elems [][]byte
	ordered := false // a list or sorted set: its order means something
	if e, found := c.tx.Get(argv[1]); found {
		switch e.Kind() {
		case keyspace.KindList:
			l := &e.Obj().(*listValue).l
			elems = make([][]byte, 0, l.Len())
			l.Range(0, l.Len()-1, func(_ int, v []byte) bool {
				elems = append(elems, append([]byte(nil), v...))
				return true
			})
			ordered = true
		case keyspace.KindSet:
			elems = e.Obj().(*setObj).memberList()
			if dontsort && hasStore {
				// A set has no order of its own: a stored result is
				// sorted so that it is deterministic.
				dontsort, alpha, hasSortby, sortby = false, true, false, nil
			}
		case keyspace.KindZSet:
			z := zsetOf(e)
			elems = make([][]byte, 0, z.card())
			z.walk(0, z.card(), false, func(m string, _ float64) bool {
				elems = append(elems, []byte(m))
				return true
			})
			ordered = true
		default:
			c.replyError(rerr.WrongType)
			return
		}
	}

	// LIMIT, clamped as Redis does.
	n := int64(len(elems))
	start := max(limitStart, 0)
	end := n - 1
	if limitCount >= 0 {
		end = start + limitCount - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	if end >= n {
		end = n - 1
	}

	items := make([]sortItem, len(elems))
	for i, el := range elems {
		items[i].elem = el
	}
	convErr := false
	switch {
	case dontsort && ordered:
		// Original order, walked from the far end for DESC.
		if desc {
			slices.Reverse(items)
		}
	case !dontsort:
		for i := range items {
			by := items[i].elem
			if hasSortby {
				v, ok := c.sortLookup(sortby, items[i].elem)
				if !ok {
					continue
				}
				by = v
			}
			if alpha {
				if hasSortby {
					items[i].cmp, items[i].hasCmp = by, true
				}
				continue
			}
			f, ok := sortStrtod(by)
			if !ok {
				convErr = true
			}
			items[i].score = f
		}
		collate := func(a, b []byte) int {
			if hasStore {
				return bytes.Compare(a, b)
			}
			return bytes.Compare(cstring(a), cstring(b))
		}
		slices.SortStableFunc(items, func(x, y sortItem) int {
			var r int
			switch {
			case !alpha:
				switch {
				case x.score > y.score:
					r = 1
				case x.score < y.score:
					r = -1
				default:
					r = bytes.Compare(x.elem, y.elem)
				}
			case hasSortby:
				switch {
				case !x.hasCmp || !y.hasCmp:
					switch {
					case x.hasCmp == y.hasCmp:
						r = 0
					case !x.hasCmp:
						r = -1
					default:
						r = 1
					}
				default:
					r = collate(x.cmp, y.cmp)
				}
			default:
				r = collate(x.elem, y.elem)
			}
			if desc {
				r = -r
			}
			return r
		})
	}

	if convErr {
		c.replyError(rerr.SortNotDouble)
		return
	}
	var out []sortItem
	if end >= start && start >= 0 {
		out = items[start : end+1]
	}
	outputlen := len(out)
	if len(gets) > 0 {
		outputlen *= len(gets)
	}

	if !hasStore {
		c.replyArrayLen(outputlen)
		for _, it := range out {
			if len(gets) == 0 {
				c.replyBulk(it.elem)
				continue
			}
			for _, g := range gets {
				if v, ok := c.sortLookup(g, it.elem); ok {
					c.replyBulk(v)
				} else {
					c.replyNull()
				}
			}
		}
		return
	}

	lv := newListValue()
	for _, it := range out {
		if len(gets) == 0 {
			lv.l.PushBack(it.elem)
			continue
		}
		for _, g := range gets {
			v, _ := c.sortLookup(g, it.elem)
			lv.l.PushBack(v)
		}
	}
	if outputlen > 0 {
		// Overwritten in place, not deleted first: replacing a key is no
		// creation (no "new" event), as Redis's setKey.
		c.tx.SetObj(storekey, keyspace.KindList, lv, 0)
		c.dirty()
		c.notify(config.NotifyList, "sortstore", storekey)
	} else if c.tx.Delete(storekey) {
		c.dirty()
		c.notify(config.NotifyGeneric, "del", storekey)
	}
	c.replyInt(int64(outputlen))
}
