/* A reply owed to someone who may leave before it comes: an HTTP request or
 * a console waiting on Redis. hiredis calls back whatever happens, so the
 * callback's data cannot be the owner itself; it is a small ticket that
 * the owner forgets when it goes (sg_pending_orphan), and the callback asks
 * the ticket who, if anyone, still wants the reply (sg_pending_finish).
 *
 * The owner keeps the head of its list of tickets (an sg_pending *, NULL
 * when none are out); a ticket is malloc'd by start and freed by finish. */
#ifndef SG_PENDING_H
#define SG_PENDING_H

typedef struct sg_pending {
  void *owner;              /* NULL once the owner has gone */
  struct sg_pending **list; /* the owner's list head, NULL once it has gone */
  struct sg_pending *next;
} sg_pending;

/* A new ticket for owner, linked into *list. NULL when out of memory. */
sg_pending *sg_pending_start(sg_pending **list, void *owner);

/* Frees the ticket; returns its owner, or NULL if the owner has gone (then
 * the reply is dropped). */
void *sg_pending_finish(sg_pending *p);

/* The owner is going: every ticket of *list forgets it, and *list is empty. */
void sg_pending_orphan(sg_pending **list);

#endif
