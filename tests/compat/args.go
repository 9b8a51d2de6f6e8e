// Package compat replays command scripts against a server and compares the
// replies with golden files recorded from a real redis-server 7.0. The
// script and golden formats are described in testdata/compat/README.md.
package compat

// ServerArgs returns the redis-server style arguments that both the
// reference redis-server (when recording) and Taconite (when testing) are
// started with, so the two run with the same configuration. The address and
// port are not among them: each starter picks its own.
func ServerArgs() []string {
	return []string{
		// No RDB snapshots or AOF: the scripts must leave nothing on disk
		// and must not see persistence-related state change under them.
		"--save", "",
		"--appendonly", "no",
		// DEBUG OBJECT and friends are part of the scripts.
		"--enable-debug-command", "yes",
	}
}
