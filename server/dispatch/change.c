/* The engine of every dispatch change: read the anchor record (the unit a
 * crew command is about, or the assignment a cancel or a ladder step
 * names), then the unit, its assignment and their incident at one moment,
 * plan the change on them (plan.c), write it with dispatch.lua, and on a
 * version conflict start again from the top, a few times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "dispatch/dispatch_internal.h"

sg_dispatch__change *sg_dispatch__change_new(sg_dispatch *d, sg_dispatch__action action,
                                             const char *actor, sg_dispatch__change_cb cb,
                                             void *data) {
  sg_dispatch__change *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->d = d;
  c->action = action;
  c->via = "app";
  snprintf(c->actor, sizeof(c->actor), "%s", actor);
  c->cb = cb;
  c->data = data;
  sg_dispatch__ref(d);
  return c;
}

static void finish(sg_dispatch__change *c, int ok, int wrote, const char *code,
                   const char *message) {
  sg_dispatch__outcome o = {.ok = ok,
                            .wrote = wrote,
                            .code = ok ? "" : code,
                            .message = ok ? "" : message,
                            .unit = c->st.unit,
                            .asg = c->st.asg,
                            .inc = c->st.inc,
                            .asg_id = c->asg_id};
  c->cb(c->data, &o);
  sg_dispatch__state_clear(&c->st);
  sg_dispatch *d = c->d;
  free(c->note);
  free(c);
  sg_dispatch__unref(d);
}

static void unavailable(sg_dispatch__change *c) {
  finish(c, 0, 0, "unavailable", "dispatch store unavailable; try again");
}

static void read_step(sg_dispatch__change *c);

static void again(sg_dispatch__change *c) {
  sg_dispatch__state_clear(&c->st);
  c->answered = 0;
  if (++c->attempts >= SG_DISPATCH__ATTEMPTS) {
    finish(c, 0, 0, "version_conflict", "the unit or incident kept changing; try again");
    return;
  }
  c->phase = 0;
  read_step(c);
}

static void on_written(void *data, sg_dispatch__result result, const char *update_id) {
  sg_dispatch__change *c = data;
  (void)update_id;
  if (result == SG_DISPATCH__OK) {
    const Siaga__V1__Assignment *a = c->st.asg;
    int declined = a != NULL && a->state == SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_DECLINED;
    sg_metrics_histogram *h = c->d->answered[declined];
    if (c->answered && h != NULL && a->offered_at_ms > 0 && a->updated_at_ms >= a->offered_at_ms)
      sg_metrics_observe(h, (double)(a->updated_at_ms - a->offered_at_ms) / 1000.0);
    finish(c, 1, 1, NULL, NULL);
  } else if (result == SG_DISPATCH__CONFLICT)
    again(c);
  else
    unavailable(c);
}

static void plan_and_write(sg_dispatch__change *c) {
  int skip = 0;
  const char *code = NULL, *message = NULL;
  if (sg_dispatch__plan(c, &skip, &code, &message) != 0) {
    finish(c, 0, 0, code, message);
    return;
  }
  if (skip) {
    finish(c, 1, 0, NULL, NULL);
    return;
  }
  if (sg_dispatch__write_start(c->d, &c->w, on_written, c) != 0)
    unavailable(c);
}

static int is_crew(sg_dispatch__action a) {
  return a != SG_DISPATCH__ASSIGN && a != SG_DISPATCH__CANCEL && a != SG_DISPATCH__LADDER;
}

static void on_read(void *data, int ok) {
  sg_dispatch__change *c = data;
  sg_dispatch__state *st = &c->st;
  if (!ok) {
    unavailable(c);
    return;
  }
  if (c->phase == 1) {
    /* The anchor names the other two. */
    if (is_crew(c->action)) {
      if (st->unit == NULL) {
        finish(c, 0, 0, "not_found", "no unit with that id");
        return;
      }
      snprintf(c->asg_id, sizeof(c->asg_id), "%s", st->unit->assignment_id);
      snprintf(c->inc_id, sizeof(c->inc_id), "%s", st->unit->incident_id);
      if (c->action == SG_DISPATCH__POSITION) {
        plan_and_write(c); /* the unit alone */
        return;
      }
    } else {
      if (st->asg == NULL) {
        finish(c, 0, 0, "not_found", "no assignment with that id");
        return;
      }
      snprintf(c->unit_id, sizeof(c->unit_id), "%s", st->asg->unit_id);
      snprintf(c->inc_id, sizeof(c->inc_id), "%s", st->asg->incident_id);
    }
    if ((c->asg_id[0] != '\0' && !sg_key_id_valid(c->asg_id)) ||
        (c->inc_id[0] != '\0' && !sg_key_id_valid(c->inc_id)) ||
        !sg_dispatch_unit_id_valid(c->unit_id)) {
      finish(c, 0, 0, "not_found", "the records name one another wrongly");
      return;
    }
    sg_dispatch__state_clear(st);
    c->phase = 2;
    if (sg_dispatch__read(c->d, c->unit_id, c->asg_id[0] ? c->asg_id : NULL,
                          c->inc_id[0] ? c->inc_id : NULL, st, on_read, c) != 0)
      unavailable(c);
    return;
  }
  /* Between the two reads the unit may have moved to another assignment:
   * start again rather than plan on a mix. */
  if (is_crew(c->action) && c->action != SG_DISPATCH__ASSIGN &&
      (st->unit == NULL || strcmp(st->unit->assignment_id, c->asg_id) != 0)) {
    again(c);
    return;
  }
  plan_and_write(c);
}

static void on_sequence(void *data, redisReply *reply) {
  sg_dispatch__change *c = data;
  if (reply == NULL || reply->type != REDIS_REPLY_INTEGER || c->d->closing) {
    sg_dispatch__unref(c->d);
    unavailable(c);
    return;
  }
  sg_dispatch__unref(c->d);
  snprintf(c->asg_id, sizeof(c->asg_id), "A-%06lld", (long long)reply->integer);
  read_step(c);
}

static void read_step(sg_dispatch__change *c) {
  if (c->d->closing) {
    unavailable(c);
    return;
  }
  int rc;
  if (c->action == SG_DISPATCH__ASSIGN) {
    if (c->asg_id[0] == '\0') {
      /* The id is taken once: a retry after a conflict keeps it. */
      char key[SG_KEY_MAX];
      sg_key(key, sizeof(key), c->d->region, "seq:assignment");
      const char *argv[] = {"INCR", key};
      rc = sg_redis_command(c->d->redis, on_sequence, c, 2, argv, NULL);
      if (rc == 0)
        sg_dispatch__ref(c->d);
    } else {
      c->phase = 2;
      rc = sg_dispatch__read(c->d, c->unit_id, NULL, c->inc_id, &c->st, on_read, c);
    }
  } else if (is_crew(c->action)) {
    c->phase = 1;
    rc = sg_dispatch__read(c->d, c->unit_id, NULL, NULL, &c->st, on_read, c);
  } else {
    c->phase = 1;
    rc = sg_dispatch__read(c->d, NULL, c->asg_id, NULL, &c->st, on_read, c);
  }
  if (rc != 0)
    unavailable(c);
}

void sg_dispatch__change_run(sg_dispatch__change *c) {
  c->phase = 0;
  read_step(c);
}
