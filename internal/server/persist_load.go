package server

import (
	"errors"
	"fmt"
	"math/bits"
	"os"
	"runtime/debug"
	"time"
	"unsafe"

	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/ds/packed"
	"github.com/taconite/taconite/internal/ds/stream"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/rdb"
)

// Loading RDB data: decoded values become the server's objects, with the
// encodings Redis would give them, stored straight into the tables.

// streamFromRDB rebuilds a stream, its groups and their pending entries.
func streamFromRDB(sv *rdb.StreamValue, lim stream.Limits) (*streamObj, error) {
	st := stream.New()
	var prev stream.ID
	for i, e := range sv.Entries {
		id := stream.ID{Ms: e.ID.Ms, Seq: e.ID.Seq}
		if i > 0 && !prev.Less(id) {
			return nil, errors.New("stream entries out of order")
		}
		if len(e.Fields) == 0 || len(e.Fields)%2 != 0 {
			return nil, errors.New("stream entry without field/value pairs")
		}
		st.Append(id, e.Fields, lim)
		prev = id
	}
	last := stream.ID{Ms: sv.LastID.Ms, Seq: sv.LastID.Seq}
	if st.Len() > 0 && last.Less(prev) {
		return nil, errors.New("stream last ID below its last entry")
	}
	st.LastID = last
	st.EntriesAdded = int64(sv.EntriesAdded)
	st.MaxDeleted = stream.ID{Ms: sv.MaxDeleted.Ms, Seq: sv.MaxDeleted.Seq}
	for _, g := range sv.Groups {
		grp, ok := st.CreateGroup(g.Name, stream.ID{Ms: g.LastID.Ms, Seq: g.LastID.Seq}, g.EntriesRead)
		if !ok {
			return nil, errors.New("duplicate consumer group")
		}
		for _, n := range g.PEL {
			if !grp.PEL.Insert(&stream.NACK{ID: stream.ID{Ms: n.ID.Ms, Seq: n.ID.Seq}, DeliveryTime: n.DeliveryTime, DeliveryCount: int64(n.DeliveryCount)}) {
				return nil, errors.New("duplicate pending entry in a group")
			}
		}
		owned := 0
		for _, c := range g.Consumers {
			con, ok := grp.CreateConsumer(c.Name, c.SeenTime)
			if !ok {
				return nil, errors.New("duplicate consumer")
			}
			for _, id := range c.PEL {
				n := grp.PEL.Find(stream.ID{Ms: id.Ms, Seq: id.Seq})
				if n == nil || n.Consumer != nil {
					return nil, errors.New("consumer pending entry missing from its group's PEL")
				}
				n.Consumer = con
				con.PEL.Insert(n)
				owned++
			}
		}
		if owned != grp.PEL.Len() {
			// Every pending entry needs its consumer (XPENDING, XCLAIM).
			return nil, errors.New("group pending entry without a consumer")
		}
	}
	return &streamObj{st}, nil
}

// objLimits are the encoding thresholds a loaded value is built with.
type objLimits struct {
	// slab, when set, holds the packed values of small hashes and sorted
	// sets built for one batch of a load: they are copied into their
	// records when stored, so the loader reuses one buffer instead of
	// leaving a garbage array per key.
	slab      *[]byte
	hash      hashLimits
	zsetMax   int
	zsetValue int
	intsetMax int64
	stream    stream.Limits
}

// packBuf returns an empty slice with room for size bytes, from the slab
// when there is one. A slab that must grow moves to a new array; slices
// already handed out keep the old one.
func (lim objLimits) packBuf(size int) []byte {
	if lim.slab == nil {
		return make([]byte, 0, size)
	}
	b := *lim.slab
	if cap(b)-len(b) < size {
		b = make([]byte, 0, max(2*cap(b), size, 64<<10))
	}
	*lim.slab = b[:len(b)+size]
	return b[len(b) : len(b) : len(b)+size]
}

