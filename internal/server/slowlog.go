package server

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// slowlog keeps the last slowlog-max-len commands slower than
// slowlog-log-slower-than microseconds, newest first.
type slowlog struct {
	mu      sync.Mutex // guards the fields below
	entries []slowEntry
	nextID  int64
}

type slowEntry struct {
	id   int64
	at   int64 // unix seconds
	usec int64
	args [][]byte
	addr string
	name string
}

// Redis's limits on what one entry keeps.
const (
	slowlogMaxArgc   = 32
	slowlogMaxArgLen = 128
)

func (l *slowlog) maybeAdd(s *Server, c *client, argv [][]byte, d time.Duration) {
	limit := s.slowlogSlower.Load()
	if limit < 0 || d.Microseconds() < limit {
		return
	}
	e := slowEntry{at: time.Now().Unix(), usec: d.Microseconds(), addr: c.raddr}
	c.mu.Lock()
	e.name = c.name
	c.mu.Unlock()
	n := len(argv)
	if n > slowlogMaxArgc {
		n = slowlogMaxArgc
	}
	for i := 0; i < n; i++ {
		if i == slowlogMaxArgc-1 && len(argv) > slowlogMaxArgc {
			e.args = append(e.args, []byte(fmt.Sprintf("... (%d more arguments)", len(argv)-slowlogMaxArgc+1)))
			break
		}
		a := argv[i]
		if len(a) > slowlogMaxArgLen {
			a = append(append([]byte(nil), a[:slowlogMaxArgLen]...), fmt.Sprintf("... (%d more bytes)", len(argv[i])-slowlogMaxArgLen)...)
		} else {
			a = append([]byte(nil), a...)
		}
		e.args = append(e.args, a)
	}
	l.mu.Lock()
	e.id = l.nextID
	l.nextID++
	l.entries = append([]slowEntry{e}, l.entries...)
	max := int(s.slowlogMax.Load())
	if len(l.entries) > max {
		l.entries = l.entries[:max]
	}
	l.mu.Unlock()
}

func (l *slowlog) trim(max int) {
	l.mu.Lock()
	if len(l.entries) > max {
		l.entries = l.entries[:max]
	}
	l.mu.Unlock()
}

// cmdSlowlog: SLOWLOG GET [count] | LEN | RESET | HELP.
func cmdSlowlogGet(c *client, argv [][]byte) {
	l := &c.s.slowlog
	count := 10
	if len(argv) == 3 {
		n, err := strconv.ParseInt(string(argv[2]), 10, 64)
		if err != nil || n < -1 {
			c.replyError("ERR count should be greater than or equal to -1")
			return
		}
		if n == -1 {
			count = 1 << 30
		} else {
			count = int(n)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if count > len(l.entries) {
		count = len(l.entries)
	}
	c.replyArrayLen(count)
	for _, e := range l.entries[:count] {
		c.replyArrayLen(6)
		c.replyInt(e.id)
		c.replyInt(e.at)
		c.replyInt(e.usec)
		c.replyArrayLen(len(e.args))
		for _, a := range e.args {
			c.replyBulk(a)
		}
		c.replyBulkString(e.addr)
		c.replyBulkString(e.name)
	}
}

func cmdSlowlogLen(c *client, argv [][]byte) {
	c.s.slowlog.mu.Lock()
	n := len(c.s.slowlog.entries)
	c.s.slowlog.mu.Unlock()
	c.replyInt(int64(n))
}

func cmdSlowlogReset(c *client, argv [][]byte) {
	c.s.slowlog.mu.Lock()
	c.s.slowlog.entries = nil
	c.s.slowlog.mu.Unlock()
	c.replyOK()
}

func cmdSlowlogHelp(c *client, argv [][]byte) {
	c.replyHelp("SLOWLOG",
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	)
}

// replyHelp answers a HELP subcommand the way Redis's addReplyHelp does:
// a header line, the given lines, and the HELP line.
func (c *client) replyHelp(container string, lines ...string) {
	c.replyArrayLen(len(lines) + 3)
	c.replyStatus(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.replyStatus(l)
	}
	c.replyStatus("HELP")
	c.replyStatus("    Prints this help.")
}
