/* A folder of PNG images as a data set, laid out as torchvision's
 * ImageFolder:
 *
 *   DIR/<class name>/<any name>.png    one sub-folder per class, or
 *   DIR/<any name>.png                 no sub-folders: an unlabelled set
 *
 * Classes are the sub-folder names sorted bytewise (strcmp), so label k is
 * the k-th name; within a class, files are sorted by name, so the storage
 * order (and every shuffle of it) is the same on every machine. Names that
 * start with '.' and files that do not end in .png (any case) are skipped,
 * as are folders inside class folders. */
#ifndef VG_IMAGE_FOLDER_H
#define VG_IMAGE_FOLDER_H

#include <stddef.h>

#include "imageset.h"

/* Limits on what a folder may make: a mistaken path (a whole photo
 * library) fails early with a clear message instead of exhausting memory. */
#define VG_IMAGE_FOLDER_MAX_IMAGES ((int64_t)INT32_MAX)
#define VG_IMAGE_FOLDER_MAX_BYTES ((int64_t)16 << 30)

typedef struct vg_image_folder_options {
  /* The size of every example. 0, 0: the first image's size (in storage
   * order), and an image of another size is an error. Otherwise each image
   * is resized to height x width by area averaging: an output pixel is the
   * mean of the source pixels it covers, each weighted by the area it
   * covers, rounded to nearest (halves up); for integer factors that is the
   * plain mean of each block. */
  int height, width;
  /* 1 or 3; 0: 3 if any image is in colour, else 1. Gray becomes RGB by
   * copying it to each channel; colour becomes gray by luma,
   * 0.299 R + 0.587 G + 0.114 B, rounded to nearest (halves up). A resize
   * comes first, on the image's own channels. */
  int channels;
} vg_image_folder_options;

/* Reads every image under dir (opt may be NULL: all defaults) into *out,
 * pixels in [C, H, W] order. With class sub-folders, *class_names (when
 * class_names is not NULL) gets the out->classes names, malloc'd, in label
 * order and followed by a NULL; free them with vg_image_folder_names_free.
 * Without, out->y is NULL and *class_names is NULL.
 *
 * Errors name the folder or file: a folder that cannot be read, one with no
 * image (with the layout expected), a class folder without images, PNG
 * files beside class folders, a PNG that does not decode (vg_png_read's
 * message), an image of another size when no size was given (both sizes),
 * more than VG_IMAGE_FOLDER_MAX_IMAGES images or more than
 * VG_IMAGE_FOLDER_MAX_BYTES of pixels. On error *out is empty and
 * *class_names NULL. */
vg_status vg_image_folder_load(const char *dir, const vg_image_folder_options *opt, vg_imageset *out,
                               char ***class_names, char *err, size_t errlen);

/* Frees a NULL-terminated list of names from vg_image_folder_load; NULL is
 * a no-op. */
void vg_image_folder_names_free(char **names);

#endif
