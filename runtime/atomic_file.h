/* Files written whole or not at all. The bytes go to "<path>.tmp", which is
 * flushed, synced and renamed over path, and then the folder is synced: a
 * full disk, a file-size limit or a crash at any moment leaves path with
 * its previous contents (a checkpoint stays resumable), and at worst a
 * stale .tmp beside it, which vg_atomic_clean removes at the next start. */
#ifndef VG_ATOMIC_FILE_H
#define VG_ATOMIC_FILE_H
#include <stddef.h>
#include <stdio.h>

#include "shape.h"

typedef struct vg_atomic {
  FILE *f;   /* write here (fwrite, fprintf, libpng's png_init_io) */
  char *path;
  char *tmp;
} vg_atomic;

/* Creates path.tmp; errors name path and the temporary file. */
vg_status vg_atomic_open(vg_atomic *w, const char *path, char *err, size_t errlen);
/* Flushes, syncs and closes the temporary file, then renames it over path.
 * Any write that failed before (ferror) or now is an error naming the file
 * and the system's reason ("File too large", "No space left on device");
 * then the temporary file is removed and path is as it was. Always frees w. */
vg_status vg_atomic_commit(vg_atomic *w, char *err, size_t errlen);
/* Gives up: closes and removes the temporary file, frees w. */
void vg_atomic_abort(vg_atomic *w);
/* Writes bytes to path atomically in one call. */
vg_status vg_atomic_write(const char *path, const void *bytes, size_t n, char *err, size_t errlen);
/* Removes the *.tmp files in folder dir that an interrupted write left
 * (names ending in ".tmp" only); returns how many, -1 if dir cannot be
 * read. names, when not NULL, gets them comma-separated (cut to len). */
int vg_atomic_clean(const char *dir, char *names, size_t len);
#endif
