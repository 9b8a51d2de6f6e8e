package command

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"testing"
)

// rawRecord is one reply recorded from redis-server by tools/cmdrecord.
type rawRecord struct {
	kind  string // "info" or "docs"
	proto int
	name  string
	data  []byte
}

func loadRaw(t *testing.T) []rawRecord {
	t.Helper()
	f, err := os.Open("testdata/raw.resp.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(zr)
	var out []rawRecord
	for {
		var rec rawRecord
		var n int
		_, err := fmt.Fscanf(r, "%s %d %s %d\n", &rec.kind, &rec.proto, &rec.name, &n)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("raw.resp.gz after %d records: %v", len(out), err)
		}
		rec.data = make([]byte, n+1)
		if _, err := io.ReadFull(r, rec.data); err != nil || rec.data[n] != '\n' {
			t.Fatalf("raw.resp.gz: record %s %d %s truncated", rec.kind, rec.proto, rec.name)
		}
		rec.data = rec.data[:n]
		out = append(out, rec)
	}
}

// TestRepliesMatchRedis compares AppendInfo and AppendDocs, for every
// command and both protocols, with the replies Redis 7.0 sent. The only
// normalisations: subcommands are put in name order (Redis uses per-process
// hash order) and docs summaries are blanked (ours are our own words; the
// recording already has Redis's blanked).
func TestRepliesMatchRedis(t *testing.T) {
	tab := Default()
	recs := loadRaw(t)
	// info and docs for every command in two protocols, plus the unknown
	// command's info in two protocols.
	if want := 4*tab.Count() + 2; len(recs) != want {
		t.Errorf("%d raw records, want %d", len(recs), want)
	}
	seen := map[string]bool{}
	for _, rec := range recs {
		var got []byte
		if rec.kind == "info" {
			c := tab.Lookup([]byte(rec.name))
			if c == nil && rec.name != "no-such-command" {
				t.Errorf("%s: recorded but not in the table", rec.name)
				continue
			}
			got = appendArrayLen(nil, 1)
			got = AppendInfo(got, c, rec.proto)
		} else {
			c := tab.Lookup([]byte(rec.name))
			if c == nil {
				t.Errorf("%s: recorded but not in the table", rec.name)
				continue
			}
			got = appendMapLen(nil, 1, rec.proto)
			got = appendBulk(got, c.Name)
			got = AppendDocs(got, c, rec.proto)
		}
		seen[fmt.Sprint(rec.kind, rec.proto, rec.name)] = true
		want := normaliseReply(t, rec.data, rec.kind)
		gotN := normaliseReply(t, got, rec.kind)
		if !bytes.Equal(gotN, want) {
			t.Errorf("COMMAND %s %s (RESP%d) differs from Redis:\n%s", rec.kind, rec.name, rec.proto, firstDiff(gotN, want))
		}
	}
	for _, c := range tab.All() {
		for _, kind := range []string{"info", "docs"} {
			for _, proto := range []int{2, 3} {
				if !seen[fmt.Sprint(kind, proto, c.Name)] {
					t.Errorf("no recorded COMMAND %s %s (RESP%d)", kind, c.Name, proto)
				}
			}
		}
	}
}

func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(i-80, 0)
	return fmt.Sprintf("at byte %d\n got: %q\nwant: %q", i, got[lo:min(i+80, len(got))], want[lo:min(i+80, len(want))])
}

// respNode is a parsed reply that re-encodes to the bytes it came from.
type respNode struct {
	kind byte
	text string // line text, or bulk payload
	null bool
	kids []*respNode
}

func parseResp(t *testing.T, b []byte) (*respNode, []byte) {
	t.Helper()
	i := bytes.Index(b, []byte("\r\n"))
	if i < 1 {
		t.Fatalf("bad RESP at %q", b[:min(len(b), 40)])
	}
	n := &respNode{kind: b[0], text: string(b[1:i])}
	rest := b[i+2:]
	switch n.kind {
	case '$', '*', '%', '~':
	default:
		return n, rest
	}
	cnt, err := strconv.Atoi(n.text)
	if err != nil {
		t.Fatalf("bad length %q", n.text)
	}
	if cnt < 0 {
		n.null = true
		return n, rest
	}
	if n.kind == '$' {
		n.text = string(rest[:cnt])
		return n, rest[cnt+2:]
	}
	if n.kind == '%' {
		cnt *= 2
	}
	for j := 0; j < cnt; j++ {
		var k *respNode
		k, rest = parseResp(t, rest)
		n.kids = append(n.kids, k)
	}
	return n, rest
}

