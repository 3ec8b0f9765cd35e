package journal

import "errors"

// ErrMissingRecords is wrapped by the error Replay returns when asked for
// records the log no longer holds (after < FirstSeq()-1): they were dropped
// because a snapshot covered them, and that snapshot is the only way back.
// Backends return it inside a *CorruptionError naming where the log starts.
var ErrMissingRecords = errors.New("journal: records missing from the log")

// ErrSnapshotBusy is returned by WriteSnapshot of a Shared journal when
// another instance holds the snapshot lease. Nothing is wrong: that instance
// is writing one, and the caller tries again when its next one is due.
var ErrSnapshotBusy = errors.New("journal: another instance is writing a snapshot")
