/* The fuzz targets' input as a file: every reader under test takes a path,
 * not bytes, so each input is written to a per-process temporary file
 * (numbered slots, for readers that take two files) and read back from
 * there. /dev/shm keeps that off the disk where it exists.
 *
 * libFuzzer ends a run that finds something with _Exit, past atexit, so the
 * files of such a process stay behind; the next process of the same target
 * removes those whose process is gone. Include this header first. */
#ifndef VG_FUZZ_FILE_H
#define VG_FUZZ_FILE_H

#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L /* kill under -std=c11 */
#endif

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define VG_FUZZ_SLOTS 2

static char vg_fuzz_dir[256];
static char vg_fuzz_paths[VG_FUZZ_SLOTS][512];

/* Files are named vg_fuzz_<pid>_<slot><suffix>. */
static void vg_fuzz_sweep(void) {
  DIR *d = opendir(vg_fuzz_dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    long pid;
    int slot;
    if (sscanf(e->d_name, "vg_fuzz_%ld_%d", &pid, &slot) != 2 || pid <= 0) continue;
    if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", vg_fuzz_dir, e->d_name);
    remove(path);
  }
  closedir(d);
}

static void vg_fuzz_cleanup(void) {
  for (int k = 0; k < VG_FUZZ_SLOTS; k++)
    if (vg_fuzz_paths[k][0]) remove(vg_fuzz_paths[k]);
}

/* Picks the folder and the names once; the suffix (".gz", ".csv", "") only
 * makes the files easier to recognise, no reader looks at it. */
static inline void vg_fuzz_file_init(const char *suffix) {
  if (vg_fuzz_dir[0]) return;
  struct stat sb;
  const char *tmp = getenv("TMPDIR"), *dir = "/tmp";
  if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0) dir = "/dev/shm";
  else if (tmp && *tmp) dir = tmp;
  snprintf(vg_fuzz_dir, sizeof vg_fuzz_dir, "%s", dir);
  for (int k = 0; k < VG_FUZZ_SLOTS; k++)
    snprintf(vg_fuzz_paths[k], sizeof vg_fuzz_paths[k], "%s/vg_fuzz_%ld_%d%s", dir, (long)getpid(), k, suffix);
  vg_fuzz_sweep();
  atexit(vg_fuzz_cleanup);
}

/* Writes the bytes to slot k's file and returns its path. A write that
 * fails is the machine's problem, not the reader's: stop loudly. */
static inline const char *vg_fuzz_write(int k, const uint8_t *data, size_t size) {
  if (!vg_fuzz_dir[0]) vg_fuzz_file_init("");
  FILE *f = fopen(vg_fuzz_paths[k], "wb");
  int ok = f && (size == 0 || fwrite(data, 1, size, f) == size);
  if (f && fclose(f) != 0) ok = 0;
  if (!ok) {
    fprintf(stderr, "fuzz: cannot write %s: %s\n", vg_fuzz_paths[k], strerror(errno));
    abort();
  }
  return vg_fuzz_paths[k];
}

/* Reads every byte of a buffer a reader returned, so that ASan checks that
 * it is as long as the reader says. */
static volatile unsigned vg_fuzz_sink;
static inline void vg_fuzz_touch(const void *p, size_t n) {
  const unsigned char *b = p;
  unsigned s = 0;
  for (size_t i = 0; i < n; i++) s += b[i];
  vg_fuzz_sink += s;
}

/* VG_FUZZ_VERBOSE=1 prints what became of each input (replaying seeds:
 * does each reach the end of a successful read?). */
static inline void vg_fuzz_note(const char *what, const char *detail) {
  static int verbose = -1;
  if (verbose < 0) verbose = getenv("VG_FUZZ_VERBOSE") && *getenv("VG_FUZZ_VERBOSE") != '0';
  if (verbose) fprintf(stderr, "fuzz: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
}

/* A broken promise of the reader's interface: print it and abort, which
 * libFuzzer reports as a crash with the input saved. */
#define VG_FUZZ_CHECK(cond, ...)                  \
  do {                                            \
    if (!(cond)) {                                \
      fprintf(stderr, "fuzz: check failed: " #cond ": " __VA_ARGS__); \
      fputc('\n', stderr);                        \
      abort();                                    \
    }                                             \
  } while (0)

#endif
