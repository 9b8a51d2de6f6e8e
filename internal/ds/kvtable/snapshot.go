package kvtable

// Support for point-in-time snapshots taken while the table keeps
// changing (BGSAVE without fork). Each record carries one bit, hSnap; a
// record is "captured" when its bit equals the table's snapBit. A snapshot
// begins by flipping snapBit in every table (the owner holds them all), so
// every record becomes uncaptured at once, in O(1). From then on:
//   - the snapshot's walker captures records (Entry.Capture) as it writes
//     them out;
//   - a writer about to change or delete an uncaptured record first writes
//     out its old value and captures it;
//   - records inserted after the instant are born captured (insert sets
//     snapBit), so the walker skips them.
// Rewrites keep the record's bit. The walker must capture every record
// before the next flip, even when the snapshot fails, or those records
// would look captured to the next snapshot.

// SetSnapBit sets the value of hSnap that means captured.
func (t *Table) SetSnapBit(on bool) {
	if on {
		t.snapBit = hSnap
	} else {
		t.snapBit = 0
	}
}

// Captured reports whether the running snapshot has the record (or it
// was written after the snapshot's instant).
func (e Entry) Captured() bool { return e.rec[oHdr]&hSnap == e.t.snapBit }

// Capture marks the record as captured.
func (e Entry) Capture() { e.rec[oHdr] = e.rec[oHdr]&^hSnap | e.t.snapBit }

// ScanN runs Scan from cursor until it has visited at least n records or
// the iteration is complete (cursor 0), and returns the next cursor. Every
// record present from the first call to the last is visited at least
// once; fn may capture entries but must not otherwise change the table.
func (t *Table) ScanN(cursor uint64, n int, fn func(e Entry)) uint64 {
	seen := 0
	for {
		cursor = t.Scan(cursor, func(e Entry) { seen++; fn(e) })
		if cursor == 0 || seen >= n {
			return cursor
		}
	}
}

// SnapBit reports the table's current captured value of hSnap.
func (t *Table) SnapBit() bool { return t.snapBit != 0 }
