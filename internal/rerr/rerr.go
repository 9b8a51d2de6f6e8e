// Package rerr holds every error text Taconite sends on the wire, exactly as
// Redis 7.0 words it. Handlers never spell an error inline: they use a value
// from here, so a wording fix is one edit and the golden tests can find it.
//
// Each constant is the reply without the leading '-' and trailing CRLF; the
// first word is the error code Redis clients switch on (ERR, WRONGTYPE, …).
package rerr

import (
	"bytes"
	"fmt"
	"strings"
)

// Fixed error texts.
const (
	Syntax          = "ERR syntax error"
	WrongType       = "WRONGTYPE Operation against a key holding the wrong kind of value"
	NotInt          = "ERR value is not an integer or out of range"
	NotFloat        = "ERR value is not a valid float"
	Overflow        = "ERR increment or decrement would overflow"
	NaNOrInf        = "ERR increment would produce NaN or Infinity"
	NoSuchKey       = "ERR no such key"
	DBIndex         = "ERR DB index is out of range"
	SameObject      = "ERR source and destination objects are the same"
	StringTooBig    = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	OffsetRange     = "ERR offset is out of range"
	NoAuth          = "NOAUTH Authentication required."
	WrongPass       = "WRONGPASS invalid username-password pair or user is disabled."
	NoPasswordSet   = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	NoProto         = "NOPROTO unsupported protocol version"
	InvalidCursor   = "ERR invalid cursor"
	ClientName      = "ERR Client names cannot contain spaces, newlines or special characters."
	NoSuchClient    = "ERR No such client"
	TimeoutNegative = "ERR timeout is negative"
	TimeoutNotInt   = "ERR timeout is not an integer or out of range"
	TimeoutNotFloat = "ERR timeout is not a float or out of range"
	NXAndXX         = "ERR XX and NX options at the same time are not compatible"
	GTLTNX          = "ERR GT, LT, and/or NX options at the same time are not compatible"
	UnknownSort     = "ERR unknown sort direction"
	InvalidDBArg    = "ERR invalid DB index"
	CopyDBSame      = "ERR source and destination objects are the same"
	ExpireBadArgs   = "ERR Unsupported option "
	GetKeysNoKeys   = "ERR The command has no key arguments"
	GetKeysInvalid  = "ERR Invalid command specified"
	GetKeysArgs     = "ERR Invalid number of arguments specified for command"
	DebugDisabled   = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
	LCSBothLen      = "ERR If you want both the length and indexes, please just use IDX."
	LCSNotStrings   = "ERR The specified keys must contain string values"
	ClusterDisabled = "ERR This instance has cluster support disabled"
	ModuleDisabled  = "ERR MODULE command is not supported by Taconite"
	Pong            = "PONG"
)

