package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// KindStream is a stream Value (Value.Stream).
const KindStream Kind = 5

// StreamID is a stream entry ID.
type StreamID struct{ Ms, Seq uint64 }

func (a StreamID) less(b StreamID) bool { return a.Ms < b.Ms || (a.Ms == b.Ms && a.Seq < b.Seq) }

// StreamEntry is one live entry: its ID and field, value pairs.
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// StreamNACK is a pending entry of a group.
type StreamNACK struct {
	ID            StreamID
	DeliveryTime  int64 // ms
	DeliveryCount uint64
}

// StreamConsumer is a consumer and the IDs of its pending entries (each
// also in its group's PEL).
type StreamConsumer struct {
	Name     []byte
	SeenTime int64 // ms
	PEL      []StreamID
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64 // -1 when unknown
	PEL         []StreamNACK
	Consumers   []StreamConsumer
}

// StreamValue is a stream: entries in ID order, metadata, groups (by
// name).
type StreamValue struct {
	Entries      []StreamEntry
	LastID       StreamID
	FirstID      StreamID
	MaxDeleted   StreamID
	EntriesAdded uint64
	Groups       []StreamGroup
	// Node limits the encoder cuts listpack nodes at, as Redis's
	// stream-node-max-entries and -bytes (0: Redis's defaults).
	NodeMaxEntries, NodeMaxBytes int
}

