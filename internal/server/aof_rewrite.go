package server

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/aof"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rerr"
)

// AOF rewrite without fork. BGREWRITEAOF (and appendonly turned on at
// runtime, and the auto-rewrite cron) fixes an instant while holding every
// shard: the log switches to a fresh incremental file, so every later
// command lands there, and a background snapshot of that instant starts
// (the same bgSnapshot BGSAVE uses). The snapshot becomes the new base, in
// RDB form (.base.rdb) as Redis 7.0 writes it with aof-use-rdb-preamble,
// or else in command form (.base.aof, aof_rewrite_cmds.go); then the
// manifest names the new base and the incrementals since the instant, and
// the older files are removed. A crash at any point leaves a manifest
// whose files replay to the full data set.

// aofRewriteState is INFO persistence's aof_* rewrite fields and the
// auto-rewrite baseline.
type aofRewriteState struct {
	inProgress atomic.Bool
	scheduled  atomic.Bool
	start      atomic.Int64 // unix seconds the running rewrite began
	lastSecs   atomic.Int64
	lastOK     atomic.Bool
	rewrites   atomic.Int64
	baseSize   atomic.Int64 // size of the AOF after the last rewrite (auto-rewrite baseline)
}

func (s *Server) initAOFRewrite() {
	s.aofrw.lastSecs.Store(-1)
	s.aofrw.lastOK.Store(true)
	s.cfg.OnApply("appendfsync", func(*config.Config) error {
		if l := s.aofLog.Load(); l != nil {
			l.SetPolicy(s.aofPolicy())
		}
		return nil
	})
}

// cmdBGRewriteAOF runs with every shard held (lockAll).
func cmdBGRewriteAOF(c *client, argv [][]byte) {
	s := c.s
	if s.aofrw.inProgress.Load() {
		c.replyError(rerr.AOFRewriteBusy)
		return
	}
	if s.persist.bgInProgress.Load() {
		s.aofrw.scheduled.Store(true)
		c.replyStatus("Background append only file rewriting scheduled")
		return
	}
	if err := s.startAOFRewrite(false); err != nil {
		c.replyError(rerr.AOFRewriteFailed)
		return
	}
	c.replyStatus("Background append only file rewriting started")
}

// startAOFRewrite begins a rewrite; the caller holds every shard. With
// enable, the AOF is off and is being turned on: commands from this
// instant go to a temporary incremental file that joins the new base at
// the end.
func (s *Server) startAOFRewrite(enable bool) error {
	if !s.persist.bgInProgress.CompareAndSwap(false, true) {
		return fmt.Errorf("a background save is running")
	}
	dir, name := s.aofDir(), s.cfg.String("appendfilename")
	fs := aof.OSFS{}
	var plan aof.RewritePlan
	var err error
	l := s.aofLog.Load()
	switch {
	case enable:
		if plan, err = aof.PlanBaseOnly(fs, dir, name); err == nil {
			if l, err = aof.OpenTemp(aof.Options{FS: fs, Dir: dir, Filename: name, Policy: s.aofPolicy()}); err == nil {
				s.log.Noticef("Creating AOF incr file temp-%s.incr on background rewrite", name)
				s.aofLog.Store(l)
			}
		}
	case l != nil:
		plan, err = l.Rotate()
		if err == nil {
			s.log.Noticef("Creating AOF incr file %s.%d.incr.aof on background rewrite", name, plan.FirstIncr)
		}
	default:
		plan, err = aof.PlanBaseOnly(fs, dir, name)
	}
	if err != nil {
		s.persist.bgInProgress.Store(false)
		s.aofrw.lastOK.Store(false)
		s.log.Warningf("Can't rewrite append only file in background: %v", err)
		return err
	}
	cmds := !s.cfg.Bool("aof-use-rdb-preamble")
	if cmds {
		plan.BaseName = strings.TrimSuffix(plan.BaseName, ".rdb") + ".aof"
	}
	s.aofrw.inProgress.Store(true)
	s.aofrw.start.Store(time.Now().Unix())
	s.persist.snap.Store(s.newBGSnapshotAs(cmds))
	s.log.Noticef("Background append only file rewriting started")
	go func() {
		t0 := time.Now()
		err := s.finishAOFRewrite(enable, l, plan)
		s.persist.snap.Store(nil)
		s.aofrw.lastSecs.Store(int64(time.Since(t0).Seconds()))
		s.aofrw.lastOK.Store(err == nil)
		if err == nil {
			s.aofrw.rewrites.Add(1)
			s.log.Noticef("Background AOF rewrite finished successfully")
		} else {
			s.log.Warningf("Background AOF rewrite failed: %v", err)
		}
		s.aofrw.inProgress.Store(false)
		s.persist.bgInProgress.Store(false)
	}()
	return nil
}

