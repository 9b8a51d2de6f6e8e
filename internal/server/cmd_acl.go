package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taconite/taconite/internal/acl"
	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/rerr"
	"golang.org/x/sys/unix"
)

// Access control lists: ACL commands, users, and the per-command check the
// gate runs. The rules themselves live in internal/acl; this file puts
// them on the wire and ties users to connections.

func aclHandlers() []handler {
	return []handler{
		{name: "acl|setuser", fn: cmdACLSetUser},
		{name: "acl|getuser", fn: cmdACLGetUser},
		{name: "acl|deluser", fn: cmdACLDelUser},
		{name: "acl|list", fn: cmdACLList},
		{name: "acl|users", fn: cmdACLUsers},
		{name: "acl|whoami", fn: cmdACLWhoami},
		{name: "acl|cat", fn: cmdACLCat},
		{name: "acl|genpass", fn: cmdACLGenpass},
		{name: "acl|dryrun", fn: cmdACLDryrun},
		{name: "acl|log", fn: cmdACLLog},
		{name: "acl|save", fn: cmdACLSave},
		{name: "acl|load", fn: cmdACLLoad},
		{name: "acl|help", fn: cmdACLHelp},
	}
}

// clientACL is a client's authenticated user and what the checks need.
type clientACL struct {
	// entry is the user the client authenticated as; nil is the default
	// user. Atomic because CLIENT LIST reads it from other loops.
	entry atomic.Pointer[acl.Entry]
	keys  []command.KeyRef // scratch for the key check
}

// aclState is the server's user table and what keeps requirepass and the
// default user in step.
type aclState struct {
	reg *acl.Registry
	mu  sync.Mutex // guards pass
	// pass is the requirepass value last applied to the default user, so
	// that unrelated configuration reloads do not reset its passwords.
	pass     string
	startErr error
	notices  []string
}

// newACLState builds the users at startup: the default user with
// requirepass, then the "user" directives, then the aclfile. What Redis
// would log about them (and whether it would refuse to start) is kept
// for ReportACLStartup.
func newACLState(cfg *config.Config) *aclState {
	st := &aclState{reg: acl.NewRegistry(command.Default())}
	st.reg.SetPubsubDefault(cfg.String("acl-pubsub-default") == "allchannels")
	st.pass = cfg.String("requirepass")
	st.reg.SetDefaultPassword(st.pass)
	cfg.SetUserLines(st.reg.Lines)
	dirs := cfg.Users()
	file := cfg.String("aclfile")
	switch {
	case file != "" && len(dirs) > 0:
		st.startErr = errors.New("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")
	case len(dirs) > 0:
		users, notices, err := acl.FromDirectives(st.reg.Table(), dirs, st.reg.PubsubDefault())
		st.notices = notices
		if err != nil {
			st.startErr = errors.New(err.Error() + "\nCritical error while loading ACLs. Exiting.")
			break
		}
		// Only the default user exists before: keep it when not named.
		if users["default"] == nil {
			users["default"] = st.reg.Default().User()
		}
		st.reg.Replace(users)
	case file != "":
		if msg := st.loadFile(file); msg != "" {
			st.startErr = errors.New("Aborting Redis startup because of ACL errors: " + msg)
		}
	}
	return st
}

// ReportACLStartup logs what loading the users at startup gave (disabled
// users, errors) as Redis does, and returns the error that must stop the
// server (bad user directives, a bad aclfile, both given), or nil.
func (s *Server) ReportACLStartup() error {
	for _, n := range s.acl.notices {
		s.log.Noticef("%s", n)
	}
	if err := s.acl.startErr; err != nil {
		for _, l := range strings.Split(err.Error(), "\n") {
			s.log.Warningf("%s", l)
		}
		return err
	}
	return nil
}

// loadFile replaces the users with an ACL file's; "" or the error text.
func (st *aclState) loadFile(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("Error loading ACLs, opening file '%s': %s", path, errnoText(err))
	}
	users, msg := acl.ParseFile(st.reg.Table(), string(data), path, st.reg.PubsubDefault())
	if msg != "" {
		return msg
	}
	st.reg.Replace(users)
	return ""
}

