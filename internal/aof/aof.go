package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/taconite/taconite/internal/resp"
)

// Fsync policies (appendfsync).
const (
	FsyncEverySec = iota
	FsyncAlways
	FsyncNo
)

// File kinds in the manifest.
const (
	KindBase    = 'b'
	KindHistory = 'h'
	KindIncr    = 'i'
)

// ManifestFile is one line of the manifest.
type ManifestFile struct {
	Name string
	Seq  int64
	Kind byte
}

// Manifest lists the files of a multi-part AOF, in Redis 7.0's format.
type Manifest struct {
	Files []ManifestFile
}

// Base returns the base file, if any.
func (m *Manifest) Base() (ManifestFile, bool) {
	for _, f := range m.Files {
		if f.Kind == KindBase {
			return f, true
		}
	}
	return ManifestFile{}, false
}

// Incrs returns the incremental files in order.
func (m *Manifest) Incrs() []ManifestFile {
	var out []ManifestFile
	for _, f := range m.Files {
		if f.Kind == KindIncr {
			out = append(out, f)
		}
	}
	return out
}

// ParseManifest reads a manifest: lines of "file NAME seq N type T", with
// NAME quoted as redis-cli quotes when it holds blanks.
func ParseManifest(b []byte) (*Manifest, error) {
	m := &Manifest{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words, ok := resp.SplitArgs([]byte(line))
		if !ok || len(words)%2 != 0 {
			return nil, fmt.Errorf("invalid AOF manifest file format at line %d", i+1)
		}
		var f ManifestFile
		for j := 0; j+1 < len(words); j += 2 {
			v := string(words[j+1])
			switch string(words[j]) {
			case "file":
				f.Name = v
			case "seq":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("invalid AOF manifest seq at line %d", i+1)
				}
				f.Seq = n
			case "type":
				if len(v) != 1 || (v[0] != KindBase && v[0] != KindHistory && v[0] != KindIncr) {
					return nil, fmt.Errorf("unknown AOF file type at line %d", i+1)
				}
				f.Kind = v[0]
			}
		}
		if f.Name == "" || f.Kind == 0 {
			return nil, fmt.Errorf("invalid AOF manifest file format at line %d", i+1)
		}
		if strings.ContainsAny(f.Name, "/\\") {
			return nil, fmt.Errorf("AOF file name %q in the manifest is not a plain name", f.Name)
		}
		m.Files = append(m.Files, f)
	}
	return m, nil
}

// Format renders the manifest as Redis writes it.
func (m *Manifest) Format() []byte {
	var b bytes.Buffer
	for _, f := range m.Files {
		name := f.Name
		if strings.ContainsAny(name, " \t\r\n\"'\\") {
			name = string(resp.AppendRepr(nil, []byte(name)))
		}
		fmt.Fprintf(&b, "file %s seq %d type %c\n", name, f.Seq, f.Kind)
	}
	return b.Bytes()
}

// FS is the part of the filesystem the AOF uses, so crash tests can keep
// only what was synced.
type FS interface {
	MkdirAll(path string) error
	ReadFile(path string) ([]byte, error)
	OpenAppend(path string) (File, error)
	WriteFileAtomic(path string, data []byte) error
	Stat(path string) (int64, bool, error)
}

// File is an append-only file.
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// OSFS is the real filesystem.
type OSFS struct{}

func (OSFS) MkdirAll(p string) error           { return os.MkdirAll(p, 0o755) }
func (OSFS) ReadFile(p string) ([]byte, error) { return os.ReadFile(p) }
func (OSFS) OpenAppend(p string) (File, error) {
	return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}
func (OSFS) Stat(p string) (int64, bool, error) {
	st, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return st.Size(), true, nil
}

