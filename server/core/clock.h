/* Wall-clock time as stored in messages: Unix epoch milliseconds. */
#ifndef SG_CLOCK_H
#define SG_CLOCK_H

#include <stdint.h>

uint64_t sg_clock_now_ms(void);

#endif
