package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"
)

// ItemKind says what Decoder.Next found.
type ItemKind uint8

// Kinds of Item.
const (
	ItemKey      ItemKind = iota // a key and its value
	ItemAux                      // an auxiliary field
	ItemSelectDB                 // the following keys belong to DB
	ItemResizeDB                 // sizing hint for the current database
	ItemFunction                 // a function library's code
	ItemEOF                      // the end, checksum verified
)

// Item is one record of an RDB file.
type Item struct {
	Kind     ItemKind
	DB       int
	Key      []byte
	Value    Value
	ExpireMs int64 // absolute, 0 when none
	Idle     int64 // OBJECT IDLETIME seconds when stored, -1 when not
	Freq     int   // LFU counter when stored, -1 when not
	AuxKey   string
	AuxVal   string
	Code     []byte // ItemFunction
	Sizes    [2]uint64
}

// Decoder reads an RDB file.
type Decoder struct {
	r          *reader
	version    int
	intsetInts bool // see KeepIntsets
}

// KeepIntsets makes Next give the members of sets stored as intsets in
// Value.Ints (ascending, distinct) instead of as text in Elems.
func (d *Decoder) KeepIntsets() { d.intsetInts = true }

// NewDecoder reads from r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{r: newReader(r)} }

// Offset is the number of bytes consumed so far.
func (d *Decoder) Offset() int64 { return d.r.offset() }

// Version is the file's RDB version (after Header).
func (d *Decoder) Version() int { return d.version }

// Header reads and checks the magic string and version.
func (d *Decoder) Header() error {
	p, err := d.r.next(9)
	if err != nil {
		return err
	}
	if !bytes.Equal(p[:5], []byte("REDIS")) {
		return &Error{Offset: 0, Msg: "wrong signature: not an RDB file"}
	}
	v, err := strconv.Atoi(string(p[5:]))
	if err != nil || v < 1 || v > MaxVersion {
		return &Error{Offset: 5, Msg: fmt.Sprintf("can't handle RDB format version %q", p[5:])}
	}
	d.version = v
	return nil
}

// Next returns the next record. Values and keys are fresh slices the
// caller may keep (but see SetScratch).
func (d *Decoder) Next() (Item, error) {
	it := Item{Idle: -1, Freq: -1}
	r := d.r
	for {
		at := r.offset()
		t, err := r.byte()
		if err != nil {
			return it, err
		}
		switch t {
		case opExpireSec:
			p, err := r.next(4)
			if err != nil {
				return it, err
			}
			it.ExpireMs = int64(binary.LittleEndian.Uint32(p)) * 1000
		case opExpireMs:
			p, err := r.next(8)
			if err != nil {
				return it, err
			}
			it.ExpireMs = int64(binary.LittleEndian.Uint64(p))
		case opFreq:
			c, err := r.byte()
			if err != nil {
				return it, err
			}
			it.Freq = int(c)
		case opIdle:
			n, err := r.plainLen()
			if err != nil {
				return it, err
			}
			it.Idle = int64(n)
		case opEOF:
			if d.version >= 5 {
				want := r.checksum()
				p, err := r.next(8)
				if err != nil {
					return it, err
				}
				got := binary.LittleEndian.Uint64(p)
				if got != 0 && got != want {
					return it, &Error{Offset: r.offset() - 8, Msg: fmt.Sprintf("wrong checksum: stored %016x, computed %016x", got, want)}
				}
			}
			it.Kind = ItemEOF
			return it, nil
		case opSelectDB:
			n, err := r.plainLen()
			if err != nil {
				return it, err
			}
			if n > 1<<20 {
				return it, &Error{Offset: at, Msg: fmt.Sprintf("database number %d out of range", n)}
			}
			it.Kind, it.DB = ItemSelectDB, int(n)
			return it, nil
		case opResizeDB:
			a, err := r.plainLen()
			if err != nil {
				return it, err
			}
			b, err := r.plainLen()
			if err != nil {
				return it, err
			}
			it.Kind, it.Sizes = ItemResizeDB, [2]uint64{a, b}
			return it, nil
		case opAux:
			k, err := r.string()
			if err != nil {
				return it, err
			}
			v, err := r.string()
			if err != nil {
				return it, err
			}
			it.Kind, it.AuxKey, it.AuxVal = ItemAux, string(k), string(v)
			return it, nil
		case opModuleAux:
			return it, &Error{Offset: at, Msg: "module auxiliary data: modules are not supported"}
		case opFunction:
			return it, &Error{Offset: at, Msg: "pre-release function format (RDB_OPCODE_FUNCTION) is not supported"}
		case opFunction2:
			code, err := r.string()
			if err != nil {
				return it, err
			}
			it.Kind, it.Code = ItemFunction, code
			return it, nil
		default:
			key, err := r.tmpString()
			if err != nil {
				return it, err
			}
			if err := d.readValue(t, at, &it.Value); err != nil {
				return it, err
			}
			it.Kind, it.Key = ItemKey, key
			return it, nil
		}
	}
}

