// Package command owns Taconite's command table: the single description of
// every Redis 7.0 command and subcommand (arity, flags, legacy key range,
// key specs, ACL categories, tips and the COMMAND DOCS documentation). It
// drives the arity check, the COMMAND replies, key extraction for locking
// and cluster routing, and ACL.
//
// Data flow:
//
//  1. tools/cmdrecord connects to a real redis-server 7.0 and records
//     COMMAND INFO and COMMAND DOCS for all commands into
//     data/commands.json (run tools/cmdrecord/record.sh). Redis's one-line
//     summaries are deliberately not recorded.
//  2. data/summaries.json holds Taconite's own summaries, written by hand,
//     one per command and subcommand ("parent|sub" for subcommands).
//  3. Both files are embedded; Default parses them once, on first use, into
//     an immutable Table (flags and categories become bit sets, key specs
//     and argument trees become structs, IDs are assigned densely).
//  4. At run time the server looks commands up with Lookup/LookupArgv (no
//     allocation), checks ArityOK, finds keys with KeyIndexes or
//     KeyIndexesWithFlags (no allocation given room in dst), and answers
//     COMMAND INFO/DOCS with AppendInfo and AppendDocs, which reproduce
//     Redis's bytes for RESP2 and RESP3.
//
// The same tool records, into testdata/, the raw replies of COMMAND INFO and
// COMMAND DOCS for every command (summaries blanked) and COMMAND GETKEYS /
// GETKEYSANDFLAGS results for the calls listed in testdata/getkeys.in; the
// tests compare against them without needing a Redis server.
//
// Redis lists subcommands in hash-table order, which differs from process to
// process; Taconite always lists them sorted by name. Flags Redis keeps but
// never reports (may_replicate, sentinel, protected, ...) cannot be recorded;
// only protected is set, from a short hand-kept list.
//
// Key extraction follows Redis's rule: use the key specs when every spec is
// usable, otherwise (or when the specs do not fit the arguments, e.g. a bad
// numkeys) fall back to the command's own procedure, reimplemented here for
// the commands Redis gives one (SORT, SORT_RO, MIGRATE, EVAL/FCALL and
// their variants, the numkeys commands, GEORADIUS*, XREAD*, SET, BITFIELD).
package command
