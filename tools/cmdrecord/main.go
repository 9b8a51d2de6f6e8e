package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "address of a redis-server 7.0 to record from")
	out := flag.String("out", "", "where to write the command table JSON (e.g. internal/command/data/commands.json)")
	testdata := flag.String("testdata", "", "if set, a directory (e.g. internal/command/testdata) that receives raw.resp.gz (raw COMMAND INFO/DOCS replies) and getkeys.json (COMMAND GETKEYS results for the calls listed in getkeys.in there)")
	flag.Parse()
	if *out == "" && *testdata == "" {
		fmt.Fprintln(os.Stderr, "cmdrecord: nothing to do; give -out and/or -testdata")
		os.Exit(2)
	}
	if err := run(*addr, *out, *testdata); err != nil {
		fmt.Fprintln(os.Stderr, "cmdrecord:", err)
		os.Exit(1)
	}
}

func run(addr, out, testdata string) error {
	c, err := dial(addr, 3)
	if err != nil {
		return err
	}
	defer c.close()
	cmds, err := recordTable(c)
	if err != nil {
		return err
	}
	if out != "" {
		data, err := marshal(cmds)
		if err != nil {
			return err
		}
		if err := os.WriteFile(out, data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "cmdrecord: wrote %d commands to %s\n", len(cmds), out)
	}
	if testdata == "" {
		return nil
	}
	names := make([]string, len(cmds))
	for i, cmd := range cmds {
		names[i] = cmd.Name
	}
	if err := recordRaw(addr, names, filepath.Join(testdata, "raw.resp.gz")); err != nil {
		return err
	}
	return recordGetKeys(c, filepath.Join(testdata, "getkeys.in"), filepath.Join(testdata, "getkeys.json"))
}

// recordTable reads COMMAND INFO and COMMAND DOCS for every command and
// merges them into one sorted list.
func recordTable(c *client) ([]jsonCommand, error) {
	info, _, err := c.do("COMMAND", "INFO")
	if err != nil {
		return nil, err
	}
	if info.kind != '*' {
		return nil, fmt.Errorf("COMMAND INFO: unexpected reply type %q", info.kind)
	}
	var cmds []jsonCommand
	for _, v := range info.elems {
		cmd, err := convertInfo(v)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, cmd)
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })

	docs, _, err := c.do("COMMAND", "DOCS")
	if err != nil {
		return nil, err
	}
	pairs, err := asMap(docs, "COMMAND DOCS")
	if err != nil {
		return nil, err
	}
	if len(pairs) != len(cmds) {
		return nil, fmt.Errorf("COMMAND DOCS has %d commands, COMMAND INFO %d", len(pairs), len(cmds))
	}
	for _, p := range pairs {
		i := sort.Search(len(cmds), func(i int) bool { return cmds[i].Name >= p.key })
		if i == len(cmds) || cmds[i].Name != p.key {
			return nil, fmt.Errorf("COMMAND DOCS: %q not in COMMAND INFO", p.key)
		}
		if err := addDocs(&cmds[i], p.val); err != nil {
			return nil, err
		}
	}
	return cmds, nil
}

// recordRaw writes, for both protocols, the exact reply bytes of
// COMMAND INFO <name> and COMMAND DOCS <name> for every command. Docs
// summaries are Redis's own text, which Taconite does not carry, so they are
// blanked (the test blanks Taconite's the same way before comparing).
//
// File format, repeated: "<info|docs> <proto> <name> <nbytes>\n<bytes>\n".
// The last info record of each protocol is for unknownCommand.
// unknownCommand is a name no Redis version defines.
const unknownCommand = "no-such-command"