func errnoText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// applyRequirePass gives the default user requirepass's password when the
// parameter changed, as CONFIG SET requirepass does in Redis 7.
func (s *Server) applyRequirePass(pw string) {
	st := s.acl
	st.mu.Lock()
	changed := st.pass != pw
	st.pass = pw
	st.mu.Unlock()
	if changed {
		st.reg.SetDefaultPassword(pw)
	}
	s.syncDefaultAuth()
}

// syncDefaultAuth keeps s.requirePass saying whether new connections are
// authenticated on arrival: "" exactly when the default user is enabled
// and needs no password.
func (s *Server) syncDefaultAuth() {
	u := s.acl.reg.Default().User()
	v := ""
	if !u.Enabled || !u.NoPass {
		v = "\x00required"
	}
	s.requirePass.Store(&v)
}

// defaultOpen reports whether the default user lets anyone in.
func (s *Server) defaultOpen() bool {
	u := s.acl.reg.Default().User()
	return u.Enabled && u.NoPass
}

// protectedDenied reports whether protected mode refuses a connection
// from peer: protected-mode is on, the default user takes no password, and
// the peer is neither 127.0.0.1, ::1 nor a unix socket. The test is Redis's
// exactly: other loopback addresses (127.0.0.2) count as remote.
func (s *Server) protectedDenied(peer unix.Sockaddr) bool {
	if !s.cfg.Bool("protected-mode") || !s.acl.reg.Default().User().NoPass {
		return false
	}
	switch a := peer.(type) {
	case *unix.SockaddrInet4:
		return a.Addr != [4]byte{127, 0, 0, 1}
	case *unix.SockaddrInet6:
		return a.Addr != [16]byte{15: 1}
	case *unix.SockaddrUnix:
		return false
	}
	return true
}

// aclEntry is the client's user.
func (c *client) aclEntry() *acl.Entry {
	if e := c.acl.entry.Load(); e != nil {
		return e
	}
	return c.s.acl.reg.Default()
}

// userName is the client's user name, for CLIENT LIST and ACL WHOAMI.
func (c *client) userName() string { return c.aclEntry().Name() }

// aclDenied returns the error a command must be refused with under the
// client's user's rules, or "" when it may run. The gate calls it after
// authentication, before the keys are locked.
func (s *Server) aclDenied(c *client, cmd *command.Command, argv [][]byte) string {
	ctx := acl.CtxToplevel
	if c.multi != nil {
		ctx = acl.CtxMulti
	}
	switch s.aclCheck(c, cmd, argv, ctx, cmd) {
	case acl.OK:
		return ""
	case acl.DeniedCommand:
		return rerr.ACLNoPermCommand(cmd.FullName())
	case acl.DeniedKey:
		return rerr.ACLNoPermKey
	default:
		return rerr.ACLNoPermChannel
	}
}

// aclCheck checks a call against client c's user and logs a denial in
// ACL LOG under context ctx. current, when not nil, becomes the client's
// current command first: the one the log's client info names.
func (s *Server) aclCheck(c *client, cmd *command.Command, argv [][]byte, ctx string, current *command.Command) acl.Reason {
	e := c.acl.entry.Load()
	if e == nil {
		e = s.acl.reg.Default()
	}
	u := e.User()
	if u.Unrestricted() {
		return acl.OK
	}
	r, pos := u.Check(cmd, argv, &c.acl.keys)
	if r == acl.OK {
		return acl.OK
	}
	obj := cmd.FullName()
	if r == acl.DeniedKey || r == acl.DeniedChannel {
		obj = string(argv[pos])
	}
	if current != nil {
		c.lastCmd.Store(current)
	}
	s.aclLog(c, r, ctx, obj, e.Name())
	return r
}

// aclExecDenied is the error of a queued command that the client's user
// may no longer run when EXEC runs it (its rules changed meanwhile), or "".
func (s *Server) aclExecDenied(c *client, cmd *command.Command, argv [][]byte) string {
	if c.aclEntry().User().Unrestricted() {
		return ""
	}
	var why string
	// The log's client info names EXEC, as in Redis.
	switch s.aclCheck(c, cmd, argv, acl.CtxMulti, s.table.Lookup([]byte("exec"))) {
	case acl.OK:
		return ""
	case acl.DeniedCommand:
		why = "no permission to execute the command or subcommand"
	case acl.DeniedKey:
		why = "no permission to touch the specified keys"
	default:
		why = "no permission to access one of the channels used as arguments"
	}
	return rerr.ACLExecChanged + why
}

