package journal

import "errors"

// ErrMissingRecords is wrapped by the error Replay returns when asked for
// records the log no longer holds (after < FirstSeq()-1): they were dropped
// because a snapshot covered them, and that snapshot is the only way back.
// Backends return it inside a *CorruptionError naming where the log starts.
var ErrMissingRecords = errors.New("journal: records missing from the log")
