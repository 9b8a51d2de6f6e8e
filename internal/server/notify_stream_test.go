package server_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

// Keyspace events around blocked stream reads, which a golden script
// cannot hold. Each case was checked against redis-server 7.0.15: the
// command that wakes a reader fires its own events first, then the woken
// XREADGROUP creates its consumer ("xgroup-createconsumer") if serving it
// needs one; a woken read never counts as a key miss.

// xsEv is one expected event on key.
func xsEv(event, key string) [2]string { return [2]string{event, key} }

// xsBlock sends a blocking command on b and waits until it is blocked.
func xsBlock(t *testing.T, c, b *servertest.Conn, args ...string) {
	t.Helper()
	b.Send([]byte(xsCommand(args...)))
	notifyWaitBlocked(t, c, 1)
}

// xsCommand encodes a command as RESP.
func xsCommand(args ...string) string {
	out := "*" + strconv.Itoa(len(args)) + "\r\n"
	for _, a := range args {
		out += notifyBulk(a)
	}
	return out
}

// xsEntryReply is the RESP2 reply of a read that got one entry id f v of key.
func xsEntryReply(key, id string) string {
	return "*1\r\n*2\r\n" + notifyBulk(key) + "*1\r\n*2\r\n" + notifyBulk(id) + "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
}

func xsSetup(t *testing.T, flags string) (s *servertest.Server, c, b, sub *servertest.Conn) {
	t.Helper()
	s = servertest.Start(t)
	c = s.Dial(t)
	b = s.Dial(t)
	c.Do("CONFIG", "SET", "notify-keyspace-events", flags)
	sub = notifySubscriber(t, s)
	return s, c, b, sub
}

