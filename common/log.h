/*
 * log: one line per event on stderr, "2026-11-23T11:48:14.123Z level msg".
 * Thread-safe (each line is one write). No other I/O lives in common/.
 */
#ifndef DIDTRON_LOG_H
#define DIDTRON_LOG_H

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

void log_set_level(log_level lv);
/* Accepts "debug", "info", "warn", "error"; returns -1 when unknown. */
int log_level_parse(const char *name, log_level *out);
void log_msg(log_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
