package server_test

import (
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

// Replies recorded from redis-server 7.0.15 (long double arithmetic and
// %.17Lf formatting).
func TestIncrByFloatLikeRedis(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	steps := [][3]string{
		{"SET", "f", "10.5"},
		{"INCRBYFLOAT", "f", "0.1"},
		{"INCRBYFLOAT", "f", "-5.0e3"},
		{"SET", "g", "3.0e3"},
		{"INCRBYFLOAT", "g", "2.0e3"},
		{"SET", "i", "1"},
		{"INCRBYFLOAT", "i", "0.00000000000000001"},
		{"INCRBYFLOAT", "j", "123456789012345678901234567890"},
		{"INCRBYFLOAT", "k", "-0.0"},
		{"INCRBYFLOAT", "o", "0x10"},
		{"INCRBYFLOAT", "p", "inf"},
		{"INCRBYFLOAT", "h", "1.7976931348623157e308"},
		{"INCRBYFLOAT", "h", "1.7976931348623157e308"},
	}
	want := []string{
		"+OK\r\n",
		"$4\r\n10.6\r\n",
		"$23\r\n-4989.39999999999999991\r\n",
		"+OK\r\n",
		"$4\r\n5000\r\n",
		"+OK\r\n",
		"$19\r\n1.00000000000000001\r\n",
		"$30\r\n123456789012345678899921813504\r\n",
		"$1\r\n0\r\n",
		"$2\r\n16\r\n",
		"-ERR increment would produce NaN or Infinity\r\n",
		"$309\r\n179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384\r\n",
		"$309\r\n359538626972463139991842093548208868096772893888658356970628841530353257046248792709403737216774171128857586838851041378617416726902272110715794556052955234146997955372576789671236326588091188869859074894581254961338834769297758245552436667197907705664206565009503223382416235440319971852753604933726679072768\r\n",
	}
	for i, st := range steps {
		if got := c.Do(st[:]...); got != want[i] {
			t.Errorf("%v: got %q want %q", st, got, want[i])
		}
	}
}

func TestLCSLikeRedis(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("MSET", "l", "ohmytext", "m", "mynewtext")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"LCS", "l", "m"}, "$6\r\nmytext\r\n"},
		{[]string{"LCS", "l", "m", "LEN"}, ":6\r\n"},
		{[]string{"LCS", "l", "m", "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"},
			"*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"LCS", "l", "m", "IDX", "LEN"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n"},
	} {
		if got := c.Do(tc.args...); got != tc.want {
			t.Errorf("%v: got %q want %q", tc.args, got, tc.want)
		}
	}
}
