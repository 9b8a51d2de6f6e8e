package server

import (
	"sort"
	"sync/atomic"
)

// Client eviction (maxmemory-clients, Redis 7): the memory of every
// client's buffers together is bounded; past the bound the clients using
// the most are closed first, until the rest fit. CLIENT NO-EVICT exempts a
// client. A client's memory here is its query buffer and its unsent output
// (replies and pushes), the parts a client controls.

// clientEvictState counts what INFO reports.
type clientEvictState struct {
	evicted atomic.Int64 // evicted_clients
}

// memUsage is the client's buffered bytes. Safe from any goroutine: the
// query buffer size is an atomic, the output is read under wmu.
func (c *client) memUsage() int64 {
	c.wmu.Lock()
	out := len(c.pend) + len(c.pubq)
	c.wmu.Unlock()
	return c.qbuf.Load() + int64(out)
}

// clientEvictLimit is maxmemory-clients in bytes (a negative value is a
// percentage of maxmemory), 0 when off.
func (s *Server) clientEvictLimit() int64 {
	lim := s.cfg.Int("maxmemory-clients")
	if lim < 0 {
		lim = s.evict.maxmemory.Load() * -lim / 100
	}
	return max(lim, 0)
}

// clientEvictCron closes the biggest clients while all together use more
// than maxmemory-clients. Runs from the cron, holding no other lock.
func (s *Server) clientEvictCron() {
	lim := s.clientEvictLimit()
	if lim == 0 {
		return
	}
	type usage struct {
		c   *client
		mem int64
	}
	var all []usage
	var total int64
	s.mu.Lock()
	for _, c := range s.clients {
		if c.killed.Load() {
			// Evicted (or killed) already, its loop not done closing it:
			// neither counted again nor picked twice.
			continue
		}
		mem := c.memUsage()
		total += mem
		c.mu.Lock()
		exempt := c.noEvict
		c.mu.Unlock()
		if !exempt && mem > 0 {
			all = append(all, usage{c, mem})
		}
	}
	s.mu.Unlock()
	if total <= lim {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mem > all[j].mem })
	for _, u := range all {
		if total <= lim {
			break
		}
		s.log.Noticef("Evicting client: id=%d addr=%s (%d bytes of buffers, clients use %d of maxmemory-clients %d)", u.c.id, u.c.raddr, u.mem, total, lim)
		u.c.kill()
		s.clientEvict.evicted.Add(1)
		total -= u.mem
	}
}
