package server

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/rdb"
	"github.com/taconite/taconite/internal/rerr"
	"github.com/taconite/taconite/internal/resp"
)

// MIGRATE moves keys to another server by sending it RESTORE commands.
//
// Like Redis, the command is blocking: the handler keeps the shard locks
// the gate took for its keys (and its event loop) for the whole exchange
// with the target, so no client sees a key both here and there, or
// neither, and a key cannot change between its serialization and its
// deletion. Every network step is bounded by the command's timeout, which
// bounds how long those shards stay held.
//
// Unlike Redis, no connection to a target is cached between calls: each
// MIGRATE dials, sends AUTH (when asked) and SELECT, then closes. Redis's
// cache saves a connect per call and skips SELECT when the database is
// unchanged; the replies are the same either way, and without a cache
// there is no shared socket for concurrent loops to contend for and no
// idle socket to reap (INFO keeps migrate_cached_sockets at 0).

// migrateChunk is how much of the request is written per timed write, as
// Redis does, so the timeout bounds each chunk rather than the whole
// transfer of a large key.
const migrateChunk = 64 << 10

// migrateLineMax bounds a reply line read from the target; Redis reads
// into a 1024-byte buffer, so longer errors are cut at the same length.
const migrateLineMax = 1023

// migrateMaxTimeout keeps the timeout within time.Duration's range.
const migrateMaxTimeout = int64(1) << 40

type migrateArgs struct {
	timeout       time.Duration
	db            int64
	copy, replace bool
	auth          bool // AUTH or AUTH2 given: send AUTH first
	user, pass    []byte
	keys          [][]byte
}

// parseMigrate reads MIGRATE's arguments in Redis's order: options first
// (KEYS ends them: every later argument is a key), then the timeout and
// the database. It replies on error.
func parseMigrate(c *client, argv [][]byte) (migrateArgs, bool) {
	var a migrateArgs
	a.keys = argv[3:4]
	for j := 6; j < len(argv); j++ {
		more := len(argv) - j - 1
		switch {
		case eq(argv[j], "copy"):
			a.copy = true
		case eq(argv[j], "replace"):
			a.replace = true
		case eq(argv[j], "auth") && more >= 1:
			// AUTH keeps a username an earlier AUTH2 gave, as Redis.
			a.auth, a.pass = true, argv[j+1]
			j++
		case eq(argv[j], "auth2") && more >= 2:
			a.auth, a.user, a.pass = true, argv[j+1], argv[j+2]
			j += 2
		case eq(argv[j], "keys"):
			if len(argv[3]) != 0 {
				c.replyError(rerr.MigrateKeysNeedEmptyKey)
				return a, false
			}
			a.keys = argv[j+1:]
			j = len(argv)
		default:
			c.replyError(rerr.Syntax)
			return a, false
		}
	}
	timeout, ok := c.argInt(argv[5])
	if !ok {
		return a, false
	}
	if a.db, ok = c.argInt(argv[4]); !ok {
		return a, false
	}
	if timeout <= 0 {
		timeout = 1000
	}
	a.timeout = time.Duration(min(timeout, migrateMaxTimeout)) * time.Millisecond
	return a, true
}

// migrateItem is one key found here, serialized for the target.
type migrateItem struct {
	key     []byte
	ttl     int64 // milliseconds left, 0 for none
	payload []byte
}

