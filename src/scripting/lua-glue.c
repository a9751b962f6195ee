/*
 * KVIS's side of the Lua engine: the C glue compiled with Redis's Lua 5.1 (deps/lua, with
 * cjson, cmsgpack, struct and bit) into src/scripting/lua.wasm by scripts/build-lua.sh.
 * It sets up the two interpreters Redis 7.0 keeps (one for EVAL, one for FUNCTION), the
 * sandbox (allowed globals, read-only tables), the `redis` API, and the conversions
 * between Redis replies and Lua values in both directions, because those rules are about
 * Lua values and are cheapest where the values are. Everything about commands, clients
 * and the keyspace stays in TypeScript (src/scripting/engine.ts): this file reaches the
 * server only through the few host imports below and never holds a pointer of the host's.
 *
 * Written for KVIS from the behaviour of Redis 7.0's src/script_lua.c, eval.c and
 * function_lua.c as documented and observed against redis-server 7.0.15.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#define HOST(name) __attribute__((import_module("kvis"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

/* Run a command for the script: the request is `argc` length-prefixed arguments at `args`.
 * The host writes the RESP reply into the buffer kv_io hands out and returns its length. */
HOST("call") int host_call(const char *args, int argc, int resp);
HOST("log") void host_log(int level, const char *msg, int len);
HOST("sha1hex") void host_sha1hex(const char *data, int len, char *out);
HOST("set_repl") void host_set_repl(int flags);
HOST("acl_check") int host_acl_check(const char *args, int argc);
/* FUNCTION LOAD's redis.register_function: 0, or the length of an error text in kv_io. */
HOST("register") int host_register(const char *name, int name_len, const char *desc, int desc_len, int flags, int ref);
/* Every 100,000 instructions: 1 when the running script must stop (killed), 2 when FUNCTION
 * LOAD's code ran too long. */
HOST("interrupt") int host_interrupt(void);

/* The engines: EVAL's interpreter and FUNCTION's. */
enum { ENGINE_EVAL = 0, ENGINE_FUNCTION = 1 };
static lua_State *engines[2];

/* Script flags, as the host numbers them. */
#define FLAG_NO_WRITES 1
#define FLAG_ALLOW_OOM 2
#define FLAG_ALLOW_STALE 4
#define FLAG_NO_CLUSTER 8
#define FLAG_ALLOW_CROSS_SLOT 16

/* ---------------------------------------------------------------------------------------
 * Buffers shared with the host.
 * ------------------------------------------------------------------------------------- */

typedef struct {
  char *p;
  size_t len, cap;
} buffer;

static buffer io;  /* host -> glue: inputs, command replies, error texts */
static buffer out; /* glue -> host: a script's reply, error texts */
static buffer req; /* a redis.call's arguments */

static void reserve(buffer *b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra) cap *= 2;
  char *p = realloc(b->p, cap);
  if (p == NULL) abort();
  b->p = p;
  b->cap = cap;
}

static void put(buffer *b, const char *s, size_t len) {
  reserve(b, len);
  memcpy(b->p + b->len, s, len);
  b->len += len;
}

static void putc_(buffer *b, char c) { put(b, &c, 1); }

/* n in decimal into tmp (at least 21 bytes); returns its length. printf costs more than
 * the rest of a redis.call's conversions together (profiled). */
