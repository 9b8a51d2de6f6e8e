package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/glob"
)

// Error texts of rule parsing, after "Error in ACL SETUSER modifier '…': ".
const (
	ErrUnknownCommand  = "Unknown command or category name in ACL"
	ErrSyntax          = "Syntax error"
	ErrKeysAfterAll    = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	ErrChannelsAfter   = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	ErrNoSuchPassword  = "The password you are trying to remove from the user does not exist"
	ErrBadHash         = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	ErrFirstArgOfSub   = "Allowing first-arg of a subcommand is not supported"
	ErrDuplicateInConf = "Duplicate user found. A user can only be defined once in config files"
)

// RuleError is a rule that could not be applied: Op is the rule as given
// (a selector in its merged "(...)" form), Msg one of the Err texts.
type RuleError struct {
	Op, Msg string
}

func (e *RuleError) Error() string {
	return "Error in ACL SETUSER modifier '" + e.Op + "': " + e.Msg
}

// Key permissions of a key pattern.
const (
	PermRead  = 1
	PermWrite = 2
	PermAll   = PermRead | PermWrite
)

// keyPattern is one ~, %R~, %W~ pattern. prefix is set when the pattern is
// a literal followed by one '*', the common "app:*" form, which is then
// matched without the glob matcher.
type keyPattern struct {
	perm    uint8
	pat     string
	literal string // the part before the trailing '*' when prefix
	prefix  bool
}

func newKeyPattern(pat string, perm uint8) keyPattern {
	kp := keyPattern{perm: perm, pat: pat}
	if n := len(pat); n > 0 && pat[n-1] == '*' && !strings.ContainsAny(pat[:n-1], "*?[\\") {
		kp.prefix, kp.literal = true, pat[:n-1]
	}
	return kp
}

func (k *keyPattern) match(key []byte) bool {
	if k.prefix {
		return len(key) >= len(k.literal) && string(key[:len(k.literal)]) == k.literal
	}
	return glob.Match([]byte(k.pat), key)
}

// String is the pattern as ACL LIST prints it.
func (k *keyPattern) String() string {
	switch k.perm {
	case PermRead:
		return "%R~" + k.pat
	case PermWrite:
		return "%W~" + k.pat
	}
	return "~" + k.pat
}

// Selector flags.
const (
	selAllKeys = 1 << iota
	selAllChannels
	selAllCommands
)

// Selector is a set of permissions: the root one of a user, or one of its
// "(...)" selectors. A call is allowed when one selector allows all of it.
type Selector struct {
	flags uint8
	// bits has one bit per command ID; future is Redis's reserved bit,
	// set only by +@all, which decides whether rules are described from
	// +@all or -@all.
	bits   []uint64
	future bool
	// firstArgs: per command ID without subcommands, the first arguments
	// allowed although the command is not (+select|0).
	firstArgs map[int][]string
	keys      []keyPattern
	channels  []string
	// partialPerms: some key pattern grants only reads or only writes
	// (%R~, %W~), so checks need the keys' access flags.
	partialPerms bool
}

func newSelector(t *command.Table, pubsubAll bool) *Selector {
	s := &Selector{bits: make([]uint64, (t.NumIDs()+63)/64)}
	if pubsubAll {
		s.flags |= selAllChannels
	}
	return s
}

func (s *Selector) clone() *Selector {
	n := *s
	n.bits = append([]uint64(nil), s.bits...)
	n.keys = append([]keyPattern(nil), s.keys...)
	n.channels = append([]string(nil), s.channels...)
	if s.firstArgs != nil {
		n.firstArgs = make(map[int][]string, len(s.firstArgs))
		for k, v := range s.firstArgs {
			n.firstArgs[k] = append([]string(nil), v...)
		}
	}
	return &n
}

func (s *Selector) bit(id int) bool { return s.bits[id>>6]&(1<<(id&63)) != 0 }

func (s *Selector) setBit(id int, on bool) {
	if on {
		s.bits[id>>6] |= 1 << (id & 63)
	} else {
		s.bits[id>>6] &^= 1 << (id & 63)
		s.flags &^= selAllCommands
	}
}

// changePerm allows or denies a command and, for a container, all its
// subcommands; it forgets the command's allowed first arguments.
func (s *Selector) changePerm(cmd *command.Command, on bool) {
	s.setBit(cmd.ID, on)
	delete(s.firstArgs, cmd.ID)
	for _, sub := range cmd.SubcommandList() {
		s.setBit(sub.ID, on)
	}
}

