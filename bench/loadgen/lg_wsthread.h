/* An lg_ws pool on a thread of its own, with its own libuv loop and lws
 * context, so that reading the consoles' frames does not share a thread with
 * the HTTP side (offers, acknowledgements, the run's timers). At 1000
 * reports/s and 100 consoles the consoles alone are 100,000 frames/s; on one
 * thread with the acknowledgements, a system whose frames cost the client
 * more would look slower to acknowledge.
 *
 * The pool's on_message runs on the console thread: whatever it touches must
 * be safe from there (lg_track is), or be read by other threads only after
 * lg_wsthread_stop. lg_ws_set_resume_id may be called from on_message with
 * the pool it is given. */
#ifndef LG_WSTHREAD_H
#define LG_WSTHREAD_H

#include "lg_ws.h"

typedef struct lg_wsthread lg_wsthread;

/* Starts the thread and creates the pool on it; returns once the pool exists,
 * or NULL if the thread, its loop or the pool could not start (then nothing
 * is left running). o is copied; its strings and data must outlive the
 * thread. */
lg_wsthread *lg_wsthread_start(const lg_ws_options *o);
/* Safe from any thread while the console thread runs, and after it stopped. */
void lg_wsthread_get_stats(lg_wsthread *t, lg_ws_stats *out);
/* CPU seconds the console thread has used so far; call before
 * lg_wsthread_stop, from any thread. -1 if the clock cannot be read. */
double lg_wsthread_cpu_s(lg_wsthread *t);
/* Stops reconnecting and ends the console thread's loop (delivered to it with
 * a uv_async_t), then joins the thread: when this returns no callback of the
 * pool runs any more, and whatever on_message wrote may be read. Call once,
 * from the thread that started it.
 *
 * The connections stay open and the loop, the lws context and the pool are
 * not freed: the process is about to exit, and the kernel closes thousands of
 * sockets faster than lws would (see main.c's finish). */
void lg_wsthread_stop(lg_wsthread *t);

#endif
