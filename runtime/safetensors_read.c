/* Reading a safetensors file: the whole file in one block, its JSON header
 * parsed strictly (every error with its byte offset), the layout checked. */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L /* fileno, fsync, fstat, open under -std=c11 */
#endif
#include "safetensors_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef unsigned long long ull;


typedef struct tinfo {
  ull begin, end;
  size_t off; /* of the name in the header */
} tinfo;

struct vg_st_file {
  void *block;         /* the file, laid out so the data section is 64-byte aligned */
  char *pool;          /* decoded strings */
  size_t pool_used;
  int n, cap;
  vg_st_tensor *t;
  tinfo *info;
  vg_st_named *byname;       /* sorted by name, for vg_st_find */
  int nmeta, metacap;
  char **meta;         /* key, value, key, value, ... */
  size_t *metaoff;
};

typedef struct parser {
  const char *path;
  char *err;
  size_t errlen;
  const unsigned char *s; /* the header */
  size_t n, i;
  vg_st_file *f;
  vg_status st;
} parser;

/* Reports an error at header position at (file byte 8 + at); returns -1. */
__attribute__((format(printf, 3, 4))) static int perr(parser *p, size_t at, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  p->st = vg_file_error(p->err, p->errlen, VG_ERR_FORMAT, p->path, "byte %llu: %s", 8ULL + (ull)at, msg);
  return -1;
}

static int oom(parser *p) {
  p->st = vg_file_error(p->err, p->errlen, VG_ERR_NOMEM, p->path, "out of memory");
  return -1;
}

static void skip_ws(parser *p) {
  while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}

static int at(parser *p, char c) { return p->i < p->n && p->s[p->i] == (unsigned char)c; }