static size_t format_int(char *tmp, long long n) {
  char digits[20];
  unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
  size_t len = 0, k = 0;
  do {
    digits[k++] = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (n < 0) tmp[len++] = '-';
  while (k > 0) tmp[len++] = digits[--k];
  return len;
}

static void put_header(buffer *b, char type, long long n) {
  char tmp[32];
  tmp[0] = type;
  size_t len = 1 + format_int(tmp + 1, n);
  tmp[len++] = '\r';
  tmp[len++] = '\n';
  put(b, tmp, len);
}

/* A line of RESP whose text must not break the protocol: CR and LF become spaces, as
 * Redis's addReplyStatusSafe and addReplyErrorFormat do. */
static void put_mapped(buffer *b, const char *s, size_t len) {
  reserve(b, len);
  for (size_t i = 0; i < len; i++) b->p[b->len++] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
}

static void put_line(buffer *b, char type, const char *s, size_t len) {
  putc_(b, type);
  put_mapped(b, s, len);
  put(b, "\r\n", 2);
}

static void put_bulk(buffer *b, const char *s, size_t len) {
  put_header(b, '$', (long long)len);
  put(b, s, len);
  put(b, "\r\n", 2);
}

EXPORT("kv_io") char *kv_io(int size) {
  io.len = 0;
  reserve(&io, (size_t)size + 1);
  return io.p;
}

EXPORT("kv_out") char *kv_out(void) { return out.p; }

/* ---------------------------------------------------------------------------------------
 * Errors as Redis 7.0 gives them to scripts: a table {err = "CODE message"}.
 * ------------------------------------------------------------------------------------- */

/* "-CODE message" keeps its code; a bare "message" gets ERR. Trailing CR/LF are dropped. */
static void push_error(lua_State *L, const char *s, size_t len) {
  luaL_Buffer b;
  const char *msg = s;
  size_t msg_len = len;
  luaL_buffinit(L, &b);
  if (len > 0 && s[0] == '-') {
    const char *space = memchr(s, ' ', len);
    if (space == NULL) {
      luaL_addstring(&b, "ERR");
      msg = s + 1;
      msg_len = len - 1;
    } else {
      luaL_addlstring(&b, s + 1, (size_t)(space - s - 1));
      msg = space + 1;
      msg_len = len - (size_t)(space + 1 - s);
    }
  } else {
    luaL_addstring(&b, "ERR");
  }
  while (msg_len > 0 && (msg[msg_len - 1] == '\r' || msg[msg_len - 1] == '\n')) msg_len--;
  while (msg_len > 0 && (msg[0] == '\r' || msg[0] == '\n')) msg++, msg_len--;
  luaL_addchar(&b, ' ');
  luaL_addlstring(&b, msg, msg_len);
  luaL_pushresult(&b);
  lua_newtable(L);
  lua_insert(L, -2);
  lua_setfield(L, -2, "err");
}

static void push_error_str(lua_State *L, const char *s) { push_error(L, s, strlen(s)); }

static int raise_error(lua_State *L, const char *s) {
  push_error_str(L, s);
  return lua_error(L);
}

/* ---------------------------------------------------------------------------------------
 * RESP (a command's reply) -> Lua value.
 * ------------------------------------------------------------------------------------- */

static const char *line_end(const char *p) { return strstr(p, "\r\n"); }

static const char *parse_reply(lua_State *L, const char *p, int push);

/* The integer at p, as our own server writes it: an optional '-' and digits. */
static long long parse_len(const char *p) {
  int negative = *p == '-';
  unsigned long long u = 0;
  for (p += negative; *p >= '0' && *p <= '9'; p++) u = u * 10 + (unsigned long long)(*p - '0');
  return negative ? (long long)(0ULL - u) : (long long)u;
}

static const char *parse_aggregate(lua_State *L, const char *p, int push) {
  char type = *p;
  const char *end = line_end(p);
  long long n = parse_len(p + 1);
  p = end + 2;
  if (n < 0) {
    if (push) lua_pushboolean(L, 0);
    return p;
  }
  lua_checkstack(L, 4);
  if (type == '|') {
    /* Attributes are skipped; the value after them is the reply. */
    for (long long i = 0; i < n; i++) {
      p = parse_reply(L, p, 0);
      p = parse_reply(L, p, 0);
    }
    return parse_reply(L, p, push);
  }
  if (type == '%' || type == '~') {
    if (push) {
      lua_newtable(L);
      lua_pushstring(L, type == '%' ? "map" : "set");
      lua_newtable(L);
    }
    for (long long i = 0; i < n; i++) {
      p = parse_reply(L, p, push);
      if (type == '%') {
        p = parse_reply(L, p, push);
      } else if (push) {
        lua_pushboolean(L, 1);
      }
      if (push) lua_settable(L, -3);
    }
    if (push) lua_settable(L, -3);
    return p;
  }
  if (push) lua_newtable(L);
  for (long long i = 0; i < n; i++) {
    if (push) lua_pushnumber(L, (lua_Number)(i + 1));
    p = parse_reply(L, p, push);
    if (push) lua_settable(L, -3);
  }
  return p;
}

/* A table of one string field, {name = s}: how Redis gives scripts a status reply or a big number. */
static void push_field_table(lua_State *L, const char *name, const char *s, size_t len) {
  lua_newtable(L);
  lua_pushstring(L, name);
  lua_pushlstring(L, s, len);
  lua_settable(L, -3);
}

static const char *parse_reply(lua_State *L, const char *p, int push) {
  const char *end = line_end(p);
  const char *body = p + 1;
  size_t body_len = (size_t)(end - body);
  lua_checkstack(L, 5);
  switch (*p) {
  case '+':
    if (push) push_field_table(L, "ok", body, body_len);
    return end + 2;
  case '-':
    if (push) {
      push_error(L, p, (size_t)(end - p));
      /* The command already counted its error in INFO errorstats. */
      lua_pushstring(L, "ignore_error_stats_update");
      lua_pushboolean(L, 1);
      lua_settable(L, -3);
    }
    return end + 2;
  case ':':
    if (push) lua_pushnumber(L, (lua_Number)parse_len(body));
    return end + 2;
  case '_':
    if (push) lua_pushnil(L);
    return end + 2;
  case '#':
    if (push) lua_pushboolean(L, *body == 't');
    return end + 2;
  case ',':
    if (push) {
      lua_newtable(L);
      lua_pushstring(L, "double");
      lua_pushnumber(L, strtod(body, NULL));
      lua_settable(L, -3);
    }
    return end + 2;
  case '(':
    if (push) push_field_table(L, "big_number", body, body_len);
    return end + 2;
  case '$':
  case '=': {
    long long len = parse_len(body);
    const char *data = end + 2;
    if (len < 0) {
      if (push) lua_pushboolean(L, 0);
      return data;
    }
    if (push && *p == '$') {
      lua_pushlstring(L, data, (size_t)len);
    } else if (push) {
      lua_newtable(L);
      lua_pushstring(L, "verbatim_string");
      lua_newtable(L);
      lua_pushstring(L, "string");
      lua_pushlstring(L, data + 4, (size_t)len - 4);
      lua_settable(L, -3);
      lua_pushstring(L, "format");
      lua_pushlstring(L, data, 3);
      lua_settable(L, -3);
      lua_settable(L, -3);
    }
    return data + len + 2;
  }
  default:
    return parse_aggregate(L, p, push);
  }
}

/* ---------------------------------------------------------------------------------------
 * Lua value -> RESP (a script's reply), for a caller speaking `caller_resp`; booleans
 * follow the protocol the script last chose with redis.setresp.
 * ------------------------------------------------------------------------------------- */

static int script_resp = 2;
/* Set when the reply is an error that a redis.call already counted in errorstats. */
static int reply_flags;
#define REPLY_ERROR 1
#define REPLY_NO_STATS 2
#define REPLY_AT 4
#define REPLY_RAW 8

/* A double truncated to 64 bits as x86-64 does it (where Redis runs): out of range or NaN
 * gives INT64_MIN, where wasm's saturating conversion would give the nearest bound. */
static long long to_int64(double d) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return INT64_MIN;
  return (long long)d;
}

static void put_null(buffer *b, int resp) { put(b, resp == 2 ? "$-1\r\n" : "_\r\n", resp == 2 ? 5 : 3); }

static void put_double(buffer *b, double d, int resp) {
  char tmp[64];
  int len;
  if (isinf(d)) len = snprintf(tmp, sizeof(tmp), "%s", d > 0 ? "inf" : "-inf");
  else len = snprintf(tmp, sizeof(tmp), "%.17g", d);
  if (resp == 2) put_bulk(b, tmp, (size_t)len);
  else put_line(b, ',', tmp, (size_t)len);
}

/* The string field `name` of the table on top of the stack, pushed; 0 when absent. */
static int get_field(lua_State *L, const char *name, int type) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  if (lua_type(L, -1) == type) return 1;
  lua_pop(L, 1);
  return 0;
}

static void to_resp(lua_State *L, int resp);