// WriteFileAtomic writes a temp file, syncs it, renames it over path and
// syncs the directory: after a crash either the old or the new file is
// there, whole.
func (OSFS) WriteFileAtomic(p string, data []byte) error {
	dir := filepath.Dir(p)
	tmp, err := os.CreateTemp(dir, "temp-"+filepath.Base(p)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Log is an open append-only log: commands are appended to an in-memory
// buffer (Append, under mu), written to the incremental file by Flush and
// synced as the fsync policy says.
type Log struct {
	fs       FS
	dir      string
	name     string // appendfilename
	manifest *Manifest
	policy   int

	mu      sync.Mutex // guards everything below
	buf     []byte
	f       File
	lastDB  int
	size    int64 // bytes written to the incremental file
	unsync  bool  // written but not synced
	lastErr error
	// lastSync is when the file was last synced (everysec).
	lastSync time.Time
}

// Options opens a Log.
type Options struct {
	FS       FS
	Dir      string // the append-only directory (dir/appenddirname)
	Filename string // appendfilename
	Policy   int
}

// Exists reports whether dir holds a manifest.
func Exists(fs FS, dir, filename string) (bool, error) {
	_, ok, err := fs.Stat(filepath.Join(dir, filename+".manifest"))
	return ok, err
}

// ReadManifest reads dir's manifest.
func ReadManifest(fs FS, dir, filename string) (*Manifest, error) {
	b, err := fs.ReadFile(filepath.Join(dir, filename+".manifest"))
	if err != nil {
		return nil, err
	}
	return ParseManifest(b)
}

// Create starts a new multi-part AOF in an empty directory: an empty base
// (in AOF form) and an incremental file, then the manifest naming them.
// It returns the names created, for the log.
func Create(fs FS, dir, filename string) ([]string, error) {
	if err := fs.MkdirAll(dir); err != nil {
		return nil, err
	}
	base := filename + ".1.base.aof"
	incr := filename + ".1.incr.aof"
	if err := fs.WriteFileAtomic(filepath.Join(dir, base), nil); err != nil {
		return nil, err
	}
	f, err := fs.OpenAppend(filepath.Join(dir, incr))
	if err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	f.Close()
	m := &Manifest{Files: []ManifestFile{{Name: base, Seq: 1, Kind: KindBase}, {Name: incr, Seq: 1, Kind: KindIncr}}}
	if err := fs.WriteFileAtomic(filepath.Join(dir, filename+".manifest"), m.Format()); err != nil {
		return nil, err
	}
	return []string{base, incr}, nil
}

// Open opens the last incremental file of an existing AOF for appending.
func Open(o Options) (*Log, error) {
	if o.FS == nil {
		o.FS = OSFS{}
	}
	m, err := ReadManifest(o.FS, o.Dir, o.Filename)
	if err != nil {
		return nil, err
	}
	incrs := m.Incrs()
	if len(incrs) == 0 {
		return nil, fmt.Errorf("the AOF manifest names no incremental file")
	}
	last := incrs[len(incrs)-1]
	p := filepath.Join(o.Dir, last.Name)
	size, _, err := o.FS.Stat(p)
	if err != nil {
		return nil, err
	}
	f, err := o.FS.OpenAppend(p)
	if err != nil {
		return nil, err
	}
	return &Log{fs: o.FS, dir: o.Dir, name: o.Filename, manifest: m, policy: o.Policy, f: f, lastDB: -1, size: size, lastSync: time.Now()}, nil
}

// SetPolicy changes the fsync policy (CONFIG SET appendfsync).
func (l *Log) SetPolicy(p int) {
	l.mu.Lock()
	l.policy = p
	l.mu.Unlock()
}

// Append adds one command run against database db. Called with the
// command's shard locks held, so commands on one key reach the log in the
// order they ran.
func (l *Log) Append(db int, argv [][]byte) {
	l.mu.Lock()
	l.appendLocked(db, argv)
	l.mu.Unlock()
}

func (l *Log) appendLocked(db int, argv [][]byte) {
	if db != l.lastDB {
		l.buf = resp.AppendCommandStrings(l.buf, "SELECT", strconv.Itoa(db))
		l.lastDB = db
	}
	l.buf = resp.AppendCommand(l.buf, argv...)
}

// AppendBlock adds commands that must load as one unit (a transaction,
// a script's effects) wrapped in MULTI/EXEC, with nothing in between.
func (l *Log) AppendBlock(db int, cmds []Cmd) {
	if len(cmds) == 0 {
		return
	}
	l.mu.Lock()
	if len(cmds) == 1 {
		l.appendLocked(cmds[0].DB, cmds[0].Argv)
		l.mu.Unlock()
		return
	}
	if db != l.lastDB {
		l.buf = resp.AppendCommandStrings(l.buf, "SELECT", strconv.Itoa(db))
		l.lastDB = db
	}
	l.buf = resp.AppendCommandStrings(l.buf, "MULTI")
	for _, c := range cmds {
		l.appendLocked(c.DB, c.Argv)
	}
	l.buf = resp.AppendCommandStrings(l.buf, "EXEC")
	l.mu.Unlock()
}

// Cmd is a command with its database.
type Cmd struct {
	DB   int
	Argv [][]byte
}

// Pending reports whether appended commands wait to be written.
func (l *Log) Pending() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buf) > 0
}