// aclScriptDenied is the error of a redis.call the script's user may not
// make, or "".
func (s *Server) aclScriptDenied(c *client, cmd *command.Command, argv [][]byte) string {
	switch s.aclCheck(c, cmd, argv, acl.CtxLua, nil) {
	case acl.OK:
		return ""
	case acl.DeniedCommand:
		return rerr.ScriptACLCommand
	case acl.DeniedKey:
		return rerr.ScriptACLKey
	default:
		return rerr.ScriptACLChannel
	}
}

// aclScriptCheck is redis.acl_check_cmd: whether the script's user may
// run argv (not logged), or an error for an unknown command.
func (s *Server) aclScriptCheck(c *client, argv [][]byte) (bool, string) {
	cmd := s.table.Lookup(argv[0])
	if cmd != nil && cmd.Subcommands != nil && len(argv) >= 2 {
		cmd = cmd.Sub(argv[1])
	}
	if cmd == nil {
		return false, rerr.ScriptACLBadCommand
	}
	r, _ := c.aclEntry().User().Check(cmd, argv, &c.acl.keys)
	return r == acl.OK, ""
}

// aclLog records a denial in ACL LOG.
func (s *Server) aclLog(c *client, r acl.Reason, ctx, obj, user string) {
	max := int(s.cfg.Int("acllog-max-len"))
	s.acl.reg.Log.Add(acl.LogEntry{Reason: r.String(), Context: ctx, Object: obj, Username: user, ClientInfo: c.info()}, time.Now(), max)
}

// authenticate checks credentials (user nil: the default user) and, when
// they are right, makes the client that user. A failure is logged, under
// the command's name as the client typed it (as Redis does).
func (c *client) authenticate(user, pass, cmdName []byte) bool {
	name := "default"
	if user != nil {
		name = string(user)
	}
	e := c.s.acl.reg.Get(name)
	if e == nil || !e.User().CheckPassword(pass) {
		// The log's client info names the current command: AUTH or
		// HELLO, or EXEC when the AUTH was queued. noBlock is set while
		// EXEC runs the queue (AUTH cannot run in scripts).
		ctx, current := acl.CtxToplevel, cmdName
		if c.multi != nil || c.noBlock {
			ctx, current = acl.CtxMulti, []byte("exec")
		}
		if cmd := c.s.table.Lookup(current); cmd != nil {
			c.lastCmd.Store(cmd)
		}
		c.s.aclLog(c, acl.DeniedAuth, ctx, string(cmdName), name)
		return false
	}
	c.acl.entry.Store(e)
	c.authed = true
	return true
}

func cmdACLSetUser(c *client, argv [][]byte) {
	name := string(argv[2])
	if !acl.ValidName(name) {
		c.replyError(rerr.ACLBadUsername)
		return
	}
	rules := make([]string, len(argv)-3)
	for i, a := range argv[3:] {
		rules[i] = string(a)
	}
	s := c.s
	s.acl.reg.SetPubsubDefault(s.cfg.String("acl-pubsub-default") == "allchannels")
	e, old, err := s.acl.reg.SetUser(name, rules)
	if err != nil {
		c.replyError(rerr.Clean("ERR " + err.Error()))
		return
	}
	if old != nil {
		s.dropRevokedSubscribers(e)
	}
	s.syncDefaultAuth()
	c.replyOK()
}

// dropRevokedSubscribers disconnects the clients of a user that are
// subscribed to a channel or pattern its new rules no longer allow, as
// Redis does.
func (s *Server) dropRevokedSubscribers(e *acl.Entry) {
	u := e.User()
	for _, cl := range s.clientsSorted() {
		if cl.aclEntry() != e || cl.subCountShared.Load() == 0 {
			continue
		}
		cl := cl
		cl.loop.post(func() {
			for k, set := range cl.subs {
				for ch := range set {
					if !u.ChannelAllowed([]byte(ch), subKind(k) == subPattern) {
						cl.kill()
						return
					}
				}
			}
		})
	}
}