static void table_to_resp(lua_State *L, int resp) {
  if (get_field(L, "err", LUA_TSTRING)) {
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    lua_pop(L, 1);
    if (get_field(L, "ignore_error_stats_update", LUA_TBOOLEAN)) {
      if (lua_toboolean(L, -1)) reply_flags |= REPLY_NO_STATS;
      lua_pop(L, 1);
    }
    reply_flags |= REPLY_ERROR;
    /* Redis's addReplyErrorFormat adds "-ERR " only to a text that does not start with '-'. */
    if (len > 0 && s[0] == '-') put_line(&out, '-', s + 1, len - 1);
    else put_line(&out, '-', s, len);
    return;
  }
  if (get_field(L, "ok", LUA_TSTRING)) {
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    put_line(&out, '+', s, len);
    lua_pop(L, 1);
    return;
  }
  if (get_field(L, "double", LUA_TNUMBER)) {
    put_double(&out, lua_tonumber(L, -1), resp);
    lua_pop(L, 1);
    return;
  }
  if (get_field(L, "big_number", LUA_TSTRING)) {
    /* CR and LF become spaces in either protocol, as Redis maps them. */
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (resp == 2) {
      put_header(&out, '$', (long long)len);
      put_mapped(&out, s, len);
      put(&out, "\r\n", 2);
    } else {
      put_line(&out, '(', s, len);
    }
    lua_pop(L, 1);
    return;
  }
  if (get_field(L, "verbatim_string", LUA_TTABLE)) {
    int done = 0;
    if (get_field(L, "format", LUA_TSTRING)) {
      size_t flen;
      const char *format = lua_tolstring(L, -1, &flen);
      lua_pushstring(L, "string");
      lua_rawget(L, -3);
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (resp == 2) {
          put_bulk(&out, s, len);
        } else {
          put_header(&out, '=', (long long)len + 4);
          put(&out, format, flen < 3 ? flen : 3);
          for (size_t i = flen; i < 3; i++) putc_(&out, ' ');
          putc_(&out, ':');
          put(&out, s, len);
          put(&out, "\r\n", 2);
        }
        done = 1;
      }
      lua_pop(L, 2);
    }
    lua_pop(L, 1);
    if (done) return;
  }
  if (get_field(L, "map", LUA_TTABLE)) {
    long long n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) n++, lua_pop(L, 1);
    put_header(&out, resp == 2 ? '*' : '%', resp == 2 ? n * 2 : n);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      /* stack: map, key, value */
      lua_pushvalue(L, -2);
      to_resp(L, resp); /* the key */
      to_resp(L, resp); /* the value */
    }
    lua_pop(L, 1);
    return;
  }
  if (get_field(L, "set", LUA_TTABLE)) {
    long long n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) n++, lua_pop(L, 1);
    put_header(&out, resp == 2 ? '*' : '~', n);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      to_resp(L, resp);
    }
    lua_pop(L, 1);
    return;
  }
  /* An array: the elements up to the first nil. */
  long long n = 0;
  for (;;) {
    lua_rawgeti(L, -1, (int)(n + 1));
    int nil = lua_isnil(L, -1);
    lua_pop(L, 1);
    if (nil) break;
    n++;
  }
  put_header(&out, '*', n);
  for (long long i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, (int)i);
    to_resp(L, resp);
  }
}

/* Convert and pop the value on top of the stack. */
static void to_resp(lua_State *L, int resp) {
  if (!lua_checkstack(L, 6)) {
    put_line(&out, '-', "ERR reached lua stack limit", 27);
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    put_bulk(&out, s, len);
    break;
  }
  case LUA_TBOOLEAN:
    if (script_resp == 2) {
      if (lua_toboolean(L, -1)) put(&out, ":1\r\n", 4);
      else put_null(&out, resp);
    } else if (resp == 2) {
      put(&out, lua_toboolean(L, -1) ? ":1\r\n" : ":0\r\n", 4);
    } else {
      put(&out, lua_toboolean(L, -1) ? "#t\r\n" : "#f\r\n", 4);
    }
    break;
  case LUA_TNUMBER:
    put_header(&out, ':', to_int64(lua_tonumber(L, -1)));
    break;
  case LUA_TTABLE:
    table_to_resp(L, resp);
    break;
  default:
    put_null(&out, resp);
  }
  lua_pop(L, 1);
}

/* ---------------------------------------------------------------------------------------
 * The redis.* API.
 * ------------------------------------------------------------------------------------- */

/* Whether a script is running (redis.call and friends are refused at load time). */
static int running;

/* Pops the arguments into `req` as length-prefixed bytes; numbers as "%.17g", since
 * Lua's own conversion (%.14g) loses precision. Returns argc, or -1 with an error pushed. */
static int pack_args(lua_State *L) {
  int argc = lua_gettop(L);
  if (argc == 0) {
    push_error_str(L, "Please specify at least one argument for this redis lib call");
    return -1;
  }
  req.len = 0;
  for (int j = 1; j <= argc; j++) {
    char num[64];
    const char *s;
    size_t len;
    if (lua_type(L, j) == LUA_TNUMBER) {
      double d = (double)lua_tonumber(L, j);
      /* An integer below 1e17 prints as its digits under %.17g (but -0 as "-0"). */
      if (d > -1e17 && d < 1e17 && d == (double)(long long)d && !(d == 0 && signbit(d))) len = format_int(num, (long long)d);
      else len = (size_t)snprintf(num, sizeof(num), "%.17g", d);
      s = num;
    } else {
      s = lua_tolstring(L, j, &len);
      if (s == NULL) {
        lua_pop(L, argc);
        push_error_str(L, "Lua redis lib command arguments must be strings or integers");
        return -1;
      }
    }
    uint32_t n = (uint32_t)len;
    put(&req, (const char *)&n, 4);
    put(&req, s, len);
  }
  lua_pop(L, argc);
  return argc;
}

static int redis_call_generic(lua_State *L, int raise) {
  if (!running) return raise_error(L, "redis.call/pcall can only be called inside a script invocation");
  int argc = pack_args(L);
  if (argc < 0) return raise ? lua_error(L) : 1;
  int len = host_call(req.p, argc, script_resp);
  io.p[len] = '\0';
  parse_reply(L, io.p, 1);
  if (raise && io.p[0] == '-') return lua_error(L);
  return 1;
}

static int redis_call(lua_State *L) { return redis_call_generic(L, 1); }
static int redis_pcall(lua_State *L) { return redis_call_generic(L, 0); }

/* The global pcall: an error raised as a table (Redis 7's form) is returned as its text,
 * as scripts written for older versions expect. */
static int lua_pcall_compat(lua_State *L) {
  int argc = lua_gettop(L);
  if (argc == 0) {
    /* Redis calls "nothing" here, which fails as calling nil does. */
    lua_pushboolean(L, 0);
    lua_pushliteral(L, "attempt to call a nil value");
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) lua_replace(L, -2);
      else lua_pop(L, 1);
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

static int redis_sha1hex(lua_State *L) {
  if (lua_gettop(L) != 1) return raise_error(L, "wrong number of arguments");
  size_t len;
  const char *s = lua_tolstring(L, 1, &len);
  char digest[40];
  host_sha1hex(s ? s : "", s ? (int)len : 0, digest);
  lua_pushlstring(L, digest, 40);
  return 1;
}

static int redis_error_reply(lua_State *L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    push_error_str(L, "wrong number or type of arguments");
    return 1;
  }
  size_t len;
  const char *s = lua_tolstring(L, 1, &len);
  if (len > 0 && s[0] == '-') {
    push_error(L, s, len);
  } else {
    lua_pushliteral(L, "-");
    lua_pushvalue(L, 1);
    lua_concat(L, 2);
    s = lua_tolstring(L, -1, &len);
    push_error(L, s, len);
  }
  return 1;
}