func (s *Server) objLimits() objLimits {
	return objLimits{
		hash:      s.limit.hash(),
		zsetMax:   int(s.limit.zsetEntries.Load()),
		zsetValue: int(s.limit.zsetValue.Load()),
		intsetMax: s.limit.intsetEntries.Load(),
		stream:    stream.Limits{MaxEntries: int(s.cfg.Int("stream-node-max-entries")), MaxBytes: int(s.cfg.Int("stream-node-max-bytes"))},
	}
}

var (
	errDupMember = errors.New("duplicate member or field in a value")
	errEmptyVal  = errors.New("empty aggregate value")
)

// objectFromRDB builds the server's object for a decoded value, with the
// encoding Redis would give it when loading (compact while within the
// configured limits). Strings come back as bytes in str.
func objectFromRDB(v *rdb.Value, lim objLimits) (kind kvtable.Kind, obj any, str []byte, err error) {
	switch v.Kind {
	case rdb.KindString:
		return keyspace.KindString, nil, v.Str, nil
	case rdb.KindList:
		if len(v.Elems) == 0 {
			return 0, nil, nil, errEmptyVal
		}
		lv := newListValue()
		lv.l.PushBackMany(v.Elems)
		return keyspace.KindList, lv, nil, nil
	case rdb.KindSet:
		if v.Ints != nil {
			// An intset (ascending, distinct): the decoder keeps it as
			// numbers for us (KeepIntsets).
			if len(v.Ints) == 0 {
				return 0, nil, nil, errEmptyVal
			}
			so := newIntSet()
			for _, x := range v.Ints {
				so.is.Add(x)
			}
			if int64(len(v.Ints)) > lim.intsetMax {
				so.toHashtable()
			}
			return keyspace.KindSet, so, nil, nil
		}
		if len(v.Elems) == 0 {
			return 0, nil, nil, errEmptyVal
		}
		if int64(len(v.Elems)) <= lim.intsetMax {
			so := newIntSet()
			for _, m := range v.Elems {
				if !so.add(m, lim.intsetMax) {
					return 0, nil, nil, errDupMember
				}
			}
			return keyspace.KindSet, so, nil, nil
		}
		so := newHashSet(len(v.Elems))
		for _, m := range v.Elems {
			if so.t.SetBytes(m, 0, 0, nil, kvtable.NoExpire) {
				return 0, nil, nil, errDupMember
			}
		}
		return keyspace.KindSet, so, nil, nil
	case rdb.KindZSet:
		n := len(v.Elems)
		if n == 0 {
			return 0, nil, nil, errEmptyVal
		}
		compact := n <= lim.zsetMax
		for _, m := range v.Elems {
			compact = compact && len(m) <= lim.zsetValue
		}
		if compact {
			// The decoder sorted the elements by (score, member).
			if !distinct(n, func(i int) string { return loadedString(v.Elems[i]) }) {
				return 0, nil, nil, errDupMember
			}
			size := 0
			for i, m := range v.Elems {
				size += packed.EntrySize(m) + packed.ScoreSize(v.Scores[i])
			}
			pk := lim.packBuf(size)
			for i, m := range v.Elems {
				pk = packed.Append(pk, m)
				pk = packed.AppendScore(pk, v.Scores[i])
			}
			return keyspace.KindZSet, nil, pk, nil
		}
		z := &zsetObj{}
		z.toSkiplist()
		for i, m := range v.Elems {
			ms := loadedString(m)
			if _, dup := z.dictGet(ms); dup {
				return 0, nil, nil, errDupMember
			}
			z.tr.Insert(v.Scores[i], ms)
			z.dictSet(ms, v.Scores[i])
		}
		return keyspace.KindZSet, z, nil, nil
	case rdb.KindHash:
		n := len(v.Elems) / 2
		if n == 0 || len(v.Elems)%2 != 0 {
			return 0, nil, nil, errEmptyVal
		}
		compact := int64(n) <= lim.hash.entries
		for _, e := range v.Elems {
			compact = compact && int64(len(e)) <= lim.hash.value
		}
		if compact {
			if !distinct(n, func(i int) string { return loadedString(v.Elems[2*i]) }) {
				return 0, nil, nil, errDupMember
			}
			size := 0
			for _, e := range v.Elems {
				size += packed.EntrySize(e)
			}
			lp := lim.packBuf(size)
			for _, e := range v.Elems {
				lp = packed.Append(lp, e)
			}
			return keyspace.KindHash, nil, lp, nil
		}
		h := newHashObj()
		for i := 0; i < len(v.Elems); i += 2 {
			if !h.set(v.Elems[i], v.Elems[i+1]) {
				return 0, nil, nil, errDupMember
			}
		}
		return keyspace.KindHash, h, nil, nil
	case rdb.KindStream:
		so, err := streamFromRDB(v.Stream, lim.stream)
		if err != nil {
			return 0, nil, nil, err
		}
		return keyspace.KindStream, so, nil, nil
	}
	return 0, nil, nil, fmt.Errorf("unsupported value kind %d", v.Kind)
}

