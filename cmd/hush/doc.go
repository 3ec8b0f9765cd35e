// Command hush is the one binary of hush: suppression lists, opt-outs, live
// checks, campaign scrubs and their proof, over an embedded durable journal.
//
// main only calls run(ctx, args, stdio), which returns the exit code:
// 0 success, 1 user error (bad flags, bad input, unknown list...), 2 internal
// error, 3 "suppressed" from `hush check`.
package main
