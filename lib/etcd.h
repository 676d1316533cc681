/* SPDX-License-Identifier: MIT */
/* etcd v3 client over etcd's JSON gateway (libcurl + cJSON). Sockets are
 * opened inside a chosen network namespace, so a process in the host's
 * namespace can talk to etcd in a node without joining the node. Requests
 * fail over across the endpoints in order. Functions return 0 or -errno;
 * etcd_error() tells what went wrong. */
#ifndef KNETSIM_ETCD_H
#define KNETSIM_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct etcd;

/* endpoints: "http://ADDR:PORT"; nsfd -1 means the caller's namespace
 * (the client keeps its own duplicate of nsfd: the caller may close it).
 * timeout_ms bounds every request. A client is for one thread at a time. */
struct etcd *etcd_open(const char *const *endpoints, size_t n, int nsfd,
		       int timeout_ms);
void etcd_close(struct etcd *e);
const char *etcd_error(const struct etcd *e);

int etcd_put(struct etcd *e, const char *key, const char *val, size_t len,
	     int64_t lease);
/* -ENOENT when the key does not exist; *val is malloc'd and NUL-ended. */
int etcd_get(struct etcd *e, const char *key, char **val, size_t *len,
	     int64_t *mod_revision);
/* 0 also when the key did not exist. */
int etcd_delete(struct etcd *e, const char *key);
/* Health of one endpoint (GET /health): 0 when healthy. */
int etcd_health(struct etcd *e, size_t endpoint);
/* GET /version of one endpoint, a client or a peer URL: etcd's server
 * version into buf. Answers as soon as the member serves HTTP, before its
 * cluster has formed. */
int etcd_version(struct etcd *e, size_t endpoint, char *buf, size_t len);

/* ---- transactions and ranges (etcd_txn.c) ---- */

/* Puts key only if it does not exist yet (a transaction comparing its
 * create_revision with 0): 0 when created, -EEXIST when the key exists. */
int etcd_create(struct etcd *e, const char *key, const char *val, size_t len,
		int64_t lease);
/* Puts key only if its mod_revision is still mod_revision: 0, or
 * -ECANCELED when the key changed or is gone since it was read. */
int etcd_replace(struct etcd *e, const char *key, const char *val,
		 size_t len, int64_t lease, int64_t mod_revision);

struct etcd_kv {
	char *key;            /* NUL-ended; key_len excludes the NUL */
	size_t key_len;       /* != strlen(key) when the key holds a NUL */
	char *val;            /* NUL-ended, never NULL */
	size_t len;
	int64_t mod_revision;
	int64_t create_revision;
	int64_t lease;        /* 0: none */
};

/* Every key starting with prefix ("" means every key), sorted by key, in
 * a malloc'd array (*kvs NULL when *n is 0) freed with etcd_kvs_free();
 * *revision (may be NULL) is the store's revision the answer reflects,
 * so a watch from *revision + 1 misses nothing. */
int etcd_range_prefix(struct etcd *e, const char *prefix,
		      struct etcd_kv **kvs, size_t *n, int64_t *revision);
void etcd_kvs_free(struct etcd_kv *kvs, size_t n);
/* Compacts the history up to revision and waits until it is done
 * (physical compaction); -ERANGE when revision is already compacted or
 * is in the future. */
int etcd_compact(struct etcd *e, int64_t revision);

/* ---- leases (etcd_lease.c) ---- */

/* Grants a lease of ttl_s seconds; its ID in *id. */
int etcd_lease_grant(struct etcd *e, int64_t ttl_s, int64_t *id);
/* One keepalive (POST /v3/lease/keepalive): 0 and the renewed TTL in *ttl_s
 * (may be NULL), or -ENOENT when the lease has expired or never existed:
 * the caller then grants a new lease and puts its keys again. Keeping a
 * lease alive (calling this every TTL/3 or so) is the caller's job. */