// Flush writes the buffered commands to the file; with policy always it
// also syncs. Event loops call it before sending the replies of the
// commands that appended, so an acknowledged write is in the file (and
// with always, on disk).
func (l *Log) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		n, err := l.f.Write(l.buf)
		l.size += int64(n)
		if err != nil {
			l.lastErr = err
			// Keep what was not written; the next flush retries.
			l.buf = l.buf[n:]
			return err
		}
		l.buf = l.buf[:0]
		l.unsync = true
	}
	if l.policy == FsyncAlways && l.unsync {
		if err := l.f.Sync(); err != nil {
			l.lastErr = err
			return err
		}
		l.unsync = false
		l.lastSync = time.Now()
	}
	l.lastErr = nil
	return nil
}

// SyncIfDue syncs the file when policy everysec and a second has passed
// since the last sync (called once a second, off the event loops).
func (l *Log) SyncIfDue() error {
	l.mu.Lock()
	if l.policy != FsyncEverySec || !l.unsync || time.Since(l.lastSync) < time.Second {
		l.mu.Unlock()
		return nil
	}
	f := l.f
	l.unsync = false
	l.lastSync = time.Now()
	l.mu.Unlock()
	// Outside the lock: appends and writes go on while the disk syncs.
	if err := f.Sync(); err != nil {
		l.mu.Lock()
		l.lastErr = err
		l.unsync = true
		l.mu.Unlock()
		return err
	}
	return nil
}

// Size is the size of the current incremental file.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// LastError is the last write or sync error (nil once one succeeds).
func (l *Log) LastError() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastErr
}

// Close flushes, syncs and closes the file.
func (l *Log) Close() error {
	err := l.Flush()
	l.mu.Lock()
	defer l.mu.Unlock()
	if serr := l.f.Sync(); err == nil {
		err = serr
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Replay reads commands from r and calls fn for each. A command cut short
// at the end of the input is a truncation: with allowTruncated it is
// dropped and Replay returns the offset where the valid data ends and
// truncated = true; otherwise an error. Malformed input is an error naming
// the offset.
func Replay(r io.Reader, allowTruncated bool, fn func(argv [][]byte) error) (valid int64, truncated bool, err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var off int64
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return off, false, nil
		}
		argv, n, err := readCommand(br)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				if allowTruncated {
					return off, true, nil
				}
				return off, true, fmt.Errorf("unexpected end of file at offset %d", off)
			}
			return off, false, fmt.Errorf("bad file format reading the append only file at offset %d: %v", off, err)
		}
		if err := fn(argv); err != nil {
			return off, false, err
		}
		off += n
	}
}

