package server

import (
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/logging"
)

// The expected texts below are what redis-server 7.0.15 answered for the
// same samples (LATENCY HISTORY gave the times and latencies, TIME the
// instant of the GRAPH and DOCTOR calls).

// seriesOf builds an event's series by adding each sample at its second.
func seriesOf(t *testing.T, samples [][2]int64) *latencySeries {
	t.Helper()
	var m latencyMonitor
	for _, s := range samples {
		m.add("command", s[1], s[0])
	}
	_, series := m.snapshot("command")
	if len(series) != 1 {
		t.Fatalf("no series")
	}
	return &series[0]
}

func TestLatencyGraphOneSample(t *testing.T) {
	ts := seriesOf(t, [][2]int64{{1796551423, 50}})
	got := latencyGraph("command", ts, 1796551428)
	want := "command - high 50 ms, low 50 ms (all time high 50 ms)\n" + strings.Repeat("-", 80) + "\n \n \n \n_\n \n5\ns\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestLatencyGraphSixSamples(t *testing.T) {
	ts := seriesOf(t, [][2]int64{{431, 10}, {433, 50}, {434, 20}, {435, 100}, {436, 3}, {437, 30}})
	got := latencyGraph("command", ts, 438)
	want := "command - high 100 ms, low 3 ms (all time high 100 ms)\n" + strings.Repeat("-", 80) + "\n" +
		"   #  \n" +
		"   |  \n" +
		" # | _\n" +
		"_|#|_|\n" +
		"      \n" +
		"754321\n" +
		"ssssss\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	st := ts.stats(438)
	report := latencyReport([]string{"command"}, []latencySeries{*ts}, 438, 1, 10000)
	line := "1. command: 6 latency spikes (average 35ms, mean deviation 26ms, period 1.17 sec). Worst all time event 100ms.\n"
	if !strings.HasPrefix(report, "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"+line) {
		t.Errorf("report %q (stats %+v)", report, st)
	}
	if !strings.Contains(report, "'CONFIG SET slowlog-log-slower-than 1000'") {
		t.Errorf("report lacks the slow log advice: %q", report)
	}
}

