#include "validate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Active ISO 4217 codes with their minor units. */
typedef struct {
    const char code[4];
    signed char decimals;
} currency;

static const currency currencies[] = {
    { "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "ANG", 2 }, { "AOA", 2 }, { "ARS", 2 },
    { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 }, { "BAM", 2 }, { "BBD", 2 }, { "BDT", 2 }, { "BGN", 2 },
    { "BHD", 3 }, { "BIF", 0 }, { "BMD", 2 }, { "BND", 2 }, { "BOB", 2 }, { "BRL", 2 }, { "BSD", 2 },
    { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 }, { "BZD", 2 }, { "CAD", 2 }, { "CDF", 2 }, { "CHF", 2 },
    { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 }, { "CRC", 2 }, { "CUP", 2 }, { "CVE", 2 }, { "CZK", 2 },
    { "DJF", 0 }, { "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 }, { "EGP", 2 }, { "ERN", 2 }, { "ETB", 2 },
    { "EUR", 2 }, { "FJD", 2 }, { "FKP", 2 }, { "GBP", 2 }, { "GEL", 2 }, { "GHS", 2 }, { "GIP", 2 },
    { "GMD", 2 }, { "GNF", 0 }, { "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 }, { "HNL", 2 }, { "HTG", 2 },
    { "HUF", 2 }, { "IDR", 2 }, { "ILS", 2 }, { "INR", 2 }, { "IQD", 3 }, { "IRR", 2 }, { "ISK", 0 },
    { "JMD", 2 }, { "JOD", 3 }, { "JPY", 0 }, { "KES", 2 }, { "KGS", 2 }, { "KHR", 2 }, { "KMF", 0 },
    { "KPW", 2 }, { "KRW", 0 }, { "KWD", 3 }, { "KYD", 2 }, { "KZT", 2 }, { "LAK", 2 }, { "LBP", 2 },
    { "LKR", 2 }, { "LRD", 2 }, { "LSL", 2 }, { "LYD", 3 }, { "MAD", 2 }, { "MDL", 2 }, { "MGA", 2 },
    { "MKD", 2 }, { "MMK", 2 }, { "MNT", 2 }, { "MOP", 2 }, { "MRU", 2 }, { "MUR", 2 }, { "MVR", 2 },
    { "MWK", 2 }, { "MXN", 2 }, { "MYR", 2 }, { "MZN", 2 }, { "NAD", 2 }, { "NGN", 2 }, { "NIO", 2 },
    { "NOK", 2 }, { "NPR", 2 }, { "NZD", 2 }, { "OMR", 3 }, { "PAB", 2 }, { "PEN", 2 }, { "PGK", 2 },
    { "PHP", 2 }, { "PKR", 2 }, { "PLN", 2 }, { "PYG", 0 }, { "QAR", 2 }, { "RON", 2 }, { "RSD", 2 },
    { "RUB", 2 }, { "RWF", 0 }, { "SAR", 2 }, { "SBD", 2 }, { "SCR", 2 }, { "SDG", 2 }, { "SEK", 2 },
    { "SGD", 2 }, { "SHP", 2 }, { "SLE", 2 }, { "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 }, { "STN", 2 },
    { "SVC", 2 }, { "SYP", 2 }, { "SZL", 2 }, { "THB", 2 }, { "TJS", 2 }, { "TMT", 2 }, { "TND", 3 },
    { "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 }, { "TWD", 2 }, { "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 },
    { "USD", 2 }, { "UYU", 2 }, { "UZS", 2 }, { "VED", 2 }, { "VES", 2 }, { "VND", 0 }, { "VUV", 0 },
    { "WST", 2 }, { "XAF", 0 }, { "XCD", 2 }, { "XCG", 2 }, { "XOF", 0 }, { "XPF", 0 }, { "YER", 2 },
    { "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 }, { "ZWL", 2 },
};

static int cmp_code(const void *key, const void *elem)
{
    return strcmp(key, (const char *)elem);
}

int currency_decimals(const char *code)
{
    if (!code || strlen(code) != 3)
        return -1;
    const void *hit = bsearch(code, currencies, sizeof currencies / sizeof currencies[0],
                              sizeof currencies[0], cmp_code);
    return hit ? ((const currency *)hit)->decimals : -1;
}

bool valid_currency(const char *code)
{
    return currency_decimals(code) >= 0;
}

bool valid_ip(const char *text)
{
    unsigned char buf[16];
    if (!text || strlen(text) > 45)
        return false;
    return inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1;
}

bool valid_ip_or_cidr(const char *text)
{
    if (!text)
        return false;
    const char *slash = strchr(text, '/');
    if (!slash)
        return valid_ip(text);
    char addr[64];
    size_t n = (size_t)(slash - text);
    if (n == 0 || n >= sizeof addr)
        return false;
    memcpy(addr, text, n);
    addr[n] = '\0';
    const char *p = slash + 1;
    if (!*p || strlen(p) > 3)
        return false;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return false;
    if (p[0] == '0' && p[1])
        return false;
    int bits = atoi(p);
    unsigned char b[16];
    int len;
    if (inet_pton(AF_INET, addr, b) == 1)
        len = 4;
    else if (inet_pton(AF_INET6, addr, b) == 1)
        len = 16;
    else
        return false;
    if (bits > len * 8)
        return false;
    /* No host bits set beyond the prefix. */
    for (int i = 0; i < len; i++) {
        int keep = bits - i * 8;
        unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
        if (b[i] & (unsigned char)~mask)
            return false;
    }
    return true;
}

static bool all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

bool valid_phone_number(const char *text)
{
    if (!text)
        return false;
    return all_digits(text[0] == '+' ? text + 1 : text, 1, 15);
}

bool valid_prefix(const char *text)
{
    return text && all_digits(text, 1, 32);
}

bool valid_tech_prefix(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (n < 1 || n > 16)
        return false;
    for (; *text; text++)
        if (!isdigit((unsigned char)*text) && *text != '#' && *text != '*')
            return false;
    return true;
}

bool valid_email(const char *text)
{
    if (!text)
        return false;
    size_t n = strlen(text);
    const char *at = strchr(text, '@');
    if (n < 6 || n > 254 || !at || at == text || strchr(at + 1, '@') || (size_t)(at - text) > 64)
        return false;
    for (const char *p = text; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '"' || *p == '(' || *p == ')' || *p == ',' || *p == ';' ||
            *p == '<' || *p == '>' || *p == '[' || *p == ']' || *p == '\\' || (unsigned char)*p == 0x7f)
            return false;
    const char *domain = at + 1;
    const char *dot = strrchr(domain, '.');
    if (!dot || dot == domain || !dot[1] || strlen(dot + 1) < 2)
        return false;
    if (text[0] == '.' || at[-1] == '.' || domain[0] == '.' || domain[0] == '-' || text[n - 1] == '.' ||
        strstr(text, ".."))
        return false;
    return true;
}

bool valid_timezone_name(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (n < 1 || n > 64 || text[0] == '/' || text[0] == '.' || strstr(text, "..") || text[n - 1] == '/')
        return false;
    for (; *text; text++)
        if (!isalnum((unsigned char)*text) && !strchr("_+-/", *text))
            return false;
    return true;
}