// UnknownCommand formats Redis's reply to a command name it does not know,
// listing the first arguments the way processCommand does.
func UnknownCommand(name []byte, args [][]byte) string {
	var b strings.Builder
	for _, a := range args {
		if b.Len() >= 128 {
			break
		}
		room := 128 - b.Len()
		s := cstr(a)
		if len(s) > room {
			s = s[:room]
		}
		fmt.Fprintf(&b, "'%s' ", s)
	}
	return Clean(fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", trunc(name, 128), b.String()))
}

// UnknownSubcommand formats the reply to CONTAINER <unknown>.
func UnknownSubcommand(sub []byte, container string) string {
	return Clean(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", trunc(sub, 128), strings.ToUpper(container)))
}

// WrongArity formats the arity error; name is the command's full name
// ("get", "config|get").
func WrongArity(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// InvalidExpire is SET/EXPIRE's "invalid expire time" error for command name.
func InvalidExpire(cmd string) string {
	return "ERR invalid expire time in '" + cmd + "' command"
}

// Clean maps CR and LF to spaces, as Redis does for every formatted error,
// so an argument echoed into an error can never break the protocol.
func Clean(s string) string {
	if strings.IndexAny(s, "\r\n") < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// cstr cuts b at its first NUL byte: Redis formats these messages with C
// string functions, which stop there.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func trunc(b []byte, n int) []byte {
	b = cstr(b)
	if len(b) > n {
		return b[:n]
	}
	return b
}

// Hash commands (HINCRBY, HINCRBYFLOAT, HRANDFIELD).
const (
	HashNotInt       = "ERR hash value is not an integer"
	HashNotFloat     = "ERR hash value is not a float"
	HashIncrNaNOrInf = "ERR value is NaN or Infinity"
	HRandCountRange  = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	HRandValuesRange = "ERR value is out of range"
)

// Set commands (SPOP SRANDMEMBER SINTERCARD).
const (
	SetNotPositive    = "ERR value is out of range, must be positive"
	SetRandCountRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	SetNumKeys        = "ERR numkeys should be greater than 0"
	SetNumKeysArgs    = "ERR Number of keys can't be greater than number of args"
	SetLimitNegative  = "ERR LIMIT can't be negative"
)

// ---- list commands (LPUSH … LMPOP) ----

// List errors.
const (
	ListCountPositive   = "ERR value is out of range, must be positive"
	ListIndexRange      = "ERR index out of range"
	ListRankZero        = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	ListCountNegative   = "ERR COUNT can't be negative"
	ListMaxlenNegative  = "ERR MAXLEN can't be negative"
	ListNumkeys         = "ERR numkeys should be greater than 0"
	ListCountPositiveGT = "ERR count should be greater than 0"
)

// Sorted sets (zset family).
const (
	ZIncrPair      = "ERR INCR option supports a single increment-element pair"
	ZScoreNaN      = "ERR resulting score is not a number (NaN)"
	ZMinMaxFloat   = "ERR min or max is not a float"
	ZMinMaxLex     = "ERR min or max not valid string range item"
	ZLimitRank     = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	ZWithScoresLex = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	ZNotPositive   = "ERR value is out of range, must be positive"
	ZNumkeys       = "ERR numkeys should be greater than 0"
	ZCountPositive = "ERR count should be greater than 0"
	ZRandRange     = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	ZValueRange    = "ERR value is out of range"
	ZWeightFloat   = "ERR weight value is not a float"
	ZLimitNegative = "ERR LIMIT can't be negative"
)

// ZAtLeastOneKey is the numkeys < 1 error of ZUNION, ZINTER, ZDIFF, their
// STORE forms and ZINTERCARD.
func ZAtLeastOneKey(cmd string) string {
	return "ERR at least 1 input key is needed for '" + cmd + "' command"
}

// --- SORT / SORT_RO (cmd_sort.go) ---
const (
	SortNotDouble = "ERR One or more scores can't be converted into double"
)

// ---- geospatial indexes (cmd_geo.go) ----

// Geo errors.
const (
	GeoDecodeMember    = "ERR could not decode requested zset member"
	GeoUnit            = "ERR unsupported unit provided. please use M, KM, FT, MI"
	GeoCountPositive   = "ERR COUNT must be > 0"
	GeoAnyNeedsCount   = "ERR the ANY argument requires COUNT argument"
	GeoNeedRadius      = "ERR need numeric radius"
	GeoRadiusNegative  = "ERR radius cannot be negative"
	GeoNeedWidth       = "ERR need numeric width"
	GeoNeedHeight      = "ERR need numeric height"
	GeoBoxNegative     = "ERR height or width cannot be negative"
	GeoStoreWithRadius = "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	GeoStoreWithSearch = "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
)

// GeoStoreRepeated is Taconite's own error (Redis has none) for GEORADIUS
// with STORE (or STOREDIST) repeated with a key the key specs do not name.
const GeoStoreRepeated = "ERR repeating STORE or STOREDIST with another key is not supported"

// GeoInvalidPair is the error for coordinates outside the indexable area,
// printed with C's "%f".
func GeoInvalidPair(lon, lat float64) string {
	return "ERR invalid longitude,latitude pair " + geoCFloat(lon) + "," + geoCFloat(lat)
}

// geoCFloat formats as C's "%f": Go spells the infinities differently.
func geoCFloat(f float64) string {
	if f > 1.7976931348623157e308 {
		return "inf"
	}
	if f < -1.7976931348623157e308 {
		return "-inf"
	}
	return fmt.Sprintf("%f", f)
}

// GeoNeedFrom is GEOSEARCH's error when neither or both of FROMMEMBER and
// FROMLONLAT are given; cmd is the command name as the client sent it.
func GeoNeedFrom(cmd string) string {
	return "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + cmd
}

// GeoNeedBy is GEOSEARCH's error when neither or both of BYRADIUS and
// BYBOX are given.
func GeoNeedBy(cmd string) string {
	return "ERR exactly one of BYRADIUS and BYBOX can be specified for " + cmd
}

// ---- bitmaps (cmd_bitmap.go) and HyperLogLog (cmd_hll.go) ----
const (
	BitOffset        = "ERR bit offset is not an integer or out of range"
	BitValue         = "ERR bit is not an integer or out of range"
	BitfieldType     = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	BitfieldRO       = "ERR BITFIELD_RO only supports the GET subcommand"
	BitfieldOverflow = "ERR Invalid OVERFLOW type specified"
	BitposBit        = "ERR The bit argument must be 1 or 0."
	BitopNot         = "ERR BITOP NOT must be called with a single source key."
	HLLWrongType     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	HLLCorrupt       = "INVALIDOBJ Corrupted HLL object detected"
	PFDebugNoKey     = "ERR The specified key does not exist"
	PFDebugNotSparse = "ERR HLL encoding is not sparse"
)

// PFDebugUnknown is PFDEBUG's reply to an unknown subcommand (as typed).
func PFDebugUnknown(sub string) string {
	return "ERR Unknown PFDEBUG subcommand '" + sub + "'"
}

// --- streams (cmd_stream.go) ---
const (
	StreamInvalidID           = "ERR Invalid stream ID specified as stream command argument"
	StreamAddZero             = "ERR The ID specified in XADD must be greater than 0-0"
	StreamAddTooSmall         = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	StreamExhausted           = "ERR The stream has exhausted the last possible ID, unable to add more items"
	StreamTrimBoth            = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	StreamMaxLenNegative      = "ERR The MAXLEN argument must be >= 0."
	StreamLimitNegative       = "ERR The LIMIT argument must be >= 0."
	StreamLimitNoStrategy     = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	StreamXTrimNoStrategy     = "ERR syntax error, XTRIM must be called with a trimming strategy"
	StreamLimitNoApprox       = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	StreamBadStart            = "ERR invalid start ID for the interval"
	StreamBadEnd              = "ERR invalid end ID for the interval"
	StreamGroupInXRead        = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	StreamNoAckInXRead        = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	StreamDollarInGroup       = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	StreamGreaterInXRead      = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	StreamUnblockedNoKey      = "UNBLOCKED the stream key no longer exists"
	StreamUnblockedNoGroup    = "NOGROUP the consumer group this client was blocked on no longer exists"
	StreamClaimMinIdle        = "ERR Invalid min-idle-time argument for XCLAIM"
	StreamClaimIdle           = "ERR Invalid IDLE option argument for XCLAIM"
	StreamClaimTime           = "ERR Invalid TIME option argument for XCLAIM"
	StreamClaimRetry          = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
	StreamAutoClaimMinIdle    = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
	StreamCountPositive       = "ERR COUNT must be > 0"
	StreamXGroupNoKey         = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	StreamEntriesRead         = "ERR value for ENTRIESREAD must be positive or -1"
	StreamBusyGroup           = "BUSYGROUP Consumer Group name already exists"
	StreamEntriesAddedNeg     = "ERR entries_added must be positive"
	StreamSetIDBelowArgMaxDel = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	StreamSetIDSmall          = "ERR The ID specified in XSETID is smaller than the target stream top item"
	StreamSetIDEntriesAdded   = "ERR The entries_added specified in XSETID is smaller than the target stream length"
)

// StreamUnbalanced is XREAD's and XREADGROUP's error for an odd STREAMS
// list (Redis 7.0 words it the same for both).
const StreamUnbalanced = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."

// StreamNoGroupRead is XREADGROUP's NOGROUP error.
func StreamNoGroupRead(key, group []byte) string {
	return Clean("NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "' in XREADGROUP with GROUP option")
}

// StreamNoGroupKey is the NOGROUP error of XPENDING, XCLAIM, XAUTOCLAIM.
func StreamNoGroupKey(key, group []byte) string {
	return Clean("NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "'")
}

// StreamNoGroupName is the NOGROUP error of XGROUP and XINFO CONSUMERS.
func StreamNoGroupName(group, key []byte) string {
	return Clean("NOGROUP No such consumer group '" + string(group) + "' for key name '" + string(key) + "'")
}

// StreamClaimOption is XCLAIM's unknown-option error.
func StreamClaimOption(opt []byte) string {
	return Clean("ERR Unrecognized XCLAIM option '" + string(opt) + "'")
}

// StreamSubcommandSyntax is the error of an XGROUP subcommand with a bad
// option or argument count.
func StreamSubcommandSyntax(sub []byte, container string) string {
	return Clean(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.", trunc(sub, 128), container))
}

// ---- Lua scripting and functions (EVAL, SCRIPT, FUNCTION, FCALL) ----

const (
	NoScript            = "NOSCRIPT No matching script. Please use EVAL."
	ScriptNumKeysNeg    = "ERR Number of keys can't be negative"
	ScriptNumKeysBig    = "ERR Number of keys can't be greater than number of args"
	ScriptUnknownCmd    = "ERR Unknown Redis command called from script"
	ScriptWrongArgs     = "ERR Wrong number of args calling Redis command from script"
	ScriptNotAllowed    = "ERR This Redis command is not allowed from script"
	ScriptROWrite       = "ERR Write commands are not allowed from read-only scripts."
	ScriptACLCommand    = "ERR The user executing the script can't run this command or subcommand"
	ScriptACLKey        = "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
	ScriptACLChannel    = "ERR The user executing the script can't publish to the channel mentioned in the command"
	ScriptACLBadCommand = "ERR Invalid command passed to redis.acl_check_cmd()"
	ScriptFlushOption   = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
	ScriptBusy          = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	FunctionBusy        = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	ScriptROWithWrite   = "ERR Can not execute a script with write flag using *_ro command."
	FunctionNotFound    = "ERR Function not found"
	FunctionLibNotFound = "ERR Library not found"
	FunctionBadNumKeys  = "ERR Bad number of keys provided"
	FunctionFlushOption = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
)

// ---- Persistence (SAVE, BGSAVE, DUMP, RESTORE, DEBUG RELOAD) ----

const (
	BGSaveInProgress = "ERR Background save already in progress"
	Loading          = "LOADING Redis is loading the dataset in memory"
	BGSaveBusyAOF    = "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
	AOFRewriteBusy   = "ERR Background append only file rewriting already in progress"
	AOFRewriteFailed = "ERR Can't execute an AOF background rewriting. Please check the server logs for more information."
	SaveFailed       = "ERR"
	BusyKey          = "BUSYKEY Target key name already exists."
	BadTTL           = "ERR Invalid TTL value, must be >= 0"
	BadIdleTime      = "ERR Invalid IDLETIME value, must be >= 0"
	BadFreq          = "ERR Invalid FREQ value, must be >= 0 and <= 255"
	DumpPayload      = "ERR DUMP payload version or checksum are wrong"
	BadDataFormat    = "ERR Bad data format"
	ReloadSaveFailed = "ERR Error trying to save the DB"
	ReloadLoadFailed = "ERR Error trying to load the RDB dump, check server logs."
	MisconfBGSave    = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
)

// ---- Memory limit (maxmemory) ----

const (
	OOM       = "OOM command not allowed when used memory > 'maxmemory'."
	NoLFU     = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	LFUNoIdle = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

// ExecAbortBecause is the reply to an EXEC the gate refused (OOM, MISCONF):
// Redis discards the transaction and says why.
func ExecAbortBecause(msg string) string {
	return "EXECABORT Transaction discarded because of: " + msg
}

// ---- Access control lists (ACL, AUTH against users) ----

const (
	ACLNoPermKey     = "NOPERM this user has no permissions to access one of the keys used as arguments"
	ACLNoPermChannel = "NOPERM this user has no permissions to access one of the channels used as arguments"
	// ACLExecChanged starts the refusal of a queued command whose user
	// lost the permission before EXEC; the reason follows.
	ACLExecChanged = "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: "
	// ProtectedMode is written to a connection from a remote address, which
	// is then closed, while protected mode is on and the default user
	// takes no password.
	ProtectedMode         = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
	ACLBadUsername        = "ERR Usernames can't contain spaces or null characters"
	ACLDefaultUndeletable = "ERR The 'default' user cannot be removed"
	ACLGenpassRange       = "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
	ACLNoFile             = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
	ACLSaveFailed         = "ERR There was an error trying to save the ACLs. Please check the server logs for more information"
)

// ACLNoPermCommand is the refusal of a command the user may not run.
func ACLNoPermCommand(fullName string) string {
	return "NOPERM this user has no permissions to run the '" + fullName + "' command"
}

// ---- MIGRATE ----

const (
	MigrateKeysNeedEmptyKey = "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
	// The three I/O failures, as Redis words them ("connecting to the
	// client" included, though the peer is the target).
	MigrateIOConnect = "IOERR error or timeout connecting to the client"
	MigrateIOWrite   = "IOERR error or timeout writing to target instance"
	MigrateIORead    = "IOERR error or timeout reading to target instance"
	// DumpTypeUnsupported answers a value the DUMP encoder cannot
	// serialize.
	DumpTypeUnsupported = "ERR DUMP of this type is not supported yet"
)

// MigrateTarget forwards the first error line the target answered (its
// leading '-' removed).
func MigrateTarget(msg string) string {
	return "ERR Target instance replied with error: " + msg
}

// LatencyNoSamples answers LATENCY GRAPH for an event without samples.
func LatencyNoSamples(event []byte) string {
	return Clean("ERR No samples available for event '" + string(cstr(event)) + "'")
}

// ---- CONFIG SET of the listeners (port, tls-port, bind) ----

// The reasons CONFIG SET gives when a new value cannot be applied; the
// config package puts "ERR CONFIG SET failed (possibly related to
// argument 'name') - " in front.
const (
	// ConfigListenFailed: port or tls-port could not be bound.
	ConfigListenFailed = "Unable to listen on this port. Check server logs."
	// ConfigBindFailed: one of the new bind addresses could not be bound.
	ConfigBindFailed = "Failed to bind to specified addresses."
	// ConfigTLSFailed: the tls-* files or settings do not load.
	ConfigTLSFailed = "Unable to update TLS configuration. Check server logs."
)
