package script

import (
	"encoding/binary"
	"hash/crc64"
	"strings"
)

// FUNCTION DUMP and RESTORE payloads are Redis's: for each library the
// RDB opcode FUNCTION2 (245) and the library code as an RDB string, then
// the RDB version (10, little endian) and the CRC64 (Jones polynomial,
// little endian) of everything before it. Taconite writes strings
// uncompressed (Redis's bytes when rdbcompression is off or LZF saves
// nothing) and reads LZF-compressed ones too.

const (
	rdbOpFunction2   = 245
	rdbOpFunctionOld = 246
	rdbVersion       = 10
)

// crcJones is CRC-64/Jones as reflected table (Redis's crc64).
var crcJones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// redisCRC64 is Redis's crc64: initial value 0, no final xor. Go's
// crc64 complements before and after, hence the complements here.
func redisCRC64(b []byte) uint64 { return ^crc64.Update(^uint64(0), crcJones, b) }

// Dump is FUNCTION DUMP.
func (e *Engine) Dump() []byte {
	var b []byte
	for _, l := range e.Libraries() {
		b = append(b, rdbOpFunction2)
		b = appendRDBString(b, l.Code)
	}
	b = binary.LittleEndian.AppendUint16(b, rdbVersion)
	return binary.LittleEndian.AppendUint64(b, redisCRC64(b))
}

func appendRDBLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, 0x40|byte(n>>8), byte(n))
	case n <= 0xffffffff:
		b = append(b, 0x80)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
	b = append(b, 0x81)
	return binary.BigEndian.AppendUint64(b, n)
}

func appendRDBString(b []byte, s string) []byte {
	b = appendRDBLen(b, uint64(len(s)))
	return append(b, s...)
}

const errBadPayload = "ERR DUMP payload version or checksum are wrong"

type rdbReader struct {
	b []byte
	i int
}

func (r *rdbReader) byte() (byte, bool) {
	if r.i >= len(r.b) {
		return 0, false
	}
	c := r.b[r.i]
	r.i++
	return c, true
}

// length reads an RDB length; enc reports the special string encodings
// (0xC0.. forms) and returns their type in n.
func (r *rdbReader) length() (n uint64, enc bool, ok bool) {
	c, ok := r.byte()
	if !ok {
		return 0, false, false
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), false, true
	case 1:
		d, ok := r.byte()
		return uint64(c&0x3f)<<8 | uint64(d), false, ok
	case 2:
		switch c {
		case 0x80:
			if r.i+4 > len(r.b) {
				return 0, false, false
			}
			n = uint64(binary.BigEndian.Uint32(r.b[r.i:]))
			r.i += 4
			return n, false, true
		case 0x81:
			if r.i+8 > len(r.b) {
				return 0, false, false
			}
			n = binary.BigEndian.Uint64(r.b[r.i:])
			r.i += 8
			return n, false, true
		}
		return 0, false, false
	}
	return uint64(c & 0x3f), true, true
}

func (r *rdbReader) string() (string, bool) {
	n, enc, ok := r.length()
	if !ok {
		return "", false
	}
	if !enc {
		if n > uint64(len(r.b)-r.i) {
			return "", false
		}
		s := string(r.b[r.i : r.i+int(n)])
		r.i += int(n)
		return s, true
	}
	switch n {
	case 0, 1, 2: // 8, 16, 32-bit integers
		size := 1 << n
		if r.i+size > len(r.b) {
			return "", false
		}
		var v int64
		switch size {
		case 1:
			v = int64(int8(r.b[r.i]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(r.b[r.i:])))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(r.b[r.i:])))
		}
		r.i += size
		return itoa(int(v)), true
	case 3: // LZF
		clen, e1, ok1 := r.length()
		ulen, e2, ok2 := r.length()
		if !ok1 || !ok2 || e1 || e2 || clen > uint64(len(r.b)-r.i) || ulen > 512<<20 {
			return "", false
		}
		out, ok := lzfDecompress(r.b[r.i:r.i+int(clen)], int(ulen))
		r.i += int(clen)
		return string(out), ok
	}
	return "", false
}

// lzfDecompress expands LZF data: a control byte below 32 starts a run
// of that many plus one literal bytes; otherwise its top three bits (plus
// an extra byte when they are all set) give a length, and with the next
// byte a back-reference offset.
func lzfDecompress(in []byte, ulen int) ([]byte, bool) {
	out := make([]byte, 0, ulen)
	for i := 0; i < len(in); {
		c := int(in[i])
		i++
		if c < 32 {
			n := c + 1
			if i+n > len(in) || len(out)+n > ulen {
				return nil, false
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := c >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, false
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		off := (c&0x1f)<<8 + int(in[i]) + 1
		i++
		n += 2
		if off > len(out) || len(out)+n > ulen {
			return nil, false
		}
		start := len(out) - off
		for k := 0; k < n; k++ {
			out = append(out, out[start+k])
		}
	}
	return out, len(out) == ulen
}

// Restore is FUNCTION RESTORE with policy FLUSH, APPEND or REPLACE.
func (e *Engine) Restore(payload []byte, policy string) string {
	policy = strings.ToUpper(policy)
	if policy != "FLUSH" && policy != "APPEND" && policy != "REPLACE" {
		return "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
	}
	if len(payload) < 10 {
		return errBadPayload
	}
	body := payload[:len(payload)-8]
	ver := binary.LittleEndian.Uint16(payload[len(payload)-10:])
	if ver > rdbVersion || binary.LittleEndian.Uint64(payload[len(payload)-8:]) != redisCRC64(body) {
		return errBadPayload
	}
	r := &rdbReader{b: payload[:len(payload)-10]}
	var libs []*Library
	seen := map[string]bool{}
	for r.i < len(r.b) {
		op, _ := r.byte()
		if op == rdbOpFunctionOld {
			return "ERR Pre-GA function format not supported"
		}
		if op != rdbOpFunction2 {
			return "ERR given type is not a function"
		}
		code, ok := r.string()
		if !ok {
			return "ERR Failed loading library payload"
		}
		name, rest, msg := parseLibraryHeader(code)
		if msg != "" {
			return msg
		}
		lib, msg := e.buildLibrary(name, code, rest)
		if msg != "" {
			return msg
		}
		if seen[name] {
			return "ERR Library '" + name + "' already exists"
		}
		seen[name] = true
		libs = append(libs, lib)
	}
	e.fmu.Lock()
	defer e.fmu.Unlock()
	if policy == "FLUSH" {
		e.libs = make(map[string]*Library)
		e.funcs = make(map[string]*Function)
	}
	// Check every collision before changing anything.
	newFuncs := map[string]string{}
	for _, l := range libs {
		if _, ok := e.libs[l.Name]; ok && policy == "APPEND" {
			return "ERR Library " + l.Name + " already exists"
		}
		for _, f := range l.Funcs {
			newFuncs[f.Name] = l.Name
		}
	}
	for fname, lname := range newFuncs {
		if other, ok := e.funcs[fname]; ok && other.Lib.Name != lname && !(policy == "REPLACE" && seen[other.Lib.Name]) {
			return "ERR Function " + fname + " already exists"
		}
	}
	for _, l := range libs {
		e.installLocked(l)
	}
	e.fgen.Add(1)
	return ""
}
