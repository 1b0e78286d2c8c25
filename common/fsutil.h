/*
 * fsutil: small file-system helpers shared by the server's file stores
 * (the mail outbox, ticket attachments).
 */
#ifndef DIDTRON_FSUTIL_H
#define DIDTRON_FSUTIL_H

#include <sys/types.h>

/* mkdir -p: create dir and its missing parents with mode; existing ones
 * are fine. dir is at most 1023 bytes (longer is cut). 0, or -1 with
 * errno set. */
int fs_mkdir_p(const char *dir, mode_t mode);

#endif