// setCategory applies +@cat or -@cat as Redis does: a container in the
// category takes all its subcommands with it, then each subcommand in
// the category is set on its own.
func (s *Selector) setCategory(t *command.Table, cat command.ACLCategory, on bool) {
	for _, cmd := range t.All() {
		if cmd.ACLCategories&cat != 0 {
			s.changePerm(cmd, on)
		}
		for _, sub := range cmd.SubcommandList() {
			if sub.ACLCategories&cat != 0 {
				s.changePerm(sub, on)
			}
		}
	}
}

func (s *Selector) setAll(on bool) {
	var w uint64
	if on {
		w = ^uint64(0)
		s.flags |= selAllCommands
	} else {
		s.flags &^= selAllCommands
	}
	for i := range s.bits {
		s.bits[i] = w
	}
	s.future = on
	s.firstArgs = nil
}

// lookupStrict finds "cmd" or "cmd|sub" as Redis's ACL does: "x|y" names a
// subcommand only, never a first argument.
func lookupStrict(t *command.Table, name string) *command.Command {
	parent, sub, has := strings.Cut(name, "|")
	cmd := t.Lookup([]byte(parent))
	if cmd == nil || !has {
		return cmd
	}
	if cmd.Subcommands == nil || strings.Contains(sub, "|") {
		return nil
	}
	return cmd.Sub([]byte(sub))
}

// apply applies one selector-level rule.
func (s *Selector) apply(t *command.Table, op string) string {
	switch {
	case strings.EqualFold(op, "allkeys"):
		s.flags |= selAllKeys
		s.keys = nil
	case strings.EqualFold(op, "resetkeys"):
		s.flags &^= selAllKeys
		s.keys = nil
	case strings.EqualFold(op, "allchannels"):
		s.flags |= selAllChannels
		s.channels = nil
	case strings.EqualFold(op, "resetchannels"):
		s.flags &^= selAllChannels
		s.channels = nil
	case strings.EqualFold(op, "allcommands"), strings.EqualFold(op, "+@all"):
		s.setAll(true)
	case strings.EqualFold(op, "nocommands"), strings.EqualFold(op, "-@all"):
		s.setAll(false)
	case op[0] == '~' || op[0] == '%':
		return s.addKeyPattern(op)
	case op[0] == '&':
		if s.flags&selAllChannels != 0 {
			return ErrChannelsAfter
		}
		if op == "&*" {
			s.flags |= selAllChannels
			s.channels = nil
			return ""
		}
		for _, ch := range s.channels {
			if ch == op[1:] {
				return ""
			}
		}
		s.channels = append(s.channels, op[1:])
	case (op[0] == '+' || op[0] == '-') && len(op) > 1 && op[1] == '@':
		cat, ok := command.ACLCategoryByName(op[2:])
		if !ok {
			return ErrUnknownCommand
		}
		s.setCategory(t, cat, op[0] == '+')
	case op[0] == '+':
		return s.allowCommand(t, op[1:])
	case op[0] == '-':
		cmd := lookupStrict(t, op[1:])
		if cmd == nil {
			return ErrUnknownCommand
		}
		s.changePerm(cmd, false)
	default:
		return ErrSyntax
	}
	return ""
}

func (s *Selector) addKeyPattern(op string) string {
	if s.flags&selAllKeys != 0 {
		return ErrKeysAfterAll
	}
	var perm uint8
	off := 1
	if op[0] == '%' {
		for ; off < len(op); off++ {
			switch {
			case (op[off] == 'R' || op[off] == 'r') && perm&PermRead == 0:
				perm |= PermRead
				continue
			case (op[off] == 'W' || op[off] == 'w') && perm&PermWrite == 0:
				perm |= PermWrite
				continue
			case op[off] == '~':
				off++
			default:
				return ErrSyntax
			}
			break
		}
		if perm == 0 {
			return ErrSyntax
		}
	} else {
		perm = PermAll
	}
	pat := op[off:]
	if op == "~*" {
		s.flags |= selAllKeys
		s.keys = nil
		return ""
	}
	for i := range s.keys {
		if s.keys[i].pat == pat {
			s.keys[i].perm |= perm
			return ""
		}
	}
	s.keys = append(s.keys, newKeyPattern(pat, perm))
	return ""
}

