package server

import (
	"github.com/taconite/taconite/internal/resp"
)

// Reply helpers: each appends one reply to the client's output buffer,
// honouring CLIENT REPLY OFF/SKIP. Handlers use only these.

func (c *client) muted() bool { return c.replyMode != replyOn }

func (c *client) replyOK() {
	if !c.muted() {
		c.out = resp.AppendOK(c.out)
	}
}

func (c *client) replyStatus(s string) {
	if !c.muted() {
		c.out = resp.AppendStatus(c.out, s)
	}
}

// replyError sends an error and counts it in errorstats.
func (c *client) replyError(msg string) {
	c.s.errStats.add(msg)
	c.errored = true
	if !c.muted() {
		c.out = resp.AppendError(c.out, msg)
	}
}

func (c *client) replyInt(n int64) {
	if !c.muted() {
		c.out = resp.AppendInt(c.out, n)
	}
}

func (c *client) replyBulk(b []byte) {
	if !c.muted() {
		c.out = resp.AppendBulk(c.out, b)
	}
}

func (c *client) replyBulkString(s string) {
	if !c.muted() {
		c.out = resp.AppendBulkString(c.out, s)
	}
}

func (c *client) replyBulkInt(n int64) {
	if !c.muted() {
		c.out = resp.AppendBulkInt(c.out, n)
	}
}

func (c *client) replyNull() {
	if !c.muted() {
		c.out = resp.AppendNullBulk(c.out, c.proto)
	}
}

func (c *client) replyNullArray() {
	if !c.muted() {
		c.out = resp.AppendNullArray(c.out, c.proto)
	}
}

func (c *client) replyArrayLen(n int) {
	if !c.muted() {
		c.out = resp.AppendArrayLen(c.out, n)
	}
}

func (c *client) replyMapLen(n int) {
	if !c.muted() {
		c.out = resp.AppendMapLen(c.out, n, c.proto)
	}
}

func (c *client) replySetLen(n int) {
	if !c.muted() {
		c.out = resp.AppendSetLen(c.out, n, c.proto)
	}
}

func (c *client) replyDouble(f float64) {
	if !c.muted() {
		c.out = resp.AppendDouble(c.out, f, c.proto)
	}
}

func (c *client) replyBool(v bool) {
	if !c.muted() {
		c.out = resp.AppendBool(c.out, v, c.proto)
	}
}

func (c *client) replyVerbatim(s string) {
	if !c.muted() {
		c.out = resp.AppendVerbatim(c.out, "txt", []byte(s), c.proto)
	}
}

// replyStrings sends an array of bulk strings.
func (c *client) replyStrings(ss []string) {
	c.replyArrayLen(len(ss))
	for _, s := range ss {
		c.replyBulkString(s)
	}
}

// replyRaw appends pre-encoded RESP.
func (c *client) replyRaw(b []byte) {
	if !c.muted() {
		c.out = append(c.out, b...)
	}
}
