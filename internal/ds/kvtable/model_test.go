package kvtable

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// mval is the model of one key.
type mval struct {
	kind   Kind
	flags  uint8
	b      []byte
	obj    any
	isObj  bool
	exp    int64
	access uint32
}

type objBox struct{ id int }

type modelTest struct {
	t      *testing.T
	tb     *Table
	m      map[string]*mval
	rng    *rand.Rand
	ops    int
	pool   []byte // random bytes that values are cut from
	checks int
	last   string // name of the last step, for failure messages
	// keyspace shape for the current phase
	nkeys   int
	bigKeys bool
}

func (mt *modelTest) fail(format string, args ...any) {
	mt.t.Helper()
	mt.t.Fatalf("op %d (last step %s): %s", mt.ops, mt.last, fmt.Sprintf(format, args...))
}

var specialKeys = []string{"", "\x00", "\r\n", "\x00\x00\xff", "key with spaces"}

func (mt *modelTest) key() []byte {
	r := mt.rng
	switch x := r.IntN(1000); {
	case x < 5:
		return []byte(specialKeys[r.IntN(len(specialKeys))])
	case x < 8 && mt.bigKeys:
		// Keys above maxInlineKey, one bigger than a page.
		n := maxInlineKey + 1 + r.IntN(3)
		if x == 7 {
			n = pageSize + 100 + r.IntN(2)
		}
		k := bytes.Repeat([]byte{'K'}, n)
		k[0] = byte(r.IntN(3))
		return k
	}
	return fmt.Appendf(nil, "k:%d", r.IntN(mt.nkeys))
}

func (mt *modelTest) value() []byte {
	r := mt.rng
	var n int
	switch x := r.IntN(100); {
	case x < 50:
		n = r.IntN(24)
	case x < 80:
		n = r.IntN(300)
	case x < 95:
		n = r.IntN(2 * defaultMaxInlineVal)
	default:
		n = defaultMaxInlineVal - 2 + r.IntN(4)
	}
	off := r.IntN(len(mt.pool) - n)
	return bytes.Clone(mt.pool[off : off+n : off+n])
}

func (mt *modelTest) expire() int64 {
	switch mt.rng.IntN(4) {
	case 0:
		return NoExpire
	case 1:
		return KeepExpire
	default:
		return 1_700_000_000_000 + mt.rng.Int64N(1_000_000)
	}
}

func (mt *modelTest) verify(key []byte) {
	want, ok := mt.m[string(key)]
	e, got := mt.tb.Get(key)
	if ok != got {
		mt.fail("Get(%q) present=%v, model %v", trunc(key), got, ok)
	}
	if !ok {
		return
	}
	mt.verifyEntry(e, want)
	if !bytes.Equal(e.Key(), key) {
		mt.fail("Get(%q).Key() = %q", trunc(key), trunc(e.Key()))
	}
}

func (mt *modelTest) verifyEntry(e Entry, want *mval) {
	key := e.Key()
	if e.Kind() != want.kind || e.Flags() != want.flags || e.ExpireAt() != want.exp || e.Access() != want.access {
		mt.fail("key %q: kind/flags/exp/access %d/%d/%d/%d, want %d/%d/%d/%d", trunc(key),
			e.Kind(), e.Flags(), e.ExpireAt(), e.Access(), want.kind, want.flags, want.exp, want.access)
	}
	if want.isObj {
		if e.Obj() != want.obj || e.Bytes() != nil || !e.IsObj() {
			mt.fail("key %q: object mismatch", trunc(key))
		}
	} else {
		b := e.Bytes()
		if b == nil || !bytes.Equal(b, want.b) || e.Obj() != nil || e.IsObj() {
			mt.fail("key %q: value len %d, want len %d", trunc(key), len(b), len(want.b))
		}
	}
}

func trunc(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q…(%d bytes)", b[:40], len(b))
	}
	return string(b)
}

func (mt *modelTest) fullCheck() {
	mt.checks++
	if err := mt.tb.Check(); err != nil {
		mt.fail("Check: %v", err)
	}
	if mt.tb.Len() != len(mt.m) {
		mt.fail("Len %d, model %d", mt.tb.Len(), len(mt.m))
	}
	vol := 0
	for _, v := range mt.m {
		if v.exp != 0 {
			vol++
		}
	}
	if mt.tb.VolatileLen() != vol {
		mt.fail("VolatileLen %d, model %d", mt.tb.VolatileLen(), vol)
	}
	// Comparing every value is the slow part: do it one check in four.
	if mt.checks%4 != 1 {
		return
	}
	n := 0
	mt.tb.Range(func(e Entry) bool {
		n++
		want, ok := mt.m[string(e.Key())]
		if !ok {
			mt.fail("Range returned unknown key %q", trunc(e.Key()))
		}
		mt.verifyEntry(e, want)
		return true
	})
	if n != len(mt.m) {
		mt.fail("Range visited %d, want %d", n, len(mt.m))
	}
}

