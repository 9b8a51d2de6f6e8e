package command

// nameIndex finds commands by name ignoring ASCII case: open addressing
// over a power-of-two array, hashed over the lower-cased bytes. Every
// command passes through a lookup, and this costs about a third of a Go
// map index by string(lower-cased copy) (no copy, a cheaper hash for
// names of a few bytes). Built once with the table, read-only after.
type nameIndex struct {
	slots []*Command
	names []string // the name each slot answers to (a subcommand's own name)
	mask  uint32
}

func newNameIndex(byName map[string]*Command) nameIndex {
	size := 8
	for size < 4*len(byName) {
		size <<= 1
	}
	ix := nameIndex{slots: make([]*Command, size), names: make([]string, size), mask: uint32(size - 1)}
	for name, c := range byName {
		i := nameHash([]byte(name)) & ix.mask
		for ix.slots[i] != nil {
			i = (i + 1) & ix.mask
		}
		ix.slots[i], ix.names[i] = c, name
	}
	return ix
}

// nameHash hashes the lower-cased name.
func nameHash(name []byte) uint32 {
	h := uint32(len(name)) * 0x9e3779b1
	for _, ch := range name {
		h = (h ^ uint32(lower(ch))) * 0x01000193
	}
	return h ^ h>>15
}

// lookup returns the command named name in any case, or nil.
func (ix *nameIndex) lookup(name []byte) *Command {
	if len(ix.slots) == 0 || len(name) > maxNameLen {
		return nil
	}
	for i := nameHash(name) & ix.mask; ix.slots[i] != nil; i = (i + 1) & ix.mask {
		if foldEq(name, ix.names[i]) {
			return ix.slots[i]
		}
	}
	return nil
}

// foldEq reports whether name, in any case, is the lower-case want.
func foldEq(name []byte, want string) bool {
	if len(name) != len(want) {
		return false
	}
	for i, ch := range name {
		if lower(ch) != want[i] {
			return false
		}
	}
	return true
}
