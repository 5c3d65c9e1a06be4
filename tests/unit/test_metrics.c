/* The metrics registry (core/metrics.h) and the /metrics door's pieces that
 * need no server (http/metrics_http.h): the text written, the allow list,
 * the route labels. The exposition of a running siagad is checked by
 * promtool in tests/integration/test_metrics.py. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/error.h"
#include "core/metrics.h"
#include "http/metrics_http.h"

static double read_half(const void *data) {
  return *(const double *)data / 2;
}

/* The text of one sample line ("name{labels} value"), or fails. */
static void check_line(const char *text, const char *line) {
  const char *p = text;
  size_t n = strlen(line);
  while ((p = strstr(p, line)) != NULL) {
    if ((p == text || p[-1] == '\n') && p[n] == '\n')
      return;
    p += n;
  }
  CHECK_FAIL_("line \"%s\" not in:\n%s", line, text);
}

static void test_render(void) {
  sg_metrics *m = sg_metrics_create();
  CHECK(m != NULL);
  uint64_t *a = sg_metrics_counter(m, "t_requests_total", "Requests", "route=\"a\"");
  uint64_t *b = sg_metrics_counter(m, "t_requests_total", "Requests", "route=\"b\"");
  CHECK(a != NULL && b != NULL && a != b);
  CHECK(sg_metrics_counter(m, "t_requests_total", "Requests", "route=\"a\"") == a);
  (*a) += 3;
  (*b)++;
  double seven = 7;
  CHECK_INT_EQ(
      sg_metrics_read(m, SG_METRICS_GAUGE, "t_half", "Half of seven", NULL, read_half, &seven), 0);
  /* One reader per series; a name keeps its type; names are checked. */
  CHECK_INT_EQ(sg_metrics_read(m, SG_METRICS_GAUGE, "t_half", "again", NULL, read_half, &seven),
               SG_EINVAL);
  CHECK(sg_metrics_counter(m, "t_half", "Half", NULL) == NULL);
  CHECK(sg_metrics_counter(m, "9bad", "x", NULL) == NULL);
  CHECK(sg_metrics_counter(m, "bad-name", "x", NULL) == NULL);
  CHECK(sg_metrics_counter(m, "t_x", "two\nlines", NULL) == NULL);

  double bounds[] = {0.005, 0.01, 1};
  sg_metrics_histogram *h = sg_metrics_histogram_add(m, "t_seconds", "Time", NULL, bounds, 3);
  CHECK(h != NULL);
  double unordered[] = {1, 0.5};
  CHECK(sg_metrics_histogram_add(m, "t_other_seconds", "x", NULL, unordered, 2) == NULL);
  sg_metrics_observe(h, 0.001);
  sg_metrics_observe(h, 0.005); /* le is inclusive */
  sg_metrics_observe(h, 0.5);
  sg_metrics_observe(h, 3);

  size_t len;
  char *text = sg_metrics_render(m, &len);
  CHECK(text != NULL);
  CHECK_INT_EQ(strlen(text), len);
  CHECK(strstr(text, "# TYPE process_start_time_seconds gauge\n") != NULL);
  CHECK(strstr(text, "# HELP t_requests_total Requests\n# TYPE t_requests_total counter\n") !=
        NULL);
  check_line(text, "t_requests_total{route=\"a\"} 3");
  check_line(text, "t_requests_total{route=\"b\"} 1");
  check_line(text, "t_half 3.5");
  CHECK(strstr(text, "# TYPE t_seconds histogram\n") != NULL);
  check_line(text, "t_seconds_bucket{le=\"0.005\"} 2");
  check_line(text, "t_seconds_bucket{le=\"0.01\"} 2");
  check_line(text, "t_seconds_bucket{le=\"1\"} 3");
  check_line(text, "t_seconds_bucket{le=\"+Inf\"} 4");
  check_line(text, "t_seconds_sum 3.5060000000000002");
  check_line(text, "t_seconds_count 4");
  /* One HELP per name, however many series. */
  CHECK(strstr(strstr(text, "# HELP t_requests_total") + 1, "# HELP t_requests_total") == NULL);
  free(text);
  sg_metrics_destroy(m);
}

static void test_histogram_labels(void) {
  sg_metrics *m = sg_metrics_create();
  double bounds[] = {1};
  sg_metrics_histogram *h = sg_metrics_histogram_add(m, "t_s", "x", "kind=\"k\"", bounds, 1);
  CHECK(h != NULL);
  sg_metrics_observe(h, 2);
  size_t len;
  char *text = sg_metrics_render(m, &len);
  check_line(text, "t_s_bucket{kind=\"k\",le=\"1\"} 0");
  check_line(text, "t_s_bucket{kind=\"k\",le=\"+Inf\"} 1");
  check_line(text, "t_s_count{kind=\"k\"} 1");
  free(text);
  sg_metrics_destroy(m);
}

