package compat

import (
	"bufio"
	"bytes"
	"fmt"

	"github.com/taconite/taconite/internal/resp"
)

// RenderRaw shows raw reply bytes the way redis-cli would, to make a
// mismatch readable at a glance; bytes that are not exactly one well-formed
// reply are described instead.
func RenderRaw(raw []byte) string {
	if len(raw) == 0 {
		return "(no reply)"
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	v, err := resp.ReadReply(br)
	if err != nil {
		return fmt.Sprintf("(unparsable reply: %v)", err)
	}
	s := v.String()
	if br.Buffered() > 0 {
		s += fmt.Sprintf("\n(%d bytes after the reply)", br.Buffered())
	}
	return s
}
