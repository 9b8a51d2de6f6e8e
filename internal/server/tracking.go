package server

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/rerr"
	"github.com/taconite/taconite/internal/resp"
)

// Client-side caching (CLIENT TRACKING). In the default mode the server
// remembers, per key name, the clients that read it; the first change to
// the key sends each of them one invalidation and forgets them. In BCAST
// mode a client names key prefixes instead and hears of every change to a
// matching key. Keys are remembered and changes signalled while the
// command holds its shard locks, so a change cannot slip between a read
// and its registration.
//
// Invalidations travel like pub/sub messages (client.deliver): RESP3
// clients get an "invalidate" push; a client redirecting to another one
// has it delivered there, as a __redis__:invalidate message when that
// client speaks RESP2 and is subscribed.
//
// Lock order: trackingTable.mu is taken with shard locks held, before
// Server.mu (client lookup by id) and client.wmu (delivery).

// trackingState is a client's tracking mode, guarded by trackingTable.mu.
type trackingState struct {
	on, bcast, optin, optout, noloop bool
	// caching: CLIENT CACHING yes/no for the next command only.
	caching  bool
	redirect int64
	prefixes []string
}

type trackingTable struct {
	mu       sync.Mutex
	keys     map[string]map[int64]struct{} // key name -> reader ids
	prefixes map[string]map[*client]struct{}
	clients  atomic.Int64 // clients with tracking on
}

const trackingChannel = "__redis__:invalidate"

