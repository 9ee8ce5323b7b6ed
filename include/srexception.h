/*
 * srexception.h: SmartRedis 0.6.1's header of this name, for source compatibility.
 * SRError and the last-error functions (SRGetLastError, SRGetLastErrorLocation) are declared in smartredis.h.
 */
#ifndef SMARTREDIS_SREXCEPTION_H
#define SMARTREDIS_SREXCEPTION_H

#include "smartredis.h"

#endif /* SMARTREDIS_SREXCEPTION_H */