static int redis_status_reply(lua_State *L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    push_error_str(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushstring(L, "ok");
  lua_pushvalue(L, 1);
  lua_settable(L, -3);
  return 1;
}

static int redis_set_repl(lua_State *L) {
  if (!running) return raise_error(L, "redis.set_repl can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return raise_error(L, "redis.set_repl() requires two arguments.");
  int flags = (int)lua_tonumber(L, -1);
  if ((flags & ~3) != 0) return raise_error(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  host_set_repl(flags);
  return 0;
}

static int redis_acl_check_cmd(lua_State *L) {
  if (!running) return raise_error(L, "redis.acl_check_cmd can only be called inside a script invocation");
  int argc = pack_args(L);
  if (argc < 0) return lua_error(L);
  int allowed = host_acl_check(req.p, argc);
  if (allowed < 0) return raise_error(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, allowed);
  return 1;
}

static int redis_log(lua_State *L) {
  int argc = lua_gettop(L);
  if (argc < 2) return raise_error(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return raise_error(L, "First argument must be a number (log level).");
  int level = (int)lua_tonumber(L, 1);
  if (level < 0 || level > 3) return raise_error(L, "Invalid debug level.");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int first = 1;
  for (int j = 2; j <= argc; j++) {
    size_t len;
    const char *s = lua_tolstring(L, j, &len);
    if (s == NULL) continue;
    if (!first) luaL_addchar(&b, ' ');
    luaL_addlstring(&b, s, len);
    first = 0;
  }
  luaL_pushresult(&b);
  size_t len;
  const char *msg = lua_tolstring(L, -1, &len);
  host_log(level, msg, (int)len);
  return 0;
}

static int redis_setresp(lua_State *L) {
  if (!running) return raise_error(L, "redis.setresp can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return raise_error(L, "redis.setresp() requires one argument.");
  int resp = (int)lua_tonumber(L, 1);
  if (resp != 2 && resp != 3) return raise_error(L, "RESP version must be 2 or 3.");
  script_resp = resp;
  return 0;
}

static int redis_noop(lua_State *L) {
  (void)L;
  return 0;
}

/* ---------------------------------------------------------------------------------------
 * The Lua debugger (SCRIPT DEBUG SYNC, src/scripting/debugger.ts): a line hook hands each
 * line of the user's script to the host, whose debugger may stop there and ask the
 * interpreter for variables, an expression or a backtrace, shown as Redis's ldb shows them.
 * ------------------------------------------------------------------------------------- */

/* A line of the user's script is about to run, or (`count`) 100,000 instructions went by:
 * 0 runs on, else the length of the error (in kv_io) that ends the script. */
HOST("ldb_line") int host_ldb_line(int line, int count);
/* A line of debugger output. */
HOST("ldb_log") void host_ldb_log(const char *s, int len);
/* A frame of the user's script in a backtrace: its function's name (empty at the top level) and line. */
HOST("ldb_frame") void host_ldb_frame(int level, const char *name, int len, int line);
/* redis.breakpoint(): 1 when a session is on (it stops at the next line). */
HOST("ldb_breakpoint") int host_ldb_breakpoint(void);
/* redis.debug(...): its arguments, shown; nothing without a session. */
HOST("ldb_debug") void host_ldb_debug(const char *s, int len);

/* The interpreter stopped in the hook, for the host's requests. */
static lua_State *ldb_state;
static buffer shown;

/* Bytes as Redis's sdscatrepr quotes them. */
static void put_quoted(buffer *b, const char *s, size_t len) {
  char tmp[5];
  putc_(b, '"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '\\': put(b, "\\\\", 2); break;
    case '"': put(b, "\\\"", 2); break;
    case '\n': put(b, "\\n", 2); break;
    case '\r': put(b, "\\r", 2); break;
    case '\t': put(b, "\\t", 2); break;
    case '\a': put(b, "\\a", 2); break;
    case '\b': put(b, "\\b", 2); break;
    default:
      if (c >= 32 && c < 127) putc_(b, (char)c);
      else {
        snprintf(tmp, sizeof tmp, "\\x%02x", c);
        put(b, tmp, 4);
      }
    }
  }
  putc_(b, '"');
}

/* The value at `idx`, as Redis's ldb shows it: strings quoted, numbers with %g, tables
 * as {a; b} when they are arrays, else {[k]=v; ...}, nested at most LUA_MINSTACK/2 deep. */
static void put_value(buffer *b, lua_State *L, int idx, int level) {
  char tmp[64];
  if (idx < 0) idx = lua_gettop(L) + idx + 1;
  if (level++ == LUA_MINSTACK / 2) {
    const char *m = "<max recursion level reached! Nested table?>";
    put(b, m, strlen(m));
    return;
  }
  switch (lua_type(L, idx)) {
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    put_quoted(b, s, len);
    break;
  }
  case LUA_TBOOLEAN:
    if (lua_toboolean(L, idx)) put(b, "true", 4);
    else put(b, "false", 5);
    break;
  case LUA_TNUMBER:
    put(b, tmp, (size_t)snprintf(tmp, sizeof tmp, "%g", (double)lua_tonumber(L, idx)));
    break;
  case LUA_TNIL:
    put(b, "nil", 3);
    break;
  case LUA_TTABLE: {
    /* Both forms are made at once; which one shows is known at the end. */
    buffer array = {0}, map = {0};
    int expected = 1, is_array = 1;
    lua_checkstack(L, 3);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      if (is_array && (lua_type(L, -2) != LUA_TNUMBER || lua_tonumber(L, -2) != expected)) is_array = 0;
      put_value(&array, L, -1, level);
      put(&array, "; ", 2);
      putc_(&map, '[');
      put_value(&map, L, -2, level);
      put(&map, "]=", 2);
      put_value(&map, L, -1, level);
      put(&map, "; ", 2);
      lua_pop(L, 1);
      expected++;
    }
    buffer *shown_form = is_array ? &array : &map;
    putc_(b, '{');
    if (shown_form->len >= 2) put(b, shown_form->p, shown_form->len - 2);
    putc_(b, '}');
    free(array.p);
    free(map.p);
    break;
  }
  case LUA_TFUNCTION:
  case LUA_TUSERDATA:
  case LUA_TTHREAD:
  case LUA_TLIGHTUSERDATA: {
    int t = lua_type(L, idx);
    const char *name = t == LUA_TFUNCTION ? "function" : t == LUA_TUSERDATA ? "userdata" : t == LUA_TTHREAD ? "thread" : "light-userdata";
    put(b, tmp, (size_t)snprintf(tmp, sizeof tmp, "\"%s@%p\"", name, lua_topointer(L, idx)));
    break;
  }
  default:
    put(b, "\"<unknown-lua-type>\"", 20);
  }
}

/* A log line: `prefix` and the value on top of the stack. */
static void log_value(lua_State *L, const char *prefix, size_t prefix_len) {
  shown.len = 0;
  put(&shown, prefix, prefix_len);
  put_value(&shown, L, -1, 0);
  host_ldb_log(shown.p, (int)shown.len);
}

static void log_text(const char *s) { host_ldb_log(s, (int)strlen(s)); }

/* "<error> " and the message on top of the stack, which is popped. */
static void log_error(lua_State *L) {
  size_t n = 0;
  const char *msg = lua_tolstring(L, -1, &n);
  shown.len = 0;
  put(&shown, "<error> ", 8);
  if (msg != NULL) put(&shown, msg, n);
  host_ldb_log(shown.p, (int)shown.len);
  lua_pop(L, 1);
}

static void ldb_hook(lua_State *L, lua_Debug *ar) {
  int count = ar->event == LUA_HOOKCOUNT;
  lua_getstack(L, 0, ar);
  lua_getinfo(L, "Sl", ar);
  /* Lines outside the user's script (the debugger's own eval) are not stopped at. */
  if (strstr(ar->short_src, "user_script") == NULL) return;
  ldb_state = L;
  int error = host_ldb_line(ar->currentline, count);
  if (error > 0) {
    lua_pushlstring(L, io.p, (size_t)error);
    lua_error(L);
  }
}

/* print <name> (in kv_io, `len` bytes), or every local of the current frame (len 0). */
EXPORT("kv_ldb_print") void kv_ldb_print(int len) {
  lua_State *L = ldb_state;
  lua_Debug ar;
  char name[1100];
  size_t n = (size_t)len < sizeof name - 1 ? (size_t)len : sizeof name - 1;
  memcpy(name, io.p, n);
  name[n] = '\0';
  if (len == 0) {
    int vars = 0;
    if (lua_getstack(L, 0, &ar)) {
      const char *local;
      for (int i = 1; (local = lua_getlocal(L, &ar, i)) != NULL; i++) {
        if (strstr(local, "(*temporary)") == NULL) {
          char prefix[300];
          int m = snprintf(prefix, sizeof prefix, "<value> %s = ", local);
          log_value(L, prefix, (size_t)m);
          vars++;
        }
        lua_pop(L, 1);
      }
    }
    if (vars == 0) log_text("No local variables in the current context.");
    return;
  }
  for (int level = 0; lua_getstack(L, level, &ar); level++) {
    const char *local;
    for (int i = 1; (local = lua_getlocal(L, &ar, i)) != NULL; i++) {
      if (strcmp(local, name) == 0) {
        log_value(L, "<value> ", 8);
        lua_pop(L, 1);
        return;
      }
      lua_pop(L, 1);
    }
  }
  if (strcmp(name, "ARGV") == 0 || strcmp(name, "KEYS") == 0) {
    lua_getglobal(L, name);
    log_value(L, "<value> ", 8);
    lua_pop(L, 1);
  } else {
    log_text("No such variable.");
  }
}

/* eval <code> (in kv_io): as an expression first ("return " prepended), else as a statement. */
EXPORT("kv_ldb_eval") void kv_ldb_eval(int len) {
  lua_State *L = ldb_state;
  buffer expr = {0};
  put(&expr, "return ", 7);
  put(&expr, io.p, (size_t)len);
  if (luaL_loadbuffer(L, expr.p, expr.len, "@ldb_eval")) {
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, io.p, (size_t)len, "@ldb_eval")) {
      free(expr.p);
      log_error(L);
      return;
    }
  }
  free(expr.p);
  if (lua_pcall(L, 0, 1, 0)) {
    log_error(L);
    return;
  }
  log_value(L, "<retval> ", 9);
  lua_pop(L, 1);
}