func recordRaw(addr string, names []string, path string) error {
	var buf bytes.Buffer
	for _, proto := range []int{2, 3} {
		c, err := dial(addr, proto)
		if err != nil {
			return err
		}
		for _, name := range names {
			_, raw, err := c.do("COMMAND", "INFO", name)
			if err != nil {
				c.close()
				return err
			}
			fmt.Fprintf(&buf, "info %d %s %d\n%s\n", proto, name, len(raw), raw)

			v, raw, err := c.do("COMMAND", "DOCS", name)
			if err != nil {
				c.close()
				return err
			}
			if !bytes.Equal(appendValue(nil, v), raw) {
				c.close()
				return fmt.Errorf("COMMAND DOCS %s: reply does not re-encode losslessly", name)
			}
			if err := blankSummaries(v, proto); err != nil {
				c.close()
				return fmt.Errorf("COMMAND DOCS %s: %v", name, err)
			}
			raw = appendValue(nil, v)
			fmt.Fprintf(&buf, "docs %d %s %d\n%s\n", proto, name, len(raw), raw)
		}
		// What an unknown name looks like (AppendInfo with a nil command).
		_, raw, err := c.do("COMMAND", "INFO", unknownCommand)
		if err != nil {
			c.close()
			return err
		}
		fmt.Fprintf(&buf, "info %d %s %d\n%s\n", proto, unknownCommand, len(raw), raw)
		c.close()
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "cmdrecord: wrote raw replies for %d commands to %s\n", len(names), path)
	return os.WriteFile(path, gz.Bytes(), 0o644)
}

// blankSummaries empties the summary of every command in a COMMAND DOCS
// reply, which maps command names to docs maps (flat arrays in RESP2).
func blankSummaries(v *value, proto int) error {
	if (proto == 3 && v.kind != '%') || (proto == 2 && v.kind != '*') || len(v.elems)%2 != 0 {
		return errors.New("docs reply is not a map")
	}
	for i := 1; i < len(v.elems); i += 2 {
		doc := v.elems[i]
		if len(doc.elems)%2 != 0 {
			return errors.New("docs entry is not a map")
		}
		for j := 0; j < len(doc.elems); j += 2 {
			switch doc.elems[j].str {
			case "summary":
				doc.elems[j+1] = &value{kind: '$'}
			case "subcommands":
				if err := blankSummaries(doc.elems[j+1], proto); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// getKeysCase is one recorded COMMAND GETKEYS / GETKEYSANDFLAGS call.
type getKeysCase struct {
	Args  []string   `json:"args"`
	Keys  []string   `json:"keys"`            // nil when Redis replied with an error
	Flags [][]string `json:"flags,omitempty"` // per key, from GETKEYSANDFLAGS
	Error string     `json:"error,omitempty"` // the error text, e.g. "ERR Invalid arguments specified for command"
}

// recordGetKeys replays every call listed in inPath: one per line, words
// separated by spaces, a word starting with '"' is a Go-quoted string (so
// "" is an empty argument and "a\x00b" has a NUL), # starts a comment.
func recordGetKeys(c *client, inPath, outPath string) error {
	f, err := os.Open(inPath)
	if err != nil {
		return err
	}
	defer f.Close()
	var cases []getKeysCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		args := strings.Fields(line)
		for i, a := range args {
			if strings.HasPrefix(a, `"`) {
				u, err := strconv.Unquote(a)
				if err != nil {
					return fmt.Errorf("%s: bad quoted word %s", inPath, a)
				}
				args[i] = u
			}
		}
		tc := getKeysCase{Args: args}
		v, _, err := c.do(append([]string{"COMMAND", "GETKEYS"}, args...)...)
		if err != nil {
			return err
		}
		vf, _, err := c.do(append([]string{"COMMAND", "GETKEYSANDFLAGS"}, args...)...)
		if err != nil {
			return err
		}
		if v.kind == '-' {
			tc.Error = v.str
			if vf.kind != '-' || vf.str != v.str {
				return fmt.Errorf("%q: GETKEYS and GETKEYSANDFLAGS disagree", line)
			}
		} else {
			if tc.Keys, err = asStrings(v, line); err != nil {
				return err
			}
			if vf.kind != '*' || len(vf.elems) != len(tc.Keys) {
				return fmt.Errorf("%q: GETKEYSANDFLAGS reply does not match GETKEYS", line)
			}
			for i, kv := range vf.elems {
				if kv.kind != '*' || len(kv.elems) != 2 || kv.elems[0].str != tc.Keys[i] {
					return fmt.Errorf("%q: GETKEYSANDFLAGS entry %d does not match GETKEYS", line, i)
				}
				fl, err := asStrings(kv.elems[1], line)
				if err != nil {
					return err
				}
				tc.Flags = append(tc.Flags, fl)
			}
		}
		cases = append(cases, tc)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	data, err := marshal(cases)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "cmdrecord: wrote %d GETKEYS cases to %s\n", len(cases), outPath)
	return os.WriteFile(outPath, data, 0o644)
}

// marshal writes indented JSON without escaping <, > and &, which appear in
// complexity texts and are easier to review unescaped.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
