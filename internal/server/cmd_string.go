package server

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET
// MSETNX INCR DECR INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SUBSTR
// SETRANGE LCS.

// Flags of SET and GETEX, as Redis's parseExtendedStringArgumentsOrReply.
const (
	setNX = 1 << iota
	setXX
	setGet
	setKeepTTL
	setEX
	setPX
	setEXAT
	setPXAT
	setPersist
)

const setExpireFlags = setEX | setPX | setEXAT | setPXAT

// parseSetOptions reads SET's (isSet) or GETEX's options from argv[from:]
// and returns the flags and the absolute expire time in ms (0 if none).
func (c *client) parseSetOptions(argv [][]byte, from int, isSet bool, cmdName string) (flags int, at int64, ok bool) {
	flags, at, msg := setOptions(argv, from, isSet, cmdName, c.tx.Now)
	if msg != "" {
		c.replyError(msg)
		return 0, 0, false
	}
	return flags, at, true
}

// setOptions is parseSetOptions without the reply: the error to reply,
// or "" and the options, the expire time resolved against nowMs.
func setOptions(argv [][]byte, from int, isSet bool, cmdName string, nowMs int64) (flags int, at int64, msg string) {
	var expireArg []byte
	for j := from; j < len(argv); j++ {
		opt := argv[j]
		hasNext := j+1 < len(argv)
		switch {
		case isSet && eq(opt, "nx") && flags&setXX == 0:
			flags |= setNX
		case isSet && eq(opt, "xx") && flags&setNX == 0:
			flags |= setXX
		case isSet && eq(opt, "get"):
			flags |= setGet
		case isSet && eq(opt, "keepttl") && flags&(setPersist|setExpireFlags) == 0:
			flags |= setKeepTTL
		case !isSet && eq(opt, "persist") && flags&(setKeepTTL|setExpireFlags) == 0:
			flags |= setPersist
		case eq(opt, "ex") && flags&(setKeepTTL|setPersist|setPX|setEXAT|setPXAT) == 0 && hasNext:
			flags |= setEX
			j++
			expireArg = argv[j]
		case eq(opt, "px") && flags&(setKeepTTL|setPersist|setEX|setEXAT|setPXAT) == 0 && hasNext:
			flags |= setPX
			j++
			expireArg = argv[j]
		case eq(opt, "exat") && flags&(setKeepTTL|setPersist|setEX|setPX|setPXAT) == 0 && hasNext:
			flags |= setEXAT
			j++
			expireArg = argv[j]
		case eq(opt, "pxat") && flags&(setKeepTTL|setPersist|setEX|setPX|setEXAT) == 0 && hasNext:
			flags |= setPXAT
			j++
			expireArg = argv[j]
		default:
			return 0, 0, rerr.Syntax
		}
	}
	if expireArg != nil {
		ms, ok := parseInt(expireArg)
		if !ok {
			return 0, 0, rerr.NotInt
		}
		unit := int64(1)
		if flags&(setEX|setEXAT) != 0 {
			unit = 1000
		}
		rel := flags&(setEX|setPX) != 0
		if at, ok = expireTime(ms, unit, rel, nowMs); !ok {
			return 0, 0, rerr.InvalidExpire(cmdName)
		}
	}
	return flags, at, ""
}

// expireTime is the Unix ms time an expire argument n in unit (1 or
// 1000 ms) means, relative to nowMs when rel, as SET, SETEX and PSETEX
// read it; false for a value they refuse (not positive, or overflowing).
func expireTime(n, unit int64, rel bool, nowMs int64) (int64, bool) {
	if n <= 0 || (unit == 1000 && n > math.MaxInt64/1000) {
		return 0, false
	}
	at := n * unit
	if rel {
		at += nowMs
		if at <= 0 { // overflowed
			return 0, false
		}
	}
	return at, true
}

func cmdGet(c *client, argv [][]byte) {
	e, found := c.tx.Get(argv[1])
	c.replyGet(e, found)
}

// cmdGetShared is GET in shared mode (execShared).
func cmdGetShared(c *client, argv [][]byte) bool {
	e, found, retry := c.tx.GetShared(argv[1])
	if retry {
		return false
	}
	c.replyGet(e, found)
	return true
}