/* trace: the frames of the user's script, innermost first. */
EXPORT("kv_ldb_trace") int kv_ldb_trace(void) {
  lua_State *L = ldb_state;
  lua_Debug ar;
  int level = 0;
  for (; lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "Snl", &ar);
    if (strstr(ar.short_src, "user_script") == NULL) continue;
    const char *name = ar.name != NULL ? ar.name : "";
    host_ldb_frame(level, name, (int)strlen(name), ar.currentline);
  }
  return level;
}

/* redis.breakpoint(): stop at the next line when a session is on. */
static int redis_breakpoint(lua_State *L) {
  lua_pushboolean(L, host_ldb_breakpoint());
  return 1;
}

/* redis.debug(...): its arguments, shown, comma-separated. */
static int redis_debug(lua_State *L) {
  int argc = lua_gettop(L);
  buffer b = {0};
  for (int i = 1; i <= argc; i++) {
    put_value(&b, L, i, 0);
    if (i != argc) put(&b, ", ", 2);
  }
  host_ldb_debug(b.p, (int)b.len);
  free(b.p);
  return 0;
}
/* Scripts always replicate their effects in Redis 7: the call is kept for old scripts. */
static int redis_replicate_commands(lua_State *L) {
  lua_pushboolean(L, 1);
  return 1;
}

/* math.random and math.randomseed over the same 48-bit generator as Redis's rand.c (the
 * rand48 family), so a script draws the same numbers on any machine. */
static uint64_t rand48_state = 0x1234ABCD330EULL;

static int32_t rand48_next(void) {
  rand48_state = (rand48_state * 0x5DEECE66DULL + 0xB) & 0xFFFFFFFFFFFFULL;
  return (int32_t)(rand48_state >> 17);
}