// finishAOFRewrite writes the base and installs it (the rewrite's
// goroutine).
func (s *Server) finishAOFRewrite(enable bool, l *aof.Log, plan aof.RewritePlan) error {
	s.persist.mu.Lock()
	defer s.persist.mu.Unlock()
	dir, name := s.aofDir(), s.cfg.String("appendfilename")
	base := filepath.Join(dir, plan.BaseName)
	if err := s.writeSnapshotFile(base, nil, false); err != nil {
		if enable {
			// Turning the AOF on failed: it stays off, as in Redis.
			s.aofLog.Store(nil)
			l.Close()
			os.Remove(filepath.Join(dir, "temp-"+name+".incr"))
		}
		return err
	}
	var removed []string
	var err error
	switch {
	case enable:
		removed, err = l.InstallTemp(plan)
	case l != nil:
		removed, err = l.CompleteRewrite(plan)
	default:
		removed, err = aof.InstallBaseOnly(aof.OSFS{}, dir, name, plan)
	}
	if err != nil {
		return err
	}
	for _, r := range removed {
		s.log.Noticef("Removing the history file %s in the background", r)
	}
	if st, err := os.Stat(base); err == nil {
		s.aofrw.baseSize.Store(st.Size())
	}
	return nil
}

// aofRewriteCron applies CONFIG SET appendonly (off: the log is closed;
// on: a rewrite writes the first base while commands go to a temporary
// incremental file), starts a scheduled rewrite, or one due by
// auto-aof-rewrite-percentage and auto-aof-rewrite-min-size. It runs off
// the event loops, holding no shard, so it may take them all: CONFIG SET
// itself may run inside EXEC, with some held.
func (s *Server) aofRewriteCron() {
	if s.persist.loading.Load() {
		return // the log opens once the file is loaded
	}
	l := s.aofLog.Load()
	want := s.cfg.Bool("appendonly")
	if !want && l != nil && !s.aofrw.inProgress.Load() {
		mask := s.ks.AllShards()
		s.ks.Lock(mask)
		s.aofLog.Store(nil)
		s.ks.Unlock(mask)
		if err := l.Close(); err != nil {
			s.log.Warningf("Error closing the append only file: %v", err)
		}
		s.log.Noticef("Background append only file rewriting stopped: appendonly turned off")
		return
	}
	if s.persist.bgInProgress.Load() || !s.aofrw.lastOK.Load() && time.Now().Unix()-s.aofrw.start.Load() < 5 {
		return // after a failure, as Redis, retry only every few seconds
	}
	enable := want && l == nil
	if enable || s.aofrw.scheduled.Load() {
		s.aofrw.scheduled.Store(false)
		mask := s.ks.AllShards()
		s.ks.Lock(mask)
		s.startAOFRewrite(enable)
		s.ks.Unlock(mask)
		return
	}
	pct := s.cfg.Int("auto-aof-rewrite-percentage")
	if l == nil || pct <= 0 {
		return
	}
	base := s.aofrw.baseSize.Load()
	cur := base + l.Size()
	if cur < s.cfg.Int("auto-aof-rewrite-min-size") {
		return
	}
	if base <= 0 {
		base = 1
	}
	if growth := (cur - base) * 100 / base; growth >= pct {
		s.log.Noticef("Starting automatic rewriting of AOF on %d%% growth", growth)
		mask := s.ks.AllShards()
		s.ks.Lock(mask)
		s.startAOFRewrite(false)
		s.ks.Unlock(mask)
	}
}

// loadAOFBase loads an RDB-form base file (or an .aof base starting with
// the RDB magic: an RDB preamble) into the keyspace. It reports false when
// the file is in command form, to be replayed.
func (s *Server) loadAOFBase(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	magic := make([]byte, 5)
	n, _ := io.ReadFull(f, magic)
	f.Close()
	if !bytes.Equal(magic[:n], []byte("REDIS")) {
		return false, nil
	}
	var keys int
	err = s.withAllShards(func(tx *keyspace.Tx) error {
		keys, err = s.loadRDBFile(tx, path)
		return err
	})
	if err != nil {
		return true, err
	}
	s.log.Noticef("Reading RDB base file on AOF loading... (%d keys)", keys)
	return true, nil
}

// aofInfo writes INFO persistence's rewrite fields.
func (s *Server) aofInfo(field func(name string, v any)) {
	r := &s.aofrw
	in, cur := 0, int64(-1)
	if r.inProgress.Load() {
		in, cur = 1, time.Now().Unix()-r.start.Load()
	}
	sched := 0
	if r.scheduled.Load() {
		sched = 1
	}
	st := "ok"
	if !r.lastOK.Load() {
		st = "err"
	}
	field("aof_rewrite_in_progress", in)
	field("aof_rewrite_scheduled", sched)
	field("aof_last_rewrite_time_sec", r.lastSecs.Load())
	field("aof_current_rewrite_time_sec", cur)
	field("aof_last_bgrewrite_status", st)
	field("aof_rewrites", r.rewrites.Load())
}
