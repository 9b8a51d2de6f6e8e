package compat

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

// scriptDir is where the scripts and their golden files live, relative to
// this package.
const scriptDir = "../../testdata/compat"

// TestGolden replays every script and compares each reply with the one
// recorded from redis-server 7.0. By default each script gets its own
// in-process Taconite and the scripts run in parallel. With COMPAT_ADDR set
// they run one after another against that external server instead (they
// share its state, so they cannot overlap), which is how the golden files
// are proven against Redis itself.
func TestGolden(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join(scriptDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatalf("no scripts in %s", scriptDir)
	}
	external := os.Getenv("COMPAT_ADDR")
	for _, path := range scripts {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			steps, wants := loadScript(t, path, external == "")
			if external != "" {
				if err := ResetServer(external); err != nil {
					t.Fatalf("resetting %s: %v", external, err)
				}
				checkScript(t, name, external, steps, wants)
				return
			}
			t.Parallel()
			// In-process, each script runs with io-threads 1 and 2, on two
			// CPUs one event loop and two: with two, single-key reads and
			// in-place writes take their shard in shared mode
			// (internal/keyspace/shared.go), another path to the same
			// replies.
			for _, loops := range []string{"1", "2"} {
				t.Run("loops"+loops, func(t *testing.T) {
					t.Parallel()
					addr := servertest.Start(t, append(ServerArgs(), "--io-threads", loops)...).Addr
					checkScript(t, name, addr, steps, wants)
				})
			}
		})
	}
}

// loadScript reads a script and its golden file, checks they match, and
// returns the steps to run with the replies they must give. Against
// Taconite (taconite true), steps awaiting a later issue are left out;
// COMPAT_RUN_ALL=1 runs the marked steps too, to see which marks a newly
// landed issue lets us remove.
func loadScript(t *testing.T, path string, taconite bool) ([]Step, []GoldenEntry) {
	script, err := ParseScriptFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := ParseGoldenFile(GoldenPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := MatchScript(script.Steps, golden); err != nil {
		t.Fatal(err)
	}
	if !taconite || os.Getenv("COMPAT_RUN_ALL") != "" {
		return script.Steps, golden
	}
	var steps []Step
	var wants []GoldenEntry
	pending := map[int]int{}
	for i, st := range script.Steps {
		if st.Requires != 0 {
			pending[st.Requires]++
			continue
		}
		steps = append(steps, st)
		wants = append(wants, golden[i])
	}
	for issue, n := range pending {
		t.Logf("%d steps not run: they need issue %d", n, issue)
	}
	return steps, wants
}

// checkScript runs steps against the server at addr and compares each
// reply with its golden one.
func checkScript(t *testing.T, name, addr string, steps []Step, wants []GoldenEntry) {
	replies, errs := Run(addr, steps)
	for i, step := range steps {
		want := wants[i].Reply
		if errs[i] != nil {
			t.Errorf("%s", mismatch(name, step, want, replies[i], errs[i].Error()))
			continue
		}
		if why := Compare(step.Check, want, replies[i]); why != "" {
			t.Errorf("%s", mismatch(name, step, want, replies[i], why))
		}
	}
}

// mismatch describes a failed step with both the exact bytes and a
// redis-cli-like view of each reply.
func mismatch(script string, step Step, want, got []byte, why string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s.txt:%d: %s\n", script, step.Line, step.Text)
	if len(step.Directives) > 0 {
		fmt.Fprintf(&b, "  directives: %s\n", strings.Join(step.Directives, " "))
	}
	fmt.Fprintf(&b, "  %s\n", why)
	fmt.Fprintf(&b, "  expected: %q\n", want)
	fmt.Fprintf(&b, "  got:      %q\n", got)
	fmt.Fprintf(&b, "  expected (redis-cli):\n%s\n", indent(RenderRaw(want), "    "))
	fmt.Fprintf(&b, "  got (redis-cli):\n%s", indent(RenderRaw(got), "    "))
	return b.String()
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
