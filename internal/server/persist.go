package server

import (
	"bufio"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/ds/stream"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rdb"
	"github.com/taconite/taconite/internal/rerr"
)

// persistState is the RDB side of the server: who is saving, when the
// last save happened and how it went (INFO persistence, LASTSAVE).
type persistState struct {
	mu           sync.Mutex // serializes snapshots (SAVE, BGSAVE, shutdown)
	bgInProgress atomic.Bool
	bgStart      atomic.Int64 // unix seconds the running BGSAVE began
	lastSave     atomic.Int64 // unix seconds of the last successful save
	lastTry      atomic.Int64 // unix seconds of the last attempt (retry pacing)
	lastBgOK     atomic.Bool
	lastBgSecs   atomic.Int64
	saves        atomic.Int64
	dirtyAtSave  atomic.Int64 // s.totals().dirty when the last save began
	skipped      atomic.Int64 // keys of an unknown kind the last save left out
	tempSeq      atomic.Int64
	// shutdownMode is SHUTDOWN's choice: 0 default (save when save points
	// are set), 1 SAVE, 2 NOSAVE.
	shutdownMode atomic.Int32
	scheduled    atomic.Bool // BGSAVE SCHEDULE waits for the running one
	// loading is set while the RDB file is loaded at startup: clients are
	// served meanwhile, and commands without the loading flag get -LOADING.
	loading    atomic.Bool
	loadStart  atomic.Int64               // unix seconds
	loadTotal  atomic.Int64               // file size
	loadedUpTo atomic.Int64               // bytes decoded so far
	snap       atomic.Pointer[bgSnapshot] // the running BGSAVE's
}

func (s *Server) initPersist() {
	s.persist.lastSave.Store(s.startTime.Unix())
	s.persist.lastBgOK.Store(true)
	s.persist.lastBgSecs.Store(-1)
}

// rdbPath is where dump.rdb lives (dir is stored absolute).
func (s *Server) rdbPath() string {
	return filepath.Join(s.cfg.String("dir"), s.cfg.String("dbfilename"))
}

func (s *Server) rdbOptions() rdb.Options {
	return rdb.Options{Compress: s.cfg.Bool("rdbcompression"), ListFill: int(s.cfg.Int("list-max-listpack-size"))}
}

// bytesOf views a string's bytes without copying; the encoder only
// reads them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// rdbValue describes an entry's value for the encoder. Slices alias the
// keyspace: use the result before releasing the entry's shard. ok is
// false for a kind the RDB writer does not know (none today).
func rdbValue(e kvtable.Entry, v *rdb.Value) bool {
	*v = rdb.Value{Elems: v.Elems[:0], Scores: v.Scores[:0]}
	switch e.Kind() {
	case keyspace.KindString:
		v.Kind = rdb.KindString
		if e.IsObj() {
			return false
		}
		v.Str = e.Bytes()
	case keyspace.KindList:
		v.Kind = rdb.KindList
		l := &e.Obj().(*listValue).l
		l.Range(0, l.Len()-1, func(_ int, b []byte) bool {
			v.Elems = append(v.Elems, b)
			return true
		})
	case keyspace.KindSet:
		v.Kind = rdb.KindSet
		so := e.Obj().(*setObj)
		if so.is != nil {
			v.Ints = so.is.Values()
			v.Compact = true
			if v.Ints == nil {
				v.Ints = []int64{}
			}
			break
		}
		so.t.Range(func(e kvtable.Entry) bool {
			v.Elems = append(v.Elems, e.Key())
			return true
		})
	case keyspace.KindZSet:
		v.Kind = rdb.KindZSet
		z := zsetOf(e)
		if z.tr == nil {
			v.Compact = true
			for off := 0; off < len(z.pk); {
				m, s, next := z.lpAt(off)
				v.Elems = append(v.Elems, m)
				v.Scores = append(v.Scores, s)
				off = next
			}
			break
		}
		for x := z.tr.First(); x.Valid(); x = x.Next() {
			v.Elems = append(v.Elems, bytesOf(x.Member()))
			v.Scores = append(v.Scores, x.Score())
		}
	case keyspace.KindHash:
		v.Kind = rdb.KindHash
		h := hashOf(e)
		v.Compact = h.big == nil
		h.each(func(f, val []byte) bool {
			v.Elems = append(v.Elems, f, val)
			return true
		})
	case keyspace.KindStream:
		v.Kind = rdb.KindStream
		v.Stream = rdbStream(e.Obj().(*streamObj).Stream)
	default:
		return false
	}
	return true
}

