/* The TOML cursor: byte position, line:column reporting, whitespace, newlines, comments,
 * bare keys and the four string forms (decoded to UTF-8). Used by the parser in config/ only.
 * Depends on libc and common/{buf,err}. */
#ifndef SVC_CONFIG_TOML_LEX_H
#define SVC_CONFIG_TOML_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct err_msg;

struct toml_lex {
    const char *start;
    const char *p; /* next byte to read */
    const char *end;
    /* Line/column cache: positions are mostly asked for in increasing order, so counting
     * from the last answer keeps position reporting linear. */
    const char *mark;
    int mark_line;
    int mark_col;
    struct err_msg *err;
    bool failed;
    struct buf str; /* the last decoded string or key */
};

/* Starts reading `len` bytes at `data` (borrowed until toml_lex_close()). */
void toml_lex_init(struct toml_lex *lx, const char *data, size_t len, struct err_msg *err);
void toml_lex_close(struct toml_lex *lx);

/* The byte at the cursor, or -1 at the end of input. */
int toml_lex_peek(const struct toml_lex *lx);
/* True when the input at the cursor starts with `lit`. */
bool toml_lex_at(const struct toml_lex *lx, const char *lit);
/* 1-based line and column (in characters) of the byte at `at`. */
void toml_lex_locate(struct toml_lex *lx, const char *at, int *line, int *col);

/* Records the first error (later ones are ignored) at `at` and returns SVC_EPARSE. */
int toml_lex_fail(struct toml_lex *lx, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fails at the cursor, naming what was expected and what was found (end of input, a control
 * character, invalid UTF-8, a bare CR or a printable character). Returns SVC_EPARSE. */
int toml_lex_fail_expected(struct toml_lex *lx, const char *expected);

/* Length of the valid UTF-8 sequence at `p` (1..4, code point in *cp), or 0 if invalid. */
size_t toml_lex_utf8(const char *p, const char *end, uint32_t *cp);

/* Skips spaces and tabs. */
void toml_lex_skip_ws(struct toml_lex *lx);
/* Consumes one LF or CRLF. 1 when consumed, 0 when none is at the cursor, SVC_EPARSE on a
 * bare CR. */
int toml_lex_newline(struct toml_lex *lx);
/* Consumes a comment (from '#' up to, not including, the newline) when one is at the cursor.
 * 0, or SVC_EPARSE on a control character or invalid UTF-8 inside it. */
int toml_lex_comment(struct toml_lex *lx);
/* Skips spaces, tabs, an optional comment, then requires a newline or the end of input.
 * `what` names the construct for the message ("the value"). 0 or SVC_EPARSE. */
int toml_lex_end_of_line(struct toml_lex *lx, const char *what);
/* Skips whitespace, newlines and comments (inside arrays). 0 or SVC_EPARSE. */
int toml_lex_skip_blank(struct toml_lex *lx);

/* True for A-Z a-z 0-9 _ - */
bool toml_lex_is_bare(int c);
/* Reads one key part (bare, "basic" or 'literal') into lx->str. 0 or SVC_EPARSE. */
int toml_lex_key_part(struct toml_lex *lx);
/* Reads a string value of any of the four forms (at its opening quote) into lx->str.
 * 0 or SVC_EPARSE. */
int toml_lex_string(struct toml_lex *lx);

#endif
