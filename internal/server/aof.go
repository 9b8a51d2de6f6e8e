package server

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/taconite/taconite/internal/aof"
	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/resp"
)

// The append-only file. Every command that changed data is appended to the
// log as the command that reproduces its effect deterministically
// (relative expiries as absolute ones, blocking pops as the pops they
// did, SPOP as the SREM of what it popped...), under the command's shard
// locks, so commands on one key reach the file in the order they ran. A
// transaction's commands are appended together, wrapped in MULTI/EXEC.
// The event loops write the buffer to the file before sending the replies
// of the iteration (and with appendfsync always, sync it), so a client
// never sees the acknowledgement of a write the file does not have.

// aofDir is the append-only directory.
func (s *Server) aofDir() string {
	return filepath.Join(s.cfg.String("dir"), s.cfg.String("appenddirname"))
}

func (s *Server) aofPolicy() int {
	switch s.cfg.String("appendfsync") {
	case "always":
		return aof.FsyncAlways
	case "no":
		return aof.FsyncNo
	}
	return aof.FsyncEverySec
}

// startAOF loads the append-only file at startup (creating it when there
// is none) and opens it for appending. Runs before the loops start.
func (s *Server) startAOF() error {
	if !s.cfg.Bool("appendonly") {
		return nil
	}
	dir, name := s.aofDir(), s.cfg.String("appendfilename")
	fs := aof.OSFS{}
	exists, err := aof.Exists(fs, dir, name)
	if err != nil {
		return err
	}
	if exists {
		if err := s.loadAOF(fs, dir, name); err != nil {
			return err
		}
	} else {
		created, err := aof.Create(fs, dir, name)
		if err != nil {
			return fmt.Errorf("creating the append only file: %w", err)
		}
		s.log.Noticef("Creating AOF base file %s on server start", created[0])
		s.log.Noticef("Creating AOF incr file %s on server start", created[1])
	}
	l, err := aof.Open(aof.Options{FS: fs, Dir: dir, Filename: name, Policy: s.aofPolicy()})
	if err != nil {
		return err
	}
	s.aofLog.Store(l)
	// The auto-rewrite baseline: what the files hold at startup.
	if m, err := aof.ReadManifest(fs, dir, name); err == nil {
		var size int64
		for _, f := range m.Files {
			if st, err := os.Stat(filepath.Join(dir, f.Name)); err == nil && f.Kind != aof.KindHistory {
				size += st.Size()
			}
		}
		s.aofrw.baseSize.Store(size - l.Size())
	}
	return nil
}

