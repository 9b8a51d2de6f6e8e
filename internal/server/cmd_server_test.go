package server_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

func TestMonitorSeesOtherClients(t *testing.T) {
	s := servertest.Start(t)
	mon := s.Dial(t)
	if got := mon.Do("MONITOR"); got != "+OK\r\n" {
		t.Fatalf("MONITOR: %q", got)
	}
	c := s.Dial(t)
	c.Do("SET", "greeting", "hi\nthere")
	got := mon.ReadRaw()
	if !strings.HasPrefix(got, "+") || !strings.Contains(got, `"SET" "greeting" "hi\nthere"`) || !strings.Contains(got, "[0 127.0.0.1:") {
		t.Fatalf("monitor line: %q", got)
	}
}

// monitorLineRE is one MONITOR line as Redis 7.0 writes it: the time
// with six digits of microseconds, the database and the address, then the
// arguments.
var monitorLineRE = regexp.MustCompile(`^\+[0-9]+\.[0-9]{6} \[([0-9]+) ([^\]]+)\] (.*)\r\n$`)

// expectMonitor reads one line per wanted entry from mon. Each entry is
// "db addr args" with addr "client" standing for any 127.0.0.1 address;
// everything else must match byte for byte.
func expectMonitor(t *testing.T, mon *servertest.Conn, want ...string) {
	t.Helper()
	for i, w := range want {
		line := mon.ReadRaw()
		m := monitorLineRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d: not a monitor line: %q", i, line)
		}
		addr := m[2]
		if regexp.MustCompile(`^127\.0\.0\.1:[0-9]+$`).MatchString(addr) {
			addr = "client"
		}
		if got := m[1] + " " + addr + " " + m[3]; got != w {
			t.Fatalf("line %d: got %q, want %q (%q)", i, got, w, line)
		}
	}
}

// startMonitor returns a server with a client in MONITOR mode.
func startMonitor(t *testing.T, args ...string) (*servertest.Server, *servertest.Conn) {
	s := servertest.Start(t, args...)
	mon := s.Dial(t)
	if got := mon.Do("MONITOR"); got != "+OK\r\n" {
		t.Fatalf("MONITOR: %q", got)
	}
	return s, mon
}

// As Redis 7.0: the queued commands are shown when EXEC runs them, with
// the client's address and the database they ran in, then EXEC itself.
func TestMonitorShowsExecQueue(t *testing.T) {
	s, mon := startMonitor(t)
	c := s.Dial(t)
	for _, cmd := range [][]string{
		{"MULTI"}, {"SET", "a", "1"}, {"INCR", "a"}, {"EXEC"},
		{"MULTI"}, {"SET", "x", "1"}, {"SELECT", "4"}, {"SET", "y", "2"}, {"EXEC"},
		{"SELECT", "0"},
		{"MULTI"}, {"NOSUCH"}, {"SET", "z", "1"}, {"EXEC"},
	} {
		c.Do(cmd...)
	}
	expectMonitor(t, mon,
		`0 client "MULTI"`,
		`0 client "SET" "a" "1"`,
		`0 client "INCR" "a"`,
		`0 client "EXEC"`,
		`0 client "MULTI"`,
		`0 client "SET" "x" "1"`,
		`4 client "SELECT" "4"`,
		`4 client "SET" "y" "2"`,
		`4 client "EXEC"`,
		`0 client "SELECT" "0"`,
		// A refused command is never shown; a discarded queue neither.
		`0 client "MULTI"`,
		`0 client "EXEC"`,
	)
}

// As Redis 7.0: a script's line comes first, then the commands it ran as
// "[db lua]", in the database they ran in; FCALL the same; a call the
// script could not make is not shown.
func TestMonitorShowsScriptCommands(t *testing.T) {
	s, mon := startMonitor(t)
	c := s.Dial(t)
	lib := "#!lua name=lib\nredis.register_function('f', function(k, a) redis.call('set', 'c', '3') return 1 end)"
	for _, cmd := range [][]string{
		{"EVAL", "redis.call('set','b','2') return redis.call('get','b')", "0"},
		{"EVAL", "redis.call('select','2') redis.call('set','z','1') return redis.pcall('nosuch')", "0"},
		{"FUNCTION", "LOAD", lib},
		{"FCALL", "f", "0"},
		{"MULTI"}, {"EVAL", "return redis.call('incr','n')", "0"}, {"GET", "n"}, {"EXEC"},
	} {
		c.Do(cmd...)
	}
	expectMonitor(t, mon,
		`0 client "EVAL" "redis.call('set','b','2') return redis.call('get','b')" "0"`,
		`0 lua "set" "b" "2"`,
		`0 lua "get" "b"`,
		`0 client "EVAL" "redis.call('select','2') redis.call('set','z','1') return redis.pcall('nosuch')" "0"`,
		`2 lua "select" "2"`,
		`2 lua "set" "z" "1"`,
		`0 client "FUNCTION" "LOAD" "#!lua name=lib\nredis.register_function('f', function(k, a) redis.call('set', 'c', '3') return 1 end)"`,
		`0 client "FCALL" "f" "0"`,
		`0 lua "set" "c" "3"`,
		`0 client "MULTI"`,
		`0 client "EVAL" "return redis.call('incr','n')" "0"`,
		`0 lua "incr" "n"`,
		`0 client "GET" "n"`,
		`0 client "EXEC"`,
	)
}

