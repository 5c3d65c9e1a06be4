#include "lg_wsthread.h"

#include <pthread.h>
#include <stdlib.h>

#include "lg_proc.h"

struct lg_wsthread {
  lg_ws_options o;
  uv_thread_t thread;
  uv_sem_t ready; /* posted by the thread once pool (or the failure) is known */
  /* Everything below belongs to the console thread; the main thread only
   * reads pool (after ready, which orders it) and calls uv_async_send. */
  uv_loop_t loop;
  uv_async_t quit;
  lg_ws_pool *pool;
};

static void on_quit(uv_async_t *a) {
  lg_wsthread *t = a->data;
  lg_ws_stop(t->pool);
  uv_stop(&t->loop);
}

/* The loop, the async handle and the pool are all made here, on the thread
 * that will run them: lws must be created on its loop's thread. */
static void run(void *arg) {
  lg_wsthread *t = arg;
  if (uv_loop_init(&t->loop) != 0) {
    uv_sem_post(&t->ready);
    return;
  }
  if (uv_async_init(&t->loop, &t->quit, on_quit) != 0) {
    uv_loop_close(&t->loop);
    uv_sem_post(&t->ready);
    return;
  }
  t->quit.data = t;
  t->pool = lg_ws_create(&t->loop, &t->o);
  if (t->pool == NULL) {
    /* One turn runs the close; not UV_RUN_DEFAULT, which would wait forever
     * on any handle a failed lws context left behind (then uv_loop_close
     * fails and the loop's descriptors stay open: the caller is exiting). */
    uv_close((uv_handle_t *)&t->quit, NULL);
    uv_run(&t->loop, UV_RUN_NOWAIT);
    uv_loop_close(&t->loop);
    uv_sem_post(&t->ready);
    return;
  }
  uv_sem_post(&t->ready);
  uv_run(&t->loop, UV_RUN_DEFAULT);
}

lg_wsthread *lg_wsthread_start(const lg_ws_options *o) {
  lg_wsthread *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->o = *o;
  if (uv_sem_init(&t->ready, 0) != 0) {
    free(t);
    return NULL;
  }
  if (uv_thread_create(&t->thread, run, t) != 0)
    goto fail;
  uv_sem_wait(&t->ready);
  if (t->pool == NULL) {
    uv_thread_join(&t->thread);
    goto fail;
  }
  uv_sem_destroy(&t->ready);
  return t;
fail:
  uv_sem_destroy(&t->ready);
  free(t);
  return NULL;
}

void lg_wsthread_get_stats(lg_wsthread *t, lg_ws_stats *out) {
  lg_ws_get_stats(t->pool, out);
}

double lg_wsthread_cpu_s(lg_wsthread *t) {
  clockid_t id;
  /* uv_thread_t is a pthread_t on Unix. */
  return pthread_getcpuclockid(t->thread, &id) == 0 ? lg_proc_clock_cpu_s(id) : -1;
}

void lg_wsthread_stop(lg_wsthread *t) {
  uv_async_send(&t->quit);
  uv_thread_join(&t->thread);
}
