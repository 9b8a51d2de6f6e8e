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