// As Redis 7.0: passwords are hidden once the command's parsing reaches
// them, from MONITOR and the slow log alike.
func TestMonitorRedactsPasswords(t *testing.T) {
	s, mon := startMonitor(t, "--slowlog-log-slower-than", "0")
	c := s.Dial(t)
	for _, cmd := range [][]string{
		{"AUTH", "user", "secret1"},
		{"AUTH", "a", "b", "c"},
		{"HELLO", "2", "SETNAME", "x", "AUTH", "default", "secret2"},
		{"HELLO", "3", "AUTH", "default"},
		{"HELLO", "4", "AUTH", "default", "secret3"},
		{"MIGRATE", "127.0.0.1", "1", "nokey", "0", "10", "AUTH", "secret4", "AUTH2", "u", "secret5"},
		{"MIGRATE", "127.0.0.1", "1", "nokey", "0", "10", "BOGUS", "AUTH", "p"},
		{"MULTI"}, {"AUTH", "secret6"}, {"EXEC"},
		{"CONFIG", "SET", "masterauth", "secret7"},
	} {
		c.Do(cmd...)
	}
	expectMonitor(t, mon,
		`0 client "AUTH" "(redacted)" "(redacted)"`,
		`0 client "AUTH" "a" "b" "c"`,
		`0 client "HELLO" "2" "SETNAME" "x" "AUTH" "(redacted)" "(redacted)"`,
		`0 client "HELLO" "3" "AUTH" "default"`,
		`0 client "HELLO" "4" "AUTH" "default" "secret3"`,
		`0 client "MIGRATE" "127.0.0.1" "1" "nokey" "0" "10" "AUTH" "(redacted)" "AUTH2" "(redacted)" "(redacted)"`,
		`0 client "MIGRATE" "127.0.0.1" "1" "nokey" "0" "10" "BOGUS" "AUTH" "p"`,
		`0 client "MULTI"`,
		`0 client "AUTH" "(redacted)"`,
		`0 client "EXEC"`,
		// CONFIG is an admin command: never shown.
	)
	log := c.Do("SLOWLOG", "GET", "100")
	for _, secret := range []string{"secret1", "secret2", "secret4", "secret5", "secret6", "secret7"} {
		if strings.Contains(log, secret) {
			t.Errorf("slow log shows %s: %q", secret, log)
		}
	}
	if !strings.Contains(log, "$6\r\nCONFIG\r\n$3\r\nSET\r\n$10\r\nmasterauth\r\n$10\r\n(redacted)\r\n") {
		t.Errorf("slow log lacks the redacted CONFIG SET: %q", log)
	}
}

// As Redis: a blocked command is shown once, when it first runs, not again
// when it is served.
func TestMonitorShowsBlockedCommandOnce(t *testing.T) {
	s, mon := startMonitor(t)
	a, b := s.Dial(t), s.Dial(t)
	a.Send([]byte("*3\r\n$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\n0\r\n"))
	expectMonitor(t, mon, `0 client "BLPOP" "l" "0"`)
	b.Do("LPUSH", "l", "x")
	if got := a.ReadRaw(); got != "*2\r\n$1\r\nl\r\n$1\r\nx\r\n" {
		t.Fatalf("BLPOP: %q", got)
	}
	a.Do("PING")
	expectMonitor(t, mon, `0 client "LPUSH" "l" "x"`, `0 client "PING"`)
}

func TestSlowlogRecords(t *testing.T) {
	s := servertest.Start(t, "--slowlog-log-slower-than", "0")
	c := s.Dial(t)
	c.Do("SET", "k", strings.Repeat("x", 200))
	got := c.Do("SLOWLOG", "GET", "1")
	if !strings.Contains(got, "$3\r\nSET\r\n") || !strings.Contains(got, "... (72 more bytes)") {
		t.Fatalf("slowlog entry: %q", got)
	}
	if got := c.Do("SLOWLOG", "RESET"); got != "+OK\r\n" {
		t.Fatalf("reset: %q", got)
	}
}

func TestInfoSections(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("SET", "k", "v")
	c.Do("GET", "k")
	c.Do("GET", "missing")
	c.Do("NOSUCH")
	info := c.Do("INFO", "everything")
	for _, want := range []string{
		"# Server\r\n", "redis_version:7.0.15\r\n", "taconite_version:", "maxmemory_policy:noeviction\r\n",
		"loading:0\r\n", "keyspace_hits:1\r\n", "keyspace_misses:1\r\n",
		"cmdstat_get:calls=2,", "errorstat_ERR:count=1\r\n", "db0:keys=1,expires=0,avg_ttl=0\r\n",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	if got := c.Do("INFO", "keyspace"); !strings.HasPrefix(got, "$") || strings.Contains(got, "# Server") {
		t.Errorf("INFO keyspace: %q", got)
	}
}

func TestConfigSetAppliesMaxclients(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	if got := c.Do("CONFIG", "SET", "maxclients", "1"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", got)
	}
	extra := s.Dial(t)
	if got := extra.ReadRaw(); got != "-ERR max number of clients reached\r\n" {
		t.Fatalf("over maxclients: %q", got)
	}
	if got := c.Do("CONFIG", "GET", "maxclients"); got != "*2\r\n$10\r\nmaxclients\r\n$1\r\n1\r\n" {
		t.Fatalf("CONFIG GET: %q", got)
	}
}

func TestCommandCountMatchesImplemented(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	got := c.Do("COMMAND", "COUNT")
	if got == ":0\r\n" || !strings.HasPrefix(got, ":") {
		t.Fatalf("COMMAND COUNT: %q", got)
	}
	if got := c.Do("COMMAND", "INFO", "failover"); got != "*1\r\n$-1\r\n" {
		t.Fatalf("unimplemented command should not be listed: %q", got)
	}
}
