// Package acl owns Taconite's access control lists as Redis 7.0 defines
// them: users and their selectors, the parsing of ACL rules (ACL SETUSER,
// `user` directives, ACL files) and their description exactly as ACL LIST
// and ACL GETUSER print it, SHA-256 password hashes checked in constant
// time, the per-command permission check over commands, subcommands, keys
// and channels, the ACL LOG ring and ACL GENPASS.
//
// The package knows nothing of connections: the server asks it whether a
// user may run a call and renders its answers on the wire. Users are
// immutable once published in a Registry, so the check reads them without
// locks; a change builds a new User and swaps it in, and clients holding
// the user's Entry see it at their next command.
package acl
