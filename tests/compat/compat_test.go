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
	// In-process, each script runs with io-threads 1 and 2, on two CPUs
	// one event loop and two: with two, single-key reads and in-place
	// writes take their shard in shared mode (internal/keyspace/shared.go),
	// another path to the same replies.
	loopCounts := []string{"1", "2"}
	if external != "" {
		loopCounts = []string{""}
	}
	for _, path := range scripts {
		for _, loops := range loopCounts {
			name := strings.TrimSuffix(filepath.Base(path), ".txt")
			sub := name
			if loops != "" {
				sub += "/loops" + loops
			}
			t.Run(sub, func(t *testing.T) {
				if external == "" {
					t.Parallel()
				}
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
				addr := external
				if addr == "" {
					addr = servertest.Start(t, append(ServerArgs(), "--io-threads", loops)...).Addr
				} else if err := ResetServer(addr); err != nil {
					t.Fatalf("resetting %s: %v", addr, err)
				}
				// Against Taconite, steps awaiting a later issue are left out.
				// COMPAT_RUN_ALL=1 runs the marked steps too, to see which
				// marks a newly landed issue lets us remove.
				steps, wants := script.Steps, golden
				if external == "" && os.Getenv("COMPAT_RUN_ALL") == "" {
					steps, wants = nil, nil
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
				}
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
			})
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
