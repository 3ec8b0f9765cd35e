// Package campaigns is what a campaign is and how a run turns an audience
// into a final contact list: audience → minus customers without a contact
// point for the channel → minus missing consent → minus each suppression
// reason → minus frequency caps → minus calling windows → final. Every
// step is a bitmap operation on customer sets the caller resolved (the
// engine holds the customer-level "suppressed on channel X for purpose Y"
// sets), so a 10M-customer audience is scrubbed with AndNot, never a
// per-row loop; only the suppressed customers' reason lists are walked.
//
// Also here: campaign specs and their validation (channels, purposes,
// sponsors, caps, schedules — cron expressions parsed by robfig/cron),
// contact history and the caps that read it, the established business
// relationship and registry freshness rules, and run manifests.
//
// The package is pure: no I/O, no engine, no journal.
package campaigns