var errDupKey = errors.New("duplicate key")

// loadedString views decoded bytes as a string without copying: the
// decoder allocates every string it returns afresh and never touches it
// again, so the bytes are immutable from here on.
func loadedString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// distinct reports whether the n strings at(0)…at(n-1) are all
// different: pairwise for the few a compact encoding holds, with a map
// beyond.
func distinct(n int, at func(i int) string) bool {
	if n <= 16 {
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				if at(i) == at(j) {
					return false
				}
			}
		}
		return true
	}
	seen := make(map[string]struct{}, n)
	for i := 0; i < n; i++ {
		seen[at(i)] = struct{}{}
	}
	return len(seen) == n
}

// storeRDBValue stores a value built by objectFromRDB under key in db,
// straight into its table (loading needs none of a command's
// bookkeeping), and fails on a key the file already held.
func storeRDBValue(tx *keyspace.Tx, db int, key []byte, o *loadObj, expireMs int64) error {
	t := o.t
	if t == nil {
		t = tx.Table(tx.Keyspace().ShardOf(key), db)
	}
	var existed bool
	if o.obj == nil {
		var enc uint8
		if o.kind == keyspace.KindString {
			enc = keyspace.StringEncoding(o.str)
		}
		existed = t.SetBytes(key, o.kind, enc, o.str, expireMs)
	} else {
		existed = t.SetObj(key, o.kind, 0, o.obj, expireMs)
	}
	if existed {
		return errDupKey
	}
	return nil
}

