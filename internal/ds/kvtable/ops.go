package kvtable

import "slices"

// vspec describes the value to write into a record.
type vspec struct {
	mode uint8  // vmInline, vmHeap or vmObj
	src  []byte // vmInline: bytes to copy (may alias the record itself)
	n    int    // vmInline: value length, >= len(src); the rest is zeroed
	idx  uint32 // vmHeap, vmObj: slot index
}

func (v vspec) fieldLen() int {
	if v.mode == vmInline {
		return v.n
	}
	return 4
}

// writeVal writes the value length and value starting at p. The value is
// copied before its length is written: when rewriting in place, src may
// overlap the old value and the new length's bytes.
func writeVal(rec []byte, p int, v vspec) {
	if v.mode != vmInline {
		put32(rec[p:], v.idx)
		return
	}
	vo := p + uvarintLen(v.n)
	copy(rec[vo:], v.src)
	clear(rec[vo+len(v.src) : vo+v.n])
	putUvarint(rec[p:], v.n)
}

func keyFieldLen(hdr byte, kLen int) int {
	if hdr&hKeyHeap != 0 {
		return 4
	}
	return kLen
}

func cloneBytes(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

// Slots for large keys and values.

func (t *Table) newBig(b []byte) uint32 {
	t.bigBytes += cap(b)
	if t.bigFree.len() > 0 {
		i := t.bigFree.pop()
		*t.bigs.at(int(i)) = b
		return i
	}
	return uint32(t.bigs.push(b))
}

func (t *Table) setBig(i uint32, b []byte) {
	p := t.bigs.at(int(i))
	t.bigBytes += cap(b) - cap(*p)
	*p = b
}

func (t *Table) freeBig(i uint32) {
	p := t.bigs.at(int(i))
	t.bigBytes -= cap(*p)
	*p = nil
	t.bigFree.push(i)
}

// Slots for objects.

func (t *Table) newObj(o any) uint32 {
	if t.objFree.len() > 0 {
		i := t.objFree.pop()
		*t.objs.at(int(i)) = o
		return i
	}
	return uint32(t.objs.push(o))
}

func (t *Table) freeObj(i uint32) {
	*t.objs.at(int(i)) = nil
	t.objFree.push(i)
}

// The volatile index: vol[i] is the ref of a record with an expire time,
// and that record's vslot field is i, so adding and removing are O(1).

func (t *Table) volAdd(ref uint32, rec []byte) {
	put32(rec[oVslot:], uint32(t.vol.push(ref)))
}

func (t *Table) volRemove(slot uint32) {
	last := t.vol.pop()
	if int(slot) < t.vol.len() {
		*t.vol.at(int(slot)) = last
		put32(t.rec(last)[oVslot:], slot)
	}
}

// insert writes a new record for key (absent from the table).
func (t *Table) insert(key []byte, h uint64, kind Kind, flags uint8, v vspec, exp int64) {
	keyHeap := len(key) > maxInlineKey
	hasExp := exp != NoExpire && exp != KeepExpire
	size := sizeFor(hasExp, len(key), keyHeap, v.mode, v.n)
	ref, rec := t.alloc(size)
	hdr := v.mode | t.snapBit // a new key is never part of a running snapshot
	if keyHeap {
		hdr |= hKeyHeap
	}
	rec[oKind] = byte(kind)
	rec[oFlags] = flags
	rec[oTag] = tagOf(h)
	put32(rec[oAccess:], t.Access)
	p := oFixed
	if hasExp {
		hdr |= hExpire
		put64(rec[oExpire:], uint64(exp))
		t.volAdd(ref, rec)
		p = oFixedExp
	}
	rec[oHdr] = hdr
	p += putUvarint(rec[p:], len(key))
	if keyHeap {
		put32(rec[p:], t.newBig(cloneBytes(key)))
		p += 4
	} else {
		p += copy(rec[p:], key)
	}
	writeVal(rec, p, v)
	t.index(ref, rec, h)
}

// update rewrites the live record at ref (reached through l) with a new
// value, kind, flags and expire time (or KeepExpire), in place when the
// layout allows, otherwise by moving it. It frees the old value's slot
// unless v reuses it, and returns the record's ref. stamp writes t.Access
// into the record (a new value); otherwise the access clock is kept.
func (t *Table) update(ref uint32, l link, kind Kind, flags uint8, v vspec, exp int64, stamp bool) uint32 {
	rec := t.rec(ref)
	old := rec[oHdr]
	ly := parse(rec)
	oldSize := align(ly.end())
	oldExp := old&hExpire != 0
	hasExp := oldExp
	if exp != KeepExpire {
		hasExp = exp != NoExpire
	}
	oldMode := old & (hValHeap | hValObj)
	var oldIdx uint32
	if oldMode != vmInline {
		oldIdx = get32(rec[ly.vOff:])
	}
	kField := keyFieldLen(old, ly.kLen)
	size := sizeFor(hasExp, ly.kLen, old&hKeyHeap != 0, v.mode, v.n)
	hdr := v.mode | old&(hKeyHeap|hSnap)
	if hasExp {
		hdr |= hExpire
	}
	nref := ref
	if hasExp == oldExp && size <= oldSize {
		writeVal(rec, ly.kOff+kField, v)
		rec[oHdr] = hdr
		rec[oKind] = byte(kind)
		rec[oFlags] = flags
		if stamp {
			put32(rec[oAccess:], t.Access)
		}
		if hasExp && exp != KeepExpire {
			put64(rec[oExpire:], uint64(exp))
		}
		if size < oldSize {
			writeFiller(rec[size:], oldSize-size)
			p := int(ref >> offBits)
			t.meta[p].dead += uint32(oldSize - size)
			t.recBytes -= oldSize - size
			t.owe(oldSize - size)
			t.checkPage(p)
		}
	} else {
		var nrec []byte
		nref, nrec = t.alloc(size)
		nrec[oHdr] = hdr
		nrec[oKind] = byte(kind)
		nrec[oFlags] = flags
		nrec[oTag] = rec[oTag]
		put32(nrec[oNext:], next(rec))
		if stamp {
			put32(nrec[oAccess:], t.Access)
		} else {
			put32(nrec[oAccess:], get32(rec[oAccess:]))
		}
		p := oFixed
		if hasExp {
			e := uint64(exp)
			if exp == KeepExpire {
				e = get64(rec[oExpire:])
			}
			put64(nrec[oExpire:], e)
			if oldExp {
				s := get32(rec[oVslot:])
				put32(nrec[oVslot:], s)
				*t.vol.at(int(s)) = nref
			} else {
				t.volAdd(nref, nrec)
			}
			p = oFixedExp
		} else if oldExp {
			t.volRemove(get32(rec[oVslot:]))
		}
		p += putUvarint(nrec[p:], ly.kLen)
		p += copy(nrec[p:p+kField], rec[ly.kOff:ly.kOff+kField])
		writeVal(nrec, p, v)
		t.setLink(l, nref)
		t.kill(ref, oldSize)
		t.owe(oldSize)
	}
	if oldMode == vmHeap && (v.mode != vmHeap || v.idx != oldIdx) {
		t.freeBig(oldIdx)
	}
	if oldMode == vmObj && (v.mode != vmObj || v.idx != oldIdx) {
		t.freeObj(oldIdx)
	}
	return nref
}

// keepSpec describes a record's current value, for rewrites that change
// only other fields.
func keepSpec(rec []byte) vspec {
	ly := parse(rec)
	if m := rec[oHdr] & (hValHeap | hValObj); m != vmInline {
		return vspec{mode: m, idx: get32(rec[ly.vOff:])}
	}
	return vspec{mode: vmInline, src: rec[ly.vOff : ly.vOff+ly.vLen], n: ly.vLen}
}

// drop releases everything a record owns and turns it into a filler. The
// caller has unlinked it.
func (t *Table) drop(ref uint32, rec []byte) {
	ly := parse(rec)
	h := rec[oHdr]
	if h&hKeyHeap != 0 {
		t.freeBig(get32(rec[ly.kOff:]))
	}
	if h&hValHeap != 0 {
		t.freeBig(get32(rec[ly.vOff:]))
	} else if h&hValObj != 0 {
		t.freeObj(get32(rec[ly.vOff:]))
	}
	if h&hExpire != 0 {
		t.volRemove(get32(rec[oVslot:]))
	}
	size := align(ly.end())
	t.kill(ref, size)
	t.owe(size)
}

// Get looks key up.
func (t *Table) Get(key []byte) (Entry, bool) {
	ref := t.lookup(key)
	if ref == 0 {
		return Entry{}, false
	}
	return Entry{t, t.rec(ref)}, true
}

// bigSpec stores a large byte value in a heap slot, reusing the slot and
// its buffer when rec (nil for a new key) already holds a heap value and
// the buffer is not much too big.
func (t *Table) bigSpec(val []byte, rec []byte) vspec {
	if rec != nil && rec[oHdr]&hValHeap != 0 {
		idx := get32(rec[parse(rec).vOff:])
		buf := *t.bigs.at(int(idx))
		if cap(buf) >= len(val) && cap(buf) <= 2*len(val)+64 {
			buf = buf[:len(val)]
			copy(buf, val)
		} else {
			buf = cloneBytes(val)
		}
		t.setBig(idx, buf)
		return vspec{mode: vmHeap, idx: idx}
	}
	return vspec{mode: vmHeap, idx: t.newBig(cloneBytes(val))}
}

// SetBytes sets key to a copy of val, with kind, flags and expireAt (unix
// ms, NoExpire, or KeepExpire), and stamps the record's access clock with
// t.Access. An existing key is rewritten in place when the new value fits.
// Reports whether the key existed. key and val may alias table memory (e.g.
// another Entry's bytes).
func (t *Table) SetBytes(key []byte, kind Kind, flags uint8, val []byte, expireAt int64) (existed bool) {
	h := t.hash(key)
	ref, l := t.find(key, h)
	var rec []byte
	if ref != 0 {
		rec = t.rec(ref)
	}
	v := vspec{mode: vmInline, src: val, n: len(val)}
	if len(val) > t.maxVal {
		v = t.bigSpec(val, rec)
	}
	if ref == 0 {
		t.insert(key, h, kind, flags, v, expireAt)
		t.owe(0)
	} else {
		t.update(ref, l, kind, flags, v, expireAt, true)
	}
	t.tick()
	return ref != 0
}

// SetObj sets key to the object obj (held by reference), like SetBytes.
func (t *Table) SetObj(key []byte, kind Kind, flags uint8, obj any, expireAt int64) (existed bool) {
	h := t.hash(key)
	ref, l := t.find(key, h)
	if ref == 0 {
		t.insert(key, h, kind, flags, vspec{mode: vmObj, idx: t.newObj(obj)}, expireAt)
		t.owe(0)
	} else {
		rec := t.rec(ref)
		var v vspec
		if rec[oHdr]&hValObj != 0 {
			v = vspec{mode: vmObj, idx: get32(rec[parse(rec).vOff:])}
			*t.objs.at(int(v.idx)) = obj
		} else {
			v = vspec{mode: vmObj, idx: t.newObj(obj)}
		}
		t.update(ref, l, kind, flags, v, expireAt, true)
	}
	t.tick()
	return ref != 0
}

// SetFlags sets the caller's flag bits of key; false if key is absent.
func (t *Table) SetFlags(key []byte, flags uint8) bool {
	ref := t.lookup(key)
	if ref == 0 {
		return false
	}
	t.rec(ref)[oFlags] = flags
	return true
}

// Touch sets the access clock of key; false if key is absent.
func (t *Table) Touch(key []byte, access uint32) bool {
	ref := t.lookup(key)
	if ref == 0 {
		return false
	}
	put32(t.rec(ref)[oAccess:], access)
	return true
}

// SetExpire sets key's expire time (unix ms); NoExpire removes it, as
// PERSIST does, and KeepExpire changes nothing. False if key is absent.
func (t *Table) SetExpire(key []byte, expireAt int64) bool {
	ref, l := t.find(key, t.hash(key))
	if ref == 0 {
		return false
	}
	if expireAt == KeepExpire {
		return true
	}
	rec := t.rec(ref)
	has := rec[oHdr]&hExpire != 0
	if has && expireAt != NoExpire {
		put64(rec[oExpire:], uint64(expireAt))
		return true
	}
	if !has && expireAt == NoExpire {
		return true
	}
	t.update(ref, l, Kind(rec[oKind]), rec[oFlags], keepSpec(rec), expireAt, false)
	t.tick()
	return true
}

// Delete removes key and reports whether it existed.
func (t *Table) Delete(key []byte) (existed bool) {
	ref, l := t.find(key, t.hash(key))
	if ref == 0 {
		return false
	}
	rec := t.rec(ref)
	t.setLink(l, next(rec))
	t.count--
	t.drop(ref, rec)
	t.maybeShrink()
	t.tick()
	return true
}

// AppendBytes appends data to key's byte value, creating the key with kind,
// flags and no expire time if absent, and returns the new length. An
// existing key gets kind and flags too (APPEND makes a raw string) and
// keeps its expire time. The first append moves the value to a growable
// heap buffer, so repeated appends cost amortised O(len(data)). Panics if
// the value is an object.
func (t *Table) AppendBytes(key []byte, kind Kind, flags uint8, data []byte) int {
	h := t.hash(key)
	ref, l := t.find(key, h)
	if ref == 0 {
		v := vspec{mode: vmInline, src: data, n: len(data)}
		if len(data) > t.maxVal {
			v = vspec{mode: vmHeap, idx: t.newBig(cloneBytes(data))}
		}
		t.insert(key, h, kind, flags, v, NoExpire)
		t.owe(0)
		t.tick()
		return len(data)
	}
	rec := t.rec(ref)
	hdr := rec[oHdr]
	if hdr&hValObj != 0 {
		panic("kvtable: AppendBytes on an object value")
	}
	ly := parse(rec)
	n := 0
	switch {
	case hdr&hValHeap != 0:
		idx := get32(rec[ly.vOff:])
		buf := append(*t.bigs.at(int(idx)), data...)
		t.setBig(idx, buf)
		rec[oKind] = byte(kind)
		rec[oFlags] = flags
		n = len(buf)
	case len(data) == 0:
		rec[oKind] = byte(kind)
		rec[oFlags] = flags
		n = ly.vLen
	default:
		n = ly.vLen + len(data)
		buf := make([]byte, n, n+n/2+16)
		copy(buf, rec[ly.vOff:ly.vOff+ly.vLen])
		copy(buf[ly.vLen:], data)
		t.update(ref, l, kind, flags, vspec{mode: vmHeap, idx: t.newBig(buf)}, KeepExpire, false)
	}
	t.tick()
	return n
}

// MutableBytes returns key's byte value, zero-extended to at least n bytes,
// as a slice the caller may modify in place (but not append to) until the
// next mutating call; used by SETRANGE and SETBIT. Returns nil if key is
// absent or holds an object. Kind and flags are unchanged (see SetFlags).
func (t *Table) MutableBytes(key []byte, n int) []byte {
	// Background work first: after this call the slice must stay put.
	t.tick()
	ref, l := t.find(key, t.hash(key))
	if ref == 0 {
		return nil
	}
	rec := t.rec(ref)
	hdr := rec[oHdr]
	if hdr&hValObj != 0 {
		return nil
	}
	ly := parse(rec)
	if hdr&hValHeap != 0 {
		idx := get32(rec[ly.vOff:])
		buf := *t.bigs.at(int(idx))
		if m := len(buf); m < n {
			buf = slices.Grow(buf, n-m)[:n]
			clear(buf[m:])
			t.setBig(idx, buf)
		}
		return buf[:len(buf):len(buf)]
	}
	if ly.vLen >= n {
		return rec[ly.vOff : ly.vOff+ly.vLen : ly.vOff+ly.vLen]
	}
	if n <= t.maxVal {
		v := vspec{mode: vmInline, src: rec[ly.vOff : ly.vOff+ly.vLen], n: n}
		nref := t.update(ref, l, Kind(rec[oKind]), rec[oFlags], v, KeepExpire, false)
		nrec := t.rec(nref)
		nl := parse(nrec)
		return nrec[nl.vOff : nl.vOff+n : nl.vOff+n]
	}
	buf := make([]byte, n)
	copy(buf, rec[ly.vOff:ly.vOff+ly.vLen])
	t.update(ref, l, Kind(rec[oKind]), rec[oFlags], vspec{mode: vmHeap, idx: t.newBig(buf)}, KeepExpire, false)
	return buf
}
