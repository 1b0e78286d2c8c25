/*
 * gen_deck: write a realistic rate deck as CSV.
 *
 *   gen_deck [ROWS] [SEED] > deck.csv        (ROWS 1,000,000, SEED 1)
 *
 * About 200 real country codes, each with its own row plus prefixes of 1 to
 * 8 more digits (all unique); a handful of destinations per country
 * (Fixed, Mobile, operators...), each with one rate of 4 to 6 decimals and
 * one increment scheme, so neighbouring prefixes share tariffs the way a
 * carrier's deck does. Destination names with commas come out quoted. The
 * same ROWS and SEED always give the same bytes.
 *
 * bench_rating links this file (with GEN_DECK_NO_MAIN) to generate a deck
 * in process and feed it straight into the parser.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*gen_emit_fn)(void *ud, const char *buf, size_t n);
int gen_deck(long rows, uint64_t seed, gen_emit_fn emit, void *ud);

typedef struct {
    const char *code;
    const char *name;
} country;

static const country countries[] = {
    { "1", "United States" }, { "7", "Russia" }, { "20", "Egypt" }, { "27", "South Africa" },
    { "30", "Greece" }, { "31", "Netherlands" }, { "32", "Belgium" }, { "33", "France" },
    { "34", "Spain" }, { "36", "Hungary" }, { "39", "Italy" }, { "40", "Romania" },
    { "41", "Switzerland" }, { "43", "Austria" }, { "44", "United Kingdom" }, { "45", "Denmark" },
    { "46", "Sweden" }, { "47", "Norway" }, { "48", "Poland" }, { "49", "Germany" },
    { "51", "Peru" }, { "52", "Mexico" }, { "53", "Cuba" }, { "54", "Argentina" },
    { "55", "Brazil" }, { "56", "Chile" }, { "57", "Colombia" }, { "58", "Venezuela" },
    { "60", "Malaysia" }, { "61", "Australia" }, { "62", "Indonesia" }, { "63", "Philippines" },
    { "64", "New Zealand" }, { "65", "Singapore" }, { "66", "Thailand" }, { "81", "Japan" },
    { "82", "Korea, Republic of" }, { "84", "Vietnam" }, { "86", "China" }, { "90", "Turkey" },
    { "91", "India" }, { "92", "Pakistan" }, { "93", "Afghanistan" }, { "94", "Sri Lanka" },
    { "95", "Myanmar" }, { "98", "Iran" }, { "211", "South Sudan" }, { "212", "Morocco" },
    { "213", "Algeria" }, { "216", "Tunisia" }, { "218", "Libya" }, { "220", "Gambia" },
    { "221", "Senegal" }, { "222", "Mauritania" }, { "223", "Mali" }, { "224", "Guinea" },
    { "225", "C\xC3\xB4te d'Ivoire" }, { "226", "Burkina Faso" }, { "227", "Niger" }, { "228", "Togo" },
    { "229", "Benin" }, { "230", "Mauritius" }, { "231", "Liberia" }, { "232", "Sierra Leone" },
    { "233", "Ghana" }, { "234", "Nigeria" }, { "235", "Chad" }, { "236", "Central African Republic" },
    { "237", "Cameroon" }, { "238", "Cape Verde" }, { "239", "Sao Tome and Principe" },
    { "240", "Equatorial Guinea" }, { "241", "Gabon" }, { "242", "Congo" },
    { "243", "Congo, Democratic Republic of the" }, { "244", "Angola" }, { "245", "Guinea-Bissau" },
    { "248", "Seychelles" }, { "249", "Sudan" }, { "250", "Rwanda" }, { "251", "Ethiopia" },
    { "252", "Somalia" }, { "253", "Djibouti" }, { "254", "Kenya" }, { "255", "Tanzania" },
    { "256", "Uganda" }, { "257", "Burundi" }, { "258", "Mozambique" }, { "260", "Zambia" },
    { "261", "Madagascar" }, { "262", "Reunion" }, { "263", "Zimbabwe" }, { "264", "Namibia" },
    { "265", "Malawi" }, { "266", "Lesotho" }, { "267", "Botswana" }, { "268", "Eswatini" },
    { "269", "Comoros" }, { "290", "Saint Helena" }, { "291", "Eritrea" }, { "297", "Aruba" },
    { "298", "Faroe Islands" }, { "299", "Greenland" }, { "350", "Gibraltar" }, { "351", "Portugal" },
    { "352", "Luxembourg" }, { "353", "Ireland" }, { "354", "Iceland" }, { "355", "Albania" },
    { "356", "Malta" }, { "357", "Cyprus" }, { "358", "Finland" }, { "359", "Bulgaria" },
    { "370", "Lithuania" }, { "371", "Latvia" }, { "372", "Estonia" }, { "373", "Moldova" },
    { "374", "Armenia" }, { "375", "Belarus" }, { "376", "Andorra" }, { "377", "Monaco" },
    { "378", "San Marino" }, { "380", "Ukraine" }, { "381", "Serbia" }, { "382", "Montenegro" },
    { "383", "Kosovo" }, { "385", "Croatia" }, { "386", "Slovenia" }, { "387", "Bosnia and Herzegovina" },
    { "389", "North Macedonia" }, { "420", "Czech Republic" }, { "421", "Slovakia" },
    { "423", "Liechtenstein" }, { "500", "Falkland Islands" }, { "501", "Belize" },
    { "502", "Guatemala" }, { "503", "El Salvador" }, { "504", "Honduras" }, { "505", "Nicaragua" },
    { "506", "Costa Rica" }, { "507", "Panama" }, { "509", "Haiti" }, { "590", "Guadeloupe" },
    { "591", "Bolivia" }, { "592", "Guyana" }, { "593", "Ecuador" }, { "594", "French Guiana" },
    { "595", "Paraguay" }, { "596", "Martinique" }, { "597", "Suriname" }, { "598", "Uruguay" },
    { "599", "Curacao" }, { "670", "Timor-Leste" }, { "673", "Brunei" }, { "674", "Nauru" },
    { "675", "Papua New Guinea" }, { "676", "Tonga" }, { "677", "Solomon Islands" }, { "678", "Vanuatu" },
    { "679", "Fiji" }, { "680", "Palau" }, { "685", "Samoa" }, { "686", "Kiribati" },
    { "687", "New Caledonia" }, { "689", "French Polynesia" }, { "691", "Micronesia" },
    { "692", "Marshall Islands" }, { "850", "Korea, Democratic People's Republic of" },
    { "852", "Hong Kong" }, { "853", "Macau" }, { "855", "Cambodia" }, { "856", "Laos" },
    { "870", "Inmarsat" }, { "880", "Bangladesh" }, { "881", "Global Mobile Satellite" },
    { "882", "International Networks" }, { "886", "Taiwan" }, { "960", "Maldives" },
    { "961", "Lebanon" }, { "962", "Jordan" }, { "963", "Syria" }, { "964", "Iraq" },
    { "965", "Kuwait" }, { "966", "Saudi Arabia" }, { "967", "Yemen" }, { "968", "Oman" },
    { "970", "Palestine" }, { "971", "United Arab Emirates" }, { "972", "Israel" },
    { "973", "Bahrain" }, { "974", "Qatar" }, { "975", "Bhutan" }, { "976", "Mongolia" },
    { "977", "Nepal" }, { "992", "Tajikistan" }, { "993", "Turkmenistan" }, { "994", "Azerbaijan" },
    { "995", "Georgia" }, { "996", "Kyrgyzstan" }, { "998", "Uzbekistan" },
};
#define NCOUNTRIES (sizeof countries / sizeof countries[0])
/* The first 46 (two-digit codes and the NANP/Russia) carry more traffic,
 * and more prefixes. */
