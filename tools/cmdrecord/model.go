package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The JSON schema written to internal/command/data/commands.json. It mirrors
// what Redis reports through COMMAND INFO and COMMAND DOCS, field for field,
// except the command summaries, which Taconite keeps in its own words in
// summaries.json. Optional fields are omitted when Redis omits them; the
// converters below reject a field that is present but empty, so omission in
// the JSON is never ambiguous.

type jsonCommand struct {
	Name          string        `json:"name"`
	Arity         int           `json:"arity"`
	Flags         []string      `json:"flags"`
	FirstKey      int           `json:"first_key"`
	LastKey       int           `json:"last_key"`
	Step          int           `json:"step"`
	ACLCategories []string      `json:"acl_categories"` // without the leading '@'
	Tips          []string      `json:"tips,omitempty"`
	KeySpecs      []jsonKeySpec `json:"key_specs,omitempty"`

	Group           string      `json:"group,omitempty"`
	Since           string      `json:"since,omitempty"`
	Complexity      string      `json:"complexity,omitempty"`
	DocFlags        []string    `json:"doc_flags,omitempty"`
	DeprecatedSince string      `json:"deprecated_since,omitempty"`
	ReplacedBy      string      `json:"replaced_by,omitempty"`
	History         [][2]string `json:"history,omitempty"`
	Arguments       []jsonArg   `json:"arguments,omitempty"`

	Subcommands []jsonCommand `json:"subcommands,omitempty"` // sorted by name
}

type jsonKeySpec struct {
	Notes       string          `json:"notes,omitempty"`
	Flags       []string        `json:"flags"`
	BeginSearch jsonBeginSearch `json:"begin_search"`
	FindKeys    jsonFindKeys    `json:"find_keys"`
}

// jsonBeginSearch: type "index" uses Index; "keyword" uses Keyword and
// StartFrom; "unknown" uses nothing.
type jsonBeginSearch struct {
	Type      string `json:"type"`
	Index     *int   `json:"index,omitempty"`
	Keyword   string `json:"keyword,omitempty"`
	StartFrom *int   `json:"startfrom,omitempty"`
}

// jsonFindKeys: type "range" uses LastKey, KeyStep and Limit; "keynum" uses
// KeyNumIdx, FirstKey and KeyStep; "unknown" uses nothing.
type jsonFindKeys struct {
	Type      string `json:"type"`
	LastKey   *int   `json:"lastkey,omitempty"`
	KeyNumIdx *int   `json:"keynumidx,omitempty"`
	FirstKey  *int   `json:"firstkey,omitempty"`
	KeyStep   *int   `json:"keystep,omitempty"`
	Limit     *int   `json:"limit,omitempty"`
}

type jsonArg struct {
	Name            string    `json:"name"`
	Type            string    `json:"type"`
	DisplayText     string    `json:"display_text,omitempty"`
	KeySpecIndex    *int      `json:"key_spec_index,omitempty"`
	Token           string    `json:"token,omitempty"` // for type pure-token, present even when empty
	Summary         string    `json:"summary,omitempty"`
	Since           string    `json:"since,omitempty"`
	DeprecatedSince string    `json:"deprecated_since,omitempty"`
	Flags           []string  `json:"flags,omitempty"`
	Value           string    `json:"value,omitempty"`
	Arguments       []jsonArg `json:"arguments,omitempty"`
}

// pair is one key/value of a RESP3 map.
type pair struct {
	key string
	val *value
}

func asMap(v *value, what string) ([]pair, error) {
	if v.kind != '%' || v.null {
		return nil, fmt.Errorf("%s: want a map, got %q", what, v.kind)
	}
	out := make([]pair, 0, len(v.elems)/2)
	for i := 0; i < len(v.elems); i += 2 {
		k := v.elems[i]
		if k.kind != '$' && k.kind != '+' {
			return nil, fmt.Errorf("%s: map key of type %q", what, k.kind)
		}
		out = append(out, pair{k.str, v.elems[i+1]})
	}
	return out, nil
}