// readValue reads the body of a value of type t (whose type byte was at
// offset at).
func (d *Decoder) readValue(t byte, at int64, v *Value) error {
	r := d.r
	bad := func(o int64, what string, err error) error {
		return &Error{Offset: o, Msg: fmt.Sprintf("%s: %v", what, err)}
	}
	switch t {
	case TypeString:
		s, err := r.tmpString()
		v.Kind, v.Str = KindString, s
		return err
	case TypeList, TypeSet, TypeHash:
		n, err := r.count("element")
		if err != nil {
			return err
		}
		per := 1
		switch t {
		case TypeList:
			v.Kind = KindList
		case TypeSet:
			v.Kind = KindSet
		default:
			v.Kind, per = KindHash, 2
		}
		v.Elems = r.elemsRoom(min(n*per, 1<<16))
		for i := 0; i < n*per; i++ {
			s, err := r.string()
			if err != nil {
				return err
			}
			v.Elems = append(v.Elems, s)
		}
		return nil
	case TypeZSet, TypeZSet2:
		n, err := r.count("element")
		if err != nil {
			return err
		}
		v.Kind = KindZSet
		for i := 0; i < n; i++ {
			m, err := r.string()
			if err != nil {
				return err
			}
			var f float64
			if t == TypeZSet2 {
				p, err := r.next(8)
				if err != nil {
					return err
				}
				f = math.Float64frombits(binary.LittleEndian.Uint64(p))
			} else if f, err = d.oldDouble(); err != nil {
				return err
			}
			if math.IsNaN(f) {
				return r.fail("sorted set score is NaN")
			}
			v.Elems = append(v.Elems, m)
			v.Scores = append(v.Scores, f)
		}
		sortZSet(v)
		return nil
	case TypeSetIntset:
		o := r.offset()
		b, err := r.tmpString() // parsed into numbers: the bytes are not kept
		if err != nil {
			return err
		}
		var into []int64
		if len(b) >= 8 {
			if n := binary.LittleEndian.Uint32(b[4:]); int(n) <= len(b)/2 {
				into = r.intsRoom(int(n))
			}
		}
		ints, err := parseIntsetTo(b, into)
		if err != nil {
			return bad(o, "intset", err)
		}
		v.Kind, v.Compact = KindSet, true
		if d.intsetInts {
			v.Ints = ints
			return nil
		}
		v.Elems = make([][]byte, 0, len(ints))
		for _, x := range ints {
			v.Elems = append(v.Elems, fmtInt(x))
		}
		return nil
	case TypeSetListpack, TypeListZiplist, TypeHashListpack, TypeHashZiplist, TypeZSetListpack, TypeZSetZiplist, TypeHashZipmap:
		o := r.offset()
		b, err := r.stringRoom(lpIntRoom)
		if err != nil {
			return err
		}
		var elems [][]byte
		switch t {
		case TypeHashZipmap:
			elems, err = parseZipmap(b)
		case TypeListZiplist, TypeHashZiplist, TypeZSetZiplist:
			elems, err = parseZiplist(b)
		default:
			ar := intArena{buf: b[len(b):len(b):cap(b)]}
			elems, err = parseListpackTo(b, d.lpElems(b), &ar)
		}
		if err != nil {
			return bad(o, "compact encoding", err)
		}
		v.Compact = true
		switch t {
		case TypeSetListpack:
			v.Kind = KindSet
			v.Elems = elems
		case TypeListZiplist:
			v.Kind = KindList
			v.Elems = elems
		case TypeHashListpack, TypeHashZiplist, TypeHashZipmap:
			if len(elems)%2 != 0 {
				return bad(o, "hash", errors.New("odd number of elements"))
			}
			v.Kind = KindHash
			v.Elems = elems
		default:
			if len(elems)%2 != 0 {
				return bad(o, "sorted set", errors.New("odd number of elements"))
			}
			v.Kind = KindZSet
			// Members move down in place: member i/2 is written after
			// elems[i] and elems[i+1] were read.
			v.Scores = r.scoresRoom(len(elems) / 2)[:len(elems)/2]
			for i := 0; i < len(elems); i += 2 {
				f, err := parseScore(elems[i+1])
				if err != nil || math.IsNaN(f) {
					return bad(o, "sorted set", fmt.Errorf("invalid score %q", elems[i+1]))
				}
				elems[i/2] = elems[i]
				v.Scores[i/2] = f
			}
			clear(elems[len(elems)/2:])
			v.Elems = elems[:len(elems)/2]
			sortZSet(v)
		}
		if len(v.Elems) == 0 {
			return bad(o, "compact encoding", errors.New("empty value"))
		}
		return nil
	case TypeListQuicklist, TypeListQuicklist2:
		n, err := r.count("node")
		if err != nil {
			return err
		}
		v.Kind = KindList
		for i := 0; i < n; i++ {
			container := uint64(quicklistPacked)
			if t == TypeListQuicklist2 {
				if container, err = r.plainLen(); err != nil {
					return err
				}
			}
			// A list's elements are copied by the loader: with a
			// scratch room, nodes and their integers' text go there.
			o := r.offset()
			b, err := r.tmpString()
			if err != nil {
				return err
			}
			switch {
			case container == quicklistPlain:
				v.Elems = append(v.Elems, b)
				continue
			case container != quicklistPacked:
				return &Error{Offset: o, Msg: fmt.Sprintf("quicklist node with container %d", container)}
			}
			var elems [][]byte
			if t == TypeListQuicklist2 {
				elems, err = d.parseListNode(b)
			} else {
				elems, err = parseZiplist(b)
			}
			if err != nil {
				return bad(o, "quicklist node", err)
			}
			if v.Elems == nil {
				v.Elems = elems // the usual single node: no copy
			} else {
				v.Elems = append(v.Elems, elems...)
			}
		}
		return nil
	case TypeModule, TypeModule2:
		id, err := r.plainLen()
		if err != nil {
			return err
		}
		return &Error{Offset: at, Msg: fmt.Sprintf("the RDB holds a value of module type '%s' (module id %d): modules are not supported", ModuleName(id), id)}
	case TypeStreamListpacks, TypeStreamListpack2, TypeStreamListpack3:
		return d.readStream(t, v)
	}
	return &Error{Offset: at, Msg: fmt.Sprintf("unknown value type %d", t)}
}

