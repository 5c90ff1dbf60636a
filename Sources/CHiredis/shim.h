#ifndef ALMANAC_CHIREDIS_SHIM_H
#define ALMANAC_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