static void test_address(void) {
  char out[SG_METRICS_HTTP_ADDR_MAX];
  CHECK_INT_EQ(sg_metrics_http_address("127.0.0.1", out), 0);
  CHECK_STR_EQ(out, "127.0.0.1");
  CHECK_INT_EQ(sg_metrics_http_address("0:0:0:0:0:0:0:1", out), 0);
  CHECK_STR_EQ(out, "::1");
  CHECK_INT_EQ(sg_metrics_http_address("::ffff:10.0.0.7", out), 0);
  CHECK_STR_EQ(out, "10.0.0.7");
  CHECK_INT_EQ(sg_metrics_http_address("localhost", out), -1);
  CHECK_INT_EQ(sg_metrics_http_address("127.0.0.1/8", out), -1);
  CHECK_INT_EQ(sg_metrics_http_address("", out), -1);
}

static void test_allow_list(void) {
  char list[3][SG_METRICS_HTTP_ADDR_MAX];
  size_t n = 0;
  CHECK_INT_EQ(sg_metrics_http_parse_allow("10.1.2.3,::1,10.1.2.3", list, 3, &n), 0);
  CHECK_INT_EQ(n, 2);
  CHECK_STR_EQ(list[0], "10.1.2.3");
  CHECK_STR_EQ(list[1], "::1");
  CHECK_INT_EQ(sg_metrics_http_parse_allow("0::1", list, 3, &n), 0); /* the same ::1 */
  CHECK_INT_EQ(n, 2);
  /* Refused whole, the list unchanged. */
  CHECK_INT_EQ(sg_metrics_http_parse_allow("10.0.0.9,10.0.0.10", list, 3, &n), -1);
  CHECK_INT_EQ(n, 2);
  CHECK_INT_EQ(sg_metrics_http_parse_allow("10.0.0.9,", list, 3, &n), -1);
  CHECK_INT_EQ(sg_metrics_http_parse_allow(",10.0.0.9", list, 3, &n), -1);
  CHECK_INT_EQ(sg_metrics_http_parse_allow("", list, 3, &n), -1);
  CHECK_INT_EQ(sg_metrics_http_parse_allow("10.0.0.0/8", list, 3, &n), -1);
  CHECK_INT_EQ(sg_metrics_http_parse_allow("host.lan", list, 3, &n), -1);
  CHECK_INT_EQ(n, 2);
  CHECK_INT_EQ(sg_metrics_http_parse_allow("10.0.0.9", list, 3, &n), 0);
  CHECK_INT_EQ(n, 3);
  CHECK_STR_EQ(list[2], "10.0.0.9");
}

/* As a command line gives it: the first --metrics-allow replaces the
 * default, the next ones add, a bad one changes nothing. */
static void test_allow_option(void) {
  sg_metrics_http_allow a;
  sg_metrics_http_allow_init(&a);
  CHECK_INT_EQ(a.n, 2);
  CHECK_STR_EQ(a.addr[0], "127.0.0.1");
  CHECK_STR_EQ(a.addr[1], "::1");
  CHECK_INT_EQ(sg_metrics_http_allow_option(&a, "bogus"), -1);
  CHECK_INT_EQ(a.n, 2); /* still the default */
  CHECK_INT_EQ(sg_metrics_http_allow_option(&a, "10.0.0.5"), 0);
  CHECK_INT_EQ(a.n, 1);
  CHECK_STR_EQ(a.addr[0], "10.0.0.5");
  CHECK_INT_EQ(sg_metrics_http_allow_option(&a, "10.0.0.6,::1"), 0);
  CHECK_INT_EQ(a.n, 3);
  CHECK_STR_EQ(a.addr[2], "::1");
  CHECK_INT_EQ(sg_metrics_http_allow_option(&a, "10.0.0.7,x"), -1);
  CHECK_INT_EQ(a.n, 3);
}

static void test_routes(void) {
  CHECK_STR_EQ(sg_metrics_http_route("/v1/reports"), "reports");
  CHECK_STR_EQ(sg_metrics_http_route("/v1/reports/abc/status"), "track");
  CHECK_STR_EQ(sg_metrics_http_route("/l/xyz"), "track");
  CHECK_STR_EQ(sg_metrics_http_route("/lapor"), "app");
  CHECK_STR_EQ(sg_metrics_http_route("/v1/incidents"), "incidents");
  CHECK_STR_EQ(sg_metrics_http_route("/v1/incidents/I-1/history"), "incidents");
  CHECK_STR_EQ(sg_metrics_http_route("/v1/incidentsX"), "other");
  CHECK_STR_EQ(sg_metrics_http_route("/v1/auth/login"), "auth");
  CHECK_STR_EQ(sg_metrics_http_route("/v1/sms/kannel"), "sms");
  CHECK_STR_EQ(sg_metrics_http_route("/healthz"), "healthz");
  CHECK_STR_EQ(sg_metrics_http_route("/metrics"), "metrics");
  CHECK_STR_EQ(sg_metrics_http_route("/metrics/x"), "other");
  CHECK_STR_EQ(sg_metrics_http_route("/%00whatever"), "other");
  CHECK_STR_EQ(sg_metrics_http_route(NULL), "malformed");
}

int main(void) {
  RUN_TEST(test_render);
  RUN_TEST(test_histogram_labels);
  RUN_TEST(test_address);
  RUN_TEST(test_allow_list);
  RUN_TEST(test_allow_option);
  RUN_TEST(test_routes);
  CHECK_DONE();
}