static int math_random(lua_State *L) {
  const int32_t max = 0x7fffffff;
  lua_Number r = (lua_Number)(rand48_next() % max) / (lua_Number)max;
  switch (lua_gettop(L)) {
  case 0:
    lua_pushnumber(L, r);
    break;
  case 1: {
    int u = luaL_checkint(L, 1);
    luaL_argcheck(L, 1 <= u, 1, "interval is empty");
    lua_pushnumber(L, floor(r * u) + 1);
    break;
  }
  case 2: {
    int l = luaL_checkint(L, 1);
    int u = luaL_checkint(L, 2);
    luaL_argcheck(L, l <= u, 2, "interval is empty");
    lua_pushnumber(L, floor(r * (u - l + 1)) + l);
    break;
  }
  default:
    return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

static int math_randomseed(lua_State *L) {
  uint32_t seed = (uint32_t)luaL_checkint(L, 1);
  rand48_state = ((uint64_t)seed << 16) | 0x330E;
  return 0;
}

/* ---------------------------------------------------------------------------------------
 * The sandbox.
 * ------------------------------------------------------------------------------------- */

/* Globals a library or Redis may define while the interpreter is built. */
static const char *const allowed_globals[] = {
    "string", "cjson", "bit", "cmsgpack", "math", "table", "struct", "redis", "xpcall", "tostring",
    "setmetatable", "next", "assert", "tonumber", "rawequal", "collectgarbage", "getmetatable",
    "rawset", "pcall", "coroutine", "type", "_G", "select", "unpack", "gcinfo", "pairs", "rawget",
    "loadstring", "ipairs", "_VERSION", "load", "error", "debug", NULL,
};

/* __newindex of the globals while the libraries load: anything else is dropped (print,
 * dofile, loadfile; setfenv, getfenv and newproxy, which Debian's Redis removes too). */
static int globals_newindex(lua_State *L) {
  const char *name = lua_tostring(L, 2);
  if (name == NULL) return 0;
  for (const char *const *g = allowed_globals; *g; g++) {
    if (strcmp(*g, name) == 0) {
      lua_rawset(L, 1);
      return 0;
    }
  }
  return 0;
}

static int nonexistent_global(lua_State *L) {
  const char *name = lua_tostring(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name ? name : "?");
}

/* Give the table on top of the stack a metatable whose __index raises Redis's error. */
static void set_error_metatable(lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, nonexistent_global);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
}

/* Make the table on top of the stack, every table reachable from it and their
 * metatables read-only. */
static void protect_recursively(lua_State *L) {
  if (lua_isreadonlytable(L, -1)) return;
  lua_enablereadonlytable(L, -1, 1);
  lua_checkstack(L, 2);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_istable(L, -1)) protect_recursively(L);
    lua_pop(L, 1);
  }
  if (lua_getmetatable(L, -1)) {
    protect_recursively(L);
    lua_pop(L, 1);
  }
}

