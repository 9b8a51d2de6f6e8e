package acl

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/taconite/taconite/internal/command"
)

// Entry is a user's slot in a registry. Clients hold the Entry of the
// user they authenticated as: changes to the user are new Users stored in
// the same Entry, so clients see them at their next command.
type Entry struct {
	name string
	u    atomic.Pointer[User]
	gone atomic.Bool // deleted; its clients are being disconnected
}

// Name is the user's name.
func (e *Entry) Name() string { return e.name }

// User is the user's current rules.
func (e *Entry) User() *User { return e.u.Load() }

// Gone reports whether the user was deleted.
func (e *Entry) Gone() bool { return e.gone.Load() }

// Registry is the server's table of users.
type Registry struct {
	t         *command.Table
	mu        sync.Mutex // serialises changes; readers use the entries
	users     map[string]*Entry
	def       *Entry
	pubsubAll atomic.Bool // acl-pubsub-default is allchannels
	Log       Log
}

// NewRegistry returns a registry holding only the default user.
func NewRegistry(t *command.Table) *Registry {
	r := &Registry{t: t, users: map[string]*Entry{}}
	r.def = &Entry{name: "default"}
	r.def.u.Store(NewDefaultUser(t))
	r.users["default"] = r.def
	return r
}

// Table is the command table rules are resolved against.
func (r *Registry) Table() *command.Table { return r.t }

// SetPubsubDefault sets whether new users get every channel
// (acl-pubsub-default allchannels).
func (r *Registry) SetPubsubDefault(all bool) { r.pubsubAll.Store(all) }

// PubsubDefault reports acl-pubsub-default.
func (r *Registry) PubsubDefault() bool { return r.pubsubAll.Load() }

// Default is the default user's entry.
func (r *Registry) Default() *Entry { return r.def }

// Get returns a user's entry, or nil.
func (r *Registry) Get(name string) *Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.users[name]
}

// Entries returns every user's entry in name order.
func (r *Registry) Entries() []*Entry {
	r.mu.Lock()
	out := make([]*Entry, 0, len(r.users))
	for _, e := range r.users {
		out = append(out, e)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// SetUser applies rules to a user, creating it if needed, all or nothing.
// It returns the user's entry and its rules before the change (nil for a
// new user).
func (r *Registry) SetUser(name string, rules []string) (e *Entry, old *User, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e = r.users[name]
	if e != nil {
		old = e.User()
	}
	u, err := SetRules(r.t, old, name, rules, r.pubsubAll.Load())
	if err != nil {
		return nil, nil, err
	}
	if e == nil {
		e = &Entry{name: name}
		r.users[name] = e
	}
	e.u.Store(u)
	return e, old, nil
}

// SetDefaultPassword makes pw the default user's only password, or makes
// it nopass when pw is empty, as requirepass does.
func (r *Registry) SetDefaultPassword(pw string) {
	rule := "nopass"
	if pw != "" {
		rule = ">" + pw
	}
	r.SetUser("default", []string{"resetpass", rule})
}

// Delete removes users; the default user cannot be. It returns the
// entries removed, marked gone.
func (r *Registry) Delete(names []string) []*Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Entry
	for _, n := range names {
		if e := r.users[n]; e != nil && e != r.def {
			delete(r.users, n)
			e.gone.Store(true)
			out = append(out, e)
		}
	}
	return out
}

// Replace installs a whole new set of users (ACL LOAD, startup). The
// default user keeps its entry and takes the new default's rules, or a
// fresh default user's when the set has none. Every other user gets a new
// entry, even one whose name survives: as in Redis 7.0, ACL LOAD
// disconnects all clients of users other than the default. It returns the
// entries replaced or removed, marked gone.
func (r *Registry) Replace(users map[string]*User) []*Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	if users["default"] == nil {
		users["default"] = NewDefaultUser(r.t)
	}
	next := make(map[string]*Entry, len(users))
	for name, u := range users {
		e := &Entry{name: name}
		if name == "default" {
			e = r.def
		}
		e.u.Store(u)
		next[name] = e
	}
	var gone []*Entry
	for _, e := range r.users {
		if e != r.def {
			e.gone.Store(true)
			gone = append(gone, e)
		}
	}
	r.users = next
	return gone
}