func rdbID(id stream.ID) rdb.StreamID { return rdb.StreamID{Ms: id.Ms, Seq: id.Seq} }

// rdbStream describes a stream for the encoder: entries, metadata, groups
// by name with their PELs and consumers.
func rdbStream(st *stream.Stream) *rdb.StreamValue {
	sv := &rdb.StreamValue{
		LastID:       rdbID(st.LastID),
		FirstID:      rdbID(st.RecordedFirstID()),
		MaxDeleted:   rdbID(st.MaxDeleted),
		EntriesAdded: uint64(st.EntriesAdded),
		Entries:      make([]rdb.StreamEntry, 0, st.Len()),
	}
	st.Range(stream.ID{}, stream.MaxID(), false, func(id stream.ID, fv [][]byte) bool {
		// fv is the stream's scratch slice: keep a copy of it (the byte
		// slices themselves stay valid under the shard lock).
		sv.Entries = append(sv.Entries, rdb.StreamEntry{ID: rdbID(id), Fields: append([][]byte(nil), fv...)})
		return true
	})
	for _, g := range st.Groups() {
		rg := rdb.StreamGroup{Name: []byte(g.Name), LastID: rdbID(g.LastID), EntriesRead: g.EntriesRead}
		g.PEL.Ascend(stream.ID{}, stream.MaxID(), func(n *stream.NACK) bool {
			rg.PEL = append(rg.PEL, rdb.StreamNACK{ID: rdbID(n.ID), DeliveryTime: n.DeliveryTime, DeliveryCount: uint64(n.DeliveryCount)})
			return true
		})
		for _, c := range g.Consumers() {
			rc := rdb.StreamConsumer{Name: []byte(c.Name), SeenTime: c.SeenTime}
			c.PEL.Ascend(stream.ID{}, stream.MaxID(), func(n *stream.NACK) bool {
				rc.PEL = append(rc.PEL, rdbID(n.ID))
				return true
			})
			rg.Consumers = append(rg.Consumers, rc)
		}
		sv.Groups = append(sv.Groups, rg)
	}
	return sv
}

// appendShard serializes shard i's keys of every database (the caller
// holds the shard) and returns the buffer and how many keys it skipped.
func appendShard(tx *keyspace.Tx, i, dbs int, ap *rdb.Appender, b []byte, v *rdb.Value) ([]byte, int) {
	skipped := 0
	for db := 0; db < dbs; db++ {
		t := tx.Table(i, db)
		if t.Len() == 0 {
			continue
		}
		b = rdb.AppendSelectDB(b, db, t.Len(), t.VolatileLen())
		t.Range(func(e kvtable.Entry) bool {
			if tx.Expired(e) {
				return true
			}
			if !rdbValue(e, v) {
				skipped++
				return true
			}
			b = ap.AppendKey(b, e.Key(), v, e.ExpireAt())
			return true
		})
	}
	return b, skipped
}

// writeRDBHeader writes the magic, the aux fields Redis 7.0 writes, in
// its order, and the function libraries.
func (s *Server) writeRDBHeader(enc *rdb.Encoder) {
	enc.Header()
	enc.Aux("redis-ver", RedisVersion)
	enc.Aux("redis-bits", "64")
	enc.Aux("ctime", strconv.FormatInt(time.Now().Unix(), 10))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	enc.Aux("used-mem", strconv.FormatUint(ms.HeapAlloc, 10))
	enc.Aux("aof-base", "0")
	for _, l := range s.scripts.e.Libraries() {
		enc.Function([]byte(l.Code))
	}
}

// snapshotTo writes the whole keyspace to w. With locked the caller holds
// every shard (SAVE, SYNC, shutdown). Without, it writes the running
// background snapshot (see bgSnapshot), taking one shard at a time for
// snapChunk keys, so clients keep being served.
func (s *Server) snapshotTo(w io.Writer, tx *keyspace.Tx, locked bool) error {
	if !locked {
		if snap := s.persist.snap.Load(); snap.cmds {
			return s.snapshotCommandsTo(w, snap)
		}
	}
	enc := rdb.NewEncoder(w, s.rdbOptions(), s.cfg.Bool("rdbchecksum"))
	s.writeRDBHeader(enc)
	if !locked {
		if err := s.persist.snap.Load().walk(s, enc.Raw); err != nil {
			return err
		}
		return enc.Close()
	}
	ap := rdb.NewAppender(s.rdbOptions())
	var v rdb.Value
	var buf []byte
	skipped := 0
	for i := 0; i < s.ks.NumShards(); i++ {
		var sk int
		buf, sk = appendShard(tx, i, s.ks.Databases(), ap, buf[:0], &v)
		skipped += sk
		if err := enc.Raw(buf); err != nil {
			return err
		}
		if cap(buf) > 64<<20 {
			buf = nil // do not keep one huge shard's buffer for the next
		}
	}
	s.noteSkipped(skipped)
	return enc.Close()
}

