/*
 * suite: run a check suite and turn the outcome into an exit status, the
 * same way in every test program. nofork runs the tests in this process
 * (integration tests share servers started before the suite).
 */
#ifndef DIDTRON_TESTS_SUITE_H
#define DIDTRON_TESTS_SUITE_H

#include <check.h>
#include <stdbool.h>

static inline int suite_run(Suite *s, bool nofork)
{
    SRunner *sr = srunner_create(s);
    if (nofork)
        srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
