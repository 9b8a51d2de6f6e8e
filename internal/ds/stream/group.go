package stream

import (
	"slices"
	"sort"
)

// NACK is a pending entry: delivered to a consumer of a group and not yet
// acknowledged.
type NACK struct {
	ID            ID
	Consumer      *Consumer
	DeliveryTime  int64 // ms
	DeliveryCount int64
}

type pelSlot struct {
	id ID
	n  *NACK // nil: removed, awaiting compaction
}

// PEL is an ordered set of pending entries. It is a sorted slice where a
// removal only clears its slot (compacted once half the slots are clear),
// so acknowledging from the head, the common case, costs O(log n) and
// delivering new IDs appends.
type PEL struct {
	slots []pelSlot
	dead  int
}

// Len is the number of pending entries.
func (p *PEL) Len() int { return len(p.slots) - p.dead }

// search is the index of the first slot with ID >= id.
func (p *PEL) search(id ID) int {
	return sort.Search(len(p.slots), func(i int) bool { return !p.slots[i].id.Less(id) })
}

// Find returns the pending entry id, or nil.
func (p *PEL) Find(id ID) *NACK {
	i := p.search(id)
	if i < len(p.slots) && p.slots[i].id == id {
		return p.slots[i].n
	}
	return nil
}

// Insert adds n; false if its ID is already pending.
func (p *PEL) Insert(n *NACK) bool {
	if k := len(p.slots); k == 0 || p.slots[k-1].id.Less(n.ID) {
		p.slots = append(p.slots, pelSlot{n.ID, n})
		return true
	}
	i := p.search(n.ID)
	if i < len(p.slots) && p.slots[i].id == n.ID {
		if p.slots[i].n != nil {
			return false
		}
		p.slots[i].n = n
		p.dead--
		return true
	}
	p.slots = slices.Insert(p.slots, i, pelSlot{n.ID, n})
	return true
}

// Remove deletes id and returns its entry, or nil.
func (p *PEL) Remove(id ID) *NACK {
	i := p.search(id)
	if i >= len(p.slots) || p.slots[i].id != id || p.slots[i].n == nil {
		return nil
	}
	n := p.slots[i].n
	p.slots[i].n = nil
	p.dead++
	if p.dead == len(p.slots) {
		p.slots, p.dead = p.slots[:0], 0
	} else if p.dead > 32 && p.dead*2 > len(p.slots) {
		p.compact()
	}
	return n
}

func (p *PEL) compact() {
	out := p.slots[:0]
	for _, s := range p.slots {
		if s.n != nil {
			out = append(out, s)
		}
	}
	clear(p.slots[len(out):])
	p.slots, p.dead = out, 0
}

// Next is the first pending entry with ID >= id, or nil.
func (p *PEL) Next(id ID) *NACK {
	for i := p.search(id); i < len(p.slots); i++ {
		if n := p.slots[i].n; n != nil {
			return n
		}
	}
	return nil
}

// Ascend calls fn on the entries with start <= ID <= end in order until it
// returns false. fn must not change the PEL.
func (p *PEL) Ascend(start, end ID, fn func(n *NACK) bool) {
	for i := p.search(start); i < len(p.slots); i++ {
		s := p.slots[i]
		if end.Less(s.id) {
			return
		}
		if s.n != nil && !fn(s.n) {
			return
		}
	}
}

// First and Last are the lowest and highest pending IDs.
func (p *PEL) First() (ID, bool) {
	if n := p.Next(ID{}); n != nil {
		return n.ID, true
	}
	return ID{}, false
}

func (p *PEL) Last() (ID, bool) {
	for i := len(p.slots) - 1; i >= 0; i-- {
		if p.slots[i].n != nil {
			return p.slots[i].id, true
		}
	}
	return ID{}, false
}

// Consumer is a member of a group with its own pending entries.
type Consumer struct {
	Name     string
	SeenTime int64 // ms of its last interaction
	PEL      PEL
}

// InvalidEntriesRead marks a group whose read counter is unknown.
const InvalidEntriesRead = -1

// Group is a consumer group.
type Group struct {
	Name        string
	LastID      ID    // last entry delivered to the group
	EntriesRead int64 // logical read counter, or InvalidEntriesRead
	PEL         PEL
	consumers   map[string]*Consumer
}

