package command

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestDefaultTable(t *testing.T) {
	tab := Default()
	if Default() != tab {
		t.Fatal("Default built twice")
	}
	// Redis 7.0.15: 240 commands, 366 with subcommands.
	if tab.Count() != 240 || tab.NumIDs() != 366 {
		t.Fatalf("Count %d NumIDs %d", tab.Count(), tab.NumIDs())
	}
	all := tab.All()
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Name < all[j].Name }) {
		t.Error("All is not sorted")
	}
	all[0] = nil
	if tab.All()[0] == nil {
		t.Error("All exposes the table's own slice")
	}
	for id := 0; id < tab.NumIDs(); id++ {
		c := tab.ByID(id)
		if c == nil || c.ID != id {
			t.Fatalf("ByID(%d) = %v", id, c)
		}
		if c.Summary == "" || strings.ContainsAny(c.Summary, "\r\n") {
			t.Errorf("%s: bad summary %q", c.Name, c.Summary)
		}
		if got := tab.LookupFullName([]byte(strings.ToUpper(c.Name))); got != c {
			t.Errorf("LookupFullName(%q) = %v", c.Name, got)
		}
		if c.Parent != nil && (c.Parent.Sub([]byte(c.SubName())) != c || c.Parent.Parent != nil) {
			t.Errorf("%s: parent link broken", c.Name)
		}
	}
	if tab.ByID(-1) != nil || tab.ByID(tab.NumIDs()) != nil {
		t.Error("ByID out of range should be nil")
	}
}

func TestLookup(t *testing.T) {
	tab := Default()
	get := tab.Lookup([]byte("get"))
	if get == nil || get.Name != "get" || get.FullName() != "get" || get.SubName() != "get" {
		t.Fatalf("get: %+v", get)
	}
	for _, name := range []string{"GET", "Get", "gEt"} {
		if tab.Lookup([]byte(name)) != get {
			t.Errorf("Lookup(%q) did not find get", name)
		}
	}
	for _, name := range []string{"", "ge", "gett", "nosuchcommand", "config|get", strings.Repeat("a", 100), "get\x00"} {
		if c := tab.Lookup([]byte(name)); c != nil {
			t.Errorf("Lookup(%q) = %s", name, c.Name)
		}
	}
	cfgGet := tab.LookupFullName([]byte("CONFIG|Get"))
	if cfgGet == nil || cfgGet.Name != "config|get" || cfgGet.SubName() != "get" || cfgGet.Parent.Name != "config" {
		t.Fatalf("config|get: %+v", cfgGet)
	}
	for _, name := range []string{"config|", "|get", "nosuch|get", "get|x", "config|get|x"} {
		if c := tab.LookupFullName([]byte(name)); c != nil {
			t.Errorf("LookupFullName(%q) = %s", name, c.Name)
		}
	}
	cfg := tab.Lookup([]byte("config"))
	for _, tc := range []struct {
		argv []string
		want *Command
	}{
		{nil, nil},
		{[]string{"config"}, cfg},
		{[]string{"CONFIG", "GET", "x"}, cfgGet},
		{[]string{"config", "nosuch"}, nil},
		{[]string{"get", "k"}, get},
		{[]string{"nosuch", "get"}, nil},
	} {
		if got := tab.LookupArgv(args(tc.argv...)); got != tc.want {
			t.Errorf("LookupArgv(%q) = %v", tc.argv, got)
		}
	}
	if get.Sub([]byte("x")) != nil || get.Subcommands != nil || get.SubcommandList() != nil {
		t.Error("get has no subcommands")
	}
	if subs := cfg.SubcommandList(); len(subs) != 5 || subs[0].Name != "config|get" {
		t.Errorf("config subcommands: %v", subs)
	}
	allocs := testing.AllocsPerRun(100, func() {
		tab.Lookup([]byte("ZunionStore"))
		tab.LookupFullName([]byte("Config|Get"))
		cfg.Sub([]byte("SET"))
	})
	if allocs != 0 {
		t.Errorf("lookups allocate %v times", allocs)
	}
}

