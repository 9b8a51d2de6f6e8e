package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzLoadRewrite feeds arbitrary text to the config file parser. It must
// never panic; text it accepts must survive CONFIG REWRITE (into a file
// that held the same text), and the rewritten file must load back to the
// same configuration. include lines are dropped: they would read files
// the fuzzer names.
func FuzzLoadRewrite(f *testing.F) {
	for _, s := range []string{
		"port 6380\nbind 127.0.0.1 -::1\n",
		"save 900 1 300 10\nappendonly yes\n# comment\n\nmaxmemory 1gb\n",
		"client-output-buffer-limit pubsub 32mb 8mb 60\nrename-command FLUSHALL \"\"\n",
		"user alice on >pw ~* +@all\nnotify-keyspace-events KEA\n",
		"dir \"/tmp/a b\"\nlogfile ''\nrequirepass \"x\\x00y\"\n",
		"hash-max-ziplist-entries 64\nlist-max-listpack-size -2\nsave \"\"\n",
	} {
		f.Add(s)
	}
	if b, err := os.ReadFile("testdata/redis-7.0-defaults.txt"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		var kept []string
		for _, l := range strings.Split(text, "\n") {
			if !strings.HasPrefix(strings.ToLower(strings.TrimLeft(l, " \t")), "include") {
				kept = append(kept, l)
			}
		}
		text = strings.Join(kept, "\n")
		path := filepath.Join(t.TempDir(), "redis.conf")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		c := New()
		if err := c.LoadString(text, path); err != nil {
			return
		}
		if err := c.Rewrite(); err != nil {
			t.Fatalf("rewrite of accepted text failed: %v\ntext: %q", err, text)
		}
		out, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c2 := New()
		if err := c2.LoadString(string(out), path); err != nil {
			t.Fatalf("rewritten file does not load: %v\ntext: %q\nrewritten: %q", err, text, out)
		}
		if a, b := c.Get("*"), c2.Get("*"); !reflect.DeepEqual(a, b) {
			t.Fatalf("rewritten file loads differently\ntext: %q\nrewritten: %q", text, out)
		}
	})
}
