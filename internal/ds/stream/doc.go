// Package stream owns the storage of a stream value: its entries (an ID
// and a list of field/value pairs each) packed into blocks of bytes, the
// ordered index of those blocks, and its consumer groups.
//
// Layout. Each block holds up to a configured number of entries (and
// bytes). A block records its master ID (the ID of the first entry added
// to it) and the field names of that first entry; every entry stores its
// ID as varint deltas against the master ID, and an entry whose field
// names equal the master's stores only its values. Deleted entries keep
// their bytes and carry a flag, so deletion never moves data; a block
// whose entries are all deleted is dropped. Blocks sit in a slice sorted
// by master ID: a binary search seeks to an ID in O(log n), appending
// goes to the last block, and trimming from the head removes whole blocks.
//
// Consumer groups live here too (group.go): each group's and each
// consumer's pending entries are an ordered PEL, and the stream keeps the
// counters (entries added, greatest deleted ID) from which a group's lag
// is derived as Redis 7.0 derives it. The package knows nothing of the
// wire protocol; the server's stream commands build on it.
package stream