// loadRDBFile loads path into the keyspace (empty at startup; DEBUG RELOAD
// empties it first). The caller holds every shard through tx. A missing
// file is not an error; any other problem is, with the byte offset.
func (s *Server) loadRDBFile(tx *keyspace.Tx, path string) (keys int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	s.persist.loadTotal.Store(size)
	s.persist.loadedUpTo.Store(0)
	d := rdb.NewDecoder(f)
	d.KeepIntsets()
	if err := d.Header(); err != nil {
		return 0, err
	}
	lim := s.objLimits()
	var slab []byte
	lim.slab = &slab
	db := 0
	now := time.Now().UnixMilli()
	t0 := time.Now()
	lastLog := t0
	expired := 0
	// Loading allocates little garbage but a lot of live data: collecting
	// less often meanwhile saves marking the growing heap again and again
	// (a 1M-key file: 2 collections instead of 7).
	if old := debug.SetGCPercent(loadGCPercent); old < 0 || old > loadGCPercent {
		debug.SetGCPercent(old)
	} else {
		defer debug.SetGCPercent(old)
	}
	// Decoding runs on its own goroutine, a few batches ahead of building
	// the objects and inserting them: the two halves take about the same
	// time, so loading takes about half as long on two cores. Batches go
	// back to the decoder once used, with their items and scratch room,
	// so decoding allocates only what the loaded values keep.
	const inFlight = 6
	batches := make(chan *loadBatch, inFlight)
	free := make(chan *loadBatch, inFlight+2)
	for i := 0; i < inFlight+2; i++ {
		free <- &loadBatch{
			items: make([]rdb.Item, 0, loadBatchItems),
			ats:   make([]int64, 0, loadBatchItems),
			objs:  make([]loadObj, 0, loadBatchItems),
		}
	}
	stop := make(chan struct{})
	defer close(stop)
	var (
		warmTables []*kvtable.Table
		warmKeys   [][]byte
		warmRefs   []uint32
	)
	go decodeBatches(d, batches, free, stop, tx.Keyspace().ShardOf)
	for b := range batches {
		slab = slab[:0] // the last batch's values are in their records
		// Find every key's table first and touch its bucket there: the
		// cache misses of a batch overlap instead of stalling each insert.
		// Building the objects here (not on the decoding goroutine) keeps
		// the two halves about even.
		wdb := db
		wt, wk := warmTables[:0], warmKeys[:0]
		for i := range b.items {
			switch it, o := &b.items[i], &b.objs[i]; it.Kind {
			case rdb.ItemSelectDB:
				wdb = it.DB
			case rdb.ItemKey:
				if it.ExpireMs != 0 && it.ExpireMs <= now {
					o.expired = true
					continue
				}
				o.kind, o.obj, o.str, o.err = objectFromRDB(&it.Value, lim)
				if wdb < s.ks.Databases() {
					o.t = tx.Table(o.shard, wdb)
					wt, wk = append(wt, o.t), append(wk, it.Key)
				}
			}
		}
		var sink byte
		warmRefs, sink = kvtable.Warm(wt, wk, warmRefs)
		b.warm += sink
		clear(wk) // the keys' bytes go back to the decoder
		warmTables, warmKeys = wt, wk
		for i := range b.items {
			it, at := &b.items[i], b.ats[i]
			switch it.Kind {
			case rdb.ItemEOF:
				if expired > 0 {
					s.log.Noticef("Done loading RDB, keys loaded: %d, keys expired: %d.", keys, expired)
				}
				return keys, nil
			case rdb.ItemSelectDB:
				if it.DB >= s.ks.Databases() {
					return keys, &rdb.Error{Offset: at, Msg: fmt.Sprintf("FATAL: Data file was created with a Redis server configured to handle more than %d databases", s.ks.Databases())}
				}
				db = it.DB
			case rdb.ItemResizeDB:
				reserveTables(tx, db, it.Sizes[0], size)
			case rdb.ItemFunction:
				if _, msg := s.scripts.e.LoadLibrary(string(it.Code), true); msg != "" {
					return keys, &rdb.Error{Offset: at, Msg: "function library: " + msg}
				}
			case rdb.ItemKey:
				o := &b.objs[i]
				if o.expired {
					expired++
					continue
				}
				err := o.err
				if err == nil {
					err = storeRDBValue(tx, db, it.Key, o, it.ExpireMs)
				}
				if err != nil {
					return keys, &rdb.Error{Offset: at, Msg: fmt.Sprintf("key %q: %v", it.Key, err)}
				}
				keys++
			}
		}
		if b.err != nil {
			return keys, b.err
		}
		s.persist.loadedUpTo.Store(b.off)
		free <- b // never blocks: there are as many places as batches
		if time.Since(lastLog) > 2*time.Second {
			lastLog = time.Now()
			pct := 0.0
			if size > 0 {
				pct = float64(b.off) * 100 / float64(size)
			}
			s.log.Noticef("Loading RDB: %.0f%% done, %d keys, %.0f keys/s", pct, keys, float64(keys)/lastLog.Sub(t0).Seconds())
		}
	}
	return keys, errors.New("RDB decoding stopped early")
}

