#include "core/error.h"

#include <uv.h>

#define SG_ERROR_TEXT(name, text) text,
#define SG_ERROR_NAME(name, text) #name,
static const char *const texts[] = {SG_ERROR_MAP(SG_ERROR_TEXT)};
static const char *const names[] = {SG_ERROR_MAP(SG_ERROR_NAME)};
#define N_CODES (sizeof(texts) / sizeof(texts[0]))

static int own(int err) {
  return err > SG_ERROR__FIRST && err <= SG_ERROR__FIRST + (int)N_CODES;
}

const char *sg_strerror(int err) {
  if (err >= 0)
    return "ok";
  if (own(err))
    return texts[err - SG_ERROR__FIRST - 1];
  return uv_strerror(err);
}

const char *sg_errname(int err) {
  if (err >= 0)
    return "OK";
  if (own(err))
    return names[err - SG_ERROR__FIRST - 1];
  return uv_err_name(err);
}
