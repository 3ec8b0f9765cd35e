package csvio

// AppendField appends f as one CSV field, quoted (RFC 4180) exactly when
// WriteRecord would quote it: for callers that format many records in
// parallel into their own buffers.
func AppendField(dst, f []byte, delim byte) []byte { return appendField(dst, f, delim) }
