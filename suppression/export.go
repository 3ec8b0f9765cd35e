package suppression

// EachValue calls fn with runs of the list's bitmap values in ascending
// order: phone numbers for phone lists, dictionary ids for hashed kinds
// (turn them into keys with KeyOf). The entries of a list version never
// change, so this may run without the engine's lock; fn must not keep vs.
func (l *List) EachValue(buf []uint64, fn func(vs []uint64)) {
	if len(buf) == 0 {
		buf = make([]uint64, 4096)
	}
	l.entries.view().each(buf, fn)
}

// KeyOf turns a bitmap value of EachValue into the entry's key value (the
// phone number, or the keyed hash) and its expiry (0: none). For hashed
// kinds it reads the store's dictionary: call it under the engine's read
// lock.
func (l *List) KeyOf(v uint64) (key uint64, expires int64) {
	key = v
	if l.dict != nil {
		key = l.dict.Value(uint32(v))
	}
	return key, l.exp.lookup(v)
}
