package server_test

import (
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

func TestSortByHashFieldGetAndStore(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("RPUSH", "ids", "1", "2", "3")
	c.Do("HSET", "u_1", "age", "30", "name", "ann")
	c.Do("HSET", "u_2", "age", "20", "name", "bob")
	c.Do("HSET", "u_3", "age", "25")
	want := "*6\r\n$3\r\nbob\r\n$1\r\n2\r\n$-1\r\n$1\r\n3\r\n$3\r\nann\r\n$1\r\n1\r\n"
	if got := c.Do("SORT", "ids", "BY", "u_*->age", "GET", "u_*->name", "GET", "#"); got != want {
		t.Fatalf("SORT BY/GET = %q, want %q", got, want)
	}
	if got := c.Do("SORT", "ids", "BY", "u_*->age", "DESC", "GET", "u_*->name", "STORE", "dst"); got != ":3\r\n" {
		t.Fatalf("SORT STORE = %q", got)
	}
	if got := c.Do("LRANGE", "dst", "0", "-1"); got != "*3\r\n$3\r\nann\r\n$0\r\n\r\n$3\r\nbob\r\n" {
		t.Fatalf("stored list = %q", got)
	}
	// An empty result deletes the destination.
	if got := c.Do("SORT", "nokey", "STORE", "dst"); got != ":0\r\n" {
		t.Fatalf("SORT empty STORE = %q", got)
	}
	if got := c.Do("EXISTS", "dst"); got != ":0\r\n" {
		t.Fatalf("destination not deleted: %q", got)
	}
	if got := c.Do("SORT_RO", "ids", "STORE", "dst"); got != "-ERR syntax error\r\n" {
		t.Fatalf("SORT_RO STORE = %q", got)
	}
}

func TestSortNumericTiesAndErrors(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("RPUSH", "l", "1.0", "1", "0.5", "01")
	if got := c.Do("SORT", "l"); got != "*4\r\n$3\r\n0.5\r\n$2\r\n01\r\n$1\r\n1\r\n$3\r\n1.0\r\n" {
		t.Fatalf("SORT ties = %q", got)
	}
	if got := c.Do("SORT", "l", "DESC", "LIMIT", "0", "2"); got != "*2\r\n$3\r\n1.0\r\n$1\r\n1\r\n" {
		t.Fatalf("SORT DESC LIMIT = %q", got)
	}
	c.Do("RPUSH", "l", "x")
	if got := c.Do("SORT", "l"); got != "-ERR One or more scores can't be converted into double\r\n" {
		t.Fatalf("SORT non-numeric = %q", got)
	}
	c.Do("SET", "str", "v")
	if got := c.Do("SORT", "str"); got[:10] != "-WRONGTYPE" {
		t.Fatalf("SORT string = %q", got)
	}
}