/* The metatables of strings and the other basic types are read-only too. */
static void protect_basic_types(lua_State *L) {
  for (int t = 0; t < 7; t++) {
    switch (t) {
    case 0: lua_pushstring(L, ""); break;
    case 1: lua_pushnumber(L, 0); break;
    case 2: lua_pushboolean(L, 0); break;
    case 3: lua_pushnil(L); break;
    case 4: lua_pushcfunction(L, redis_noop); break;
    case 5: lua_newthread(L); break;
    default: lua_pushlightuserdata(L, (void *)L); break;
    }
    if (lua_getmetatable(L, -1)) {
      protect_recursively(L);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
}

/* The error handler of every script run: an error becomes a table {err=...} and gets the
 * script's source and line (of the caller when a C function such as redis.call raised). */
static int error_handler(lua_State *L) {
  lua_Debug ar;
  int found = 0;
  if (lua_getstack(L, 1, &ar)) {
    lua_getinfo(L, "nSl", &ar);
    found = 1;
    if (strcmp(ar.what, "C") == 0) found = lua_getstack(L, 2, &ar) && lua_getinfo(L, "nSl", &ar);
  }
  if (!lua_istable(L, 1)) {
    lua_pushliteral(L, "ERR ");
    lua_getglobal(L, "tostring");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    lua_concat(L, 2);
    lua_newtable(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, "err");
    lua_replace(L, 1);
  }
  if (found) {
    lua_pushstring(L, ar.source);
    lua_setfield(L, 1, "source");
    lua_pushnumber(L, ar.currentline);
    lua_setfield(L, 1, "line");
  }
  lua_settop(L, 1);
  return 1;
}

static void set_function(lua_State *L, const char *name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}

static void set_number(lua_State *L, const char *name, lua_Number n) {
  lua_pushnumber(L, n);
  lua_setfield(L, -2, name);
}

static void register_log_and_version(lua_State *L) {
  set_function(L, "log", redis_log);
  set_number(L, "LOG_DEBUG", 0);
  set_number(L, "LOG_VERBOSE", 1);
  set_number(L, "LOG_NOTICE", 2);
  set_number(L, "LOG_WARNING", 3);
  set_number(L, "REDIS_VERSION_NUM", REDIS_VERSION_NUM);
  lua_pushstring(L, REDIS_VERSION);
  lua_setfield(L, -2, "REDIS_VERSION");
}

static void load_lib(lua_State *L, const char *name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

int luaopen_cjson(lua_State *L);
int luaopen_struct(lua_State *L);
int luaopen_cmsgpack(lua_State *L);
int luaopen_bit(lua_State *L);

/* What both interpreters share: the libraries Redis 7.0 loads, the `redis` table, our
 * pcall and math.random. */
static void register_api(lua_State *L) {
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_newtable(L);
  lua_pushcfunction(L, globals_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  lua_pop(L, 1);

  load_lib(L, "", luaopen_base);
  load_lib(L, LUA_TABLIBNAME, luaopen_table);
  load_lib(L, LUA_STRLIBNAME, luaopen_string);
  load_lib(L, LUA_MATHLIBNAME, luaopen_math);
  load_lib(L, LUA_DBLIBNAME, luaopen_debug);
  load_lib(L, "cjson", luaopen_cjson);
  load_lib(L, "struct", luaopen_struct);
  load_lib(L, "cmsgpack", luaopen_cmsgpack);
  load_lib(L, "bit", luaopen_bit);

  lua_pushcfunction(L, lua_pcall_compat);
  lua_setglobal(L, "pcall");

  lua_newtable(L);
  set_function(L, "call", redis_call);
  set_function(L, "pcall", redis_pcall);
  register_log_and_version(L);
  set_function(L, "setresp", redis_setresp);
  set_function(L, "sha1hex", redis_sha1hex);
  set_function(L, "error_reply", redis_error_reply);
  set_function(L, "status_reply", redis_status_reply);
  set_function(L, "set_repl", redis_set_repl);
  set_number(L, "REPL_NONE", 0);
  set_number(L, "REPL_AOF", 1);
  set_number(L, "REPL_SLAVE", 2);
  set_number(L, "REPL_REPLICA", 2);
  set_number(L, "REPL_ALL", 3);
  set_function(L, "acl_check_cmd", redis_acl_check_cmd);
  lua_setglobal(L, "redis");

  lua_getglobal(L, "math");
  set_function(L, "random", math_random);
  set_function(L, "randomseed", math_randomseed);
  lua_pop(L, 1);
}

static void count_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  int stop = host_interrupt();
  if (!stop) return;
  /* From now on every line raises, so that pcall cannot keep a stopped script alive. */
  lua_sethook(L, count_hook, LUA_MASKLINE, 0);
  raise_error(L, stop == 2 ? "FUNCTION LOAD timeout" : "Script killed by user with SCRIPT KILL...");
}

/* The debug library goes (the error handler is C and needs none of it) and the globals
 * are locked: reading an undeclared one raises, nothing can be written. */
static void lock_globals(lua_State *L) {
  lua_pushnil(L);
  lua_setglobal(L, "debug");
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  set_error_metatable(L);
  protect_recursively(L);
  lua_pop(L, 1);
}

static void build_eval_engine(lua_State *L) {
  register_api(L);
  lua_getglobal(L, "redis");
  set_function(L, "breakpoint", redis_breakpoint);
  set_function(L, "debug", redis_debug);
  set_function(L, "replicate_commands", redis_replicate_commands);
  lua_pop(L, 1);
  lock_globals(L);
  protect_basic_types(L);
}

static int register_function(lua_State *L);

/* FUNCTION's interpreter: a library's code runs with only `redis.register_function`,
 * `redis.log` and the version in sight; its functions run with the usual globals, under
 * a globals table of their own so that one library cannot change what another sees. */
static void build_function_engine(lua_State *L) {
  register_api(L);
  lua_newtable(L); /* what a library's code sees while it loads */
  lua_newtable(L);
  set_function(L, "register_function", register_function);
  register_log_and_version(L);
  set_error_metatable(L);
  lua_setfield(L, -2, "redis");
  set_error_metatable(L);
  protect_recursively(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "__kvis_library_api");
  lock_globals(L);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_setfield(L, LUA_REGISTRYINDEX, "__kvis_globals");
  lua_newtable(L);
  lua_newtable(L);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_setfield(L, -2, "__index");
  lua_enablereadonlytable(L, -1, 1);
  lua_setmetatable(L, -2);
  lua_enablereadonlytable(L, -1, 1);
  lua_replace(L, LUA_GLOBALSINDEX);
  protect_basic_types(L);
}

/* Memory the interpreters hold, for INFO's used_memory_lua. */
static size_t lua_bytes[2];

static void *engine_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  size_t *counter = ud;
  if (nsize == 0) {
    free(ptr);
    *counter -= osize;
    return NULL;
  }
  void *p = realloc(ptr, nsize);
  if (p != NULL) *counter += nsize - osize;
  return p;
}

/* (Re)create an engine: SCRIPT FLUSH and FUNCTION FLUSH start from a new interpreter. */
EXPORT("kv_init") int kv_init(int engine) {
  if (engines[engine] != NULL) lua_close(engines[engine]);
  lua_bytes[engine] = 0;
  lua_State *L = lua_newstate(engine_alloc, &lua_bytes[engine]);
  if (L == NULL) return -1;
  engines[engine] = L;
  if (engine == ENGINE_EVAL) build_eval_engine(L);
  else build_function_engine(L);
  /* The error handler of every run stays at the bottom of the engine's stack (index 1). */
  lua_settop(L, 0);
  lua_pushcfunction(L, error_handler);
  return 0;
}

EXPORT("kv_memory") int kv_memory(int engine) { return (int)lua_bytes[engine]; }

/* ---------------------------------------------------------------------------------------
 * EVAL: compile a script under the registry name `name` (f_<sha1>).
 * ------------------------------------------------------------------------------------- */

/* Compile the script in kv_io, `skip` bytes of shebang left out but its line feed kept so
 * that line numbers stay the user's. Returns the compiled function's registry reference
 * (> 0), or minus the length of Lua's message in kv_out. */
EXPORT("kv_compile") int kv_compile(int len, int skip) {
  lua_State *L = engines[ENGINE_EVAL];
  if (luaL_loadbuffer(L, io.p + skip, (size_t)(len - skip), "@user_script")) {
    size_t n;
    const char *msg = lua_tolstring(L, -1, &n);
    out.len = 0;
    put(&out, msg, n);
    lua_pop(L, 1);
    return -(int)n;
  }
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* ---------------------------------------------------------------------------------------
 * FUNCTION LOAD.
 * ------------------------------------------------------------------------------------- */

static int loading;

static const char *const flag_names[] = {"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys", NULL};

static int read_flags(lua_State *L, int *flags) {
  for (int j = 1;; j++) {
    lua_rawgeti(L, -1, j);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      return 0;
    }
    if (!lua_isstring(L, -1)) {
      lua_pop(L, 1);
      return -1;
    }
    const char *name = lua_tostring(L, -1);
    int found = 0;
    for (int i = 0; flag_names[i]; i++) {
      if (strcasecmp(flag_names[i], name) == 0) {
        *flags |= 1 << i;
        found = 1;
      }
    }
    lua_pop(L, 1);
    if (!found) return -1;
  }
}

/* redis.register_function(name, callback) or redis.register_function{function_name=...,
 * callback=..., flags=..., description=...}. The callback is kept as a registry
 * reference the host stores with the function. */
static int register_function(lua_State *L) {
  if (!loading) return raise_error(L, "redis.register_function can only be called on FUNCTION LOAD command");
  int argc = lua_gettop(L);
  if (argc < 1 || argc > 2) return raise_error(L, "wrong number of arguments to redis.register_function");
  const char *name = NULL, *desc = NULL;
  size_t name_len = 0, desc_len = 0;
  int flags = 0, has_callback = 0;
  if (argc == 2) {
    if (!lua_isstring(L, 1)) return raise_error(L, "first argument to redis.register_function must be a string");
    if (!lua_isfunction(L, 2)) return raise_error(L, "second argument to redis.register_function must be a function");
    name = lua_tolstring(L, 1, &name_len);
    lua_pushvalue(L, 2);
    has_callback = 1;
  } else {
    if (!lua_istable(L, 1)) return raise_error(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
    lua_pushnil(L); /* the callback's slot, at index 2 */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
      if (!lua_isstring(L, -2)) return raise_error(L, "named argument key given to redis.register_function is not a string");
      const char *key = lua_tostring(L, -2);
      if (strcasecmp(key, "function_name") == 0) {
        if (!lua_isstring(L, -1)) return raise_error(L, "function_name argument given to redis.register_function must be a string");
        name = lua_tolstring(L, -1, &name_len);
      } else if (strcasecmp(key, "description") == 0) {
        if (!lua_isstring(L, -1)) return raise_error(L, "description argument given to redis.register_function must be a string");
        desc = lua_tolstring(L, -1, &desc_len);
      } else if (strcasecmp(key, "callback") == 0) {
        if (!lua_isfunction(L, -1)) return raise_error(L, "callback argument given to redis.register_function must be a function");
        lua_pushvalue(L, -1);
        lua_replace(L, 2);
        has_callback = 1;
      } else if (strcasecmp(key, "flags") == 0) {
        if (!lua_istable(L, -1)) return raise_error(L, "flags argument to redis.register_function must be a table representing function flags");
        if (read_flags(L, &flags) != 0) return raise_error(L, "unknown flag given");
      } else {
        return raise_error(L, "unknown argument given to redis.register_function");
      }
      lua_pop(L, 1);
    }
    if (name == NULL) return raise_error(L, "redis.register_function must get a function name argument");
    if (!has_callback) return raise_error(L, "redis.register_function must get a callback argument");
    lua_pushvalue(L, 2);
  }
  /* The strings stay alive: they are referenced from the arguments still on the stack. */
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  int err = host_register(name, (int)name_len, desc, desc ? (int)desc_len : -1, flags, ref);
  if (err > 0) {
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
    push_error(L, io.p, (size_t)err);
    return lua_error(L);
  }
  return 0;
}

static void set_globals_index(lua_State *L, const char *registry_name) {
  lua_getmetatable(L, LUA_GLOBALSINDEX);
  lua_enablereadonlytable(L, -1, 0);
  lua_getfield(L, LUA_REGISTRYINDEX, registry_name);
  lua_setfield(L, -2, "__index");
  lua_enablereadonlytable(L, -1, 1);
  lua_pop(L, 1);
}

/* Run a library's code (in kv_io) so that it registers its functions; 0, or the length of
 * the error text in kv_out. */
EXPORT("kv_load_library") int kv_load_library(int len) {
  lua_State *L = engines[ENGINE_FUNCTION];
  int ret = 0;
  out.len = 0;
  set_globals_index(L, "__kvis_library_api");
  if (luaL_loadbuffer(L, io.p, (size_t)len, "@user_function")) {
    size_t n;
    const char *msg = lua_tolstring(L, -1, &n);
    put(&out, "Error compiling function: ", 26);
    put(&out, msg, n);
    lua_pop(L, 1);
    ret = (int)out.len;
  } else {
    loading = 1;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 100000);
    if (lua_pcall(L, 0, 0, 0)) {
      put(&out, "Error registering functions: ", 29);
      /* An error raised as a string gets ERR, as Redis's luaExtractErrorInformation does. */
      if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
      } else {
        lua_pushliteral(L, "ERR ");
        lua_pushvalue(L, -2);
        lua_concat(L, 2);
      }
      size_t n;
      const char *msg = lua_tolstring(L, -1, &n);
      if (msg != NULL) put(&out, msg, n);
      lua_pop(L, 2);
      ret = (int)out.len;
    }
    lua_sethook(L, NULL, 0, 0);
    loading = 0;
  }
  set_globals_index(L, "__kvis_globals");
  return ret;
}

