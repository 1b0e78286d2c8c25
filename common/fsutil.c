#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

int fs_mkdir_p(const char *dir, mode_t mode)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, mode) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, mode) && errno != EEXIST ? -1 : 0;
}