// loadGCPercent is the GOGC loading runs with (unless it is set higher).
const loadGCPercent = 400

// reserveTables sizes db's tables for the keys a RESIZEDB record
// announces, spread evenly over the shards, so that loading never rehashes
// them. The hint is trusted only as far as the file could hold that many
// keys (a few bytes each).
func reserveTables(tx *keyspace.Tx, db int, hint uint64, fileSize int64) {
	if fileSize <= 0 || hint == 0 {
		return
	}
	n := min(hint, uint64(fileSize)/4)
	shards := bits.OnesCount64(tx.Keyspace().AllShards())
	// A little over the even share, for the spread's unevenness: a table
	// that gets more than reserved grows as usual.
	per := int(n/uint64(shards)) + int(n/uint64(shards)/64) + 64
	for i := 0; i < shards; i++ {
		tx.Table(i, db).Reserve(per)
	}
}

// loadBatchItems is the number of records a batch holds.
const loadBatchItems = 256

// loadBatch is a run of decoded records with their offsets; err ends the
// stream of batches. Keys, strings and Elems slices are decoded into room,
// valid until the batch is reused.
type loadBatch struct {
	items []rdb.Item
	ats   []int64
	objs  []loadObj // objs[i] is built from items[i] when it is a key
	room  rdb.Scratch
	off   int64
	err   error
	warm  byte // what warming read, kept so the reads are not dropped
}

// loadObj is what objectFromRDB built for a key, or expired when the key
// is to be skipped.
type loadObj struct {
	kind    kvtable.Kind
	obj     any
	str     []byte
	err     error
	expired bool
	t       *kvtable.Table // key's table, found ahead of storing
	shard   int
}

// decodeBatches decodes records into batches taken from free until the
// end, an error or stop, and finds each key's shard (a CRC: work the
// other half has more of).
func decodeBatches(d *rdb.Decoder, out chan<- *loadBatch, free <-chan *loadBatch, stop <-chan struct{}, shardOf func([]byte) int) {
	defer close(out)
	for {
		var b *loadBatch
		select {
		case b = <-free:
		case <-stop:
			return
		}
		// Every item and object is overwritten whole before use, so the
		// last round's need no clearing.
		b.items, b.ats, b.objs = b.items[:0], b.ats[:0], b.objs[:0]
		b.room.Reset()
		d.SetScratch(&b.room)
		done := false
		for len(b.items) < loadBatchItems && !done {
			at := d.Offset()
			b.items = b.items[:len(b.items)+1] // within the capacity
			it := &b.items[len(b.items)-1]
			var err error
			*it, err = d.Next()
			if err != nil {
				b.items = b.items[:len(b.items)-1]
				b.err, done = err, true
				break
			}
			b.ats = append(b.ats, at)
			b.objs = append(b.objs, loadObj{})
			if it.Kind == rdb.ItemKey {
				b.objs[len(b.objs)-1].shard = shardOf(it.Key)
			}
			done = it.Kind == rdb.ItemEOF
		}
		b.off = d.Offset()
		select {
		case out <- b:
		case <-stop:
			return
		}
		if done {
			return
		}
	}
}

// loadAtStartup loads dump.rdb before the server listens. An error stops
// startup: a corrupt file is never half loaded silently.
func (s *Server) loadAtStartup() error {
	path := s.rdbPath()
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	return s.withAllShards(func(tx *keyspace.Tx) error {
		t0 := time.Now()
		keys, err := s.loadRDBFile(tx, path)
		if err != nil {
			for db := 0; db < s.ks.Databases(); db++ {
				tx.FlushDB(db)
			}
			return fmt.Errorf("loading %s: %w", path, err)
		}
		s.log.Noticef("DB loaded from disk: %.3f seconds (%d keys)", time.Since(t0).Seconds(), keys)
		return nil
	})
}