func cmdACLGetUser(c *client, argv [][]byte) {
	t := c.s.table
	e := c.s.acl.reg.Get(string(argv[2]))
	if e == nil {
		c.replyNull()
		return
	}
	u := e.User()
	root, others := u.Info(t)
	c.replyMapLen(6)
	c.replyBulkString("flags")
	flags := u.Flags()
	c.replySetLen(len(flags))
	for _, f := range flags {
		c.replyBulkString(f)
	}
	c.replyBulkString("passwords")
	c.replyStrings(u.Passwords())
	replySelectorInfo(c, root)
	c.replyBulkString("selectors")
	c.replyArrayLen(len(others))
	for _, in := range others {
		c.replyMapLen(3)
		replySelectorInfo(c, in)
	}
}

func replySelectorInfo(c *client, in acl.SelectorInfo) {
	c.replyBulkString("commands")
	c.replyBulkString(in.Commands)
	c.replyBulkString("keys")
	c.replyBulkString(in.Keys)
	c.replyBulkString("channels")
	c.replyBulkString(in.Channels)
}

func cmdACLDelUser(c *client, argv [][]byte) {
	names := make([]string, 0, len(argv)-2)
	for _, a := range argv[2:] {
		if string(a) == "default" {
			c.replyError(rerr.ACLDefaultUndeletable)
			return
		}
		names = append(names, string(a))
	}
	gone := c.s.acl.reg.Delete(names)
	c.s.disconnectUsers(c, gone)
	c.replyInt(int64(len(gone)))
}

// disconnectUsers closes the connections of deleted users; the calling
// client, if one of them, gets its reply first.
func (s *Server) disconnectUsers(self *client, gone []*acl.Entry) {
	if len(gone) == 0 {
		return
	}
	for _, cl := range s.clientsSorted() {
		e := cl.acl.entry.Load()
		if e == nil || !e.Gone() {
			continue
		}
		if cl == self {
			self.closeAfter = true
		} else {
			cl.kill()
		}
	}
}

func cmdACLList(c *client, argv [][]byte) { c.replyStrings(c.s.acl.reg.Lines()) }

func cmdACLUsers(c *client, argv [][]byte) {
	es := c.s.acl.reg.Entries()
	c.replyArrayLen(len(es))
	for _, e := range es {
		c.replyBulkString(e.Name())
	}
}

func cmdACLWhoami(c *client, argv [][]byte) { c.replyBulkString(c.userName()) }

// aclSyntaxError is Redis's answer for an ACL subcommand with arguments it
// does not take.
func aclSyntaxError(c *client, argv [][]byte) {
	c.replyError(rerr.Clean("ERR unknown subcommand or wrong number of arguments for '" + string(argv[1]) + "'. Try ACL HELP."))
}

func cmdACLCat(c *client, argv [][]byte) {
	if len(argv) > 3 {
		aclSyntaxError(c, argv)
		return
	}
	if len(argv) == 2 {
		c.replyStrings(command.ACLCategoryNames())
		return
	}
	cat, ok := command.ACLCategoryByName(string(argv[2]))
	if !ok {
		c.replyError(rerr.Clean("ERR Unknown category '" + string(argv[2]) + "'"))
		return
	}
	var names []string
	var walk func([]*command.Command)
	walk = func(cmds []*command.Command) {
		for _, cmd := range cmds {
			if cmd.ACLCategories&cat != 0 {
				names = append(names, cmd.FullName())
			}
			walk(cmd.SubcommandList())
		}
	}
	walk(c.s.table.All())
	c.replyStrings(names)
}

func cmdACLGenpass(c *client, argv [][]byte) {
	if len(argv) > 3 {
		aclSyntaxError(c, argv)
		return
	}
	bits := int64(256)
	if len(argv) == 3 {
		n, ok := c.argInt(argv[2])
		if !ok {
			return
		}
		if n <= 0 || n > 4096 {
			c.replyError(rerr.ACLGenpassRange)
			return
		}
		bits = n
	}
	c.replyBulkString(acl.GenPass(int(bits)))
}