// snapshotCommandsTo writes the running background snapshot in command
// form (an AOF base without the RDB preamble): the function libraries,
// then the keys.
func (s *Server) snapshotCommandsTo(w io.Writer, snap *bgSnapshot) error {
	var head []byte
	for _, l := range s.scripts.e.Libraries() {
		head = appendFunctionLoad(head, l.Code)
	}
	if _, err := w.Write(head); err != nil {
		// walk still runs: every record must be captured.
		snap.walk(s, func([]byte) error { return nil })
		return err
	}
	return snap.walk(s, func(b []byte) error {
		_, err := w.Write(b)
		return err
	})
}

func (s *Server) noteSkipped(skipped int) {
	s.persist.skipped.Store(int64(skipped))
	if skipped > 0 {
		s.log.Warningf("RDB: %d keys of an unsupported kind were not written", skipped)
	}
}

// bgSnapshot is a background save in progress (BGSAVE, AOF rewrite),
// without fork. Its instant is fixed while every shard is held: there the
// keyspace marks every record uncaptured (keyspace.BeginSnapshot, O(1)).
// Then two parties capture records, each under the record's shard lock:
//   - the saver walks every table in chunks (walk), writing out and
//     capturing the records not captured yet;
//   - a command about to write first writes out the old value of each key
//     it names that is not captured yet, into side, and captures it
//     (snapshotBeforeCommand); a write whose keys are not known in advance
//     (scripts, FLUSHALL, MOVE...) captures its whole shards instead
//     (snapshotBeforeWrite).
//
// Keys created after the instant are born captured. So the file holds the
// keyspace as it was at the instant, and the extra memory is the old
// values of the keys written to before the saver reached them, for as
// long as it takes the saver to flush them, not a copy of the data set.
type bgSnapshot struct {
	now int64 // the instant, ms: keys expired by then are left out
	// cmds writes commands (an AOF base without the RDB preamble)
	// instead of RDB records.
	cmds bool

	mu      sync.Mutex  // guards everything below
	side    []byte      // preserved records, each run led by its SELECTDB
	sideDB  int         // database of side's last record, -1 after a flush
	out     snapRecords // side's serializer
	v       rdb.Value
	skipped int
	peak    int // largest len(side) seen
}

// newBGSnapshot starts a snapshot in RDB form; the caller holds every
// shard.
func (s *Server) newBGSnapshot() *bgSnapshot { return s.newBGSnapshotAs(false) }

// newBGSnapshotAs starts a snapshot, in command form with cmds; the
// caller holds every shard.
func (s *Server) newBGSnapshotAs(cmds bool) *bgSnapshot {
	s.ks.BeginSnapshot()
	snap := &bgSnapshot{now: s.ks.Clock().NowMs(), cmds: cmds, sideDB: -1}
	snap.out = snap.records(s)
	return snap
}

// records is a new serializer of the snapshot's form: the saver and the
// writers (side) each use their own.
func (snap *bgSnapshot) records(s *Server) snapRecords {
	if snap.cmds {
		return cmdRecords{}
	}
	return rdbRecords{rdb.NewAppender(s.rdbOptions())}
}

// preserve writes e's record (database db) to side and captures it. The
// caller holds e's shard.
func (snap *bgSnapshot) preserve(db int, e kvtable.Entry) {
	e.Capture()
	if exp := e.ExpireAt(); exp != 0 && exp <= snap.now {
		return
	}
	snap.mu.Lock()
	if !rdbValue(e, &snap.v) {
		snap.skipped++
	} else {
		if db != snap.sideDB {
			snap.side = snap.out.appendSelect(snap.side, db, 0, 0)
			snap.sideDB = db
		}
		snap.side = snap.out.appendKey(snap.side, e.Key(), &snap.v, e.ExpireAt())
		snap.peak = max(snap.peak, len(snap.side))
	}
	snap.mu.Unlock()
}

