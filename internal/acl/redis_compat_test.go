package acl

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/command"
)

// TestDescribeAgainstRedis applies random rule lists to users on a real
// redis-server (ACL_REDIS_ADDR, e.g. 127.0.0.1:6379) and here, and
// compares ACL LIST lines. Redis orders the single-command rules by its
// randomly seeded hash table, so those are compared as sets.
func TestDescribeAgainstRedis(t *testing.T) {
	addr := os.Getenv("ACL_REDIS_ADDR")
	if addr == "" {
		t.Skip("ACL_REDIS_ADDR not set")
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	call := func(args ...string) string {
		fmt.Fprintf(conn, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(conn, "$%d\r\n%s\r\n", len(a), a)
		}
		line, _ := rd.ReadString('\n')
		if line[0] == '$' {
			data, _ := rd.ReadString('\n')
			return strings.TrimSuffix(data, "\r\n")
		}
		return strings.TrimSuffix(line, "\r\n")
	}
	tb := command.Default()
	cats := command.ACLCategoryNames()
	cmds := []string{"get", "set", "config", "config|get", "client|id", "object", "select|0", "flushall", "del", "xinfo|stream", "hset", "sort", "lpush", "publish", "eval"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		var rules []string
		for j := rng.IntN(6); j >= 0; j-- {
			sign := "+"
			if rng.IntN(2) == 0 {
				sign = "-"
			}
			switch rng.IntN(3) {
			case 0:
				rules = append(rules, sign+"@"+cats[rng.IntN(len(cats))])
			case 1:
				c := cmds[rng.IntN(len(cmds))]
				if sign == "-" && c == "select|0" {
					c = "select"
				}
				rules = append(rules, sign+c)
			default:
				rules = append(rules, []string{"+@all", "-@all", "~k*", "%R~r*", "&c"}[rng.IntN(5)])
			}
		}
		call("ACL", "DELUSER", "t")
		if r := call(append([]string{"ACL", "SETUSER", "t"}, rules...)...); r != "+OK" {
			t.Fatalf("%v: %s", rules, r)
		}
		fmt.Fprintf(conn, "*2\r\n$3\r\nACL\r\n$4\r\nLIST\r\n")
		line, _ := rd.ReadString('\n')
		var n int
		fmt.Sscanf(line, "*%d", &n)
		var redisLine string
		for k := 0; k < n; k++ {
			rd.ReadString('\n')
			l, _ := rd.ReadString('\n')
			if strings.HasPrefix(l, "user t ") {
				redisLine = strings.TrimSuffix(l, "\r\n")
			}
		}
		u, err := SetRules(tb, nil, "t", rules, false)
		if err != nil {
			t.Fatal(err)
		}
		got := "user t " + u.Describe(tb)
		if norm(got) != norm(redisLine) {
			t.Errorf("rules %v\n redis: %s\n  ours: %s", rules, redisLine, got)
		}
	}
}

// norm keeps the leading non-single-command words in order and sorts the
// rest.
func norm(s string) string {
	f := strings.Fields(s)
	i := 0
	for i < len(f) && !(f[i][0] == '+' || f[i][0] == '-') || i < len(f) && (f[i][1] == '@') {
		i++
	}
	rest := append([]string(nil), f[i:]...)
	sort.Strings(rest)
	return strings.Join(f[:i], " ") + " | " + strings.Join(rest, " ")
}