func (n *respNode) encode(b []byte) []byte {
	b = append(b, n.kind)
	switch {
	case n.null:
		return append(b, "-1\r\n"...)
	case n.kind == '$':
		b = strconv.AppendInt(b, int64(len(n.text)), 10)
		b = append(b, "\r\n"...)
		b = append(b, n.text...)
	case n.kind == '*' || n.kind == '~':
		b = strconv.AppendInt(b, int64(len(n.kids)), 10)
	case n.kind == '%':
		b = strconv.AppendInt(b, int64(len(n.kids)/2), 10)
	default:
		b = append(b, n.text...)
	}
	b = append(b, "\r\n"...)
	for _, k := range n.kids {
		b = k.encode(b)
	}
	return b
}

func normaliseReply(t *testing.T, b []byte, kind string) []byte {
	t.Helper()
	n, rest := parseResp(t, b)
	if len(rest) != 0 {
		t.Fatalf("%d trailing bytes after reply", len(rest))
	}
	if !bytes.Equal(n.encode(nil), b) {
		t.Fatalf("reply does not re-encode to itself: %q", b)
	}
	if kind == "info" {
		for _, k := range n.kids {
			normaliseInfo(k)
		}
	} else {
		for i := 1; i < len(n.kids); i += 2 {
			normaliseDocs(n.kids[i])
		}
	}
	return n.encode(nil)
}

func normaliseInfo(n *respNode) {
	if n.null || len(n.kids) != 10 {
		return
	}
	subs := n.kids[9].kids
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].kids[0].text < subs[j].kids[0].text })
	for _, s := range subs {
		normaliseInfo(s)
	}
}

func normaliseDocs(n *respNode) {
	for i := 0; i+1 < len(n.kids); i += 2 {
		switch n.kids[i].text {
		case "summary":
			n.kids[i+1] = &respNode{kind: '$'}
		case "subcommands":
			m := n.kids[i+1]
			type pair struct{ k, v *respNode }
			var pairs []pair
			for j := 0; j+1 < len(m.kids); j += 2 {
				pairs = append(pairs, pair{m.kids[j], m.kids[j+1]})
			}
			sort.SliceStable(pairs, func(a, b int) bool { return pairs[a].k.text < pairs[b].k.text })
			m.kids = m.kids[:0]
			for _, p := range pairs {
				normaliseDocs(p.v)
				m.kids = append(m.kids, p.k, p.v)
			}
		}
	}
}

// TestReplyShapes spot-checks a few replies against hand-written bytes, so
// a broken recording cannot hide a broken encoder.
func TestReplyShapes(t *testing.T) {
	tab := Default()
	get := tab.Lookup([]byte("get"))
	want2 := "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n" +
		"*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n" +
		"*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n" +
		"$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n" +
		"$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n" +
		"*0\r\n"
	if got := string(AppendInfo(nil, get, 2)); got != want2 {
		t.Errorf("COMMAND INFO get, RESP2:\n got %q\nwant %q", got, want2)
	}
	if got := string(AppendInfo([]byte("x"), nil, 3)); got != "x_\r\n" {
		t.Errorf("unknown command, RESP3: %q", got)
	}
	docs := string(AppendDocs(nil, get, 3))
	wantDocs := "%5\r\n$7\r\nsummary\r\n$" + strconv.Itoa(len(get.Summary)) + "\r\n" + get.Summary + "\r\n" +
		"$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n" +
		"$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n"
	if docs != wantDocs {
		t.Errorf("COMMAND DOCS get, RESP3:\n got %q\nwant %q", docs, wantDocs)
	}
}