// replyGet answers GET for key's entry e (found false: no key).
func (c *client) replyGet(e kvtable.Entry, found bool) {
	switch {
	case !found:
		c.replyNull()
	case e.Kind() != keyspace.KindString:
		c.replyError(rerr.WrongType)
	default:
		c.replyBulk(e.Bytes())
	}
}

// cmdSetShared is SET in shared mode (execShared), with no option or
// only an expire time: it rewrites a string of the same length and
// encoding in place (see Tx.SetStringShared). Anything else, an option
// error included, runs exclusively.
func cmdSetShared(c *client, argv [][]byte) bool {
	flags, at, msg := setOptions(argv, 3, true, "set", c.tx.Now)
	if msg != "" || flags&(setNX|setXX|setGet|setKeepTTL) != 0 {
		return false
	}
	return c.setShared(argv[1], argv[2], at)
}

// setShared ends a SET, SETEX or PSETEX in shared mode once its expire
// time (0: none) is known.
func (c *client) setShared(key, val []byte, at int64) bool {
	if !c.tx.SetStringShared(key, val, at) {
		return false
	}
	c.dirty()
	c.notifySet(key, at)
	c.replyOK()
	return true
}

func cmdSetEXShared(c *client, argv [][]byte) bool  { return c.setExShared(argv, 1000) }
func cmdPSetEXShared(c *client, argv [][]byte) bool { return c.setExShared(argv, 1) }

// setExShared is setExGeneric in shared mode; a bad time runs
// exclusively, which replies the error.
func (c *client) setExShared(argv [][]byte, unit int64) bool {
	n, ok := parseInt(argv[2])
	if !ok {
		return false
	}
	at, ok := expireTime(n, unit, true, c.tx.Now)
	return ok && c.setShared(argv[1], argv[3], at)
}

func cmdSet(c *client, argv [][]byte) {
	flags, at, ok := c.parseSetOptions(argv, 3, true, "set")
	if !ok {
		return
	}
	c.setGeneric(argv[1], argv[2], flags, at)
}

// setGeneric is SET's operation, shared by SETNX, SETEX, PSETEX and GETSET.
func (c *client) setGeneric(key, val []byte, flags int, at int64) {
	if flags&(setNX|setXX|setGet|setKeepTTL) == 0 {
		// A plain SET need not look the key up first: one hash lookup.
		// (KEEPTTL must: an expired key's old time must not be kept.)
		if c.s.notifyOn(config.NotifyExpired | config.NotifyNew) {
			// Redis looks the key up first: an expired one fires
			// "expired" and the write then "new".
			c.tx.GetW(key)
		}
		c.tx.SetString(key, val, at)
		c.dirty()
		c.notifySet(key, at)
		c.replyOK()
		return
	}
	e, found := c.tx.GetW(key)
	if flags&setGet != 0 {
		if found && e.Kind() != keyspace.KindString {
			c.replyError(rerr.WrongType)
			return
		}
		if found {
			// Reply before the write: the old value aliases the record.
			c.replyBulk(e.Bytes())
		} else {
			c.replyNull()
		}
	}
	if (flags&setNX != 0 && found) || (flags&setXX != 0 && !found) {
		if flags&setGet == 0 {
			c.replyNull()
		}
		return
	}
	expire := at
	if flags&setKeepTTL != 0 {
		expire = keyspaceKeep
	}
	c.tx.SetString(key, val, expire)
	c.dirty()
	c.notifySet(key, at)
	if flags&setGet == 0 {
		c.replyOK()
	}
}

// notifySet fires SET's events: "set", and "expire" when it gave a time.
func (c *client) notifySet(key []byte, at int64) {
	c.notify(config.NotifyString, "set", key)
	if at != 0 {
		c.notify(config.NotifyGeneric, "expire", key)
	}
}

func cmdSetNX(c *client, argv [][]byte) {
	if c.tx.Exists(argv[1]) {
		c.replyInt(0)
		return
	}
	c.tx.SetString(argv[1], argv[2], 0)
	c.dirty()
	c.notify(config.NotifyString, "set", argv[1])
	c.replyInt(1)
}

func cmdSetEX(c *client, argv [][]byte)  { c.setExGeneric(argv, 1000, "setex") }
func cmdPSetEX(c *client, argv [][]byte) { c.setExGeneric(argv, 1, "psetex") }