// captureShard preserves every uncaptured record of shard i, which the
// caller holds.
func (snap *bgSnapshot) captureShard(s *Server, i int) {
	for db := 0; db < s.ks.Databases(); db++ {
		t := s.ks.SnapTable(i, db)
		if t.Len() == 0 {
			continue
		}
		t.Range(func(e kvtable.Entry) bool {
			if !e.Captured() {
				snap.preserve(db, e)
			}
			return true
		})
	}
}

// takeSide returns the preserved records gathered so far and starts a new
// run.
func (snap *bgSnapshot) takeSide(spare []byte) []byte {
	snap.mu.Lock()
	b := snap.side
	snap.side, snap.sideDB = spare[:0], -1
	snap.mu.Unlock()
	return b
}

// snapChunk is how many records the saver visits per lock of a shard.
const snapChunk = 64

// walk is the saver: every table of every shard, a chunk at a time under
// the shard's lock, then the chunk and whatever writers preserved meanwhile
// are passed to out without any lock. It always visits every record, even
// after a write error (then writing nothing), because each must be
// captured before the next snapshot's instant.
func (snap *bgSnapshot) walk(s *Server, out func([]byte) error) error {
	// The saver yields the CPU to the event loops: its thread runs at a
	// lower priority for the rest of this goroutine, which ends with the
	// save (the thread then exits with it).
	lowerSaverPriority()
	var werr error
	write := func(b []byte) {
		if werr == nil && len(b) > 0 {
			werr = out(b)
		}
	}
	var buf, side []byte
	var v rdb.Value
	rec := snap.records(s)
	skipped := 0
	fileDB := -1
	// rdb-key-save-delay (microseconds per key, as Redis) slows the saver
	// down, for tests that need writes to overlap a save.
	delay := time.Duration(s.cfg.Int("rdb-key-save-delay")) * time.Microsecond
	var rest time.Duration
	for i := 0; i < s.ks.NumShards(); i++ {
		bit := uint64(1) << uint(i)
		for db := 0; db < s.ks.Databases(); db++ {
			cursor := uint64(0)
			for {
				t0 := time.Now()
				s.ks.Lock(bit)
				t := s.ks.SnapTable(i, db)
				if t.Len() == 0 {
					s.ks.Unlock(bit)
					break
				}
				buf = buf[:0]
				n := 0
				cursor = t.ScanN(cursor, snapChunk, func(e kvtable.Entry) {
					if e.Captured() {
						return
					}
					n++
					e.Capture()
					if exp := e.ExpireAt(); exp != 0 && exp <= snap.now {
						return
					}
					if !rdbValue(e, &v) {
						skipped++
						return
					}
					if fileDB != db {
						buf = rec.appendSelect(buf, db, t.Len(), t.VolatileLen())
						fileDB = db
					}
					buf = rec.appendKey(buf, e.Key(), &v, e.ExpireAt())
				})
				s.ks.Unlock(bit)
				if delay > 0 {
					time.Sleep(time.Duration(n) * delay)
				}
				write(buf)
				// Half duty: the saver rests as long as it worked, so it
				// takes at most about half a core from the event loops (a
				// fork child takes a whole one, and the save is not
				// urgent). Rests are gathered into naps of 2 ms or more,
				// as shorter sleeps overshoot.
				if rest += time.Since(t0); rest >= 2*time.Millisecond {
					time.Sleep(rest)
					rest = 0
				}
				if side = snap.takeSide(side); len(side) > 0 {
					write(side)
					fileDB = -1
				}
				if cursor == 0 {
					break
				}
			}
		}
	}
	write(snap.takeSide(side))
	snap.mu.Lock()
	skipped += snap.skipped
	peak := snap.peak
	snap.mu.Unlock()
	s.noteSkipped(skipped)
	if peak > 1<<20 {
		s.log.Noticef("Snapshot: at most %d MB of values changed during the save waited to be written", peak>>20)
	}
	return werr
}

// snapshotBeforeWrite keeps a running snapshot point in time for a write
// whose keys are not known in advance: the caller holds the shards in
// mask, and their records not captured yet are preserved now. Without a
// snapshot it costs one atomic load.
func (s *Server) snapshotBeforeWrite(mask uint64) {
	snap := s.persist.snap.Load()
	if snap == nil {
		return
	}
	for p := mask; p != 0; p &= p - 1 {
		snap.captureShard(s, bits.TrailingZeros64(p))
	}
}

