package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/taconite/taconite/internal/acl"
	"github.com/taconite/taconite/internal/rerr"
)

// Connection commands: PING ECHO QUIT RESET HELLO AUTH and CLIENT.

func cmdPing(c *client, argv [][]byte) {
	if len(argv) > 2 {
		c.replyError(rerr.WrongArity("ping"))
		return
	}
	if c.proto == 2 && c.subscribed() {
		// In the subscribed context PING answers as a message would.
		c.replyArrayLen(2)
		c.replyBulkString("pong")
		if len(argv) == 2 {
			c.replyBulk(argv[1])
		} else {
			c.replyBulkString("")
		}
		return
	}
	if len(argv) == 2 {
		c.replyBulk(argv[1])
		return
	}
	c.replyStatus(rerr.Pong)
}

func cmdEcho(c *client, argv [][]byte) { c.replyBulk(argv[1]) }

func cmdQuit(c *client, argv [][]byte) {
	c.replyOK()
	c.closeAfter = true
}

func cmdReset(c *client, argv [][]byte) {
	c.multi = nil
	c.multiShared.Store(-1)
	c.unwatchAll()
	c.unsubscribeAll()
	c.s.disableTracking(c)
	c.db = 0
	c.dbShared.Store(0)
	c.setProto(2)
	c.acl.entry.Store(nil)
	c.authed = c.s.defaultOpen()
	c.replyMode = replyOn
	c.mu.Lock()
	c.name = ""
	c.noEvict = false
	wasMonitor := c.monitor
	c.monitor = false
	c.mu.Unlock()
	if wasMonitor {
		c.s.removeMonitor(c)
	}
	c.replyStatus("RESET")
}

func cmdAuth(c *client, argv [][]byte) {
	if len(argv) > 3 {
		c.replyError(rerr.Syntax)
		return
	}
	var user, pass []byte
	if len(argv) == 2 {
		// As Redis: the one-argument form makes no sense when the
		// default user takes any password.
		if c.s.acl.reg.Default().User().NoPass {
			c.replyError(rerr.NoPasswordSet)
			return
		}
		pass = argv[1]
	} else {
		user, pass = argv[1], argv[2]
	}
	if !c.authenticate(user, pass, argv[0]) {
		c.replyError(rerr.WrongPass)
		return
	}
	c.replyOK()
}