func (c *client) setExGeneric(argv [][]byte, unit int64, name string) {
	n, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	at, ok := expireTime(n, unit, true, c.tx.Now)
	if !ok {
		c.replyError(rerr.InvalidExpire(name))
		return
	}
	if c.s.notifyOn(config.NotifyExpired | config.NotifyNew) {
		c.tx.GetW(argv[1]) // as SET: an expired key fires "expired" first
	}
	c.tx.SetString(argv[1], argv[3], at)
	c.dirty()
	c.notifySet(argv[1], at)
	c.replyOK()
}

func cmdGetSet(c *client, argv [][]byte) {
	c.setGeneric(argv[1], argv[2], setGet, 0)
}

func cmdGetDel(c *client, argv [][]byte) {
	v, ok, err := c.tx.GetString(argv[1])
	switch {
	case err != nil:
		c.replyError(rerr.WrongType)
	case !ok:
		c.replyNull()
	default:
		c.replyBulk(v)
		c.tx.Delete(argv[1])
		c.dirty()
		c.notify(config.NotifyGeneric, "del", argv[1])
	}
}

func cmdGetEx(c *client, argv [][]byte) {
	flags, at, ok := c.parseSetOptions(argv, 2, false, "getex")
	if !ok {
		return
	}
	key := argv[1]
	v, found, err := c.tx.GetString(key)
	if err != nil {
		c.replyError(rerr.WrongType)
		return
	}
	if !found {
		c.replyNull()
		return
	}
	c.replyBulk(v)
	switch {
	case flags&setExpireFlags != 0 && at <= c.tx.Now:
		// An expire time already in the past deletes the key, as Redis's
		// checkAlreadyExpired.
		c.tx.Delete(key)
		c.dirty()
		c.notify(config.NotifyGeneric, "del", key)
	case flags&setExpireFlags != 0:
		c.tx.SetExpire(key, at)
		c.dirty()
		c.notify(config.NotifyGeneric, "expire", key)
	case flags&setPersist != 0:
		if e, _ := c.tx.GetW(key); e.ExpireAt() != 0 {
			c.tx.SetExpire(key, 0)
			c.dirty()
			c.notify(config.NotifyGeneric, "persist", key)
		}
	}
}

func cmdMGet(c *client, argv [][]byte) {
	c.replyArrayLen(len(argv) - 1)
	for _, k := range argv[1:] {
		v, ok, err := c.tx.GetString(k)
		if ok && err == nil {
			c.replyBulk(v)
		} else {
			c.replyNull()
		}
	}
}

func cmdMSet(c *client, argv [][]byte)   { c.msetGeneric(argv, false, "mset") }
func cmdMSetNX(c *client, argv [][]byte) { c.msetGeneric(argv, true, "msetnx") }

// msetGeneric sets every pair; with nx, nothing at all if any key exists.
func (c *client) msetGeneric(argv [][]byte, nx bool, name string) {
	if len(argv)%2 == 0 {
		c.replyError(rerr.WrongArity(name))
		return
	}
	if nx {
		for i := 1; i < len(argv); i += 2 {
			if c.tx.Exists(argv[i]) {
				c.replyInt(0)
				return
			}
		}
	}
	check := c.s.notifyOn(config.NotifyExpired | config.NotifyNew)
	for i := 1; i < len(argv); i += 2 {
		if check {
			c.tx.GetW(argv[i]) // as SET: an expired key fires "expired" first
		}
		c.tx.SetString(argv[i], argv[i+1], 0)
		c.notify(config.NotifyString, "set", argv[i])
	}
	c.dirty()
	if nx {
		c.replyInt(1)
	} else {
		c.replyOK()
	}
}

func cmdIncr(c *client, argv [][]byte) { c.incrBy(argv[1], 1) }
func cmdDecr(c *client, argv [][]byte) { c.incrBy(argv[1], -1) }

func cmdIncrBy(c *client, argv [][]byte) {
	n, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	c.incrBy(argv[1], n)
}

func cmdDecrBy(c *client, argv [][]byte) {
	n, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.replyError("ERR decrement would overflow")
		return
	}
	c.incrBy(argv[1], -n)
}

