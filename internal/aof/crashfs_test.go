package aof

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashFS is a filesystem that remembers, per file, how much was synced:
// crash() throws away everything else, as a power cut would.
type crashFS struct {
	mu    sync.Mutex
	files map[string]*crashFile
}

type crashFile struct {
	fs     *crashFS
	data   []byte
	synced int
}

func newCrashFS() *crashFS { return &crashFS{files: map[string]*crashFile{}} }

func (fs *crashFS) MkdirAll(string) error { return nil }

func (fs *crashFS) ReadFile(p string) ([]byte, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, ok := fs.files[p]
	if !ok {
		return nil, fmt.Errorf("%s: no such file", p)
	}
	return append([]byte(nil), f.data...), nil
}

func (fs *crashFS) OpenAppend(p string) (File, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, ok := fs.files[p]
	if !ok {
		f = &crashFile{fs: fs}
		fs.files[p] = f
	}
	return f, nil
}

func (fs *crashFS) WriteFileAtomic(p string, data []byte) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.files[p] = &crashFile{fs: fs, data: append([]byte(nil), data...), synced: len(data)}
	return nil
}

func (fs *crashFS) Stat(p string) (int64, bool, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, ok := fs.files[p]
	if !ok {
		return 0, false, nil
	}
	return int64(len(f.data)), true, nil
}

func (f *crashFile) Write(b []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.data = append(f.data, b...)
	return len(b), nil
}

func (f *crashFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.synced = len(f.data)
	return nil
}

func (f *crashFile) Close() error { return nil }

// crash keeps only what was synced.
func (fs *crashFS) crash() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.files {
		f.data = f.data[:f.synced]
	}
}

// replayAll replays the manifest's files in order, the way the server
// loads them, and returns the commands as "SET k v" strings.
func replayAll(t *testing.T, fs *crashFS, dir string) []string {
	t.Helper()
	m, err := ReadManifest(fs, dir, "appendonly.aof")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range m.Files {
		b, err := fs.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := Replay(bytes.NewReader(b), false, func(argv [][]byte) error {
			got = append(got, string(bytes.Join(argv, []byte(" "))))
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	}
	return got
}

func setCmd(i int) [][]byte { return [][]byte{[]byte("SET"), []byte(fmt.Sprint("k", i)), []byte("v")} }

// sets lists the SETs of k from..to-1 as replayAll renders them, after the
// SELECT the log writes first.
func sets(from, to int) []string {
	out := []string{"SELECT 0"}
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprint("SET k", i, " v"))
	}
	return out
}

func openCrashLog(t *testing.T, fs *crashFS, policy int) *Log {
	t.Helper()
	if ok, _ := Exists(fs, "d", "appendonly.aof"); !ok {
		if _, err := Create(fs, "d", "appendonly.aof"); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Open(Options{FS: fs, Dir: "d", Filename: "appendonly.aof", Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCrashAlwaysKeepsFlushed: with appendfsync always, every command
// flushed (acknowledged) survives a power cut; an unflushed one may not.
func TestCrashAlwaysKeepsFlushed(t *testing.T) {
	fs := newCrashFS()
	l := openCrashLog(t, fs, FsyncAlways)
	for i := 0; i < 10; i++ {
		l.Append(0, setCmd(i))
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	l.Append(0, setCmd(10)) // not flushed: never acknowledged
	fs.crash()
	if got, want := strings.Join(replayAll(t, fs, "d"), "|"), strings.Join(sets(0, 10), "|"); got != want {
		t.Fatalf("after crash: %s\nwant %s", got, want)
	}
}

// TestCrashEverySecLosesOnlyUnsynced: with everysec, flushed but unsynced
// commands may be lost, synced ones never.
func TestCrashEverySecLosesOnlyUnsynced(t *testing.T) {
	fs := newCrashFS()
	l := openCrashLog(t, fs, FsyncEverySec)
	for i := 0; i < 5; i++ {
		l.Append(0, setCmd(i))
	}
	l.Flush()
	l.mu.Lock()
	l.lastSync = time.Now().Add(-2 * time.Second) // a second has passed
	l.mu.Unlock()
	if err := l.SyncIfDue(); err != nil {
		t.Fatal(err)
	}
	for i := 5; i < 8; i++ {
		l.Append(0, setCmd(i))
	}
	l.Flush() // written, not yet synced
	fs.crash()
	if got, want := strings.Join(replayAll(t, fs, "d"), "|"), strings.Join(sets(0, 5), "|"); got != want {
		t.Fatalf("after crash: %s\nwant %s", got, want)
	}
}

// TestCrashAcrossRewrite: a power cut after Rotate (before the new base
// exists) or after CompleteRewrite loses nothing that was flushed.
func TestCrashAcrossRewrite(t *testing.T) {
	fs := newCrashFS()
	l := openCrashLog(t, fs, FsyncAlways)
	for i := 0; i < 3; i++ {
		l.Append(0, setCmd(i))
		l.Flush()
	}
	plan, err := l.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 6; i++ {
		l.Append(0, setCmd(i))
		l.Flush()
	}
	fs.crash()
	got := replayAll(t, fs, "d")
	want := append(sets(0, 3), sets(3, 6)...)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("crash mid-rewrite: %q\nwant %q", got, want)
	}
	// The rewrite completes: its base (here, in command form) holds k0..k2.
	var base []byte
	for i := 0; i < 3; i++ {
		base = append(base, fmt.Sprintf("*3\r\n$3\r\nSET\r\n$2\r\nk%d\r\n$1\r\nv\r\n", i)...)
	}
	plan.BaseName = "appendonly.aof.2.base.aof"
	if err := fs.WriteFileAtomic(filepath.Join("d", plan.BaseName), base); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CompleteRewrite(plan); err != nil {
		t.Fatal(err)
	}
	l.Append(0, setCmd(6))
	l.Flush()
	fs.crash()
	got = replayAll(t, fs, "d")
	want = append(append([]string{"SET k0 v", "SET k1 v", "SET k2 v"}, sets(3, 6)...), "SET k6 v")
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("crash after the rewrite: %q\nwant %q", got, want)
	}
}
