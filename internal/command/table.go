package command

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// commandsJSON is recorded from a real redis-server 7.0 by tools/cmdrecord.
//
//go:embed data/commands.json
var commandsJSON []byte

// summariesJSON holds Taconite's own one-line summaries, written by hand.
//
//go:embed data/summaries.json
var summariesJSON []byte

// Command describes one command or subcommand. Commands are shared by every
// connection and must be treated as read-only.
type Command struct {
	Name          string // lower case; subcommands are "parent|sub"
	Arity         int    // Redis rule: >0 exact argc, <0 at least -Arity
	Flags         Flag
	FirstKey      int // legacy (first, last, step) key range of COMMAND INFO
	LastKey       int
	Step          int
	ACLCategories ACLCategory
	Tips          []string
	KeySpecs      []KeySpec
	Subcommands   map[string]*Command // by lower-case subcommand name; nil if none
	Parent        *Command            // nil for top-level commands

	// Documentation, as COMMAND DOCS reports it. Empty strings and nil
	// slices mean "not reported".
	Group           string
	Since           string
	Complexity      string
	Summary         string // Taconite's own words
	DocFlags        DocFlag
	DeprecatedSince string
	ReplacedBy      string
	History         []HistoryEntry
	Arguments       []Arg

	// ID is a dense index over all commands and subcommands of the table,
	// in [0, Table.NumIDs()), for per-command statistics arrays.
	ID int

	subs  []*Command // Subcommands sorted by name, for replies
	subIx nameIndex  // Subcommands, for Sub
	// keyAt1: the command's only key is argument 1 (GET, SET, LPUSH…);
	// keysFrom1: every argument from 1 on is a key (MGET, DEL, PFCOUNT…).
	// KeyIndexes then needs no walk of the key specs.
	keyAt1    bool
	keysFrom1 bool
	keyProc   keyProc // Redis's getkeys procedure equivalent, if any
	hasKeys   bool    // COMMAND GETKEYS would not say "no key arguments"
	useSpec   bool    // key specs are complete enough to try first
}

// KeySpec is one key specification: where the search for keys begins and
// how keys are found from there.
type KeySpec struct {
	Notes       string
	Flags       KeyFlag
	FlagNames   []string // Flags as Redis names them, in Redis order; shared, read-only
	BeginSearch BeginSearch
	FindKeys    FindKeys
}

// BeginSearchType says how a key spec finds its starting argument.
type BeginSearchType uint8

const (
	BeginUnknown BeginSearchType = iota // keys cannot be found from the spec alone
	BeginIndex                          // a fixed argv index
	BeginKeyword                        // the argument after a keyword
)

// BeginSearch locates the first key of a spec.
type BeginSearch struct {
	Type      BeginSearchType
	Index     int    // BeginIndex: argv index
	Keyword   string // BeginKeyword: the keyword, matched case-insensitively
	StartFrom int    // BeginKeyword: where to start looking; negative counts from the end, searching backwards
}

// FindKeysType says how a key spec finds its keys once it has a start.
type FindKeysType uint8

const (
	FindUnknown FindKeysType = iota
	FindRange                // keys from the start up to LastKey, every KeyStep
	FindKeynum               // a count argument says how many keys follow
)

// FindKeys locates the keys of a spec relative to its starting argument.
type FindKeys struct {
	Type      FindKeysType
	LastKey   int // FindRange: last key relative to the start, or negative from the end of argv
	KeyStep   int // FindRange and FindKeynum: distance between keys
	Limit     int // FindRange with LastKey -1: only 1/Limit of the remaining arguments are keys
	KeyNumIdx int // FindKeynum: index of the count argument, relative to the start
	FirstKey  int // FindKeynum: index of the first key, relative to the start
}

// Arg is one node of a command's argument tree, as COMMAND DOCS reports it.
type Arg struct {
	Name            string
	Type            string // key, string, integer, double, pattern, unix-time, pure-token, oneof, block
	DisplayText     string
	KeySpecIndex    int    // index into the command's KeySpecs, or -1
	Token           string // for pure-token always reported, even if empty
	Summary         string
	Since           string
	DeprecatedSince string
	Flags           ArgFlag
	Value           string
	Arguments       []Arg // for oneof and block
}

