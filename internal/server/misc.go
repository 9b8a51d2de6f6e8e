package server

import (
	"sort"
	"strings"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/ds/kvtable"
	"github.com/taconite/taconite/internal/glob"
)

type keyspaceEntry = kvtable.Entry

// dirty counts a change to the data, for rdb_changes_since_last_save and,
// later, propagation.
func (c *client) dirty() {
	c.dirtyN++
	c.loop.stats.dirty.Add(1)
}

func globMatchFold(p, s []byte) bool { return glob.MatchFold(p, s) }

func hasCategory(cmd *command.Command, cat string) bool {
	c, ok := command.ACLCategoryByName(strings.TrimPrefix(strings.ToLower(cat), "@"))
	return ok && cmd.ACLCategories.Has(c)
}

func configImplemented(name string) bool { return config.IsImplemented(strings.ToLower(name)) }

// clientsSorted returns the connected clients by id. A killed client whose
// loop has not closed it yet is already gone as far as CLIENT LIST and
// CLIENT KILL are concerned.
func (s *Server) clientsSorted() []*client {
	s.mu.Lock()
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		if !c.killed.Load() {
			out = append(out, c)
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (c *client) setProto(p int) {
	c.proto = p
	c.protoAtomic.Store(int32(p))
}