func (c *client) incrBy(key []byte, by int64) {
	e, found := c.tx.GetW(key)
	cur, msg := incrValue(e, found, by)
	if msg != "" {
		c.replyError(msg)
		return
	}
	c.scratch = strconv.AppendInt(c.scratch[:0], cur, 10)
	if !found || !e.Overwrite(c.scratch, keyspace.EncInt) {
		c.tx.SetStringEnc(key, c.scratch, keyspace.EncInt, keyspaceKeep)
	}
	c.incremented(key, cur)
}

// incrValue is what INCRBY by makes of key's entry e (found false: no
// key), or the error to reply.
func incrValue(e kvtable.Entry, found bool, by int64) (int64, string) {
	var cur int64
	if found {
		if e.Kind() != keyspace.KindString {
			return 0, rerr.WrongType
		}
		v, ok := parseInt(e.Bytes())
		if !ok {
			return 0, rerr.NotInt
		}
		cur = v
	}
	if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
		return 0, rerr.Overflow
	}
	return cur + by, ""
}

// incremented ends INCRBY and its kin once key holds cur.
func (c *client) incremented(key []byte, cur int64) {
	c.dirty()
	c.notify(config.NotifyString, "incrby", key)
	c.replyInt(cur)
}

// incrByShared is incrBy in shared mode (execShared): a counter whose
// new value has the old one's length is rewritten in place; a missing
// key or a longer value runs exclusively.
func (c *client) incrByShared(key []byte, by int64) bool {
	e, found, retry := c.tx.GetWShared(key)
	if retry || !found {
		return false
	}
	cur, msg := incrValue(e, found, by)
	if msg != "" {
		c.replyError(msg)
		return true
	}
	c.scratch = strconv.AppendInt(c.scratch[:0], cur, 10)
	if !c.tx.OverwriteShared(c.scratch, keyspace.EncInt) {
		return false
	}
	c.incremented(key, cur)
	return true
}

func cmdIncrShared(c *client, argv [][]byte) bool { return c.incrByShared(argv[1], 1) }
func cmdDecrShared(c *client, argv [][]byte) bool { return c.incrByShared(argv[1], -1) }

// cmdIncrByShared and cmdDecrByShared leave a bad increment to the
// exclusive handler, which replies the error.
func cmdIncrByShared(c *client, argv [][]byte) bool {
	n, ok := parseInt(argv[2])
	return ok && c.incrByShared(argv[1], n)
}

func cmdDecrByShared(c *client, argv [][]byte) bool {
	n, ok := parseInt(argv[2])
	return ok && n != math.MinInt64 && c.incrByShared(argv[1], -n)
}

// longDoublePrec is the mantissa width of the x87 80-bit long double Redis
// computes INCRBYFLOAT in; big.Float at this precision gives the same
// results and, printed with %.17Lf's rules, the same strings.
const longDoublePrec = 64

// parseLongDouble parses as Redis's string2ld.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= 5*1024 || isSpace(b[0]) {
		return nil, false
	}
	s := string(b)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i] // strtold stops at the C string's end
	}
	// strtold reads decimal and, with a 0x prefix, hexadecimal floats;
	// big.ParseFloat's base 0 would also take 0b/0o prefixes and
	// underscores, which strtold does not.
	base := 10
	if u := strings.TrimLeft(s, "+-"); len(u) > 2 && u[0] == '0' && (u[1] == 'x' || u[1] == 'X') && !strings.Contains(u, "_") {
		base = 0
	}
	f, _, err := big.ParseFloat(s, base, longDoublePrec, big.ToNearestEven)
	if err != nil {
		ls := strings.ToLower(strings.TrimLeft(s, "+-"))
		if ls == "inf" || ls == "infinity" {
			return new(big.Float).SetInf(strings.HasPrefix(s, "-")), true
		}
		return nil, false
	}
	return f, true
}

