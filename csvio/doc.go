// Package csvio reads and writes the CSV files hush scrubs: campaign lists,
// suppression imports, rejected-row outputs.
//
// The reader is built for 10M-row files on a 2-core machine: it streams
// (memory stays bounded by Options.MaxRecordBytes whatever the file size),
// splits unquoted lines with bytes.IndexByte, and falls back to an RFC 4180
// state machine only for lines that contain a double quote. Fields and raw
// record bytes are handed out without copying (Read) or packed into one arena
// per Batch (ReadBatch) so a batch can cross goroutines.
//
// Rows are never dropped silently. Every non-blank input line ends up in
// exactly one returned row: a good one, or one carrying a *RowError
// (ragged, unbalanced quote, binary, too long) whose Raw is the original
// bytes, so the caller can copy it to a rejected file with a reason. A
// malformed record that spans several lines is cut back to its first line,
// and reading resumes at the second: one bad quote costs one row, not the
// rest of the file.
//
// Decisions a caller should know:
//   - Blank lines (empty, or only spaces/tabs in Whitespace mode) are not
//     records; they are skipped and counted in Stats.BlankLines.
//   - With Header set, an input without any record (empty, only a BOM, only
//     blank lines) is an error wrapping ErrEmptyFile and naming the file;
//     without Header it simply has zero rows. A header-only file has zero
//     rows and no error.
//   - Bare quotes inside unquoted fields (5" floppy) are literal data.
//   - Quoted fields keep their bytes exactly, CRLF inside them included; only
//     the record terminator (LF or CRLF) is stripped. Old-Mac CR-only line
//     ends are not supported.
//   - A record longer than MaxRecordBytes is an ErrRecordTooLong row with no
//     Raw when it is one physical line (the line is skipped without being
//     buffered), and is cut back to its first line otherwise.
//   - A stray quote that a later stray quote happens to close (followed by
//     a delimiter or line end) makes one RFC-valid record of the lines
//     between. Options.MaxRecordLines bounds that; the field-count check
//     catches most of the rest.
//   - Read hands out rows that point into the reader's buffer; ReadBatch
//     copies rows into a Batch that owns its bytes, for pipelines. Both
//     give the same rows, errors and Stats.
package csvio