// A full ring (160 samples, one of them the all-time high of 200 ms) is
// drawn in two blocks of at most 80 columns, labels in minutes and
// seconds, three label rows where some label has three characters.
func TestLatencyGraphTwoBlocks(t *testing.T) {
	const base, now = 1796551548, 1796551740
	offsets := [][2]int64{
		{0, 17}, {1, 54}, {2, 31}, {3, 8}, {4, 45}, {5, 22}, {6, 59}, {7, 40}, {8, 13}, {9, 50}, {10, 27}, {11, 4},
		{12, 41}, {13, 18}, {14, 55}, {15, 64}, {16, 9}, {17, 46}, {18, 23}, {19, 60}, {20, 37}, {21, 50}, {22, 200}, {23, 28},
		{24, 6}, {25, 42}, {26, 24}, {27, 56}, {28, 33}, {29, 12}, {30, 106}, {31, 24}, {32, 61}, {33, 38}, {34, 17}, {35, 58},
		{36, 29}, {37, 6}, {38, 43}, {39, 20}, {40, 58}, {41, 34}, {42, 11}, {43, 48}, {44, 25}, {45, 2}, {46, 45}, {47, 16},
		{48, 53}, {49, 30}, {50, 7}, {51, 44}, {52, 21}, {53, 58}, {54, 35}, {55, 20}, {56, 49}, {57, 130}, {59, 15}, {60, 44},
		{61, 63}, {62, 54}, {63, 116}, {64, 8}, {65, 45}, {66, 22}, {67, 59}, {68, 36}, {69, 13}, {70, 50}, {71, 33}, {72, 5},
		{73, 41}, {74, 21}, {75, 55}, {76, 32}, {77, 9}, {78, 46}, {79, 23}, {80, 60}, {81, 38}, {82, 15}, {83, 74}, {84, 28},
		{85, 5}, {86, 42}, {87, 19}, {88, 56}, {89, 34}, {90, 10}, {91, 47}, {92, 24}, {93, 61}, {94, 38}, {95, 15}, {96, 52},
		{97, 29}, {98, 7}, {99, 47}, {100, 20}, {101, 57}, {102, 34}, {103, 11}, {104, 48}, {105, 25}, {106, 2}, {107, 39}, {108, 16},
		{109, 53}, {110, 30}, {111, 7}, {112, 44}, {113, 21}, {114, 58}, {115, 35}, {116, 12}, {117, 49}, {118, 26}, {119, 3}, {120, 40},
		{121, 17}, {122, 54}, {123, 31}, {124, 8}, {125, 45}, {126, 22}, {127, 59}, {128, 36}, {129, 13}, {130, 50}, {131, 27}, {132, 4},
		{133, 41}, {134, 18}, {135, 55}, {136, 32}, {137, 9}, {138, 46}, {139, 23}, {140, 60}, {141, 37}, {142, 14}, {143, 51}, {144, 28},
		{145, 5}, {146, 42}, {147, 19}, {148, 56}, {149, 33}, {150, 10}, {151, 47}, {152, 24}, {153, 61}, {154, 38}, {155, 15}, {156, 52},
		{157, 29}, {158, 6}, {159, 43}, {160, 20},
	}
	var samples [][2]int64
	for _, o := range offsets {
		samples = append(samples, [2]int64{base + o[0], o[1]})
	}
	ts := seriesOf(t, samples)
	want := strings.Join([]string{
		"command - high 200 ms, low 2 ms (all time high 200 ms)",
		"--------------------------------------------------------------------------------",
		"                      #                                                         ",
		"                      |       _                          o    _                 ",
		" _    _       __   _  |    _  | _  _    _       _    _   |  __|   _       _    _",
		"_|o_#o|#_#o_#_||_#o|##|o_#o|o_|o|#_|o_#o|o_#o_#_|o_#o|#o#|_#|||_#o|#_#o_#o|o_#o|",
		"                                                                                ",
		"33333333333332222222222222222222222222222222222222222222222222222222222211111111",
		"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm",
		"",
		"                                                                                ",
		"                                                                                ",
		"  o    _    _  _    _       _    _       _    _       _    _       _    _  _    ",
		"#_|o_#o|o_#o|#_|o_#o|o_#o_#_|o_#o|#_#o_#_|o_#o|#_#o_#_|o_#o|#_#o_#o|o_#o|#_|o_#o",
		"                                                                                ",
		"11111111111111111111111111111111111111111111111111115555555555444444444433333333",
		"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm9876543210987654321098765432",
		"                                                    ssssssssssssssssssssssssssss",
	}, "\n") + "\n"
	if got := latencyGraph("command", ts, now); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	report := latencyReport([]string{"command"}, []latencySeries{*ts}, now, 1, 10000)
	if line := "\n1. command: 160 latency spikes (average 35ms, mean deviation 17ms, period 1.20 sec). Worst all time event 200ms.\n"; !strings.Contains(report, line) {
		t.Errorf("report %q", report)
	}
}

