package suppression

import (
	"fmt"
	"slices"
	"time"

	"github.com/hushcrm/hush/contactkey"
)

// legacyCommitImport is CommitImport as it was before PrepareCommit and
// Publish split it: one step that assigns dictionary ids as it stages.
// Tests hold the split to it byte for byte.
func (s *Store) legacyCommitImport(im *Import, version uint64, at time.Time) (ImportResult, error) {
	if err := s.mutate(version); err != nil {
		return ImportResult{}, err
	}
	if im.done {
		return ImportResult{}, fmt.Errorf("%w: list %q", ErrImportClosed, im.list)
	}
	l, ok := s.lists[im.list]
	if !ok {
		return ImportResult{}, fmt.Errorf("%w: %q (deleted during the import)", ErrUnknownList, im.list)
	}
	if l.spec.Kind != im.kind {
		return ImportResult{}, fmt.Errorf("%w: list %q kind", ErrKindMismatch, im.list)
	}
	defer im.release()
	staged, pairs := im.legacyStaged(s.dicts[im.kind])
	old := l.entries.view()
	inter := staged.andCard(old)
	sticky := l.spec.Sticky()
	var res ImportResult
	var final set
	var exp expiries
	keepLonger := func(inOld, inNew bool, oldAt, newAt int64) int64 {
		switch {
		case inOld && inNew:
			return laterExpiry(oldAt, newAt)
		case inOld:
			return oldAt
		}
		return newAt
	}
	switch {
	case im.mode == Add || im.mode == Replace && sticky:
		final = setOr(old, staged)
		res.Added = staged.card() - inter
		if im.mode == Replace {
			res.KeptSticky = old.card() - inter
		}
		exp = mergeExpiries(final, l.exp, old, pairs, staged, keepLonger)
	case im.mode == Replace:
		final = staged
		res.Added = staged.card() - inter
		res.Removed = old.card() - inter
		exp = mergeExpiries(final, expiries{}, old, pairs, staged, func(_, _ bool, _, newAt int64) int64 { return newAt })
	case sticky:
		final = old
		res.KeptSticky = inter
		exp = l.exp
	default:
		final = setAndNot(old, staged)
		res.Removed = inter
		exp = mergeExpiries(final, l.exp, old, nil, staged, func(_, _ bool, oldAt, _ int64) int64 { return oldAt })
	}
	res.Total = final.card()
	s.version = version
	if res.Added == 0 && res.Removed == 0 && slices.Equal(exp.keys, l.exp.keys) && slices.Equal(exp.at, l.exp.at) {
		return res, nil
	}
	s.lists[im.list] = l.with(freeze(final), exp, version, at.UnixNano())
	s.listsVersion = version
	return res, nil
}

func (im *Import) legacyStaged(dict *contactkey.Dictionary) (set, []expPair) {
	phone := im.kind == contactkey.KindPhone
	var perm set
	pairs := im.pairs
	if phone {
		im.flushPending()
		perm = setFastOr(true, im.parts)
	} else {
		vals := make([]uint64, 0, len(im.raw))
		for i, v := range im.raw {
			var id uint32
			if im.mode == Remove {
				var ok bool
				if id, ok = dict.Lookup(v); !ok {
					continue
				}
			} else {
				id = dict.Assign(v)
			}
			if im.rawExp != nil && im.rawExp[i] != 0 {
				pairs = append(pairs, expPair{uint64(id), im.rawExp[i]})
				continue
			}
			vals = append(vals, uint64(id))
		}
		radixSort(vals, nil, nil, nil)
		perm = newSet(false)
		perm.addSorted(vals)
	}
	if len(pairs) == 0 {
		return perm, nil
	}
	pairs = sortPairs(pairs)
	out := pairs[:0]
	for _, p := range pairs {
		if !perm.contains(p.v) {
			out = append(out, p)
		}
	}
	vals := make([]uint64, len(out))
	for i, p := range out {
		vals[i] = p.v
	}
	withExp := newSet(phone)
	withExp.addSorted(vals)
	return setOr(perm, withExp), out
}
