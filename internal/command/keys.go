package command

import (
	"errors"

	"github.com/taconite/taconite/internal/resp"
)

// Errors of key extraction. Their texts are those COMMAND GETKEYS replies
// with (after "ERR ").
var (
	// ErrInvalidArgs: the call's arguments do not let the keys be found
	// (bad numkeys, missing STREAMS ids, ...). The command itself will
	// reject the call with its own error when run.
	ErrInvalidArgs = errors.New("Invalid arguments specified for command")
	// ErrArity: the call has the wrong number of arguments for the command.
	ErrArity = errors.New("Invalid number of arguments specified for command")
)

// KeyRef is one key of a call with its access flags, as COMMAND
// GETKEYSANDFLAGS reports them.
type KeyRef struct {
	Index int      // argv index of the key
	Flags []string // flag names in Redis order; shared, read-only; nil when Redis reports none
	Bits  KeyFlag  // the same flags as a bit set
}

// KeyIndexes appends to dst the argv indexes of the keys of the call argv
// (argv[0] is the command name; for a subcommand argv[1] is its name) and
// returns the extended slice. It finds keys as Redis 7.0's COMMAND GETKEYS
// does: from the key specs when they are complete, otherwise (or when the
// specs do not fit the arguments) with the same per-command rules Redis
// uses for SORT, MIGRATE, EVAL, XREAD and friends.
//
// A command without keys yields no keys and no error. Otherwise the errors
// are those of COMMAND GETKEYS: ErrArity for a wrong argument count and
// ErrInvalidArgs when no keys can be found for a command that needs them
// (for commands flagged no_mandatory_keys, such as EVAL, finding none is
// fine). On error dst is returned unchanged. KeyIndexes never panics and
// does not allocate when dst has room for the keys.
func (c *Command) KeyIndexes(argv [][]byte, dst []int) ([]int, error) {
	return extractKeys(c, argv, dst, keyIndex)
}

// KeyIndexesWithFlags is KeyIndexes with each key's flags, for COMMAND
// GETKEYSANDFLAGS and ACL key permissions.
func (c *Command) KeyIndexesWithFlags(argv [][]byte, dst []KeyRef) ([]KeyRef, error) {
	return extractKeys(c, argv, dst, keyRef)
}

func keyIndex(i int, _ KeyFlag, _ []string) int { return i }

func keyRef(i int, f KeyFlag, names []string) KeyRef {
	return KeyRef{Index: i, Flags: names, Bits: f}
}

// keyElem is what the two public entry points collect; extractKeys is
// generic so that neither needs a callback that could escape.
type keyElem interface{ int | KeyRef }

func extractKeys[T keyElem](c *Command, argv [][]byte, dst []T, mk func(int, KeyFlag, []string) T) ([]T, error) {
	if !c.hasKeys {
		return dst, nil
	}
	if !c.ArityOK(len(argv)) {
		return dst, ErrArity
	}
	if c.keyAt1 || c.keysFrom1 {
		ks := &c.KeySpecs[0]
		last := 1
		if c.keysFrom1 {
			last = len(argv) - 1
		}
		for i := 1; i <= last; i++ {
			dst = append(dst, mk(i, ks.Flags, ks.FlagNames))
		}
		return dst, nil
	}
	return walkKeys(c, argv, dst, mk)
}

// walkKeys is extractKeys without the shortcuts: the key specs, then the
// command's key procedure (arity already checked).
func walkKeys[T keyElem](c *Command, argv [][]byte, dst []T, mk func(int, KeyFlag, []string) T) ([]T, error) {
	start := len(dst)
	ok := false
	if c.useSpec {
		dst, ok = specKeys(c, argv, dst, mk)
		if !ok {
			dst = dst[:start]
		}
	}
	if !ok {
		dst = procKeys(c.keyProc, argv, dst, mk)
	}
	if len(dst) == start && c.Flags&FlagNoMandatoryKeys == 0 {
		return dst, ErrInvalidArgs
	}
	return dst, nil
}

