/* netaddr.c: see netaddr.h. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

bool net_addr_parse(const char *text, size_t len, net_addr *a, bool cidr)
{
    char buf[64];
    if (!text || len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *slash = cidr ? strchr(buf, '/') : NULL;
    if (slash)
        *slash = '\0';
    const char *host = buf;
    if (!strncasecmp(host, "::ffff:", 7) && strchr(host + 7, '.') && !strchr(host + 7, ':'))
        host += 7;
    if (inet_pton(AF_INET, host, a->addr) == 1) {
        a->family = AF_INET;
        a->bits = 32;
    } else if (inet_pton(AF_INET6, host, a->addr) == 1) {
        a->family = AF_INET6;
        a->bits = 128;
    } else {
        return false;
    }
    if (slash) {
        const char *p = slash + 1;
        int bits = 0, digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
            bits = bits * 10 + (*p - '0');
        if (!digits || *p || bits > a->bits)
            return false;
        a->bits = bits;
    }
    return true;
}

bool net_addr_contains(const net_addr *net, const net_addr *ip)
{
    if (net->family != ip->family || ip->bits < net->bits)
        return false;
    int full = net->bits / 8, rest = net->bits % 8;
    if (memcmp(net->addr, ip->addr, (size_t)full))
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (net->addr[full] & mask) == (ip->addr[full] & mask);
}
