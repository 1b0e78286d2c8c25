/*
 * layout: the console's geometry as plain integer arithmetic (see layout.h).
 *
 * Design:
 *  - Every function clamps what it is given instead of trusting it: a
 *    negative or zero terminal size, a negative gap or width, a huge value.
 *    No rectangle it writes has a negative height or width, and sums are
 *    done in long long so that absurd inputs cannot overflow.
 *  - Splits are exact: the parts plus the gaps (or separators) add up to the
 *    space given, the remainder of an integer division going to the first
 *    parts (for columns and stacks) or to the heaviest columns (tables).
 *  - Text width does not use wcwidth(): that depends on setlocale() and on
 *    the C library's tables, so tests and terminals would disagree. A small
 *    UTF-8 decoder and a compact table of zero-width and wide ranges are
 *    enough for the text a console shows (names, ids, CJK, a few symbols).
 *  - utf8_fit() produces text that is safe to hand to the screen: control
 *    characters (width 0) are dropped, since raw they would move the cursor
 *    or start an escape sequence, and each invalid byte (width 1) becomes
 *    '?', so the width returned is the width the terminal will show.
 */
#include "layout.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define CP_INVALID UINT32_MAX

/* ---- rectangles ---------------------------------------------------------- */

static int clamp0(int v)
{
    return v < 0 ? 0 : v;
}

static rect make_rect(int y, int x, int h, int w)
{
    rect r = { y, x, clamp0(h), clamp0(w) };
    return r;
}

void layout_compute(int rows, int cols, bool submenu_visible, layout *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    if (rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS) {
        out->too_small = true;
        return;
    }
    int body_h = rows - 3; /* header, tabs and dock take one row each */
    int sub_w = submenu_visible ? LAYOUT_SUBMENU_WIDTH : 0;
    int content_x = LAYOUT_RAIL_WIDTH + sub_w;

    out->header = make_rect(0, 0, 1, cols);
    out->tabs = make_rect(1, 0, 1, cols);
    out->rail = make_rect(2, 0, body_h, LAYOUT_RAIL_WIDTH);
    out->submenu = make_rect(2, LAYOUT_RAIL_WIDTH, body_h, sub_w);
    out->content = make_rect(2, content_x, body_h, cols - content_x);
    out->dock = make_rect(rows - 1, 0, 1, cols);
}

/*
 * Part i of `total` cells split into n parts separated by `gap` cells: its
 * offset from the start and its size. Sizes differ by at most one, the
 * larger ones first. When the gaps alone do not fit they shrink, so every
 * part stays inside `total` and none is negative.
 */
static void span_part(int total, int n, int gap, int i, int *offset, int *size)
{
    long long t = clamp0(total), g = clamp0(gap);
    if (n > 1 && g * (n - 1) > t)
        g = t / (n - 1);
    long long avail = t - g * (n - 1);
    long long base = avail / n, rem = avail % n;
    *offset = (int)(i * (base + g) + (i < rem ? i : rem));
    *size = (int)(base + (i < rem ? 1 : 0));
}

bool layout_columns(rect area, int n, int fold_width, int gap, rect *out)
{
    if (n <= 0 || out == NULL)
        return false;
    bool side = area.w >= fold_width;
    for (int i = 0; i < n; i++) {
        int off, sz;
        if (side) {
            span_part(area.w, n, gap, i, &off, &sz);
            out[i] = make_rect(area.y, area.x + off, area.h, sz);
        } else {
            span_part(area.h, n, gap, i, &off, &sz);
            out[i] = make_rect(area.y + off, area.x, sz, area.w);
        }
    }
    return side;
}

/* ---- UTF-8 text ----------------------------------------------------------- */