// specKeys walks the key specs in order. It reports false when a spec
// cannot be applied to these arguments (unknown or incomplete spec, bad
// numkeys, a range running past the end): Redis then falls back to the
// command's own key procedure, dropping anything found so far.
func specKeys[T keyElem](c *Command, argv [][]byte, dst []T, mk func(int, KeyFlag, []string) T) ([]T, bool) {
	argc := len(argv)
	for si := range c.KeySpecs {
		ks := &c.KeySpecs[si]
		if ks.Flags&KeyNotKey != 0 {
			continue // channels and the like, not keys
		}
		var first int
		switch bs := &ks.BeginSearch; bs.Type {
		case BeginIndex:
			first = bs.Index
		case BeginKeyword:
			first = findKeyword(argv, bs.Keyword, bs.StartFrom)
			if first == 0 {
				continue // optional keyword absent: this spec has no keys
			}
		default:
			return dst, false
		}
		var last int
		fk := &ks.FindKeys
		switch fk.Type {
		case FindRange:
			switch {
			case fk.LastKey >= 0:
				last = first + fk.LastKey
			case fk.Limit == 0:
				last = argc + fk.LastKey
			default:
				// Only a 1/Limit share of what follows are keys (XREAD's
				// STREAMS k1 k2 id1 id2).
				last = first + (argc-first)/fk.Limit + fk.LastKey
			}
		case FindKeynum:
			at := first + fk.KeyNumIdx
			if at < 0 || at >= argc {
				return dst, false
			}
			n, ok := resp.ParseInt(argv[at])
			if !ok || n < 0 {
				return dst, false
			}
			first += fk.FirstKey
			// Redis narrows numkeys to a C int before using it.
			last = first + int(int32(n)) - 1
		default:
			return dst, false
		}
		if first < 1 || first >= argc || last >= argc || last < first {
			return dst, false
		}
		for i := first; i <= last; i += fk.KeyStep {
			dst = append(dst, mk(i, ks.Flags, ks.FlagNames))
		}
		if ks.Flags&KeyIncomplete != 0 {
			// The spec may miss keys; the command's procedure knows them all.
			return dst, false
		}
	}
	return dst, true
}

// findKeyword returns the index after the first argument equal to keyword,
// or 0. A positive startFrom searches forward from that index, stopping
// before the last argument (a keyword there could not be followed by a
// key); a negative one searches backward from argc+startFrom down to
// argv[1].
func findKeyword(argv [][]byte, keyword string, startFrom int) int {
	argc := len(argv)
	if startFrom > 0 {
		for i := startFrom; i < argc-1; i++ {
			if equalFold(keyword, cstr(argv[i])) {
				return i + 1
			}
		}
		return 0
	}
	for i := argc + startFrom; i >= 1; i-- {
		if i < argc && equalFold(keyword, cstr(argv[i])) {
			return i + 1
		}
	}
	return 0
}

// cstr cuts b at its first NUL: Redis compares option names with C string
// functions, so "STORE\x00junk" is the STORE keyword to it.
func cstr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// keyProc names a command-specific key procedure, used when the key specs
// are incomplete, have variable flags, or do not fit the arguments.
type keyProc uint8

const (
	procNone            keyProc = iota
	procNumkeysAt1              // ZUNION, ZINTER, ZDIFF, ZINTERCARD, SINTERCARD, LMPOP, ZMPOP: numkeys key...
	procNumkeysAt2              // EVAL*, FCALL*, BLMPOP, BZMPOP: x numkeys key...
	procStoreNumkeysAt2         // ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE: dest numkeys key...
	procSort                    // SORT key ... [STORE dest]
	procSortRO                  // SORT_RO key ...
	procMigrate                 // MIGRATE host port key|"" db timeout ... [KEYS key...]
	procGeoradius               // GEORADIUS[BYMEMBER] key ... [STORE|STOREDIST dest]
	procXread                   // XREAD / XREADGROUP ... STREAMS key... id...
	procSet                     // SET: RW with GET, OW otherwise
	procBitfield                // BITFIELD: RO when only GET/OVERFLOW
)