// readCommand reads one multibulk command; n is the bytes it took.
func readCommand(br *bufio.Reader) ([][]byte, int64, error) {
	var n int64
	line, err := br.ReadSlice('\n')
	n += int64(len(line))
	if err != nil {
		return nil, n, io.ErrUnexpectedEOF
	}
	if len(line) < 3 || line[0] != '*' || line[len(line)-2] != '\r' {
		return nil, n, errors.New("expected a multibulk length")
	}
	argc, err := strconv.Atoi(string(line[1 : len(line)-2]))
	if err != nil || argc < 1 || argc > 1<<20 {
		return nil, n, errors.New("invalid multibulk length")
	}
	argv := make([][]byte, argc)
	for i := range argv {
		line, err := br.ReadSlice('\n')
		n += int64(len(line))
		if err != nil {
			return nil, n, io.ErrUnexpectedEOF
		}
		if len(line) < 3 || line[0] != '$' || line[len(line)-2] != '\r' {
			return nil, n, errors.New("expected a bulk length")
		}
		bl, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil || bl < 0 || bl > 512<<20 {
			return nil, n, errors.New("invalid bulk length")
		}
		buf := make([]byte, bl+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, n, io.ErrUnexpectedEOF
		}
		n += int64(bl + 2)
		if buf[bl] != '\r' || buf[bl+1] != '\n' {
			return nil, n, errors.New("bulk not terminated by CRLF")
		}
		argv[i] = buf[:bl]
	}
	return argv, n, nil
}

// RewritePlan names the files of a rewrite in progress: the base file the
// snapshot is written to, and the first incremental file that survives it.
type RewritePlan struct {
	BaseName string
	BaseSeq  int64
	// FirstIncr is the sequence number of the incremental file opened when
	// the rewrite began: it and the later ones hold every command after
	// the snapshot's instant. Zero when the AOF is off (a base alone).
	FirstIncr int64
}

// nextBase is the plan's base name and number after m's.
func nextBase(m *Manifest, filename string) (string, int64) {
	seq := int64(1)
	if b, ok := m.Base(); ok {
		seq = b.Seq + 1
	}
	for _, f := range m.Files {
		if f.Kind == KindHistory && f.Seq >= seq {
			seq = f.Seq + 1
		}
	}
	return fmt.Sprintf("%s.%d.base.rdb", filename, seq), seq
}

// Rotate begins a rewrite. The caller holds every shard, which fixes the
// instant: the commands buffered so far are written and synced to the
// current incremental file, the next incremental file is opened and
// recorded in the manifest, and every later Append goes there. A crash
// before CompleteRewrite replays the old base and all incrementals,
// losing nothing.
func (l *Log) Rotate() (RewritePlan, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		n, err := l.f.Write(l.buf)
		l.size += int64(n)
		l.buf = l.buf[n:]
		if err != nil {
			l.lastErr = err
			return RewritePlan{}, err
		}
	}
	if err := l.f.Sync(); err != nil {
		l.lastErr = err
		return RewritePlan{}, err
	}
	incrs := l.manifest.Incrs()
	seq := int64(1)
	if len(incrs) > 0 {
		seq = incrs[len(incrs)-1].Seq + 1
	}
	incr := fmt.Sprintf("%s.%d.incr.aof", l.name, seq)
	f, err := l.fs.OpenAppend(filepath.Join(l.dir, incr))
	if err != nil {
		return RewritePlan{}, err
	}
	m := &Manifest{Files: append(append([]ManifestFile(nil), l.manifest.Files...), ManifestFile{Name: incr, Seq: seq, Kind: KindIncr})}
	if err := l.fs.WriteFileAtomic(filepath.Join(l.dir, l.name+".manifest"), m.Format()); err != nil {
		f.Close()
		return RewritePlan{}, err
	}
	l.f.Close()
	l.f, l.manifest, l.size, l.unsync, l.lastDB = f, m, 0, false, -1
	base, bseq := nextBase(m, l.name)
	return RewritePlan{BaseName: base, BaseSeq: bseq, FirstIncr: seq}, nil
}

// CompleteRewrite installs the plan's base file, already written and
// synced in the directory: the manifest then names it and the
// incrementals opened since Rotate, and the files it replaced are removed.
func (l *Log) CompleteRewrite(p RewritePlan) (removed []string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := &Manifest{Files: []ManifestFile{{Name: p.BaseName, Seq: p.BaseSeq, Kind: KindBase}}}
	for _, f := range l.manifest.Files {
		if f.Kind == KindIncr && f.Seq >= p.FirstIncr {
			m.Files = append(m.Files, f)
		}
	}
	removed, err = install(l.fs, l.dir, l.name, m, l.manifest)
	if err == nil {
		l.manifest = m
	}
	return removed, err
}