/*
 * Decode one character at p (not at its NUL). Returns the bytes it takes;
 * an invalid, overlong, surrogate or truncated sequence gives CP_INVALID
 * and 1, so the next byte is looked at on its own.
 */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
    static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t len;
    uint32_t c;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2;
        c = p[0] & 0x1Fu;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3;
        c = p[0] & 0x0Fu;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4;
        c = p[0] & 0x07u;
    } else {
        *cp = CP_INVALID;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0u) != 0x80u) { /* also stops at the NUL */
            *cp = CP_INVALID;
            return 1;
        }
        c = (c << 6) | (p[i] & 0x3Fu);
    }
    if (c < min_cp[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *cp = CP_INVALID;
        return 1;
    }
    *cp = c;
    return len;
}

typedef struct {
    uint32_t lo, hi;
} cp_range;

static const cp_range zero_width[] = {
    { 0x0300, 0x036F }, { 0x1AB0, 0x1AFF }, { 0x1DC0, 0x1DFF }, { 0x200B, 0x200F },
    { 0x20D0, 0x20FF }, { 0xFE20, 0xFE2F }, { 0xFEFF, 0xFEFF },
};

static const cp_range wide[] = {
    { 0x1100, 0x115F },   { 0x2E80, 0x303E },   { 0x3041, 0x33FF },   { 0x3400, 0x4DBF },
    { 0x4E00, 0x9FFF },   { 0xA000, 0xA4CF },   { 0xAC00, 0xD7A3 },   { 0xF900, 0xFAFF },
    { 0xFE30, 0xFE4F },   { 0xFF00, 0xFF60 },   { 0xFFE0, 0xFFE6 },   { 0x1F300, 0x1F64F },
    { 0x1F900, 0x1F9FF }, { 0x20000, 0x2FFFD }, { 0x30000, 0x3FFFD },
};

static bool in_ranges(uint32_t c, const cp_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c >= r[i].lo && c <= r[i].hi)
            return true;
    return false;
}

