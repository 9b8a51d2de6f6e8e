package command

// Flag is a set of command flags, one bit per flag Redis 7.0 knows. The bits
// are declared in the order Redis lists them in COMMAND INFO, so walking the
// bits from low to high reproduces Redis's reply order.
type Flag uint64

const (
	FlagWrite Flag = 1 << iota
	FlagReadonly
	FlagDenyOOM
	FlagModule
	FlagAdmin
	FlagPubSub
	FlagNoScript
	FlagBlocking
	FlagLoading
	FlagStale
	FlagSkipMonitor
	FlagSkipSlowlog
	FlagAsking
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagSentinel
	FlagOnlySentinel
	FlagNoMandatoryKeys
	FlagProtected
	FlagModuleGetKeys
	FlagModuleNoCluster
	FlagNoAsyncLoading
	FlagNoMulti
	FlagMovableKeys
	FlagAllowBusy
	numFlags = iota
)

// flagNames is indexed by bit number.
var flagNames = [numFlags]string{
	"write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
	"blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking",
	"fast", "no_auth", "may_replicate", "sentinel", "only_sentinel",
	"no_mandatory_keys", "protected", "module_getkeys", "module_no_cluster",
	"no_async_loading", "no_multi", "movablekeys", "allow_busy",
}

// hiddenFlags are flags Redis 7.0 keeps internally but never shows in
// COMMAND INFO, so the reply encoder skips them. Except for protected (set
// from a small hand-kept list, see hiddenFlagOverrides) they cannot be
// recorded from a server and are never set in the default table.
const hiddenFlags = FlagMayReplicate | FlagSentinel | FlagOnlySentinel | FlagProtected |
	FlagModuleGetKeys | FlagModuleNoCluster

// Has reports whether all flags of x are set in f.
func (f Flag) Has(x Flag) bool { return f&x == x }

// Names returns the flag names in Redis order, including hidden flags.
func (f Flag) Names() []string {
	var out []string
	for i := 0; i < numFlags; i++ {
		if f&(1<<i) != 0 {
			out = append(out, flagNames[i])
		}
	}
	return out
}

// FlagByName returns the flag called name (as Redis spells it in COMMAND
// INFO, lower case).
func FlagByName(name string) (Flag, bool) {
	for i, n := range flagNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// ACLCategory is a set of ACL categories, one bit per category, declared in
// the order Redis 7.0 lists them (ACL CAT and COMMAND INFO).
type ACLCategory uint32

const (
	ACLKeyspace ACLCategory = 1 << iota
	ACLRead
	ACLWrite
	ACLSet
	ACLSortedSet
	ACLList
	ACLHash
	ACLString
	ACLBitmap
	ACLHyperLogLog
	ACLGeo
	ACLStream
	ACLPubSub
	ACLAdmin
	ACLFast
	ACLSlow
	ACLBlocking
	ACLDangerous
	ACLConnection
	ACLTransaction
	ACLScripting
	numACLCategories = iota
)

// aclCategoryNames is indexed by bit number; names are without the '@'.
var aclCategoryNames = [numACLCategories]string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast",
	"slow", "blocking", "dangerous", "connection", "transaction", "scripting",
}

// Has reports whether all categories of x are set in c.
func (c ACLCategory) Has(x ACLCategory) bool { return c&x == x }

// Names returns the category names (without '@') in Redis order.
func (c ACLCategory) Names() []string {
	var out []string
	for i := 0; i < numACLCategories; i++ {
		if c&(1<<i) != 0 {
			out = append(out, aclCategoryNames[i])
		}
	}
	return out
}

// ACLCategoryNames returns every category name (without '@') in Redis
// order, as ACL CAT lists them.
func ACLCategoryNames() []string {
	return append([]string(nil), aclCategoryNames[:]...)
}

// ACLCategoryByName returns the category called name, without the '@'.
// Redis matches category names case-insensitively.
func ACLCategoryByName(name string) (ACLCategory, bool) {
	for i, n := range aclCategoryNames {
		if equalFold(n, name) {
			return 1 << i, true
		}
	}
	return 0, false
}

// KeyFlag is a set of key-spec flags, declared in the order Redis 7.0
// lists them.
type KeyFlag uint32

const (
	KeyRO KeyFlag = 1 << iota
	KeyRW
	KeyOW
	KeyRM
	KeyAccess
	KeyUpdate
	KeyInsert
	KeyDelete
	KeyNotKey
	KeyIncomplete
	KeyVariableFlags
	numKeyFlags = iota
)

var keyFlagNames = [numKeyFlags]string{
	"RO", "RW", "OW", "RM", "access", "update", "insert", "delete",
	"not_key", "incomplete", "variable_flags",
}

// Has reports whether all flags of x are set in f.
func (f KeyFlag) Has(x KeyFlag) bool { return f&x == x }

// Names returns the flag names in Redis order. It allocates; the table keeps
// precomputed name slices for every key spec (KeySpec.FlagNames).
func (f KeyFlag) Names() []string {
	out := []string{}
	for i := 0; i < numKeyFlags; i++ {
		if f&(1<<i) != 0 {
			out = append(out, keyFlagNames[i])
		}
	}
	return out
}

// DocFlag is a set of documentation flags.
type DocFlag uint8

const (
	DocDeprecated DocFlag = 1 << iota
	DocSyscmd
	numDocFlags = iota
)

var docFlagNames = [numDocFlags]string{"deprecated", "syscmd"}

// ArgFlag is a set of argument flags.
type ArgFlag uint8

const (
	ArgOptional ArgFlag = 1 << iota
	ArgMultiple
	ArgMultipleToken
	numArgFlags = iota
)

var argFlagNames = [numArgFlags]string{"optional", "multiple", "multiple_token"}

// bitByName finds name in names and returns its bit.
func bitByName(names []string, name string) (uint64, bool) {
	for i, n := range names {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// equalFold is an ASCII case-insensitive comparison, the only kind Redis
// uses for command and keyword names.
func equalFold[T string | []byte](a string, b T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