// snapshotBeforeCommand is the gate's hook before a command that may
// write: with a snapshot running, the old values of the keys it names are
// preserved; a command that may write elsewhere (no keys, other
// databases, scripts) preserves its whole shards. The caller holds mask.
func (s *Server) snapshotBeforeCommand(c *client, h *handler, argv [][]byte, mask uint64) {
	snap := s.persist.snap.Load()
	if snap == nil {
		return
	}
	if scriptCommands[h.cmd.Name] {
		return // each redis.call it makes comes through here (cmd_script.go)
	}
	if h.lockAll || keysElsewhere[h.cmd.Name] {
		s.snapshotBeforeWrite(mask)
		return
	}
	idx, err := h.cmd.KeyIndexes(argv, nil)
	if err != nil || len(idx) == 0 {
		s.snapshotBeforeWrite(mask)
		return
	}
	for _, i := range idx {
		if e, ok := c.tx.SnapEntry(c.db, argv[i]); ok && !e.Captured() {
			snap.preserve(c.db, e)
		}
	}
}

// keysElsewhere are the writing commands whose effects reach keys the
// key specs do not name in the client's database.
var keysElsewhere = map[string]bool{"move": true, "copy": true}

// scriptCommands run Lua, whose redis.call commands are preserved one by
// one.
var scriptCommands = map[string]bool{
	"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true, "fcall": true, "fcall_ro": true,
}

// saveRDB writes the snapshot to a temporary file in dir and renames it
// over dbfilename: a crash leaves the old file or the new one, never a
// mix.
func (s *Server) saveRDB(tx *keyspace.Tx, locked bool) error {
	s.persist.mu.Lock()
	defer s.persist.mu.Unlock()
	start := s.totals().dirty
	s.persist.lastTry.Store(time.Now().Unix())
	if err := s.writeSnapshotFile(s.rdbPath(), tx, locked); err != nil {
		return err
	}
	s.persist.lastSave.Store(time.Now().Unix())
	s.persist.lastBgOK.Store(true) // as Redis: any good save clears a MISCONF
	s.persist.dirtyAtSave.Store(start)
	s.persist.saves.Add(1)
	s.log.Noticef("DB saved on disk")
	return nil
}

// writeSnapshotFile writes the snapshot to a temporary file beside path,
// syncs it and renames it over path, then syncs the directory: a crash
// leaves the old file or the new one, never a mix. The caller holds
// persist.mu.
func (s *Server) writeSnapshotFile(path string, tx *keyspace.Tx, locked bool) error {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, fmt.Sprintf("temp-%d-%d.rdb", os.Getpid(), s.persist.tempSeq.Add(1)))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		s.log.Warningf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %v", filepath.Base(tmp), dir, err)
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = s.snapshotTo(bw, tx, locked)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		s.log.Warningf("Write error saving DB on disk: %v", err)
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// saveLockedAll takes every shard and saves (shutdown, save points when
// no client command holds the locks).
func (s *Server) saveLockedAll() error {
	return s.withAllShards(func(tx *keyspace.Tx) error { return s.saveRDB(tx, true) })
}

// withAllShards runs fn holding every shard, through a Tx that leaves the
// keys' access clocks alone (saving and loading are no use of a key).
func (s *Server) withAllShards(fn func(tx *keyspace.Tx) error) error {
	mask := s.ks.AllShards()
	var tx keyspace.Tx
	s.ks.Lock(mask)
	defer s.ks.Unlock(mask)
	s.ks.Begin(&tx, 0, mask, time.Now())
	tx.NoTouch = true
	return fn(&tx)
}

// startBGSave starts a background save; false when one is running.
func (s *Server) startBGSave() bool {
	if !s.persist.bgInProgress.CompareAndSwap(false, true) {
		return false
	}
	s.persist.bgStart.Store(time.Now().Unix())
	s.persist.snap.Store(s.newBGSnapshot())
	s.log.Noticef("Background saving started")
	go func() {
		t0 := time.Now()
		err := s.saveRDB(nil, false)
		s.persist.snap.Store(nil)
		s.persist.lastBgSecs.Store(int64(time.Since(t0).Seconds()))
		s.persist.lastBgOK.Store(err == nil)
		if err == nil {
			s.log.Noticef("Background saving terminated with success")
		} else {
			s.log.Warningf("Background saving error: %v", err)
		}
		s.persist.bgInProgress.Store(false)
	}()
	return true
}