// Consumer looks a consumer up.
func (g *Group) Consumer(name []byte) *Consumer { return g.consumers[string(name)] }

// CreateConsumer adds a consumer; false (and the existing one) if the
// name is taken.
func (g *Group) CreateConsumer(name []byte, now int64) (*Consumer, bool) {
	if c := g.consumers[string(name)]; c != nil {
		return c, false
	}
	if g.consumers == nil {
		g.consumers = map[string]*Consumer{}
	}
	c := &Consumer{Name: string(name), SeenTime: now}
	g.consumers[c.Name] = c
	return c, true
}

// DeleteConsumer removes a consumer and its pending entries from the
// group; it returns how many were pending, or -1 if there was no such
// consumer.
func (g *Group) DeleteConsumer(name []byte) int {
	c := g.consumers[string(name)]
	if c == nil {
		return -1
	}
	n := c.PEL.Len()
	c.PEL.Ascend(ID{}, MaxID(), func(x *NACK) bool {
		g.PEL.Remove(x.ID)
		return true
	})
	delete(g.consumers, c.Name)
	return n
}

// NumConsumers is the number of consumers.
func (g *Group) NumConsumers() int { return len(g.consumers) }

// Consumers lists the consumers by name, Redis's order.
func (g *Group) Consumers() []*Consumer {
	out := make([]*Consumer, 0, len(g.consumers))
	for _, c := range g.consumers {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *Consumer) int { return cmpString(a.Name, b.Name) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Ack removes id from the group's and its consumer's pending entries.
func (g *Group) Ack(id ID) bool {
	n := g.PEL.Remove(id)
	if n == nil {
		return false
	}
	if n.Consumer != nil {
		n.Consumer.PEL.Remove(id)
	}
	return true
}

// Assign makes consumer c own pending entry n (creating it in the group
// when new).
func (g *Group) Assign(n *NACK, c *Consumer) {
	if n.Consumer == c {
		return
	}
	if n.Consumer != nil {
		n.Consumer.PEL.Remove(n.ID)
	}
	n.Consumer = c
	c.PEL.Insert(n)
}

// Group looks a group up.
func (s *Stream) Group(name []byte) *Group { return s.groups[string(name)] }

// CreateGroup adds a group; false if the name is taken.
func (s *Stream) CreateGroup(name []byte, last ID, entriesRead int64) (*Group, bool) {
	if g := s.groups[string(name)]; g != nil {
		return g, false
	}
	if s.groups == nil {
		s.groups = map[string]*Group{}
	}
	g := &Group{Name: string(name), LastID: last, EntriesRead: entriesRead}
	s.groups[g.Name] = g
	return g, true
}

// DestroyGroup removes a group; false if there was none.
func (s *Stream) DestroyGroup(name []byte) bool {
	if s.groups[string(name)] == nil {
		return false
	}
	delete(s.groups, string(name))
	return true
}

// NumGroups is the number of groups.
func (s *Stream) NumGroups() int { return len(s.groups) }

// Groups lists the groups by name.
func (s *Stream) Groups() []*Group {
	out := make([]*Group, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *Group) int { return cmpString(a.Name, b.Name) })
	return out
}

// firstOrZero is the first live ID, or 0-0 for an empty stream (Redis's
// recorded first ID).
func (s *Stream) firstOrZero() ID {
	id, _ := s.First()
	return id
}

// RecordedFirstID is the first entry's ID, 0-0 when empty.
func (s *Stream) RecordedFirstID() ID { return s.firstOrZero() }

// HasTombstones reports whether entries between start and end (inclusive)
// may have been deleted by XDEL: the read counter of a group cannot be
// advanced by counting across them.
func (s *Stream) HasTombstones(start, end ID) bool {
	if s.length == 0 || s.MaxDeleted.IsZero() {
		return false
	}
	return !s.MaxDeleted.Less(start) && !end.Less(s.MaxDeleted)
}

// EstimateDistance is the number of entries added up to and including
// id, when it can be told; InvalidEntriesRead otherwise.
func (s *Stream) EstimateDistance(id ID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	if s.length == 0 && !s.LastID.Less(id) {
		return s.EntriesAdded
	}
	switch id.Cmp(s.LastID) {
	case 0:
		return s.EntriesAdded
	case 1:
		return InvalidEntriesRead
	}
	first := s.firstOrZero()
	if s.MaxDeleted.IsZero() || s.MaxDeleted.Less(first) {
		switch id.Cmp(first) {
		case -1:
			return s.EntriesAdded - int64(s.length)
		case 0:
			return s.EntriesAdded - int64(s.length) + 1
		}
	}
	return InvalidEntriesRead
}

// Lag is the number of entries the group has yet to read; false when it
// cannot be told.
func (s *Stream) Lag(g *Group) (int64, bool) {
	if s.EntriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != InvalidEntriesRead && !s.HasTombstones(g.LastID, MaxID()) {
		return s.EntriesAdded - g.EntriesRead, true
	}
	if r := s.EstimateDistance(g.LastID); r != InvalidEntriesRead {
		return s.EntriesAdded - r, true
	}
	return 0, false
}

// Delivered advances the group past id, an entry just read with ">",
// keeping its read counter.
func (s *Stream) Delivered(g *Group, id ID) {
	if !g.LastID.Less(id) {
		return
	}
	if g.EntriesRead != InvalidEntriesRead && !s.HasTombstones(id, MaxID()) {
		g.EntriesRead++
	} else if s.EntriesAdded != 0 {
		g.EntriesRead = s.EstimateDistance(id)
	}
	g.LastID = id
}

// cloneGroups deep-copies the groups into c.
func (s *Stream) cloneGroups(c *Stream) {
	if len(s.groups) == 0 {
		return
	}
	c.groups = make(map[string]*Group, len(s.groups))
	for name, g := range s.groups {
		ng := &Group{Name: g.Name, LastID: g.LastID, EntriesRead: g.EntriesRead}
		cons := map[*Consumer]*Consumer{}
		for cname, oc := range g.consumers {
			nc, _ := ng.CreateConsumer([]byte(cname), oc.SeenTime)
			cons[oc] = nc
		}
		g.PEL.Ascend(ID{}, MaxID(), func(n *NACK) bool {
			nn := &NACK{ID: n.ID, DeliveryTime: n.DeliveryTime, DeliveryCount: n.DeliveryCount}
			ng.PEL.Insert(nn)
			if n.Consumer != nil {
				nn.Consumer = cons[n.Consumer]
				nn.Consumer.PEL.Insert(nn)
			}
			return true
		})
		c.groups[name] = ng
	}
}

// groupsMemory estimates the bytes the groups hold.
func (s *Stream) groupsMemory() int {
	n := 0
	for _, g := range s.groups {
		n += 96 + len(g.Name) + cap(g.PEL.slots)*24 + g.PEL.Len()*48
		for _, c := range g.consumers {
			n += 80 + len(c.Name) + cap(c.PEL.slots)*24
		}
	}
	return n
}

// RaxNodes is the number of nodes Redis's radix tree would have for this
// stream's blocks (XINFO STREAM's radix-tree-nodes): the tree is keyed by
// the 16-byte big-endian master IDs, with shared runs of bytes compressed
// into one node.
func (s *Stream) RaxNodes() int {
	if len(s.blocks) == 0 {
		return 1
	}
	keys := make([][16]byte, len(s.blocks))
	for i, b := range s.blocks {
		k := &keys[i]
		for j := 0; j < 8; j++ {
			k[j] = byte(b.master.Ms >> (56 - 8*j))
			k[8+j] = byte(b.master.Seq >> (56 - 8*j))
		}
	}
	return raxCount(keys, 0)
}

// raxCount counts the nodes under a set of sorted keys sharing their
// first d bytes.
func raxCount(keys [][16]byte, d int) int {
	if d == 16 {
		return 1 // the node marking the end of a key
	}
	if len(keys) == 1 {
		return 2 // a compressed node with the rest, then the key node
	}
	first, last := keys[0], keys[len(keys)-1]
	l := 0
	for d+l < 16 && first[d+l] == last[d+l] {
		l++
	}
	if l > 0 {
		return 1 + raxCount(keys, d+l)
	}
	n := 1 // a branching node
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && keys[j][d] == keys[i][d] {
			j++
		}
		n += raxCount(keys[i:j], d+1)
		i = j
	}
	return n
}
