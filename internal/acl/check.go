package acl

import (
	"strings"

	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/glob"
)

// Reason is the outcome of a permission check, ordered as Redis ranks
// them when several selectors refuse a call.
type Reason int

const (
	OK Reason = iota
	DeniedCommand
	DeniedKey
	DeniedAuth
	DeniedChannel
)

// String is the reason as ACL LOG names it.
func (r Reason) String() string {
	switch r {
	case DeniedCommand:
		return "command"
	case DeniedKey:
		return "key"
	case DeniedAuth:
		return "auth"
	case DeniedChannel:
		return "channel"
	}
	return "ok"
}

// Check reports whether u may run the call argv of cmd (argv[0] the
// command name). When it may not, pos is the argv index of the refused
// key or channel. keys is scratch space for the key extraction, reused
// across calls so that the check does not allocate.
func (u *User) Check(cmd *command.Command, argv [][]byte, keys *[]command.KeyRef) (r Reason, pos int) {
	if u.unrestricted {
		return OK, 0
	}
	r = DeniedCommand
	extracted := false
	for _, s := range u.selectors {
		sr, sp := s.check(cmd, argv, keys, &extracted)
		if sr == OK {
			return OK, 0
		}
		if sr > r || sr == r && sp > pos {
			r, pos = sr, sp
		}
	}
	return r, pos
}

func (s *Selector) check(cmd *command.Command, argv [][]byte, keys *[]command.KeyRef, extracted *bool) (Reason, int) {
	if s.flags&selAllCommands == 0 && cmd.Flags&command.FlagNoAuth == 0 && !s.bit(cmd.ID) {
		allowed := false
		if len(argv) >= 2 {
			for _, a := range s.firstArgs[cmd.ID] {
				if strings.EqualFold(a, string(argv[1])) {
					allowed = true
					break
				}
			}
		}
		if !allowed {
			return DeniedCommand, 0
		}
	}
	if s.flags&selAllKeys == 0 && cmd.HasKeys() {
		if !s.partialPerms {
			// Every pattern grants both reads and writes, so the keys'
			// flags do not matter, and most commands' keys are a plain
			// range of the arguments: no key-spec walk is needed.
			if first, last, step, ok := keyRange(cmd, len(argv)); ok {
				for i := first; i <= last; i += step {
					if !s.keyAllowed(argv[i], 0) {
						return DeniedKey, i
					}
				}
				goto channels
			}
		}
		if !*extracted {
			*keys, _ = cmd.KeyIndexesWithFlags(argv, (*keys)[:0])
			*extracted = true
		}
		for _, k := range *keys {
			var need uint8
			if k.Bits&command.KeyAccess != 0 {
				need |= PermRead
			}
			if k.Bits&(command.KeyInsert|command.KeyDelete|command.KeyUpdate) != 0 {
				need |= PermWrite
			}
			if !s.keyAllowed(argv[k.Index], need) {
				return DeniedKey, k.Index
			}
		}
	}
channels:
	if s.flags&selAllChannels == 0 && cmd.ACLCategories&command.ACLPubSub != 0 {
		first, last, pattern := channelArgs(cmd, len(argv))
		for i := first; i <= last; i++ {
			if !s.channelAllowed(argv[i], pattern) {
				return DeniedChannel, i
			}
		}
	}
	return OK, 0
}

// keyRange returns the keys of a call as the command's legacy (first,
// last, step) range, which Redis guarantees complete for commands not
// flagged movablekeys; ok is false for the others.
func keyRange(cmd *command.Command, argc int) (first, last, step int, ok bool) {
	if cmd.Flags&command.FlagMovableKeys != 0 || cmd.FirstKey <= 0 || cmd.Step <= 0 {
		return 0, 0, 0, false
	}
	last = cmd.LastKey
	if last < 0 {
		last += argc
	}
	if last >= argc {
		last = argc - 1 // a call of the wrong arity (acl_check_cmd)
	}
	return cmd.FirstKey, last, cmd.Step, true
}

// channelArgs says which arguments of a pub/sub command are channels
// (first > last when none) and whether they are patterns.
func channelArgs(cmd *command.Command, argc int) (first, last int, pattern bool) {
	switch cmd.Name {
	case "publish", "spublish":
		if argc > 1 {
			return 1, 1, false
		}
	case "subscribe", "ssubscribe":
		return 1, argc - 1, false
	case "psubscribe":
		return 1, argc - 1, true
	}
	return 1, 0, false
}

func (s *Selector) keyAllowed(key []byte, need uint8) bool {
	for i := range s.keys {
		k := &s.keys[i]
		if k.perm&need == need && k.match(key) {
			return true
		}
	}
	return false
}

// channelAllowed: a channel must match one of the patterns; a pattern
// being subscribed to must equal one of them literally, as in Redis.
func (s *Selector) channelAllowed(ch []byte, pattern bool) bool {
	for _, p := range s.channels {
		if pattern {
			if p == string(ch) {
				return true
			}
		} else if glob.Match([]byte(p), ch) {
			return true
		}
	}
	return false
}

// ChannelAllowed reports whether u may still be subscribed to ch (a
// pattern when pattern is set), for dropping subscribers whose channel
// permissions were revoked.
func (u *User) ChannelAllowed(ch []byte, pattern bool) bool {
	for _, s := range u.selectors {
		if s.flags&selAllChannels != 0 || s.channelAllowed(ch, pattern) {
			return true
		}
	}
	return false
}