func cmdClientTracking(c *client, argv [][]byte) {
	var redir int64
	var bcast, optin, optout, noloop bool
	var prefixes []string
	for j := 3; j < len(argv); j++ {
		more := len(argv) - 1 - j
		switch {
		case eq(argv[j], "redirect") && more > 0:
			j++
			if redir != 0 {
				c.replyError("ERR A client can only redirect to a single other client")
				return
			}
			n, ok := c.argInt(argv[j])
			if !ok {
				return
			}
			if c.s.clientByID(n) == nil {
				c.replyError("ERR The client ID you want redirect to does not exist")
				return
			}
			redir = n
		case eq(argv[j], "bcast"):
			bcast = true
		case eq(argv[j], "optin"):
			optin = true
		case eq(argv[j], "optout"):
			optout = true
		case eq(argv[j], "noloop"):
			noloop = true
		case eq(argv[j], "prefix") && more > 0:
			j++
			prefixes = append(prefixes, string(argv[j]))
		default:
			c.replyError(rerr.Syntax)
			return
		}
	}
	t := &c.s.tracking
	switch {
	case eq(argv[2], "on"):
		if !bcast && len(prefixes) > 0 {
			c.replyError("ERR PREFIX option requires BCAST mode to be enabled")
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		st := &c.trk
		if st.on && st.bcast != bcast {
			c.replyError("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if bcast && (optin || optout) {
			c.replyError("ERR OPTIN and OPTOUT are not compatible with BCAST")
			return
		}
		if optin && optout {
			c.replyError("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		}
		if (optin && st.optout) || (optout && st.optin) {
			c.replyError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if bcast && !c.prefixesOK(prefixes) {
			return
		}
		if !st.on {
			t.clients.Add(1)
		}
		st.on, st.bcast, st.optin, st.optout, st.noloop, st.caching = true, bcast, optin, optout, noloop, false
		st.redirect = redir
		if bcast {
			if len(prefixes) == 0 {
				prefixes = []string{""}
			}
			if t.prefixes == nil {
				t.prefixes = map[string]map[*client]struct{}{}
			}
			for _, p := range prefixes {
				if !containsString(st.prefixes, p) {
					st.prefixes = append(st.prefixes, p)
				}
				set := t.prefixes[p]
				if set == nil {
					set = map[*client]struct{}{}
					t.prefixes[p] = set
				}
				set[c] = struct{}{}
			}
		}
	case eq(argv[2], "off"):
		c.s.disableTracking(c)
	default:
		c.replyError(rerr.Syntax)
		return
	}
	c.replyOK()
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// prefixesOK refuses BCAST prefixes that overlap each other or the
// client's existing ones, as Redis. Called with tracking.mu held.
func (c *client) prefixesOK(ps []string) bool {
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range ps {
		for _, q := range c.trk.prefixes {
			if overlap(p, q) {
				c.replyError("ERR Prefix '" + p + "' overlaps with an existing prefix '" + q + "'. Prefixes for a single client must not overlap.")
				return false
			}
		}
		for j := i + 1; j < len(ps); j++ {
			if overlap(p, ps[j]) {
				c.replyError("ERR Prefix '" + p + "' overlaps with another provided prefix '" + ps[j] + "'. Prefixes for a single client must not overlap.")
				return false
			}
		}
	}
	return true
}

// disableTracking turns tracking off (CLIENT TRACKING off, RESET, close).
func (s *Server) disableTracking(c *client) {
	t := &s.tracking
	if !c.trk.on {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range c.trk.prefixes {
		if set := t.prefixes[p]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(t.prefixes, p)
			}
		}
	}
	c.trk = trackingState{}
	t.clients.Add(-1)
}

func cmdClientCaching(c *client, argv [][]byte) {
	t := &c.s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &c.trk
	if !st.on {
		c.replyError("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case eq(argv[2], "yes"):
		if !st.optin {
			c.replyError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case eq(argv[2], "no"):
		if !st.optout {
			c.replyError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.replyError(rerr.Syntax)
		return
	}
	st.caching = true
	c.replyOK()
}

func cmdClientGetRedir(c *client, argv [][]byte) {
	t := &c.s.tracking
	t.mu.Lock()
	n := int64(-1)
	if c.trk.on {
		n = c.trk.redirect
	}
	t.mu.Unlock()
	c.replyInt(n)
}

func cmdClientTrackingInfo(c *client, argv [][]byte) {
	t := &c.s.tracking
	t.mu.Lock()
	st := c.trk
	st.prefixes = append([]string(nil), st.prefixes...)
	t.mu.Unlock()
	var flags []string
	if !st.on {
		flags = append(flags, "off")
	} else {
		flags = append(flags, "on")
		if st.bcast {
			flags = append(flags, "bcast")
		}
		if st.optin {
			flags = append(flags, "optin")
			if st.caching {
				flags = append(flags, "caching-yes")
			}
		}
		if st.optout {
			flags = append(flags, "optout")
			if st.caching {
				flags = append(flags, "caching-no")
			}
		}
		if st.noloop {
			flags = append(flags, "noloop")
		}
		if st.redirect != 0 && c.s.clientByID(st.redirect) == nil {
			flags = append(flags, "broken_redirect")
		}
	}
	c.replyMapLen(3)
	c.replyBulkString("flags")
	c.replySetLen(len(flags))
	for _, f := range flags {
		c.replyBulkString(f)
	}
	c.replyBulkString("redirect")
	if st.on {
		c.replyInt(st.redirect)
	} else {
		c.replyInt(-1)
	}
	c.replyBulkString("prefixes")
	c.replyStrings(st.prefixes)
}

// endCaching drops CLIENT CACHING's one-command effect after the command
// that followed it.
func (c *client) endCaching() {
	t := &c.s.tracking
	t.mu.Lock()
	c.trk.caching = false
	t.mu.Unlock()
}

// trackingCounts is INFO's tracking_total_keys, _items and _prefixes.
func (s *Server) trackingCounts() (keys, items, prefixes int) {
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ids := range t.keys {
		items += len(ids)
	}
	return len(t.keys), items, len(t.prefixes)
}

// clientByID finds a connected client.
func (s *Server) clientByID(id int64) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[id]
	if c == nil || c.killed.Load() {
		return nil
	}
	return c
}

// trackRead remembers the keys a read-only command read, for a client in
// default tracking mode. Runs with the command's shard locks held.
func (s *Server) trackRead(c *client, cmd *command.Command, argv [][]byte) {
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &c.trk
	if !st.on || st.bcast || (st.optin && !st.caching) || (st.optout && st.caching) {
		return
	}
	idx, err := cmd.KeyIndexes(argv, nil)
	if err != nil {
		return
	}
	if t.keys == nil {
		t.keys = map[string]map[int64]struct{}{}
	}
	for _, i := range idx {
		set := t.keys[string(argv[i])]
		if set == nil {
			set = map[int64]struct{}{}
			t.keys[string(argv[i])] = set
		}
		set[c.id] = struct{}{}
	}
	if max := s.cfg.Int("tracking-table-max-keys"); max > 0 {
		for k := range t.keys {
			if int64(len(t.keys)) <= max {
				break
			}
			s.invalidateLocked(nil, []byte(k))
		}
	}
}

// invalidateKeys tells the clients tracking any of keys that they
// changed. by is the client that changed them (for NOLOOP), nil for
// expiry. Runs with the keys' shard locks held.
func (s *Server) invalidateKeys(by *client, keys [][]byte) {
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		s.invalidateLocked(by, k)
	}
	if len(t.prefixes) == 0 {
		return
	}
	for p, set := range t.prefixes {
		var matched [][]byte
		for _, k := range keys {
			if strings.HasPrefix(string(k), p) {
				matched = append(matched, k)
			}
		}
		if len(matched) == 0 {
			continue
		}
		for target := range set {
			if target.trk.noloop && target == by {
				continue
			}
			s.sendInvalidation(target, matched, false)
		}
	}
}

// invalidateLocked sends the invalidation of one key in the default mode
// and forgets its readers. Called with tracking.mu held.
func (s *Server) invalidateLocked(by *client, key []byte) {
	t := &s.tracking
	ids, ok := t.keys[string(key)]
	if !ok {
		return
	}
	delete(t.keys, string(key))
	for id := range ids {
		target := s.clientByID(id)
		if target == nil || !target.trk.on || target.trk.bcast {
			continue
		}
		if target.trk.noloop && target == by {
			continue
		}
		s.sendInvalidation(target, [][]byte{key}, false)
	}
}

// invalidateAll answers FLUSHDB/FLUSHALL: every tracking client gets a
// null invalidation and the table is emptied. Called with every shard
// locked.
func (s *Server) invalidateAll() {
	t := &s.tracking
	if t.clients.Load() == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.keys = nil
	s.mu.Lock()
	var all []*client
	for _, c := range s.clients {
		all = append(all, c)
	}
	s.mu.Unlock()
	for _, c := range all {
		if c.trk.on {
			s.sendInvalidation(c, nil, true)
		}
	}
}

// sendInvalidation delivers one invalidation message for keys (or a null
// for a flush) to c or to the client c redirects to. Called with
// tracking.mu held.
func (s *Server) sendInvalidation(c *client, keys [][]byte, flush bool) {
	target := c
	redirected := false
	if c.trk.redirect != 0 {
		target = s.clientByID(c.trk.redirect)
		if target == nil {
			if c.protoOf() == 3 {
				b := resp.AppendPushLen(nil, 2, 3)
				b = resp.AppendBulkString(b, "tracking-redir-broken")
				c.deliver(resp.AppendInt(b, c.trk.redirect))
			}
			return
		}
		redirected = true
	}
	var b []byte
	switch {
	case target.protoOf() == 3:
		b = resp.AppendPushLen(nil, 2, 3)
		b = resp.AppendBulkString(b, "invalidate")
	case redirected && target.subCountShared.Load() > 0:
		b = resp.AppendPushLen(nil, 3, 2)
		b = resp.AppendBulkString(b, "message")
		b = resp.AppendBulkString(b, trackingChannel)
	default:
		// A RESP2 connection without pub/sub cannot carry pushes.
		return
	}
	if flush {
		b = resp.AppendNullBulk(b, c.protoOf())
	} else {
		b = resp.AppendArrayLen(b, len(keys))
		for _, k := range keys {
			b = resp.AppendBulk(b, k)
		}
	}
	target.deliver(b)
}