#define BIG_COUNTRIES 46

static const char *const kinds[] = { "Fixed", "Mobile", "Mobile - Operator A", "Mobile - Operator B",
                                     "Mobile - Operator C", "Premium", "Special Services", "Satellite" };

/* Increment schemes: initial / subsequent / minimum. */
static const int schemes[][3] = { { 1, 1, 0 }, { 60, 60, 0 }, { 30, 6, 0 }, { 6, 6, 0 }, { 60, 1, 0 }, { 1, 1, 10 } };

typedef struct {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static uint32_t below(rng *r, uint32_t n)
{
    return (uint32_t)((next(r) >> 32) % n);
}

typedef struct {
    char name[96];
    char rate[16], fee[16];
    int scheme;
} destination;

/* Output, buffered. */
typedef struct {
    char buf[1 << 16];
    size_t len;
    gen_emit_fn emit;
    void *ud;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->len + n > sizeof o->buf) {
        o->emit(o->ud, o->buf, o->len);
        o->len = 0;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* A rate of 0.001 to 0.5 with 4, 5 or 6 decimals, as text. */
static void make_rate(rng *r, char *buf, size_t n)
{
    uint32_t micro = 1000 + below(r, 499000);
    int decimals = 4 + (int)below(r, 3);
    static const uint32_t step[] = { 100, 10, 1 };
    micro -= micro % step[decimals - 4];
    snprintf(buf, n, "0.%0*" PRIu32, decimals, micro / step[decimals - 4]);
}

int gen_deck(long rows, uint64_t seed, gen_emit_fn emit, void *ud)
{
    rng r = { seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL };
    size_t ndest = NCOUNTRIES * 8;
    destination *dest = calloc(ndest, sizeof *dest);
    int *dest_count = calloc(NCOUNTRIES, sizeof *dest_count);
    /* unique prefixes: value * 16 + length, open addressing */
    size_t cap = 1024;
    while (cap < (size_t)rows * 3)
        cap *= 2;
    uint64_t *seen = calloc(cap, sizeof *seen);
    out *o = malloc(sizeof *o);
    if (!dest || !dest_count || !seen || !o) {
        free(dest);
        free(dest_count);
        free(seen);
        free(o);
        return -1;
    }
    o->len = 0;
    o->emit = emit;
    o->ud = ud;

    for (size_t c = 0; c < NCOUNTRIES; c++) {
        dest_count[c] = 3 + (int)below(&r, 6);
        for (int k = 0; k < dest_count[c]; k++) {
            destination *d = &dest[c * 8 + (size_t)k];
            snprintf(d->name, sizeof d->name, "%s - %s", countries[c].name, kinds[k]);
            make_rate(&r, d->rate, sizeof d->rate);
            snprintf(d->fee, sizeof d->fee, "%s", below(&r, 10) == 0 ? "0.01" : "0");
            d->scheme = (int)below(&r, sizeof schemes / sizeof schemes[0]);
        }
    }

    static const char header[] = "prefix,destination,rate,connection_fee,initial_increment,"
                                 "subsequent_increment,min_duration,effective_from\n";
    put(o, header, sizeof header - 1);
    long written = 0;
    uint32_t weight_total = BIG_COUNTRIES * 8 + (uint32_t)(NCOUNTRIES - BIG_COUNTRIES) * 2;
    for (long i = 0; written < rows; i++) {
        size_t c;
        char prefix[16];
        size_t cl;
        if (i < (long)NCOUNTRIES) {
            c = (size_t)i; /* every country's own row first */
            cl = strlen(countries[c].code);
            memcpy(prefix, countries[c].code, cl + 1);
        } else {
            uint32_t w = below(&r, weight_total);
            c = w < BIG_COUNTRIES * 8 ? w / 8 : BIG_COUNTRIES + (w - BIG_COUNTRIES * 8) / 2;
            cl = strlen(countries[c].code);
            memcpy(prefix, countries[c].code, cl);
            /* 1..8 more digits, most often 4 to 6 */
            static const int extra_len[] = { 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 7, 7, 8 };
            int extra = extra_len[below(&r, sizeof extra_len / sizeof extra_len[0])];
            for (int k = 0; k < extra; k++)
                prefix[cl + (size_t)k] = (char)('0' + below(&r, 10));
            cl += (size_t)extra;
            prefix[cl] = '\0';
        }
        uint64_t key = 0;
        for (size_t k = 0; k < cl; k++)
            key = key * 10 + (uint64_t)(prefix[k] - '0');
        key = key * 16 + cl;
        size_t slot = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
        while (seen[slot] && seen[slot] != key)
            slot = (slot + 1) & (cap - 1);
        if (seen[slot])
            continue; /* taken: draw again */
        seen[slot] = key;

        size_t codelen = strlen(countries[c].code);
        int k = cl > codelen ? (prefix[codelen] - '0') % dest_count[c] : 0;
        const destination *d = &dest[c * 8 + (size_t)k];
        const int *s = schemes[d->scheme];
        char line[256];
        bool quote = strchr(d->name, ',') != NULL;
        int n = snprintf(line, sizeof line, "%s,%s%s%s,%s,%s,%d,%d,%d,2026-11-01\n", prefix, quote ? "\"" : "",
                         d->name, quote ? "\"" : "", d->rate, d->fee, s[0], s[1], s[2]);
        put(o, line, (size_t)n);
        written++;
    }
    if (o->len)
        emit(ud, o->buf, o->len);
    free(dest);
    free(dest_count);
    free(seen);
    free(o);
    return 0;
}

#ifndef GEN_DECK_NO_MAIN
static void to_stdout(void *ud, const char *buf, size_t n)
{
    (void)ud;
    fwrite(buf, 1, n, stdout);
}

int main(int argc, char **argv)
{
    long rows = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    if (rows < (long)NCOUNTRIES || argc > 3) {
        fprintf(stderr, "usage: gen_deck [ROWS >= %zu] [SEED] > deck.csv\n", NCOUNTRIES);
        return 2;
    }
    if (gen_deck(rows, seed, to_stdout, NULL) != 0) {
        fprintf(stderr, "gen_deck: out of memory\n");
        return 1;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
#endif
