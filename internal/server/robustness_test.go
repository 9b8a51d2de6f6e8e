package server_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// TestRandomArgumentsNeverPanic sends every implemented command (as
// COMMAND LIST names them) with random arguments drawn from a vocabulary of
// awkward values, against keys of every type, and checks that no handler
// panics (the gate turns a panic into "ERR internal error"): bad input
// must get Redis's error, never a crash.
func TestRandomArgumentsNeverPanic(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	list, err := resp.ReadReply(bufioReader(c.Do("COMMAND", "LIST")))
	if err != nil || len(list.Elems) == 0 {
		t.Fatalf("COMMAND LIST: %v", err)
	}
	skip := map[string]bool{
		"shutdown": true, "debug": true, "monitor": true, "quit": true, "client|pause": true,
		"client|kill": true, "client|reply": true, "config|set": true, "config|rewrite": true,
		"blpop": true, "brpop": true, "blmove": true, "brpoplpush": true, "blmpop": true,
		"bzpopmin": true, "bzpopmax": true, "bzmpop": true, "hello": true, "auth": true, "reset": true,
		"select": true, "swapdb": true, "flushall": true, "flushdb": true, "move": true,
		"sync": true, "psync": true, // turn the connection into a replica stream
	}
	var names []string
	for _, e := range list.Elems {
		if n := string(e.Str); !skip[n] {
			names = append(names, n)
		}
	}
	setup := [][]string{
		{"SET", "str", "10"}, {"RPUSH", "list", "a", "b", "3"}, {"SADD", "set", "1", "x"},
		{"ZADD", "zset", "1", "a", "2.5", "b"}, {"HSET", "hash", "f", "1", "g", "v"},
	}
	vocab := []string{"str", "list", "set", "zset", "hash", "missing", "0", "1", "-1", "2", "abc", "1.5",
		"inf", "-inf", "(1", "[a", "+", "-", "9223372036854775807", "-9223372036854775808", "",
		"NX", "XX", "GT", "LT", "CH", "INCR", "WITHSCORES", "LIMIT", "COUNT", "MATCH", "*", "TYPE",
		"BY", "GET", "STORE", "ALPHA", "DESC", "LEFT", "RIGHT", "BEFORE", "AFTER", "RANK", "MAXLEN",
		"WEIGHTS", "AGGREGATE", "SUM", "MIN", "MAX", "REV", "BYSCORE", "BYLEX", "EX", "PX", "KEEPTTL",
		"IDX", "LEN", "MINMATCHLEN", "WITHMATCHLEN", "REPLACE", "DB", "WITHVALUES", "\x00\r\n"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 6000; i++ {
		if i%500 == 0 {
			for _, st := range setup {
				c.Do(st...)
			}
		}
		argv := strings.Split(names[rnd.IntN(len(names))], "|")
		for n := rnd.IntN(7); n > 0; n-- {
			argv = append(argv, vocab[rnd.IntN(len(vocab))])
		}
		if got := c.Do(argv...); strings.Contains(got, "internal error") {
			t.Fatalf("%q: %s", argv, got)
		}
	}
}
