package rdb

import (
	"fmt"
	"io"
	"time"
)

// CheckReport is what Check found in a file.
type CheckReport struct {
	Keys, Expires, AlreadyExpired int64
	Functions                     int64
}

// Check reads a whole RDB file as the loader does, writing a line per
// section to w in the manner of redis-check-rdb, and returns the first
// problem, with its offset. It never builds the values into a keyspace.
func Check(r io.Reader, w io.Writer, name string, now time.Time) (CheckReport, error) {
	var rep CheckReport
	d := NewDecoder(r)
	fmt.Fprintf(w, "[offset 0] Checking RDB file %s\n", name)
	if err := d.Header(); err != nil {
		return rep, err
	}
	fmt.Fprintf(w, "[offset %d] RDB version %d\n", d.Offset(), d.Version())
	nowMs := now.UnixMilli()
	for {
		it, err := d.Next()
		if err != nil {
			return rep, err
		}
		switch it.Kind {
		case ItemAux:
			fmt.Fprintf(w, "[offset %d] AUX FIELD %s = '%s'\n", d.Offset(), it.AuxKey, it.AuxVal)
		case ItemSelectDB:
			fmt.Fprintf(w, "[offset %d] Selecting DB ID %d\n", d.Offset(), it.DB)
		case ItemFunction:
			rep.Functions++
		case ItemKey:
			rep.Keys++
			if it.ExpireMs != 0 {
				rep.Expires++
				if it.ExpireMs < nowMs {
					rep.AlreadyExpired++
				}
			}
		case ItemEOF:
			fmt.Fprintf(w, "[offset %d] Checksum OK\n", d.Offset())
			fmt.Fprintf(w, "[offset %d] \\o/ RDB looks OK! \\o/\n", d.Offset())
			fmt.Fprintf(w, "[info] %d keys read\n[info] %d expires\n[info] %d already expired\n", rep.Keys, rep.Expires, rep.AlreadyExpired)
			if rep.Functions > 0 {
				fmt.Fprintf(w, "[info] %d functions read\n", rep.Functions)
			}
			return rep, nil
		}
	}
}