// HistoryEntry is one line of a command's change history.
type HistoryEntry struct {
	Version     string
	Description string
}

// Table is an immutable command table.
type Table struct {
	byName map[string]*Command // top-level commands by lower-case name
	ix     nameIndex           // byName, for Lookup
	sorted []*Command          // top-level commands sorted by name
	byID   []*Command
}

// maxNameLen bounds command and subcommand names, so lookups can lower-case
// into a stack buffer instead of allocating.
const maxNameLen = 32

// defaultTable parses the embedded data on first use. The data is recorded
// and checked by the tests, so a failure here is a build defect.
var defaultTable = sync.OnceValue(func() *Table {
	t, err := load(commandsJSON, summariesJSON)
	if err != nil {
		panic("command: embedded command table: " + err.Error())
	}
	return t
})

// Default returns the table of every Redis 7.0 command, built once from the
// embedded data and shared.
func Default() *Table { return defaultTable() }

// Lookup finds a top-level command by name, ignoring ASCII case, without
// allocating. It does not resolve "parent|sub" names (see LookupFullName).
func (t *Table) Lookup(name []byte) *Command {
	return t.ix.lookup(name)
}

// LookupFullName finds a command or, for "parent|sub", a subcommand, as
// COMMAND INFO and COMMAND DOCS accept them.
func (t *Table) LookupFullName(name []byte) *Command {
	for i, c := range name {
		if c == '|' {
			parent := t.ix.lookup(name[:i])
			if parent == nil {
				return nil
			}
			return parent.Sub(name[i+1:])
		}
	}
	return t.ix.lookup(name)
}

// LookupArgv resolves the command a call addresses the way Redis dispatch
// does: argv[0] names the command and, if it has subcommands and there is a
// second argument, argv[1] names the subcommand. It returns nil for an
// unknown command or an unknown subcommand; a container command called
// with no further arguments (e.g. plain CONFIG) is returned as itself.
func (t *Table) LookupArgv(argv [][]byte) *Command {
	if len(argv) == 0 {
		return nil
	}
	c := t.Lookup(argv[0])
	if c == nil || c.Subcommands == nil || len(argv) == 1 {
		return c
	}
	return c.Sub(argv[1])
}

// Sub finds a subcommand by its own name ("get" for "config|get"),
// ignoring ASCII case, without allocating.
func (c *Command) Sub(name []byte) *Command {
	if c.Subcommands == nil {
		return nil
	}
	return c.subIx.lookup(name)
}

// All returns the top-level commands sorted by name, in a new slice.
func (t *Table) All() []*Command {
	return append([]*Command(nil), t.sorted...)
}

// Count returns the number of top-level commands (COMMAND COUNT).
func (t *Table) Count() int { return len(t.sorted) }

// NumIDs returns the number of commands plus subcommands; IDs are dense in
// [0, NumIDs()).
func (t *Table) NumIDs() int { return len(t.byID) }

// ByID returns the command with the given ID, or nil.
func (t *Table) ByID(id int) *Command {
	if id < 0 || id >= len(t.byID) {
		return nil
	}
	return t.byID[id]
}

// ArityOK applies Redis's arity rule to a call with argc arguments
// (including the command name and, for subcommands, the subcommand name).
func (c *Command) ArityOK(argc int) bool {
	if c.Arity > 0 {
		return argc == c.Arity
	}
	return argc >= -c.Arity
}

// FullName returns the name as Redis reports it: "get", or "config|get"
// for a subcommand.
func (c *Command) FullName() string { return c.Name }

// SubName returns the subcommand's own name ("get" for "config|get"), or
// the name of a top-level command.
func (c *Command) SubName() string {
	if c.Parent == nil {
		return c.Name
	}
	return c.Name[len(c.Parent.Name)+1:]
}

// SubcommandList returns the subcommands sorted by name, in a new slice.
func (c *Command) SubcommandList() []*Command {
	return append([]*Command(nil), c.subs...)
}

// HasKeys reports whether the command can take keys at all; COMMAND
// GETKEYS replies "The command has no key arguments" when it cannot.
func (c *Command) HasKeys() bool { return c.hasKeys }