// startBGSaveAll starts a background save from outside a command: it
// holds every shard while doing so, as BGSAVE does (see persistHandlers).
func (s *Server) startBGSaveAll() {
	mask := s.ks.AllShards()
	s.ks.Lock(mask)
	s.startBGSave()
	s.ks.Unlock(mask)
}

// waitBGSave waits for a running background save (shutdown).
func (s *Server) waitBGSave() {
	s.persist.mu.Lock()
	s.persist.mu.Unlock()
}

// saveCron runs the save points: a BGSAVE when at least Changes changes
// happened within Seconds. After a failed save it waits 5 seconds, as
// Redis.
func (s *Server) saveCron() {
	if s.persist.bgInProgress.Load() || s.persist.loading.Load() {
		return
	}
	if s.persist.scheduled.Load() {
		s.persist.scheduled.Store(false)
		s.startBGSaveAll()
		return
	}
	points := s.cfg.SaveParams()
	if len(points) == 0 {
		return
	}
	now := time.Now().Unix()
	changes := s.totals().dirty - s.persist.dirtyAtSave.Load()
	since := now - s.persist.lastSave.Load()
	for _, p := range points {
		if changes >= p.Changes && since >= p.Seconds && (s.persist.lastBgOK.Load() || now-s.persist.lastTry.Load() > 5) {
			s.log.Noticef("%d changes in %d seconds. Saving...", p.Changes, p.Seconds)
			s.startBGSaveAll()
			return
		}
	}
}

// saveOnShutdown saves when save points are configured (or SHUTDOWN
// SAVE asked), after any running BGSAVE.
func (s *Server) saveOnShutdown() error {
	mode := s.persist.shutdownMode.Load()
	if mode == 2 || (mode == 0 && len(s.cfg.SaveParams()) == 0) {
		return nil
	}
	s.waitBGSave()
	s.log.Noticef("Saving the final RDB snapshot before exiting.")
	return s.saveLockedAll()
}

// persistInfo writes INFO's RDB fields.
// loadingInfo writes INFO persistence's loading fields: "loading" and,
// while loading, the progress fields Redis shows.
func (s *Server) loadingInfo(field func(name string, v any), tail bool) {
	p := &s.persist
	if !tail {
		if p.loading.Load() {
			field("loading", 1)
		} else {
			field("loading", 0)
		}
		return
	}
	if !p.loading.Load() {
		return
	}
	start, total, done := p.loadStart.Load(), p.loadTotal.Load(), p.loadedUpTo.Load()
	elapsed := time.Now().Unix() - start
	perc, eta := 0.0, int64(1)
	if total > 0 {
		perc = float64(done) * 100 / float64(total)
	}
	if done > 0 && elapsed > 0 {
		eta = (total - done) * elapsed / done
	}
	field("loading_start_time", start)
	field("loading_total_bytes", total)
	field("loading_rdb_used_mem", 0)
	field("loading_loaded_bytes", done)
	field("loading_loaded_perc", fmt.Sprintf("%.2f", perc))
	field("loading_eta_seconds", eta)
}

func (s *Server) persistInfo(field func(name string, v any)) {
	p := &s.persist
	field("rdb_changes_since_last_save", s.totals().dirty-p.dirtyAtSave.Load())
	in := 0
	cur := int64(-1)
	if p.bgInProgress.Load() {
		in = 1
		cur = time.Now().Unix() - p.bgStart.Load()
	}
	field("rdb_bgsave_in_progress", in)
	field("rdb_last_save_time", p.lastSave.Load())
	st := "ok"
	if !p.lastBgOK.Load() {
		st = "err"
	}
	field("rdb_last_bgsave_status", st)
	field("rdb_last_bgsave_time_sec", p.lastBgSecs.Load())
	field("rdb_current_bgsave_time_sec", cur)
	field("rdb_saves", p.saves.Load())
}

// RDBSaves is how many snapshots were written (rdb_saves), for tests.
func (s *Server) RDBSaves() int64 { return s.persist.saves.Load() }

// rdbWriteRefusal is the error a write command gets while the last
// background save failed, save points are set and
// stop-writes-on-bgsave-error is on (Redis's MISCONF), or "". The gate
// calls it before running a command flagged write.
func (s *Server) rdbWriteRefusal() string {
	if s.persist.lastBgOK.Load() || !s.cfg.Bool("stop-writes-on-bgsave-error") || len(s.cfg.SaveParams()) == 0 {
		return ""
	}
	return rerr.MisconfBGSave
}