int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl_s);
/* Revokes the lease, deleting its keys; -ENOENT when it does not exist. */
int etcd_lease_revoke(struct etcd *e, int64_t id);
/* Remaining and granted TTL; -ENOENT when the lease has expired or never
 * existed. Either pointer may be NULL. */
int etcd_lease_timetolive(struct etcd *e, int64_t id, int64_t *ttl_s,
			  int64_t *granted_ttl_s);

/* ---- watches (etcd_watch.c) ----
 *
 * A watcher streams the changes under a prefix (POST /v3/watch, a response
 * of one JSON object per change batch). It runs in its own thread, which
 * does all the network work, so a single-threaded event loop never blocks
 * on etcd: the loop polls etcd_watch_fd() for POLLIN and then collects the
 * pending batch with etcd_watch_next(w, 0, ...); a program without an
 * event loop may instead block in etcd_watch_next() with a timeout.
 *
 * The thread connects to the endpoints of the client it was opened from
 * (copied at open, so the client may be closed or used meanwhile), starting
 * at the one that answered last. When the stream drops (the member died,
 * restarted, lost its leader - the watch asks etcd to cancel it then - or
 * stopped answering: after 10 s without data the thread checks the member's
 * /health), it reconnects to the next endpoint, resuming from the revision
 * after the last one it delivered, so no event is lost or repeated. After
 * failing on every endpoint it waits (100 ms, doubling up to 2 s) before the
 * next round; it never gives up (etcd_watch_status() tells why it is
 * not connected).
 *
 * When the revision to resume from has been compacted away, the watcher
 * delivers one ETCD_EV_RESYNC event and stops: the caller reads the whole
 * prefix again (etcd_range_prefix), rebuilds its state, and calls
 * etcd_watch_restart(w, revision + 1). Events of one etcd revision always
 * come in the same batch. A watcher blocks every signal in its thread; its
 * functions may be called from any thread, etcd_watch_close() last. */

enum etcd_event_type {
	ETCD_EV_PUT,
	ETCD_EV_DELETE,
	ETCD_EV_RESYNC,   /* history compacted: read again and restart */
};

struct etcd_event {
	enum etcd_event_type type;
	char *key;             /* NUL-ended; NULL for RESYNC */
	size_t key_len;
	char *val;             /* NUL-ended; PUT only, else NULL */
	size_t len;
	int64_t mod_revision;  /* RESYNC: etcd's compact revision */
	int64_t create_revision;
	int64_t lease;
};

struct etcd_watch;

/* Starts watching every key starting with prefix ("" is every key) from
 * start_revision (0: from now). Returns 0 and *w, or -errno. */
int etcd_watch_open(struct etcd *e, const char *prefix,
		    int64_t start_revision, struct etcd_watch **w);
/* Stops the thread and frees everything (pending events too). */
void etcd_watch_close(struct etcd_watch *w);
/* Readable (POLLIN) while events are pending; owned by the watcher. */
int etcd_watch_fd(const struct etcd_watch *w);
/* Takes every pending event (a malloc'd array, in revision order, freed with
 * etcd_events_free()), waiting up to timeout_ms (0: do not wait, -1:
 * forever) for one. Returns 0 with *n 0 on timeout, -EINTR when a signal
 * interrupted the wait. */
int etcd_watch_next(struct etcd_watch *w, int timeout_ms,
		    struct etcd_event **ev, size_t *n);
void etcd_events_free(struct etcd_event *ev, size_t n);
/* Drops pending events and watches again from start_revision (after a
 * RESYNC, or to rewind). */
int etcd_watch_restart(struct etcd_watch *w, int64_t start_revision);
/* The revision the watch would resume from (the last delivered + 1). */
int64_t etcd_watch_revision(struct etcd_watch *w);
/* Whether the stream is established; why not (or the last reconnect's
 * reason) in msg. */
bool etcd_watch_status(struct etcd_watch *w, char *msg, size_t len);

#endif