// keyProcFor maps the commands Redis 7.0 gives a getkeys procedure to ours.
func keyProcFor(name string) keyProc {
	switch name {
	case "zunion", "zinter", "zdiff", "zintercard", "sintercard", "lmpop", "zmpop":
		return procNumkeysAt1
	case "eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro", "blmpop", "bzmpop":
		return procNumkeysAt2
	case "zunionstore", "zinterstore", "zdiffstore":
		return procStoreNumkeysAt2
	case "sort":
		return procSort
	case "sort_ro":
		return procSortRO
	case "migrate":
		return procMigrate
	case "georadius", "georadiusbymember":
		return procGeoradius
	case "xread", "xreadgroup":
		return procXread
	case "set":
		return procSet
	case "bitfield":
		return procBitfield
	}
	return procNone
}

// Flag combinations the procedures report, with their names precomputed so
// that reporting them does not allocate. The slices are never modified.
const (
	flagsROAccess       = KeyRO | KeyAccess
	flagsOWUpdate       = KeyOW | KeyUpdate
	flagsRWAccessUpdate = KeyRW | KeyAccess | KeyUpdate
	flagsRWAccessDelete = KeyRW | KeyAccess | KeyDelete
)

var (
	namesROAccess       = []string{"RO", "access"}
	namesOWUpdate       = []string{"OW", "update"}
	namesRWAccessUpdate = []string{"RW", "access", "update"}
	namesRWAccessDelete = []string{"RW", "access", "delete"}
)

func procKeys[T keyElem](p keyProc, argv [][]byte, dst []T, mk func(int, KeyFlag, []string) T) []T {
	switch p {
	case procNumkeysAt1:
		return numkeysKeys(argv, 0, 1, 2, dst, mk)
	case procNumkeysAt2:
		return numkeysKeys(argv, 0, 2, 3, dst, mk)
	case procStoreNumkeysAt2:
		return numkeysKeys(argv, 1, 2, 3, dst, mk)
	case procSort:
		return sortKeys(argv, dst, mk)
	case procSortRO:
		return append(dst, mk(1, flagsROAccess, namesROAccess))
	case procMigrate:
		return migrateKeys(argv, dst, mk)
	case procGeoradius:
		return georadiusKeys(argv, dst, mk)
	case procXread:
		return xreadKeys(argv, dst, mk)
	case procSet:
		return setKeys(argv, dst, mk)
	case procBitfield:
		return bitfieldKeys(argv, dst, mk)
	}
	return dst
}

// numkeysKeys handles "[dest] numkeys key [key ...]" shapes. Unlike the
// key specs, Redis reads numkeys here with atoi, so "2abc" counts as 2;
// keys come first and the destination last, all without flags.
func numkeysKeys[T keyElem](argv [][]byte, storeAt, countAt, firstAt int, dst []T, mk func(int, KeyFlag, []string) T) []T {
	argc := len(argv)
	if countAt >= argc {
		return dst
	}
	n := atoi(argv[countAt])
	if n < 1 || n > (argc-firstAt) {
		return dst
	}
	for i := 0; i < n; i++ {
		dst = append(dst, mk(firstAt+i, 0, nil))
	}
	if storeAt > 0 {
		dst = append(dst, mk(storeAt, 0, nil))
	}
	return dst
}

// sortKeys finds SORT's key and the destination of its last STORE option,
// skipping the arguments of LIMIT, GET and BY so that e.g. "GET store"
// is not mistaken for the option.
func sortKeys[T keyElem](argv [][]byte, dst []T, mk func(int, KeyFlag, []string) T) []T {
	dst = append(dst, mk(1, flagsROAccess, namesROAccess))
	store := 0
	for i := 2; i < len(argv); i++ {
		a := cstr(argv[i])
		switch {
		case equalFold("limit", a):
			i += 2
		case equalFold("store", a) && i+1 < len(argv):
			store = i + 1 // the last STORE wins, as in SORT itself
		case equalFold("get", a), equalFold("by", a):
			i++
		}
	}
	if store > 0 {
		dst = append(dst, mk(store, flagsOWUpdate, namesOWUpdate))
	}
	return dst
}

