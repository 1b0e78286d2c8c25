/*
 * demo: the data `didtrond serve --demo` starts with — the admin/admin
 * account and a small, realistic carrier network. Everything but the admin
 * goes through the same methods a client would call (validated, audited as
 * "demo"), and only into an empty database.
 */
#ifndef DIDTRON_DEMO_H
#define DIDTRON_DEMO_H

#include <libpq-fe.h>
#include <stddef.h>

#include "config.h"

/* 0, or -1 with a message in err. */
int demo_seed(PGconn *db, const dt_config *cfg, char *err, size_t errlen);

#endif