func (mt *modelTest) step() {
	r := mt.rng
	tb := mt.tb
	key := mt.key()
	old := mt.m[string(key)]
	switch op := r.IntN(100); {
	case op < 25: // SetBytes
		mt.last = "SetBytes"
		val := mt.value()
		kind, flags, exp := Kind(r.IntN(3)), uint8(r.IntN(256)), mt.expire()
		existed := tb.SetBytes(key, kind, flags, val, exp)
		if existed != (old != nil) {
			mt.fail("SetBytes existed=%v", existed)
		}
		nv := &mval{kind: kind, flags: flags, b: val, exp: exp}
		if old != nil {
			nv.access = tb.Access // writes stamp the table's Access
			if exp == KeepExpire {
				nv.exp = old.exp
			}
		} else if exp == KeepExpire {
			nv.exp = 0
		}
		mt.m[string(key)] = nv
	case op < 30: // SetObj
		mt.last = "SetObj"
		obj := &objBox{mt.ops}
		kind, flags, exp := Kind(3+r.IntN(3)), uint8(r.IntN(256)), mt.expire()
		existed := tb.SetObj(key, kind, flags, obj, exp)
		if existed != (old != nil) {
			mt.fail("SetObj existed=%v", existed)
		}
		nv := &mval{kind: kind, flags: flags, obj: obj, isObj: true, exp: exp}
		if old != nil {
			nv.access = tb.Access // writes stamp the table's Access
			if exp == KeepExpire {
				nv.exp = old.exp
			}
		} else if exp == KeepExpire {
			nv.exp = 0
		}
		mt.m[string(key)] = nv
	case op < 45: // Get
		mt.last = "Get"
		mt.verify(key)
	case op < 57: // Delete
		mt.last = "Delete"
		if tb.Delete(key) != (old != nil) {
			mt.fail("Delete existed mismatch")
		}
		delete(mt.m, string(key))
	case op < 65: // SetExpire
		mt.last = "SetExpire"
		exp := mt.expire()
		if tb.SetExpire(key, exp) != (old != nil) {
			mt.fail("SetExpire existed mismatch")
		}
		if old != nil && exp != KeepExpire {
			old.exp = exp
		}
	case op < 68: // SetFlags
		mt.last = "SetFlags"
		f := uint8(r.IntN(256))
		if tb.SetFlags(key, f) != (old != nil) {
			mt.fail("SetFlags existed mismatch")
		}
		if old != nil {
			old.flags = f
		}
	case op < 72: // Touch
		mt.last = "Touch"
		a := r.Uint32()
		if tb.Touch(key, a) != (old != nil) {
			mt.fail("Touch existed mismatch")
		}
		if old != nil {
			old.access = a
		}
	case op < 80: // AppendBytes
		mt.last = "AppendBytes"
		if old != nil && old.isObj {
			break
		}
		data := mt.value()
		if r.IntN(3) == 0 {
			data = data[:min(len(data), 5)]
		}
		kind, flags := Kind(r.IntN(3)), uint8(r.IntN(256))
		n := tb.AppendBytes(key, kind, flags, data)
		if old == nil {
			old = &mval{}
			mt.m[string(key)] = old
		}
		old.b = append(bytes.Clone(old.b), data...)
		if old.b == nil {
			old.b = []byte{}
		}
		old.kind, old.flags = kind, flags
		if n != len(old.b) {
			mt.fail("AppendBytes = %d, want %d", n, len(old.b))
		}
	case op < 86: // MutableBytes
		mt.last = "MutableBytes"
		n := r.IntN(64)
		switch r.IntN(4) {
		case 0:
			n = r.IntN(2 * defaultMaxInlineVal)
		case 1:
			if old != nil {
				n = len(old.b) + r.IntN(3)
			}
		}
		b := tb.MutableBytes(key, n)
		if old == nil || old.isObj {
			if b != nil {
				mt.fail("MutableBytes on absent/object returned non-nil")
			}
			break
		}
		if len(old.b) < n {
			old.b = append(bytes.Clone(old.b), make([]byte, n-len(old.b))...)
		}
		if !bytes.Equal(b, old.b) {
			mt.fail("MutableBytes content mismatch (len %d want %d)", len(b), len(old.b))
		}
		if len(b) > 0 {
			i, c := r.IntN(len(b)), byte(r.Uint32())
			b[i] = c
			old.b = bytes.Clone(old.b)
			old.b[i] = c
		}
	case op < 92: // aliasing: a value or key taken from the table itself
		mt.last = "alias"
		src := mt.key()
		sv := mt.m[string(src)]
		e, ok := tb.Get(src)
		if !ok || sv.isObj {
			break
		}
		b := e.Bytes()
		i := r.IntN(len(b) + 1)
		j := i + r.IntN(len(b)-i+1)
		switch r.IntN(3) {
		case 0: // SET key <substring of src's value>, possibly key == src
			want := bytes.Clone(sv.b[i:j])
			existed := tb.SetBytes(key, sv.kind, sv.flags, b[i:j], KeepExpire)
			if existed != (old != nil) {
				mt.fail("alias SetBytes(%q) existed=%v", trunc(key), existed)
			}
			nv := &mval{kind: sv.kind, flags: sv.flags, b: want}
			if existed {
				nv.access, nv.exp = tb.Access, old.exp
			}
			mt.m[string(key)] = nv
		case 1: // APPEND src <its own bytes>
			want := append(bytes.Clone(sv.b), sv.b[i:j]...)
			tb.AppendBytes(src, sv.kind, sv.flags, b[i:j])
			sv.b = want
		case 2: // SET <src's value as a key> src's key
			if len(b) > maxInlineKey {
				break
			}
			nk := bytes.Clone(b)
			_ = mt.m[string(nk)]
			tb.SetBytes(b, 9, 0, e.Key(), NoExpire)
			nv := &mval{kind: 9, b: bytes.Clone(src)}
			nv.access = tb.Access
			mt.m[string(nk)] = nv
		}
	case op < 96:
		mt.last = "Rehash"
		tb.Rehash(r.IntN(20))
	default:
		mt.verify(key)
	}
}

