/* vaegraph.core's text classes: a vocabulary, and corpora that fill a
 * graph's inputs with padded batches of sentences. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "module.h"
#include "order.h"
#include "text.h"

#define VOCAB_MT "vaegraph.vocab"
#define TEXT_MT "vaegraph.text"

static vg_vocab *check_vocab(lua_State *L, int i) {
  vg_vocab *v = luaL_checkudata(L, i, VOCAB_MT);
  if (!v->words) luaL_argerror(L, i, "vocabulary already freed");
  return v;
}

static vg_text *check_text(lua_State *L, int i) {
  vg_text *t = luaL_checkudata(L, i, TEXT_MT);
  if (!t->off) luaL_argerror(L, i, "corpus already freed");
  return t;
}

/* core.vocab(path, lower, min_count) */
static int l_vocab(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const int lower = lua_toboolean(L, 2);
  const lua_Integer min_count = vg_checkint(L, 3);
  if (min_count < 1) return luaL_argerror(L, 3, "min_count must be at least 1");
  vg_vocab *v = lua_newuserdata(L, sizeof *v);
  memset(v, 0, sizeof *v);
  luaL_getmetatable(L, VOCAB_MT);
  lua_setmetatable(L, -2);
  char err[1024];
  if (vg_vocab_build(path, lower, min_count, v, err, sizeof err)) return vg_lua_raise(L, err);
  return 1;
}

static int l_vocab_gc(lua_State *L) {
  vg_vocab_free(luaL_checkudata(L, 1, VOCAB_MT));
  return 0;
}

static int l_vocab_size(lua_State *L) {
  lua_pushinteger(L, check_vocab(L, 1)->n);
  return 1;
}

/* v:word(id) -> the word (ids count from 0) */
static int l_vocab_word(lua_State *L) {
  vg_vocab *v = check_vocab(L, 1);
  lua_Integer id = vg_checkint(L, 2);
  if (id < 0 || id >= v->n) return luaL_argerror(L, 2, "not an id of this vocabulary");
  lua_pushstring(L, v->words[id]);
  return 1;
}

/* v:id(word) -> its id, <unk>'s (3) if absent; lower-cased first if the
 * vocabulary was, as corpora read against it are. */
static int l_vocab_id(lua_State *L) {
  const vg_vocab *v = check_vocab(L, 1);
  size_t len;
  const char *w = luaL_checklstring(L, 2, &len);
  if (v->lower) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++) luaL_addchar(&b, (char)tolower((unsigned char)w[i]));
    luaL_pushresult(&b);
    w = lua_tostring(L, -1);
  }
  lua_pushinteger(L, vg_vocab_id(v, w));
  return 1;
}

/* v:fingerprint() -> "6024 words, fnv1a64 <16 hex digits>": the word list
 * in id order, hashed, so that a resumed run can tell that its embedding
 * rows still mean the same words. */
static int l_vocab_fingerprint(lua_State *L) {
  const vg_vocab *v = check_vocab(L, 1);
  uint64_t h = 14695981039346656037ull;
  for (int i = 0; i < v->n; i++)
    for (const char *c = v->words[i];; c++) {
      h = (h ^ (unsigned char)(*c ? *c : '\n')) * 1099511628211ull;
      if (!*c) break;
    }
  char s[64];
  snprintf(s, sizeof s, "%d words, fnv1a64 %016llx", v->n, (unsigned long long)h);
  lua_pushstring(L, s);
  return 1;
}

/* core.text(path, vocab, max_len) */
static int l_text(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  vg_vocab *v = check_vocab(L, 2);
  const lua_Integer max_len = vg_checkint(L, 3);
  if (max_len < 2 || max_len > 100000) return luaL_argerror(L, 3, "max_len must be 2 to 100000");
  vg_text *t = lua_newuserdata(L, sizeof *t);
  memset(t, 0, sizeof *t);
  luaL_getmetatable(L, TEXT_MT);
  lua_setmetatable(L, -2);
  char err[1024];
  if (vg_text_load(path, v, (int)max_len, t, err, sizeof err)) return vg_lua_raise(L, err);
  return 1;
}

static int l_text_gc(lua_State *L) {
  vg_text_free(luaL_checkudata(L, 1, TEXT_MT));
  return 0;
}

/* t:info() -> { n, tokens, unknown, max_len, partial = true }: partial says
 * the last batch of an evaluation may be smaller than the graph's. */
