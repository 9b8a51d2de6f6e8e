package server_test

import (
	"bufio"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

// pipeline sends cmds in one write and returns their replies, failing on
// an error reply.
func pipeline(t *testing.T, c *servertest.Conn, cmds [][]string) []string {
	t.Helper()
	var buf []byte
	for _, cmd := range cmds {
		buf = resp.AppendCommandStrings(buf, cmd...)
	}
	c.Send(buf)
	out := make([]string, len(cmds))
	for i := range cmds {
		out[i] = c.ReadRaw()
		if strings.HasPrefix(out[i], "-") {
			t.Fatalf("%q: %q", cmds[i], out[i])
		}
	}
	return out
}