func (s *Selector) allowCommand(t *command.Table, name string) string {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		cmd := lookupStrict(t, name)
		if cmd == nil {
			return ErrUnknownCommand
		}
		s.changePerm(cmd, true)
		return ""
	}
	base, first := name[:i], name[i+1:]
	cmd := lookupStrict(t, base)
	switch {
	case cmd == nil:
		return ErrUnknownCommand
	case cmd.Parent != nil:
		return ErrFirstArgOfSub
	case first == "":
		return ErrSyntax
	}
	if cmd.Subcommands != nil {
		sub := cmd.Sub([]byte(first))
		if sub == nil {
			return ErrUnknownCommand
		}
		s.changePerm(sub, true)
		return ""
	}
	// Allowing a first argument of a command without subcommands
	// (SELECT 0): Redis keeps it even though it calls it deprecated.
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	for _, a := range s.firstArgs[cmd.ID] {
		if strings.EqualFold(a, first) {
			return ""
		}
	}
	s.firstArgs[cmd.ID] = append(s.firstArgs[cmd.ID], first)
	return ""
}

// User flags as ACL GETUSER lists them.
const (
	sanitizeNone = iota
	sanitizeSkip
	sanitizeOn
)

// User is one ACL user. A published User is never modified.
type User struct {
	Name      string
	Enabled   bool
	NoPass    bool
	sanitize  uint8
	passwords []string // hex SHA-256, in the order added
	selectors []*Selector
	// unrestricted: one selector that allows every command, key and
	// channel; the check is then a single branch.
	unrestricted bool
}

// NewUser returns a user as ACL SETUSER creates it: off, no passwords, no
// permissions, channels as acl-pubsub-default says.
func NewUser(t *command.Table, name string, pubsubAll bool) *User {
	return &User{Name: name, selectors: []*Selector{newSelector(t, pubsubAll)}}
}

// NewDefaultUser returns the default user of a fresh server: on, nopass,
// every command, key and channel.
func NewDefaultUser(t *command.Table) *User {
	u := NewUser(t, "default", true)
	u.Enabled, u.NoPass = true, true
	u.selectors[0].setAll(true)
	u.selectors[0].flags |= selAllKeys | selAllChannels
	u.finish()
	return u
}

// Clone returns a deep copy to be changed and published in place of u.
func (u *User) Clone() *User {
	n := *u
	n.passwords = append([]string(nil), u.passwords...)
	n.selectors = make([]*Selector, len(u.selectors))
	for i, s := range u.selectors {
		n.selectors[i] = s.clone()
	}
	return &n
}

func (u *User) finish() {
	for _, s := range u.selectors {
		s.partialPerms = false
		for i := range s.keys {
			s.partialPerms = s.partialPerms || s.keys[i].perm != PermAll
		}
	}
	r := u.selectors[0]
	u.unrestricted = r.flags == selAllKeys|selAllChannels|selAllCommands
}

// Unrestricted reports whether u may run anything.
func (u *User) Unrestricted() bool { return u.unrestricted }