func TestCommandFields(t *testing.T) {
	tab := Default()
	get := tab.Lookup([]byte("get"))
	if get.Arity != 2 || get.Flags != FlagReadonly|FlagFast || get.FirstKey != 1 || get.LastKey != 1 || get.Step != 1 {
		t.Errorf("get: %+v", get)
	}
	if get.ACLCategories != ACLRead|ACLString|ACLFast || !slices.Equal(get.ACLCategories.Names(), []string{"read", "string", "fast"}) {
		t.Errorf("get categories %v", get.ACLCategories.Names())
	}
	if len(get.KeySpecs) != 1 || get.KeySpecs[0].Flags != KeyRO|KeyAccess || get.KeySpecs[0].BeginSearch.Type != BeginIndex ||
		get.KeySpecs[0].FindKeys.Type != FindRange || get.Group != "string" || get.Since != "1.0.0" {
		t.Errorf("get key specs/docs: %+v", get)
	}
	if !get.ArityOK(2) || get.ArityOK(1) || get.ArityOK(3) {
		t.Error("get arity")
	}
	mset := tab.Lookup([]byte("mset"))
	if !mset.ArityOK(3) || !mset.ArityOK(7) || mset.ArityOK(2) {
		t.Error("mset arity")
	}
	eval := tab.Lookup([]byte("eval"))
	if !eval.Flags.Has(FlagNoMandatoryKeys|FlagMovableKeys) || eval.Flags.Has(FlagWrite) {
		t.Errorf("eval flags %v", eval.Flags.Names())
	}
	if d := tab.Lookup([]byte("debug")); !d.Flags.Has(FlagProtected) {
		t.Error("debug should be protected")
	}
	if ml := tab.LookupFullName([]byte("module|load")); !ml.Flags.Has(FlagProtected) {
		t.Error("module|load should be protected")
	}
	gr := tab.Lookup([]byte("georadius"))
	if gr.DocFlags != DocDeprecated || gr.DeprecatedSince != "6.2.0" || gr.ReplacedBy == "" || len(gr.History) == 0 {
		t.Errorf("georadius docs: %+v", gr)
	}
	mig := tab.Lookup([]byte("migrate"))
	var tokens []string
	var walk func([]Arg)
	walk = func(as []Arg) {
		for _, a := range as {
			if a.Token != "" || a.Type == "pure-token" {
				tokens = append(tokens, a.Token)
			}
			walk(a.Arguments)
		}
	}
	walk(mig.Arguments)
	if !slices.Contains(tokens, "") || !slices.Contains(tokens, "KEYS") {
		t.Errorf("migrate tokens %q", tokens)
	}
	for _, name := range []string{"ping", "publish", "spublish", "subscribe"} {
		if tab.Lookup([]byte(name)).HasKeys() {
			t.Errorf("%s should have no keys", name)
		}
	}
	for _, name := range []string{"get", "sort", "eval", "xread", "migrate"} {
		if !tab.Lookup([]byte(name)).HasKeys() {
			t.Errorf("%s should have keys", name)
		}
	}
}

func TestFlagNames(t *testing.T) {
	if f, ok := FlagByName("no_mandatory_keys"); !ok || f != FlagNoMandatoryKeys {
		t.Error("FlagByName")
	}
	if _, ok := FlagByName("nope"); ok {
		t.Error("FlagByName accepted nope")
	}
	if got := (FlagWrite | FlagAllowBusy | FlagDenyOOM).Names(); !slices.Equal(got, []string{"write", "denyoom", "allow_busy"}) {
		t.Errorf("Flag.Names = %v", got)
	}
	if c, ok := ACLCategoryByName("SortedSet"); !ok || c != ACLSortedSet {
		t.Error("ACLCategoryByName")
	}
	if _, ok := ACLCategoryByName("@read"); ok {
		t.Error("ACLCategoryByName takes names without '@'")
	}
	if n := ACLCategoryNames(); len(n) != 21 || n[0] != "keyspace" || n[20] != "scripting" {
		t.Errorf("ACLCategoryNames = %v", n)
	}
	if got := (KeyRW | KeyAccess | KeyDelete).Names(); !slices.Equal(got, []string{"RW", "access", "delete"}) {
		t.Errorf("KeyFlag.Names = %v", got)
	}
}

func TestLoadRejectsBadData(t *testing.T) {
	good := `[{"name":"get","arity":2,"flags":["readonly"],"first_key":1,"last_key":1,"step":1,"acl_categories":["read"]}]`
	if _, err := load([]byte(good), []byte(`{"get":"Read a key."}`)); err != nil {
		t.Fatalf("good data rejected: %v", err)
	}
	for _, tc := range []struct{ cmds, sums string }{
		{good, `{}`},
		{good, `{"get":"x","set":"y"}`},
		{`[{"name":"get","arity":2,"flags":["bogus"],"acl_categories":[]}]`, `{"get":"x"}`},
		{`[{"name":"get","arity":2,"flags":[],"acl_categories":["bogus"]}]`, `{"get":"x"}`},
		{`[{"name":"GET","arity":2,"flags":[],"acl_categories":[]}]`, `{"GET":"x"}`},
		{`[{"name":"get","arity":0,"flags":[],"acl_categories":[]}]`, `{"get":"x"}`},
		{`[{"name":"get","arity":2,"flags":[],"acl_categories":[],"key_specs":[{"flags":[],"begin_search":{"type":"index","index":1},"find_keys":{"type":"range","lastkey":0,"keystep":0,"limit":0}}]}]`, `{"get":"x"}`},
		{`[{"name":"get","arity":2,"flags":[],"acl_categories":[],"arguments":[{"name":"key","type":"key","key_spec_index":3}]}]`, `{"get":"x"}`},
		{`not json`, `{}`},
	} {
		if _, err := load([]byte(tc.cmds), []byte(tc.sums)); err == nil {
			t.Errorf("accepted %s / %s", tc.cmds, tc.sums)
		}
	}
}
