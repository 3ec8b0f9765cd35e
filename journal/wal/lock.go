package wal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// ErrLocked is wrapped by the error Open returns when another process (or
// another Open in this process) owns the directory. The error is a
// *LockedError naming the holder.
var ErrLocked = errors.New("wal: data dir is locked")

// LockHolder is what the LOCK file says about the process that owns a dir.
type LockHolder struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

// LockedError says who holds the lock.
type LockedError struct {
	Dir    string
	Holder LockHolder // zero if the LOCK file could not be read
}

func (e *LockedError) Error() string {
	if e.Holder.PID == 0 {
		return fmt.Sprintf("data dir %s is in use by another process (its LOCK file names no holder yet); stop that process first", e.Dir)
	}
	return fmt.Sprintf("data dir %s is in use by pid %d on host %s since %s; stop that process first",
		e.Dir, e.Holder.PID, e.Holder.Host, e.Holder.Since.Format(time.RFC3339))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// lockDir takes an exclusive flock on dir/LOCK and writes who we are into
// it. The kernel drops a flock when its holder dies, so a LOCK file left by
// a killed process does not block anyone; the file's contents are only for
// the message. flock (not fcntl) locks belong to the open file, so a second
// Open in the same process is refused too.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("wal: open lock file: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			break
		}
	}
	if errors.Is(err, unix.EWOULDBLOCK) {
		holder, _ := readHolder(f)
		f.Close()
		return nil, &LockedError{Dir: dir, Holder: holder}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wal: lock %s: %w", path, err)
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(LockHolder{PID: os.Getpid(), Host: host, Since: time.Now().UTC().Truncate(time.Second)})
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(append(b, '\n'), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wal: write lock file %s: %w", path, err)
	}
	return f, nil
}

func readHolder(f *os.File) (LockHolder, error) {
	var h LockHolder
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 4096))
	if err != nil {
		return h, err
	}
	err = json.Unmarshal(b, &h)
	return h, err
}