// install writes manifest m, then removes the files of old it no longer
// names (they are history: a crash before the removal leaves them unused)
// and returns their names.
func install(fs FS, dir, filename string, m, old *Manifest) (removed []string, err error) {
	if err := fs.WriteFileAtomic(filepath.Join(dir, filename+".manifest"), m.Format()); err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, f := range m.Files {
		keep[f.Name] = true
	}
	for _, f := range old.Files {
		if !keep[f.Name] {
			removed = append(removed, f.Name)
			os.Remove(filepath.Join(dir, f.Name))
		}
	}
	return removed, nil
}

// currentManifest is dir's manifest, or an empty one when there is none
// or it cannot be read (the files it named are then left alone).
func currentManifest(fs FS, dir, filename string) *Manifest {
	if ok, _ := Exists(fs, dir, filename); ok {
		if m, err := ReadManifest(fs, dir, filename); err == nil {
			return m
		}
	}
	return &Manifest{}
}

// PlanBaseOnly plans a rewrite while the AOF is off: a new base in dir,
// which InstallBaseOnly then makes the whole of the AOF.
func PlanBaseOnly(fs FS, dir, filename string) (RewritePlan, error) {
	if err := fs.MkdirAll(dir); err != nil {
		return RewritePlan{}, err
	}
	m := &Manifest{}
	if ok, err := Exists(fs, dir, filename); err != nil {
		return RewritePlan{}, err
	} else if ok {
		if m, err = ReadManifest(fs, dir, filename); err != nil {
			return RewritePlan{}, err
		}
	}
	base, seq := nextBase(m, filename)
	return RewritePlan{BaseName: base, BaseSeq: seq}, nil
}

// InstallBaseOnly writes a manifest naming the plan's base alone (as
// Redis does for BGREWRITEAOF with the AOF off) and removes the files the
// previous manifest named.
func InstallBaseOnly(fs FS, dir, filename string, p RewritePlan) (removed []string, err error) {
	m := &Manifest{Files: []ManifestFile{{Name: p.BaseName, Seq: p.BaseSeq, Kind: KindBase}}}
	return install(fs, dir, filename, m, currentManifest(fs, dir, filename))
}

// OpenTemp opens a Log on a temporary incremental file, outside any
// manifest: appendonly turned on at runtime appends there while the first
// base is written, and InstallTemp then makes both the AOF.
func OpenTemp(o Options) (*Log, error) {
	if o.FS == nil {
		o.FS = OSFS{}
	}
	if err := o.FS.MkdirAll(o.Dir); err != nil {
		return nil, err
	}
	p := filepath.Join(o.Dir, "temp-"+o.Filename+".incr")
	os.Remove(p)
	f, err := o.FS.OpenAppend(p)
	if err != nil {
		return nil, err
	}
	return &Log{fs: o.FS, dir: o.Dir, name: o.Filename, manifest: &Manifest{}, policy: o.Policy, f: f, lastDB: -1, lastSync: time.Now()}, nil
}

// InstallTemp completes OpenTemp: the temporary file becomes the
// incremental file after the plan's base (already written), the manifest
// names the two, and the files of any earlier AOF in the directory are
// removed.
func (l *Log) InstallTemp(p RewritePlan) (removed []string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := currentManifest(l.fs, l.dir, l.name)
	seq := int64(1)
	for _, f := range old.Incrs() {
		if f.Seq >= seq {
			seq = f.Seq + 1
		}
	}
	incr := fmt.Sprintf("%s.%d.incr.aof", l.name, seq)
	if err := os.Rename(filepath.Join(l.dir, "temp-"+l.name+".incr"), filepath.Join(l.dir, incr)); err != nil {
		return nil, err
	}
	m := &Manifest{Files: []ManifestFile{{Name: p.BaseName, Seq: p.BaseSeq, Kind: KindBase}, {Name: incr, Seq: seq, Kind: KindIncr}}}
	removed, err = install(l.fs, l.dir, l.name, m, old)
	if err == nil {
		l.manifest = m
	}
	return removed, err
}