// validClientName reports whether a name has only printable ASCII without
// spaces, as CLIENT SETNAME requires.
func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func cmdHello(c *client, argv [][]byte) {
	proto := c.proto
	if len(argv) >= 2 {
		v, ok := parseInt(argv[1])
		if !ok {
			c.replyError("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.replyError(rerr.NoProto)
			return
		}
		proto = int(v)
	}
	// Options take effect as they are read, as in Redis: a SETNAME before
	// a failing AUTH (or a bad option) has named the client, an AUTH
	// before a bad option has authenticated it.
	for j := 2; j < len(argv); j++ {
		more := len(argv) - j - 1
		switch {
		case eq(argv[j], "auth") && more >= 2:
			if !c.authenticate(argv[j+1], argv[j+2], argv[0]) {
				c.replyError(rerr.WrongPass)
				return
			}
			c.authed = true
			j += 2
		case eq(argv[j], "setname") && more >= 1:
			name := argv[j+1]
			if !validClientName(name) {
				c.replyError(rerr.ClientName)
				return
			}
			c.mu.Lock()
			c.name = string(name)
			c.mu.Unlock()
			j++
		default:
			c.replyError(rerr.Clean("ERR Syntax error in HELLO option '" + string(argv[j]) + "'"))
			return
		}
	}
	if !c.authed {
		c.replyError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	c.setProto(proto)
	c.replyMapLen(7)
	c.replyBulkString("server")
	c.replyBulkString("redis")
	c.replyBulkString("version")
	c.replyBulkString(RedisVersion)
	c.replyBulkString("proto")
	c.replyInt(int64(proto))
	c.replyBulkString("id")
	c.replyInt(c.id)
	c.replyBulkString("mode")
	c.replyBulkString("standalone")
	c.replyBulkString("role")
	c.replyBulkString("master")
	c.replyBulkString("modules")
	c.replyArrayLen(0)
}

func cmdClientID(c *client, argv [][]byte) { c.replyInt(c.id) }

func cmdClientSetName(c *client, argv [][]byte) {
	if !validClientName(argv[2]) {
		c.replyError(rerr.ClientName)
		return
	}
	c.mu.Lock()
	c.name = string(argv[2])
	c.mu.Unlock()
	c.replyOK()
}

func cmdClientGetName(c *client, argv [][]byte) {
	c.mu.Lock()
	name := c.name
	c.mu.Unlock()
	if name == "" {
		c.replyNull()
		return
	}
	c.replyBulkString(name)
}

// parseOnOff reads an ON/OFF argument; false means it replied.
func (c *client) parseOnOff(b []byte) (bool, bool) {
	switch {
	case eq(b, "on"):
		return true, true
	case eq(b, "off"):
		return false, true
	}
	c.replyError(rerr.Syntax)
	return false, false
}

func cmdClientNoEvict(c *client, argv [][]byte) {
	on, ok := c.parseOnOff(argv[2])
	if !ok {
		return
	}
	c.mu.Lock()
	c.noEvict = on
	c.mu.Unlock()
	c.replyOK()
}

func cmdClientReply(c *client, argv [][]byte) {
	switch {
	case eq(argv[2], "on"):
		c.replyMode = replyOn
		c.replyOK()
	case eq(argv[2], "off"):
		c.replyMode = replyOff
	case eq(argv[2], "skip"):
		if c.replyMode == replyOn || c.replyMode == replySkipThis {
			c.replyMode = replySkipNext
		}
	default:
		c.replyError(rerr.Syntax)
	}
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR] ends another client's blocking wait,
// as if it timed out or with an error.
func cmdClientUnblock(c *client, argv [][]byte) {
	id, ok := c.argInt(argv[2])
	if !ok {
		return
	}
	withError := false
	if len(argv) == 4 {
		switch {
		case eq(argv[3], "timeout"):
		case eq(argv[3], "error"):
			withError = true
		default:
			c.replyError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	c.s.mu.Lock()
	target := c.s.clients[id]
	c.s.mu.Unlock()
	if target == nil || !target.blockedFlag.Load() {
		c.replyInt(0)
		return
	}
	target.loop.post(func() {
		w := target.blocked
		if w == nil {
			return
		}
		reply := w.onTimeout
		if withError {
			reply = func(x *client) { x.replyError("UNBLOCKED client unblocked via CLIENT UNBLOCK") }
		}
		target.endWait(w, reply)
	})
	c.replyInt(1)
}

func cmdClientPause(c *client, argv [][]byte) {
	ms, ok := c.argTimeoutMs(argv[2])
	if !ok {
		return
	}
	writeOnly := false
	if len(argv) == 4 {
		switch {
		case eq(argv[3], "write"):
			writeOnly = true
		case eq(argv[3], "all"):
		default:
			c.replyError("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	s := c.s
	s.pauseMu.Lock()
	until := time.Now().Add(time.Duration(ms) * time.Millisecond)
	// As in Redis 7.0, a pause never shortens one already in force, and
	// the latest pause's kind holds (WRITE after ALL pauses writes only).
	if s.pauseUntil.IsZero() || until.After(s.pauseUntil) {
		s.setPauseUntil(until)
	}
	s.pauseWrite = writeOnly
	if s.pauseTimer != nil {
		s.pauseTimer.Stop()
	}
	s.pauseTimer = time.AfterFunc(time.Until(s.pauseUntil), s.resumePaused)
	s.pauseMu.Unlock()
	c.replyOK()
}

func cmdClientUnpause(c *client, argv [][]byte) {
	s := c.s
	s.pauseMu.Lock()
	s.setPauseUntil(time.Time{})
	if s.pauseTimer != nil {
		s.pauseTimer.Stop()
	}
	s.pauseMu.Unlock()
	s.resumePaused()
	c.replyOK()
}

// info renders one CLIENT LIST line (without the newline).
func (c *client) info() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	t := &c.s.tracking
	t.mu.Lock()
	trk := c.trk
	t.mu.Unlock()
	redir := int64(-1)
	if trk.on {
		redir = trk.redirect
	}
	// In Redis's order.
	flags := ""
	if c.monitor {
		flags += "O"
	}
	if c.subCountShared.Load() > 0 {
		flags += "P"
	}
	if c.multiShared.Load() >= 0 {
		flags += "x"
	}
	if c.blockedFlag.Load() {
		flags += "b"
	}
	if trk.on {
		flags += "t"
		if trk.redirect != 0 && c.s.clientByID(trk.redirect) == nil {
			flags += "R"
		}
		if trk.bcast {
			flags += "B"
		}
	}
	if c.watchDirty.Load() {
		flags += "d"
	}
	if c.noEvict {
		flags += "e"
	}
	if flags == "" {
		flags = "N"
	}
	cmd := "NULL"
	if lc := c.lastCmd.Load(); lc != nil {
		cmd = lc.FullName()
	}
	idle := (now.UnixMilli() - c.lastIO.Load()) / 1000
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d multi=%d qbuf=%d qbuf-free=%d argv-mem=0 multi-mem=0 rbs=%d rbp=0 obl=0 oll=0 omem=0 tot-mem=%d events=r cmd=%s user=%s redir=%d resp=%d",
		c.id, c.raddr, c.laddr, c.fd, c.name, int(now.Sub(c.created).Seconds()), idle, flags,
		c.dbShared.Load(), c.subKinds[subChannel].Load(), c.subKinds[subPattern].Load(), c.subKinds[subShard].Load(), c.multiShared.Load(), c.qbuf.Load(), 0, readBufInitial, readBufInitial, cmd, c.userName(), redir, c.protoShared())
}

func (c *client) protoShared() int { return int(c.protoAtomic.Load()) }

func cmdClientInfo(c *client, argv [][]byte) {
	c.lastCmd.Store(c.s.lookupFullName("client|info"))
	c.replyVerbatim(c.info() + "\n")
}

// clientTypeOK checks a TYPE filter value.
func clientTypeOK(b []byte) bool {
	return eq(b, "normal") || eq(b, "master") || eq(b, "replica") || eq(b, "slave") || eq(b, "pubsub")
}

// clientIsType: every client is "normal" until replication and pub/sub exist.
func clientIsType(cl *client, b []byte) bool { return eq(b, "normal") }

func cmdClientList(c *client, argv [][]byte) {
	var typ []byte
	var ids map[int64]bool
	for j := 2; j < len(argv); j++ {
		switch {
		case eq(argv[j], "type") && j+1 < len(argv):
			typ = argv[j+1]
			if !clientTypeOK(typ) {
				c.replyError(rerr.Clean("ERR Unknown client type '" + string(typ) + "'"))
				return
			}
			j++
		case eq(argv[j], "id") && j+1 < len(argv):
			ids = map[int64]bool{}
			for j++; j < len(argv); j++ {
				id, err := strconv.ParseInt(string(argv[j]), 10, 64)
				if err != nil {
					c.replyError("ERR Invalid client ID")
					return
				}
				ids[id] = true
			}
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	c.lastCmd.Store(c.s.lookupFullName("client|list"))
	var b strings.Builder
	for _, cl := range c.s.clientsSorted() {
		if typ != nil && !clientIsType(cl, typ) {
			continue
		}
		if ids != nil && !ids[cl.id] {
			continue
		}
		b.WriteString(cl.info())
		b.WriteByte('\n')
	}
	c.replyVerbatim(b.String())
}

func cmdClientKill(c *client, argv [][]byte) {
	s := c.s
	if len(argv) == 3 {
		// Old form: CLIENT KILL addr.
		for _, cl := range s.clientsSorted() {
			if cl.raddr == string(argv[2]) {
				cl.kill()
				c.replyOK()
				return
			}
		}
		c.replyError(rerr.NoSuchClient)
		return
	}
	var (
		id             int64
		typ, addr, lad []byte
		user           *acl.Entry
		skipme         = true
	)
	if len(argv)%2 != 0 {
		c.replyError(rerr.Syntax)
		return
	}
	for j := 2; j+1 < len(argv); j += 2 {
		v := argv[j+1]
		switch {
		case eq(argv[j], "id"):
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil || n <= 0 {
				c.replyError("ERR client-id should be greater than 0")
				return
			}
			id = n
		case eq(argv[j], "type"):
			if !clientTypeOK(v) {
				c.replyError(rerr.Clean("ERR Unknown client type '" + string(v) + "'"))
				return
			}
			typ = v
		case eq(argv[j], "addr"):
			addr = v
		case eq(argv[j], "laddr"):
			lad = v
		case eq(argv[j], "user"):
			if user = s.acl.reg.Get(string(v)); user == nil {
				c.replyError(rerr.Clean("ERR No such user '" + string(v) + "'"))
				return
			}
		case eq(argv[j], "skipme"):
			switch {
			case eq(v, "yes"):
				skipme = true
			case eq(v, "no"):
				skipme = false
			default:
				c.replyError(rerr.Syntax)
				return
			}
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	killed := 0
	for _, cl := range s.clientsSorted() {
		if id != 0 && cl.id != id {
			continue
		}
		if typ != nil && !clientIsType(cl, typ) {
			continue
		}
		if addr != nil && cl.raddr != string(addr) {
			continue
		}
		if lad != nil && cl.laddr != string(lad) {
			continue
		}
		if user != nil && cl.aclEntry() != user {
			continue
		}
		if cl == c && skipme {
			continue
		}
		if cl == c {
			c.closeAfter = true
		} else {
			cl.kill()
		}
		killed++
	}
	c.replyInt(int64(killed))
}

func cmdClientHelp(c *client, argv [][]byte) {
	c.replyHelp("CLIENT",
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
	)
}