// The JSON schema of data/commands.json; see tools/cmdrecord, which writes
// it. Integers that may be absent are pointers.
type jsonCommand struct {
	Name            string        `json:"name"`
	Arity           int           `json:"arity"`
	Flags           []string      `json:"flags"`
	FirstKey        int           `json:"first_key"`
	LastKey         int           `json:"last_key"`
	Step            int           `json:"step"`
	ACLCategories   []string      `json:"acl_categories"`
	Tips            []string      `json:"tips"`
	KeySpecs        []jsonKeySpec `json:"key_specs"`
	Group           string        `json:"group"`
	Since           string        `json:"since"`
	Complexity      string        `json:"complexity"`
	DocFlags        []string      `json:"doc_flags"`
	DeprecatedSince string        `json:"deprecated_since"`
	ReplacedBy      string        `json:"replaced_by"`
	History         [][2]string   `json:"history"`
	Arguments       []jsonArg     `json:"arguments"`
	Subcommands     []jsonCommand `json:"subcommands"`
}

type jsonKeySpec struct {
	Notes       string   `json:"notes"`
	Flags       []string `json:"flags"`
	BeginSearch struct {
		Type      string `json:"type"`
		Index     *int   `json:"index"`
		Keyword   string `json:"keyword"`
		StartFrom *int   `json:"startfrom"`
	} `json:"begin_search"`
	FindKeys struct {
		Type      string `json:"type"`
		LastKey   *int   `json:"lastkey"`
		KeyNumIdx *int   `json:"keynumidx"`
		FirstKey  *int   `json:"firstkey"`
		KeyStep   *int   `json:"keystep"`
		Limit     *int   `json:"limit"`
	} `json:"find_keys"`
}

type jsonArg struct {
	Name            string    `json:"name"`
	Type            string    `json:"type"`
	DisplayText     string    `json:"display_text"`
	KeySpecIndex    *int      `json:"key_spec_index"`
	Token           string    `json:"token"`
	Summary         string    `json:"summary"`
	Since           string    `json:"since"`
	DeprecatedSince string    `json:"deprecated_since"`
	Flags           []string  `json:"flags"`
	Value           string    `json:"value"`
	Arguments       []jsonArg `json:"arguments"`
}

// load builds a table from the recorded commands and the summaries.
func load(commands, summaries []byte) (*Table, error) {
	var raw []jsonCommand
	if err := json.Unmarshal(commands, &raw); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	var sums map[string]string
	if err := json.Unmarshal(summaries, &sums); err != nil {
		return nil, fmt.Errorf("summaries: %w", err)
	}
	t := &Table{byName: make(map[string]*Command, len(raw))}
	used := 0
	for i := range raw {
		c, err := buildCommand(&raw[i], nil, sums, &used)
		if err != nil {
			return nil, err
		}
		if t.byName[c.Name] != nil {
			return nil, fmt.Errorf("duplicate command %q", c.Name)
		}
		t.byName[c.Name] = c
		t.sorted = append(t.sorted, c)
	}
	t.ix = newNameIndex(t.byName)
	if used != len(sums) {
		for name := range sums {
			if t.LookupFullName([]byte(name)) == nil {
				return nil, fmt.Errorf("summary for unknown command %q", name)
			}
		}
	}
	sort.Slice(t.sorted, func(i, j int) bool { return t.sorted[i].Name < t.sorted[j].Name })
	for _, c := range t.sorted {
		c.ID = len(t.byID)
		t.byID = append(t.byID, c)
		for _, s := range c.subs {
			s.ID = len(t.byID)
			t.byID = append(t.byID, s)
		}
	}
	return t, nil
}