func cmdACLDryrun(c *client, argv [][]byte) {
	s := c.s
	e := s.acl.reg.Get(string(argv[2]))
	if e == nil {
		c.replyError(rerr.Clean("ERR User '" + string(argv[2]) + "' not found"))
		return
	}
	call := argv[3:]
	cmd := s.table.Lookup(call[0])
	if cmd != nil && cmd.Subcommands != nil {
		if len(call) < 2 {
			cmd = nil
		} else {
			cmd = cmd.Sub(call[1])
		}
	}
	if cmd == nil {
		c.replyError(rerr.Clean("ERR Command '" + string(call[0]) + "' not found"))
		return
	}
	if !cmd.ArityOK(len(call)) {
		c.replyError(rerr.WrongArity(cmd.FullName()))
		return
	}
	var keys []command.KeyRef
	r, pos := e.User().Check(cmd, call, &keys)
	switch r {
	case acl.OK:
		c.replyOK()
	case acl.DeniedCommand:
		c.replyBulkString("This user has no permissions to run the '" + cmd.FullName() + "' command")
	case acl.DeniedKey:
		c.replyBulkString("This user has no permissions to access the '" + string(call[pos]) + "' key")
	default:
		c.replyBulkString("This user has no permissions to access the '" + string(call[pos]) + "' channel")
	}
}

func cmdACLLog(c *client, argv [][]byte) {
	if len(argv) > 3 {
		aclSyntaxError(c, argv)
		return
	}
	count := int64(10)
	if len(argv) == 3 {
		if eq(argv[2], "reset") {
			c.s.acl.reg.Log.Reset()
			c.replyOK()
			return
		}
		n, ok := c.argInt(argv[2])
		if !ok {
			return
		}
		count = max(n, 0)
	}
	if count > 1<<30 {
		count = 1 << 30
	}
	entries := c.s.acl.reg.Log.Entries(int(count))
	now := time.Now()
	c.replyArrayLen(len(entries))
	for _, le := range entries {
		c.replyMapLen(7)
		c.replyBulkString("count")
		c.replyInt(int64(le.Count))
		c.replyBulkString("reason")
		c.replyBulkString(le.Reason)
		c.replyBulkString("context")
		c.replyBulkString(le.Context)
		c.replyBulkString("object")
		c.replyBulkString(le.Object)
		c.replyBulkString("username")
		c.replyBulkString(le.Username)
		c.replyBulkString("age-seconds")
		c.replyDouble(float64(now.Sub(le.Created).Milliseconds()) / 1000)
		c.replyBulkString("client-info")
		c.replyBulkString(le.ClientInfo)
	}
}

func cmdACLSave(c *client, argv [][]byte) {
	path := c.s.cfg.String("aclfile")
	if path == "" {
		c.replyError(rerr.ACLNoFile)
		return
	}
	var b strings.Builder
	for _, l := range c.s.acl.reg.Lines() {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.tmp-%d", filepath.Base(path), time.Now().UnixNano()))
	err := os.WriteFile(tmp, []byte(b.String()), 0o644)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		c.s.log.Warningf("Saving ACL file %s: %v", path, err)
		c.replyError(rerr.ACLSaveFailed)
		return
	}
	c.replyOK()
}

func cmdACLLoad(c *client, argv [][]byte) {
	s := c.s
	path := s.cfg.String("aclfile")
	if path == "" {
		c.replyError(rerr.ACLNoFile)
		return
	}
	s.acl.reg.SetPubsubDefault(s.cfg.String("acl-pubsub-default") == "allchannels")
	before := s.acl.reg.Entries()
	if msg := s.acl.loadFile(path); msg != "" {
		c.replyError(rerr.Clean("ERR " + msg))
		return
	}
	var gone []*acl.Entry
	for _, e := range before {
		if e.Gone() {
			gone = append(gone, e)
		}
	}
	s.disconnectUsers(c, gone)
	s.syncDefaultAuth()
	c.replyOK()
}

func cmdACLHelp(c *client, argv [][]byte) {
	c.replyHelp("ACL",
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.",
	)
}
