#include "idx.h"

#include "atomic_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_BYTES ((size_t)1 << 32) /* 4 GiB: past this a header is lying */


/* Reads exactly n bytes or says how many it got. */
static size_t read_full(gzFile f, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
    int r = gzread(f, (char *)buf + got, chunk);
    if (r <= 0) break;
    got += (size_t)r;
  }
  return got;
}

/* A read that falls short is a corrupt or cut gzip stream before it is a
 * short file: zlib knows which. at: the uncompressed offset reached. */
static vg_status gzip_failure(gzFile f, const char *path, long long at, char *err, size_t errlen) {
  int zerr;
  const char *zmsg = gzerror(f, &zerr);
  if (zerr == Z_OK || zerr == Z_STREAM_END) return VG_OK;
  const long long packed = (long long)gzoffset(f);
  const size_t plen = strlen(path); /* zlib's message repeats the path */
  if (zmsg && strncmp(zmsg, path, plen) == 0 && strncmp(zmsg + plen, ": ", 2) == 0) zmsg += plen + 2;
  if (zerr == Z_BUF_ERROR)
    return vg_file_error(err, errlen, VG_ERR_FORMAT, path,
                         "the gzip stream is cut short after %lld compressed bytes (%lld uncompressed): a truncated "
                         "download or copy?",
                         packed, at);
  return vg_file_error(err, errlen, VG_ERR_FORMAT, path,
                       "corrupt gzip stream near compressed byte %lld (uncompressed byte %lld): %s", packed, at,
                       zmsg && *zmsg ? zmsg : "zlib error");
}

vg_status vg_idx_load(const char *path, vg_idx *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  gzFile f = gzopen(path, "rb");
  if (!f) return vg_file_error(err, errlen, VG_ERR_IO, path, "cannot open: %s", strerror(errno));
  vg_status st = VG_OK;
  uint8_t head[4];
  size_t got = read_full(f, head, 4);
  if (got < 4) {
    if ((st = gzip_failure(f, path, (long long)got, err, errlen))) goto done;
    st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "byte %lld: file ends inside the 4-byte header (%lld bytes)",
              (long long)got, (long long)got);
    goto done;
  }
  if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] < 1 || head[3] > 4) {
    st = vg_file_error(err, errlen, VG_ERR_FORMAT, path,
              "byte 0: bad magic number 0x%08llx (an IDX file of unsigned bytes starts 0x000008 then 1 to 4 "
              "dimensions)",
              (long long)((uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3]));
    goto done;
  }
  out->ndim = head[3];
  for (int i = 0; i < out->ndim; i++) {
    uint8_t d[4];
    const size_t dgot = read_full(f, d, 4);
    if (dgot < 4) {
      if ((st = gzip_failure(f, path, 4 + 4LL * i + (long long)dgot, err, errlen))) goto done;
      st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "byte %lld: file ends inside dimension %d of %d", 4 + 4LL * i, i + 1,
                out->ndim);
      goto done;
    }
    out->dims[i] = (int64_t)((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]);
  }
  /* Check the claimed size before allocating for it. */
  char dims[64];
  size_t k = 0;
  for (int i = 0; i < out->ndim && k < sizeof dims; i++)
    k += (size_t)snprintf(dims + k, sizeof dims - k, "%s%lld", i ? "x" : "", (long long)out->dims[i]);
  size_t total = 1;
  for (int i = 0; i < out->ndim; i++) {
    if (out->dims[i] == 0 || total > MAX_BYTES / (size_t)out->dims[i]) {
      st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "byte 4: dimensions %s %s", dims,
                out->dims[i] ? "claim more than 4 GiB of data" : "include a zero");
      goto done;
    }
    total *= (size_t)out->dims[i];
  }
  long long head_len = 4 + 4LL * out->ndim;
  /* The header's size is a claim: memory grows with the bytes that really
   * come (doubling from 1 MiB), so a lying header in a short file costs
   * nothing, whether the file is raw or a gzip stream of unknown length. */
  got = 0;
  for (size_t cap = 0; got < total && got == cap;) {
    size_t want = cap ? 2 * cap : (size_t)1 << 20;
    if (want > total) want = total;
    uint8_t *grown = realloc(out->data, want);
    if (!grown) {
      st = vg_file_error(err, errlen, VG_ERR_NOMEM, path, "out of memory for %zu bytes", want);
      goto done;
    }
    out->data = grown;
    got += read_full(f, out->data + cap, want - cap);
    cap = want;
  }
  out->len = total;
  if (got < total) {
    if ((st = gzip_failure(f, path, head_len + (long long)got, err, errlen))) goto done;
    st = vg_file_error(err, errlen, VG_ERR_FORMAT, path, "byte %lld: file ends after %zu of the %zu data bytes its header promises (%s)",
              head_len + (long long)got, got, total, dims);
    goto done;
  }
  uint8_t extra;
  if (gzread(f, &extra, 1) == 1) {
    st = vg_file_error(err, errlen, VG_ERR_FORMAT, path,
              "byte %lld: data continues past the %zu bytes its header promises (wrong dimensions?)",
              head_len + (long long)total, total);
    goto done;
  }
  st = gzip_failure(f, path, head_len + (long long)total, err, errlen);
done:
  gzclose(f);
  if (st) vg_idx_free(out);
  return st;
}

void vg_idx_free(vg_idx *idx) {
  free(idx->data);
  memset(idx, 0, sizeof *idx);
}

vg_status vg_idx_write(const char *path, const vg_idx *idx, char *err, size_t errlen) {
  if (idx->ndim < 1 || idx->ndim > 4) return vg_file_error(err, errlen, VG_ERR_ARG, path, "IDX holds 1 to 4 dimensions, not %d", idx->ndim);
  for (int i = 0; i < idx->ndim; i++)
    if (idx->dims[i] < 0 || idx->dims[i] > (int64_t)UINT32_MAX)
      return vg_file_error(err, errlen, VG_ERR_ARG, path, "dimension %d (%lld) does not fit IDX's 32 bits", i, (long long)idx->dims[i]);
  vg_atomic w;
  vg_status st = vg_atomic_open(&w, path, err, errlen);
  if (st) return st;
  uint8_t head[4 + 4 * 4] = {0, 0, 0x08, (uint8_t)idx->ndim};
  for (int i = 0; i < idx->ndim; i++) {
    const uint32_t d = (uint32_t)idx->dims[i];
    head[4 + 4 * i] = (uint8_t)(d >> 24), head[5 + 4 * i] = (uint8_t)(d >> 16);
    head[6 + 4 * i] = (uint8_t)(d >> 8), head[7 + 4 * i] = (uint8_t)d;
  }
  /* A short write shows in the commit. */
  if (fwrite(head, 1, 4 + 4 * (size_t)idx->ndim, w.f) == 4 + 4 * (size_t)idx->ndim && idx->len)
    (void)fwrite(idx->data, 1, idx->len, w.f);
  return vg_atomic_commit(&w, err, errlen);
}