func runModel(t *testing.T, seed uint64, phases []phase) {
	mt := &modelTest{t: t, tb: New(), m: map[string]*mval{}, rng: rand.New(rand.NewPCG(seed, 1))}
	mt.pool = make([]byte, 4*defaultMaxInlineVal)
	for i := range mt.pool {
		mt.pool[i] = byte(mt.rng.Uint32())
	}
	for _, ph := range phases {
		mt.nkeys, mt.bigKeys = ph.nkeys, ph.bigKeys
		for i := 0; i < ph.ops; i++ {
			mt.ops++
			if ph.deleteBias && mt.rng.IntN(2) == 0 {
				k := mt.key()
				if mt.tb.Delete(k) != (mt.m[string(k)] != nil) {
					mt.fail("Delete(%q) existed mismatch", trunc(k))
				}
				delete(mt.m, string(k))
				// keep the model honest: verify a random key afterwards
				mt.verify(mt.key())
			} else {
				mt.step()
			}
			if mt.ops%ph.checkEvery == 0 {
				mt.fullCheck()
			}
		}
		mt.checks = 0 // the next check compares values
		mt.fullCheck()
		// Drain: delete a share of the keys to make shrink and compaction happen.
		if ph.drain > 0 {
			n := 0
			for k := range mt.m {
				if n >= len(mt.m)*ph.drain/100 {
					break
				}
				mt.tb.Delete([]byte(k))
				delete(mt.m, k)
				n++
				if n%(97+len(mt.m)/4) == 0 {
					mt.fullCheck()
				}
			}
		}
		mt.fullCheck()
	}
	for mt.tb.Rehash(1000) {
	}
	mt.fullCheck()
}

type phase struct {
	ops        int
	nkeys      int
	checkEvery int
	bigKeys    bool
	deleteBias bool
	drain      int // percent of keys deleted at the end of the phase
}

func TestModel(t *testing.T) {
	scale := 1
	if testing.Short() || raceEnabled {
		scale = 8
	}
	phases := []phase{
		{ops: 40000 / scale, nkeys: 40, checkEvery: 97, bigKeys: true},
		{ops: 300000 / scale, nkeys: 3000, checkEvery: 1999},
		{ops: 150000 / scale, nkeys: 3000, checkEvery: 499, deleteBias: true, drain: 95},
		{ops: 200000 / scale, nkeys: 20000, checkEvery: 9973, bigKeys: true, drain: 98},
		{ops: 60000 / scale, nkeys: 500, checkEvery: 299, drain: 100},
	}
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			runModel(t, seed, phases)
		})
	}
}
