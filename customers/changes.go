package customers

import (
	"slices"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// changeLog records which customers one Publish changed, linked to the
// publishes before it, so a reader holding an older view can ask which
// customers differ between it and a newer one (Directory.ChangedSince)
// instead of comparing whole directories. Nodes never change once
// published; every view shares the chain of the views before it.
type changeLog struct {
	since, version uint64   // the node covers the changes in (since, version]
	ids            []uint32 // sorted, distinct; nil when wide
	wide           bool     // more customers changed than a node keeps
	total          int      // ids in this node and the nodes it links to
	prev           *changeLog
}

// maxChangeLog bounds the customer ids a chain keeps (4 bytes each):
// past it the chain is cut and readers further behind rebuild what they
// derive from the directory. Two million ids is 8 MiB, and a fifth of a
// 10M directory — beyond any change a reader patches faster than it
// rebuilds.
const maxChangeLog = 1 << 21

// link makes the node of a Publish from version since to version.
func link(prev *changeLog, since, version uint64, ids []uint32) *changeLog {
	slices.Sort(ids)
	ids = slices.Clip(slices.Compact(ids))
	n := &changeLog{since: since, version: version, ids: ids, total: len(ids), prev: prev}
	switch {
	case len(ids) > maxChangeLog:
		n.ids, n.wide, n.total, n.prev = nil, true, 0, nil
	case prev != nil && prev.total+len(ids) <= maxChangeLog:
		n.total += prev.total
	default:
		n.prev = nil
	}
	return n
}

// ChangedSince returns the customers whose rows differ between the view
// at version v (an earlier view of this directory's lineage) and d —
// added or replaced — and ok; ok is false when d does not remember that
// far back (the chain was cut, or d was built from a snapshot after v),
// and the caller must treat every customer as changed. The set may hold
// customers that were replaced by an identical row.
func (d *Directory) ChangedSince(v uint64) (ids *roaring64.Bitmap, ok bool) {
	out := roaring64.NewBitmap()
	if v == d.version {
		return out, true
	}
	if v > d.version {
		return nil, false
	}
	for n := d.changes; n != nil; n = n.prev {
		if n.wide {
			return nil, false
		}
		for lo := 0; lo < len(n.ids); lo += 4096 {
			var buf [4096]uint64
			k := 0
			for _, id := range n.ids[lo:min(lo+4096, len(n.ids))] {
				buf[k] = uint64(id)
				k++
			}
			out.AddMany(buf[:k])
		}
		if n.since <= v {
			return out, true
		}
	}
	return nil, false
}