static int hex4(const unsigned char *s) {
  int v = 0;
  for (int k = 0; k < 4; k++) {
    int c = s[k], d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Decodes the string at p->i (which is '"') into the pool. A decoded string
 * and its NUL never take more bytes than its quoted form, so a pool as long
 * as the header holds every string in it. */
static int parse_string(parser *p, char **out) {
  const unsigned char *s = p->s;
  size_t start = p->i, n = p->n;
  char *o = p->f->pool + p->f->pool_used;
  size_t k = 0, i = start + 1;
  for (;;) {
    if (i >= n) return perr(p, start, "unterminated string (the header ends at byte %llu)", 8ULL + (ull)n);
    unsigned c = s[i];
    if (c == '"') break;
    if (c < 0x20) return perr(p, i, "control character 0x%02x in a string (it must be escaped)", c);
    if (c >= 0x80) {
      size_t len = vg_st_utf8_seq(s + i, n - i);
      if (!len) return perr(p, i, "invalid UTF-8 in a string");
      memcpy(o + k, s + i, len);
      k += len;
      i += len;
      continue;
    }
    if (c != '\\') {
      o[k++] = (char)c;
      i++;
      continue;
    }
    if (i + 1 >= n) return perr(p, start, "unterminated string (the header ends at byte %llu)", 8ULL + (ull)n);
    unsigned e = s[i + 1];
    const char *simple = strchr("\"\\/bfnrt", (int)e);
    if (e && simple) {
      static const char to[] = "\"\\/\b\f\n\r\t";
      o[k++] = to[simple - "\"\\/bfnrt"];
      i += 2;
      continue;
    }
    if (e != 'u') return perr(p, i, "invalid escape sequence in a string");
    int cp = i + 6 <= n ? hex4(s + i + 2) : -1;
    if (cp < 0) return perr(p, i, "invalid \\u escape in a string (it needs 4 hex digits)");
    size_t esc_len = 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return perr(p, i, "unpaired surrogate \\u%04X in a string", (unsigned)cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      int lo = i + 12 <= n && s[i + 6] == '\\' && s[i + 7] == 'u' ? hex4(s + i + 8) : -1;
      if (lo < 0xDC00 || lo > 0xDFFF) return perr(p, i, "unpaired surrogate \\u%04X in a string", (unsigned)cp);
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      esc_len = 12;
    }
    if (cp == 0) return perr(p, i, "\\u0000 in a string is not supported");
    if (cp < 0x80) {
      o[k++] = (char)cp;
    } else if (cp < 0x800) {
      o[k++] = (char)(0xC0 | cp >> 6);
      o[k++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      o[k++] = (char)(0xE0 | cp >> 12);
      o[k++] = (char)(0x80 | (cp >> 6 & 0x3F));
      o[k++] = (char)(0x80 | (cp & 0x3F));
    } else {
      o[k++] = (char)(0xF0 | cp >> 18);
      o[k++] = (char)(0x80 | (cp >> 12 & 0x3F));
      o[k++] = (char)(0x80 | (cp >> 6 & 0x3F));
      o[k++] = (char)(0x80 | (cp & 0x3F));
    }
    i += esc_len;
  }
  o[k] = 0;
  p->f->pool_used += k + 1;
  p->i = i + 1;
  *out = o;
  return 0;
}

/* A key and its colon; p->i is left at the value. */
static int parse_key(parser *p, char **key, size_t *off) {
  if (!at(p, '"')) return perr(p, p->i, "expected a string key");
  *off = p->i;
  if (parse_string(p, key)) return -1;
  skip_ws(p);
  if (!at(p, ':')) return perr(p, p->i, "expected ':' after a key");
  p->i++;
  skip_ws(p);
  return 0;
}

/* After a member: 1 at ',' (consumed, more follow), 0 at '}' (consumed). */
static int next_member(parser *p) {
  skip_ws(p);
  if (at(p, ',')) {
    p->i++;
    skip_ws(p);
    return 1;
  }
  if (at(p, '}')) {
    p->i++;
    return 0;
  }
  return perr(p, p->i, "expected ',' or '}' after a value");
}

/* One element of an integer array: a JSON number that is an integer from 0
 * to INT64_MAX. what: "shape dimension"; arr: "shape must be ...". */
static int parse_int(parser *p, const char *name, const char *what, const char *arr, int64_t *v) {
  const unsigned char *s = p->s;
  size_t start = p->i, end = start;
  while (end < p->n && strchr("0123456789+-.eE", s[end]) && s[end]) end++;
  if (end == start) return perr(p, start, "tensor '%s': %s", name, arr);
  int len = (int)(end - start > 40 ? 40 : end - start);
  const char *tok = (const char *)s + start;
  size_t j = start;
  int neg = 0, integer = 1;
  if (s[j] == '-') neg = 1, j++;
  size_t digits = j;
  if (j < end && s[j] == '0') j++;
  else if (j < end && s[j] >= '1' && s[j] <= '9')
    while (j < end && s[j] >= '0' && s[j] <= '9') j++;
  else goto bad;
  size_t digits_end = j;
  if (j < end && s[j] == '.') {
    j++, integer = 0;
    if (!(j < end && s[j] >= '0' && s[j] <= '9')) goto bad;
    while (j < end && s[j] >= '0' && s[j] <= '9') j++;
  }
  if (j < end && (s[j] == 'e' || s[j] == 'E')) {
    j++, integer = 0;
    if (j < end && (s[j] == '+' || s[j] == '-')) j++;
    if (!(j < end && s[j] >= '0' && s[j] <= '9')) goto bad;
    while (j < end && s[j] >= '0' && s[j] <= '9') j++;
  }
  if (j != end) goto bad;
  if (!integer) return perr(p, start, "tensor '%s': %s %.*s is not an integer", name, what, len, tok);
  ull x = 0;
  for (j = digits; j < digits_end; j++) {
    if (x > ((ull)INT64_MAX - (ull)(s[j] - '0')) / 10)
      return perr(p, start, "tensor '%s': %s %.*s is too large", name, what, len, tok);
    x = x * 10 + (ull)(s[j] - '0');
  }
  if (neg && x) return perr(p, start, "tensor '%s': %s %.*s is negative", name, what, len, tok);
  *v = (int64_t)x;
  p->i = end;
  return 0;
bad:
  return perr(p, start, "tensor '%s': %s %.*s is not a valid JSON number", name, what, len, tok);
}

/* [int, ...] with at most max elements (exactly max if exact). */
static int parse_ints(parser *p, const char *name, const char *what, const char *arr, int max, int exact, int64_t *v,
                      int *count) {
  size_t open = p->i;
  if (!at(p, '[')) return perr(p, p->i, "tensor '%s': %s", name, arr);
  p->i++;
  skip_ws(p);
  int c = 0;
  if (at(p, ']')) {
    p->i++;
  } else {
    for (;;) {
      if (c == max) return perr(p, p->i, "tensor '%s': %s", name, arr);
      if (parse_int(p, name, what, arr, &v[c])) return -1;
      c++;
      skip_ws(p);
      if (at(p, ',')) {
        p->i++;
        skip_ws(p);
      } else if (at(p, ']')) {
        p->i++;
        break;
      } else {
        return perr(p, p->i, "tensor '%s': expected ',' or ']' in %s", name, what);
      }
    }
  }
  if (exact && c != max) return perr(p, open, "tensor '%s': %s", name, arr);
  *count = c;
  return 0;
}

static int parse_tensor(parser *p, int ti) {
  vg_st_file *f = p->f;
  vg_st_tensor *t = &f->t[ti];
  const char *name = t->name;
  if (!at(p, '{')) return perr(p, p->i, "tensor '%s': expected an object with dtype, shape and data_offsets", name);
  p->i++;
  skip_ws(p);
  int have_dtype = 0, have_shape = 0, have_offsets = 0;
  if (at(p, '}')) {
    p->i++;
  } else {
    int more;
    do {
      char *key;
      size_t ko;
      if (parse_key(p, &key, &ko)) return -1;
      if (strcmp(key, "dtype") == 0) {
        if (have_dtype++) return perr(p, ko, "tensor '%s': duplicate key 'dtype'", name);
        if (!at(p, '"')) return perr(p, p->i, "tensor '%s': dtype must be a string", name);
        size_t vo = p->i;
        char *d;
        if (parse_string(p, &d)) return -1;
        int found = -1;
        for (int k = 0; k < 4; k++)
          if (strcmp(d, vg_st_dtype_names[k]) == 0) found = k;
        if (found < 0) {
          for (int k = 0; vg_st_other_dtypes[k]; k++)
            if (strcmp(d, vg_st_other_dtypes[k]) == 0)
              return perr(p, vo, "tensor '%s': dtype %s is not supported (vaegraph reads F32, F64, I64 and U8)", name,
                          d);
          return perr(p, vo, "tensor '%s': unknown dtype '%s' (vaegraph reads F32, F64, I64 and U8)", name, d);
        }
        t->dtype = (vg_dtype)found;
      } else if (strcmp(key, "shape") == 0) {
        if (have_shape++) return perr(p, ko, "tensor '%s': duplicate key 'shape'", name);
        int64_t d[VG_MAX_DIMS];
        int nd;
        if (parse_ints(p, name, "shape dimension", "shape must be an array of at most 5 integers", VG_MAX_DIMS, 0, d,
                       &nd))
          return -1;
        t->shape = vg_shape_of(nd, d);
      } else if (strcmp(key, "data_offsets") == 0) {
        if (have_offsets++) return perr(p, ko, "tensor '%s': duplicate key 'data_offsets'", name);
        int64_t d[2];
        int c;
        if (parse_ints(p, name, "data_offsets value", "data_offsets must be an array of 2 integers", 2, 1, d, &c))
          return -1;
        f->info[ti].begin = (ull)d[0];
        f->info[ti].end = (ull)d[1];
      } else {
        return perr(p, ko, "tensor '%s': unknown key '%s' (expected dtype, shape and data_offsets)", name, key);
      }
      more = next_member(p);
      if (more < 0) return -1;
    } while (more);
  }
  size_t close = p->i - 1;
  const char *missing = !have_dtype ? "dtype" : !have_shape ? "shape" : !have_offsets ? "data_offsets" : NULL;
  if (missing) return perr(p, close, "tensor '%s' has no %s", name, missing);
  return 0;
}

static int parse_meta(parser *p) {
  vg_st_file *f = p->f;
  if (!at(p, '{')) return perr(p, p->i, "__metadata__ must be an object of strings");
  p->i++;
  skip_ws(p);
  if (at(p, '}')) {
    p->i++;
    return 0;
  }
  int more;
  do {
    char *key, *val;
    size_t ko;
    if (parse_key(p, &key, &ko)) return -1;
    if (!at(p, '"')) return perr(p, p->i, "metadata value for '%s' is not a string", key);
    if (parse_string(p, &val)) return -1;
    if (f->nmeta == f->metacap) {
      int cap = f->metacap ? 2 * f->metacap : 8;
      char **m = realloc(f->meta, (size_t)cap * 2 * sizeof *m);
      if (!m) return oom(p);
      f->meta = m;
      size_t *o = realloc(f->metaoff, (size_t)cap * sizeof *o);
      if (!o) return oom(p);
      f->metaoff = o;
      f->metacap = cap;
    }
    f->meta[2 * f->nmeta] = key;
    f->meta[2 * f->nmeta + 1] = val;
    f->metaoff[f->nmeta++] = ko;
    more = next_member(p);
    if (more < 0) return -1;
  } while (more);
  return 0;
}

static int parse_header(parser *p) {
  vg_st_file *f = p->f;
  if (!at(p, '{')) return perr(p, 0, "the header must start with '{'");
  p->i++;
  skip_ws(p);
  int seen_meta = 0, more = 1;
  if (at(p, '}')) {
    p->i++;
    more = 0;
  }
  while (more) {
    char *key;
    size_t ko;
    if (parse_key(p, &key, &ko)) return -1;
    if (strcmp(key, "__metadata__") == 0) {
      if (seen_meta++) return perr(p, ko, "duplicate key '__metadata__'");
      if (parse_meta(p)) return -1;
    } else {
      if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 16;
        vg_st_tensor *t = realloc(f->t, (size_t)cap * sizeof *t);
        if (!t) return oom(p);
        f->t = t;
        tinfo *in = realloc(f->info, (size_t)cap * sizeof *in);
        if (!in) return oom(p);
        f->info = in;
        f->cap = cap;
      }
      int ti = f->n++;
      memset(&f->t[ti], 0, sizeof f->t[ti]);
      f->t[ti].name = key;
      f->info[ti] = (tinfo){0, 0, ko};
      if (parse_tensor(p, ti)) return -1;
    }
    more = next_member(p);
    if (more < 0) return -1;
  }
  for (; p->i < p->n; p->i++) {
    unsigned c = p->s[p->i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      return perr(p, p->i, "unexpected bytes after the header's JSON object (only spaces may follow it)");
  }
  return 0;
}

typedef struct span {
  ull begin, end;
  int idx;
} span;

static int by_offsets(const void *a, const void *b) {
  const span *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The checks that need the whole header: names, sizes, coverage. */
static vg_status check_layout(parser *p, ull data_len, unsigned char *data) {
  vg_st_file *f = p->f;
  const char *path = p->path;
  int m = f->n > f->nmeta ? f->n : f->nmeta;
  vg_st_named *v = malloc((m > 0 ? (size_t)m : 1) * sizeof *v);
  if (!v) return oom(p), p->st;
  for (int i = 0; i < f->nmeta; i++) v[i] = (vg_st_named){f->meta[2 * i], i, f->metaoff[i]};
  int d = vg_st_first_duplicate(v, f->nmeta);
  if (d >= 0) {
    perr(p, v[d].off, "duplicate metadata key '%s'", v[d].name);
    free(v);
    return p->st;
  }
  for (int i = 0; i < f->n; i++) v[i] = (vg_st_named){f->t[i].name, i, f->info[i].off};
  d = vg_st_first_duplicate(v, f->n);
  if (d >= 0) {
    perr(p, v[d].off, "duplicate tensor name '%s'", v[d].name);
    free(v);
    return p->st;
  }
  f->byname = v;

  for (int i = 0; i < f->n; i++) {
    const vg_st_tensor *t = &f->t[i];
    const tinfo *in = &f->info[i];
    if (in->end < in->begin)
      return vg_file_error(p->err, p->errlen, VG_ERR_FORMAT, path, "tensor '%s': data_offsets [%llu, %llu] end before they begin",
                  t->name, in->begin, in->end);
    ull need = vg_dtype_size(t->dtype);
    int zero = 0, over = 0;
    for (int k = 0; k < t->shape.nd; k++) {
      ull dk = (ull)t->shape.d[k];
      if (dk == 0) zero = 1;
      else if (need > ~0ULL / dk) over = 1;
      else need *= dk;
    }
    if (zero) need = 0, over = 0;
    if (over || need != in->end - in->begin) {
      char sh[VG_SHAPE_STRLEN], needs[48];
      vg_shape_str(&t->shape, sh, sizeof sh);
      if (over) snprintf(needs, sizeof needs, "more than %llu", ~0ULL);
      else snprintf(needs, sizeof needs, "%llu", need);
      return vg_file_error(p->err, p->errlen, VG_ERR_FORMAT, path,
                  "tensor '%s': data_offsets [%llu, %llu] hold %llu bytes, its shape %s and %s need %s", t->name,
                  in->begin, in->end, in->end - in->begin, sh, vg_st_dtype_names[t->dtype], needs);
    }
  }

  span *order = malloc((f->n > 0 ? (size_t)f->n : 1) * sizeof *order);
  if (!order) return oom(p), p->st;
  for (int i = 0; i < f->n; i++) order[i] = (span){f->info[i].begin, f->info[i].end, i};
  qsort(order, (size_t)f->n, sizeof *order, by_offsets);
  ull end = 0;
  for (int k = 0; k < f->n; k++) {
    const span *in = &order[k];
    if (in->begin != end) {
      vg_status st;
      if (k == 0)
        st = vg_file_error(p->err, p->errlen, VG_ERR_FORMAT, path,
                  "tensor '%s': data_offsets [%llu, %llu] leave a gap or overlap (the data section starts at 0)",
                  f->t[in->idx].name, in->begin, in->end);
      else
        st = vg_file_error(p->err, p->errlen, VG_ERR_FORMAT, path,
                  "tensor '%s': data_offsets [%llu, %llu] leave a gap or overlap (previous tensor '%s' ended at %llu)",
                  f->t[in->idx].name, in->begin, in->end, f->t[order[k - 1].idx].name, end);
      free(order);
      return st;
    }
    end = in->end;
  }
  free(order);
  ull data_start = 8ULL + (ull)p->n;
  if (end > data_len)
    return vg_file_error(p->err, p->errlen, VG_ERR_FORMAT, path,
                "byte %llu: file ends inside tensor data (expected %llu data bytes, found %llu)", data_start + data_len,
                end, data_len);
  if (end < data_len)
    return vg_file_error(p->err, p->errlen, VG_ERR_FORMAT, path,
                "byte %llu: %llu bytes of trailing data after the last tensor (the tensors cover %llu of %llu data "
                "bytes)",
                data_start + end, data_len - end, end, data_len);
  /* An empty tensor points at the (aligned) start of the data. */
  for (int i = 0; i < f->n; i++) f->t[i].data = data + (f->info[i].end > f->info[i].begin ? f->info[i].begin : 0);
  return VG_OK;
}

vg_status vg_st_read(const char *path, vg_st_file **out, char *err, size_t errlen) {
  if (!out) return vg_file_error(err, errlen, VG_ERR_ARG, path, "no place for the result");
  *out = NULL;
  if (!path) return vg_file_error(err, errlen, VG_ERR_ARG, "(no path)", "no file name given");
  FILE *fp = fopen(path, "rb");
  if (!fp) return vg_file_error(err, errlen, VG_ERR_IO, path, "cannot open: %s", strerror(errno));
  vg_status st = VG_OK;
  vg_st_file *f = NULL;
  struct stat sb;
  if (fstat(fileno(fp), &sb) != 0) {
    st = vg_file_error(err, errlen, VG_ERR_IO, path, "cannot stat: %s", strerror(errno));
    goto done;
  }
  if (!S_ISREG(sb.st_mode)) {
    st = vg_file_error(err, errlen, VG_ERR_IO, path, "cannot read: %s", S_ISDIR(sb.st_mode) ? "it is a directory" : "not a regular file");
    goto done;
  }
  ull size = (ull)sb.st_size;
  unsigned char head[8];
  size_t got = fread(head, 1, 8, fp);
  if (got < 8) {
    if (ferror(fp)) st = vg_file_error(err, errlen, VG_ERR_IO, path, "cannot read: %s", strerror(errno));
    else
      st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "byte %zu: file ends inside the 8-byte header length (%zu byte%s)",
                got, got, got == 1 ? "" : "s");
    goto done;
  }
  if (size < 8) size = 8; /* it grew while we looked */
  ull hlen = 0;
  for (int k = 7; k >= 0; k--) hlen = hlen << 8 | head[k];
  if (hlen > size - 8) {
    if (hlen > size)
      st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "byte 0: header length %llu exceeds the file (%llu bytes)", hlen,
                size);
    else
      st = vg_file_error(err, errlen, VG_ERR_FORMAT, path,
                "byte 0: header length %llu exceeds the %llu bytes after the length (the file has %llu bytes)", hlen,
                size - 8, size);
    goto done;
  }
  if (hlen > VG_ST_MAX_HEADER) {
    st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "byte 0: header length %llu exceeds the limit of %llu bytes", hlen,
              VG_ST_MAX_HEADER);
    goto done;
  }
  f = calloc(1, sizeof *f);
  size_t pad = (size_t)((VG_ST_DATA_ALIGN - (8 + hlen) % VG_ST_DATA_ALIGN) % VG_ST_DATA_ALIGN);
  if (f && size <= (ull)SIZE_MAX - pad - VG_ST_DATA_ALIGN) f->block = malloc((size_t)size + pad + VG_ST_DATA_ALIGN - 1);
  if (f) f->pool = malloc((size_t)hlen + 1);
  if (!f || !f->block || !f->pool) {
    st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory for %llu bytes", size + hlen);
    goto done;
  }
  uintptr_t base = ((uintptr_t)f->block + VG_ST_DATA_ALIGN - 1) & ~(uintptr_t)(VG_ST_DATA_ALIGN - 1);
  unsigned char *buf = (unsigned char *)base + pad;
  memcpy(buf, head, 8);
  got = fread(buf + 8, 1, (size_t)(size - 8), fp);
  if (got < size - 8) {
    if (ferror(fp)) st = vg_file_error(err, errlen, VG_ERR_IO, path, "cannot read: %s", strerror(errno));
    else
      st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "byte %llu: file ends early (it was %llu bytes when opened)",
                8ULL + (ull)got, size);
    goto done;
  }
  parser p = {path, err, errlen, buf + 8, (size_t)hlen, 0, f, VG_OK};
  if (parse_header(&p)) {
    st = p.st;
    goto done;
  }
  st = check_layout(&p, size - 8 - hlen, buf + 8 + hlen);
done:
  fclose(fp);
  if (st) vg_st_free(f);
  else *out = f;
  return st;
}

int vg_st_count(const vg_st_file *f) { return f ? f->n : 0; }

const vg_st_tensor *vg_st_get(const vg_st_file *f, int i) { return f && i >= 0 && i < f->n ? &f->t[i] : NULL; }

const vg_st_tensor *vg_st_find(const vg_st_file *f, const char *name) {
  if (!f || !name) return NULL;
  int lo = 0, hi = f->n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    int c = strcmp(f->byname[mid].name, name);
    if (c == 0) return &f->t[f->byname[mid].idx];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

const char *vg_st_meta(const vg_st_file *f, const char *key) {
  if (!f || !key) return NULL;
  for (int i = 0; i < f->nmeta; i++)
    if (strcmp(f->meta[2 * i], key) == 0) return f->meta[2 * i + 1];
  return NULL;
}

void vg_st_free(vg_st_file *f) {
  if (!f) return;
  free(f->block);
  free(f->pool);
  free(f->t);
  free(f->info);
  free(f->byname);
  free(f->meta);
  free(f->metaoff);
  free(f);
}
