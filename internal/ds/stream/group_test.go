package stream

import (
	"math/rand"
	"slices"
	"testing"
)

func TestPELAgainstModel(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	var p PEL
	model := map[ID]bool{}
	for i := 0; i < 20000; i++ {
		id := ID{uint64(r.Intn(300)), uint64(r.Intn(3))}
		switch r.Intn(3) {
		case 0, 1:
			if got := p.Insert(&NACK{ID: id}); got == model[id] {
				t.Fatalf("insert %v: %v with model %v", id, got, model[id])
			}
			model[id] = true
		default:
			if got := p.Remove(id) != nil; got != model[id] {
				t.Fatalf("remove %v: %v", id, got)
			}
			delete(model, id)
		}
		if p.Len() != len(model) {
			t.Fatalf("len %d want %d", p.Len(), len(model))
		}
	}
	var want []ID
	for id := range model {
		want = append(want, id)
	}
	slices.SortFunc(want, func(a, b ID) int { return a.Cmp(b) })
	var got []ID
	p.Ascend(ID{}, MaxID(), func(n *NACK) bool { got = append(got, n.ID); return true })
	if !slices.Equal(got, want) {
		t.Fatalf("order: %v want %v", got, want)
	}
	if len(want) > 0 {
		if f, _ := p.First(); f != want[0] {
			t.Fatalf("first %v", f)
		}
		if l, _ := p.Last(); l != want[len(want)-1] {
			t.Fatalf("last %v", l)
		}
		if n := p.Next(want[0]); n == nil || n.ID != want[0] {
			t.Fatalf("next")
		}
	}
}

func TestGroupConsumersAndClaims(t *testing.T) {
	s := New()
	for i := uint64(1); i <= 3; i++ {
		s.Append(ID{i, 0}, [][]byte{[]byte("f"), []byte("v")}, Limits{})
	}
	g, ok := s.CreateGroup([]byte("g"), ID{}, 0)
	if !ok {
		t.Fatal("create")
	}
	if _, ok := s.CreateGroup([]byte("g"), ID{}, 0); ok {
		t.Fatal("duplicate group")
	}
	a, _ := g.CreateConsumer([]byte("a"), 1)
	b, _ := g.CreateConsumer([]byte("b"), 1)
	for i := uint64(1); i <= 3; i++ {
		n := &NACK{ID: ID{i, 0}, Consumer: a}
		g.PEL.Insert(n)
		a.PEL.Insert(n)
		s.Delivered(g, n.ID)
	}
	if g.EntriesRead != 3 || g.LastID != (ID{3, 0}) {
		t.Fatalf("delivered: %d %v", g.EntriesRead, g.LastID)
	}
	if lag, ok := s.Lag(g); !ok || lag != 0 {
		t.Fatalf("lag %d %v", lag, ok)
	}
	g.Assign(g.PEL.Find(ID{2, 0}), b)
	if a.PEL.Len() != 2 || b.PEL.Len() != 1 {
		t.Fatalf("assign: %d %d", a.PEL.Len(), b.PEL.Len())
	}
	if !g.Ack(ID{2, 0}) || g.Ack(ID{2, 0}) || b.PEL.Len() != 0 {
		t.Fatal("ack")
	}
	if n := g.DeleteConsumer([]byte("a")); n != 2 || g.PEL.Len() != 0 {
		t.Fatalf("delete consumer: %d, group pel %d", n, g.PEL.Len())
	}
	c := s.Clone()
	if c.Group([]byte("g")).Consumer([]byte("b")) == nil {
		t.Fatal("clone lost consumer")
	}
}

func TestRaxNodes(t *testing.T) {
	s := New()
	if s.RaxNodes() != 1 {
		t.Fatalf("empty: %d", s.RaxNodes())
	}
	s.Append(ID{1, 0}, [][]byte{[]byte("f"), []byte("v")}, Limits{MaxEntries: 1})
	if s.RaxNodes() != 2 {
		t.Fatalf("one block: %d", s.RaxNodes())
	}
	s.Append(ID{2, 0}, [][]byte{[]byte("f"), []byte("v")}, Limits{MaxEntries: 1})
	// A compressed run of the 7 shared bytes, a branch on the 8th, and
	// for each key a compressed tail of 8 bytes and its key node.
	if s.RaxNodes() != 6 {
		t.Fatalf("two blocks: %d", s.RaxNodes())
	}
}