static bool is_control(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

static int cp_width(uint32_t c)
{
    if (c == CP_INVALID)
        return 1;
    if (is_control(c) || in_ranges(c, zero_width, sizeof zero_width / sizeof *zero_width))
        return 0;
    if (in_ranges(c, wide, sizeof wide / sizeof *wide))
        return 2;
    return 1;
}

int utf8_width(const char *s)
{
    if (s == NULL)
        return 0;
    const unsigned char *p = (const unsigned char *)s;
    long long w = 0;
    while (*p) {
        uint32_t c;
        p += utf8_decode(p, &c);
        w += cp_width(c);
    }
    return w > INT_MAX ? INT_MAX : (int)w;
}

/* One character as utf8_fit() writes it: its bytes in the output (0 for a
 * dropped control, 1 for the '?' of an invalid byte) and its width. */
typedef struct {
    size_t in_len, out_len;
    int width;
    uint32_t cp;
} fit_char;

static fit_char fit_next(const unsigned char *p)
{
    fit_char f;
    f.in_len = utf8_decode(p, &f.cp);
    f.width = cp_width(f.cp);
    f.out_len = f.cp == CP_INVALID ? 1 : is_control(f.cp) ? 0 : f.in_len;
    return f;
}

static void fit_emit(const unsigned char *p, fit_char f, char *out, size_t *used)
{
    if (f.out_len == 0)
        return;
    if (f.cp == CP_INVALID)
        out[*used] = '?';
    else
        memcpy(out + *used, p, f.out_len);
    *used += f.out_len;
}

/* Does all of s fit in max_width columns and `room` bytes? */
static bool fits_whole(const unsigned char *p, long long max_width, size_t room)
{
    long long w = 0;
    size_t bytes = 0;
    while (*p) {
        fit_char f = fit_next(p);
        w += f.width;
        bytes += f.out_len;
        if (w > max_width || bytes > room)
            return false;
        p += f.in_len;
    }
    return true;
}

/* Copy characters while they fit in max_width columns and room bytes;
 * stops at the first that does not (a wide one straddling the limit is
 * dropped, never split). Returns the width copied. */
static int copy_prefix(const unsigned char *p, int max_width, size_t room, char *out, size_t *used)
{
    int w = 0;
    while (*p) {
        fit_char f = fit_next(p);
        if (w + f.width > max_width || *used + f.out_len > room)
            break;
        fit_emit(p, f, out, used);
        w += f.width;
        p += f.in_len;
    }
    return w;
}

int utf8_fit(const char *s, int max_width, bool utf8, char *out, size_t outlen)
{
    if (out == NULL || outlen == 0)
        return 0;
    out[0] = '\0';
    if (max_width <= 0)
        return 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t room = outlen - 1, used = 0;
    int w;
    if (fits_whole(p, max_width, room)) {
        w = copy_prefix(p, max_width, room, out, &used);
    } else {
        /* Cut: the text gets max_width - 1 columns, the ellipsis the last.
         * When the buffer cannot hold "…", "." stands in for it. */
        const char *ell = utf8 ? "\xE2\x80\xA6" : ".";
        if (strlen(ell) > room)
            ell = ".";
        if (strlen(ell) > room)
            return 0;
        w = copy_prefix(p, max_width - 1, room - strlen(ell), out, &used);
        memcpy(out + used, ell, strlen(ell));
        used += strlen(ell);
        w += 1;
    }
    out[used] = '\0';
    return w;
}

/* ---- table columns -------------------------------------------------------- */

/* How many columns, from the left, fit at their minimum widths. */
static int visible_columns(int width, int ncols, const int *min_w, long long *min_sum)
{
    long long sum = 0;
    int k = 0;
    for (int i = 0; i < ncols; i++) {
        long long next = sum + clamp0(min_w[i]);
        if (next + i > width) /* i separators before column i */
            break;
        sum = next;
        k = i + 1;
    }
    *min_sum = sum;
    return k;
}

/* A column's weight; negative counts as 0, no weights at all as 0 each. */
static int weight_of(const int *weight, int i)
{
    return weight ? clamp0(weight[i]) : 0;
}

/* The largest weight among the first k that is below `below`; -1 if none. */
static long long next_weight_level(const int *weight, int k, long long below)
{
    long long best = -1;
    for (int i = 0; i < k; i++)
        if (weight_of(weight, i) < below && weight_of(weight, i) > best)
            best = weight_of(weight, i);
    return best;
}

/* Give `rem` extra columns, one each, to the heaviest columns first and the
 * leftmost among equals. With no weights at all, simply leftmost first. */
static void share_remainder(long long rem, int k, const int *weight, bool weighted, int *out_w)
{
    long long level = (long long)INT_MAX + 1;
    while (rem > 0) {
        level = weighted ? next_weight_level(weight, k, level) : 0;
        if (level < 0)
            return; /* cannot happen: rem < the number of weighted columns */
        for (int i = 0; i < k && rem > 0; i++) {
            if (weight_of(weight, i) == level) {
                out_w[i]++;
                rem--;
            }
        }
    }
}

/* Share `spare` among the first k columns by weight, adding to out_w. */
static void share_spare(long long spare, int k, const int *weight, int *out_w)
{
    long long total = 0;
    for (int i = 0; i < k; i++)
        total += weight_of(weight, i);
    bool weighted = total > 0;
    long long given = 0;
    for (int i = 0; i < k; i++) {
        long long share = weighted ? spare * weight_of(weight, i) / total : spare / k;
        out_w[i] += (int)share;
        given += share;
    }
    /* Integer shares leave less than one column per weighted column. */
    share_remainder(spare - given, k, weight, weighted, out_w);
}

void layout_table_columns(int width, int ncols, const int *min_w, const int *weight, int *out_w)
{
    if (ncols <= 0 || out_w == NULL)
        return;
    memset(out_w, 0, sizeof *out_w * (size_t)ncols);
    if (min_w == NULL)
        return;
    long long min_sum;
    int k = visible_columns(width, ncols, min_w, &min_sum);
    if (k == 0)
        return;
    for (int i = 0; i < k; i++)
        out_w[i] = clamp0(min_w[i]);
    long long spare = width - min_sum - (k - 1);
    if (spare > 0)
        share_spare(spare, k, weight, out_w);
}
