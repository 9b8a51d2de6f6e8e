package compat

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"

	"github.com/taconite/taconite/internal/resp"
)

// Compare checks a reply against the golden one as the step's directives
// ask, and returns "" when it matches or why it does not.
func Compare(c Check, want, got []byte) string {
	switch c.Kind {
	case CheckIgnore, CheckNoReply:
		return ""
	case CheckType:
		if len(got) == 0 || len(want) == 0 || got[0] != want[0] {
			return "reply type differs"
		}
		return ""
	case CheckRange:
		if len(got) < 3 || got[0] != ':' || !bytes.HasSuffix(got, []byte("\r\n")) {
			return "want an integer reply"
		}
		n, err := strconv.ParseInt(string(got[1:len(got)-2]), 10, 64)
		if err != nil {
			return "want an integer reply"
		}
		if n < c.Lo || n > c.Hi {
			return fmt.Sprintf("integer %d outside [%d, %d]", n, c.Lo, c.Hi)
		}
		return ""
	case CheckUnordered:
		if bytes.Equal(want, got) {
			return ""
		}
		w, err := canonical(c, want)
		if err != nil {
			return "golden reply: " + err.Error()
		}
		g, err := canonical(c, got)
		if err != nil {
			return err.Error()
		}
		if !bytes.Equal(w, g) {
			return "replies differ as multisets"
		}
		return ""
	default:
		if !bytes.Equal(want, got) {
			return "replies differ"
		}
		return ""
	}
}

// canonical rewrites a reply with its unordered part in a fixed order
// (elements, or pairs, sorted by their bytes), so that two replies that
// differ only in an order Redis leaves open become identical.
func canonical(c Check, raw []byte) ([]byte, error) {
	if c.At == 0 {
		return sortAggregate(raw, c.Pairs)
	}
	header, elems, err := splitAggregate(raw)
	if err != nil {
		return nil, err
	}
	if header[0] == '%' || c.At > len(elems) {
		return nil, fmt.Errorf("reply has no element %d to compare unordered", c.At)
	}
	elems[c.At-1], err = sortAggregate(elems[c.At-1], c.Pairs)
	if err != nil {
		return nil, fmt.Errorf("element %d: %v", c.At, err)
	}
	return bytes.Join(append([][]byte{header}, elems...), nil), nil
}

// sortAggregate sorts the elements of one aggregate reply, or its key/value
// pairs when pairs is set or the reply is a map.
func sortAggregate(raw []byte, pairs bool) ([]byte, error) {
	header, elems, err := splitAggregate(raw)
	if err != nil {
		return nil, err
	}
	group := 1
	if pairs || header[0] == '%' {
		group = 2
	}
	if len(elems)%group != 0 {
		return nil, fmt.Errorf("%d elements cannot be read as pairs", len(elems))
	}
	chunks := make([]string, 0, len(elems)/group)
	for i := 0; i < len(elems); i += group {
		chunks = append(chunks, string(bytes.Join(elems[i:i+group], nil)))
	}
	sort.Strings(chunks)
	out := append([]byte(nil), header...)
	for _, ch := range chunks {
		out = append(out, ch...)
	}
	return out, nil
}

// splitAggregate splits the bytes of one aggregate reply into its header
// line and the exact bytes of each element (a map's keys and values
// alternate).
func splitAggregate(raw []byte) (header []byte, elems [][]byte, err error) {
	end := bytes.Index(raw, []byte("\r\n"))
	if end < 1 {
		return nil, nil, fmt.Errorf("not a reply: %q", raw)
	}
	switch raw[0] {
	case '*', '~', '>', '%':
	default:
		return nil, nil, fmt.Errorf("reply of type %q is not an aggregate", raw[0])
	}
	n, err := strconv.Atoi(string(raw[1:end]))
	if err != nil || n < -1 {
		return nil, nil, fmt.Errorf("bad aggregate header %q", raw[:end])
	}
	if raw[0] == '%' && n > 0 {
		n *= 2
	}
	br := bufio.NewReader(bytes.NewReader(raw[end+2:]))
	for i := 0; i < n; i++ {
		e, err := resp.ReadRawReply(br)
		if err != nil {
			return nil, nil, fmt.Errorf("element %d: %v", i+1, err)
		}
		elems = append(elems, e)
	}
	if br.Buffered() > 0 {
		return nil, nil, fmt.Errorf("%d bytes after the reply", br.Buffered())
	}
	return raw[:end+2], elems, nil
}
