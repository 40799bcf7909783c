/* PNG files: the one format every picture vaegraph writes goes through.
 *
 * Named pngfile.h, not png.h: runtime/ is on every target's include path,
 * and a png.h there would shadow libpng's <png.h> (-I directories are
 * searched before the system ones, for <> includes too).
 *
 * Both functions take err/errlen: on error err gets a message that starts
 * with the file's path ("out/z.png: ..."); err may be NULL. */
#ifndef VG_PNGFILE_H
#define VG_PNGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "shape.h"

/* 1 GiB of pixel bytes: a bigger image is a mistake (or a lying header),
 * not a picture. Writers, readers and the image grid share the bound. */
#define VG_PNG_MAX_BYTES ((int64_t)1 << 30)

/* Writes an 8-bit PNG (channels 1 = gray, 3 = RGB; pixels row-major,
 * interleaved, no row padding) atomically: to "<path>.tmp", flushed to disk,
 * then renamed, so a crash never leaves a half-written file under the final
 * name. On any error the temporary file is removed.
 * VG_ERR_ARG for bad sizes, VG_ERR_IO for file system errors. */
vg_status vg_png_write(const char *path, int width, int height, int channels, const uint8_t *pixels, char *err,
                       size_t errlen);

/* Reads a PNG as 8-bit gray (channels 1) or RGB (channels 3), with no gamma
 * or colour conversion, so an 8-bit gray or RGB file comes back exactly.
 * Other kinds are reduced to those two:
 *   - palette images come back as RGB, 1/2/4-bit gray as 8-bit gray;
 *   - 16-bit samples keep their high byte (png_set_strip_16: v >> 8);
 *   - an alpha channel is dropped, not composited: gray+alpha comes back as
 *     gray and RGBA as RGB, with the colour values as stored, so fully
 *     transparent pixels show whatever colour they hold;
 *   - a tRNS chunk (transparency of a colour or palette entry) is ignored.
 * Anything not a PNG is VG_ERR_FORMAT, as is a damaged or truncated one.
 * *pixels is malloc'd (width * height * channels bytes), the caller frees;
 * on error it is NULL. VG_ERR_IO when the file cannot be opened. */
vg_status vg_png_read(const char *path, int *width, int *height, int *channels, uint8_t **pixels, char *err,
                      size_t errlen);

#endif
