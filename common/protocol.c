#include "protocol.h"

#include <string.h>

static const struct { role r; const char *name; } roles[] = {
    { ROLE_SUPER_ADMIN, "super_admin" },
    { ROLE_ADMIN, "admin" },
    { ROLE_NOC, "noc" },
    { ROLE_SUPPORT, "support" },
    { ROLE_CUSTOMER, "customer" },
};

role role_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(name, roles[i].name) == 0)
            return roles[i].r;
    return ROLE_NONE;
}

const char *role_name(role r)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (roles[i].r == r)
            return roles[i].name;
    return NULL;
}