// migrateKeys: the single key at argv[3], or with the KEYS option (which
// requires argv[3] to be empty) every argument after KEYS.
func migrateKeys[T keyElem](argv [][]byte, dst []T, mk func(int, KeyFlag, []string) T) []T {
	argc := len(argv)
	first, num := 3, 1
	if argc > 6 {
	scan:
		for i := 6; i < argc; i++ {
			a := cstr(argv[i])
			if equalFold("keys", a) {
				if len(argv[3]) > 0 {
					num = 0 // syntax error, reported by MIGRATE itself
				} else {
					first, num = i+1, argc-i-1
				}
				break scan
			}
			switch {
			case equalFold("auth", a):
				i++ // AUTH password
			case equalFold("auth2", a):
				i += 2 // AUTH2 username password
			}
		}
	}
	if first >= argc {
		num = 0
	}
	for i := 0; i < num; i++ {
		dst = append(dst, mk(first+i, flagsRWAccessDelete, namesRWAccessDelete))
	}
	return dst
}

// georadiusKeys: the source key and the last STORE/STOREDIST destination.
func georadiusKeys[T keyElem](argv [][]byte, dst []T, mk func(int, KeyFlag, []string) T) []T {
	dst = append(dst, mk(1, 0, nil))
	stored := 0
	for i := 5; i < len(argv); i++ {
		a := cstr(argv[i])
		if (equalFold("store", a) || equalFold("storedist", a)) && i+1 < len(argv) {
			stored = i + 1
			i++
		}
	}
	if stored > 0 {
		dst = append(dst, mk(stored, 0, nil))
	}
	return dst
}

// xreadKeys parses XREAD/XREADGROUP options up to STREAMS; the remaining
// arguments are keys and ids in equal numbers.
func xreadKeys[T keyElem](argv [][]byte, dst []T, mk func(int, KeyFlag, []string) T) []T {
	argc := len(argv)
	streams := -1
options:
	for i := 1; i < argc; i++ {
		a := cstr(argv[i])
		switch {
		case equalFold("block", a), equalFold("count", a):
			i++
		case equalFold("group", a):
			i += 2
		case equalFold("noack", a):
		case equalFold("streams", a):
			streams = i
			break options
		default:
			break options
		}
	}
	if streams < 0 {
		return dst
	}
	num := argc - streams - 1
	if num == 0 || num%2 != 0 {
		return dst
	}
	for i := 0; i < num/2; i++ {
		dst = append(dst, mk(streams+1+i, 0, nil))
	}
	return dst
}

// setKeys: SET reads the old value only with the GET option.
func setKeys[T keyElem](argv [][]byte, dst []T, mk func(int, KeyFlag, []string) T) []T {
	for i := 3; i < len(argv); i++ {
		if equalFold("get", cstr(argv[i])) {
			return append(dst, mk(1, flagsRWAccessUpdate, namesRWAccessUpdate))
		}
	}
	return append(dst, mk(1, flagsOWUpdate, namesOWUpdate))
}

// bitfieldKeys: BITFIELD only reads when every operation is GET (with
// OVERFLOW allowed); anything else, including a syntax error, counts as a
// write.
func bitfieldKeys[T keyElem](argv [][]byte, dst []T, mk func(int, KeyFlag, []string) T) []T {
	argc := len(argv)
	readonly := true
	for i := 2; i < argc; i++ {
		rest := argc - i - 1
		a := cstr(argv[i])
		if equalFold("get", a) && rest >= 2 {
			i += 2
		} else if (equalFold("set", a) || equalFold("incrby", a)) && rest >= 3 {
			readonly = false
			break
		} else if equalFold("overflow", a) && rest >= 1 {
			i++
		} else {
			readonly = false
			break
		}
	}
	if readonly {
		return append(dst, mk(1, flagsROAccess, namesROAccess))
	}
	return append(dst, mk(1, flagsRWAccessUpdate, namesRWAccessUpdate))
}

// atoi mimics C's atoi on a 64-bit glibc system, which Redis uses for some
// numkeys arguments: leading white space, an optional sign, then as many
// digits as there are; the result saturates at the long range and is then
// narrowed to a 32-bit int. The argument ends at its first NUL.
func atoi(b []byte) int {
	b = cstr(b)
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var v uint64
	overflow := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if !overflow {
			v = v*10 + uint64(b[i]-'0')
			if v > 1<<63 {
				overflow = true
			}
		}
	}
	var l int64
	switch {
	case neg && (overflow || v >= 1<<63):
		l = -1 << 63
	case neg:
		l = -int64(v)
	case overflow || v > 1<<63-1:
		l = 1<<63 - 1
	default:
		l = int64(v)
	}
	return int(int32(l))
}
