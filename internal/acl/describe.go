package acl

import (
	"math"
	"strings"

	"github.com/taconite/taconite/internal/command"
)

// describeCommands renders a selector's command permissions as Redis 7.0
// does: +@all or -@all, then the categories that best approximate the
// bitmap, picked greedily, then the single commands (and allowed first
// arguments) still needed to make the rules reproduce it exactly. Redis
// emits the single commands in the order of its command hash table, which
// is random per process; Taconite uses name order.
func (s *Selector) describeCommands(t *command.Table) string {
	var b strings.Builder
	fake := &Selector{bits: make([]uint64, len(s.bits))}
	additive := !s.future
	if additive {
		b.WriteString("-@all ")
		fake.setAll(false)
	} else {
		b.WriteString("+@all ")
		fake.setAll(true)
	}
	temp := &Selector{bits: append([]uint64(nil), s.bits...)}
	names := command.ACLCategoryNames()
	applied := make([]bool, len(names))
	all := t.All()
	for {
		best, minDiff, maxSame := -1, math.MaxInt, 0
		for j := range names {
			if applied[j] {
				continue
			}
			cat := command.ACLCategory(1) << j
			on, off := 0, 0
			temp.count(all, cat, &on, &off)
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < minDiff || diff == minDiff && same > maxSame) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		cat := command.ACLCategory(1) << best
		fake.setCategory(t, cat, additive)
		temp.setCategory(t, cat, !additive)
		if additive {
			b.WriteString("+@")
		} else {
			b.WriteString("-@")
		}
		b.WriteString(names[best])
		b.WriteByte(' ')
		applied[best] = true
	}
	s.describeSingles(&b, fake, all)
	out := b.String()
	return out[:len(out)-1]
}

// count counts the commands and subcommands of a category allowed and
// denied by s.
func (s *Selector) count(cmds []*command.Command, cat command.ACLCategory, on, off *int) {
	for _, cmd := range cmds {
		if cmd.ACLCategories&cat != 0 {
			if s.bit(cmd.ID) {
				*on++
			} else {
				*off++
			}
		}
		if subs := cmd.SubcommandList(); len(subs) > 0 {
			s.count(subs, cat, on, off)
		}
	}
}

func (s *Selector) describeSingles(b *strings.Builder, fake *Selector, cmds []*command.Command) {
	for _, cmd := range cmds {
		user, have := s.bit(cmd.ID), fake.bit(cmd.ID)
		if user != have {
			if user {
				b.WriteByte('+')
			} else {
				b.WriteByte('-')
			}
			b.WriteString(cmd.FullName())
			b.WriteByte(' ')
			fake.changePerm(cmd, user)
		}
		if subs := cmd.SubcommandList(); len(subs) > 0 {
			s.describeSingles(b, fake, subs)
		}
		if !user {
			for _, a := range s.firstArgs[cmd.ID] {
				b.WriteString("+" + cmd.FullName() + "|" + a + " ")
			}
		}
	}
}

// describe renders a selector as ACL LIST does: keys, channels, commands.
func (s *Selector) describe(t *command.Table) string {
	var b strings.Builder
	if s.flags&selAllKeys != 0 {
		b.WriteString("~* ")
	} else {
		for i := range s.keys {
			b.WriteString(s.keys[i].String())
			b.WriteByte(' ')
		}
	}
	if s.flags&selAllChannels != 0 {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, ch := range s.channels {
			b.WriteString("&" + ch + " ")
		}
	}
	b.WriteString(s.describeCommands(t))
	return b.String()
}

// SelectorInfo is a selector as ACL GETUSER reports it.
type SelectorInfo struct {
	Commands, Keys, Channels string
}

func (s *Selector) info(t *command.Table) SelectorInfo {
	in := SelectorInfo{Commands: s.describeCommands(t)}
	if s.flags&selAllKeys != 0 {
		in.Keys = "~*"
	} else {
		parts := make([]string, len(s.keys))
		for i := range s.keys {
			parts[i] = s.keys[i].String()
		}
		in.Keys = strings.Join(parts, " ")
	}
	if s.flags&selAllChannels != 0 {
		in.Channels = "&*"
	} else {
		parts := make([]string, len(s.channels))
		for i, ch := range s.channels {
			parts[i] = "&" + ch
		}
		in.Channels = strings.Join(parts, " ")
	}
	return in
}

// Info returns the root selector's description and then the other
// selectors', for ACL GETUSER.
func (u *User) Info(t *command.Table) (root SelectorInfo, others []SelectorInfo) {
	root = u.selectors[0].info(t)
	for _, s := range u.selectors[1:] {
		others = append(others, s.info(t))
	}
	return root, others
}

// Describe renders the user's rules as ACL LIST prints them after
// "user <name> " (and as ACL SAVE writes them).
func (u *User) Describe(t *command.Table) string {
	var b strings.Builder
	for _, f := range u.Flags() {
		b.WriteString(f)
		b.WriteByte(' ')
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	b.WriteString(u.selectors[0].describe(t))
	for _, s := range u.selectors[1:] {
		b.WriteString(" (" + s.describe(t) + ")")
	}
	return b.String()
}
