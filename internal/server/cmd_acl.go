package server

import "github.com/taconite/taconite/internal/command"

// Access control lists: ACL commands, users, and the per-command check the
// gate runs.

func aclHandlers() []handler { return nil }

// clientACL is a client's authenticated user and what the checks need.
type clientACL struct{}

// aclDenied returns the error a command must be refused with under the
// client's user's rules, or "" when it may run. The gate calls it after
// authentication, before the keys are locked.
func (s *Server) aclDenied(c *client, cmd *command.Command, argv [][]byte) string { return "" }