static int l_text_info(lua_State *L) {
  vg_text *t = check_text(L, 1);
  lua_createtable(L, 0, 5);
  lua_pushinteger(L, t->n), lua_setfield(L, -2, "n");
  lua_pushinteger(L, t->tokens), lua_setfield(L, -2, "tokens");
  lua_pushinteger(L, t->unknown), lua_setfield(L, -2, "unknown");
  lua_pushinteger(L, t->max_len), lua_setfield(L, -2, "max_len");
  lua_pushboolean(L, 1), lua_setfield(L, -2, "partial");
  return 1;
}

static int l_text_order(lua_State *L) {
  vg_text *t = check_text(L, 1);
  vg_order(t->order, t->n, lua_toboolean(L, 2), (uint64_t)vg_checkint(L, 3), (uint64_t)vg_checkint(L, 4));
  return 0;
}

/* The buffer of input `node` after giving it shape [count] or [count, T]
 * (nd 1 or 2); NULL for a nil argument. */
static float *batch_input(lua_State *L, vg_graph *g, int arg, int nd, int count, int T) {
  if (lua_isnoneornil(L, arg)) return NULL;
  const int node = vg_lua_node(L, g, arg);
  const vg_node *n = &g->nodes[node];
  if (n->op != VG_OP_INPUT) vg_lua_fail(L, "'%s' is not an input", n->name);
  if (n->bound.nd != nd) {
    char b[VG_SHAPE_STRLEN];
    vg_lua_fail(L, "input '%s' is %s; sentences fill inputs of shape [batch%s]", n->name,
               vg_shape_str(&n->bound, b, sizeof b), nd == 2 ? ", max_len" : "");
  }
  int64_t d[2] = {count, T};
  if (vg_input_set_shape(g, node, vg_shape_of(nd, d))) {
    char msg[1200];
    snprintf(msg, sizeof msg, "%s (a batch of %d sentences, the longest %d tokens with <eos>)", vg_graph_error(g), count, T);
    vg_lua_raise(L, msg);
  }
  return vg_input_fill(g, node);
}

/* t:fill(graph, input, target, lengths, first, count) -> padded length:
 * sentences order[first .. first + count) into the three inputs (node ids,
 * or nil to skip one), which take shape [count, T] and [count]. */
static int l_text_fill(lua_State *L) {
  vg_text *t = check_text(L, 1);
  vg_graph *g = vg_lua_graph(L, 2);
  const lua_Integer first = vg_checkint(L, 6), count = vg_checkint(L, 7);
  if (first < 0 || first >= t->n) return luaL_argerror(L, 6, "sentence index out of the corpus");
  if (count < 1 || count > t->n - first) {
    lua_pushfstring(L, "%d sentences from sentence %d run past the corpus's %d", (int)count, (int)first, (int)t->n);
    return luaL_argerror(L, 7, lua_tostring(L, -1));
  }
  const int T = vg_text_batch_len(t, first, (int)count);
  float *in = batch_input(L, g, 3, 2, (int)count, T), *tg = batch_input(L, g, 4, 2, (int)count, T);
  float *len = batch_input(L, g, 5, 1, (int)count, T);
  vg_text_fill(t, first, (int)count, T, in, tg, len);
  lua_pushinteger(L, T);
  return 1;
}

/* t:sentence(i) -> word ids of sentence i (from 0, file order), cut to
 * max_len - 1 words. */
static int l_text_sentence(lua_State *L) {
  vg_text *t = check_text(L, 1);
  const lua_Integer i = vg_checkint(L, 2);
  if (i < 0 || i >= t->n) return luaL_argerror(L, 2, "sentence index out of the corpus");
  const int32_t *ids;
  const int64_t n = vg_text_words(t, i, &ids);
  lua_createtable(L, (int)n, 0);
  for (int64_t k = 0; k < n; k++) {
    lua_pushinteger(L, ids[k]);
    lua_rawseti(L, -2, (int)k + 1);
  }
  return 1;
}

void vg_lua_open_text(lua_State *L) {
  static const luaL_Reg vocab_methods[] = {
      {"size", l_vocab_size}, {"word", l_vocab_word}, {"id", l_vocab_id}, {"fingerprint", l_vocab_fingerprint}, {NULL, NULL}};
  static const luaL_Reg text_methods[] = {{"info", l_text_info}, {"order", l_text_order}, {"fill", l_text_fill},
                                          {"sentence", l_text_sentence}, {NULL, NULL}};
  vg_lua_class(L, VOCAB_MT, vocab_methods, l_vocab_gc);
  vg_lua_class(L, TEXT_MT, text_methods, l_text_gc);
  lua_pushcfunction(L, l_vocab);
  lua_setfield(L, -2, "vocab");
  lua_pushcfunction(L, l_text);
  lua_setfield(L, -2, "text");
}