const (
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

func appendStreamID(b []byte, id StreamID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

func lpAppendInt(b []byte, v int64) []byte {
	var buf [24]byte
	return lpAppend(b, strconv.AppendInt(buf[:0], v, 10))
}

// appendStream writes a stream as RDB_TYPE_STREAM_LISTPACKS_2, cutting
// listpack nodes where Redis cuts a stream built by XADD alone.
func (a *appender) appendStream(b []byte, s *StreamValue) []byte {
	maxEntries, maxBytes := s.NodeMaxEntries, s.NodeMaxBytes
	if maxEntries == 0 && maxBytes == 0 {
		maxEntries, maxBytes = 100, 4096
	}
	if maxBytes <= 0 || maxBytes > 1<<30 {
		maxBytes = 1 << 30
	}
	// Group entries into nodes first: the node count comes first.
	var nodes [][]StreamEntry
	size := 0 // Redis's running listpack size estimate of the open node
	for i, e := range s.Entries {
		tot := 0
		for _, f := range e.Fields {
			tot += len(f)
		}
		n := len(nodes)
		if n > 0 {
			cur := nodes[n-1]
			if size+tot >= maxBytes || (maxEntries > 0 && len(cur) >= maxEntries) {
				n = 0
			}
		}
		if n == 0 {
			nodes = append(nodes, nil)
			size = 0
		}
		cur := append(nodes[len(nodes)-1], s.Entries[i])
		nodes[len(nodes)-1] = cur
		if len(cur) == 1 {
			size = lpHeader + 1 + lpIntEntrySize(0) + lpIntEntrySize(int64(len(e.Fields)/2)) + lpIntEntrySize(0)
			for j := 0; j < len(e.Fields); j += 2 {
				size += lpEntrySize(e.Fields[j])
			}
		} else {
			size -= lpIntEntrySize(int64(len(cur) - 1))
		}
		size += lpIntEntrySize(int64(len(cur))) + streamEntrySize(cur[0], e)
	}
	b = appendLen(b, uint64(len(nodes)))
	for _, n := range nodes {
		b = a.appendString(b, appendStreamID(nil, n[0].ID))
		b = a.appendString(b, a.streamNode(n))
	}
	b = appendLen(b, uint64(len(s.Entries)))
	b = appendLen(b, s.LastID.Ms)
	b = appendLen(b, s.LastID.Seq)
	b = appendLen(b, s.FirstID.Ms)
	b = appendLen(b, s.FirstID.Seq)
	b = appendLen(b, s.MaxDeleted.Ms)
	b = appendLen(b, s.MaxDeleted.Seq)
	b = appendLen(b, s.EntriesAdded)
	b = appendLen(b, uint64(len(s.Groups)))
	for _, g := range s.Groups {
		b = a.appendString(b, g.Name)
		b = appendLen(b, g.LastID.Ms)
		b = appendLen(b, g.LastID.Seq)
		b = appendLen(b, uint64(g.EntriesRead))
		b = appendLen(b, uint64(len(g.PEL)))
		for _, n := range g.PEL {
			b = appendStreamID(b, n.ID)
			b = binary.LittleEndian.AppendUint64(b, uint64(n.DeliveryTime))
			b = appendLen(b, n.DeliveryCount)
		}
		b = appendLen(b, uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			b = a.appendString(b, c.Name)
			b = binary.LittleEndian.AppendUint64(b, uint64(c.SeenTime))
			b = appendLen(b, uint64(len(c.PEL)))
			for _, id := range c.PEL {
				b = appendStreamID(b, id)
			}
		}
	}
	return b
}

// streamNode builds one node's listpack: the master entry (live count,
// deleted count, the first entry's field names, 0), then each entry as
// flags, ID deltas, fields or only values, and its element count.
func (a *appender) streamNode(es []StreamEntry) []byte {
	master := es[0]
	lp := lpStart(nil)
	n := 0
	add := func(s []byte) { lp = lpAppend(lp, s); n++ }
	addInt := func(v int64) { lp = lpAppendInt(lp, v); n++ }
	nf := len(master.Fields) / 2
	addInt(int64(len(es)))
	addInt(0)
	addInt(int64(nf))
	for i := 0; i < len(master.Fields); i += 2 {
		add(master.Fields[i])
	}
	addInt(0)
	for _, e := range es {
		same := len(e.Fields) == len(master.Fields)
		for i := 0; same && i < len(e.Fields); i += 2 {
			same = string(e.Fields[i]) == string(master.Fields[i])
		}
		flags := int64(0)
		if same {
			flags = streamFlagSameFields
		}
		addInt(flags)
		addInt(int64(e.ID.Ms - master.ID.Ms))
		addInt(int64(e.ID.Seq - master.ID.Seq))
		efn := len(e.Fields) / 2
		if same {
			for i := 1; i < len(e.Fields); i += 2 {
				add(e.Fields[i])
			}
			addInt(int64(efn + 3))
		} else {
			addInt(int64(efn))
			for _, f := range e.Fields {
				add(f)
			}
			addInt(int64(2*efn + 4))
		}
	}
	return lpFinish(lp, 0, n)
}

func lpIntEntrySize(v int64) int {
	n := lpIntSize(v)
	return n + lpBacklenSize(n)
}

// streamEntrySize is the listpack bytes of entry e in a node whose
// master entry is master's (streamNode's layout).
func streamEntrySize(master, e StreamEntry) int {
	same := len(e.Fields) == len(master.Fields)
	for i := 0; same && i < len(e.Fields); i += 2 {
		same = string(e.Fields[i]) == string(master.Fields[i])
	}
	efn := len(e.Fields) / 2
	n := lpIntEntrySize(int64(e.ID.Ms-master.ID.Ms)) + lpIntEntrySize(int64(e.ID.Seq-master.ID.Seq))
	if same {
		n += lpIntEntrySize(streamFlagSameFields) + lpIntEntrySize(int64(efn+3))
		for i := 1; i < len(e.Fields); i += 2 {
			n += lpEntrySize(e.Fields[i])
		}
		return n
	}
	n += lpIntEntrySize(0) + lpIntEntrySize(int64(efn)) + lpIntEntrySize(int64(2*efn+4))
	for _, f := range e.Fields {
		n += lpEntrySize(f)
	}
	return n
}

var errStreamNode = errors.New("corrupt stream listpack node")

// parseStreamNode appends a node's live entries to out.
func parseStreamNode(key, lp []byte, out []StreamEntry) ([]StreamEntry, error) {
	if len(key) != 16 {
		return nil, errors.New("stream node key is not 16 bytes")
	}
	master := StreamID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}
	el, err := parseListpack(lp)
	if err != nil {
		return nil, err
	}
	p := 0
	next := func() ([]byte, bool) {
		if p >= len(el) {
			return nil, false
		}
		p++
		return el[p-1], true
	}
	nextInt := func() (int64, bool) {
		s, ok := next()
		if !ok {
			return 0, false
		}
		v, err := strconv.ParseInt(string(s), 10, 64)
		return v, err == nil
	}
	count, ok1 := nextInt()
	deleted, ok2 := nextInt()
	nf, ok3 := nextInt()
	if !ok1 || !ok2 || !ok3 || count < 0 || deleted < 0 || nf < 0 || nf > int64(len(el)) {
		return nil, errStreamNode
	}
	fields := make([][]byte, nf)
	for i := range fields {
		f, ok := next()
		if !ok {
			return nil, errStreamNode
		}
		fields[i] = f
	}
	if z, ok := nextInt(); !ok || z != 0 {
		return nil, errStreamNode
	}
	live := int64(0)
	for p < len(el) {
		flags, ok1 := nextInt()
		dms, ok2 := nextInt()
		dseq, ok3 := nextInt()
		if !ok1 || !ok2 || !ok3 {
			return nil, errStreamNode
		}
		e := StreamEntry{ID: StreamID{master.Ms + uint64(dms), master.Seq + uint64(dseq)}}
		if flags&streamFlagSameFields != 0 {
			for _, f := range fields {
				v, ok := next()
				if !ok {
					return nil, errStreamNode
				}
				e.Fields = append(e.Fields, f, v)
			}
		} else {
			n, ok := nextInt()
			if !ok || n < 0 || n > int64(len(el)) {
				return nil, errStreamNode
			}
			for i := int64(0); i < 2*n; i++ {
				v, ok := next()
				if !ok {
					return nil, errStreamNode
				}
				e.Fields = append(e.Fields, v)
			}
		}
		if _, ok := nextInt(); !ok {
			return nil, errStreamNode
		}
		if flags&streamFlagDeleted != 0 {
			continue
		}
		if len(out) > 0 && !out[len(out)-1].ID.less(e.ID) {
			return nil, errors.New("stream entries out of order")
		}
		live++
		out = append(out, e)
	}
	if live != count {
		return nil, fmt.Errorf("stream node holds %d live entries, its header says %d", live, count)
	}
	return out, nil
}

// readStream reads a stream of type t (15, 19 or 21).
func (d *Decoder) readStream(t byte, v *Value) error {
	r := d.r
	s := &StreamValue{}
	v.Kind, v.Stream = KindStream, s
	nodes, err := r.count("stream node")
	if err != nil {
		return err
	}
	for i := 0; i < nodes; i++ {
		at := r.offset()
		key, err := r.string()
		if err != nil {
			return err
		}
		lp, err := r.string()
		if err != nil {
			return err
		}
		if s.Entries, err = parseStreamNode(key, lp, s.Entries); err != nil {
			return &Error{Offset: at, Msg: err.Error()}
		}
	}
	lens := func(ns ...*uint64) error {
		for _, n := range ns {
			x, err := r.plainLen()
			if err != nil {
				return err
			}
			*n = x
		}
		return nil
	}
	at := r.offset()
	var length uint64
	if err := lens(&length, &s.LastID.Ms, &s.LastID.Seq); err != nil {
		return err
	}
	if length != uint64(len(s.Entries)) {
		return &Error{Offset: at, Msg: fmt.Sprintf("stream length %d but %d entries", length, len(s.Entries))}
	}
	if t >= TypeStreamListpack2 {
		if err := lens(&s.FirstID.Ms, &s.FirstID.Seq, &s.MaxDeleted.Ms, &s.MaxDeleted.Seq, &s.EntriesAdded); err != nil {
			return err
		}
	} else {
		s.EntriesAdded = length
		if len(s.Entries) > 0 {
			s.FirstID = s.Entries[0].ID
		}
	}
	ngroups, err := r.count("consumer group")
	if err != nil {
		return err
	}
	readID := func() (StreamID, error) {
		p, err := r.next(16)
		if err != nil {
			return StreamID{}, err
		}
		return StreamID{binary.BigEndian.Uint64(p), binary.BigEndian.Uint64(p[8:])}, nil
	}
	for i := 0; i < ngroups; i++ {
		var g StreamGroup
		if g.Name, err = r.string(); err != nil {
			return err
		}
		if err := lens(&g.LastID.Ms, &g.LastID.Seq); err != nil {
			return err
		}
		g.EntriesRead = -1
		if t >= TypeStreamListpack2 {
			var er uint64
			if err := lens(&er); err != nil {
				return err
			}
			g.EntriesRead = int64(er)
		}
		npel, err := r.count("PEL")
		if err != nil {
			return err
		}
		for j := 0; j < npel; j++ {
			var n StreamNACK
			if n.ID, err = readID(); err != nil {
				return err
			}
			p, err := r.next(8)
			if err != nil {
				return err
			}
			n.DeliveryTime = int64(binary.LittleEndian.Uint64(p))
			if err := lens(&n.DeliveryCount); err != nil {
				return err
			}
			g.PEL = append(g.PEL, n)
		}
		ncons, err := r.count("consumer")
		if err != nil {
			return err
		}
		for j := 0; j < ncons; j++ {
			var c StreamConsumer
			if c.Name, err = r.string(); err != nil {
				return err
			}
			p, err := r.next(8)
			if err != nil {
				return err
			}
			c.SeenTime = int64(binary.LittleEndian.Uint64(p))
			if t >= TypeStreamListpack3 {
				if _, err := r.next(8); err != nil { // active-time (7.2)
					return err
				}
			}
			n, err := r.count("consumer PEL")
			if err != nil {
				return err
			}
			for k := 0; k < n; k++ {
				id, err := readID()
				if err != nil {
					return err
				}
				c.PEL = append(c.PEL, id)
			}
			g.Consumers = append(g.Consumers, c)
		}
		s.Groups = append(s.Groups, g)
	}
	return nil
}
