package rdb

// Version is the RDB version Taconite writes, Redis 7.0's.
const Version = 10

// MaxVersion is the newest RDB version the decoder reads (Redis 7.2's).
const MaxVersion = 11

// Object types as stored in front of each value.
const (
	TypeString          = 0
	TypeList            = 1
	TypeSet             = 2
	TypeZSet            = 3
	TypeHash            = 4
	TypeZSet2           = 5
	TypeModule          = 6
	TypeModule2         = 7
	TypeHashZipmap      = 9
	TypeListZiplist     = 10
	TypeSetIntset       = 11
	TypeZSetZiplist     = 12
	TypeHashZiplist     = 13
	TypeListQuicklist   = 14
	TypeStreamListpacks = 15
	TypeHashListpack    = 16
	TypeZSetListpack    = 17
	TypeListQuicklist2  = 18
	TypeStreamListpack2 = 19
	TypeSetListpack     = 20
	TypeStreamListpack3 = 21
)

// Opcodes between keys.
const (
	opFunction2     = 245
	opFunction      = 246
	opModuleAux     = 247
	opIdle          = 248
	opFreq          = 249
	opAux           = 250
	opResizeDB      = 251
	opExpireMs      = 252
	opExpireSec     = 253
	opSelectDB      = 254
	opEOF           = 255
	encInt8         = 0
	encInt16        = 1
	encInt32        = 2
	encLZF          = 3
	quicklistPlain  = 1
	quicklistPacked = 2
)

// Kind is the data type of a Value.
type Kind uint8

// Kinds of Value.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
)

// Value is one key's value, independent of the server's representation.
//
// Strings use Str. Lists, sets and hashes use Elems (a hash as field,
// value, field, value…). Sorted sets use Elems for members and Scores for
// their scores, in ascending order. Streams use Stream. A set may instead give Ints (the
// intset encoding, ascending).
//
// Compact asks the encoder for Redis's small encoding: listpack for hashes
// and sorted sets, intset for sets given as Ints. The decoder sets it when
// the stored encoding was a compact one, as a hint.
type Value struct {
	Kind    Kind
	Str     []byte
	Elems   [][]byte
	Scores  []float64
	Ints    []int64
	Compact bool
	Stream  *StreamValue // KindStream
}