// Snapshot returns the current users by name, for building a changed set.
func (r *Registry) Snapshot() map[string]*User {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]*User, len(r.users))
	for n, e := range r.users {
		out[n] = e.User()
	}
	return out
}

// Lines renders every user as "user <name> <rules>", in name order: the
// ACL file format, ACL LIST and CONFIG REWRITE.
func (r *Registry) Lines() []string {
	es := r.Entries()
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = "user " + e.name + " " + e.User().Describe(r.t)
	}
	return out
}

// ParseFile reads an ACL file. On any error nothing is returned but the
// error text, which lists every problem as Redis does.
func ParseFile(t *command.Table, data, path string, pubsubAll bool) (map[string]*User, string) {
	var errs strings.Builder
	users := map[string]*User{}
	for i, line := range strings.Split(data, "\n") {
		n := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		var argv []string
		for _, f := range strings.Split(line, " ") {
			if f != "" {
				argv = append(argv, f)
			}
		}
		if len(argv) == 0 {
			continue
		}
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword. ", path, n)
			continue
		}
		name := argv[1]
		if !ValidName(name) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", path, n, name)
			continue
		}
		if users[name] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, n)
			continue
		}
		merged, bad := MergeSelectors(argv[2:])
		if bad >= 0 {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", path, n)
			continue
		}
		u := NewUser(t, name, pubsubAll)
		syntax := false
		for _, op := range merged {
			op = strings.Trim(op, "\t\r\n")
			msg := u.Apply(t, op, pubsubAll)
			switch {
			case msg == "":
			case msg == ErrUnknownCommand:
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", path, n, op, msg)
			case !syntax:
				fmt.Fprintf(&errs, "%s:%d: %s. ", path, n, msg)
				syntax = true
			}
		}
		if errs.Len() == 0 {
			users[name] = u
		}
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return nil, errs.String()
	}
	return users, ""
}

// FromDirectives builds the users of "user" directives (name then rules),
// as Redis does at startup: the default user is reset and then takes its
// rules, any other user starts as ACL SETUSER creates it. notices are the
// disabled users Redis warns about; err's text is the line Redis logs
// before refusing to start.
func FromDirectives(t *command.Table, directives [][]string, pubsubAll bool) (users map[string]*User, notices []string, err error) {
	users = map[string]*User{}
	for _, d := range directives {
		if len(d) == 0 {
			continue
		}
		name := d[0]
		if strings.ContainsAny(name, " \t\r\n") {
			return nil, nil, errors.New("Spaces not allowed in ACL usernames")
		}
		merged, bad := MergeSelectors(d[1:])
		if bad >= 0 {
			// The config loader refuses these before startup.
			return nil, nil, &MergeError{Arg: d[1+bad]}
		}
		u := NewUser(t, name, pubsubAll)
		if name == "default" {
			u = NewDefaultUser(t)
			u.Apply(t, "reset", pubsubAll)
		}
		for _, op := range merged {
			if msg := u.Apply(t, op, pubsubAll); msg != "" {
				return nil, nil, fmt.Errorf("Error loading ACL rule '%s' for the user named '%s': %s", op, name, msg)
			}
		}
		if !u.Enabled {
			notices = append(notices, "The user '"+name+"' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.")
		}
		users[name] = u
	}
	return users, notices, nil
}

// CheckRules validates the rules of a "user" directive as Redis's config
// loader does: bad is -1 when they are acceptable, else the index of the
// first bad rule (an unclosed selector: its first word), with the error
// text. Unknown commands and categories pass here, as in Redis (modules
// may add them later); startup rejects them.
func CheckRules(t *command.Table, rules []string, pubsubAll bool) (bad int, msg string) {
	merged, b := MergeSelectors(rules)
	if b >= 0 {
		// Redis reports the errno left over from earlier work here,
		// which in 7.0 is "no such file": this text.
		return b, ErrUnknownCommand
	}
	u := NewUser(t, "x", pubsubAll)
	for i, op := range merged {
		if m := u.Apply(t, op, pubsubAll); m != "" && m != ErrUnknownCommand {
			return i, m
		}
	}
	return -1, ""
}

// GenPass returns bits random bits as hex (rounded up to whole digits),
// from the system's secure generator.
func GenPass(bits int) string {
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	if _, err := rand.Read(buf); err != nil {
		panic("acl: no secure randomness: " + err.Error())
	}
	return hex.EncodeToString(buf)[:chars]
}
