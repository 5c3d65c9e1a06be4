#include "citizen/citizen.h"

#include <stdlib.h>

struct sg_citizen {
  sg_citizen_lookup *lookup;
  sg_citizen_track *track;
  sg_citizen_follow *follow;
  sg_citizen_abuse *abuse;
};

sg_citizen *sg_citizen_create(sg_redis *redis, sg_ingest *ingest, const char *region,
                              const char *sms_number) {
  sg_citizen *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  if ((c->lookup = sg_citizen_lookup_create(redis, region)) == NULL ||
      (c->track = sg_citizen_track_create(c->lookup, sms_number)) == NULL ||
      (c->follow = sg_citizen_follow_create(c->lookup)) == NULL ||
      (c->abuse = sg_citizen_abuse_create(redis, ingest, region)) == NULL) {
    sg_citizen_destroy(c);
    return NULL;
  }
  return c;
}

void sg_citizen_destroy(sg_citizen *c) {
  if (c == NULL)
    return;
  sg_citizen_abuse_destroy(c->abuse);
  sg_citizen_follow_destroy(c->follow);
  sg_citizen_track_destroy(c->track);
  sg_citizen_lookup_destroy(c->lookup);
  free(c);
}

void sg_citizen_routes(sg_citizen *c, sg_http_route out[SG_CITIZEN_ROUTES]) {
  out[0] = (sg_http_route){SG_CITIZEN_TRACK_PREFIX, &sg_citizen_track_handler, c->track,
                           sg_citizen_track_request_size()};
  out[1] = (sg_http_route){SG_CITIZEN_APP_PREFIX, &sg_citizen_track_handler, c->track,
                           sg_citizen_track_request_size()};
  out[2] = (sg_http_route){SG_CITIZEN_LINK_PREFIX, &sg_citizen_track_handler, c->track,
                           sg_citizen_track_request_size()};
}

struct lws_protocols sg_citizen_protocol(sg_citizen *c) {
  struct lws_protocols p = {SG_CITIZEN_FOLLOW_PROTOCOL,
                            sg_citizen_follow_callback,
                            sg_citizen_follow_session_size(),
                            1024,
                            0,
                            c->follow,
                            1024};
  return p;
}

sg_citizen_abuse *sg_citizen_abuse_of(sg_citizen *c) {
  return c->abuse;
}

sg_citizen_follow *sg_citizen_follower(sg_citizen *c) {
  return c->follow;
}
