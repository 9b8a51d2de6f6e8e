package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// value is one RESP2/RESP3 reply kept losslessly: the type byte, the exact
// text of a line-typed reply (simple string, error, integer, double, ...),
// the payload of a bulk-typed reply, and the elements of an aggregate. Keeping
// everything is what lets raw recordings be re-encoded byte for byte after a
// field has been substituted (see substituteSummaries).
type value struct {
	kind  byte     // the RESP type byte: + - : $ * % ~ > | _ , # ( = !
	str   string   // line text or bulk payload
	null  bool     // "$-1" or "*-1"
	elems []*value // aggregates; maps and attributes hold key, value, key, value...
}

// isAggregate reports whether kind introduces nested elements.
func isAggregate(kind byte) bool {
	switch kind {
	case '*', '%', '~', '>', '|':
		return true
	}
	return false
}

// readValue reads exactly one reply from r, appending the bytes it consumed
// to *raw so the caller also gets the reply exactly as the server sent it.
func readValue(r *bufio.Reader, raw *[]byte) (*value, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	*raw = append(*raw, line...)
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("malformed RESP line %q", line)
	}
	kind, text := line[0], line[1:len(line)-2]
	v := &value{kind: kind}
	switch kind {
	case '+', '-', ':', '_', ',', '#', '(':
		v.str = text
		return v, nil
	case '$', '=', '!':
		n, err := strconv.Atoi(text)
		if err != nil {
			return nil, fmt.Errorf("bad bulk length %q", text)
		}
		if n < 0 {
			v.null = true
			return v, nil
		}
		buf := make([]byte, n+2)
		if _, err := readFull(r, buf); err != nil {
			return nil, err
		}
		*raw = append(*raw, buf...)
		v.str = string(buf[:n])
		return v, nil
	}
	if !isAggregate(kind) {
		return nil, fmt.Errorf("unknown RESP type %q", kind)
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return nil, fmt.Errorf("bad aggregate length %q", text)
	}
	if n < 0 {
		v.null = true
		return v, nil
	}
	if kind == '%' || kind == '|' {
		n *= 2
	}
	v.elems = make([]*value, n)
	for i := range v.elems {
		if v.elems[i], err = readValue(r, raw); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func readFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// appendValue re-encodes v. For the replies redis-server produces this gives
// back exactly the bytes that were read (checked in recordRaw).
func appendValue(b []byte, v *value) []byte {
	b = append(b, v.kind)
	switch {
	case v.null:
		return append(b, "-1\r\n"...)
	case v.kind == '$' || v.kind == '=' || v.kind == '!':
		b = strconv.AppendInt(b, int64(len(v.str)), 10)
		b = append(b, "\r\n"...)
		b = append(b, v.str...)
		return append(b, "\r\n"...)
	case isAggregate(v.kind):
		n := len(v.elems)
		if v.kind == '%' || v.kind == '|' {
			n /= 2
		}
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, "\r\n"...)
		for _, e := range v.elems {
			b = appendValue(b, e)
		}
		return b
	}
	b = append(b, v.str...)
	return append(b, "\r\n"...)
}

// client is a minimal synchronous RESP client: enough to send a handful of
// COMMAND calls to a local redis-server.
type client struct {
	conn net.Conn
	r    *bufio.Reader
}

func dial(addr string, proto int) (*client, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn, r: bufio.NewReaderSize(conn, 1<<16)}
	if proto == 3 {
		v, _, err := c.do("HELLO", "3")
		if err != nil {
			conn.Close()
			return nil, err
		}
		if v.kind != '%' {
			conn.Close()
			return nil, errors.New("server did not switch to RESP3")
		}
	}
	return c, nil
}

func (c *client) close() error { return c.conn.Close() }

// do sends one command and returns its reply, both parsed and as the exact
// bytes the server sent.
func (c *client) do(args ...string) (*value, []byte, error) {
	var req []byte
	req = append(req, '*')
	req = strconv.AppendInt(req, int64(len(args)), 10)
	req = append(req, "\r\n"...)
	for _, a := range args {
		req = append(req, '$')
		req = strconv.AppendInt(req, int64(len(a)), 10)
		req = append(req, "\r\n"...)
		req = append(req, a...)
		req = append(req, "\r\n"...)
	}
	if err := c.conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return nil, nil, err
	}
	if _, err := c.conn.Write(req); err != nil {
		return nil, nil, err
	}
	var raw []byte
	v, err := readValue(c.r, &raw)
	if err != nil {
		return nil, nil, err
	}
	return v, raw, nil
}