func buildCommand(j *jsonCommand, parent *Command, sums map[string]string, used *int) (*Command, error) {
	c := &Command{
		Name:            j.Name,
		Arity:           j.Arity,
		FirstKey:        j.FirstKey,
		LastKey:         j.LastKey,
		Step:            j.Step,
		Tips:            j.Tips,
		Parent:          parent,
		Group:           j.Group,
		Since:           j.Since,
		Complexity:      j.Complexity,
		DeprecatedSince: j.DeprecatedSince,
		ReplacedBy:      j.ReplacedBy,
	}
	if j.Name == "" || len(j.Name) > 2*maxNameLen+1 || strings.ToLower(j.Name) != j.Name {
		return nil, fmt.Errorf("bad command name %q", j.Name)
	}
	if parent != nil && !strings.HasPrefix(j.Name, parent.Name+"|") {
		return nil, fmt.Errorf("subcommand %q not named after %q", j.Name, parent.Name)
	}
	if len(c.SubName()) > maxNameLen {
		return nil, fmt.Errorf("command name %q too long", j.Name)
	}
	if c.Arity == 0 {
		return nil, fmt.Errorf("%s: arity 0", j.Name)
	}
	for _, f := range j.Flags {
		bit, ok := FlagByName(f)
		if !ok {
			return nil, fmt.Errorf("%s: unknown flag %q", j.Name, f)
		}
		c.Flags |= bit
	}
	c.Flags |= hiddenFlagOverrides(j.Name)
	for _, name := range j.ACLCategories {
		bit, ok := ACLCategoryByName(name)
		if !ok {
			return nil, fmt.Errorf("%s: unknown ACL category %q", j.Name, name)
		}
		c.ACLCategories |= bit
	}
	for _, name := range j.DocFlags {
		bit, ok := bitByName(docFlagNames[:], name)
		if !ok {
			return nil, fmt.Errorf("%s: unknown doc flag %q", j.Name, name)
		}
		c.DocFlags |= DocFlag(bit)
	}
	for _, h := range j.History {
		c.History = append(c.History, HistoryEntry{Version: h[0], Description: h[1]})
	}
	for i := range j.KeySpecs {
		ks, err := buildKeySpec(&j.KeySpecs[i])
		if err != nil {
			return nil, fmt.Errorf("%s: key spec %d: %w", j.Name, i, err)
		}
		c.KeySpecs = append(c.KeySpecs, ks)
	}
	var err error
	if c.Arguments, err = buildArgs(j.Arguments, len(c.KeySpecs)); err != nil {
		return nil, fmt.Errorf("%s: %w", j.Name, err)
	}
	summary, ok := sums[j.Name]
	if !ok || summary == "" {
		return nil, fmt.Errorf("%s: no summary in data/summaries.json", j.Name)
	}
	c.Summary = summary
	*used++

	if len(j.Subcommands) > 0 {
		c.Subcommands = make(map[string]*Command, len(j.Subcommands))
		for i := range j.Subcommands {
			s, err := buildCommand(&j.Subcommands[i], c, sums, used)
			if err != nil {
				return nil, err
			}
			if c.Subcommands[s.SubName()] != nil {
				return nil, fmt.Errorf("duplicate subcommand %q", s.Name)
			}
			c.Subcommands[s.SubName()] = s
			c.subs = append(c.subs, s)
		}
		sort.Slice(c.subs, func(i, k int) bool { return c.subs[i].Name < c.subs[k].Name })
		c.subIx = newNameIndex(c.Subcommands)
	}
	c.keyProc = keyProcFor(c.Name)
	var anyKey, varFlags bool
	for _, ks := range c.KeySpecs {
		anyKey = anyKey || ks.Flags&KeyNotKey == 0
		varFlags = varFlags || ks.Flags&KeyVariableFlags != 0
	}
	c.hasKeys = anyKey || c.keyProc != procNone
	c.useSpec = anyKey && !varFlags
	if c.useSpec && len(c.KeySpecs) == 1 && (c.Arity > 1 || c.Arity < -1) {
		ks := &c.KeySpecs[0]
		simple := ks.Flags&(KeyNotKey|KeyIncomplete) == 0 &&
			ks.BeginSearch.Type == BeginIndex && ks.BeginSearch.Index == 1 &&
			ks.FindKeys.Type == FindRange
		c.keyAt1 = simple && ks.FindKeys.LastKey == 0
		c.keysFrom1 = simple && ks.FindKeys.LastKey == -1 && ks.FindKeys.KeyStep == 1 && ks.FindKeys.Limit == 0
	}
	return c, nil
}

// hiddenFlagOverrides returns flags Redis 7.0 sets on a command but never
// reports, so they cannot be recorded. Only "protected" (commands refused
// unless enable-debug-command / enable-module-command allow them) matters
// to Taconite.
func hiddenFlagOverrides(name string) Flag {
	switch name {
	case "debug", "module|load", "module|loadex", "module|unload":
		return FlagProtected
	}
	return 0
}

