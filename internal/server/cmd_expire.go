package server

import (
	"math"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/rerr"
)

// Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME
// PEXPIRETIME PERSIST.

const (
	expNX = 1 << iota
	expXX
	expGT
	expLT
)

func cmdExpire(c *client, argv [][]byte)    { c.expireGeneric(argv, c.tx.Now, 1000, "expire") }
func cmdPExpire(c *client, argv [][]byte)   { c.expireGeneric(argv, c.tx.Now, 1, "pexpire") }
func cmdExpireAt(c *client, argv [][]byte)  { c.expireGeneric(argv, 0, 1000, "expireat") }
func cmdPExpireAt(c *client, argv [][]byte) { c.expireGeneric(argv, 0, 1, "pexpireat") }

// expireGeneric implements the four EXPIRE forms: the argument times unit
// plus base is the absolute expire time in ms.
func (c *client) expireGeneric(argv [][]byte, base, unit int64, name string) {
	key := argv[1]
	flags := 0
	for _, a := range argv[3:] {
		switch {
		case eq(a, "nx"):
			flags |= expNX
		case eq(a, "xx"):
			flags |= expXX
		case eq(a, "gt"):
			flags |= expGT
		case eq(a, "lt"):
			flags |= expLT
		default:
			c.replyError(rerr.Clean("ERR Unsupported option " + string(a)))
			return
		}
	}
	if flags&expNX != 0 && flags&(expXX|expGT|expLT) != 0 {
		c.replyError("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if flags&expGT != 0 && flags&expLT != 0 {
		c.replyError("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	if unit == 1000 {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.replyError(rerr.InvalidExpire(name))
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-base {
		c.replyError(rerr.InvalidExpire(name))
		return
	}
	when += base
	e, found := c.tx.GetW(key)
	if !found {
		c.replyInt(0)
		return
	}
	cur := e.ExpireAt() // 0: none, i.e. an infinite TTL
	switch {
	case flags&expNX != 0 && cur != 0,
		flags&expXX != 0 && cur == 0,
		flags&expGT != 0 && (cur == 0 || when <= cur),
		flags&expLT != 0 && cur != 0 && when >= cur:
		c.replyInt(0)
		return
	}
	if when <= c.tx.Now {
		c.tx.Delete(key)
		c.dirty()
		c.notify(config.NotifyGeneric, "del", key)
	} else {
		c.tx.SetExpire(key, when)
		c.dirty()
		c.notify(config.NotifyGeneric, "expire", key)
	}
	c.replyInt(1)
}

func cmdTTL(c *client, argv [][]byte)         { c.ttlGeneric(argv[1], false, false) }
func cmdPTTL(c *client, argv [][]byte)        { c.ttlGeneric(argv[1], true, false) }
func cmdExpireTime(c *client, argv [][]byte)  { c.ttlGeneric(argv[1], false, true) }
func cmdPExpireTime(c *client, argv [][]byte) { c.ttlGeneric(argv[1], true, true) }

func (c *client) ttlGeneric(key []byte, ms, absolute bool) {
	e, ok := c.tx.Get(key)
	c.replyTTL(e, ok, ms, absolute)
}

func cmdTTLShared(c *client, argv [][]byte) bool         { return c.ttlShared(argv[1], false, false) }
func cmdPTTLShared(c *client, argv [][]byte) bool        { return c.ttlShared(argv[1], true, false) }
func cmdExpireTimeShared(c *client, argv [][]byte) bool  { return c.ttlShared(argv[1], false, true) }
func cmdPExpireTimeShared(c *client, argv [][]byte) bool { return c.ttlShared(argv[1], true, true) }

// ttlShared is ttlGeneric in shared mode (execShared).
func (c *client) ttlShared(key []byte, ms, absolute bool) bool {
	e, ok, retry := c.tx.GetShared(key)
	if retry {
		return false
	}
	c.replyTTL(e, ok, ms, absolute)
	return true
}

// replyTTL answers TTL, PTTL, EXPIRETIME or PEXPIRETIME for key's entry
// e (ok false: no key).
func (c *client) replyTTL(e kvtable.Entry, ok, ms, absolute bool) {
	if !ok {
		c.replyInt(-2)
		return
	}
	at := e.ExpireAt()
	if at == 0 {
		c.replyInt(-1)
		return
	}
	if absolute {
		if ms {
			c.replyInt(at)
		} else {
			// Rounded to the nearest second without overflowing.
			sec := at / 1000
			if at%1000 >= 500 {
				sec++
			}
			c.replyInt(sec)
		}
		return
	}
	ttl := at - c.tx.Now
	if ttl < 0 {
		ttl = 0
	}
	if ms {
		c.replyInt(ttl)
	} else {
		c.replyInt((ttl + 500) / 1000)
	}
}

func cmdPersist(c *client, argv [][]byte) {
	e, ok := c.tx.GetW(argv[1])
	if !ok || e.ExpireAt() == 0 {
		c.replyInt(0)
		return
	}
	c.tx.SetExpire(argv[1], 0)
	c.dirty()
	c.notify(config.NotifyGeneric, "persist", argv[1])
	c.replyInt(1)
}
