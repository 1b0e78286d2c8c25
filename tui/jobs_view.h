/*
 * jobs_view: one job of the job queue (admins): its state, payload,
 * attempts, last error and delivery log (job.get), live from job.changed;
 * r retries a dead job (asks). The list itself is the "jobs" list_screen
 * description (list_screen.c).
 */
#ifndef DIDTRON_TUI_JOBS_VIEW_H
#define DIDTRON_TUI_JOBS_VIEW_H

#include "screen.h"

/* Open (or go to) a job's tab. */
void job_open(long long id, const char *kind);

#endif
