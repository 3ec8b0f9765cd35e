// Package scheduler runs hush's periodic jobs on cron schedules
// (robfig/cron, standard five-field specs and @daily-style descriptors):
// today the RFM refresh, which re-scores the stored purchases and swaps
// the published segments and indexes. A job never overlaps itself: a run
// still going when the next is due makes the next one skip, and says so.
package scheduler
