//go:build !linux

package wal

import (
	"errors"
	"os"
)

func mapFile(*os.File, int64) ([]byte, error) { return nil, errors.New("not supported") }

const canMap = false

func unmapFile([]byte) {}
