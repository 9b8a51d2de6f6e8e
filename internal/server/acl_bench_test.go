package server

import (
	"testing"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/logging"
)

// BenchmarkACLCheck measures the gate's ACL check (aclDenied) for GET and
// SET: as the default user (the unrestricted fast path) and as a user with
// key patterns and command rules, the redis-benchmark comparison's
// "ACL SETUSER bench on >pw ~key:* ~__rand* +@all -@dangerous".
func BenchmarkACLCheck(b *testing.B) {
	cfg := config.New()
	s := NewWithOptions(cfg, Options{Logger: logging.Discard()})
	e, _, err := s.acl.reg.SetUser("bench", []string{"on", ">pw", "~key:*", "~__rand*", "+@all", "-@dangerous"})
	if err != nil {
		b.Fatal(err)
	}
	get := s.table.Lookup([]byte("get"))
	set := s.table.Lookup([]byte("set"))
	getArgv := [][]byte{[]byte("GET"), []byte("key:__rand_int__")}
	setArgv := [][]byte{[]byte("SET"), []byte("key:__rand_int__"), []byte("xxx")}
	for _, tc := range []struct {
		name string
		user bool
	}{{"default", false}, {"user", true}} {
		c := &client{s: s, fd: -1}
		if tc.user {
			c.acl.entry.Store(e)
		}
		b.Run(tc.name+"/GET", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if msg := s.aclDenied(c, get, getArgv); msg != "" {
					b.Fatal(msg)
				}
			}
		})
		b.Run(tc.name+"/SET", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if msg := s.aclDenied(c, set, setArgv); msg != "" {
					b.Fatal(msg)
				}
			}
		})
	}
}

// TestACLCheckDoesNotAllocate: an allowed call costs no allocation, so
// ACL users do not add garbage-collector work per command.
func TestACLCheckDoesNotAllocate(t *testing.T) {
	cfg := config.New()
	s := NewWithOptions(cfg, Options{Logger: logging.Discard()})
	e, _, err := s.acl.reg.SetUser("u", []string{"on", "nopass", "%R~r:*", "~key:*", "~a?c", "+@all", "-@dangerous", "(~x +get)"})
	if err != nil {
		t.Fatal(err)
	}
	c := &client{s: s, fd: -1}
	c.acl.entry.Store(e)
	for _, call := range [][]string{{"get", "key:1"}, {"set", "key:1", "v"}, {"mget", "abc", "key:2", "r:1"}, {"get", "x"}} {
		argv := make([][]byte, len(call))
		for i, a := range call {
			argv[i] = []byte(a)
		}
		cmd := s.table.Lookup(argv[0])
		s.aclDenied(c, cmd, argv) // sizes the key scratch
		if n := testing.AllocsPerRun(100, func() {
			if msg := s.aclDenied(c, cmd, argv); msg != "" {
				t.Fatal(msg)
			}
		}); n != 0 {
			t.Errorf("%v: %v allocations", call, n)
		}
	}
}
