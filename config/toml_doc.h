/* The TOML 1.0 document grammar (key/value pairs, [tables], [[arrays of tables]], arrays,
 * inline tables) and the rules about which tables may be defined or extended where. Used by
 * toml.c only. Depends on libc and common/{buf,err,xalloc}. */
#ifndef SVC_CONFIG_TOML_DOC_H
#define SVC_CONFIG_TOML_DOC_H

struct toml_lex;
struct toml_table;

/* Parses the whole input of `lx` into `root` (an empty table, borrowed). 0, or SVC_EPARSE with
 * the first error recorded in `lx`; `root` may then hold a partial tree. */
int toml_doc_parse(struct toml_lex *lx, struct toml_table *root);

#endif
