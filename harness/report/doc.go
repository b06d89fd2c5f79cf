// Package report turns stored results into tables: per dataset and
// experiment the metrics with their intervals, the differences to a
// baseline row with paired tests and clustered intervals, per language,
// held-out and zero-shot languages, answers, training settings and
// validation curves; rendered for a terminal, as Markdown, or as one tidy
// long table (CSV, JSON lines). The statistics come from each result's
// per-query values (packages stats and statcache).
package report
