package suppression

import "errors"

// Sentinel errors. Every error the package returns wraps one of these, so
// callers branch with errors.Is and map them to exit codes or HTTP statuses
// in one place.
var (
	ErrUnknownChannel   = errors.New("unknown channel")
	ErrUnknownListType  = errors.New("unknown list type")
	ErrUnknownMode      = errors.New("unknown import mode")
	ErrInvalidPurpose   = errors.New("invalid purpose")
	ErrUnknownPurpose   = errors.New("unknown purpose")
	ErrInvalidSpec      = errors.New("invalid list spec")
	ErrInvalidEvent     = errors.New("invalid opt-out event")
	ErrInvalidKey       = errors.New("invalid key")
	ErrInvalidScope     = errors.New("invalid scope")
	ErrListExists       = errors.New("list already exists")
	ErrUnknownList      = errors.New("unknown list")
	ErrStickyList       = errors.New("list holds customer-made refusals")
	ErrEvidenceRequired = errors.New("opt-in needs evidence")
	ErrKindMismatch     = errors.New("key kind does not match the list")
	ErrImportClosed     = errors.New("import already committed")
	ErrStaleVersion     = errors.New("version older than the store's")
	ErrFrozen           = errors.New("store is a frozen read-only view")
	ErrCorruptSnapshot  = errors.New("corrupt suppression snapshot")
	ErrStalePrepared    = errors.New("the store changed since the commit was prepared")
	ErrDictionaryFull   = errors.New("dictionary full")
)
