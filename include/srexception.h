/*
 * srexception.h: SmartRedis 0.6.1's header of this name, for source compatibility.
 * SRError and the last-error functions (SRGetLastError, SRGetLastErrorLocation) are declared in smartredis.h.
 */
#ifndef SMARTREDIS_SREXCEPTION_H
#define SMARTREDIS_SREXCEPTION_H

#include "smartredis.h"

/* In C++, also the SmartRedis exception classes (header-only, over SRGetLastError). */
#ifdef __cplusplus
#include "srexception_cpp.h"
#endif

#endif /* SMARTREDIS_SREXCEPTION_H */
