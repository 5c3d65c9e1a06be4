/* Kannel sendsms requests; see gateway.h. */
#include "sms/gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/url.h"
#include "sms/replies.h"

#define CONNECT_TIMEOUT_MS 5000
#define RESPONSE_TIMEOUT_MS 15000
#define TARGET_MAX 8192

struct sg_sms_gateway {
  sg_url_parts url;
  char host_header[SG_URL_HOST_MAX + 16];
  char *dlr_url;
};

sg_sms_gateway *sg_sms_gateway_create(const char *sendsms_url, const char *dlr_url) {
  sg_sms_gateway *g = calloc(1, sizeof(*g));
  if (g == NULL)
    return NULL;
  if (sg_url_parse(sendsms_url, &g->url) != 0)
    goto fail;
  if (strchr(g->url.host, ':') != NULL)
    snprintf(g->host_header, sizeof(g->host_header), "[%s]:%d", g->url.host, g->url.port);
  else
    snprintf(g->host_header, sizeof(g->host_header), "%s:%d", g->url.host, g->url.port);
  if (dlr_url != NULL && (g->dlr_url = strdup(dlr_url)) == NULL)
    goto fail;
  return g;
fail:
  free(g);
  return NULL;
}

void sg_sms_gateway_destroy(sg_sms_gateway *g) {
  if (g == NULL)
    return;
  free(g->dlr_url);
  free(g);
}

int sg_sms_gateway_send(const sg_sms_gateway *g, uv_loop_t *loop, const char *to, const char *text,
                        size_t text_len, const char *entry_id, sg_http_client_cb cb, void *data,
                        sg_http_client **req) {
  *req = NULL;
  char *target = malloc(TARGET_MAX);
  if (target == NULL)
    return SG_SMS_GATEWAY_AGAIN;
  if (sg_sms_replies_sendsms_target(target, TARGET_MAX, g->url.target, to, text, text_len,
                                    g->dlr_url, entry_id) < 0) {
    free(target);
    return SG_SMS_GATEWAY_TOO_LONG;
  }
  sg_http_client_options ho = {.host = g->url.host,
                               .port = g->url.port,
                               .host_header = g->host_header,
                               .target = target,
                               .connect_timeout_ms = CONNECT_TIMEOUT_MS,
                               .response_timeout_ms = RESPONSE_TIMEOUT_MS};
  *req = sg_http_client_start(loop, &ho, cb, data);
  free(target);
  return *req != NULL ? SG_SMS_GATEWAY_STARTED : SG_SMS_GATEWAY_AGAIN;
}

sg_sms_gateway_verdict sg_sms_gateway_verdict_of(int status) {
  if (status >= 200 && status <= 299)
    return SG_SMS_GATEWAY_SENT;
  if (status == 0 || status == 429 || status >= 500)
    return SG_SMS_GATEWAY_OUTAGE;
  return SG_SMS_GATEWAY_REFUSED;
}