// loadAOF replays the base and incremental files of the manifest.
func (s *Server) loadAOF(fs aof.FS, dir, name string) error {
	m, err := aof.ReadManifest(fs, dir, name)
	if err != nil {
		return err
	}
	start := time.Now()
	c := s.replayClient()
	total := 0
	run := func(argv [][]byte) error {
		s.replay(c, argv)
		total++
		return nil
	}
	files := m.Files
	for i, f := range files {
		if f.Kind == aof.KindHistory {
			continue
		}
		p := filepath.Join(dir, f.Name)
		if f.Kind == aof.KindBase {
			// Redis 7.0 writes the base in RDB form (aof-use-rdb-preamble).
			rdbForm, err := s.loadAOFBase(p)
			if err != nil && !(os.IsNotExist(err) && !strings.HasSuffix(f.Name, ".rdb")) {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
			if rdbForm {
				continue
			}
		}
		fh, err := os.Open(p)
		if err != nil {
			if os.IsNotExist(err) && f.Kind == aof.KindIncr && i == len(files)-1 {
				continue
			}
			return err
		}
		last := i == len(files)-1
		valid, truncated, err := aof.Replay(fh, last && s.cfg.Bool("aof-load-truncated"), run)
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if truncated {
			s.log.Warningf("!!! Warning: short read while loading the AOF file %s!!!", f.Name)
			s.log.Warningf("AOF %s loaded anyway because aof-load-truncated is enabled", f.Name)
			if err := os.Truncate(p, valid); err != nil {
				return err
			}
		}
	}
	if c.multi != nil {
		s.log.Warningf("Revert incomplete MULTI/EXEC transaction in AOF file")
	}
	s.log.Noticef("DB loaded from append only file: %.3f seconds (%d commands)", time.Since(start).Seconds(), total)
	return nil
}

// replayClient is the client AOF commands run as: no connection, replies
// dropped.
func (s *Server) replayClient() *client {
	// Its own loop state (never run): the event loops serve clients while
	// the file loads.
	l := &loop{s: s, lane: -1, clients: map[int]*client{}, listenFD: map[int]bool{}}
	l.stats.cmd = make([]cmdStat, s.table.NumIDs())
	c := &client{s: s, id: -1, fd: -1, loop: l, proto: 2, authed: true, created: time.Now(), keyIdx: make([]int, 0, 16)}
	c.multiShared.Store(-1)
	return c
}

// replay runs one command from the file.
func (s *Server) replay(c *client, argv [][]byte) {
	l := c.loop
	l.setNow(time.Now())
	s.dispatch(c, argv)
	c.out = c.out[:0]
}

// propagate appends what a command that changed data must leave in the
// log. Called with the command's shard locks held. outBefore is where the
// command's reply starts in c.out (some commands are propagated as what
// they replied: SPOP as SREM of the members it returned).
func (s *Server) propagate(c *client, cmd *command.Command, argv [][]byte, outBefore int) {
	l := s.aofLog.Load()
	if l == nil || c.id == -1 {
		return
	}
	cmds := s.effects(c, cmd, argv, outBefore)
	if c.execProp != nil {
		for _, a := range cmds {
			*c.execProp = append(*c.execProp, aof.Cmd{DB: c.tx.DB, Argv: copyArgv(a)})
		}
		return
	}
	for _, a := range cmds {
		l.Append(c.tx.DB, a)
	}
}

func copyArgv(argv [][]byte) [][]byte {
	out := make([][]byte, len(argv))
	for i, a := range argv {
		out[i] = append([]byte(nil), a...)
	}
	return out
}

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// effects rewrites a command into the deterministic commands that
// reproduce its effect, as Redis 7.0 propagates them.
func (s *Server) effects(c *client, cmd *command.Command, argv [][]byte, outBefore int) [][][]byte {
	name := cmd.Name
	if cmd.Parent != nil {
		return [][][]byte{argv}
	}
	expireOf := func(key []byte) (int64, bool) {
		e, ok := c.tx.Peek(key)
		if !ok {
			return 0, false
		}
		return e.ExpireAt(), true
	}
	reply := func() (resp.Value, bool) {
		if outBefore > len(c.out) || outBefore == len(c.out) {
			return resp.Value{}, false
		}
		v, err := resp.ReadReply(bufio.NewReader(bytes.NewReader(c.out[outBefore:])))
		return v, err == nil
	}
	ms := func(n int64) []byte { return []byte(strconv.FormatInt(n, 10)) }
	switch name {
	case "expire", "pexpire", "expireat", "pexpireat":
		at, ok := expireOf(argv[1])
		if !ok {
			return [][][]byte{bs("DEL", string(argv[1]))}
		}
		if at == 0 {
			return [][][]byte{argv}
		}
		return [][][]byte{{[]byte("PEXPIREAT"), argv[1], ms(at)}}
	case "setex", "psetex":
		at, _ := expireOf(argv[1])
		return [][][]byte{{[]byte("SET"), argv[1], argv[3], []byte("PXAT"), ms(at)}}
	case "set":
		for _, a := range argv[3:] {
			if eq(a, "ex") || eq(a, "px") || eq(a, "exat") {
				if at, ok := expireOf(argv[1]); ok && at != 0 {
					return [][][]byte{{[]byte("SET"), argv[1], argv[2], []byte("PXAT"), ms(at)}}
				}
			}
		}
	case "getex":
		at, ok := expireOf(argv[1])
		if !ok {
			return [][][]byte{bs("DEL", string(argv[1]))}
		}
		if at == 0 {
			return [][][]byte{{[]byte("PERSIST"), argv[1]}}
		}
		return [][][]byte{{[]byte("PEXPIREAT"), argv[1], ms(at)}}
	case "getdel":
		return [][][]byte{{[]byte("DEL"), argv[1]}}
	case "migrate":
		return migrateEffects(c, cmd, argv)
	case "incrbyfloat":
		if v, _, err := c.tx.GetString(argv[1]); err == nil {
			return [][][]byte{{[]byte("SET"), argv[1], append([]byte(nil), v...), []byte("KEEPTTL")}}
		}
	case "hincrbyfloat":
		if v, ok := reply(); ok && v.Type == '$' {
			return [][][]byte{{[]byte("HSET"), argv[1], argv[2], v.Str}}
		}
	case "spop":
		v, ok := reply()
		if !ok {
			break
		}
		out := [][]byte{[]byte("SREM"), argv[1]}
		switch {
		case v.Type == '$' && !v.Null:
			out = append(out, v.Str)
		case v.Type == '*' || v.Type == '~':
			for _, e := range v.Elems {
				out = append(out, e.Str)
			}
		}
		if len(out) > 2 {
			return [][][]byte{out}
		}
		return nil
	case "blpop", "brpop":
		if v, ok := reply(); ok && len(v.Elems) == 2 {
			return [][][]byte{{[]byte(strings.ToUpper(name[1:])), v.Elems[0].Str}}
		}
	case "blmove":
		return [][][]byte{{[]byte("LMOVE"), argv[1], argv[2], argv[3], argv[4]}}
	case "brpoplpush":
		return [][][]byte{{[]byte("RPOPLPUSH"), argv[1], argv[2]}}
	case "bzpopmin", "bzpopmax":
		if v, ok := reply(); ok && len(v.Elems) == 3 {
			return [][][]byte{{[]byte(strings.ToUpper(name[1:])), v.Elems[0].Str}}
		}
	case "blmpop", "bzmpop", "lmpop", "zmpop":
		if v, ok := reply(); ok && len(v.Elems) == 2 {
			dir := "LPOP"
			for _, a := range argv {
				switch {
				case eq(a, "right"):
					dir = "RPOP"
				case eq(a, "min"):
					dir = "ZPOPMIN"
				case eq(a, "max"):
					dir = "ZPOPMAX"
				}
			}
			n := len(v.Elems[1].Elems)
			return [][][]byte{{[]byte(dir), v.Elems[0].Str, []byte(strconv.Itoa(n))}}
		}
	}
	return [][][]byte{argv}
}