// asStrings accepts an array or set of simple or bulk strings.
func asStrings(v *value, what string) ([]string, error) {
	if (v.kind != '*' && v.kind != '~') || v.null {
		return nil, fmt.Errorf("%s: want an array or set, got %q", what, v.kind)
	}
	out := make([]string, 0, len(v.elems))
	for _, e := range v.elems {
		if e.kind != '$' && e.kind != '+' {
			return nil, fmt.Errorf("%s: element of type %q", what, e.kind)
		}
		out = append(out, e.str)
	}
	return out, nil
}

func asInt(v *value, what string) (int, error) {
	if v.kind != ':' {
		return 0, fmt.Errorf("%s: want an integer, got %q", what, v.kind)
	}
	return strconv.Atoi(v.str)
}

func asString(v *value, what string) (string, error) {
	if v.kind != '$' && v.kind != '+' {
		return "", fmt.Errorf("%s: want a string, got %q", what, v.kind)
	}
	if v.str == "" {
		return "", fmt.Errorf("%s: present but empty", what)
	}
	return v.str, nil
}

func intPtr(v *value, what string) (*int, error) {
	n, err := asInt(v, what)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// convertInfo turns one COMMAND INFO entry (RESP3) into a jsonCommand.
func convertInfo(v *value) (jsonCommand, error) {
	var c jsonCommand
	if v.kind != '*' || len(v.elems) != 10 {
		return c, fmt.Errorf("command info: want a 10-element array, got %q with %d", v.kind, len(v.elems))
	}
	e := v.elems
	var err error
	if c.Name, err = asString(e[0], "name"); err != nil {
		return c, err
	}
	what := func(s string) string { return c.Name + ": " + s }
	if c.Arity, err = asInt(e[1], what("arity")); err != nil {
		return c, err
	}
	if c.Flags, err = asStrings(e[2], what("flags")); err != nil {
		return c, err
	}
	if c.FirstKey, err = asInt(e[3], what("first key")); err != nil {
		return c, err
	}
	if c.LastKey, err = asInt(e[4], what("last key")); err != nil {
		return c, err
	}
	if c.Step, err = asInt(e[5], what("step")); err != nil {
		return c, err
	}
	cats, err := asStrings(e[6], what("acl categories"))
	if err != nil {
		return c, err
	}
	c.ACLCategories = []string{}
	for _, cat := range cats {
		if !strings.HasPrefix(cat, "@") {
			return c, fmt.Errorf("%s: category %q lacks '@'", c.Name, cat)
		}
		c.ACLCategories = append(c.ACLCategories, cat[1:])
	}
	if c.Tips, err = asStrings(e[7], what("tips")); err != nil {
		return c, err
	}
	if e[8].kind != '~' && e[8].kind != '*' {
		return c, fmt.Errorf("%s: key specs of type %q", c.Name, e[8].kind)
	}
	for i, ks := range e[8].elems {
		spec, err := convertKeySpec(ks, what(fmt.Sprintf("key spec %d", i)))
		if err != nil {
			return c, err
		}
		c.KeySpecs = append(c.KeySpecs, spec)
	}
	if e[9].kind != '~' && e[9].kind != '*' {
		return c, fmt.Errorf("%s: subcommands of type %q", c.Name, e[9].kind)
	}
	for _, sv := range e[9].elems {
		sub, err := convertInfo(sv)
		if err != nil {
			return c, err
		}
		c.Subcommands = append(c.Subcommands, sub)
	}
	// Redis lists subcommands in hash-table order, which is randomised per
	// process; the recording is sorted so it does not churn between runs.
	sort.Slice(c.Subcommands, func(i, j int) bool { return c.Subcommands[i].Name < c.Subcommands[j].Name })
	return c, nil
}

func convertKeySpec(v *value, what string) (jsonKeySpec, error) {
	var ks jsonKeySpec
	pairs, err := asMap(v, what)
	if err != nil {
		return ks, err
	}
	for _, p := range pairs {
		switch p.key {
		case "notes":
			ks.Notes, err = asString(p.val, what+" notes")
		case "flags":
			ks.Flags, err = asStrings(p.val, what+" flags")
		case "begin_search":
			ks.BeginSearch, err = convertBeginSearch(p.val, what+" begin_search")
		case "find_keys":
			ks.FindKeys, err = convertFindKeys(p.val, what+" find_keys")
		default:
			err = fmt.Errorf("%s: unknown field %q", what, p.key)
		}
		if err != nil {
			return ks, err
		}
	}
	return ks, nil
}

// typeAndSpec splits {type: T, spec: {...}}.
func typeAndSpec(v *value, what string) (string, []pair, error) {
	pairs, err := asMap(v, what)
	if err != nil {
		return "", nil, err
	}
	if len(pairs) != 2 || pairs[0].key != "type" || pairs[1].key != "spec" {
		return "", nil, fmt.Errorf("%s: unexpected shape", what)
	}
	typ, err := asString(pairs[0].val, what+" type")
	if err != nil {
		return "", nil, err
	}
	spec, err := asMap(pairs[1].val, what+" spec")
	return typ, spec, err
}

func convertBeginSearch(v *value, what string) (jsonBeginSearch, error) {
	typ, spec, err := typeAndSpec(v, what)
	bs := jsonBeginSearch{Type: typ}
	if err != nil {
		return bs, err
	}
	var want []string
	switch typ {
	case "index":
		want = []string{"index"}
	case "keyword":
		want = []string{"keyword", "startfrom"}
	case "unknown":
	default:
		return bs, fmt.Errorf("%s: unknown type %q", what, typ)
	}
	if err := checkKeys(spec, want, what); err != nil {
		return bs, err
	}
	for _, p := range spec {
		switch p.key {
		case "index":
			bs.Index, err = intPtr(p.val, what)
		case "keyword":
			bs.Keyword, err = asString(p.val, what)
		case "startfrom":
			bs.StartFrom, err = intPtr(p.val, what)
		}
		if err != nil {
			return bs, err
		}
	}
	return bs, nil
}

func convertFindKeys(v *value, what string) (jsonFindKeys, error) {
	typ, spec, err := typeAndSpec(v, what)
	fk := jsonFindKeys{Type: typ}
	if err != nil {
		return fk, err
	}
	var want []string
	switch typ {
	case "range":
		want = []string{"lastkey", "keystep", "limit"}
	case "keynum":
		want = []string{"keynumidx", "firstkey", "keystep"}
	case "unknown":
	default:
		return fk, fmt.Errorf("%s: unknown type %q", what, typ)
	}
	if err := checkKeys(spec, want, what); err != nil {
		return fk, err
	}
	for _, p := range spec {
		var n *int
		if n, err = intPtr(p.val, what+" "+p.key); err != nil {
			return fk, err
		}
		switch p.key {
		case "lastkey":
			fk.LastKey = n
		case "keystep":
			fk.KeyStep = n
		case "limit":
			fk.Limit = n
		case "keynumidx":
			fk.KeyNumIdx = n
		case "firstkey":
			fk.FirstKey = n
		}
	}
	return fk, nil
}

// checkKeys insists on exactly the expected keys in the expected order: the
// encoder in internal/command writes them in this order.
func checkKeys(pairs []pair, want []string, what string) error {
	if len(pairs) != len(want) {
		return fmt.Errorf("%s: %d fields, want %v", what, len(pairs), want)
	}
	for i, p := range pairs {
		if p.key != want[i] {
			return fmt.Errorf("%s: field %q, want %q", what, p.key, want[i])
		}
	}
	return nil
}

// addDocs fills the documentation fields of c (and its subcommands) from
// its COMMAND DOCS map. The summary is dropped on purpose.
func addDocs(c *jsonCommand, v *value) error {
	what := c.Name + " docs"
	pairs, err := asMap(v, what)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		switch p.key {
		case "summary":
			// Not recorded: Taconite writes its own (data/summaries.json).
			_, err = asString(p.val, what+" summary")
		case "since":
			c.Since, err = asString(p.val, what+" since")
		case "group":
			c.Group, err = asString(p.val, what+" group")
		case "complexity":
			c.Complexity, err = asString(p.val, what+" complexity")
		case "doc_flags":
			c.DocFlags, err = nonEmptyStrings(p.val, what+" doc_flags")
		case "deprecated_since":
			c.DeprecatedSince, err = asString(p.val, what+" deprecated_since")
		case "replaced_by":
			c.ReplacedBy, err = asString(p.val, what+" replaced_by")
		case "history":
			c.History, err = convertHistory(p.val, what+" history")
		case "arguments":
			c.Arguments, err = convertArgs(p.val, what+" arguments")
		case "subcommands":
			err = addSubDocs(c, p.val, what+" subcommands")
		default:
			err = fmt.Errorf("%s: unknown field %q", what, p.key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func addSubDocs(c *jsonCommand, v *value, what string) error {
	pairs, err := asMap(v, what)
	if err != nil {
		return err
	}
	if len(pairs) != len(c.Subcommands) {
		return fmt.Errorf("%s: %d entries, COMMAND INFO has %d", what, len(pairs), len(c.Subcommands))
	}
	for _, p := range pairs {
		found := false
		for i := range c.Subcommands {
			if c.Subcommands[i].Name == p.key {
				if err := addDocs(&c.Subcommands[i], p.val); err != nil {
					return err
				}
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s: %q not in COMMAND INFO", what, p.key)
		}
	}
	return nil
}

func nonEmptyStrings(v *value, what string) ([]string, error) {
	s, err := asStrings(v, what)
	if err == nil && len(s) == 0 {
		err = fmt.Errorf("%s: present but empty", what)
	}
	return s, err
}

func convertHistory(v *value, what string) ([][2]string, error) {
	if (v.kind != '~' && v.kind != '*') || len(v.elems) == 0 {
		return nil, fmt.Errorf("%s: want a non-empty set", what)
	}
	var out [][2]string
	for _, e := range v.elems {
		s, err := asStrings(e, what)
		if err != nil {
			return nil, err
		}
		if len(s) != 2 || e.elems[0].kind != '$' || e.elems[1].kind != '$' {
			return nil, fmt.Errorf("%s: entry is not two bulk strings", what)
		}
		out = append(out, [2]string{s[0], s[1]})
	}
	return out, nil
}

// argFieldOrder is the order in which Redis 7.0 writes argument fields; the
// converter insists on it because the encoder reproduces it.
var argFieldOrder = []string{"name", "type", "display_text", "key_spec_index", "token", "summary", "since", "deprecated_since", "flags", "value", "arguments"}

func convertArgs(v *value, what string) ([]jsonArg, error) {
	if v.kind != '*' || len(v.elems) == 0 {
		return nil, fmt.Errorf("%s: want a non-empty array", what)
	}
	var out []jsonArg
	for _, e := range v.elems {
		pairs, err := asMap(e, what)
		if err != nil {
			return nil, err
		}
		var a jsonArg
		pos := 0
		for _, p := range pairs {
			for pos < len(argFieldOrder) && argFieldOrder[pos] != p.key {
				pos++
			}
			if pos == len(argFieldOrder) {
				return nil, fmt.Errorf("%s: unknown or out-of-order field %q", what, p.key)
			}
			w := what + " " + p.key
			switch p.key {
			case "name":
				a.Name, err = asString(p.val, w)
				w = what + " " + a.Name
			case "type":
				a.Type, err = asString(p.val, w)
			case "display_text":
				a.DisplayText, err = asString(p.val, w)
			case "key_spec_index":
				a.KeySpecIndex, err = intPtr(p.val, w)
			case "token":
				// MIGRATE's empty_string is a pure token whose token is "";
				// a pure token always has a token, so the JSON can omit an
				// empty one without ambiguity.
				if a.Type == "pure-token" && p.val.kind == '$' && p.val.str == "" {
					break
				}
				a.Token, err = asString(p.val, w)
			case "summary":
				a.Summary, err = asString(p.val, w)
			case "since":
				a.Since, err = asString(p.val, w)
			case "deprecated_since":
				a.DeprecatedSince, err = asString(p.val, w)
			case "flags":
				a.Flags, err = nonEmptyStrings(p.val, w)
			case "value":
				a.Value, err = asString(p.val, w)
			case "arguments":
				a.Arguments, err = convertArgs(p.val, w)
			}
			if err != nil {
				return nil, err
			}
		}
		if a.Name == "" || a.Type == "" {
			return nil, fmt.Errorf("%s: argument without name or type", what)
		}
		out = append(out, a)
	}
	return out, nil
}
