/* Writing files whole or not at all (atomic_file.h). */
#define _POSIX_C_SOURCE 200809L /* fileno, fsync, open */

#include "atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void release(vg_atomic *w) {
  free(w->path);
  free(w->tmp);
  w->path = w->tmp = NULL;
  w->f = NULL;
}

vg_status vg_atomic_open(vg_atomic *w, const char *path, char *err, size_t errlen) {
  const size_t n = strlen(path);
  w->f = NULL;
  w->path = malloc(n + 1);
  w->tmp = malloc(n + sizeof ".tmp");
  if (!w->path || !w->tmp) {
    release(w);
    return vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory");
  }
  memcpy(w->path, path, n + 1);
  memcpy(w->tmp, path, n);
  memcpy(w->tmp + n, ".tmp", sizeof ".tmp");
  if (!(w->f = fopen(w->tmp, "wb"))) {
    vg_status st = vg_file_error(err, errlen, VG_ERR_IO, path, "cannot create %s: %s", w->tmp, strerror(errno));
    release(w);
    return st;
  }
  return VG_OK;
}

void vg_atomic_abort(vg_atomic *w) {
  if (w->f) fclose(w->f);
  if (w->tmp) remove(w->tmp);
  release(w);
}

/* Makes the rename durable; a failure here cannot undo it, so it is ignored. */
static void sync_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? malloc((size_t)(slash - path) + 2) : NULL;
  if (slash && !dir) return;
  if (dir) {
    const size_t n = slash == path ? 1 : (size_t)(slash - path);
    memcpy(dir, path, n);
    dir[n] = 0;
  }
  int fd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(dir);
}

vg_status vg_atomic_commit(vg_atomic *w, char *err, size_t errlen) {
  /* A failed fwrite left the stream's error flag on and, unless a later
   * call changed it, its reason in errno. */
  const int earlier = errno;
  const char *why = NULL;
  int e = 0;
  if (fflush(w->f) != 0) why = "cannot write", e = errno;
  else if (ferror(w->f)) why = "cannot write", e = earlier ? earlier : EIO;
  /* EINVAL: a file system that cannot sync, where there is nothing better to do. */
  else if (fsync(fileno(w->f)) != 0 && errno != EINVAL) why = "cannot sync", e = errno;
  FILE *f = w->f;
  w->f = NULL;
  if (fclose(f) != 0 && !why) why = "cannot close", e = errno;
  if (!why && rename(w->tmp, w->path) != 0) {
    vg_status st = vg_file_error(err, errlen, VG_ERR_IO, w->path, "cannot rename %s to %s: %s", w->tmp, w->path,
                                 strerror(errno));
    vg_atomic_abort(w);
    return st;
  }
  if (why) {
    vg_status st = vg_file_error(err, errlen, VG_ERR_IO, w->path, "%s %s: %s (the previous file, if any, is kept)",
                                 why, w->tmp, strerror(e));
    vg_atomic_abort(w);
    return st;
  }
  sync_dir(w->path);
  release(w);
  return VG_OK;
}

vg_status vg_atomic_write(const char *path, const void *bytes, size_t n, char *err, size_t errlen) {
  vg_atomic w;
  vg_status st = vg_atomic_open(&w, path, err, errlen);
  if (st) return st;
  if (n) (void)fwrite(bytes, 1, n, w.f); /* a short write shows in commit's ferror */
  return vg_atomic_commit(&w, err, errlen);
}

int vg_atomic_clean(const char *dir, char *names, size_t len) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  if (names && len) names[0] = 0;
  size_t used = 0;
  int removed = 0;
  const struct dirent *e;
  while ((e = readdir(d))) {
    const size_t n = strlen(e->d_name);
    if (n <= 4 || strcmp(e->d_name + n - 4, ".tmp") != 0) continue;
    char *p = malloc(strlen(dir) + n + 2);
    if (!p) continue;
    sprintf(p, "%s/%s", dir, e->d_name);
    if (remove(p) == 0) {
      removed++;
      if (names && used + 1 < len) {
        int k = snprintf(names + used, len - used, "%s%s", used ? ", " : "", e->d_name);
        used = k < 0 ? len : used + (size_t)k;
        if (used >= len) used = len - 1;
      }
    }
    free(p);
  }
  closedir(d);
  return removed;
}
