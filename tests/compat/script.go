package compat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// CheckKind says how a step's reply is compared with the golden one.
type CheckKind int

const (
	// CheckExact compares the reply bytes exactly (the default).
	CheckExact CheckKind = iota
	// CheckUnordered compares an aggregate as a multiset of elements (or
	// of key/value pairs), for replies whose order Redis leaves open.
	CheckUnordered
	// CheckType compares only the RESP type byte, for replies that change
	// from run to run (TIME, INFO, ids).
	CheckType
	// CheckRange wants an integer reply within [Lo, Hi], for TTLs and
	// other clock-dependent numbers.
	CheckRange
	// CheckIgnore reads the reply and compares nothing.
	CheckIgnore
	// CheckNoReply sends the command without reading anything: the
	// server must not answer it (CLIENT REPLY OFF/SKIP). A stray reply
	// shows up as a mismatch on a later step.
	CheckNoReply
)

// Check is the comparison that directives ask for on one step.
type Check struct {
	Kind CheckKind
	// Lo and Hi bound a CheckRange reply.
	Lo, Hi int64
	// Pairs makes CheckUnordered compare key/value pairs of a flat array
	// (CONFIG GET in RESP2) instead of single elements.
	Pairs bool
	// At, when non-zero, makes CheckUnordered apply to the At-th element
	// (1-based, as redis-cli numbers them) of the top-level array only,
	// e.g. the key list of a SCAN reply.
	At int
}

// Step is one command (or raw write) of a script with the directives that
// apply to it.
type Step struct {
	// Line is the 1-based line of the command in its script.
	Line int
	// Directives are the directive lines before the command, as written,
	// so that the recorder can copy them into the golden file.
	Directives []string
	// Text is the command line as written (for a raw write, the whole
	// !raw line).
	Text string
	// Args is the parsed command; nil for a raw write.
	Args [][]byte
	// Raw holds the bytes of a !raw write.
	Raw []byte
	// ReadOnly: a !read step sends nothing and reads one reply (a pushed
	// pub/sub message).
	ReadOnly bool
	// Conn names the connection the step runs on ("main" by default).
	Conn string
	// Check is how the reply is compared.
	Check Check
	// Requires, when non-zero, is the Taconite issue that delivers what
	// this step needs (a data type not implemented yet). Against Taconite
	// such steps are neither sent nor compared; against Redis they run as
	// any other. The marks are removed when the issue lands.
	Requires int
}

// IsRaw reports whether the step writes raw protocol bytes.
func (s Step) IsRaw() bool { return s.Args == nil && !s.ReadOnly }

// Script is a parsed script file.
type Script struct {
	Path  string
	Steps []Step
}

// MainConn is the name of the connection a script starts on.
const MainConn = "main"

// ParseScriptFile reads and parses a script file.
func ParseScriptFile(path string) (*Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	steps, err := ParseScript(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Script{Path: path, Steps: steps}, nil
}

// ParseScript parses the text of a script.
func ParseScript(data []byte) ([]Step, error) {
	var steps []Step
	var pending []string
	var check Check
	haveCheck := false
	requires := 0
	conn := MainConn
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "!") {
			args, err := SplitArgs(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", lineNo, err)
			}
			if len(args) == 0 {
				return nil, fmt.Errorf("line %d: empty command", lineNo)
			}
			steps = append(steps, Step{Line: lineNo, Directives: pending, Text: line, Args: args, Conn: conn, Check: check, Requires: requires})
			pending, check, haveCheck, requires = nil, Check{}, false, 0
			continue
		}
		words, err := SplitArgs(line[1:])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", lineNo, err)
		}
		if len(words) == 0 {
			return nil, fmt.Errorf("line %d: empty directive", lineNo)
		}
		name := string(words[0])
		params := words[1:]
		if name == "raw" {
			if len(params) != 1 || len(params[0]) == 0 {
				return nil, fmt.Errorf("line %d: !raw wants one quoted, non-empty argument", lineNo)
			}
			steps = append(steps, Step{Line: lineNo, Directives: pending, Text: line, Raw: params[0], Conn: conn, Check: check, Requires: requires})
			pending, check, haveCheck, requires = nil, Check{}, false, 0
			continue
		}
		if name == "read" {
			if len(params) != 0 {
				return nil, fmt.Errorf("line %d: !read takes no arguments", lineNo)
			}
			steps = append(steps, Step{Line: lineNo, Directives: pending, Text: line, ReadOnly: true, Conn: conn, Check: check, Requires: requires})
			pending, check, haveCheck, requires = nil, Check{}, false, 0
			continue
		}
		if name == "requires" {
			n, err := strconv.Atoi(string(bytes.TrimPrefix(params[0], []byte("#"))))
			if len(params) != 1 || err != nil || n <= 0 {
				return nil, fmt.Errorf("line %d: !requires wants one issue number", lineNo)
			}
			requires = n
			pending = append(pending, line)
			continue
		}
		if name == "conn" {
			if len(params) != 1 || len(params[0]) == 0 {
				return nil, fmt.Errorf("line %d: !conn wants one name", lineNo)
			}
			conn = string(params[0])
			pending = append(pending, line)
			continue
		}
		if haveCheck {
			return nil, fmt.Errorf("line %d: a second comparison directive for the same command", lineNo)
		}
		c, err := parseCheck(name, params)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", lineNo, err)
		}
		check, haveCheck = c, true
		pending = append(pending, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("directives at the end of the script apply to no command")
	}
	return steps, nil
}

func parseCheck(name string, params [][]byte) (Check, error) {
	switch name {
	case "unordered":
		c := Check{Kind: CheckUnordered}
		for _, p := range params {
			if string(p) == "pairs" {
				c.Pairs = true
				continue
			}
			n, err := strconv.Atoi(string(p))
			if err != nil || n < 1 {
				return Check{}, fmt.Errorf("!unordered takes \"pairs\" and/or a 1-based element index, not %q", p)
			}
			c.At = n
		}
		return c, nil
	case "type", "ignore", "noreply":
		if len(params) != 0 {
			return Check{}, fmt.Errorf("!%s takes no arguments", name)
		}
		switch name {
		case "type":
			return Check{Kind: CheckType}, nil
		case "ignore":
			return Check{Kind: CheckIgnore}, nil
		default:
			return Check{Kind: CheckNoReply}, nil
		}
	case "range":
		if len(params) != 2 {
			return Check{}, fmt.Errorf("!range wants LO HI")
		}
		lo, err1 := strconv.ParseInt(string(params[0]), 10, 64)
		hi, err2 := strconv.ParseInt(string(params[1]), 10, 64)
		if err1 != nil || err2 != nil || lo > hi {
			return Check{}, fmt.Errorf("!range wants two integers LO <= HI")
		}
		return Check{Kind: CheckRange, Lo: lo, Hi: hi}, nil
	default:
		return Check{}, fmt.Errorf("unknown directive !%s", name)
	}
}