func cmdMigrate(c *client, argv [][]byte) {
	a, ok := parseMigrate(c, argv)
	if !ok {
		return
	}
	var items []migrateItem
	var v rdb.Value
	opts := c.s.rdbOptions()
	for _, key := range a.keys {
		e, found := c.tx.Get(key)
		if !found {
			continue
		}
		if !rdbValue(e, &v) {
			c.replyError(rerr.DumpTypeUnsupported)
			return
		}
		it := migrateItem{key: key, payload: rdb.DumpPayload(&v, opts)}
		if at := e.ExpireAt(); at != 0 {
			// Get expired the key if it was due, so at least 1 ms is left.
			it.ttl = max(at-c.tx.Now, 1)
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		// Nothing to move is not an error: the key may just have expired.
		c.replyStatus("NOKEY")
		return
	}

	nc, msg := migrateDial(argv[1], argv[2], a.timeout)
	if msg != "" {
		c.replyError(msg)
		return
	}
	defer nc.Close()
	if err := migrateWrite(nc, migrateRequest(&a, items), a.timeout); err != nil {
		c.replyError(rerr.MigrateIOWrite)
		return
	}
	r := bufio.NewReaderSize(nc, 4096)
	var authReply, selectReply string
	var err error
	if a.auth {
		if authReply, err = migrateReadLine(nc, r, a.timeout); err != nil {
			c.replyError(rerr.MigrateIORead)
			return
		}
	}
	if selectReply, err = migrateReadLine(nc, r, a.timeout); err != nil {
		c.replyError(rerr.MigrateIORead)
		return
	}
	// An AUTH or SELECT refusal fails every key; otherwise each key
	// stands on its own RESTORE reply: keys the target took are deleted
	// here (without COPY) even when another key failed, and the first
	// error is the one reported.
	prior := ""
	switch {
	case isErrLine(authReply):
		prior = authReply
	case isErrLine(selectReply):
		prior = selectReply
	}
	targetErr := ""
	for _, it := range items {
		line, err := migrateReadLine(nc, r, a.timeout)
		if err != nil {
			if targetErr == "" {
				targetErr = rerr.MigrateIORead
			}
			break
		}
		if prior != "" || isErrLine(line) {
			if targetErr == "" {
				if prior != "" {
					line = prior
				}
				targetErr = rerr.MigrateTarget(line[1:])
			}
			continue
		}
		if !a.copy {
			c.tx.Delete(it.key)
			c.notify(config.NotifyGeneric, "del", it.key)
			c.dirty()
		}
	}
	if targetErr != "" {
		c.replyError(targetErr)
		return
	}
	c.replyOK()
}

func isErrLine(s string) bool { return len(s) > 0 && s[0] == '-' }

// migrateRequest is the whole pipeline sent to the target: AUTH when
// asked, SELECT, then one RESTORE per key, with REPLACE when asked.
func migrateRequest(a *migrateArgs, items []migrateItem) []byte {
	var b []byte
	if a.auth {
		if a.user != nil {
			b = resp.AppendCommand(b, []byte("AUTH"), a.user, a.pass)
		} else {
			b = resp.AppendCommand(b, []byte("AUTH"), a.pass)
		}
	}
	b = resp.AppendCommand(b, []byte("SELECT"), strconv.AppendInt(nil, a.db, 10))
	for _, it := range items {
		n := 4
		if a.replace {
			n = 5
		}
		b = resp.AppendArrayLen(b, n)
		b = resp.AppendBulkString(b, "RESTORE")
		b = resp.AppendBulk(b, it.key)
		b = resp.AppendBulkInt(b, it.ttl)
		b = resp.AppendBulk(b, it.payload)
		if a.replace {
			b = resp.AppendBulkString(b, "REPLACE")
		}
	}
	return b
}

// migrateDial connects to the target, or returns the error to reply.
// The port is read as C's atoi reads it, truncated to 16 bits as the
// resolver does. Redis connects without blocking and learns of a refused
// connection only when it writes, so refusals get the "writing" text;
// what fails before a connection is attempted (a bad host or port, a
// connect that times out) gets the "connecting" one.
func migrateDial(host, port []byte, timeout time.Duration) (net.Conn, string) {
	p, ok := cAtoi(port)
	if !ok || p < 0 || len(host) == 0 {
		return nil, rerr.MigrateIOConnect
	}
	addr := net.JoinHostPort(string(host), strconv.Itoa(int(uint16(p))))
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, rerr.MigrateIOConnect
		}
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH) {
			return nil, rerr.MigrateIOWrite
		}
		return nil, rerr.MigrateIOConnect
	}
	return nc, ""
}

// cAtoi parses as C's atoi: leading white space, a sign, then digits up to
// the first other byte. ok is false when the value does not fit an int32
// (atoi's result is then meaningless; no port is that large anyway).
func cAtoi(b []byte) (int64, bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
		if n > 1<<31 {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// migrateWrite sends b in chunks, each within the timeout.
func migrateWrite(nc net.Conn, b []byte, timeout time.Duration) error {
	for len(b) > 0 {
		n := min(len(b), migrateChunk)
		nc.SetWriteDeadline(time.Now().Add(timeout))
		w, err := nc.Write(b[:n])
		if err != nil {
			return err
		}
		b = b[w:]
	}
	return nil
}

// migrateReadLine reads one reply line within the timeout, without its
// CRLF, keeping at most migrateLineMax bytes of it.
func migrateReadLine(nc net.Conn, r *bufio.Reader, timeout time.Duration) (string, error) {
	nc.SetReadDeadline(time.Now().Add(timeout))
	var line []byte
	for {
		frag, err := r.ReadSlice('\n')
		if room := migrateLineMax - len(line); room > 0 {
			line = append(line, frag[:min(len(frag), room)]...)
		}
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return "", err
		}
	}
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return string(line[:n]), nil
}

// migrateEffects is what a MIGRATE that deleted keys (no COPY) leaves in
// the AOF: a DEL of the keys it moved away, which are those of its keys
// no longer here.
func migrateEffects(c *client, cmd *command.Command, argv [][]byte) [][][]byte {
	idx, err := cmd.KeyIndexes(argv, nil)
	if err != nil {
		return nil
	}
	del := [][]byte{[]byte("DEL")}
	for _, i := range idx {
		if _, ok := c.tx.Peek(argv[i]); !ok {
			del = append(del, argv[i])
		}
	}
	if len(del) == 1 {
		return nil
	}
	return [][][]byte{del}
}
