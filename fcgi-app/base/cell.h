/* cell.h - this service as one cell of many (SPEC §10): node_name tags
 * every id the cell creates ("b.…"), and peers names the other cells,
 * so an id says which cell owns it.  Without node_name nothing changes:
 * ids carry no tag and every id is this cell's. */
#ifndef PYEXEC_CELL_H
#define PYEXEC_CELL_H

#include <stdbool.h>
#include <stddef.h>

struct conf;

#define CELL_NAME_MAX 16

/* Checks node_name (1-CELL_NAME_MAX of [a-z0-9-], or empty) and peers
 * ("name=http://host:port,…"; needs node_name).  0, or -1 with err. */
int cell_conf_check(const char *node_name, const char *peers, char *err);

/* The length of id's tag, dot included ("b.x" gives 2), when the part
 * before its first dot names this cell or a peer; 0 when it names none
 * (then the id is untagged, and a dot in it is the client's). */
size_t cell_tag_len(const struct conf *c, const char *id);

/* The base URL of the peer that owns id, as a new string, or NULL when
 * the id is this cell's or untagged. */
char *cell_peer_url(const struct conf *c, const char *id);

/* Writes id as this cell names it into out (n bytes): "NAME." + id when
 * node_name is set and id carries no tag, else id unchanged.  0, or -1
 * when that does not fit. */
int cell_own_id(const struct conf *c, const char *id, char *out, size_t n);

/* Where a restored copy of cell name[0..n) is kept (a new string):
 * pyexec-admin restore-cell writes it, and while that cell is down its
 * records and images are read from it. */
char *cell_copy_path(const struct conf *c, const char *name, size_t n);

/* Calls cb for each peer but this cell, in the order configured; stops
 * early when cb returns false. */
void cell_each_peer(const struct conf *c,
                    bool (*cb)(const char *name, const char *url, void *arg),
                    void *arg);

#endif
