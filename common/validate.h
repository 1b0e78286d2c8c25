/*
 * validate: checks for the values carriers are made of. Pure functions, no
 * I/O (the time zone check, which reads the tz database, lives in the
 * server's validator). Each returns true when the text is acceptable.
 */
#ifndef DIDTRON_VALIDATE_H
#define DIDTRON_VALIDATE_H

#include <stdbool.h>

/* An active ISO 4217 code, upper case ("USD", "GBP", "EUR"). */
bool valid_currency(const char *code);
/* Minor units of a currency (2 for USD, 0 for JPY, 3 for KWD); -1 if unknown. */
int currency_decimals(const char *code);

/* IPv4 or IPv6 address, optionally with a CIDR prefix length
 * ("10.0.0.0/8", "2001:db8::/32"). Host bits must be zero in a CIDR. */
bool valid_ip_or_cidr(const char *text);
/* IPv4 or IPv6 address, no prefix. */
bool valid_ip(const char *text);

/* A telephone number, E.164-ish: an optional "+", then 1 to 15 digits
 * (no spaces, no punctuation). */
bool valid_phone_number(const char *text);
/* A dialled-digit prefix: 1 to 32 digits. */
bool valid_prefix(const char *text);
/* A tech prefix: 1 to 16 characters of digits, '#' and '*'. */
bool valid_tech_prefix(const char *text);

/* A plausible e-mail address: local@domain.tld, no spaces, at most 254
 * characters, a dot in the domain, no leading/trailing dots. */
bool valid_email(const char *text);

/* A tz database name's shape: "Area/City", letters, digits, "_+-/", no "..",
 * no leading "/" (whether it exists is checked against the database). */
bool valid_timezone_name(const char *text);

#endif
