// Package config owns Taconite's configuration: one table (table.go) that
// lists every parameter Redis 7.0.15 knows, with its aliases, type, bounds,
// default and flags, and everything driven by it:
//
//   - CONFIG GET (Get), CONFIG SET (Set, SetWith) and CONFIG REWRITE
//     (Rewrite), with replies and error texts byte-compatible with
//     Redis 7.0.15;
//   - loading a redis.conf (LoadFile, LoadString) and turning the command
//     line `taconite [configfile] [--name value ...]` into config text the
//     way redis-server does (LoadArgs); fatal errors print exactly like
//     Redis's "*** FATAL CONFIG FILE ERROR ***" banner (FatalError);
//   - typed accessors (Int, Bool, String, Strings, ...) for the rest of
//     the server, and apply hooks (OnApply) through which subsystems learn
//     about runtime changes.
//
// Every parameter is stored and reported, but only some are acted upon by
// Taconite; IsImplemented tells which, and Unimplemented lists the
// non-implemented ones a config file or the command line gave a non-default
// value, so the server can warn once about each.
//
// The package does not touch process state on its own: it never changes the
// working directory, binds sockets or writes pid files. "dir" is stored as an
// absolute path and relative paths met while loading (include, logfile) are
// resolved against it; the server applies it (os.Chdir) through a hook.
//
// CONFIG RESETSTAT is the server's job, not this package's.
package config
