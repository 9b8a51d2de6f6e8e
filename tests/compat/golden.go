package compat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// GoldenPath returns the golden file that belongs to a script.
func GoldenPath(scriptPath string) string {
	return strings.TrimSuffix(scriptPath, ".txt") + ".golden"
}

// GoldenEntry is one recorded step: the directives and command line copied
// from the script, and the exact reply bytes the reference server sent.
type GoldenEntry struct {
	Directives []string
	Text       string
	Reply      []byte
}

// FormatGolden renders a golden file. Every reply is one strconv.Quote'd
// line so that the file is exact yet readable and diffs line by line.
func FormatGolden(header string, steps []Step, replies [][]byte) []byte {
	var b bytes.Buffer
	for _, l := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		b.WriteString("# " + l + "\n")
	}
	for i, s := range steps {
		b.WriteString("\n")
		for _, d := range s.Directives {
			b.WriteString(d + "\n")
		}
		b.WriteString("> " + s.Text + "\n")
		b.WriteString("< " + strconv.Quote(string(replies[i])) + "\n")
	}
	return b.Bytes()
}

// ParseGoldenFile reads a golden file.
func ParseGoldenFile(path string) ([]GoldenEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	entries, err := ParseGolden(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// ParseGolden parses the text of a golden file.
func ParseGolden(data []byte) ([]GoldenEntry, error) {
	var entries []GoldenEntry
	var pending []string
	var cur *GoldenEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "!"):
			if cur != nil {
				return nil, fmt.Errorf("line %d: directive between a command and its reply", lineNo)
			}
			pending = append(pending, line)
		case strings.HasPrefix(line, "> "):
			if cur != nil {
				return nil, fmt.Errorf("line %d: command without a reply line before it", lineNo)
			}
			cur = &GoldenEntry{Directives: pending, Text: line[2:]}
			pending = nil
		case strings.HasPrefix(line, "< "):
			if cur == nil {
				return nil, fmt.Errorf("line %d: reply without a command", lineNo)
			}
			reply, err := strconv.Unquote(line[2:])
			if err != nil {
				return nil, fmt.Errorf("line %d: reply is not a Go-quoted string: %v", lineNo, err)
			}
			cur.Reply = []byte(reply)
			entries = append(entries, *cur)
			cur = nil
		default:
			return nil, fmt.Errorf("line %d: unexpected line %q", lineNo, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil || len(pending) > 0 {
		return nil, fmt.Errorf("truncated golden file")
	}
	return entries, nil
}

// MatchScript checks that a golden file was recorded from the script as it
// is now, so an edited script cannot silently be compared with stale
// replies.
func MatchScript(steps []Step, entries []GoldenEntry) error {
	for i := 0; i < len(steps) && i < len(entries); i++ {
		s, e := steps[i], entries[i]
		if s.Text != e.Text || strings.Join(s.Directives, "\n") != strings.Join(e.Directives, "\n") {
			return fmt.Errorf("script line %d %q differs from golden entry %d %q: the golden file is stale, run `make golden`", s.Line, s.Text, i+1, e.Text)
		}
	}
	if len(steps) != len(entries) {
		return fmt.Errorf("script has %d commands but the golden file %d: the golden file is stale, run `make golden`", len(steps), len(entries))
	}
	return nil
}