// TestNotifyStreamWokenReadGroup: a blocked XREADGROUP creates its
// consumer only when it is served, after the events of the XADD that
// woke it.
func TestNotifyStreamWokenReadGroup(t *testing.T) {
	_, c, b, sub := xsSetup(t, "KEA")
	c.Do("XADD", "s", "1-0", "f", "v")
	c.Do("XGROUP", "CREATE", "s", "g", "$")
	notifyExpect(t, sub, xsEv("xadd", "s"), xsEv("xgroup-create", "s"))

	// Blocking creates nothing yet.
	xsBlock(t, c, b, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
	notifyQuiet(t, sub)
	c.Do("XADD", "s", "2-0", "f", "v")
	if got, want := b.ReadRaw(), xsEntryReply("s", "2-0"); got != want {
		t.Fatalf("XREADGROUP: %q want %q", got, want)
	}
	notifyExpect(t, sub, xsEv("xadd", "s"), xsEv("xgroup-createconsumer", "s"))
	notifyQuiet(t, sub)

	// The consumer exists now: waking it again fires only the XADD's.
	xsBlock(t, c, b, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
	c.Do("XADD", "s", "3-0", "f", "v")
	if got, want := b.ReadRaw(), xsEntryReply("s", "3-0"); got != want {
		t.Fatalf("XREADGROUP: %q want %q", got, want)
	}
	notifyExpect(t, sub, xsEv("xadd", "s"))
	notifyQuiet(t, sub)

	// A trimming XADD: xadd, xtrim, then the reader's consumer (NOACK
	// changes nothing here).
	xsBlock(t, c, b, "XREADGROUP", "GROUP", "g", "c2", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
	c.Do("XADD", "s", "MAXLEN", "1", "4-0", "f", "v")
	if got, want := b.ReadRaw(), xsEntryReply("s", "4-0"); got != want {
		t.Fatalf("XREADGROUP: %q want %q", got, want)
	}
	notifyExpect(t, sub, xsEv("xadd", "s"), xsEv("xtrim", "s"), xsEv("xgroup-createconsumer", "s"))
	notifyQuiet(t, sub)

	// A consumer deleted while its reader waits is created again when
	// the reader is served, after everything the transaction fired.
	xsBlock(t, c, b, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
	c.Do("MULTI")
	c.Do("XADD", "s", "5-0", "f", "v")
	c.Do("XGROUP", "DELCONSUMER", "s", "g", "c")
	c.Do("XADD", "s", "6-0", "f", "v")
	c.Do("EXEC")
	want := "*1\r\n*2\r\n$1\r\ns\r\n*2\r\n" +
		"*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n" +
		"*2\r\n$3\r\n6-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
	if got := b.ReadRaw(); got != want {
		t.Fatalf("XREADGROUP: %q want %q", got, want)
	}
	notifyExpect(t, sub, xsEv("xadd", "s"), xsEv("xgroup-delconsumer", "s"), xsEv("xadd", "s"),
		xsEv("xgroup-createconsumer", "s"))
	notifyQuiet(t, sub)

	// Commands that do not wake a reader fire their own events only;
	// the next XADD serves it.
	xsBlock(t, c, b, "XREADGROUP", "GROUP", "g", "c3", "BLOCK", "0", "STREAMS", "s", ">")
	c.Do("XDEL", "s", "6-0")
	c.Do("XGROUP", "SETID", "s", "g", "$")
	c.Do("XTRIM", "s", "MAXLEN", "0")
	c.Do("XSETID", "s", "7-0")
	c.Do("XGROUP", "CREATECONSUMER", "s", "g", "c3")
	c.Do("XADD", "s", "8-0", "f", "v")
	if got, want := b.ReadRaw(), xsEntryReply("s", "8-0"); got != want {
		t.Fatalf("XREADGROUP: %q want %q", got, want)
	}
	notifyExpect(t, sub, xsEv("xdel", "s"), xsEv("xgroup-setid", "s"), xsEv("xtrim", "s"), xsEv("xsetid", "s"),
		xsEv("xgroup-createconsumer", "s"), xsEv("xadd", "s"))
	notifyQuiet(t, sub)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "")
}

// TestNotifyStreamWokenReadGroupTwoStreams: only the stream that is
// served gets the consumer.
func TestNotifyStreamWokenReadGroupTwoStreams(t *testing.T) {
	_, c, b, sub := xsSetup(t, "KEA")
	for _, k := range []string{"s", "t"} {
		c.Do("XADD", k, "1-0", "f", "v")
		c.Do("XGROUP", "CREATE", k, "g", "$")
		notifyExpect(t, sub, xsEv("xadd", k), xsEv("xgroup-create", k))
	}
	xsBlock(t, c, b, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", "t", ">", ">")
	c.Do("XADD", "t", "2-0", "f", "v")
	if got, want := b.ReadRaw(), xsEntryReply("t", "2-0"); got != want {
		t.Fatalf("XREADGROUP: %q want %q", got, want)
	}
	notifyExpect(t, sub, xsEv("xadd", "t"), xsEv("xgroup-createconsumer", "t"))
	notifyQuiet(t, sub)
	if got, want := c.Do("XINFO", "CONSUMERS", "s", "g"), "*0\r\n"; got != want {
		t.Fatalf("XINFO CONSUMERS s: %q", got)
	}
	c.Do("CONFIG", "SET", "notify-keyspace-events", "")
}

// TestNotifyStreamGoneWhileBlocked: a reader whose stream or group goes
// away gets its error and fires nothing; only the deletion is seen.
func TestNotifyStreamGoneWhileBlocked(t *testing.T) {
	_, c, b, sub := xsSetup(t, "KEA")
	setup := func() {
		c.Do("XADD", "s", "1-0", "f", "v")
		c.Do("XGROUP", "CREATE", "s", "g", "$")
		notifyExpect(t, sub, xsEv("xadd", "s"), xsEv("xgroup-create", "s"))
	}
	setup()
	xsBlock(t, c, b, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
	c.Do("DEL", "s")
	if got, want := b.ReadRaw(), "-UNBLOCKED the stream key no longer exists\r\n"; got != want {
		t.Fatalf("XREADGROUP: %q", got)
	}
	notifyExpect(t, sub, xsEv("del", "s"))
	notifyQuiet(t, sub)

	setup()
	xsBlock(t, c, b, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
	c.Do("XGROUP", "DESTROY", "s", "g")
	if got, want := b.ReadRaw(), "-NOGROUP the consumer group this client was blocked on no longer exists\r\n"; got != want {
		t.Fatalf("XREADGROUP: %q", got)
	}
	notifyExpect(t, sub, xsEv("xgroup-destroy", "s"))
	notifyQuiet(t, sub)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "")
}

// TestNotifyStreamWokenRead: XREAD fires nothing itself. Its lookups
// count as misses ("keymiss", twice per missing key, as Redis looks each
// key up twice) when it runs, but not when it is woken.
func TestNotifyStreamWokenRead(t *testing.T) {
	_, c, b, sub := xsSetup(t, "KEAnm")
	c.Do("XADD", "s", "1-0", "f", "v")
	notifyExpect(t, sub, xsEv("new", "s"), xsEv("xadd", "s"))

	xsBlock(t, c, b, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	notifyQuiet(t, sub)
	c.Do("XADD", "s", "2-0", "f", "v")
	if got, want := b.ReadRaw(), xsEntryReply("s", "2-0"); got != want {
		t.Fatalf("XREAD: %q want %q", got, want)
	}
	notifyExpect(t, sub, xsEv("xadd", "s"))
	notifyQuiet(t, sub)

	xsBlock(t, c, b, "XREAD", "BLOCK", "0", "STREAMS", "nosuch", "s", "$", "$")
	notifyExpect(t, sub, xsEv("keymiss", "nosuch"), xsEv("keymiss", "nosuch"))
	c.Do("XADD", "s", "3-0", "f", "v")
	if got, want := b.ReadRaw(), xsEntryReply("s", "3-0"); got != want {
		t.Fatalf("XREAD: %q want %q", got, want)
	}
	notifyExpect(t, sub, xsEv("xadd", "s"))
	notifyQuiet(t, sub)

	xsBlock(t, c, b, "XREAD", "BLOCK", "0", "STREAMS", "n2", "$")
	notifyExpect(t, sub, xsEv("keymiss", "n2"), xsEv("keymiss", "n2"))
	c.Do("XADD", "n2", "1-0", "f", "v")
	if got, want := b.ReadRaw(), xsEntryReply("n2", "1-0"); got != want {
		t.Fatalf("XREAD: %q want %q", got, want)
	}
	notifyExpect(t, sub, xsEv("new", "n2"), xsEv("xadd", "n2"))
	notifyQuiet(t, sub)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "")
}

// TestNotifyStreamKeyspaceStats: XREAD and XREADGROUP count each key
// twice in keyspace_hits/misses, as Redis does.
func TestNotifyStreamKeyspaceStats(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("XADD", "s", "1-0", "f", "v")
	c.Do("XGROUP", "CREATE", "s", "g", "$")
	stats := func() string {
		info := c.Do("INFO", "stats")
		return notifyStatLine(info, "keyspace_hits") + " " + notifyStatLine(info, "keyspace_misses")
	}
	c.Do("CONFIG", "RESETSTAT")
	c.Do("XREAD", "STREAMS", "s", "nosuch", "0", "0")
	if got, want := stats(), "keyspace_hits:2 keyspace_misses:2"; got != want {
		t.Fatalf("XREAD: %s, want %s", got, want)
	}
	c.Do("CONFIG", "RESETSTAT")
	c.Do("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
	if got, want := stats(), "keyspace_hits:2 keyspace_misses:0"; got != want {
		t.Fatalf("XREADGROUP: %s, want %s", got, want)
	}
}

// notifyStatLine returns the "name:value" line of an INFO reply.
func notifyStatLine(info, name string) string {
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, name+":") {
			return l
		}
	}
	return ""
}