func TestLatencyMonitorRing(t *testing.T) {
	var m latencyMonitor
	// Within a second the highest sample stands.
	m.add("command", 5, 100)
	m.add("command", 9, 100)
	m.add("command", 7, 100)
	_, s := m.snapshot("command")
	if got := s[0].samples(); len(got) != 1 || got[0] != (latencySample{100, 9}) {
		t.Fatalf("same second: %v", got)
	}
	// The ring keeps the last 160 seconds that had a sample (here 143 to
	// 300, 400 and 401); the all-time high survives.
	for i := int64(1); i <= 200; i++ {
		m.add("command", i%50+1, 100+i)
	}
	m.add("command", 1000, 400)
	m.add("command", 2, 401)
	_, s = m.snapshot("command")
	got := s[0].samples()
	if len(got) != latencySeriesLen || got[0].at != 143 || got[len(got)-1] != (latencySample{401, 2}) {
		t.Fatalf("ring: %d samples, first %v, last %v", len(got), got[0], got[len(got)-1])
	}
	if s[0].max != 1000 || s[0].latest() != (latencySample{401, 2}) {
		t.Errorf("max %d latest %v", s[0].max, s[0].latest())
	}
	for i := 1; i < len(got); i++ {
		if got[i].at <= got[i-1].at {
			t.Fatalf("not in order at %d: %v", i, got)
		}
	}

	// Events are listed by name; RESET counts the events it dropped.
	m.add("fast-command", 3, 500)
	m.add("expire-cycle", 4, 500)
	if names, _ := m.snapshot(); strings.Join(names, ",") != "command,expire-cycle,fast-command" {
		t.Errorf("names %v", names)
	}
	if n := m.reset([][]byte{[]byte("COMMAND\x00x"), []byte("command"), []byte("nosuch")}); n != 1 {
		t.Errorf("reset named: %d", n)
	}
	if n := m.reset(nil); n != 2 || !m.empty() {
		t.Errorf("reset all: %d", n)
	}
	if n := m.reset(nil); n != 0 {
		t.Errorf("reset nothing: %d", n)
	}
}

func TestLatencyReportEmpty(t *testing.T) {
	if r := latencyReport(nil, nil, 0, 0, 10000); !strings.HasPrefix(r, "I'm sorry, Dave, I can't do that. Latency monitoring is disabled") {
		t.Errorf("off: %q", r)
	}
	if r := latencyReport(nil, nil, 0, 5, 10000); r != "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n" {
		t.Errorf("on: %q", r)
	}
}

func TestAgoLabel(t *testing.T) {
	for sec, want := range map[int64]string{0: "0s", 59: "59s", 60: "1m", 3599: "59m", 3600: "1h", 86399: "23h", 86400: "1d", 200000: "2d"} {
		if got := agoLabel(sec); got != want {
			t.Errorf("agoLabel(%d) = %q, want %q", sec, got, want)
		}
	}
}

// recordCall, the path of top-level, EXEC'd and scripted commands alike,
// feeds the monitor: "fast-command" for commands flagged fast,
// "command" for the others, at the keyspace clock's second, only from
// the threshold on, and not at all while the threshold is 0.
func TestRecordCallLatency(t *testing.T) {
	clock := keyspace.NewFakeClock(1_800_000_000_700)
	s := NewWithOptions(config.New(), Options{Logger: logging.Discard(), Clock: clock})
	l := &loop{}
	l.stats.cmd = make([]cmdStat, s.table.NumIDs())
	c := &client{s: s, loop: l}
	get, keys := s.lookupFullName("get"), s.lookupFullName("keys")
	argv := [][]byte{[]byte("x")}

	s.recordCall(l, c, keys, argv, time.Second)
	if !s.latencyMon.empty() {
		t.Fatal("recorded while off")
	}
	if err := s.cfg.Set("latency-monitor-threshold", "5"); err != nil {
		t.Fatal(err)
	}
	s.recordCall(l, c, get, argv, 4999*time.Microsecond)
	if !s.latencyMon.empty() {
		t.Fatal("recorded under the threshold")
	}
	s.recordCall(l, c, get, argv, 5*time.Millisecond)
	s.recordCall(l, c, keys, argv, 12*time.Millisecond+900*time.Microsecond)
	names, series := s.latencyMon.snapshot()
	if strings.Join(names, ",") != "command,fast-command" {
		t.Fatalf("events %v", names)
	}
	if got := series[0].latest(); got != (latencySample{1_800_000_000, 12}) {
		t.Errorf("command: %v", got)
	}
	if got := series[1].latest(); got != (latencySample{1_800_000_000, 5}) {
		t.Errorf("fast-command: %v", got)
	}
	st := &l.stats.cmd[keys.ID]
	if calls, usec := st.calls.Load(), st.usec.Load(); calls != 2 || usec != 1_012_900 {
		t.Errorf("keys: calls %d usec %d", calls, usec)
	}
}
