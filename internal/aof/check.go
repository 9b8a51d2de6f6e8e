package aof

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/taconite/taconite/internal/rdb"
)

// Check verifies an append-only file as redis-check-aof does: a manifest
// (every file it names, an RDB-form base through the RDB checker) or a
// single file. With fix, a torn command at the end of the last file is
// cut off (the same repair aof-load-truncated makes at load). Progress goes
// to w; the error names the file and offset of the first problem.
func Check(path string, fix bool, w io.Writer) error {
	if !strings.HasSuffix(path, ".manifest") {
		return checkFile(path, true, fix, w)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	m, err := ParseManifest(b)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Start checking Multi Part AOF")
	dir := filepath.Dir(path)
	var files []ManifestFile
	for _, f := range m.Files {
		if f.Kind != KindHistory {
			files = append(files, f)
		}
	}
	for i, f := range files {
		if err := checkFile(filepath.Join(dir, f.Name), i == len(files)-1, fix, w); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	fmt.Fprintln(w, "All AOF files and manifest are valid")
	return nil
}

func checkFile(p string, last, fix bool, w io.Writer) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	magic := make([]byte, 5)
	n, _ := io.ReadFull(f, magic)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	name := filepath.Base(p)
	if bytes.Equal(magic[:n], []byte("REDIS")) {
		if _, err := rdb.Check(f, w, name, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(w, "AOF %s is valid\n", name)
		return nil
	}
	cmds := 0
	valid, truncated, err := Replay(f, last && fix, func([][]byte) error { cmds++; return nil })
	size := int64(0)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	fmt.Fprintf(w, "AOF analyzed: filename=%s, size=%d, ok_up_to=%d, commands=%d, diff=%d\n", name, size, valid, cmds, size-valid)
	if err != nil {
		return err
	}
	if truncated {
		if err := os.Truncate(p, valid); err != nil {
			return err
		}
		fmt.Fprintf(w, "Successfully truncated AOF %s\n", name)
		return nil
	}
	fmt.Fprintf(w, "AOF %s is valid\n", name)
	return nil
}
