#include "ledger_text.h"

#include <stdio.h>
#include <string.h>

void period_month_step(int *year, int *month, int delta)
{
    /* months since year 0, so any delta crosses years correctly */
    long total = (long)*year * 12 + (*month - 1) + delta;
    long y = total / 12, m = total % 12;
    if (m < 0) {
        m += 12;
        y--;
    }
    *year = (int)y;
    *month = (int)m + 1;
}

void period_month_bounds(int year, int month, int cur_year, int cur_month, char *from, size_t fn, char *to,
                         size_t tn)
{
    snprintf(from, fn, "%04d-%02d-01", year, month);
    if (year == cur_year && month == cur_month) {
        if (tn)
            to[0] = '\0';
        return;
    }
    int ny = year, nm = month;
    period_month_step(&ny, &nm, 1);
    snprintf(to, tn, "%04d-%02d-01", ny, nm);
}

void period_month_name(int year, int month, char *buf, size_t n)
{
    static const char *const names[12] = { "January", "February", "March", "April", "May", "June",
                                           "July", "August", "September", "October", "November", "December" };
    if (month < 1 || month > 12)
        snprintf(buf, n, "?");
    else
        snprintf(buf, n, "%s %d", names[month - 1], year);
}

const char *credit_block_words(const char *reason)
{
    static const struct {
        const char *reason, *words;
    } table[] = {
        { "credit", "no credit left" },
        { "bilateral_limit", "over the bilateral limit" },
        { "spend_limit_24h", "24 h spend limit reached" },
    };
    if (!reason)
        return "";
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(reason, table[i].reason))
            return table[i].words;
    return reason;
}

bool credit_calls_text(const char *reason, char *buf, size_t n)
{
    if (!reason || !reason[0]) {
        snprintf(buf, n, "allowed");
        return false;
    }
    snprintf(buf, n, "BLOCKED: %s", credit_block_words(reason));
    return true;
}

void ledger_split_amount(const char *amount, char *debit, size_t dn, char *credit, size_t cn)
{
    if (dn)
        debit[0] = '\0';
    if (cn)
        credit[0] = '\0';
    if (!amount || !amount[0])
        return;
    if (amount[0] == '-')
        snprintf(credit, cn, "%s", amount + 1);
    else
        snprintf(debit, dn, "%s", amount[0] == '+' ? amount + 1 : amount);
}
