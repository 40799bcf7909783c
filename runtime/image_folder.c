/* A folder of PNG images as a data set (image_folder.h): list and sort the
 * files, then decode each, resize it, convert its channels and store it. */
#define _POSIX_C_SOURCE 200809L /* opendir, stat, strdup */
#include "image_folder.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pngfile.h"

/* ---- listing ---- */

typedef struct names {
  char **v;
  size_t n, cap;
} names;

static int names_push(names *l, const char *s) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    char **v = realloc(l->v, cap * sizeof *v);
    if (!v) return -1;
    l->v = v, l->cap = cap;
  }
  if (!(l->v[l->n] = strdup(s))) return -1;
  l->n++;
  return 0;
}

static void names_clear(names *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

static int by_bytes(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void names_sort(names *l) {
  if (l->n) qsort(l->v, l->n, sizeof *l->v, by_bytes);
}

/* "a/b", malloc'd. */
static char *join(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *s = malloc(la + lb + 2);
  if (!s) return NULL;
  memcpy(s, a, la);
  s[la] = '/';
  memcpy(s + la + 1, b, lb + 1);
  return s;
}

static int is_png_name(const char *name) {
  size_t len = strlen(name);
  if (len < 4) return 0;
  const char *ext = name + len - 4;
  return ext[0] == '.' && (ext[1] | 0x20) == 'p' && (ext[2] | 0x20) == 'n' && (ext[3] | 0x20) == 'g';
}

/* The visible entries of folder `path`: sub-folders into *dirs (when not
 * NULL) and regular files named *.png into *pngs; both sorted bytewise.
 * stat (not d_type, which some file systems leave unknown) tells them apart
 * and follows symbolic links. */
static vg_status list_folder(const char *path, names *dirs, names *pngs, char *err, size_t errlen) {
  DIR *d = opendir(path);
  if (!d) return vg_file_error(err, errlen, VG_ERR_IO, path, "cannot open the folder: %s", strerror(errno));
  vg_status st = VG_OK;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (!e) {
      if (errno) st = vg_file_error(err, errlen, VG_ERR_IO, path, "cannot read the folder: %s", strerror(errno));
      break;
    }
    if (e->d_name[0] == '.') continue; /* hidden, and . and .. */
    char *full = join(path, e->d_name);
    if (!full) {
      st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory listing the folder");
      break;
    }
    struct stat sb;
    int got = stat(full, &sb);
    free(full);
    if (got != 0) continue; /* a dangling link: nothing to read */
    int bad = 0;
    if (S_ISDIR(sb.st_mode) && dirs) bad = names_push(dirs, e->d_name);
    else if (S_ISREG(sb.st_mode) && is_png_name(e->d_name)) bad = names_push(pngs, e->d_name);
    if (bad) {
      st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory listing the folder");
      break;
    }
    if ((int64_t)pngs->n > VG_IMAGE_FOLDER_MAX_IMAGES) {
      st = vg_file_error(err, errlen, VG_ERR_ARG, path, "more than %" PRId64 " images", VG_IMAGE_FOLDER_MAX_IMAGES);
      break;
    }
  }
  closedir(d);
  if (st) return st;
  if (dirs) names_sort(dirs);
  names_sort(pngs);
  return VG_OK;
}

/* One image to read: its path and label. */
typedef struct entry {
  char *path;
  int32_t label;
} entry;

typedef struct listing {
  entry *v;
  int64_t n, cap;
  names classes;
} listing;

static void listing_clear(listing *l) {
  for (int64_t i = 0; i < l->n; i++) free(l->v[i].path);
  free(l->v);
  names_clear(&l->classes);
  memset(l, 0, sizeof *l);
}

/* Appends folder/<each name> with `label`. */
static vg_status add_files(listing *l, const char *folder, const names *files, int32_t label, const char *dir,
                           char *err, size_t errlen) {
  if (l->n + (int64_t)files->n > VG_IMAGE_FOLDER_MAX_IMAGES)
    return vg_file_error(err, errlen, VG_ERR_ARG, dir, "more than %" PRId64 " images", VG_IMAGE_FOLDER_MAX_IMAGES);
  if (l->n + (int64_t)files->n > l->cap) {
    int64_t cap = l->cap ? l->cap : 64;
    while (cap < l->n + (int64_t)files->n) cap *= 2;
    entry *v = realloc(l->v, (size_t)cap * sizeof *v);
    if (!v) return vg_file_error(err, errlen, VG_ERR_NOMEM, dir, "out of memory listing the images");
    l->v = v, l->cap = cap;
  }
  for (size_t i = 0; i < files->n; i++) {
    char *p = join(folder, files->v[i]);
    if (!p) return vg_file_error(err, errlen, VG_ERR_NOMEM, dir, "out of memory listing the images");
    l->v[l->n++] = (entry){p, label};
  }
  return VG_OK;
}

/* Every image of the folder in storage order, with class names when the
 * folder has class sub-folders. */
static vg_status list_images(const char *dir, listing *l, char *err, size_t errlen) {
  names dirs = {0}, top = {0};
  vg_status st = list_folder(dir, &dirs, &top, err, errlen);
  if (!st && dirs.n && top.n) {
    char *one = join(dir, top.v[0]);
    st = vg_file_error(err, errlen, VG_ERR_FORMAT, dir,
                       "has both class folders (%s, ...) and .png files directly in it (%s, ...); put every image in "
                       "its class's folder, or use a folder without sub-folders for unlabelled images",
                       dirs.v[0], one ? one : top.v[0]);
    free(one);
  }
  if (!st && !dirs.n && !top.n)
    st = vg_file_error(err, errlen, VG_ERR_FORMAT, dir,
                       "no .png images; expected one sub-folder per class (%s/<class>/<name>.png) or, for unlabelled "
                       "images, .png files directly in the folder",
                       dir);
  if (!st && top.n) st = add_files(l, dir, &top, VG_NO_LABEL, dir, err, errlen);
  if (!st && dirs.n > (size_t)INT32_MAX - 1)
    st = vg_file_error(err, errlen, VG_ERR_ARG, dir, "%zu class folders are too many", dirs.n);
  for (size_t k = 0; !st && k < dirs.n; k++) {
    char *folder = join(dir, dirs.v[k]);
    names files = {0};
    if (!folder) st = vg_file_error(err, errlen, VG_ERR_NOMEM, dir, "out of memory listing the images");
    if (!st) st = list_folder(folder, NULL, &files, err, errlen);
    if (!st && files.n == 0)
      st = vg_file_error(err, errlen, VG_ERR_FORMAT, folder,
                         "a class folder without .png images (each sub-folder of %s is a class)", dir);
    if (!st) st = add_files(l, folder, &files, (int32_t)k, dir, err, errlen);
    names_clear(&files);
    free(folder);
  }
  names_clear(&top);
  if (st) names_clear(&dirs);
  else l->classes = dirs;
  return st;
}

/* ---- pixels ---- */

/* Area averaging along one axis from `from` pixels to `to`: in units where
 * output pixel o spans [o * from, (o + 1) * from) and source pixel s spans
 * [s * to, (s + 1) * to), the weight of s in o is the length of their
 * overlap, an integer; the weights of one output pixel sum to `from`. */
static int64_t overlap(int64_t o, int64_t s, int64_t from, int64_t to) {
  int64_t lo = o * from > s * to ? o * from : s * to;
  int64_t hi = (o + 1) * from < (s + 1) * to ? (o + 1) * from : (s + 1) * to;
  return hi > lo ? hi - lo : 0;
}

/* [H, W, ch] bytes -> [h, w, ch] bytes by area averaging, exactly in
 * integers: horizontal sums first, then vertical, one division per output
 * value. The sums stay below 255 * H * W, far from 2^64 for any image that
 * fits in memory. */
static vg_status resize_area(const uint8_t *src, int H, int W, int ch, uint8_t *dst, int h, int w) {
  uint64_t *rows = malloc((size_t)H * (size_t)w * (size_t)ch * sizeof *rows);
  if (!rows) return VG_ERR_NOMEM;
  for (int y = 0; y < H; y++)
    for (int ox = 0; ox < w; ox++) {
      const int64_t s0 = (int64_t)ox * W / w, s1 = ((int64_t)(ox + 1) * W + w - 1) / w; /* overlapping sources */
      for (int c = 0; c < ch; c++) {
        uint64_t sum = 0;
        for (int64_t s = s0; s < s1; s++) sum += (uint64_t)overlap(ox, s, W, w) * src[((int64_t)y * W + s) * ch + c];
        rows[((int64_t)y * w + ox) * ch + c] = sum;
      }
    }
  const uint64_t den = (uint64_t)H * (uint64_t)W;
  for (int oy = 0; oy < h; oy++) {
    const int64_t s0 = (int64_t)oy * H / h, s1 = ((int64_t)(oy + 1) * H + h - 1) / h;
    for (int64_t k = 0; k < (int64_t)w * ch; k++) {
      uint64_t sum = 0;
      for (int64_t s = s0; s < s1; s++) sum += (uint64_t)overlap(oy, s, H, h) * rows[s * w * ch + k];
      dst[(int64_t)oy * w * ch + k] = (uint8_t)((sum + den / 2) / den);
    }
  }
  free(rows);
  return VG_OK;
}

/* [h*w, sc] interleaved -> [dc, h*w] planar, sc and dc each 1 or 3. */
static void to_planes(const uint8_t *src, int sc, int64_t hw, int dc, uint8_t *dst) {
  if (sc == dc) {
    for (int64_t i = 0; i < hw; i++)
      for (int c = 0; c < dc; c++) dst[c * hw + i] = src[i * sc + c];
  } else if (sc == 1) {
    for (int c = 0; c < dc; c++) memcpy(dst + c * hw, src, (size_t)hw);
  } else {
    /* Luma (ITU-R BT.601) in integers: the weights in thousandths sum to
     * 1000, so this is the formula rounded to nearest with no float error. */
    for (int64_t i = 0; i < hw; i++) {
      const uint8_t *p = src + i * 3;
      dst[i] = (uint8_t)((299u * p[0] + 587u * p[1] + 114u * p[2] + 500u) / 1000u);
    }
  }
}

/* Grows x from n one-plane examples to three planes each, a copy of the
 * one: the first colour image met when the channels were left to the data.
 * Back to front, so no example is overwritten before it is copied. */
static uint8_t *gray_to_rgb(uint8_t *x, int64_t n, int64_t hw, int64_t total) {
  uint8_t *y = realloc(x, (size_t)(total * 3 * hw));
  if (!y) return NULL;
  for (int64_t i = n - 1; i >= 0; i--)
    for (int c = 2; c >= 0; c--) memmove(y + (3 * i + c) * hw, y + i * hw, (size_t)hw);
  return y;
}

/* The bytes of n examples of c*h*w, or an error when over the limit. */
static vg_status check_bytes(const char *dir, int64_t n, int c, int h, int w, char *err, size_t errlen) {
  const int64_t limit = VG_IMAGE_FOLDER_MAX_BYTES;
  /* Each step is bounded before the next product. */
  if ((int64_t)h * w > limit / c || (int64_t)c * h * w > limit / n)
    return vg_file_error(err, errlen, VG_ERR_ARG, dir,
                         "%" PRId64 " images of %dx%dx%d (channels x height x width) are more than the %" PRId64
                         " GiB a folder may hold; choose a smaller size",
                         n, c, h, w, limit >> 30);
  return VG_OK;
}

/* ---- the data set ---- */

void vg_image_folder_names_free(char **names) {
  if (!names) return;
  for (char **p = names; *p; p++) free(*p);
  free(names);
}

/* The class names as a NULL-terminated array, taken out of l. */
static char **take_names(listing *l) {
  char **v = realloc(l->classes.v, (l->classes.n + 1) * sizeof *v);
  if (!v) return NULL;
  v[l->classes.n] = NULL;
  l->classes.v = NULL;
  l->classes.n = l->classes.cap = 0;
  return v;
}

vg_status vg_image_folder_load(const char *dir, const vg_image_folder_options *opt, vg_imageset *out,
                               char ***class_names, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (class_names) *class_names = NULL;
  const vg_image_folder_options defaults = {0, 0, 0};
  if (!opt) opt = &defaults;
  if (opt->height < 0 || opt->width < 0 || (opt->height == 0) != (opt->width == 0))
    return vg_file_error(err, errlen, VG_ERR_ARG, dir,
                         "a size of height %d and width %d: give both, positive, or neither", opt->height,
                         opt->width);
  if (opt->channels != 0 && opt->channels != 1 && opt->channels != 3)
    return vg_file_error(err, errlen, VG_ERR_ARG, dir, "%d channels: choose 1 (gray), 3 (RGB) or 0 (from the images)",
                         opt->channels);

  listing l = {0};
  vg_status st = list_images(dir, &l, err, errlen);
  if (st) {
    listing_clear(&l);
    return st;
  }
  const int labelled = l.classes.n > 0;
  int32_t *y = labelled ? malloc((size_t)l.n * sizeof *y) : NULL;
  if (labelled && !y) st = vg_file_error(err, errlen, VG_ERR_NOMEM, dir, "out of memory for %" PRId64 " labels", l.n);

  uint8_t *x = NULL, *pix = NULL, *sized = NULL;
  int h = opt->height, w = opt->width, c = opt->channels ? opt->channels : 1;
  int first_w = 0, first_h = 0; /* the first image's size, when it sets everyone's */
  for (int64_t i = 0; !st && i < l.n; i++) {
    const char *path = l.v[i].path;
    int iw, ih, ic;
    if ((st = vg_png_read(path, &iw, &ih, &ic, &pix, err, errlen))) break;
    if (ic != 1 && ic != 3) {
      st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "%d channels where 1 or 3 were expected", ic);
      break;
    }
    if (i == 0) {
      if (!h) h = ih, w = iw, first_h = ih, first_w = iw;
      if ((st = check_bytes(dir, l.n, c, h, w, err, errlen))) break;
      if (!(x = malloc((size_t)(l.n * c * h * w)))) {
        st = vg_file_error(err, errlen, VG_ERR_NOMEM, dir, "out of memory for %" PRId64 " images of %dx%dx%d", l.n, c,
                           h, w);
        break;
      }
    } else if (first_h && (ih != first_h || iw != first_w)) {
      st = vg_file_error(err, errlen, VG_ERR_FORMAT, path,
                         "%dx%d pixels (width x height), but the first image, %s, is %dx%d; set the size option "
                         "(height and width) to resize every image to one size",
                         iw, ih, l.v[0].path, first_w, first_h);
      break;
    }
    if (ic == 3 && c == 1 && opt->channels == 0) {
      /* The first colour image: the set is RGB after all. */
      uint8_t *grown;
      if ((st = check_bytes(dir, l.n, 3, h, w, err, errlen))) break;
      if (!(grown = gray_to_rgb(x, i, (int64_t)h * w, l.n))) {
        st = vg_file_error(err, errlen, VG_ERR_NOMEM, dir, "out of memory for %" PRId64 " images of 3x%dx%d", l.n, h,
                           w);
        break;
      }
      x = grown, c = 3;
    }
    const uint8_t *src = pix;
    if (ih != h || iw != w) {
      if (!sized && !(sized = malloc((size_t)h * (size_t)w * 3))) st = VG_ERR_NOMEM;
      if (!st) st = resize_area(pix, ih, iw, ic, sized, h, w);
      if (st) {
        st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory resizing %dx%d to %dx%d", iw, ih, w, h);
        break;
      }
      src = sized;
    }
    to_planes(src, ic, (int64_t)h * w, c, x + i * c * h * w);
    if (y) y[i] = l.v[i].label;
    free(pix);
    pix = NULL;
  }
  free(pix);
  free(sized);
  if (!st && !(st = vg_imageset_adopt(l.n, c, h, w, x, y, dir, out, err, errlen))) x = NULL, y = NULL;
  char **cls = NULL;
  if (!st && labelled && class_names && !(cls = take_names(&l))) {
    vg_imageset_free(out);
    st = vg_file_error(err, errlen, VG_ERR_NOMEM, dir, "out of memory for the class names");
  }
  free(x);
  free(y);
  if (!st && class_names) *class_names = cls;
  listing_clear(&l);
  return st;
}
