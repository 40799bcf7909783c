/* A few macros for test programs: every failed check prints where and why,
 * and the program's exit status is the number of failures (capped). */
#ifndef VG_CHECK_H
#define VG_CHECK_H

#include <stdio.h>
#include <string.h>

static int vg_failures;

#define CHECK(cond, ...)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      vg_failures++;                                                         \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                          \
      fputc('\n', stderr);                                                   \
    }                                                                        \
  } while (0)

/* The message must contain `want`. */
#define CHECK_CONTAINS(msg, want) \
  CHECK(strstr((msg), (want)) != NULL, "message\n    %s\n  does not contain\n    %s", (msg), (want))

#define CHECK_DONE()                                                         \
  do {                                                                       \
    if (vg_failures) fprintf(stderr, "%d check(s) failed\n", vg_failures);   \
    else printf("all checks passed\n");                                      \
    return vg_failures > 100 ? 100 : vg_failures;                            \
  } while (0)

#endif
