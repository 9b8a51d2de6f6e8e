package server

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"github.com/taconite/taconite/internal/ds/kvtable"
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
	hash      hashLimits
	zsetMax   int
	zsetValue int
	intsetMax int64
	stream    stream.Limits
}

func (s *Server) objLimits() objLimits {
	return objLimits{
		hash:      hashLimits{s.cfg.Int("hash-max-listpack-entries"), s.cfg.Int("hash-max-listpack-value")},
		zsetMax:   int(s.cfg.Int("zset-max-listpack-entries")),
		zsetValue: int(s.cfg.Int("zset-max-listpack-value")),
		intsetMax: s.cfg.Int("set-max-intset-entries"),
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
		for _, e := range v.Elems {
			lv.l.PushBack(e)
		}
		return keyspace.KindList, lv, nil, nil
	case rdb.KindSet:
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
		so := &setObj{members: make([]string, len(v.Elems)), index: make(map[string]int, len(v.Elems))}
		for i, m := range v.Elems {
			so.members[i] = loadedString(m)
			so.index[so.members[i]] = i
		}
		if len(so.index) != len(so.members) {
			return 0, nil, nil, errDupMember
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
		z := &zsetObj{}
		if compact {
			// The decoder sorted the elements by (score, member).
			z.lp = make([]zent, n)
			for i, m := range v.Elems {
				sc := v.Scores[i]
				if sc == 0 {
					sc = 0 // a listpack stores scores as text: no -0
				}
				z.lp[i] = zent{member: loadedString(m), score: sc}
			}
			if !distinct(n, func(i int) string { return z.lp[i].member }) {
				return 0, nil, nil, errDupMember
			}
			return keyspace.KindZSet, z, nil, nil
		}
		z.toSkiplist()
		for i, m := range v.Elems {
			ms := loadedString(m)
			if _, dup := z.dict[ms]; dup {
				return 0, nil, nil, errDupMember
			}
			z.sl.Insert(v.Scores[i], ms)
			z.dict[ms] = v.Scores[i]
		}
		return keyspace.KindZSet, z, nil, nil
	case rdb.KindHash:
		n := len(v.Elems) / 2
		if n == 0 || len(v.Elems)%2 != 0 {
			return 0, nil, nil, errEmptyVal
		}
		compact := int64(n) <= lim.hash.entries
		h := &hashObj{kv: make([]string, len(v.Elems))}
		for i, e := range v.Elems {
			h.kv[i] = loadedString(e)
			compact = compact && int64(len(e)) <= lim.hash.value
		}
		if compact {
			if !distinct(n, func(i int) string { return h.kv[2*i] }) {
				return 0, nil, nil, errDupMember
			}
			return keyspace.KindHash, h, nil, nil
		}
		h.convert()
		if len(h.idx) != n {
			return 0, nil, nil, errDupMember
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

// storeRDBValue stores a decoded value under key in db, straight into its
// table (loading needs none of a command's bookkeeping), and fails on a
// key the file already held.
func storeRDBValue(tx *keyspace.Tx, db int, key []byte, v *rdb.Value, expireMs int64, lim objLimits) error {
	kind, obj, str, err := objectFromRDB(v, lim)
	if err != nil {
		return err
	}
	t := tx.Table(tx.Keyspace().ShardOf(key), db)
	var existed bool
	if obj == nil {
		existed = t.SetBytes(key, kind, keyspace.StringEncoding(str), str, expireMs)
	} else {
		existed = t.SetObj(key, kind, 0, obj, expireMs)
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
	if err := d.Header(); err != nil {
		return 0, err
	}
	lim := s.objLimits()
	db := 0
	now := time.Now().UnixMilli()
	t0 := time.Now()
	lastLog := t0
	expired := 0
	// Decoding runs on its own goroutine, a few batches ahead of building
	// the objects and inserting them: the two halves take about the same
	// time, so loading takes about half as long on two cores.
	batches := make(chan loadBatch, 4)
	stop := make(chan struct{})
	defer close(stop)
	go decodeBatches(d, batches, stop)
	for b := range batches {
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
			case rdb.ItemFunction:
				if _, msg := s.scripts.e.LoadLibrary(string(it.Code), true); msg != "" {
					return keys, &rdb.Error{Offset: at, Msg: "function library: " + msg}
				}
			case rdb.ItemKey:
				if it.ExpireMs != 0 && it.ExpireMs <= now {
					expired++
					continue
				}
				if err := storeRDBValue(tx, db, it.Key, &it.Value, it.ExpireMs, lim); err != nil {
					return keys, &rdb.Error{Offset: at, Msg: fmt.Sprintf("key %q: %v", it.Key, err)}
				}
				keys++
			}
		}
		if b.err != nil {
			return keys, b.err
		}
		s.persist.loadedUpTo.Store(b.off)
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

// loadBatch is a run of decoded records with their offsets; err ends the
// stream of batches.
type loadBatch struct {
	items []rdb.Item
	ats   []int64
	off   int64
	err   error
}

// decodeBatches decodes records into batches until the end, an error or
// stop.
func decodeBatches(d *rdb.Decoder, out chan<- loadBatch, stop <-chan struct{}) {
	defer close(out)
	for {
		var b loadBatch
		done := false
		for len(b.items) < 256 && !done {
			at := d.Offset()
			it, err := d.Next()
			if err != nil {
				b.err, done = err, true
				break
			}
			b.items = append(b.items, it)
			b.ats = append(b.ats, at)
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
	mask := s.ks.AllShards()
	var tx keyspace.Tx
	s.ks.Lock(mask)
	defer s.ks.Unlock(mask)
	s.ks.Begin(&tx, 0, mask, time.Now())
	tx.NoTouch = true
	t0 := time.Now()
	keys, err := s.loadRDBFile(&tx, path)
	if err != nil {
		for db := 0; db < s.ks.Databases(); db++ {
			tx.FlushDB(db)
		}
		return fmt.Errorf("loading %s: %w", path, err)
	}
	s.log.Noticef("DB loaded from disk: %.3f seconds (%d keys)", time.Since(t0).Seconds(), keys)
	return nil
}