// formatLongDouble prints as Redis's ld2string in human-friendly mode:
// %.17Lf with trailing zeros (and a trailing '.') removed.
func formatLongDouble(f *big.Float) string {
	if f.IsInf() {
		if f.Sign() < 0 {
			return "-inf"
		}
		return "inf"
	}
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// maxLongDouble bounds the finite range of an x87 long double; beyond it
// Redis's arithmetic gives infinity.
var maxLongDoubleExp = 16384

func cmdIncrByFloat(c *client, argv [][]byte) {
	key := argv[1]
	e, found := c.tx.GetW(key)
	cur := new(big.Float).SetPrec(longDoublePrec)
	if found {
		if e.Kind() != keyspace.KindString {
			c.replyError(rerr.WrongType)
			return
		}
		v, ok := parseLongDouble(e.Bytes())
		if !ok {
			c.replyError(rerr.NotFloat)
			return
		}
		cur = v
	}
	incr, ok := parseLongDouble(argv[2])
	if !ok {
		c.replyError(rerr.NotFloat)
		return
	}
	if cur.IsInf() || incr.IsInf() {
		c.replyError(rerr.NaNOrInf)
		return
	}
	sum := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven).Add(cur, incr)
	if sum.MantExp(nil) > maxLongDoubleExp {
		c.replyError(rerr.NaNOrInf)
		return
	}
	s := formatLongDouble(sum)
	// Redis stores the printed result as a plain string (never int).
	enc := keyspace.EncEmbstr
	if len(s) > 44 {
		enc = keyspace.EncRaw
	}
	c.tx.SetStringEnc(key, []byte(s), enc, keyspaceKeep)
	c.dirty()
	c.notify(config.NotifyString, "incrbyfloat", key)
	c.replyBulkString(s)
}

func cmdAppend(c *client, argv [][]byte) {
	key, data := argv[1], argv[2]
	e, found := c.tx.GetW(key)
	if !found {
		c.tx.SetString(key, data, 0)
		c.dirty()
		c.notify(config.NotifyString, "append", key)
		c.replyInt(int64(len(data)))
		return
	}
	if e.Kind() != keyspace.KindString {
		c.replyError(rerr.WrongType)
		return
	}
	if int64(len(e.Bytes())+len(data)) > c.s.maxBulkLen.Load() {
		c.replyError(rerr.StringTooBig)
		return
	}
	n := c.tx.Append(key, data)
	c.dirty()
	c.notify(config.NotifyString, "append", key)
	c.replyInt(int64(n))
}

func cmdStrlen(c *client, argv [][]byte) {
	e, found := c.tx.Get(argv[1])
	c.replyStrlen(e, found)
}

// cmdStrlenShared is STRLEN in shared mode (execShared).
func cmdStrlenShared(c *client, argv [][]byte) bool {
	e, found, retry := c.tx.GetShared(argv[1])
	if retry {
		return false
	}
	c.replyStrlen(e, found)
	return true
}

// replyStrlen answers STRLEN for key's entry e (found false: no key).
func (c *client) replyStrlen(e kvtable.Entry, found bool) {
	switch {
	case !found:
		c.replyInt(0)
	case e.Kind() != keyspace.KindString:
		c.replyError(rerr.WrongType)
	default:
		c.replyInt(int64(len(e.Bytes())))
	}
}

func cmdGetRange(c *client, argv [][]byte) {
	start, ok1 := parseInt(argv[2])
	end, ok2 := parseInt(argv[3])
	if !ok1 || !ok2 {
		c.replyError(rerr.NotInt)
		return
	}
	v, found, err := c.tx.GetString(argv[1])
	if err != nil {
		c.replyError(rerr.WrongType)
		return
	}
	if !found {
		c.replyBulk(nil)
		return
	}
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		c.replyBulk(nil)
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.replyBulk(nil)
		return
	}
	c.replyBulk(v[start : end+1])
}

func cmdSetRange(c *client, argv [][]byte) {
	key, val := argv[1], argv[3]
	off, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	if off < 0 {
		c.replyError(rerr.OffsetRange)
		return
	}
	e, found := c.tx.GetW(key)
	if found && e.Kind() != keyspace.KindString {
		c.replyError(rerr.WrongType)
		return
	}
	cur := 0
	if found {
		cur = len(e.Bytes())
	}
	if len(val) == 0 {
		c.replyInt(int64(cur))
		return
	}
	if off > c.s.maxBulkLen.Load()-int64(len(val)) {
		c.replyError(rerr.StringTooBig)
		return
	}
	if !found {
		c.tx.SetStringEnc(key, nil, keyspace.EncRaw, 0)
	}
	b := c.tx.MutableString(key, int(off)+len(val))
	copy(b[off:], val)
	c.dirty()
	c.notify(config.NotifyString, "setrange", key)
	c.replyInt(int64(len(b)))
}