// HashPassword is the SHA-256 hex digest ACLs store for a password.
func HashPassword(pass []byte) string {
	h := sha256.Sum256(pass)
	return hex.EncodeToString(h[:])
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// CheckPassword reports whether pass opens u (nopass users take any). The
// comparison of hashes takes the same time wherever they differ.
func (u *User) CheckPassword(pass []byte) bool {
	if !u.Enabled {
		return false
	}
	if u.NoPass {
		return true
	}
	h := sha256.Sum256(pass)
	var want [64]byte
	hex.Encode(want[:], h[:])
	ok := 0
	for _, p := range u.passwords {
		ok |= subtle.ConstantTimeCompare([]byte(p), want[:])
	}
	return ok == 1
}

// Apply applies one rule to u, which must not be published yet. It
// returns "" or the error text.
func (u *User) Apply(t *command.Table, op string, pubsubAll bool) string {
	defer u.finish()
	if op == "" {
		return ""
	}
	switch {
	case strings.EqualFold(op, "on"):
		u.Enabled = true
	case strings.EqualFold(op, "off"):
		u.Enabled = false
	case strings.EqualFold(op, "skip-sanitize-payload"):
		u.sanitize = sanitizeSkip
	case strings.EqualFold(op, "sanitize-payload"):
		u.sanitize = sanitizeOn
	case strings.EqualFold(op, "nopass"):
		u.NoPass = true
		u.passwords = nil
	case strings.EqualFold(op, "resetpass"):
		u.NoPass = false
		u.passwords = nil
	case op[0] == '>' || op[0] == '#':
		var h string
		if op[0] == '>' {
			h = HashPassword([]byte(op[1:]))
		} else {
			if !validHash(op[1:]) {
				return ErrBadHash
			}
			h = op[1:]
		}
		found := false
		for _, p := range u.passwords {
			found = found || p == h
		}
		if !found {
			u.passwords = append(u.passwords, h)
		}
		u.NoPass = false
	case op[0] == '<' || op[0] == '!':
		var h string
		if op[0] == '<' {
			h = HashPassword([]byte(op[1:]))
		} else {
			if !validHash(op[1:]) {
				return ErrBadHash
			}
			h = op[1:]
		}
		for i, p := range u.passwords {
			if p == h {
				u.passwords = append(u.passwords[:i:i], u.passwords[i+1:]...)
				return ""
			}
		}
		return ErrNoSuchPassword
	case op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector(t, pubsubAll)
		for _, a := range splitArgs(op[1 : len(op)-1]) {
			if a == "" {
				continue
			}
			if msg := s.apply(t, a); msg != "" {
				return msg
			}
		}
		u.selectors = append(u.selectors, s)
	case strings.EqualFold(op, "clearselectors"):
		u.selectors = u.selectors[:1]
	case strings.EqualFold(op, "reset"):
		u.passwords, u.NoPass = nil, false
		r := u.selectors[0]
		r.apply(t, "resetkeys")
		r.apply(t, "resetchannels")
		if pubsubAll {
			r.apply(t, "allchannels")
		}
		u.Enabled = false
		u.sanitize = sanitizeOn
		u.selectors = u.selectors[:1]
		r.setAll(false)
	default:
		return u.selectors[0].apply(t, op)
	}
	return ""
}

// splitArgs splits the inside of a selector on blanks, honouring quotes
// as Redis's argument splitter does for the common cases.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	in := byte(0)
	has := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case in != 0 && c == in:
			in = 0
		case in != 0:
			if c == '\\' && in == '"' && i+1 < len(s) {
				i++
				c = s[i]
			}
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			in, has = c, true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteByte(c)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

// MergeSelectors joins the arguments of a rule list that spell a selector
// over several words ("(~x" "+get)") into one "(~x +get)". bad is the index
// of an unclosed selector's first word, or -1.
func MergeSelectors(args []string) (merged []string, bad int) {
	open := -1
	var sel string
	for j, op := range args {
		if open < 0 && len(op) > 0 && op[0] == '(' && op[len(op)-1] != ')' {
			open, sel = j, op
			continue
		}
		if open >= 0 {
			sel += " " + op
			if len(op) > 0 && op[len(op)-1] == ')' {
				merged = append(merged, sel)
				open = -1
			}
			continue
		}
		merged = append(merged, op)
	}
	if open >= 0 {
		return nil, open
	}
	return merged, -1
}

// ValidName reports whether a user name is acceptable (no blanks or NULs).
func ValidName(name string) bool {
	return !strings.ContainsAny(name, " \t\r\n\x00")
}

// Passwords returns the stored hashes.
func (u *User) Passwords() []string { return u.passwords }

// Flags returns the user's flags as ACL GETUSER lists them.
func (u *User) Flags() []string {
	f := []string{"off"}
	if u.Enabled {
		f[0] = "on"
	}
	if u.NoPass {
		f = append(f, "nopass")
	}
	switch u.sanitize {
	case sanitizeSkip:
		f = append(f, "skip-sanitize-payload")
	case sanitizeOn:
		f = append(f, "sanitize-payload")
	}
	return f
}

// SetRules builds a changed copy of base (nil: a new user called name)
// with rules applied in order, all or nothing.
func SetRules(t *command.Table, base *User, name string, rules []string, pubsubAll bool) (*User, error) {
	merged, bad := MergeSelectors(rules)
	if bad >= 0 {
		return nil, &MergeError{Arg: rules[bad]}
	}
	var u *User
	if base != nil {
		u = base.Clone()
	} else {
		u = NewUser(t, name, pubsubAll)
	}
	for _, op := range merged {
		if msg := u.Apply(t, op, pubsubAll); msg != "" {
			return nil, &RuleError{Op: op, Msg: msg}
		}
	}
	u.finish()
	return u, nil
}

// MergeError is a selector whose parenthesis is never closed.
type MergeError struct{ Arg string }

func (e *MergeError) Error() string {
	return "Unmatched parenthesis in acl selector starting at '" + e.Arg + "'."
}
