/*
 * netaddr: IPv4/IPv6 addresses and networks, and whether one holds the
 * other — the way PostgreSQL's `inet <<=` answers it for our lists of
 * signalling IPs and switch allow-lists. An IPv4-mapped IPv6 address
 * ("::ffff:192.0.2.1") is read as the IPv4 address.
 */
#ifndef DIDTRON_NETADDR_H
#define DIDTRON_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int bits;                /* prefix length; 32 / 128 for a single address */
} net_addr;

/* Parse len bytes of text: an address, or with cidr also "addr/bits".
 * false when it is neither. */
bool net_addr_parse(const char *text, size_t len, net_addr *a, bool cidr);

/* Does network net hold address (or network) ip? Families must match. */
bool net_addr_contains(const net_addr *net, const net_addr *ip);

#endif