func intOr(p *int, what string) (int, error) {
	if p == nil {
		return 0, fmt.Errorf("missing %s", what)
	}
	return *p, nil
}

func buildKeySpec(j *jsonKeySpec) (KeySpec, error) {
	ks := KeySpec{Notes: j.Notes}
	for _, f := range j.Flags {
		bit, ok := bitByName(keyFlagNames[:], f)
		if !ok {
			return ks, fmt.Errorf("unknown key flag %q", f)
		}
		ks.Flags |= KeyFlag(bit)
	}
	ks.FlagNames = ks.Flags.Names()
	var err error
	bs := &j.BeginSearch
	switch bs.Type {
	case "index":
		ks.BeginSearch.Type = BeginIndex
		ks.BeginSearch.Index, err = intOr(bs.Index, "index")
	case "keyword":
		ks.BeginSearch.Type = BeginKeyword
		ks.BeginSearch.Keyword = bs.Keyword
		ks.BeginSearch.StartFrom, err = intOr(bs.StartFrom, "startfrom")
		if err == nil && bs.Keyword == "" {
			err = fmt.Errorf("empty keyword")
		}
	case "unknown":
		ks.BeginSearch.Type = BeginUnknown
	default:
		err = fmt.Errorf("unknown begin_search type %q", bs.Type)
	}
	if err != nil {
		return ks, err
	}
	fk := &j.FindKeys
	f := &ks.FindKeys
	switch fk.Type {
	case "range":
		f.Type = FindRange
		if f.LastKey, err = intOr(fk.LastKey, "lastkey"); err != nil {
			return ks, err
		}
		if f.Limit, err = intOr(fk.Limit, "limit"); err != nil {
			return ks, err
		}
		if f.Limit != 0 && f.LastKey != -1 {
			return ks, fmt.Errorf("limit %d needs lastkey -1", f.Limit)
		}
		f.KeyStep, err = intOr(fk.KeyStep, "keystep")
	case "keynum":
		f.Type = FindKeynum
		if f.KeyNumIdx, err = intOr(fk.KeyNumIdx, "keynumidx"); err != nil {
			return ks, err
		}
		if f.FirstKey, err = intOr(fk.FirstKey, "firstkey"); err != nil {
			return ks, err
		}
		f.KeyStep, err = intOr(fk.KeyStep, "keystep")
	case "unknown":
		f.Type = FindUnknown
	default:
		err = fmt.Errorf("unknown find_keys type %q", fk.Type)
	}
	if err == nil && f.Type != FindUnknown && f.KeyStep < 1 {
		// A zero step would make key extraction loop forever.
		err = fmt.Errorf("keystep %d", f.KeyStep)
	}
	return ks, err
}

func buildArgs(js []jsonArg, numSpecs int) ([]Arg, error) {
	if len(js) == 0 {
		return nil, nil
	}
	out := make([]Arg, len(js))
	for i := range js {
		j := &js[i]
		a := Arg{
			Name:            j.Name,
			Type:            j.Type,
			DisplayText:     j.DisplayText,
			KeySpecIndex:    -1,
			Token:           j.Token,
			Summary:         j.Summary,
			Since:           j.Since,
			DeprecatedSince: j.DeprecatedSince,
			Value:           j.Value,
		}
		if a.Name == "" || a.Type == "" {
			return nil, fmt.Errorf("argument without name or type")
		}
		if j.KeySpecIndex != nil {
			a.KeySpecIndex = *j.KeySpecIndex
			if a.KeySpecIndex < 0 || a.KeySpecIndex >= numSpecs {
				return nil, fmt.Errorf("argument %q: key_spec_index %d out of range", a.Name, a.KeySpecIndex)
			}
		}
		for _, f := range j.Flags {
			bit, ok := bitByName(argFlagNames[:], f)
			if !ok {
				return nil, fmt.Errorf("argument %q: unknown flag %q", a.Name, f)
			}
			a.Flags |= ArgFlag(bit)
		}
		var err error
		if a.Arguments, err = buildArgs(j.Arguments, numSpecs); err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}
