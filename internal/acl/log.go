package acl

import (
	"sync"
	"time"
)

// Contexts of a denial, as ACL LOG names them.
const (
	CtxToplevel = "toplevel"
	CtxMulti    = "multi"
	CtxLua      = "lua"
)

// groupWindow: a denial equal to a logged one (same reason, context,
// object and user) within this time updates it instead of adding one.
const groupWindow = 60 * time.Second

// LogEntry is one ACL LOG entry.
type LogEntry struct {
	Count      int
	Reason     string
	Context    string
	Object     string
	Username   string
	Created    time.Time // last update
	ClientInfo string
}

// Log is the ACL LOG: the newest entries first, at most a configured
// number of them.
type Log struct {
	mu      sync.Mutex
	entries []*LogEntry
}

// Add records a denial at time now, keeping at most max entries.
func (l *Log) Add(e LogEntry, now time.Time, max int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, old := range l.entries {
		if old.Reason == e.Reason && old.Context == e.Context && old.Object == e.Object &&
			old.Username == e.Username && now.Sub(old.Created) <= groupWindow {
			old.Count++
			old.Created = now
			old.ClientInfo = e.ClientInfo
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = old
			return
		}
	}
	e.Count = 1
	e.Created = now
	l.entries = append(l.entries, nil)
	copy(l.entries[1:], l.entries)
	l.entries[0] = &e
	l.Trim(max, true)
}

// Trim drops the oldest entries beyond max (locked: the caller holds the
// lock).
func (l *Log) Trim(max int, locked bool) {
	if !locked {
		l.mu.Lock()
		defer l.mu.Unlock()
	}
	if max < 0 {
		max = 0
	}
	for len(l.entries) > max {
		l.entries[len(l.entries)-1] = nil
		l.entries = l.entries[:len(l.entries)-1]
	}
}

// Entries returns copies of the newest n entries (all when n < 0).
func (l *Log) Entries(n int) []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	out := make([]LogEntry, n)
	for i := range out {
		out[i] = *l.entries[i]
	}
	return out
}

// Reset empties the log.
func (l *Log) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}