// lpIntRoom is the room read after a compact value's blob for the text
// of its integers: enough for a few, saving an allocation for them.
const lpIntRoom = 24

// lpElems returns room for the elements of listpack b, as many as its
// header announces (nil when it does not say).
func (d *Decoder) lpElems(b []byte) [][]byte {
	if len(b) < lpHeader {
		return nil
	}
	n := int(binary.LittleEndian.Uint16(b[4:]))
	if n == 65535 || n > len(b) {
		return nil
	}
	return d.r.elemsRoom(n)
}

// parseListNode parses a quicklist node's listpack, with the text of its
// integers in scratch room when there is some.
func (d *Decoder) parseListNode(b []byte) ([][]byte, error) {
	r := d.r
	if r.scratch == nil {
		var ar intArena
		return parseListpackTo(b, d.lpElems(b), &ar)
	}
	// No integer's text is longer than twice its listpack entry.
	room := r.take(2*len(b) + 24)
	ar := intArena{buf: room[:0]}
	elems, err := parseListpackTo(b, d.lpElems(b), &ar)
	if unsafe.SliceData(ar.buf) == unsafe.SliceData(room) {
		r.untake(len(room) - len(ar.buf)) // the room the texts left
	}
	return elems, err
}

// oldDouble reads a score of the original sorted set type: a length
// byte, then the number as text (253 nan, 254 +inf, 255 -inf).
func (d *Decoder) oldDouble() (float64, error) {
	c, err := d.r.byte()
	if err != nil {
		return 0, err
	}
	switch c {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	p, err := d.r.next(int(c))
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(p), 64)
	if err != nil {
		return 0, d.r.fail("invalid score %q", p)
	}
	return f, nil
}

// moduleCharset encodes a module type name in its 64-bit id: nine
// characters of 6 bits, then a 10-bit version.
const moduleCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// ModuleName decodes the type name in a module type id.
func ModuleName(id uint64) string {
	var b [9]byte
	for i := range b {
		b[8-i] = moduleCharset[(id>>(10+6*uint(i)))&63]
	}
	return string(b[:])
}

// DecodeDump checks a DUMP payload (version and CRC) and decodes its
// value. ok is false when the footer is wrong; err reports a bad body.
func DecodeDump(p []byte) (v Value, ok bool, err error) {
	if len(p) < 10 {
		return v, false, nil
	}
	body := p[:len(p)-10]
	ver := binary.LittleEndian.Uint16(p[len(p)-10:])
	if ver > Version {
		return v, false, nil
	}
	if CRC64(0, p[:len(p)-8]) != binary.LittleEndian.Uint64(p[len(p)-8:]) {
		return v, false, nil
	}
	if len(body) == 0 {
		return v, true, errors.New("empty payload")
	}
	d := &Decoder{r: newReader(bytes.NewReader(body[1:])), version: int(ver)}
	d.r.off = 1
	if err := d.readValue(body[0], 0, &v); err != nil {
		return v, true, err
	}
	// Redis 7.0 ignores bytes after the value; so does Taconite.
	return v, true, nil
}