EXPORT("kv_unref") void kv_unref(int engine, int ref) { luaL_unref(engines[engine], LUA_REGISTRYINDEX, ref); }

/* ---------------------------------------------------------------------------------------
 * Running a script or a function.
 * ------------------------------------------------------------------------------------- */

/* Push a table of the `n` length-prefixed strings at *p, advancing *p. */
static void push_array(lua_State *L, const char **p, int n) {
  lua_createtable(L, n, 0);
  for (int i = 1; i <= n; i++) {
    uint32_t len;
    memcpy(&len, *p, 4);
    lua_pushlstring(L, *p + 4, len);
    lua_rawseti(L, -2, i);
    *p += 4 + len;
  }
}


/* Run the function at registry reference `ref` (an EVAL script or a registered function)
 * with the keys and arguments in kv_io (length-prefixed): globals KEYS and ARGV for EVAL,
 * two table arguments for a function. The reply, for a caller speaking `caller_resp`, is
 * left in kv_out; returns its length. An error is left as its parts instead (the host adds
 * the script's name): "message\0source\0line" (REPLY_AT), or the text of an error that was
 * not a table (REPLY_RAW). */
EXPORT("kv_run") int kv_run(int engine, int ref, int nkeys, int nargs, int caller_resp, int hook) {
  lua_State *L = engines[engine];
  const char *p = io.p;
  out.len = 0;
  reply_flags = 0;
  script_resp = 2;
  lua_checkstack(L, 8);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  push_array(L, &p, nkeys);
  push_array(L, &p, nargs);
  if (engine == ENGINE_EVAL) {
    /* EVAL's KEYS and ARGV are globals: the globals table is opened for them only. */
    lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 0);
    lua_setglobal(L, "ARGV");
    lua_setglobal(L, "KEYS");
    lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 1);
  }
  running = 1;
  /* hook: 1 counts instructions (a script running long serves others), 2 debugs. */
  if (hook == 1) lua_sethook(L, count_hook, LUA_MASKCOUNT, 100000);
  else if (hook == 2) lua_sethook(L, ldb_hook, LUA_MASKLINE | LUA_MASKCOUNT, 100000);
  int err = lua_pcall(L, engine == ENGINE_EVAL ? 0 : 2, 1, 1);
  if (hook) lua_sethook(L, NULL, 0, 0);
  running = 0;
  /* A step of the collector every 50 runs keeps full cycles (and their pauses) rare. */
  static int runs;
  if (++runs == 50) {
    lua_gc(L, LUA_GCSTEP, 50);
    runs = 0;
  }
  if (!err) {
    to_resp(L, caller_resp);
  } else if (!lua_istable(L, -1)) {
    size_t len = 0;
    const char *msg = lua_isstring(L, -1) ? lua_tolstring(L, -1, &len) : "execution failure";
    if (len == 0) len = strlen(msg);
    put(&out, msg, len < 100 ? len : 100);
    reply_flags |= REPLY_ERROR | REPLY_RAW;
    lua_pop(L, 1);
  } else {
    lua_getfield(L, -1, "err");
    lua_getfield(L, -2, "source");
    lua_getfield(L, -3, "line");
    lua_getfield(L, -4, "ignore_error_stats_update");
    size_t len = 0;
    const char *msg = lua_tolstring(L, -4, &len);
    if (msg != NULL) put(&out, msg, len);
    reply_flags |= REPLY_ERROR;
    if (lua_isstring(L, -3) && lua_isstring(L, -2)) {
      size_t n;
      const char *s = lua_tolstring(L, -3, &n);
      putc_(&out, '\0');
      put(&out, s, n);
      putc_(&out, '\0');
      s = lua_tolstring(L, -2, &n);
      put(&out, s, n);
      reply_flags |= REPLY_AT;
    }
    if (lua_toboolean(L, -1)) reply_flags |= REPLY_NO_STATS;
    lua_pop(L, 5);
  }
  return (int)out.len;
}

EXPORT("kv_reply_flags") int kv_reply_flags(void) { return reply_flags; }
