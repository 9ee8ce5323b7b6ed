/*
 * c_logcontext.h: SmartRedis 0.6.1's header of this name, for source compatibility.
 * LogContext: SmartRedisCLogContext, DeallocateLogContext.
 */
#ifndef SMARTREDIS_C_LOGCONTEXT_H
#define SMARTREDIS_C_LOGCONTEXT_H

#include "sr_enums.h"
#include "srexception.h"

#endif /* SMARTREDIS_C_LOGCONTEXT_H */
